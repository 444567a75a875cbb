package riskmodel

import (
	"errors"
	"fmt"

	"github.com/buildworksai/trustgate"
)

// Sentinel errors: which rule an input broke. Each but [ErrNotApproved]
// comes wrapped, as Err, in a *trustgate.Error with code
// [trustgate.Invalid] whose Field names the field at fault, so
// errors.Is(err, ErrWeightsSum) says which rule and
// trustgate.AsError(err).Field says where.
var (
	// ErrMissingFactor: a factor the model weighs was not supplied.
	ErrMissingFactor = errors.New("riskmodel: missing factor")
	// ErrUnknownFactor: a factor was supplied that the model does not weigh.
	ErrUnknownFactor = errors.New("riskmodel: unknown factor")
	// ErrOutOfRange: a number lies outside its permitted interval.
	ErrOutOfRange = errors.New("riskmodel: out of range")
	// ErrWeightsSum: the weights do not add up to exactly 1.
	ErrWeightsSum = errors.New("riskmodel: weights do not sum to 1")
	// ErrMissingThreshold: a blast radius class has no threshold.
	ErrMissingThreshold = errors.New("riskmodel: missing threshold")
	// ErrCriticalThreshold: CRITICAL_INFRASTRUCTURE's threshold is not 0.
	ErrCriticalThreshold = errors.New("riskmodel: critical infrastructure threshold must be 0")
	// ErrMalformed: a value could not be parsed (a decimal, a mode, JSON).
	ErrMalformed = errors.New("riskmodel: malformed value")
	// ErrRequired: a required field is empty.
	ErrRequired = errors.New("riskmodel: required")
	// ErrNotApproved: an operation needs a CAB-approved version. Unlike the
	// sentinels above it is a *trustgate.Error itself, code
	// [trustgate.Conflict] and reason MODEL_NOT_APPROVED, whatever wraps it:
	// the version is well formed, its state forbids the step.
	ErrNotApproved = &trustgate.Error{Code: trustgate.Conflict, Reason: "MODEL_NOT_APPROVED",
		Message: "riskmodel: version is not CAB-approved"}
)

// fieldErr is the error for an input that breaks the rule sentinel at
// field: code Invalid, the field's path in the names of the JSON form, and
// a message "riskmodel: <field>: <reason>".
func fieldErr(sentinel error, field, format string, args ...any) *trustgate.Error {
	return &trustgate.Error{
		Code:    trustgate.Invalid,
		Field:   field,
		Message: "riskmodel: " + field + ": " + fmt.Sprintf(format, args...),
		Err:     sentinel,
	}
}
