// Package wire reads and writes the JSON forms of trustgate's public result
// types: snake_case members, decimals as JSON strings, times as RFC 3339 in
// UTC. Writing is plain encoding/json over a package's private wire
// structs, with [Decimal] and [Time] formatting the values. Reading goes
// member by member through an [Object], so that every failure (a member
// that is unknown, missing, of the wrong JSON type or malformed) is an
// invalid-input *trustgate.Error whose Field is the member's path
// ("reason.code", "checks[2].gate", "by_severity[P1]"), never a panic and
// never a Go type name.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Err is the invalid-input error of a JSON form: code Invalid, field the
// path of the member at fault (empty for the document itself), a message
// "<pkg>: json: <field>: <reason>", and the cause, if any.
func Err(pkg, field, reason string, cause error) *trustgate.Error {
	msg := pkg + ": json: " + reason
	if field != "" {
		msg = pkg + ": json: " + field + ": " + reason
	}
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: msg, Err: cause}
}

// Decimal is the wire form of d: its exact decimal string. It does not
// depend on shopspring's package-level MarshalJSONWithoutQuotes switch.
func Decimal(d decimal.Decimal) string { return d.String() }

// Time is the wire form of t: RFC 3339 with nanoseconds as needed, in UTC.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// OptTime is [Time], or "" for the zero time (written with omitempty).
func OptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return Time(t)
}

// Join returns the path of key inside the object at path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index returns the path of element i of the array at path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Key returns the path of map key k of the object at path.
func Key(path, k string) string { return path + "[" + k + "]" }

// Object is a JSON object being read: its members by name, and the first
// error met reading them. The accessors record the first error and return
// zero values after it, so a decoder reads every member it wants and asks
// [Object.Err] once.
type Object struct {
	pkg, path string
	m         map[string]json.RawMessage
	err       error
}

// members decodes data as a JSON object: null, another JSON type or
// malformed JSON is an error for path.
func members(pkg string, data []byte, path string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, Err(pkg, path, "want a JSON object", err)
	}
	return m, nil
}

// Read starts reading data as the object at path (empty for the
// document), whose members are exactly known: any other member is an
// error naming it. Null, a non-object or malformed JSON is an error for
// path.
func Read(pkg string, data []byte, path string, known ...string) (*Object, error) {
	m, err := members(pkg, data, path)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return nil, Err(pkg, Join(path, k), "unknown field", nil)
		}
	}
	return &Object{pkg: pkg, path: path, m: m}, nil
}

// Err returns the first error met reading o.
func (o *Object) Err() error { return o.err }

// Path returns the path of o's member key.
func (o *Object) Path(key string) string { return Join(o.path, key) }

// Fail records an error for member key, unless one is already recorded.
func (o *Object) Fail(key, reason string, cause error) {
	if o.err == nil {
		o.err = Err(o.pkg, o.Path(key), reason, cause)
	}
}

// FailWith records err, unless an error is already recorded.
func (o *Object) FailWith(err error) {
	if o.err == nil && err != nil {
		o.err = err
	}
}

// Raw returns member key's JSON, or nil when it is absent or null; when
// required, that is recorded as the member missing.
func (o *Object) Raw(key string, required bool) json.RawMessage {
	if o.err != nil {
		return nil
	}
	raw, ok := o.m[key]
	if !ok || bytes.Equal(raw, []byte("null")) {
		if required {
			o.Fail(key, "required field missing", nil)
		}
		return nil
	}
	return raw
}

// value decodes member key into v, a string, bool or integer, naming the
// JSON type wanted when it is another. It reports whether there was a
// value.
func (o *Object) value(key string, required bool, v any, want string) bool {
	raw := o.Raw(key, required)
	if raw == nil {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		o.Fail(key, "want "+want, err)
		return false
	}
	return true
}

// String returns the required string member key.
func (o *Object) String(key string) string {
	var s string
	o.value(key, true, &s, "a JSON string")
	return s
}

// OptString returns the string member key, or "" when it is absent or
// null.
func (o *Object) OptString(key string) string {
	var s string
	o.value(key, false, &s, "a JSON string")
	return s
}

// Bool returns the required boolean member key.
func (o *Object) Bool(key string) bool {
	var b bool
	o.value(key, true, &b, "true or false")
	return b
}

// OptBool returns the boolean member key, or false when it is absent or
// null.
func (o *Object) OptBool(key string) bool {
	var b bool
	o.value(key, false, &b, "true or false")
	return b
}

// Int returns the required integer member key.
func (o *Object) Int(key string) int64 {
	var n int64
	o.value(key, true, &n, "an integer")
	return n
}

// Decimal returns the required decimal member key, a JSON string such as
// "72.5".
func (o *Object) Decimal(key string) decimal.Decimal {
	d, _ := o.decimal(key, true)
	return d
}

// OptDecimal returns the decimal member key, and false when it is absent
// or null.
func (o *Object) OptDecimal(key string) (decimal.Decimal, bool) { return o.decimal(key, false) }

func (o *Object) decimal(key string, required bool) (decimal.Decimal, bool) {
	var s string
	if !o.value(key, required, &s, "a decimal as a JSON string") {
		return decimal.Decimal{}, false
	}
	d, err := parseDecimal(o.pkg, o.Path(key), s)
	if err != nil {
		o.FailWith(err)
		return decimal.Decimal{}, false
	}
	return d, true
}

// Decimals returns the object member key, whose members are decimals as
// JSON strings, by name; absent or null, it is empty (recorded as missing
// when required). A member's error names it as key[name]:
// "thresholds[BUSINESS_CRITICAL]".
func (o *Object) Decimals(key string, required bool) map[string]decimal.Decimal {
	out := map[string]decimal.Decimal{}
	o.Map(key, required, func(k, path string, raw json.RawMessage) error {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Err(o.pkg, path, "want a decimal as a JSON string", err)
		}
		d, err := parseDecimal(o.pkg, path, s)
		out[k] = d
		return err
	})
	return out
}

// parseDecimal reads s, the decimal at path, as [Decimal] writes one.
func parseDecimal(pkg, path, s string) (decimal.Decimal, error) {
	if !plainDecimal(s) {
		return decimal.Decimal{}, Err(pkg, path, fmt.Sprintf("malformed decimal %q (want digits with an optional sign and fraction, such as \"-12.5\")", s), nil)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, Err(pkg, path, fmt.Sprintf("malformed decimal %q", s), err)
	}
	return d, nil
}

// plainDecimal reports whether s is a decimal as [Decimal] writes one: an
// optional minus sign, digits, and optionally a point and more digits. An
// exponent is refused: "1e999999999" would ask for a billion digits the
// moment it is written again.
func plainDecimal(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	digits := func() int {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n
	}
	if digits() == 0 {
		return false
	}
	if s == "" {
		return true
	}
	if s[0] != '.' {
		return false
	}
	s = s[1:]
	return digits() > 0 && s == ""
}

// Time returns the required time member key, an RFC 3339 string, in UTC.
func (o *Object) Time(key string) time.Time { return o.time(key, true) }

// OptTime returns the time member key, or the zero time when it is absent
// or null.
func (o *Object) OptTime(key string) time.Time { return o.time(key, false) }

func (o *Object) time(key string, required bool) time.Time {
	var s string
	if !o.value(key, required, &s, "an RFC 3339 time as a JSON string") {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.Fail(key, fmt.Sprintf("malformed RFC 3339 time %q", s), err)
		return time.Time{}
	}
	return t.UTC()
}

// Array calls fn for each element of the array member key, with the
// element's path; absent or null is no elements unless required. The
// first error fn returns is recorded and ends the walk.
func (o *Object) Array(key string, required bool, fn func(path string, raw json.RawMessage) error) {
	raw := o.Raw(key, required)
	if raw == nil {
		return
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		o.Fail(key, "want a JSON array", err)
		return
	}
	for i, e := range elems {
		if err := fn(Index(o.Path(key), i), e); err != nil {
			o.FailWith(err)
			return
		}
	}
}

// Map calls fn for each member of the object member key, in key order,
// with the member's path (key[k]); absent or null is no members unless
// required. The first error fn returns is recorded and ends the walk.
func (o *Object) Map(key string, required bool, fn func(k, path string, raw json.RawMessage) error) {
	raw := o.Raw(key, required)
	if raw == nil {
		return
	}
	m, err := members(o.pkg, raw, o.Path(key))
	if err != nil {
		o.FailWith(err)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := fn(k, Key(o.Path(key), k), m[k]); err != nil {
			o.FailWith(err)
			return
		}
	}
}

// UUID returns the required UUID member key, in the 36-character form
// uuid.UUID.String writes (no braces, no urn:uuid: prefix).
func (o *Object) UUID(key string) uuid.UUID { return o.uuid(key, true) }

// OptUUID returns the UUID member key, or uuid.Nil when it is absent or
// null.
func (o *Object) OptUUID(key string) uuid.UUID { return o.uuid(key, false) }

func (o *Object) uuid(key string, required bool) uuid.UUID {
	var s string
	if !o.value(key, required, &s, "a UUID as a JSON string") {
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		o.Fail(key, fmt.Sprintf("malformed UUID %q (want the 36-character form)", s), err)
		return uuid.Nil
	}
	return id
}

// OptUUIDString is id's wire form, or "" for uuid.Nil (written with
// omitempty).
func OptUUIDString(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}
