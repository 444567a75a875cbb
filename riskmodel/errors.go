package riskmodel

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every validation failure wraps [ErrInvalid]; the more
// specific sentinels below it say which rule was broken. Match them with
// errors.Is, and reach the field with errors.As and [*FieldError].
var (
	// ErrInvalid is wrapped by every validation and scoring input error.
	ErrInvalid = errors.New("riskmodel: invalid")
	// ErrMissingFactor: a factor the model weighs was not supplied.
	ErrMissingFactor = fmt.Errorf("%w: missing factor", ErrInvalid)
	// ErrUnknownFactor: a factor was supplied that the model does not weigh.
	ErrUnknownFactor = fmt.Errorf("%w: unknown factor", ErrInvalid)
	// ErrOutOfRange: a number lies outside its permitted interval.
	ErrOutOfRange = fmt.Errorf("%w: out of range", ErrInvalid)
	// ErrWeightsSum: the weights do not add up to exactly 1.
	ErrWeightsSum = fmt.Errorf("%w: weights do not sum to 1", ErrInvalid)
	// ErrMissingThreshold: a blast radius class has no threshold.
	ErrMissingThreshold = fmt.Errorf("%w: missing threshold", ErrInvalid)
	// ErrCriticalThreshold: CRITICAL_INFRASTRUCTURE's threshold is not 0.
	ErrCriticalThreshold = fmt.Errorf("%w: critical infrastructure threshold must be 0", ErrInvalid)
	// ErrMalformed: a value could not be parsed (a decimal, a mode, JSON).
	ErrMalformed = fmt.Errorf("%w: malformed value", ErrInvalid)
	// ErrRequired: a required field is empty.
	ErrRequired = fmt.Errorf("%w: required", ErrInvalid)
	// ErrNotApproved: an operation needs a CAB-approved version.
	ErrNotApproved = fmt.Errorf("%w: version is not CAB-approved", ErrInvalid)
)

// FieldError names the field that is wrong and why. Field is a path such as
// "weights[blast_radius]" or "thresholds[CRITICAL_INFRASTRUCTURE]". It wraps
// one of the package's sentinel errors, so errors.Is(err, ErrWeightsSum)
// and errors.Is(err, ErrInvalid) both work.
type FieldError struct {
	Field  string // path of the offending field
	Reason string // what is wrong, for people
	Err    error  // the sentinel this error wraps
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("riskmodel: %s: %s", e.Field, e.Reason)
}

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(sentinel error, field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
