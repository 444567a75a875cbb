package maturity

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
)

// The level in force is signed. Each state — the seed's, a progression's,
// a regression's — carries a statement signed by the service key that
// binds the level, since when, the risk model version (by content hash)
// activated with it, and the evaluation behind it. A progression's state
// also carries the signed approvals of at least the keyring's quorum of
// distinct CAB members (2 by default), each over the evaluation's content
// hash: one member alone never raises the level. A regression needs only
// the service key: it makes the system stricter. [VerifyState] checks all
// of it, and a level that does not verify caps nothing: it decides
// nothing.

// Predicate types of the maturity statements.
const (
	PredicateState       = attest.PredicatePrefix + "maturity-state/v1"
	PredicateProgression = attest.PredicatePrefix + "maturity-progression/v1"
)

// Approval is one CAB member's signed approval of a ready progression.
type Approval struct {
	By       string // the member's normalised name
	At       time.Time
	Envelope dsse.Envelope
}

type evaluationContent struct {
	ID          string `json:"id"`
	Kind        Kind   `json:"kind"`
	Level       int    `json:"level"`
	Target      int    `json:"target"`
	PeriodFrom  string `json:"period_from"`
	PeriodTo    string `json:"period_to"`
	Deployments int64  `json:"deployments"`
	Incidents   int64  `json:"incidents"`
	P1          int64  `json:"p1"`
	P2          int64  `json:"p2"`
	Rate        string `json:"incident_rate"`
	Ready       bool   `json:"ready"`
	CreatedAt   string `json:"created_at"`
}

// ContentHash returns the SHA-256 of the evaluation's canonical form: its
// id, kind, levels, period, counts, rate, readiness and creation time.
// A member approving a progression signs it: the approval is of these
// findings and no others.
func (e *Evaluation) ContentHash() (security.Digest, error) {
	raw, err := json.Marshal(evaluationContent{
		ID: e.ID.String(), Kind: e.Kind, Level: int(e.Level), Target: int(e.Target),
		PeriodFrom: attest.Time(e.PeriodFrom), PeriodTo: attest.Time(e.PeriodTo), Deployments: e.Deployments,
		Incidents: e.Incidents, P1: e.P1, P2: e.P2, Rate: e.IncidentRate.String(), Ready: e.Ready,
		CreatedAt: attest.Time(e.CreatedAt),
	})
	if err != nil {
		return security.Digest{}, err
	}
	b, err := jcs.Canonicalize(nil, raw)
	if err != nil {
		return security.Digest{}, err
	}
	return sha256.Sum256(b), nil
}

type progressionPredicate struct {
	EvaluationID string `json:"evaluation_id"`
	FromLevel    int    `json:"from_level"`
	ToLevel      int    `json:"to_level"`
	Member       string `json:"member"`
}

// progressionPayload is the statement member signs to approve the
// progression of the evaluation with id and content hash h from one level
// to the next.
func progressionPayload(id uuid.UUID, h security.Digest, from, to Level, member string) ([]byte, error) {
	return attest.Encode(PredicateProgression, progressionPredicate{EvaluationID: id.String(), FromLevel: int(from),
		ToLevel: int(to), Member: member}, attest.DigestSubject("maturity-evaluation:"+id.String(), h))
}

// ApprovalPayload returns the canonical statement member signs to approve
// e, a ready progression: its subject is e's content hash.
func (e *Evaluation) ApprovalPayload(member string) ([]byte, error) {
	h, err := e.ContentHash()
	if err != nil {
		return nil, err
	}
	return progressionPayload(e.ID, h, e.Level, e.Target, member)
}

type statePredicate struct {
	Level          int      `json:"level"`
	Since          string   `json:"since"`
	ModelVersion   string   `json:"model_version"`
	Reason         string   `json:"reason"`
	Kind           Kind     `json:"kind"`
	EvaluationID   string   `json:"evaluation_id"`
	EvaluationHash string   `json:"evaluation_sha256"`
	Approvers      []string `json:"approvers"`
}

// StatePayload returns the canonical statement the service key signs for
// s, whose model has content hash modelHash.
func (s *State) StatePayload(modelHash security.Digest) ([]byte, error) {
	approvers := make([]string, 0, len(s.Approvals))
	for _, a := range s.Approvals {
		approvers = append(approvers, a.By)
	}
	evaluation := ""
	if s.Evaluation != uuid.Nil {
		evaluation = s.Evaluation.String()
	}
	return attest.Encode(PredicateState, statePredicate{
		Level: int(s.Level), Since: attest.Time(s.Since), ModelVersion: s.ModelVersion, Reason: s.Reason, Kind: s.Kind,
		EvaluationID: evaluation, EvaluationHash: s.EvaluationHash.String(), Approvers: approvers,
	}, attest.DigestSubject("risk-model:"+s.ModelVersion, modelHash))
}

// Sign sets s.Attestation to its statement signed by svc.
func (s *State) Sign(svc *attest.Service, modelHash security.Digest) error {
	payload, err := s.StatePayload(modelHash)
	if err != nil {
		return err
	}
	s.Attestation, err = svc.Seal(payload)
	return err
}

// VerifyState checks the level in force: s's statement, recomputed from s
// (and the model content hash it names), is what the service key signed; a
// progression's state also carries verified approvals by at least
// keys.ModelQuorum() distinct CAB members over the evaluation it names; the
// level is on a ladder of the given number of levels. It returns nil or a
// [*attest.RecordError] naming "maturity_state/1".
func VerifyState(s *State, keys *attest.Keyring, levels int) error {
	const record = "maturity_state/1"
	if !s.Level.Valid() || int(s.Level) >= levels {
		return attest.Tampered(record, "level", "level "+strconv.Itoa(int(s.Level))+" is not on the ladder")
	}
	if len(s.Attestation.Signatures) == 0 {
		return attest.Tampered(record, "attestation", "unsigned")
	}
	st, err := attest.Decode(s.Attestation.Payload, PredicateState, nil)
	if err != nil || len(st.Subject) != 1 {
		return attest.Tampered(record, "attestation", "not a maturity state statement")
	}
	modelHash, err := security.ParseDigest("subject", st.Subject[0].Digest["sha256"])
	if err != nil {
		return attest.Tampered(record, "attestation", "the statement names no model digest")
	}
	want, err := s.StatePayload(modelHash)
	switch {
	case err != nil:
		return attest.Tampered(record, "attestation", err.Error())
	case !attest.Carries(&s.Attestation, want):
		return attest.Tampered(record, "attestation", "the stored level, its model or its approvals are not what the service key signed")
	case !keys.ServiceSigned(&s.Attestation):
		return attest.Tampered(record, "attestation", "no valid signature by the service key")
	}
	switch s.Kind {
	case Progression:
		n := verifiedApprovals(keys, s.Evaluation, s.EvaluationHash, s.Level-1, s.Level, s.Approvals)
		if n < keys.ModelQuorum() {
			return attest.Tampered(record, "approvals", strconv.Itoa(n)+" of "+strconv.Itoa(keys.ModelQuorum())+
				" verified CAB approvals of the progression")
		}
	case Regression:
	case "":
		if s.Level != Baseline {
			return attest.Tampered(record, "kind", "only the baseline is entered without a transition")
		}
	default:
		return attest.Tampered(record, "kind", "unknown kind "+string(s.Kind))
	}
	return nil
}

// verifiedApprovals counts the distinct members whose approvals of the
// progression of evaluation id (content hash h) from one level to the next
// verify.
func verifiedApprovals(keys *attest.Keyring, id uuid.UUID, h security.Digest, from, to Level, as []Approval) int {
	var seen []string
	for i := range as {
		a := &as[i]
		by := attest.NormalizeName(a.By) // "Alice " and "alice" are one member
		if slices.Contains(seen, by) {
			continue
		}
		want, err := progressionPayload(id, h, from, to, a.By)
		if err == nil && attest.Carries(&a.Envelope, want) && keys.Vouches(&a.Envelope, a.By) {
			seen = append(seen, by)
		}
	}
	return len(seen)
}

// VerifiedApprovals counts the distinct members whose approvals of e, a
// progression, verify with keys.
func (e *Evaluation) VerifiedApprovals(keys *attest.Keyring) int {
	h, err := e.ContentHash()
	if err != nil {
		return 0
	}
	return verifiedApprovals(keys, e.ID, h, e.Level, e.Target, e.Approvals)
}
