package security

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

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

// ErrInvalid is wrapped by every [*FieldError] of this package.
var ErrInvalid = errors.New("security: invalid input")

// FieldError names an input field that is wrong and why. It wraps
// [ErrInvalid] and, when there is one, the cause (such as
// [ErrDuplicateKey]).
type FieldError struct {
	Field  string
	Reason string
	Err    error // the cause, if any
}

func (e *FieldError) Error() string { return fmt.Sprintf("security: %s: %s", e.Field, e.Reason) }

// Unwrap returns [ErrInvalid] and the cause.
func (e *FieldError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalid}
	}
	return []error{ErrInvalid, e.Err}
}

// Why JSON input (evidence data, audit event data) was rejected; a
// [*FieldError] wraps one of these. RFC 8785 requires I-JSON, so duplicate
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
// field. Anything else (wrong length, not hex) is a [*FieldError].
func ParseDigest(field, s string) (Digest, error) {
	var d Digest
	if len(s) != 2*len(d) {
		return Digest{}, &FieldError{Field: field, Reason: fmt.Sprintf("a SHA-256 digest is 64 hex digits, got %d characters", len(s))}
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return Digest{}, &FieldError{Field: field, Reason: "a SHA-256 digest is 64 hex digits: " + err.Error()}
	}
	return d, nil
}
