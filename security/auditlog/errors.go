package auditlog

import (
	"fmt"

	"github.com/buildworksai/trustgate"
)

// The errors of this package. Each is a *trustgate.Error, so
// trustgate.AsError and errors.Is find them through the detailed errors
// that wrap them.
var (
	// ErrMalformed: a checkpoint, note, proof or key that does not parse.
	// Code [trustgate.Invalid]; the detail is a [*FormatError].
	ErrMalformed = &trustgate.Error{Code: trustgate.Invalid, Reason: "LOG_FORMAT_INVALID",
		Message: "auditlog: malformed input"}
	// ErrSignature: a checkpoint the log's key did not sign, or a
	// signature that does not verify. Code [trustgate.Tampered].
	ErrSignature = &trustgate.Error{Code: trustgate.Tampered, Reason: "CHECKPOINT_SIGNATURE_INVALID",
		Message: "auditlog: checkpoint signature missing or invalid"}
	// ErrOrigin: a checkpoint signed for another log. Code
	// [trustgate.Tampered].
	ErrOrigin = &trustgate.Error{Code: trustgate.Tampered, Reason: "CHECKPOINT_ORIGIN_MISMATCH",
		Message: "auditlog: checkpoint is for another log"}
	// ErrWitness: fewer trusted witnesses cosigned than the trust policy
	// requires. Code [trustgate.Tampered]; the detail is a
	// [*WitnessError].
	ErrWitness = &trustgate.Error{Code: trustgate.Tampered, Reason: "CHECKPOINT_WITNESS_QUORUM",
		Message: "auditlog: not enough trusted witness cosignatures"}
	// ErrProof: a proof that does not prove what it claims against the
	// checkpoint. Code [trustgate.Tampered]; the detail is a
	// [*ProofError].
	ErrProof = &trustgate.Error{Code: trustgate.Tampered, Reason: "LOG_PROOF_INVALID",
		Message: "auditlog: proof does not verify"}
	// ErrKey: a signer or verifier key this package cannot use. Code
	// [trustgate.Invalid], field "key".
	ErrKey = &trustgate.Error{Code: trustgate.Invalid, Reason: "LOG_KEY_UNSUPPORTED", Field: "key",
		Message: "auditlog: unsupported key"}
)

// FormatError says where an input does not parse. It wraps [ErrMalformed].
type FormatError struct {
	What   string // "checkpoint", "note", "inclusion proof", "consistency proof", "verifier key"
	Line   int    // 1-based line of the input, 0 when no one line is at fault
	Reason string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("auditlog: malformed %s at line %d: %s", e.What, e.Line, e.Reason)
	}
	return fmt.Sprintf("auditlog: malformed %s: %s", e.What, e.Reason)
}

// Unwrap returns [ErrMalformed].
func (e *FormatError) Unwrap() error { return ErrMalformed }

func malformed(what string, line int, format string, args ...any) error {
	return &FormatError{What: what, Line: line, Reason: fmt.Sprintf(format, args...)}
}

// ProofError says why a proof does not verify. It wraps [ErrProof].
type ProofError struct {
	Kind   string // "inclusion" or "consistency"
	Reason string
}

func (e *ProofError) Error() string {
	return fmt.Sprintf("auditlog: %s proof does not verify: %s", e.Kind, e.Reason)
}

// Unwrap returns [ErrProof].
func (e *ProofError) Unwrap() error { return ErrProof }

// WitnessError says which witnesses cosigned a checkpoint and how many were
// needed. It wraps [ErrWitness].
type WitnessError struct {
	Required int
	Verified []string // trusted witnesses whose cosignatures verified
	Unknown  []string // names on signatures by keys the trust policy does not hold
}

func (e *WitnessError) Error() string {
	msg := fmt.Sprintf("auditlog: %d trusted witness cosignature(s) required, %d verified %q", e.Required, len(e.Verified), e.Verified)
	if len(e.Unknown) > 0 {
		msg += fmt.Sprintf("; signatures by unknown keys ignored: %q", e.Unknown)
	}
	return msg
}

// Unwrap returns [ErrWitness].
func (e *WitnessError) Unwrap() error { return ErrWitness }

func keyErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrKey}, args...)...)
}
