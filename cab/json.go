package cab

import (
	"encoding/json"
	"fmt"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/wire"
	"github.com/buildworksai/trustgate/security"
)

// The JSON forms of [Decision] and [Reason]; see the package doc's JSON
// section. The wire structs are the format: snake_case members, decimals
// as strings, the model hash as hex, omitted while zero.

type reasonJSON struct {
	Code ReasonCode `json:"code"`
	Text string     `json:"text"`
}

type decisionJSON struct {
	Outcome            Outcome           `json:"outcome"`
	Reason             reasonJSON        `json:"reason"`
	Score              string            `json:"score"`
	Class              blastradius.Class `json:"class"`
	Threshold          string            `json:"threshold"`
	ExceptionThreshold string            `json:"exception_threshold"`
	ModelVersion       string            `json:"model_version"`
	ModelSHA256        string            `json:"model_sha256,omitempty"`
	Quorum             int               `json:"quorum"`
}

// MarshalJSON writes r as {"code": …, "text": …}.
func (r Reason) MarshalJSON() ([]byte, error) {
	return json.Marshal(reasonJSON(r))
}

// UnmarshalJSON reads the form [Reason.MarshalJSON] writes. An unknown
// code, a missing member or any other member is an invalid-input
// *trustgate.Error naming it.
func (r *Reason) UnmarshalJSON(data []byte) error {
	v, err := decodeReason(data, "")
	if err != nil {
		return err
	}
	*r = v
	return nil
}

func decodeReason(data []byte, path string) (Reason, error) {
	o, err := wire.Read("cab", data, path, "code", "text")
	if err != nil {
		return Reason{}, err
	}
	code := ReasonCode(o.String("code"))
	if o.Err() == nil && !code.known() {
		o.Fail("code", fmt.Sprintf("unknown reason code %q", code), nil)
	}
	r := Reason{Code: code, Text: o.String("text")}
	return r, o.Err()
}

// known reports whether c is one of the reason codes.
func (c ReasonCode) known() bool {
	switch c {
	case ReasonExceptionThreshold, ReasonClassNeverAuto, ReasonAutomationNotEarned, ReasonWithinThreshold, ReasonAboveThreshold:
		return true
	}
	return false
}

// known reports whether o is one of the outcomes.
func (o Outcome) known() bool {
	return o == AutoApproved || o == ManualReview || o == ExceptionRequired
}

// MarshalJSON writes d in the package's JSON form: snake_case members, the
// score and thresholds as decimal strings, the model hash as hex (omitted
// while zero). It writes what d holds and does not validate it.
func (d Decision) MarshalJSON() ([]byte, error) {
	w := decisionJSON{
		Outcome: d.Outcome, Reason: reasonJSON(d.Reason), Score: wire.Decimal(d.Score), Class: d.Class,
		Threshold: wire.Decimal(d.Threshold), ExceptionThreshold: wire.Decimal(d.ExceptionThreshold),
		ModelVersion: d.ModelVersion, Quorum: d.Quorum,
	}
	if !d.ModelHash.IsZero() {
		w.ModelSHA256 = d.ModelHash.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Decision.MarshalJSON] writes. Every member
// but model_sha256 is required; an unknown outcome, reason code or class,
// a malformed decimal or digest, a negative quorum, a member of the wrong
// JSON type, any other member, or null is an invalid-input
// *trustgate.Error whose Field names the member ("reason.code"). On error
// d is unchanged.
func (d *Decision) UnmarshalJSON(data []byte) error {
	v, err := decodeDecision(data, "")
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func decodeDecision(data []byte, path string) (Decision, error) {
	o, err := wire.Read("cab", data, path, "outcome", "reason", "score", "class", "threshold",
		"exception_threshold", "model_version", "model_sha256", "quorum")
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	d.Outcome = Outcome(o.String("outcome"))
	if o.Err() == nil && !d.Outcome.known() {
		o.Fail("outcome", fmt.Sprintf("unknown outcome %q (want auto_approved, manual_review or exception_required)", d.Outcome), nil)
	}
	if raw := o.Raw("reason", true); raw != nil {
		d.Reason, err = decodeReason(raw, o.Path("reason"))
		o.FailWith(err)
	}
	d.Score = o.Decimal("score")
	if s := o.String("class"); o.Err() == nil {
		c, err := blastradius.Parse(s)
		if err != nil {
			o.Fail("class", fmt.Sprintf("unknown class %q", s), err)
		}
		d.Class = c
	}
	d.Threshold = o.Decimal("threshold")
	d.ExceptionThreshold = o.Decimal("exception_threshold")
	d.ModelVersion = o.String("model_version")
	if s := o.OptString("model_sha256"); s != "" {
		h, err := security.ParseDigest(o.Path("model_sha256"), s)
		if err != nil {
			o.Fail("model_sha256", "malformed SHA-256 digest (want 64 hex digits)", err)
		}
		d.ModelHash = h
	}
	if q := o.Int("quorum"); q < 0 || q > 1<<16 {
		o.Fail("quorum", fmt.Sprintf("quorum %d out of range", q), nil)
	} else {
		d.Quorum = int(q)
	}
	if err := o.Err(); err != nil {
		return Decision{}, err
	}
	return d, nil
}
