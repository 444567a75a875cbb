package jcs

import (
	"errors"
	"strconv"
)

// Sentinel errors wrapped by every [*SyntaxError]; test for them with
// [errors.Is].
var (
	// ErrInvalidJSON reports input that is not a single well-formed JSON
	// value: bad syntax, truncation, trailing data or empty input.
	ErrInvalidJSON = errors.New("invalid JSON")

	// ErrDuplicateKey reports an object with two members whose names are
	// equal after unescaping; I-JSON (RFC 7493) forbids them.
	ErrDuplicateKey = errors.New("duplicate object member name")

	// ErrInvalidUTF8 reports a string that contains invalid UTF-8 or an
	// unpaired UTF-16 surrogate escape such as \ud800.
	ErrInvalidUTF8 = errors.New("invalid UTF-8 or unpaired surrogate in string")

	// ErrNumberRange reports a number that is not a finite IEEE-754 double,
	// such as 1e400.
	ErrNumberRange = errors.New("number out of IEEE-754 double range")

	// ErrNotObject reports that [CanonicalizeObject] was given a well-formed
	// value other than an object at the top level.
	ErrNotObject = errors.New("top-level value is not an object")

	// ErrTooDeep reports arrays and objects nested more than [MaxDepth]
	// levels deep.
	ErrTooDeep = errors.New("nesting too deep")
)

// SyntaxError describes why and where an input was rejected. It is returned
// for every kind of rejection, not only grammar errors, and wraps one of the
// package's sentinel errors (see [SyntaxError.Unwrap]).
type SyntaxError struct {
	// Offset is the byte offset in the input at which the problem was found.
	Offset int64
	// Reason is a short human-readable description of the problem.
	Reason string
	// Err is the sentinel error classifying the problem, such as
	// [ErrInvalidJSON] or [ErrDuplicateKey].
	Err error
}

// Error formats the error as "jcs: <reason> at offset <n>".
func (e *SyntaxError) Error() string {
	return "jcs: " + e.Reason + " at offset " + strconv.FormatInt(e.Offset, 10)
}

// Unwrap returns the sentinel error classifying the problem, so that
// errors.Is(err, ErrDuplicateKey) and similar checks work.
func (e *SyntaxError) Unwrap() error { return e.Err }

// newError builds a *SyntaxError at byte offset off.
func newError(sentinel error, off int, reason string) error {
	return &SyntaxError{Offset: int64(off), Reason: reason, Err: sentinel}
}
