package store

import (
	"encoding/json"
	"strconv"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// The audit events the store writes, one function per event type, so that
// each is built in exactly one place whatever the driver. (The CAB
// workflow's events are built by the cab package: cab.SubmittedEvent and the
// workflow's steps.)

// SystemActor is the actor of the audit events of records whose operations
// take no actor (deployments, incidents): the store itself.
const SystemActor = "trustgate"

// SeedActor is the actor recorded on the audit events [Seed] writes.
const SeedActor = "trustgate-seed"

// eventData encodes an event's data: a flat JSON object of strings,
// booleans and string lists, which cannot fail to encode.
func eventData(kv map[string]any) json.RawMessage {
	b, _ := json.Marshal(kv)
	return b
}

func riskModelCreated(v *riskmodel.Version, actor string) security.EventInput {
	return security.EventInput{Type: security.EventRiskModelCreated, Actor: actor, Subject: "riskmodel:" + v.Version,
		Data: eventData(map[string]any{"version": v.Version, "mode": string(v.Mode), "content_sha256": contentHash(v)})}
}

// contentHash is the version's content hash for its audit event, or "" for
// a version without a canonical form (which Validate has refused).
func contentHash(v *riskmodel.Version) string {
	h, err := v.ContentHash()
	if err != nil {
		return ""
	}
	return security.Digest(h).String()
}

func riskModelApproved(version, approver string, approved bool) security.EventInput {
	return security.EventInput{Type: security.EventRiskModelApproved, Actor: approver, Subject: "riskmodel:" + version,
		Data: eventData(map[string]any{"version": version, "quorum_reached": approved})}
}

// riskModelActivated names the version it replaced: "" when none was
// active.
func riskModelActivated(version, previous, actor string) security.EventInput {
	return security.EventInput{Type: security.EventRiskModelActivated, Actor: actor, Subject: "riskmodel:" + version,
		Data: eventData(map[string]any{"version": version, "previous": previous})}
}

func evidenceCreated(e *security.Evidence, actor string) security.EventInput {
	return security.EventInput{Type: security.EventEvidenceCreated, Actor: actor, Subject: "evidence:" + e.ID.String(),
		CorrelationID: e.CorrelationID,
		Data: eventData(map[string]any{"evidence_id": e.ID.String(), "content_hash": e.ContentHash.String(),
			"attested": len(e.Attestation.Signatures) > 0})}
}

func deploymentRecorded(d *incident.Deployment) security.EventInput {
	return security.EventInput{Type: security.EventDeploymentRecorded, Actor: SystemActor, Subject: "deployment:" + d.ID.String(),
		Data: eventData(map[string]any{
			"deployment_id": d.ID.String(), "application": d.Application, "class": string(d.Class),
			"auto_approved": d.AutoApproved, "risk_score": d.RiskScore.String(), "model_version": d.ModelVersion,
		})}
}

// incidentReported names the deployment the incident is linked to, "" when
// none.
func incidentReported(in *incident.Incident) security.EventInput {
	deployment := ""
	if in.DeploymentID != uuid.Nil {
		deployment = in.DeploymentID.String()
	}
	return security.EventInput{Type: security.EventIncidentReported, Actor: SystemActor, Subject: "incident:" + in.ID.String(),
		CorrelationID: in.CorrelationID,
		Data: eventData(map[string]any{"incident_id": in.ID.String(), "severity": string(in.Severity),
			"deployment_id": deployment, "attribution": string(in.Attribution)})}
}

// incidentUpdated lists the resolution fields the update set.
func incidentUpdated(in *incident.Incident, u *incident.Update) security.EventInput {
	fields := []string{}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"root_cause", u.RootCause != nil}, {"resolution", u.Resolution != nil}, {"resolved_at", u.ResolvedAt != nil},
		{"was_preventable", u.WasPreventable != nil}, {"preventability_notes", u.PreventabilityNotes != nil},
		{"control_improvements", u.ControlImprovements != nil},
	} {
		if f.set {
			fields = append(fields, f.name)
		}
	}
	return security.EventInput{Type: security.EventIncidentUpdated, Actor: SystemActor, Subject: "incident:" + in.ID.String(),
		CorrelationID: in.CorrelationID, Data: eventData(map[string]any{"incident_id": in.ID.String(), "fields": fields})}
}

// maturityChanged is the event of a level transition; the levels are
// strings.
func maturityApproval(id uuid.UUID, approver string, approvals int) security.EventInput {
	return security.EventInput{Type: security.EventMaturityApproval, Actor: approver, Subject: "maturity-evaluation:" + id.String(),
		Data: eventData(map[string]any{"evaluation_id": id.String(), "approvals": approvals})}
}

func maturityChanged(tr *maturity.Transition) security.EventInput {
	typ := security.EventMaturityProgressed
	if tr.Kind == maturity.Regression {
		typ = security.EventMaturityRegressed
	}
	return security.EventInput{Type: typ, Actor: tr.Actor, Subject: "maturity:level-" + strconv.Itoa(int(tr.To)),
		Data: eventData(map[string]any{"evaluation_id": tr.Evaluation.ID.String(), "from": strconv.Itoa(int(tr.From)),
			"to": strconv.Itoa(int(tr.To)), "model_version": tr.Model.Version})}
}

func seeded(created []string) security.EventInput {
	return security.EventInput{Type: security.EventSeeded, Actor: SeedActor, Subject: "store",
		Data: eventData(map[string]any{"created": created})}
}
