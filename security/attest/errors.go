package attest

import "github.com/buildworksai/trustgate"

// Errors of attestation. Each is a *trustgate.Error; errors returned wrap
// one, so errors.Is matches it and trustgate.AsError gives the code,
// reason and field.
var (
	// ErrTampered: a stored record does not match what was signed for it,
	// or carries no valid signature. Code trustgate.Tampered, reason
	// RECORD_TAMPERED; the [*RecordError] wrapping it names the record.
	ErrTampered = &trustgate.Error{Code: trustgate.Tampered, Reason: "RECORD_TAMPERED",
		Message: "attest: record does not match what was signed"}
	// ErrStatement: a submitted statement is malformed or is not the one
	// expected (another request, another digest, another member). Code
	// trustgate.Invalid, reason STATEMENT_MISMATCH.
	ErrStatement = &trustgate.Error{Code: trustgate.Invalid, Reason: "STATEMENT_MISMATCH",
		Message: "attest: statement does not match"}
	// ErrUnknownKey: a submitted envelope carries no valid signature by a
	// key the keyring gives the signer it claims. Code trustgate.Forbidden,
	// reason UNKNOWN_KEY.
	ErrUnknownKey = &trustgate.Error{Code: trustgate.Forbidden, Reason: "UNKNOWN_KEY",
		Message: "attest: no valid signature by a trusted key"}
)

// RecordError names a stored record that does not match what was signed:
// its table and key, and the part that fails. It wraps [ErrTampered].
type RecordError struct {
	Record string // "cab_requests/0190…", "risk_model_versions/1.1", …
	Part   string // "decision", "approvals[1]", "content", …
	Reason string
}

func (e *RecordError) Error() string {
	return "attest: " + e.Record + ": " + e.Part + ": " + e.Reason
}

// Unwrap returns [ErrTampered].
func (e *RecordError) Unwrap() error { return ErrTampered }

// Tampered returns the error for record whose part fails verification.
func Tampered(record, part, reason string) error {
	return &RecordError{Record: record, Part: part, Reason: reason}
}

func fieldErr(field, reason string) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: "attest: " + field + ": " + reason}
}

func statementErr(field, reason string) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Reason: ErrStatement.Reason, Field: field,
		Message: "attest: " + field + ": " + reason, Err: ErrStatement}
}

// StatementError returns an error wrapping [ErrStatement] for a submitted
// statement whose field is not what was expected.
func StatementError(field, reason string) error { return statementErr(field, reason) }

// UnknownKey returns an error wrapping [ErrUnknownKey] saying why.
func UnknownKey(reason string) error {
	return &trustgate.Error{Code: trustgate.Forbidden, Reason: ErrUnknownKey.Reason, Field: "envelope.signatures",
		Message: "attest: " + reason, Err: ErrUnknownKey}
}
