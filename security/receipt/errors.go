package receipt

import (
	"errors"
	"strconv"

	"github.com/buildworksai/trustgate"
)

// The errors of this package. Each is a *trustgate.Error; the errors the
// functions return are fresh *trustgate.Error values with the same code
// and reason, the field at fault and a message saying what exactly is
// wrong, wrapping one of these (and, where there is one, the cause: an
// auditlog, dsse or attest error), so errors.Is(err, ErrProof) and
// errors.Is(err, auditlog.ErrOrigin) both hold for a proof under another
// log, and trustgate.AsError(err) gives the code, reason and field.
var (
	// ErrInput: what a receipt was asked for cannot make one (a report
	// with no artifact digest, an event about something else, a request
	// whose signed records do not verify). Code trustgate.Invalid (or the
	// cause's, trustgate.Tampered for a tampered request), reason
	// RECEIPT_INPUT_INVALID.
	ErrInput = &trustgate.Error{Code: trustgate.Invalid, Reason: "RECEIPT_INPUT_INVALID",
		Message: "receipt: cannot make a receipt of this input"}
	// ErrMalformed: a receipt's JSON form breaks a rule of [ParseReceipt].
	// Code trustgate.Invalid, reason RECEIPT_MALFORMED.
	ErrMalformed = &trustgate.Error{Code: trustgate.Invalid, Reason: "RECEIPT_MALFORMED",
		Message: "receipt: malformed receipt"}
	// ErrPayloadType: the envelope does not carry an in-toto statement
	// (its payloadType is not application/vnd.in-toto+json). Code
	// trustgate.Invalid, reason RECEIPT_PAYLOAD_TYPE, field
	// envelope.payloadType.
	ErrPayloadType = &trustgate.Error{Code: trustgate.Invalid, Reason: "RECEIPT_PAYLOAD_TYPE", Field: "envelope.payloadType",
		Message: "receipt: the envelope's payload is not an in-toto statement"}
	// ErrSignature: the envelope carries no valid signature by the service
	// key. Code trustgate.Tampered, reason RECEIPT_SIGNATURE_INVALID,
	// field envelope.signatures.
	ErrSignature = &trustgate.Error{Code: trustgate.Tampered, Reason: "RECEIPT_SIGNATURE_INVALID", Field: "envelope.signatures",
		Message: "receipt: no valid signature by the service key"}
	// ErrStatement: the signed payload is not a verification summary as
	// this package writes one. Code trustgate.Invalid, reason
	// RECEIPT_STATEMENT_INVALID; the field is the statement's JSON path
	// ("payload.predicate.verificationResult").
	ErrStatement = &trustgate.Error{Code: trustgate.Invalid, Reason: "RECEIPT_STATEMENT_INVALID",
		Message: "receipt: not a trustgate verification summary"}
	// ErrProof: the inclusion proof does not verify under the trust
	// policy (malformed, truncated, for another log, signed by another
	// key). Code that of the auditlog error it wraps (trustgate.Tampered,
	// or trustgate.Invalid for a proof that does not parse), reason
	// RECEIPT_PROOF_INVALID, field proof.
	ErrProof = &trustgate.Error{Code: trustgate.Tampered, Reason: "RECEIPT_PROOF_INVALID", Field: "proof",
		Message: "receipt: the inclusion proof does not verify"}
	// ErrEvent: the proof proves an audit event other than the one the
	// statement names (another digest, another sequence number, another
	// time). Code trustgate.Tampered, reason RECEIPT_EVENT_MISMATCH.
	ErrEvent = &trustgate.Error{Code: trustgate.Tampered, Reason: "RECEIPT_EVENT_MISMATCH",
		Message: "receipt: the proof is not of the audit event the statement names"}
)

// fail returns an error of sentinel's code and reason for field.
func fail(sentinel *trustgate.Error, field, reason string) *trustgate.Error {
	return &trustgate.Error{Code: sentinel.Code, Reason: sentinel.Reason, Field: field,
		Message: "receipt: " + field + ": " + reason, Err: sentinel}
}

// wrap returns an error of sentinel's reason for field, caused by cause,
// whose code it takes when it carries one: errors.Is finds both.
func wrap(sentinel *trustgate.Error, field, reason string, cause error) *trustgate.Error {
	code := sentinel.Code
	var te *trustgate.Error
	if errors.As(cause, &te) {
		code = te.Code
	}
	return &trustgate.Error{Code: code, Reason: sentinel.Reason, Field: field,
		Message: "receipt: " + field + ": " + reason + ": " + cause.Error(), Err: errors.Join(sentinel, cause)}
}

// quote quotes s for a message, cut to 64 bytes: input may be large.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "…"
	}
	return strconv.Quote(s)
}
