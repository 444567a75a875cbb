package incident

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Severity is an incident's severity, P1 (most severe) to P4.
type Severity string

// The four severities.
const (
	P1 Severity = "P1"
	P2 Severity = "P2"
	P3 Severity = "P3"
	P4 Severity = "P4"
)

// Severities returns P1 to P4.
func Severities() []Severity { return []Severity{P1, P2, P3, P4} }

// Valid reports whether s is P1, P2, P3 or P4.
func (s Severity) Valid() bool { return s == P1 || s == P2 || s == P3 || s == P4 }

// ParseSeverity returns the severity named by s ("P1" … "P4"), or an
// invalid-input error for the field "severity".
func ParseSeverity(s string) (Severity, error) {
	if !Severity(s).Valid() {
		return "", fieldErr("severity", "%q is not a severity (P1, P2, P3 or P4)", s)
	}
	return Severity(s), nil
}

// fieldErr is the error for an invalid field: code Invalid, the field's
// path in the names of the JSON form, and a message
// "incident: <field>: <reason>".
func fieldErr(field, format string, args ...any) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field,
		Message: "incident: " + field + ": " + fmt.Sprintf(format, args...)}
}

// Attribution says how an incident was tied to a deployment.
type Attribution string

// The attributions.
const (
	// AttributionNone: the incident names no deployment and none could be
	// inferred (no deployment of the application finished before it).
	AttributionNone Attribution = "none"
	// AttributionReported: the reporter named the deployment.
	AttributionReported Attribution = "reported"
	// AttributionInferred: the store attributed it to the latest deployment
	// of the same application that finished before the incident was
	// reported.
	AttributionInferred Attribution = "inferred"
)

// Incident is a production incident caused (or suspected to be caused) by a
// deployment: the numerator of every incident rate.
//
// The linkage, severity and facts at approval are fixed when the incident is
// created; only the resolution fields change afterwards ([Update]).
type Incident struct {
	ID            uuid.UUID
	CorrelationID string // unique: the idempotency key of the report
	Severity      Severity
	OccurredAt    time.Time // when the incident happened
	Application   string    // used to infer the deployment when none is named

	// Linkage. DeploymentID is set when reported or inferred; Attribution
	// says which.
	DeploymentID  uuid.UUID
	EvidenceID    uuid.UUID
	CABApprovalID uuid.UUID
	Attribution   Attribution

	// Facts at approval. When the incident is linked to a recorded
	// deployment, the store takes them from the deployment record.
	WasAutoApproved     bool
	RiskScoreAtApproval decimal.Decimal
	BlastRadius         blastradius.Class

	AffectedUsers     int
	DowntimeMinutes   int
	BusinessImpactUSD decimal.Decimal

	Resolution

	CreatedAt time.Time // when it was reported
	UpdatedAt time.Time
	// Attestation is the report's statement signed by the service key
	// ([Incident.Verify]); empty when the store had no service key.
	Attestation dsse.Envelope
}

// Resolution holds the fields that change as an incident is worked.
type Resolution struct {
	RootCause           string
	Resolution          string
	ResolvedAt          time.Time // zero while unresolved
	WasPreventable      *bool     // nil until known
	PreventabilityNotes string
	ControlImprovements json.RawMessage // nil or a JSON array or object
}

// Update changes the resolution fields of an incident; nil fields are left
// as they are. Linkage and severity are never rewritten: there are no fields
// for them.
type Update struct {
	RootCause           *string
	Resolution          *string
	ResolvedAt          *time.Time
	WasPreventable      *bool
	PreventabilityNotes *string
	ControlImprovements *json.RawMessage
}

// Limits on incident fields.
const (
	MaxTextLength  = 16 << 10 // root cause, resolution, notes
	MaxShortLength = 256      // correlation id, application
	MaxClockSkew   = 5 * time.Minute
)

var hundred = decimal.NewFromInt(100)

// Validate checks an incident as reported, against now (the reporting
// time): a severity; an occurrence time that is set and not later than now
// plus [MaxClockSkew]; a correlation id and, unless a deployment is named,
// an application; no negative counts, downtime or business impact; a risk
// score in [0, 100] and a valid class when given; and the resolution fields
// ([Resolution.Validate]). Every problem is a *trustgate.Error with code
// [trustgate.Invalid] naming the field; the first is returned.
func (in *Incident) Validate(now time.Time) error {
	switch {
	case !in.Severity.Valid():
		return fieldErr("severity", "%q is not a severity (P1, P2, P3 or P4)", in.Severity)
	case in.OccurredAt.IsZero():
		return fieldErr("occurred_at", "required")
	case in.OccurredAt.After(now.Add(MaxClockSkew)):
		return fieldErr("occurred_at", "%s is in the future (now %s, allowed skew %s)",
			in.OccurredAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), MaxClockSkew)
	case in.AffectedUsers < 0:
		return fieldErr("affected_users", "%d is negative", in.AffectedUsers)
	case in.DowntimeMinutes < 0:
		return fieldErr("downtime_minutes", "%d is negative", in.DowntimeMinutes)
	case in.BusinessImpactUSD.IsNegative():
		return fieldErr("business_impact_usd", "%s is negative", in.BusinessImpactUSD)
	case !num.InRange(in.RiskScoreAtApproval, decimal.Zero, hundred):
		return fieldErr("risk_score_at_approval", "%s is outside [0, 100]", in.RiskScoreAtApproval)
	case in.BlastRadius != "" && !in.BlastRadius.Valid():
		return fieldErr("blast_radius", "%q is not a blast radius class", in.BlastRadius)
	case in.DeploymentID == uuid.Nil && strings.TrimSpace(in.Application) == "":
		return fieldErr("application", "required when no deployment is named, to attribute the incident")
	}
	if err := checkShort("correlation_id", in.CorrelationID, true); err != nil {
		return err
	}
	if err := checkShort("application", in.Application, false); err != nil {
		return err
	}
	return in.Resolution.Validate(in.OccurredAt)
}

// Validate checks resolution fields: texts within [MaxTextLength] and valid
// UTF-8, a resolution time not before the incident occurred, and control
// improvements that are a JSON array or object.
func (r *Resolution) Validate(occurredAt time.Time) error {
	for _, f := range []struct{ name, v string }{
		{"root_cause", r.RootCause}, {"resolution", r.Resolution}, {"preventability_notes", r.PreventabilityNotes},
	} {
		if len(f.v) > MaxTextLength {
			return fieldErr(f.name, "longer than %d bytes", MaxTextLength)
		}
		if !utf8.ValidString(f.v) {
			return fieldErr(f.name, "not valid UTF-8")
		}
	}
	if !r.ResolvedAt.IsZero() && r.ResolvedAt.Before(occurredAt) {
		return fieldErr("resolved_at", "before the incident occurred")
	}
	if r.ControlImprovements != nil {
		t := strings.TrimSpace(string(r.ControlImprovements))
		if len(t) > MaxTextLength || t == "" || (t[0] != '[' && t[0] != '{') || !json.Valid([]byte(t)) {
			return fieldErr("control_improvements", "must be a JSON array or object")
		}
	}
	return nil
}

// Apply returns r with the update's non-nil fields set.
func (u Update) Apply(r Resolution) Resolution {
	if u.RootCause != nil {
		r.RootCause = *u.RootCause
	}
	if u.Resolution != nil {
		r.Resolution = *u.Resolution
	}
	if u.ResolvedAt != nil {
		r.ResolvedAt = *u.ResolvedAt
	}
	if u.WasPreventable != nil {
		b := *u.WasPreventable
		r.WasPreventable = &b
	}
	if u.PreventabilityNotes != nil {
		r.PreventabilityNotes = *u.PreventabilityNotes
	}
	if u.ControlImprovements != nil {
		r.ControlImprovements = append(json.RawMessage(nil), (*u.ControlImprovements)...)
	}
	return r
}

func checkShort(field, s string, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return fieldErr(field, "required")
	case len(s) > MaxShortLength:
		return fieldErr(field, "longer than %d bytes", MaxShortLength)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fieldErr(field, "must be valid UTF-8 without control characters")
	}
	return nil
}
