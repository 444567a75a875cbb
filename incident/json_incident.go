package incident

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/wire"
)

// The JSON form of [Incident]; see the package doc's JSON section.

type incidentJSON struct {
	ID                  string            `json:"id"`
	CorrelationID       string            `json:"correlation_id"`
	Severity            Severity          `json:"severity"`
	OccurredAt          string            `json:"occurred_at"`
	Application         string            `json:"application"`
	DeploymentID        string            `json:"deployment_id,omitempty"`
	EvidenceID          string            `json:"evidence_id,omitempty"`
	CABApprovalID       string            `json:"cab_approval_id,omitempty"`
	Attribution         Attribution       `json:"attribution,omitempty"`
	WasAutoApproved     bool              `json:"was_auto_approved"`
	RiskScoreAtApproval string            `json:"risk_score_at_approval"`
	BlastRadius         blastradius.Class `json:"blast_radius,omitempty"`
	AffectedUsers       int               `json:"affected_users"`
	DowntimeMinutes     int               `json:"downtime_minutes"`
	BusinessImpactUSD   string            `json:"business_impact_usd"`
	RootCause           string            `json:"root_cause"`
	Resolution          string            `json:"resolution"`
	ResolvedAt          string            `json:"resolved_at,omitempty"`
	WasPreventable      *bool             `json:"was_preventable,omitempty"`
	PreventabilityNotes string            `json:"preventability_notes"`
	ControlImprovements json.RawMessage   `json:"control_improvements,omitempty"`
	CreatedAt           string            `json:"created_at,omitempty"`
	UpdatedAt           string            `json:"updated_at,omitempty"`
	Attestation         json.RawMessage   `json:"attestation,omitempty"`
}

// MarshalJSON writes in in the package's JSON form: one flat object, its
// [Resolution]'s members inline, in the field names [Incident.Validate]
// reports. Ids are UUID strings, the linked ids omitted while nil;
// attribution and blast_radius omitted while empty; the score and the
// impact decimal strings; times RFC 3339 in UTC, resolved_at, created_at
// and updated_at omitted while zero; was_preventable omitted while
// unknown; control_improvements the JSON it holds, omitted while nil; the
// attestation in its DSSE JSON form, omitted while unsigned.
func (in Incident) MarshalJSON() ([]byte, error) {
	w := incidentJSON{
		ID: in.ID.String(), CorrelationID: in.CorrelationID, Severity: in.Severity, OccurredAt: wire.Time(in.OccurredAt),
		Application: in.Application, DeploymentID: wire.OptUUIDString(in.DeploymentID), EvidenceID: wire.OptUUIDString(in.EvidenceID),
		CABApprovalID: wire.OptUUIDString(in.CABApprovalID), Attribution: in.Attribution, WasAutoApproved: in.WasAutoApproved,
		RiskScoreAtApproval: wire.Decimal(in.RiskScoreAtApproval), BlastRadius: in.BlastRadius,
		AffectedUsers: in.AffectedUsers, DowntimeMinutes: in.DowntimeMinutes, BusinessImpactUSD: wire.Decimal(in.BusinessImpactUSD),
		RootCause: in.RootCause, Resolution: in.Resolution.Resolution, ResolvedAt: wire.OptTime(in.ResolvedAt),
		WasPreventable: in.WasPreventable, PreventabilityNotes: in.PreventabilityNotes, ControlImprovements: in.ControlImprovements,
		CreatedAt: wire.OptTime(in.CreatedAt), UpdatedAt: wire.OptTime(in.UpdatedAt),
	}
	if len(in.Attestation.Signatures) > 0 {
		env, err := in.Attestation.Marshal()
		if err != nil {
			return nil, err
		}
		w.Attestation = env
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Incident.MarshalJSON] writes. The members
// it may omit are optional; the others are required. An unknown member,
// severity, attribution or class, a malformed UUID, decimal, time or
// envelope, a negative count, control_improvements that are not a JSON
// array or object, a member of the wrong JSON type or null is an
// invalid-input *trustgate.Error whose Field names the member. It checks
// the form, not the rules of [Incident.Validate], which need the clock,
// and does not verify the attestation. On error in is unchanged.
func (in *Incident) UnmarshalJSON(data []byte) error { return into(in, decodeIncident, data) }

func decodeIncident(data []byte, path string) (Incident, error) {
	o, err := wire.Read("incident", data, path, "id", "correlation_id", "severity", "occurred_at", "application",
		"deployment_id", "evidence_id", "cab_approval_id", "attribution", "was_auto_approved", "risk_score_at_approval",
		"blast_radius", "affected_users", "downtime_minutes", "business_impact_usd", "root_cause", "resolution",
		"resolved_at", "was_preventable", "preventability_notes", "control_improvements", "created_at", "updated_at",
		"attestation")
	if err != nil {
		return Incident{}, err
	}
	in := Incident{ID: o.UUID("id"), CorrelationID: o.String("correlation_id"), Severity: Severity(o.String("severity"))}
	if o.Err() == nil && !in.Severity.Valid() {
		o.Fail("severity", fmt.Sprintf("unknown severity %q (want P1, P2, P3 or P4)", in.Severity), nil)
	}
	in.OccurredAt, in.Application = o.Time("occurred_at"), o.String("application")
	in.DeploymentID, in.EvidenceID, in.CABApprovalID = o.OptUUID("deployment_id"), o.OptUUID("evidence_id"), o.OptUUID("cab_approval_id")
	switch in.Attribution = Attribution(o.OptString("attribution")); in.Attribution {
	case "", AttributionNone, AttributionReported, AttributionInferred:
	default:
		o.Fail("attribution", fmt.Sprintf("unknown attribution %q (want none, reported or inferred)", in.Attribution), nil)
	}
	in.WasAutoApproved, in.RiskScoreAtApproval = o.Bool("was_auto_approved"), o.Decimal("risk_score_at_approval")
	if s := o.OptString("blast_radius"); s != "" {
		c, err := blastradius.Parse(s)
		if err != nil {
			o.Fail("blast_radius", fmt.Sprintf("unknown class %q", s), err)
		}
		in.BlastRadius = c
	}
	in.AffectedUsers, in.DowntimeMinutes = int(count(o, "affected_users")), int(count(o, "downtime_minutes"))
	in.BusinessImpactUSD = o.Decimal("business_impact_usd")
	in.RootCause, in.Resolution.Resolution = o.String("root_cause"), o.String("resolution")
	in.ResolvedAt = o.OptTime("resolved_at")
	if raw := o.Raw("was_preventable", false); raw != nil {
		p := o.Bool("was_preventable")
		in.WasPreventable = &p
	}
	in.PreventabilityNotes = o.String("preventability_notes")
	if raw := o.Raw("control_improvements", false); raw != nil {
		var buf bytes.Buffer
		if raw[0] != '[' && raw[0] != '{' {
			o.Fail("control_improvements", "want a JSON array or object", nil)
		} else if err := json.Compact(&buf, raw); err != nil {
			o.Fail("control_improvements", "malformed JSON", err)
		} else {
			in.ControlImprovements = buf.Bytes()
		}
	}
	in.CreatedAt, in.UpdatedAt = o.OptTime("created_at"), o.OptTime("updated_at")
	in.Attestation = o.Envelope("attestation", false)
	if err := o.Err(); err != nil {
		return Incident{}, err
	}
	return in, nil
}
