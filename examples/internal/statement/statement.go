// Package statement is what a CAB member's key signs, and how: trustgate's
// canonical statements (an approval of a CAB request or of its exception,
// of a risk model version, of a maturity progression), checked and shown
// before they are signed, sealed as DSSE envelopes of payload type
// application/vnd.in-toto+json. The sign command and trustgate sign share
// it.
//
// A member's key signs trustgate's statements and nothing else: [Check]
// refuses anything but a canonical (RFC 8785) in-toto Statement v1 with a
// trustgate predicate type and a subject, so that what is signed has one
// meaning.
package statement

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// Check returns the statement payload holds: a canonical in-toto
// Statement v1 with a trustgate predicate type and a subject. Anything
// else is a *trustgate.Error of code trustgate.Invalid naming the field
// ("payload", "payload.predicateType", …).
func Check(payload []byte) (attest.Statement, error) {
	var st attest.Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return st, &trustgate.Error{Code: trustgate.Invalid, Field: "payload", Err: err,
			Message: fmt.Sprintf("statement: not a JSON statement: %v", err)}
	}
	if !strings.HasPrefix(st.PredicateType, attest.PredicatePrefix) {
		return st, &trustgate.Error{Code: trustgate.Invalid, Field: "payload.predicateType",
			Message: fmt.Sprintf("statement: predicate type %q is not trustgate's (%s…): refusing to sign it", st.PredicateType, attest.PredicatePrefix)}
	}
	// Decode checks the framing, the subject and that the bytes are the
	// statement's canonical form.
	if _, err := attest.Decode(payload, st.PredicateType, nil); err != nil {
		return st, fmt.Errorf("statement: not a statement to sign: %w", err)
	}
	return st, nil
}

// Trim removes the white space a terminal or an editor may have added
// after a statement: a canonical statement never ends in it.
func Trim(raw []byte) []byte { return bytes.TrimRight(raw, " \t\r\n") }

// Sign checks payload ([Check]), shows on show what is about to be signed
// (the key id, the predicate type, each subject and the predicate: the
// request, the member, the comment), and signs the exact bytes with key.
func Sign(key crypto.Signer, payload []byte, show io.Writer) (dsse.Envelope, error) {
	signer, err := dsse.NewSigner(key)
	if err != nil {
		return dsse.Envelope{}, err
	}
	if len(payload) > dsse.MaxPayload {
		return dsse.Envelope{}, &trustgate.Error{Code: trustgate.Invalid, Field: "payload",
			Message: fmt.Sprintf("statement: larger than %d bytes", dsse.MaxPayload)}
	}
	st, err := Check(payload)
	if err != nil {
		return dsse.Envelope{}, err
	}
	fmt.Fprintf(show, "signing with key %s:\n  %s\n", signer.KeyID(), st.PredicateType)
	for _, s := range st.Subject {
		fmt.Fprintf(show, "  about %s sha256:%s\n", s.Name, s.Digest["sha256"])
	}
	fmt.Fprintf(show, "  %s\n", st.Predicate)
	return dsse.Seal(attest.PayloadType, payload, signer)
}

// Body wraps an envelope's JSON as {"envelope": …}, the body of the
// reference server's approve endpoints.
func Body(env []byte) []byte {
	return append(append([]byte(`{"envelope":`), env...), '}')
}
