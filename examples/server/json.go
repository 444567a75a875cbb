package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// decodeJSON reads exactly one JSON value from r's body into dst. The body
// must be present (400 MALFORMED_JSON), be declared application/json (415
// otherwise), be at most limit bytes (413), hold no member dst does not
// declare (400 UNKNOWN_FIELD) and nothing after the value (400
// MALFORMED_JSON).
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	return decodeBody(w, r, limit, dst, true)
}

// decodeOptionalJSON is decodeJSON for endpoints whose body may be left
// out: an empty body leaves dst as it is.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	return decodeBody(w, r, limit, dst, false)
}

func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, dst any, required bool) error {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		if required {
			return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the request body is empty: want a JSON object")
		}
		return nil
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	body := http.MaxBytesReader(w, struct {
		io.Reader
		io.Closer
	}{br, r.Body}, limit)
	r.Body = body
	data, err := io.ReadAll(body)
	if err != nil {
		return decodeError(err)
	}
	// encoding/json would silently turn invalid UTF-8 into U+FFFD, so a
	// stored name would differ from the bytes sent: refuse it.
	if !utf8.Valid(data) {
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return typeError(err, reflect.TypeOf(dst))
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err == nil:
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the body holds more than one JSON value")
	default:
		return decodeError(err)
	}
	// encoding/json keeps the last of duplicate members (matched without
	// regard to case), so two readers of one body could see different
	// values: refuse them. Members kept verbatim (json.RawMessage, such as
	// the evidence) are checked by the library that parses them.
	if name, dup := duplicateMember(data, rawMembers(dst)); dup {
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, name, "duplicate member "+strconv.Quote(name))
	}
	return nil
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// rawMembers returns the folded JSON names of the top-level members of dst
// (a pointer to a struct) that are kept verbatim as json.RawMessage.
func rawMembers(dst any) map[string]bool {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	raw := map[string]bool{}
	for f := range t.Fields() {
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft != rawMessageType {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		raw[foldName(name)] = true
	}
	return raw
}

// foldName folds a member name the way encoding/json matches it to a field.
func foldName(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// duplicateMember reports the first member name that appears twice in one
// object of the valid JSON data, outside the values of the top-level
// members in skip. It walks tokens, so deep nesting costs no stack.
func duplicateMember(data []byte, skip map[string]bool) (string, bool) {
	type frame struct {
		names     map[string]bool // nil for an array
		expectKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []frame
	skipNext := false // the next value is a skipped member's
	skipFrom := 0     // while > 0, frames from this depth on are not checked
	value := func() {
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			stack[n-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // the end (the data was decoded already)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				value()
				f := frame{}
				if t == '{' {
					f = frame{names: map[string]bool{}, expectKey: true}
				}
				stack = append(stack, f)
				if skipNext {
					skipNext, skipFrom = false, len(stack)
				}
			default:
				stack = stack[:len(stack)-1]
				if len(stack) < skipFrom {
					skipFrom = 0
				}
			}
		case string:
			n := len(stack)
			if n > 0 && stack[n-1].names != nil && stack[n-1].expectKey {
				stack[n-1].expectKey = false
				if skipFrom > 0 {
					continue
				}
				k := foldName(t)
				if stack[n-1].names[k] {
					return t, true
				}
				stack[n-1].names[k] = true
				skipNext = n == 1 && skip[k]
				continue
			}
			value()
			skipNext = false
		default:
			value()
			skipNext = false
		}
	}
}

// requireJSON accepts application/json (any parameters, such as charset)
// and, for PATCH, application/merge-patch+json.
func requireJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && (mt == "application/json" || (r.Method == http.MethodPatch && mt == "application/merge-patch+json")) {
		return nil
	}
	return newHTTPError(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "",
		"the request body must be application/json")
}

func decodeError(err error) error {
	var (
		maxErr  *http.MaxBytesError
		synErr  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return newHTTPError(http.StatusRequestEntityTooLarge, codePayloadTooLarge, "",
			fmt.Sprintf("the request body is larger than %d bytes", maxErr.Limit))
	case errors.Is(err, io.EOF):
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the request body is empty")
	case errors.As(err, &synErr):
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "",
			fmt.Sprintf("malformed JSON at byte %d: %v", synErr.Offset, synErr))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the JSON body ends early")
	case errors.As(err, &typeErr):
		// typeErr.Type is a Go type (main.classifyInputDTO): name the
		// JSON type the field wants instead, and the body itself when the
		// wrong value is the whole body.
		field, where := typeErr.Field, typeErr.Field
		if where == "" {
			where = "the request body"
		}
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, field,
			fmt.Sprintf("%s: got a JSON %s, want %s", where, typeErr.Value, jsonKind(typeErr.Type)))
	}
	// encoding/json has no typed error for an unknown member.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return newHTTPError(http.StatusBadRequest, codeUnknownField, name, "unknown field "+strconv.Quote(name))
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "a time is not RFC 3339: "+timeErr.Error())
	}
	return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the request body is not valid JSON for this endpoint")
}

// typeError is decodeError, completing a wrong-type problem whose field is a map or an
// array: encoding/json names the member (factors) but not the key or
// index within it, and the type it wants is its values' ("factors: got a
// JSON object, want a string" reads as if factors were one string).
func typeError(jsonErr error, dst reflect.Type) error {
	err := decodeError(jsonErr)
	var (
		he      *httpError
		typeErr *json.UnmarshalTypeError
	)
	if !errors.As(jsonErr, &typeErr) || !errors.As(err, &he) || he.field == "" {
		return err
	}
	t := dst
	for name := range strings.SplitSeq(he.field, ".") {
		t = memberType(t, name)
		if t == nil {
			return err
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == typeErr.Type { // the member itself has the wrong type
		return err
	}
	switch t.Kind() {
	case reflect.Map:
		he.detail = strings.Replace(he.detail, he.field+": ", he.field+": a member's value: ", 1)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() != reflect.Uint8 {
			he.detail = strings.Replace(he.detail, he.field+": ", he.field+": an element: ", 1)
		}
	}
	return err
}

// memberType is the Go type of the member name of the JSON object t
// decodes, or nil.
func memberType(t reflect.Type, name string) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f.Type
		}
	}
	return nil
}

// jsonKind names, in JSON's terms, the kind of value a Go type decodes
// from: "an object", "an array of strings", "a string (RFC 3339 time)".
// It never names the Go type.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "a string (an RFC 3339 time)"
	case t == reflect.TypeFor[decimal.Decimal]():
		return "a string (a decimal such as \"42.50\")"
	case t == rawMessageType:
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if e := jsonKind(t.Elem()); e != "a JSON value" {
			return "an array of " + plural(e)
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a JSON value"
}

// plural turns "an object" into "objects", "a string (…)" into "strings (…)".
func plural(kind string) string {
	kind = strings.TrimPrefix(strings.TrimPrefix(kind, "an "), "a ")
	head, rest, _ := strings.Cut(kind, " ")
	if rest != "" {
		rest = " " + rest
	}
	return head + "s" + rest
}

// writeJSON writes v as application/json with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json", v)
}

func writeBody(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every response type is marshalable; this is a programming error.
		http.Error(w, `{"status":500}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// pathID parses the {name} path wildcard as a UUID. A malformed id names no
// resource: 404.
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	s := r.PathValue(name)
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, newHTTPError(http.StatusNotFound, codeNotFound, "", "no resource with id "+strconv.Quote(s))
	}
	return id, nil
}

// parseUUID parses a UUID in a body field, 422 naming the field otherwise.
func parseUUID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, field,
			field+": "+strconv.Quote(s)+" is not a UUID")
	}
	return id, nil
}

// parseDecimal parses a decimal carried as a JSON string.
// Exponent notation is refused: "1e1000000000" would parse to a value
// whose plain text is a billion digits long.
func parseDecimal(field, s string) (decimal.Decimal, error) {
	if strings.ContainsAny(s, "eE") {
		return decimal.Decimal{}, newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, field,
			field+": "+strconv.Quote(s)+" is not a plain decimal such as \"42.50\"")
	}
	return riskmodel.ParseDecimal(field, s)
}

// timeOrNil returns nil for the zero time and the UTC time otherwise.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// queryError reports a malformed query parameter.
func queryError(name, detail string) error {
	return newHTTPError(http.StatusBadRequest, codeInvalidParameter, name, name+": "+detail)
}

// queryInt parses an optional integer query parameter.
func queryInt(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, queryError(name, strconv.Quote(s)+" is not an integer")
	}
	return n, nil
}

// queryTime parses an optional RFC 3339 query parameter.
func queryTime(r *http.Request, name string) (*time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, queryError(name, strconv.Quote(s)+" is not an RFC 3339 time")
	}
	return &t, nil
}
