package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// Signed approvals. In member-signed mode (the keyring's "mode":
// "member-signed") an approval counts only when the member signed it with
// a key of their own, and the server never holds that key: the member
// fetches the canonical statement to sign (GET …/approval-statement),
// signs it in a terminal (go run ./examples/sign -key alice.pem) and posts
// the DSSE envelope as {"envelope": …}. In service-attested mode (the
// default) the service key countersigns the approval of the member the
// bearer token authenticated, and the body is {"comment": …}; a member's
// own envelope counts there too.

// signedApprovalDTO is the body of POST …/cab/requests/{id}/approve and
// …/exception/approve: a comment (service-attested), or the member's
// signed envelope, whose statement carries the comment.
type signedApprovalDTO struct {
	Comment  string          `json:"comment,omitempty"`
	Envelope json.RawMessage `json:"envelope,omitempty"`
}

// envelopeDTO is the body of the approvals of a risk model or a maturity
// progression: nothing (service-attested), or the member's envelope.
type envelopeDTO struct {
	Envelope json.RawMessage `json:"envelope,omitempty"`
}

// present reports whether an optional JSON member was given: absent and
// null are the same, as for every other member of a body.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// parseEnvelope parses the DSSE envelope in the body member named member
// (dsse.Parse, strict). A malformed envelope could not be read: 400
// ENVELOPE_MALFORMED naming the field ("envelope.signatures[0].sig").
func parseEnvelope(member string, raw json.RawMessage) (dsse.Envelope, error) {
	env, err := dsse.Parse(raw)
	if err != nil {
		field := member
		if e := trustgate.AsError(err); e != nil && strings.HasPrefix(e.Field, "envelope") {
			field = member + strings.TrimPrefix(e.Field, "envelope")
		}
		return dsse.Envelope{}, newHTTPError(http.StatusBadRequest, codeEnvelopeMalformed, field, member+": "+err.Error())
	}
	return env, nil
}

// memberEnvelope returns the member's envelope from a body, when there is
// one. The statement must name the authenticated principal: members post
// their own approvals (STATEMENT_MISMATCH otherwise; whether the member's
// key signed it the library checks).
func (s *Server) memberEnvelope(p *principal, raw json.RawMessage) (dsse.Envelope, bool, error) {
	if !present(raw) {
		return dsse.Envelope{}, false, nil
	}
	env, err := parseEnvelope("envelope", raw)
	if err != nil {
		return env, false, err
	}
	var st struct {
		Predicate struct {
			Member string `json:"member"`
		} `json:"predicate"`
	}
	if json.Unmarshal(env.Payload, &st) == nil && st.Predicate.Member != "" && st.Predicate.Member != attest.NormalizeName(p.Name) {
		return env, false, attest.StatementError("payload.predicate.member",
			fmt.Sprintf("names %q, but the caller is %q: a member posts their own signed approval", st.Predicate.Member, attest.NormalizeName(p.Name)))
	}
	return env, true, nil
}

// withStatementHint adds, to a refusal of an unsigned approval in
// member-signed mode, where the statement to sign is.
func withStatementHint(err error, statementPath string) error {
	if errors.Is(err, cab.ErrMemberSignature) || errors.Is(err, maturity.ErrMemberSignature) {
		return fmt.Errorf("%w: sign the statement GET %s returns (go run ./examples/sign -key KEY) and post {\"envelope\": …}", err, statementPath)
	}
	return err
}

// member returns the authenticated principal's name as the keyring has
// it, refusing a principal that is not a CAB member (403 NOT_CAB_MEMBER).
func (s *Server) member(p *principal) (string, error) {
	name, err := attest.CheckName("member", p.Name)
	if err != nil {
		return "", err
	}
	if !s.keys.IsMember(name) {
		return "", fmt.Errorf("%q is not a member of the keyring: %w", name, cab.ErrNotMember)
	}
	return name, nil
}

// writeStatement answers the canonical statement a member signs: exactly
// the payload bytes, RFC 8785 JSON, with nothing added (no line break), so
// that what is saved is what is signed.
func writeStatement(w http.ResponseWriter, payload []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
}
