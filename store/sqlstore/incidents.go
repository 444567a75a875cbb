package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

const incidentColumns = `id, correlation_id, severity, occurred_at, application, deployment_id, evidence_id,
	cab_approval_id, attribution, was_auto_approved, risk_score_at_approval, blast_radius, affected_users,
	downtime_minutes, business_impact_usd, root_cause, resolution, resolved_at, was_preventable,
	preventability_notes, control_improvements, created_at, updated_at`

func (c conn) createIncident(ctx context.Context, in incident.Incident) (incident.Incident, error) {
	const op = "create incident"
	now := c.s.now()
	in.OccurredAt, in.ResolvedAt = normTime(in.OccurredAt), normTime(in.ResolvedAt)
	if err := in.Validate(now); err != nil {
		return incident.Incident{}, err
	}
	fp, err := fingerprint(in)
	if err != nil {
		return incident.Incident{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	// Writes are serialised, so this check and the insert below do not race.
	var storedID uuid.UUID
	var storedFP string
	err = c.queryRow(ctx, `SELECT id, fingerprint FROM incidents WHERE correlation_id = ?`, in.CorrelationID).
		Scan(idCol{&storedID}, &storedFP)
	switch {
	case err == nil && storedFP != fp:
		return incident.Incident{}, conflict("%s: correlation id %q holds a different report", op, in.CorrelationID)
	case err == nil:
		return c.incident(ctx, storedID) // the same report again: nothing written
	case !errors.Is(err, sql.ErrNoRows):
		return incident.Incident{}, c.s.fail(ctx, op, err)
	}

	if in.ID == uuid.Nil {
		if in.ID, err = uuid.NewV7(); err != nil {
			return incident.Incident{}, fmt.Errorf("sqlstore: %s: new id: %w", op, err)
		}
	}
	if err := c.link(ctx, &in, now); err != nil {
		return incident.Incident{}, err
	}
	in.CreatedAt = normTime(now)
	in.UpdatedAt = in.CreatedAt
	var ci any
	if in.ControlImprovements != nil {
		ci = string(in.ControlImprovements)
	}
	ok, err := c.insertOnce(ctx, op, `INSERT INTO incidents (fingerprint, `+incidentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		fp, in.ID.String(), in.CorrelationID, string(in.Severity), c.s.timeArg(in.OccurredAt), in.Application,
		nullIDArg(in.DeploymentID), nullIDArg(in.EvidenceID), nullIDArg(in.CABApprovalID), string(in.Attribution),
		in.WasAutoApproved, in.RiskScoreAtApproval.String(), string(in.BlastRadius), in.AffectedUsers,
		in.DowntimeMinutes, in.BusinessImpactUSD.String(), in.RootCause, in.Resolution.Resolution,
		c.s.nullTimeArg(in.ResolvedAt), nullBoolArg(in.WasPreventable), in.PreventabilityNotes, ci,
		c.s.timeArg(in.CreatedAt), c.s.timeArg(in.UpdatedAt))
	if err != nil {
		return incident.Incident{}, err
	}
	if !ok {
		return incident.Incident{}, conflict("%s: incident id %s is taken", op, in.ID)
	}
	deployment := "" // when unattributed, as in the in-memory adapter's events
	if in.DeploymentID != uuid.Nil {
		deployment = in.DeploymentID.String()
	}
	data, err := json.Marshal(map[string]string{"incident_id": in.ID.String(), "severity": string(in.Severity),
		"deployment_id": deployment, "attribution": string(in.Attribution)})
	if err != nil {
		return incident.Incident{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{Type: security.EventIncidentReported, Actor: recordsActor,
		Subject: "incident:" + in.ID.String(), CorrelationID: in.CorrelationID, Data: data})
	if err != nil {
		return incident.Incident{}, err
	}
	return in, nil
}

// link ties in to a deployment: the one it names (which must be recorded),
// else the latest of its application that finished before now, the
// reporting time. A linked incident takes its facts at approval from the
// deployment record.
func (c conn) link(ctx context.Context, in *incident.Incident, now time.Time) error {
	var d incident.Deployment
	if in.DeploymentID != uuid.Nil {
		var err error
		if d, err = c.deployment(ctx, in.DeploymentID); err != nil {
			return err
		}
		in.Attribution = incident.AttributionReported
	} else {
		latest, found, err := c.latestDeploymentBefore(ctx, in.Application, now)
		if err != nil {
			return err
		}
		if !found {
			in.Attribution = incident.AttributionNone
			return nil
		}
		d, in.Attribution = latest, incident.AttributionInferred
	}
	in.DeploymentID, in.Application, in.BlastRadius = d.ID, d.Application, d.Class
	in.WasAutoApproved, in.RiskScoreAtApproval = d.AutoApproved, d.RiskScore
	if in.EvidenceID == uuid.Nil {
		in.EvidenceID = d.EvidenceID
	}
	return nil
}

// reportFields is what fingerprint hashes: every field of a report as it
// was submitted, so that the same report again is recognised and a
// different one under the same correlation id is not. It is spelled out
// here, rather than hashing incident.Incident, so that the stored
// fingerprints do not change when that type gains a field.
type reportFields struct {
	CorrelationID       string          `json:"correlation_id"`
	Severity            string          `json:"severity"`
	OccurredAt          string          `json:"occurred_at"`
	Application         string          `json:"application"`
	DeploymentID        string          `json:"deployment_id"`
	EvidenceID          string          `json:"evidence_id"`
	CABApprovalID       string          `json:"cab_approval_id"`
	WasAutoApproved     bool            `json:"was_auto_approved"`
	RiskScoreAtApproval string          `json:"risk_score_at_approval"`
	BlastRadius         string          `json:"blast_radius"`
	AffectedUsers       int             `json:"affected_users"`
	DowntimeMinutes     int             `json:"downtime_minutes"`
	BusinessImpactUSD   string          `json:"business_impact_usd"`
	RootCause           string          `json:"root_cause"`
	Resolution          string          `json:"resolution"`
	ResolvedAt          string          `json:"resolved_at"`
	WasPreventable      *bool           `json:"was_preventable"`
	PreventabilityNotes string          `json:"preventability_notes"`
	ControlImprovements json.RawMessage `json:"control_improvements"` // compacted by Marshal
}

// fingerprint returns the SHA-256, in hex, of the JSON encoding of the
// report in as submitted (its times normalised, decimals by value), without
// what the store assigns: id, attribution and timestamps.
func fingerprint(in incident.Incident) (string, error) {
	text := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return normTime(t).Format(time.RFC3339Nano)
	}
	id := func(u uuid.UUID) string {
		if u == uuid.Nil {
			return ""
		}
		return u.String()
	}
	b, err := json.Marshal(reportFields{
		CorrelationID: in.CorrelationID, Severity: string(in.Severity), OccurredAt: text(in.OccurredAt),
		Application: in.Application, DeploymentID: id(in.DeploymentID), EvidenceID: id(in.EvidenceID),
		CABApprovalID: id(in.CABApprovalID), WasAutoApproved: in.WasAutoApproved,
		RiskScoreAtApproval: in.RiskScoreAtApproval.String(), BlastRadius: string(in.BlastRadius),
		AffectedUsers: in.AffectedUsers, DowntimeMinutes: in.DowntimeMinutes,
		BusinessImpactUSD: in.BusinessImpactUSD.String(), RootCause: in.RootCause, Resolution: in.Resolution.Resolution,
		ResolvedAt: text(in.ResolvedAt), WasPreventable: in.WasPreventable,
		PreventabilityNotes: in.PreventabilityNotes, ControlImprovements: in.ControlImprovements,
	})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func (c conn) updateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (incident.Incident, error) {
	const op = "update incident"
	in, err := c.incident(ctx, id)
	if err != nil {
		return incident.Incident{}, err
	}
	r := u.Apply(in.Resolution)
	r.ResolvedAt = normTime(r.ResolvedAt)
	if err := r.Validate(in.OccurredAt); err != nil {
		return incident.Incident{}, err
	}
	var ci any
	if r.ControlImprovements != nil {
		ci = string(r.ControlImprovements)
	}
	now := normTime(c.s.now())
	// Only the resolution columns: the database refuses any other change.
	if _, err := c.exec(ctx, `UPDATE incidents SET root_cause = ?, resolution = ?, resolved_at = ?, was_preventable = ?,
		preventability_notes = ?, control_improvements = ?, updated_at = ? WHERE id = ?`,
		r.RootCause, r.Resolution, c.s.nullTimeArg(r.ResolvedAt), nullBoolArg(r.WasPreventable),
		r.PreventabilityNotes, ci, c.s.timeArg(now), id.String()); err != nil {
		return incident.Incident{}, c.s.fail(ctx, op, err)
	}
	changed := []string{}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"root_cause", u.RootCause != nil}, {"resolution", u.Resolution != nil}, {"resolved_at", u.ResolvedAt != nil},
		{"was_preventable", u.WasPreventable != nil}, {"preventability_notes", u.PreventabilityNotes != nil},
		{"control_improvements", u.ControlImprovements != nil},
	} {
		if f.set {
			changed = append(changed, f.name)
		}
	}
	data, err := json.Marshal(map[string]any{"incident_id": id.String(), "fields": changed})
	if err != nil {
		return incident.Incident{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{Type: security.EventIncidentUpdated, Actor: recordsActor,
		Subject: "incident:" + id.String(), CorrelationID: in.CorrelationID, Data: data})
	if err != nil {
		return incident.Incident{}, err
	}
	in.Resolution, in.UpdatedAt = r, now
	return in, nil
}

func (c conn) incident(ctx context.Context, id uuid.UUID) (incident.Incident, error) {
	ins, err := c.selectIncidents(ctx, `WHERE id = ?`, id.String())
	if err != nil {
		return incident.Incident{}, err
	}
	if len(ins) == 0 {
		return incident.Incident{}, notFound("incident %s", id)
	}
	return ins[0], nil
}

// selectIncidents reads the incidents that tail (WHERE, ORDER BY, LIMIT)
// selects.
func (c conn) selectIncidents(ctx context.Context, tail string, args ...any) ([]incident.Incident, error) {
	const op = "read incidents"
	rows, err := c.query(ctx, `SELECT `+incidentColumns+` FROM incidents `+tail, args...)
	if err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	defer func() { _ = rows.Close() }()
	ins := []incident.Incident{}
	for rows.Next() {
		var (
			x                    incident.Incident
			sev, attr, class     string
			preventable          sql.NullBool
			controlImprovements  sql.NullString
			affected, downtimeMi int64
		)
		err := rows.Scan(idCol{&x.ID}, &x.CorrelationID, &sev, timeCol{&x.OccurredAt}, &x.Application,
			idCol{&x.DeploymentID}, idCol{&x.EvidenceID}, idCol{&x.CABApprovalID}, &attr, &x.WasAutoApproved,
			decimalCol{&x.RiskScoreAtApproval}, &class, &affected, &downtimeMi, decimalCol{&x.BusinessImpactUSD},
			&x.RootCause, &x.Resolution.Resolution, timeCol{&x.ResolvedAt}, &preventable, &x.PreventabilityNotes,
			&controlImprovements, timeCol{&x.CreatedAt}, timeCol{&x.UpdatedAt})
		if err != nil {
			return nil, c.s.fail(ctx, op, err)
		}
		x.Severity, x.Attribution, x.BlastRadius = incident.Severity(sev), incident.Attribution(attr), blastradius.Class(class)
		x.AffectedUsers, x.DowntimeMinutes = int(affected), int(downtimeMi)
		if preventable.Valid {
			x.WasPreventable = &preventable.Bool
		}
		if controlImprovements.Valid {
			x.ControlImprovements = json.RawMessage(controlImprovements.String)
		}
		ins = append(ins, x)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	return ins, nil
}

// nullBoolArg returns b as a query argument, nil as NULL.
func nullBoolArg(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
