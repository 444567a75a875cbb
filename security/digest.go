package security

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/jcs"
)

// Digest is a SHA-256 digest. Its text form is 64 lower-case hex digits.
type Digest [32]byte

// String returns the digest as 64 lower-case hex digits.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is all zero bytes (the previous hash of the first
// audit event).
func (d Digest) IsZero() bool { return d == Digest{} }

// Equal compares two digests in constant time.
func (d Digest) Equal(o Digest) bool { return subtle.ConstantTimeCompare(d[:], o[:]) == 1 }

// MarshalText returns the hex form.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the hex form; see [ParseDigest].
func (d *Digest) UnmarshalText(b []byte) error {
	p, err := ParseDigest("digest", string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// fieldErr is the error for an invalid field: code Invalid, the field's
// path in the names of the JSON form, a message
// "security: <field>: <reason>", and the cause, if any.
func fieldErr(field, reason string, cause error) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: "security: " + field + ": " + reason, Err: cause}
}

// Why JSON input (evidence data, audit event data) was rejected; the
// invalid-input error naming the field wraps one of these. RFC 8785 requires I-JSON, so duplicate
// member names, invalid UTF-8, lone surrogates and numbers outside the
// IEEE-754 double range are errors, not guesses.
var (
	ErrMalformedJSON = jcs.ErrInvalidJSON
	ErrNotObject     = jcs.ErrNotObject
	ErrDuplicateKey  = jcs.ErrDuplicateKey
	ErrInvalidUTF8   = jcs.ErrInvalidUTF8
	ErrNumberRange   = jcs.ErrNumberRange
	ErrTooDeep       = jcs.ErrTooDeep
)

// ParseDigest parses 64 hex digits (either case) into a digest for the named
// field. Anything else (wrong length, not hex) is an invalid-input error
// for field.
func ParseDigest(field, s string) (Digest, error) {
	var d Digest
	if len(s) != 2*len(d) {
		return Digest{}, fieldErr(field, fmt.Sprintf("a SHA-256 digest is 64 hex digits, got %d characters", len(s)), nil)
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return Digest{}, fieldErr(field, "a SHA-256 digest is 64 hex digits: "+err.Error(), nil)
	}
	return d, nil
}
