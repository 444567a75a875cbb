package riskmodel

import (
	"encoding/json"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/wire"
)

// The JSON forms of [Version], [Approval] and [Signoff]; see the package
// doc's JSON section.

type approvalJSON struct {
	Approved bool   `json:"approved"`
	By       string `json:"by,omitempty"`
	At       string `json:"at,omitempty"`
}

type signoffJSON struct {
	By       string          `json:"by"`
	At       string          `json:"at"`
	Envelope json.RawMessage `json:"envelope"`
}

type versionJSON struct {
	Version            string            `json:"version"`
	Mode               Mode              `json:"mode"`
	EffectiveAt        string            `json:"effective_at"`
	ReviewAt           string            `json:"review_at"`
	Thresholds         map[string]string `json:"thresholds"`
	Weights            map[string]string `json:"weights"`
	ExceptionThreshold string            `json:"exception_threshold"`
	Approval           approvalJSON      `json:"approval"`
	Signoffs           []signoffJSON     `json:"signoffs"`
	Calibration        json.RawMessage   `json:"calibration,omitempty"`
	CreatedBy          string            `json:"created_by,omitempty"`
	CreatedAt          string            `json:"created_at,omitempty"`
	Active             bool              `json:"active"`
}

// MarshalJSON writes v in the package's JSON form: snake_case members,
// thresholds by class and weights by factor as decimal strings, times in
// RFC 3339 UTC, the approval cache as {"approved", "by", "at"} (by and at
// omitted while empty), the signoffs with their DSSE envelopes (an empty
// array when there are none), and calibration, created_by and created_at
// omitted while empty. It writes what v holds and does not validate it.
func (v Version) MarshalJSON() ([]byte, error) {
	w := versionJSON{
		Version: v.Version, Mode: v.Mode, EffectiveAt: wire.Time(v.EffectiveAt), ReviewAt: wire.Time(v.ReviewAt),
		Thresholds: make(map[string]string, len(v.Thresholds)), Weights: make(map[string]string, len(v.Weights)),
		ExceptionThreshold: wire.Decimal(v.ExceptionThreshold),
		Approval:           approvalJSON{Approved: v.Approval.Approved, By: v.Approval.By, At: wire.OptTime(v.Approval.At)},
		Signoffs:           make([]signoffJSON, len(v.Signoffs)), Calibration: v.Calibration,
		CreatedBy: v.CreatedBy, CreatedAt: wire.OptTime(v.CreatedAt), Active: v.Active,
	}
	for c, t := range v.Thresholds {
		w.Thresholds[string(c)] = wire.Decimal(t)
	}
	for f, x := range v.Weights {
		w.Weights[string(f)] = wire.Decimal(x)
	}
	for i, s := range v.Signoffs {
		env, err := s.Envelope.Marshal()
		if err != nil {
			return nil, err
		}
		w.Signoffs[i] = signoffJSON{By: s.By, At: wire.Time(s.At), Envelope: env}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Version.MarshalJSON] writes, and also a
// candidate as a CAB member writes one: version, mode, effective_at,
// review_at, thresholds, weights and exception_threshold are required;
// approval, signoffs, calibration, created_by, created_at and active may
// be left out. Decimals are JSON strings ("12.5"), never numbers. The
// version read is then held to [Version.Validate], so what decodes is a
// version the library would store, with the error naming the member
// ("thresholds[CRITICAL_INFRASTRUCTURE]", "weights[test_coverage]").
// A malformed decimal, time or envelope, a member of the wrong JSON type,
// any other member or null is an invalid-input *trustgate.Error naming
// it ("signoffs[1].envelope.payload"). On error v is unchanged.
//
// Reading checks the form, not the signatures: a signoff is believed only
// once [Version.Approvers] or [Version.Ladder] verified it.
func (v *Version) UnmarshalJSON(data []byte) error {
	o, err := wire.Read("riskmodel", data, "", "version", "mode", "effective_at", "review_at", "thresholds",
		"weights", "exception_threshold", "approval", "signoffs", "calibration", "created_by", "created_at", "active")
	if err != nil {
		return err
	}
	x := Version{Version: o.String("version"), Mode: Mode(o.String("mode")),
		EffectiveAt: o.Time("effective_at"), ReviewAt: o.Time("review_at"),
		Thresholds: map[blastradius.Class]decimal.Decimal{}, Weights: map[Factor]decimal.Decimal{}}
	for c, d := range o.Decimals("thresholds", true) {
		x.Thresholds[blastradius.Class(c)] = d
	}
	for f, d := range o.Decimals("weights", true) {
		x.Weights[Factor(f)] = d
	}
	x.ExceptionThreshold = o.Decimal("exception_threshold")
	if raw := o.Raw("approval", false); raw != nil {
		a, err := wire.Read("riskmodel", raw, o.Path("approval"), "approved", "by", "at")
		if err != nil {
			o.FailWith(err)
		} else {
			x.Approval = Approval{Approved: a.Bool("approved"), By: a.OptString("by"), At: a.OptTime("at")}
			o.FailWith(a.Err())
		}
	}
	o.Array("signoffs", false, func(path string, raw json.RawMessage) error {
		s, err := wire.Read("riskmodel", raw, path, "by", "at", "envelope")
		if err != nil {
			return err
		}
		sig := Signoff{By: s.String("by"), At: s.Time("at"), Envelope: s.Envelope("envelope", true)}
		x.Signoffs = append(x.Signoffs, sig)
		return s.Err()
	})
	if raw := o.Raw("calibration", false); raw != nil {
		x.Calibration = slices.Clone(raw)
	}
	x.CreatedBy = o.OptString("created_by")
	x.CreatedAt = o.OptTime("created_at")
	x.Active = o.OptBool("active")
	if err := o.Err(); err != nil {
		return err
	}
	if err := x.Validate(); err != nil {
		return err
	}
	*v = x
	return nil
}
