package dsse

import "github.com/buildworksai/trustgate"

// The errors of this package. Each is a *trustgate.Error; the errors the
// functions return are fresh *trustgate.Error values with the same code and
// reason, a message saying what exactly is wrong, the field where one
// applies, and Err set to one of these, so errors.Is(err, ErrSignature)
// holds and trustgate.AsError(err) gives the code, reason and field.
var (
	// ErrMalformed: the envelope's JSON form breaks a rule (see [Parse]), or
	// what [Seal] or [Signer.Sign] were given would make such an envelope.
	// Code trustgate.Invalid, reason ENVELOPE_MALFORMED; the error wrapping
	// it names the field ("envelope.signatures[2].sig").
	ErrMalformed = &trustgate.Error{Code: trustgate.Invalid, Reason: "ENVELOPE_MALFORMED",
		Message: "dsse: malformed envelope"}
	// ErrSignature: no signature verifies. Code trustgate.Forbidden,
	// reason SIGNATURE_INVALID.
	ErrSignature = &trustgate.Error{Code: trustgate.Forbidden, Reason: "SIGNATURE_INVALID",
		Message: "dsse: signature does not verify"}
	// ErrUnsupportedKey: the key is nil, malformed, or of a type other than
	// Ed25519 or ECDSA on P-256. Code trustgate.Invalid, reason
	// KEY_UNSUPPORTED.
	ErrUnsupportedKey = &trustgate.Error{Code: trustgate.Invalid, Reason: "KEY_UNSUPPORTED",
		Message: "dsse: unsupported key type"}
)

// signingFailed is the reason of an error from the crypto.Signer itself.
const signingFailed = "SIGNING_FAILED"

// malformed returns the error for a malformed envelope at field.
func malformed(field, reason string) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Reason: "ENVELOPE_MALFORMED", Field: field,
		Message: "dsse: " + field + ": " + reason, Err: ErrMalformed}
}

// unsupported returns the error for a key that is not supported.
func unsupported(reason string) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Reason: "KEY_UNSUPPORTED",
		Message: "dsse: unsupported key: " + reason, Err: ErrUnsupportedKey}
}

// badSignature returns the error for a signature that does not verify.
func badSignature(reason string) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Forbidden, Reason: "SIGNATURE_INVALID",
		Message: "dsse: " + reason, Err: ErrSignature}
}
