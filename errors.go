package trustgate

import (
	"context"
	"errors"
)

// Code classifies an error by what a caller can do about it. Every error a
// trustgate package returns carries one (see [Error]); the values are
// stable and meant for programs: map them to HTTP statuses, retry
// decisions or alerts, never match error strings.
type Code string

// The codes.
const (
	// Invalid: the input breaks a rule. [Error.Field] names the field.
	Invalid Code = "invalid"
	// NotFound: the record asked for does not exist.
	NotFound Code = "not_found"
	// Conflict: the request contradicts what is stored or the state it is
	// in: a duplicate key, different content under an idempotency key, a
	// step the record's state no longer allows.
	Conflict Code = "conflict"
	// Forbidden: this actor may not do this (not a CAB member, separation of
	// duties).
	Forbidden Code = "forbidden"
	// Blocked: a pre-deployment gate refused the deployment.
	Blocked Code = "blocked"
	// Expired: a time-boxed permission has lapsed.
	Expired Code = "expired"
	// Tampered: stored data no longer matches what was recorded or signed.
	Tampered Code = "tampered"
	// Canceled: the context was cancelled or its deadline passed.
	Canceled Code = "canceled"
	// Internal: anything else: a failing database, a bug.
	Internal Code = "internal"
)

// Error is the one error type of trustgate: a [Code], the stable reason
// and the field where one applies, and what it wraps. Every error a
// trustgate package returns is an *Error or wraps one, so one call gives a
// caller both the code and the field:
//
//	var e *trustgate.Error
//	if errors.As(err, &e) { … e.Code, e.Field … }
//
// or, for any error at all, [AsError]. Domain detail stays reachable with
// errors.As and errors.Is through Err: a blocked validation wraps a
// *security.ValidationError with every failed check, a refused workflow
// step a *cab.WorkflowError naming the request and a sentinel such as
// cab.ErrSeparationOfDuties.
//
// Sentinels whose code never varies are *Error values themselves
// (cab.ErrNotMember has code [Forbidden] and reason NOT_CAB_MEMBER), so an
// error wrapping one carries its code wherever it is wrapped. The message of
// such a sentinel is generic: for the whole story of one failure, use the
// returned error's own Error method, not the sentinel's.
type Error struct {
	// Code says what kind of failure this is.
	Code Code
	// Reason names the rule, in SCREAMING_SNAKE_CASE, when the code alone
	// does not: "SEPARATION_OF_DUTIES", "EVIDENCE_TAMPERED",
	// "MODEL_NOT_APPROVED". Stable; empty when the code says it all.
	Reason string
	// Field is the path of the input at fault, in the names of the JSON
	// forms (snake case), with dots for nesting, [key] for map keys and [i]
	// for indices: "thresholds[BUSINESS_CRITICAL]", "cmdb.service_tier",
	// "rules[2].keywords[0]", "artifacts[0].sha256". Empty when no one
	// field is.
	Field string
	// Message is for people. When empty, Error returns Err's text.
	Message string
	// Err is what this error wraps: a sentinel, a domain error with
	// detail, or the cause.
	Err error
}

// Error returns the message, or the wrapped error's text when there is no
// message.
func (e *Error) Error() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	case e.Field != "":
		return string(e.Code) + ": " + e.Field
	}
	return string(e.Code)
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// AsError returns a copy of the *Error err carries: the outermost one in
// its chain. An error that carries none (a context's, or one from outside
// trustgate) comes back as a new *Error wrapping it, with code [Canceled]
// for a context's cancellation or deadline and [Internal] otherwise. It
// returns nil for nil. The copy is the caller's to change: the *Error in
// the chain may be a package's sentinel, which errors.As would hand out
// itself.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		return &c
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: Canceled, Err: err}
	}
	return &Error{Code: Internal, Err: err}
}

// ErrorCode returns err's code, as [AsError] finds it, or "" for nil.
func ErrorCode(err error) Code {
	if e := AsError(err); e != nil {
		return e.Code
	}
	return ""
}
