package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/shopspring/decimal"
)

// A request's approvals, rejection and exception are stored as JSON text:
// approvals a JSON array of {"by", "at", "comment", "envelope"}; rejection
// an object {"by", "at", "reason", "envelope"} or NULL; exception an object
// {"justification", "requested_by", "requested_at", "expires_at",
// "artifact_digest", "approvals", "attestation"} or NULL, each envelope the
// DSSE JSON form of the signed statement. Times inside them are UTC in a fixed-width layout
// with six fractional digits, digests hex. No approvals read back as nil,
// however they were written.

// progressTime is the layout of the times inside the progress JSON.
const progressTime = "2006-01-02T15:04:05.000000Z"

type approvalJSON struct {
	By       string         `json:"by"`
	At       string         `json:"at"`
	Comment  string         `json:"comment"`
	Envelope *dsse.Envelope `json:"envelope,omitempty"`
}

type rejectionJSON struct {
	By       string         `json:"by"`
	At       string         `json:"at"`
	Reason   string         `json:"reason"`
	Envelope *dsse.Envelope `json:"envelope,omitempty"`
}

type exceptionJSON struct {
	Justification  string         `json:"justification"`
	RequestedBy    string         `json:"requested_by"`
	RequestedAt    string         `json:"requested_at"`
	ExpiresAt      string         `json:"expires_at"`
	ArtifactDigest string         `json:"artifact_digest"`
	Approvals      []approvalJSON `json:"approvals"`
	Attestation    *dsse.Envelope `json:"attestation,omitempty"`
}

// envelopePtr returns env, or nil when it is empty (a record from before
// trustgate signed it).
func envelopePtr(env dsse.Envelope) *dsse.Envelope {
	if env.PayloadType == "" && env.Payload == nil && env.Signatures == nil {
		return nil
	}
	return &env
}

func envelopeOf(p *dsse.Envelope) dsse.Envelope {
	if p == nil {
		return dsse.Envelope{}
	}
	return *p
}

// envelopeJSON returns the column value of an envelope: its JSON form, or
// nil (NULL) when it is empty.
func envelopeJSON(env *dsse.Envelope) any {
	p := envelopePtr(*env)
	if p == nil {
		return nil
	}
	b, _ := json.Marshal(p) // strings and bytes: cannot fail
	return string(b)
}

// decodeEnvelope reads an envelope column; NULL is the empty envelope.
// Whether it verifies is for the verifier to say, not the decoder.
func decodeEnvelope(field, s string) (dsse.Envelope, error) {
	var env dsse.Envelope
	if s == "" {
		return env, nil
	}
	if err := json.Unmarshal([]byte(s), &env); err != nil {
		return dsse.Envelope{}, fmt.Errorf("%s: %v", field, err)
	}
	return env, nil
}

// factorsJSON returns the column value of a request's factor values: a
// JSON object of decimal strings, or nil (NULL) for a supplied score.
func factorsJSON(fs map[riskmodel.Factor]decimal.Decimal) any {
	if fs == nil {
		return nil
	}
	m := make(map[string]string, len(fs))
	for f, v := range fs {
		m[string(f)] = v.String()
	}
	b, _ := json.Marshal(m) // strings only: cannot fail
	return string(b)
}

func decodeFactors(s string) (map[riskmodel.Factor]decimal.Decimal, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("factors: %v", err)
	}
	out := make(map[riskmodel.Factor]decimal.Decimal, len(m))
	for f, v := range m {
		d, err := riskmodel.ParseDecimal("factors["+f+"]", v)
		if err != nil {
			return nil, err
		}
		out[riskmodel.Factor(f)] = d
	}
	return out, nil
}

func approvalsJSON(as []cab.Approval) []approvalJSON {
	out := make([]approvalJSON, len(as)) // never nil: an empty array, not null
	for i, a := range as {
		out[i] = approvalJSON{By: a.By, At: a.At.UTC().Format(progressTime), Comment: a.Comment, Envelope: envelopePtr(a.Envelope)}
	}
	return out
}

// progressJSON returns the column values of r's approvals, rejection and
// exception (nil for NULL). Structs of strings cannot fail to encode.
func progressJSON(r *cab.Request) (approvals string, rejection, exception any) {
	b, _ := json.Marshal(approvalsJSON(r.Approvals))
	approvals = string(b)
	if x := r.Rejection; x != nil {
		b, _ = json.Marshal(rejectionJSON{By: x.By, At: x.At.UTC().Format(progressTime), Reason: x.Reason, Envelope: envelopePtr(x.Envelope)})
		rejection = string(b)
	}
	if x := r.Exception; x != nil {
		b, _ = json.Marshal(exceptionJSON{Justification: x.Justification, RequestedBy: x.RequestedBy,
			RequestedAt: x.RequestedAt.UTC().Format(progressTime), ExpiresAt: x.ExpiresAt.UTC().Format(progressTime),
			ArtifactDigest: x.ArtifactDigest.String(), Approvals: approvalsJSON(x.Approvals), Attestation: envelopePtr(x.Attestation)})
		exception = string(b)
	}
	return approvals, rejection, exception
}

func parseProgressTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: time %q: %v", field, s, err)
	}
	return t.UTC(), nil
}

func fromApprovalsJSON(field string, js []approvalJSON) ([]cab.Approval, error) {
	if len(js) == 0 {
		return nil, nil
	}
	out := make([]cab.Approval, len(js))
	for i, j := range js {
		at, err := parseProgressTime(field, j.At)
		if err != nil {
			return nil, err
		}
		out[i] = cab.Approval{By: j.By, At: at, Comment: j.Comment, Envelope: envelopeOf(j.Envelope)}
	}
	return out, nil
}

// decodeProgress sets r's approvals, rejection and exception from their
// stored JSON; an empty rejection or exception text is NULL.
func decodeProgress(r *cab.Request, approvals, rejection, exception string) error {
	var as []approvalJSON
	if err := json.Unmarshal([]byte(approvals), &as); err != nil {
		return fmt.Errorf("approvals: %v", err)
	}
	var err error
	if r.Approvals, err = fromApprovalsJSON("approvals", as); err != nil {
		return err
	}
	if rejection != "" {
		var j rejectionJSON
		if err := json.Unmarshal([]byte(rejection), &j); err != nil {
			return fmt.Errorf("rejection: %v", err)
		}
		at, err := parseProgressTime("rejection", j.At)
		if err != nil {
			return err
		}
		r.Rejection = &cab.Rejection{By: j.By, At: at, Reason: j.Reason, Envelope: envelopeOf(j.Envelope)}
	}
	if exception != "" {
		var j exceptionJSON
		if err := json.Unmarshal([]byte(exception), &j); err != nil {
			return fmt.Errorf("exception: %v", err)
		}
		x := &cab.Exception{Justification: j.Justification, RequestedBy: j.RequestedBy, Attestation: envelopeOf(j.Attestation)}
		if x.RequestedAt, err = parseProgressTime("exception requested_at", j.RequestedAt); err != nil {
			return err
		}
		if x.ExpiresAt, err = parseProgressTime("exception expires_at", j.ExpiresAt); err != nil {
			return err
		}
		if x.ArtifactDigest, err = security.ParseDigest("exception artifact_digest", j.ArtifactDigest); err != nil {
			return err
		}
		if x.Approvals, err = fromApprovalsJSON("exception approvals", j.Approvals); err != nil {
			return err
		}
		r.Exception = x
	}
	return nil
}
