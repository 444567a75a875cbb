package security

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/buildworksai/trustgate/internal/wire"
)

// The JSON forms of [Report] and [Check]; see the package doc's JSON
// section.

type checkJSON struct {
	Gate    Gate       `json:"gate"`
	Passed  bool       `json:"passed"`
	Skipped bool       `json:"skipped,omitempty"`
	Code    ReasonCode `json:"code,omitempty"`
	Detail  string     `json:"detail"`
}

type reportJSON struct {
	EvidenceID     string      `json:"evidence_id"`
	CorrelationID  string      `json:"correlation_id"`
	ArtifactName   string      `json:"artifact_name"`
	ArtifactSHA256 string      `json:"artifact_sha256,omitempty"`
	Passed         bool        `json:"passed"`
	Checks         []checkJSON `json:"checks"`
	AuditSeq       int64       `json:"audit_seq"`
}

// known reports whether g is one of the gates.
func (g Gate) known() bool {
	switch g {
	case GateEvidence, GateAttestation, GateArtifact, GateSBOM, GateSBOMSignature, GateBlastRadius:
		return true
	}
	return false
}

// known reports whether c is one of the reason codes.
func (c ReasonCode) known() bool {
	switch c {
	case EvidenceNotFound, EvidenceTampered, EvidenceUnattested, ArtifactNotInEvidence, ArtifactHashMismatch,
		SBOMMissing, SBOMHashMismatch, SBOMSignatureInvalid, BlastRadiusMissing, BlastRadiusInvalid:
		return true
	}
	return false
}

// MarshalJSON writes c as {"gate", "passed", "skipped", "code", "detail"},
// skipped omitted while false and code while empty.
func (c Check) MarshalJSON() ([]byte, error) { return json.Marshal(checkJSON(c)) }

// UnmarshalJSON reads the form [Check.MarshalJSON] writes: gate, passed
// and detail are required; an unknown gate or reason code, a member of
// the wrong JSON type or any other member is an invalid-input
// *trustgate.Error naming it. On error c is unchanged.
func (c *Check) UnmarshalJSON(data []byte) error {
	v, err := decodeCheck(data, "")
	if err != nil {
		return err
	}
	*c = v
	return nil
}

func decodeCheck(data []byte, path string) (Check, error) {
	o, err := wire.Read("security", data, path, "gate", "passed", "skipped", "code", "detail")
	if err != nil {
		return Check{}, err
	}
	var c Check
	c.Gate = Gate(o.String("gate"))
	if o.Err() == nil && !c.Gate.known() {
		o.Fail("gate", fmt.Sprintf("unknown gate %q", c.Gate), nil)
	}
	c.Passed = o.Bool("passed")
	c.Skipped = o.OptBool("skipped")
	c.Code = ReasonCode(o.OptString("code"))
	if o.Err() == nil && c.Code != "" && !c.Code.known() {
		o.Fail("code", fmt.Sprintf("unknown reason code %q", c.Code), nil)
	}
	c.Detail = o.String("detail")
	if err := o.Err(); err != nil {
		return Check{}, err
	}
	return c, nil
}

// MarshalJSON writes r in the package's JSON form: snake_case members, the
// evidence id as a UUID string, the artifact digest as hex (omitted while
// zero), passed as [Report.Passed] gives it, and the checks in order
// (an empty array when there are none).
func (r Report) MarshalJSON() ([]byte, error) {
	w := reportJSON{
		EvidenceID: r.EvidenceID.String(), CorrelationID: r.CorrelationID, ArtifactName: r.ArtifactName,
		Passed: r.Passed(), Checks: make([]checkJSON, len(r.Checks)), AuditSeq: r.AuditSeq,
	}
	if !r.ArtifactDigest.IsZero() {
		w.ArtifactSHA256 = r.ArtifactDigest.String()
	}
	for i, c := range r.Checks {
		w.Checks[i] = checkJSON(c)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Report.MarshalJSON] writes. Every member
// but artifact_sha256 is required; a malformed UUID or digest, a negative
// audit_seq, a passed that disagrees with the checks, a bad check, a
// member of the wrong JSON type, any other member or null is an
// invalid-input *trustgate.Error whose Field is the member's path
// ("checks[2].gate"). On error r is unchanged.
func (r *Report) UnmarshalJSON(data []byte) error {
	v, err := decodeReport(data, "")
	if err != nil {
		return err
	}
	*r = v
	return nil
}

func decodeReport(data []byte, path string) (Report, error) {
	o, err := wire.Read("security", data, path, "evidence_id", "correlation_id", "artifact_name",
		"artifact_sha256", "passed", "checks", "audit_seq")
	if err != nil {
		return Report{}, err
	}
	var r Report
	if s := o.String("evidence_id"); o.Err() == nil {
		id, err := uuid.Parse(s)
		if err != nil || len(s) != 36 {
			o.Fail("evidence_id", fmt.Sprintf("malformed UUID %q (want the 36-character form)", s), err)
		}
		r.EvidenceID = id
	}
	r.CorrelationID = o.String("correlation_id")
	r.ArtifactName = o.String("artifact_name")
	if s := o.OptString("artifact_sha256"); s != "" {
		d, err := ParseDigest(o.Path("artifact_sha256"), s)
		if err != nil {
			o.Fail("artifact_sha256", "malformed SHA-256 digest (want 64 hex digits)", err)
		}
		r.ArtifactDigest = d
	}
	passed := o.Bool("passed")
	o.Array("checks", true, func(path string, raw json.RawMessage) error {
		c, err := decodeCheck(raw, path)
		r.Checks = append(r.Checks, c)
		return err
	})
	if seq := o.Int("audit_seq"); seq < 0 {
		o.Fail("audit_seq", fmt.Sprintf("audit sequence number %d is negative", seq), nil)
	} else {
		r.AuditSeq = seq
	}
	if o.Err() == nil && passed != r.Passed() {
		o.Fail("passed", fmt.Sprintf("passed is %t but the checks say %t", passed, r.Passed()), nil)
	}
	if err := o.Err(); err != nil {
		return Report{}, err
	}
	return r, nil
}
