package receipt

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// Authorization returns the receipt of a CAB request's authorisation: an
// in-toto Statement v1 about the artifact the request pinned (subject:
// req.Application and req.ArtifactDigest, as in the signed decision)
// carrying a SLSA Verification Summary v1, signed by svc's service key.
// event is the workflow's audit event about req that records the status
// it now has: its latest cab.submitted, cab.approved, cab.rejected,
// cab.exception_requested or cab.exception_approved event.
//
// Everything is taken from what was signed. The request must verify
// (cab.Request.Verify: the signed decision, approvals, rejection and
// exception, and a status that is the one they give); the policy is the
// model the signed decision names (its version and content hash). The
// result is what cab.Authorize says of the pinned artifact at the event's
// time: PASSED when the request authorises the deployment (auto-approved,
// approved to quorum, or an approved exception not expired at the event's
// time), FAILED otherwise. verifiedLevels lists "FAILED" first for a
// failure, or "TRUSTGATE_DEPLOYMENT_AUTHORIZED"; then
// "TRUSTGATE_STATUS_<STATUS>" (the verified status, upper case); then
// "TRUSTGATE_REASON_<code>" for each of the decision's reason codes
// (cab.Decision.Reasons, the deciding one first) and, for a failure, the
// refusal's reason (DEPLOYMENT_NOT_AUTHORIZED, EXCEPTION_EXPIRED, …).
//
// A request that does not verify is refused with an error wrapping
// [ErrInput] and the record error (code trustgate.Tampered). An event
// that is not about req ("cab-request:<id>", request_id) or records
// another status than req's, and a decision naming no model content
// hash, are refused with an error wrapping [ErrInput] naming the field.
func Authorization(svc *attest.Service, req *cab.Request, event security.Event, opts Options) (dsse.Envelope, error) {
	if svc == nil {
		return dsse.Envelope{}, fail(ErrInput, "service", "a service signer is required")
	}
	if req == nil {
		return dsse.Envelope{}, fail(ErrInput, "request", "no request given")
	}
	keys := svc.Keys()
	if err := req.Verify(keys); err != nil {
		return dsse.Envelope{}, wrap(ErrInput, "request", "the request's signed records do not verify", err)
	}
	d := req.Decision
	if d.ModelHash.IsZero() {
		return dsse.Envelope{}, fail(ErrInput, "request.decision.model_sha256", "the signed decision names no model content hash")
	}
	policy := Policy{URI: RiskModelURIPrefix + d.ModelVersion, Digest: d.ModelHash}
	if err := policy.check(); err != nil {
		return dsse.Envelope{}, err
	}
	if err := aboutRequest(req, event); err != nil {
		return dsse.Envelope{}, err
	}
	leaf, err := leafOf(event)
	if err != nil {
		return dsse.Envelope{}, err
	}

	auth, authErr := cab.Authorize(*req, keys, req.ArtifactDigest, event.OccurredAt)
	passed := authErr == nil
	var refusal string
	if !passed {
		e := trustgate.AsError(authErr)
		if e.Code == trustgate.Tampered || e.Code == trustgate.Invalid || e.Code == trustgate.Internal {
			return dsse.Envelope{}, wrap(ErrInput, "request", "authorising", authErr)
		}
		refusal = e.Reason
	}
	status := req.Status
	levels := []string{LevelFailed}
	if passed {
		status = auth.Status
		levels = []string{LevelAuthorized}
	}
	levels = append(levels, StatusPrefix+strings.ToUpper(string(status)))
	add := func(field, code string) error {
		l, err := codeLevel(field, code)
		if err != nil {
			return err
		}
		if !slices.Contains(levels, l) {
			levels = append(levels, l)
		}
		return nil
	}
	for _, r := range d.Reasons() {
		if err := add("request.decision.reason", string(r.Code)); err != nil {
			return dsse.Envelope{}, err
		}
	}
	if refusal != "" {
		if err := add("authorization", refusal); err != nil {
			return dsse.Envelope{}, err
		}
	}
	return seal(svc, attest.DigestSubject(req.Application, req.ArtifactDigest), CABRequestURIPrefix+req.ID.String(),
		policy, leaf, passed, levels, opts)
}

// aboutRequest checks that event is the workflow's event about req that
// records the status req has.
func aboutRequest(req *cab.Request, event security.Event) error {
	if want := "cab-request:" + req.ID.String(); event.Subject != want {
		return fail(ErrInput, "event.subject", "the event is about "+quote(event.Subject)+", not "+want)
	}
	var data struct {
		RequestID string `json:"request_id"`
		Status    string `json:"status"`
	}
	raw := event.Data
	if len(raw) == 0 {
		raw = []byte("{}") // as the event's canonical form writes it
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fail(ErrInput, "event.data."+te.Field, "not a string")
		}
		return fail(ErrInput, "event.data", "not a JSON object")
	}
	switch {
	case data.RequestID != req.ID.String():
		return fail(ErrInput, "event.data.request_id", "the event records request "+quote(data.RequestID)+", not "+req.ID.String())
	case data.Status != string(req.Status):
		return fail(ErrInput, "event.data.status", "the event records status "+quote(data.Status)+
			"; the request's verified status is "+string(req.Status)+": give its latest event")
	}
	return nil
}
