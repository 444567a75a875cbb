package security

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

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
// field. Anything else (wrong length, not hex, a "sha256:" prefix) is an
// invalid-input error for field: it reads the digests trustgate writes
// itself. Evidence, which tools write, is read with [ParseEvidenceDigest].
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

// ociPrefix begins a digest in the form of the OCI image specification and
// of in-toto resource descriptors' "algorithm:hex" strings.
const ociPrefix = "sha256:"

// ErrDigestAlgorithm: a digest names an algorithm other than sha256, the
// only one trustgate checks. Code trustgate.Invalid, reason
// DIGEST_ALGORITHM_UNSUPPORTED; the error returned wraps it and names the
// field.
var ErrDigestAlgorithm = &trustgate.Error{Code: trustgate.Invalid, Reason: "DIGEST_ALGORITHM_UNSUPPORTED",
	Message: "security: only sha256 digests are supported"}

// ParseEvidenceDigest parses a digest as evidence gives it, for the named
// field, in either of two forms:
//
//   - 64 hex digits, either case: the form trustgate has always read;
//   - "sha256:" and 64 lower-case hex digits: the OCI and in-toto form.
//     The prefix is lower case and the hex digits are too, as the OCI image
//     specification requires of sha256.
//
// Both give the same [Digest], whose one text form ([Digest.String]) is 64
// lower-case hex digits. A digest of another algorithm ("sha512:…",
// "SHA256:…") is an invalid-input error for field wrapping
// [ErrDigestAlgorithm]; anything else that is not a digest is an
// invalid-input error for field.
func ParseEvidenceDigest(field, s string) (Digest, error) {
	algo, hexPart, tagged := strings.Cut(s, ":")
	if !tagged {
		if len(s) != 64 {
			return Digest{}, fieldErr(field, fmt.Sprintf(`a SHA-256 digest is 64 hex digits or "sha256:" and 64 lower-case hex digits, got %d characters`, len(s)), nil)
		}
		return ParseDigest(field, s)
	}
	if algo != "sha256" {
		return Digest{}, fieldErr(field, fmt.Sprintf("the digest algorithm is %s: only sha256 is supported", quoteShort(algo)), ErrDigestAlgorithm)
	}
	if d, ok := lowerHexDigest(hexPart); ok {
		return d, nil
	}
	return Digest{}, fieldErr(field, fmt.Sprintf(`after "sha256:" a digest is 64 lower-case hex digits, got %s`, quoteShort(hexPart)), nil)
}

// lowerHexDigest parses exactly 64 lower-case hex digits.
func lowerHexDigest[S ~string | ~[]byte](s S) (Digest, bool) {
	var d Digest
	if len(s) != 2*len(d) {
		return d, false
	}
	for i := range len(d) {
		hi, ok1 := lowerHexValue(s[2*i])
		lo, ok2 := lowerHexValue(s[2*i+1])
		if !ok1 || !ok2 {
			return Digest{}, false
		}
		d[i] = hi<<4 | lo
	}
	return d, true
}

func lowerHexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// quoteShort quotes s for a message, cut to 40 bytes: input can be a
// megabyte long.
func quoteShort(s string) string {
	const limit = 40
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "…"
	}
	return strconv.Quote(s)
}
