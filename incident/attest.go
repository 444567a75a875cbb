package incident

import (
	"crypto/sha256"

	"github.com/buildworksai/trustgate/security/attest"
)

func sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// An incident's report is signed. Its severity, occurrence, linkage and
// the facts at approval count towards the incident rates that gate every
// maturity level, so a store that has the service key signs them when the
// incident is created (an in-toto Statement v1 about the deployment's
// artifact-free record, in a DSSE envelope), and verification recomputes
// the statement from the stored row: a severity rewritten from P1 to P4,
// or a linkage moved to another deployment, no longer matches. The
// resolution fields are not signed: they are worked on afterwards and cap
// nothing.

// PredicateIncident is the predicate type of an incident's statement.
const PredicateIncident = attest.PredicatePrefix + "incident/v1"

type incidentPredicate struct {
	ID                  string      `json:"id"`
	CorrelationID       string      `json:"correlation_id"`
	Severity            Severity    `json:"severity"`
	OccurredAt          string      `json:"occurred_at"`
	Application         string      `json:"application"`
	DeploymentID        string      `json:"deployment_id"`
	EvidenceID          string      `json:"evidence_id"`
	CABApprovalID       string      `json:"cab_approval_id"`
	Attribution         Attribution `json:"attribution"`
	WasAutoApproved     bool        `json:"was_auto_approved"`
	RiskScoreAtApproval string      `json:"risk_score_at_approval"`
	BlastRadius         string      `json:"blast_radius_class"`
	AffectedUsers       int         `json:"affected_users"`
	DowntimeMinutes     int         `json:"downtime_minutes"`
	BusinessImpactUSD   string      `json:"business_impact_usd"`
	CreatedAt           string      `json:"created_at"`
}

// StatementPayload returns the canonical statement of in's report, as the
// service key signs it. Its subject is the incident, named by id, with the
// SHA-256 of its correlation id as digest (an incident is not an
// artifact; in-toto requires a digest).
func (in *Incident) StatementPayload() ([]byte, error) {
	return attest.Encode(PredicateIncident, incidentPredicate{
		ID: in.ID.String(), CorrelationID: in.CorrelationID, Severity: in.Severity, OccurredAt: attest.Time(in.OccurredAt),
		Application: in.Application, DeploymentID: in.DeploymentID.String(), EvidenceID: in.EvidenceID.String(),
		CABApprovalID: in.CABApprovalID.String(), Attribution: in.Attribution, WasAutoApproved: in.WasAutoApproved,
		RiskScoreAtApproval: in.RiskScoreAtApproval.String(), BlastRadius: string(in.BlastRadius),
		AffectedUsers: in.AffectedUsers, DowntimeMinutes: in.DowntimeMinutes, BusinessImpactUSD: in.BusinessImpactUSD.String(),
		CreatedAt: attest.Time(in.CreatedAt),
	}, attest.DigestSubject("incident:"+in.ID.String(), sum(in.CorrelationID)))
}

// Sign sets in.Attestation to its statement signed by svc.
func (in *Incident) Sign(svc *attest.Service) error {
	payload, err := in.StatementPayload()
	if err != nil {
		return err
	}
	in.Attestation, err = svc.Seal(payload)
	return err
}

// Verify checks that in's report is what the service key signed: nil, or
// a *attest.RecordError naming "incidents/<id>".
func (in *Incident) Verify(keys *attest.Keyring) error {
	record := "incidents/" + in.ID.String()
	if len(in.Attestation.Signatures) == 0 {
		return attest.Tampered(record, "attestation", "unsigned (the store that created it had no service key)")
	}
	want, err := in.StatementPayload()
	switch {
	case err != nil:
		return attest.Tampered(record, "attestation", err.Error())
	case !attest.Carries(&in.Attestation, want):
		return attest.Tampered(record, "attestation", "the stored severity, linkage or facts are not what the service key signed")
	case !keys.ServiceSigned(&in.Attestation):
		return attest.Tampered(record, "attestation", "no valid signature by the service key")
	}
	return nil
}
