package cab

import (
	"maps"
	"slices"
	"strconv"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// Signed statements. A request's decision and exception are signed by the
// service key; each approval and rejection by the member (member-signed
// mode) or by the service key naming the member it authenticated
// (service-attested mode). Each is an in-toto Statement v1 whose subject is
// the artifact digest the request pinned, in a DSSE envelope. A statement
// is a function of the request's stored fields, so checking a record is
// encoding its statement again, comparing bytes and verifying the
// signature: a stored field that changed no longer matches, and a status
// field is never believed.

// Predicate types of the statements the workflow signs.
const (
	PredicateDecision  = attest.PredicatePrefix + "cab-decision/v1"
	PredicateApproval  = attest.PredicatePrefix + "cab-approval/v1"
	PredicateException = attest.PredicatePrefix + "cab-exception/v1"
)

// ApprovalKind says what an approval statement approves.
type ApprovalKind string

// The kinds of approval statement.
const (
	KindApproval          ApprovalKind = "approval"           // a request under review
	KindExceptionApproval ApprovalKind = "exception_approval" // its exception
	KindRejection         ApprovalKind = "rejection"          // a rejection, which ends it
)

type decisionPredicate struct {
	RequestID          string            `json:"request_id"`
	CorrelationID      string            `json:"correlation_id"`
	EvidenceID         string            `json:"evidence_id"`
	DeploymentIntentID string            `json:"deployment_intent_id"`
	Application        string            `json:"application"`
	Submitter          string            `json:"submitter"`
	SubmissionHash     string            `json:"submission_hash"`
	Outcome            Outcome           `json:"outcome"`
	Reason             ReasonCode        `json:"reason"`
	Score              string            `json:"score"`
	ScoreSupplied      bool              `json:"score_supplied"`
	Factors            map[string]string `json:"factors"`
	Class              string            `json:"class"`
	DeclaredClass      string            `json:"declared_class"`
	ClassRule          string            `json:"class_rule"`
	Threshold          string            `json:"threshold"`
	ExceptionThreshold string            `json:"exception_threshold"`
	ModelVersion       string            `json:"model_version"`
	ModelHash          string            `json:"model_sha256"`
	Quorum             int               `json:"quorum"`
	CreatedAt          string            `json:"created_at"`
}

// ApprovalStatement is the predicate of an approval, exception approval or
// rejection: who, of which request, bound to the decision it was made on
// (the SHA-256 of the signed decision statement) and the model it was
// decided with, and for an exception approval to the exception (the SHA-256
// of its signed statement). A member signing from a terminal signs exactly
// this, as [Request.ApprovalPayload] encodes it.
type ApprovalStatement struct {
	Kind      ApprovalKind `json:"kind"`
	RequestID string       `json:"request_id"`
	Decision  string       `json:"decision_sha256"`
	ModelHash string       `json:"model_sha256"`
	Exception string       `json:"exception_sha256"`
	Member    string       `json:"member"`
	Comment   string       `json:"comment"`
}

type exceptionPredicate struct {
	RequestID     string `json:"request_id"`
	Decision      string `json:"decision_sha256"`
	RequestedBy   string `json:"requested_by"`
	Justification string `json:"justification"`
	RequestedAt   string `json:"requested_at"`
	ExpiresAt     string `json:"expires_at"`
}

func (r *Request) subject(d security.Digest) attest.Subject {
	return attest.DigestSubject(r.Application, d)
}

// DecisionPayload returns the canonical statement of r's submission and
// decision, as the service key signs it.
func (r *Request) DecisionPayload() ([]byte, error) {
	d := &r.Decision
	var factors map[string]string
	if r.Factors != nil {
		factors = make(map[string]string, len(r.Factors))
		for _, f := range slices.Sorted(maps.Keys(r.Factors)) {
			factors[string(f)] = r.Factors[f].String()
		}
	}
	return attest.Encode(PredicateDecision, decisionPredicate{
		RequestID: r.ID.String(), CorrelationID: r.CorrelationID, EvidenceID: r.EvidenceID.String(),
		DeploymentIntentID: r.DeploymentIntentID.String(), Application: r.Application, Submitter: r.Submitter,
		SubmissionHash: r.SubmissionHash.String(), Outcome: d.Outcome, Reason: d.Reason.Code, Score: d.Score.String(),
		ScoreSupplied: r.ScoreSupplied, Factors: factors, Class: string(d.Class), DeclaredClass: string(r.DeclaredClass),
		ClassRule: r.ClassRule, Threshold: d.Threshold.String(), ExceptionThreshold: d.ExceptionThreshold.String(),
		ModelVersion: d.ModelVersion, ModelHash: d.ModelHash.String(), Quorum: d.Quorum, CreatedAt: attest.Time(r.CreatedAt),
	}, r.subject(r.ArtifactDigest))
}

// exceptionPayload returns the canonical statement of r's exception, as
// the service key signs it.
func (r *Request) exceptionPayload() ([]byte, error) {
	x := r.Exception
	return attest.Encode(PredicateException, exceptionPredicate{
		RequestID: r.ID.String(), Decision: attest.PayloadDigest(r.Attestation.Payload), RequestedBy: x.RequestedBy,
		Justification: x.Justification, RequestedAt: attest.Time(x.RequestedAt), ExpiresAt: attest.Time(x.ExpiresAt),
	}, r.subject(x.ArtifactDigest))
}

// Approval returns the approval statement member would sign for r: an
// approval of the request, of its exception, or a rejection (comment then
// being the reason).
func (r *Request) Approval(kind ApprovalKind, member, comment string) ApprovalStatement {
	s := ApprovalStatement{Kind: kind, RequestID: r.ID.String(), Decision: attest.PayloadDigest(r.Attestation.Payload),
		ModelHash: r.Decision.ModelHash.String(), Member: member, Comment: comment}
	if kind == KindExceptionApproval && r.Exception != nil {
		s.Exception = attest.PayloadDigest(r.Exception.Attestation.Payload)
	}
	return s
}

// ApprovalPayload returns the canonical statement of an approval by member
// of r: what member signs, in member-signed mode, to approve it (kind
// [KindApproval]) or its exception ([KindExceptionApproval]).
func (r *Request) ApprovalPayload(kind ApprovalKind, member, comment string) ([]byte, error) {
	digest := r.ArtifactDigest
	if kind == KindExceptionApproval && r.Exception != nil {
		digest = r.Exception.ArtifactDigest
	}
	return attest.Encode(PredicateApproval, r.Approval(kind, member, comment), r.subject(digest))
}

// record names r in verification errors.
func (r *Request) record() string { return "cab_requests/" + r.ID.String() }

// verifyDecision checks that r's decision statement is r's submission and
// decision as stored, signed by the service key.
func (r *Request) verifyDecision(keys *attest.Keyring) error {
	want, err := r.DecisionPayload()
	switch {
	case err != nil:
		return attest.Tampered(r.record(), "decision", err.Error())
	case !attest.Carries(&r.Attestation, want):
		return attest.Tampered(r.record(), "decision", "the stored submission or decision is not what the service key signed")
	case !keys.ServiceSigned(&r.Attestation):
		return attest.Tampered(r.record(), "decision", "no valid signature by the service key")
	}
	return nil
}

// verifyException checks that r's exception is what the service key
// signed.
func (r *Request) verifyException(keys *attest.Keyring) error {
	want, err := r.exceptionPayload()
	switch {
	case err != nil:
		return attest.Tampered(r.record(), "exception", err.Error())
	case !attest.Carries(&r.Exception.Attestation, want):
		return attest.Tampered(r.record(), "exception", "the stored exception is not what the service key signed")
	case !keys.ServiceSigned(&r.Exception.Attestation):
		return attest.Tampered(r.record(), "exception", "no valid signature by the service key")
	}
	return nil
}

// vouched reports whether a's envelope is a's statement of kind about r,
// signed by a's member key or, in service-attested mode, by the service.
func (r *Request) vouched(keys *attest.Keyring, kind ApprovalKind, by, comment string, env *dsse.Envelope) bool {
	want, err := r.ApprovalPayload(kind, by, comment)
	if err != nil || !attest.Carries(env, want) {
		return false
	}
	// A rejection only makes the outcome stricter: the service key may
	// sign one for a member in either mode.
	return keys.Vouches(env, by) || kind == KindRejection && keys.IsMember(by) && keys.ServiceSigned(env)
}

// verifiedApprovals counts the distinct members whose approvals of kind
// among as verify, leaving out anyone in excluded: an approval without a
// valid signature, or that does not match its record, counts for nothing.
func (r *Request) verifiedApprovals(keys *attest.Keyring, kind ApprovalKind, as []Approval, excluded ...string) int {
	var seen []string
	for i := range as {
		a := &as[i]
		// Names compare normalised: a record naming "Alice " is alice's,
		// and does not count apart from her approval, or from her own
		// request.
		by := attest.NormalizeName(a.By)
		if slices.ContainsFunc(excluded, func(x string) bool { return attest.NormalizeName(x) == by }) ||
			slices.Contains(seen, by) || !r.vouched(keys, kind, a.By, a.Comment, &a.Envelope) {
			continue
		}
		seen = append(seen, by)
	}
	return len(seen)
}

// Verify checks every signed part of r against what it holds: the decision
// and the exception signed by the service key, and every approval and the
// rejection vouched for the member it names. It returns nil or a
// [*attest.RecordError] (errors.Is(err, attest.ErrTampered)) naming the
// request and the first part that does not match.
func (r *Request) Verify(keys *attest.Keyring) error {
	if err := r.verifyDecision(keys); err != nil {
		return err
	}
	for i, a := range r.Approvals {
		if !r.vouched(keys, KindApproval, a.By, a.Comment, &a.Envelope) {
			return attest.Tampered(r.record(), "approvals["+strconv.Itoa(i)+"]", "not a signed approval by "+a.By)
		}
	}
	if x := r.Rejection; x != nil && !r.vouched(keys, KindRejection, x.By, x.Reason, &x.Envelope) {
		return attest.Tampered(r.record(), "rejection", "not a signed rejection by "+x.By)
	}
	if r.Exception != nil {
		if err := r.verifyException(keys); err != nil {
			return err
		}
		for i, a := range r.Exception.Approvals {
			if !r.vouched(keys, KindExceptionApproval, a.By, a.Comment, &a.Envelope) {
				return attest.Tampered(r.record(), "exception.approvals["+strconv.Itoa(i)+"]", "not a signed exception approval by "+a.By)
			}
		}
	}
	if want := r.verifiedStatus(keys); r.Status != want {
		return attest.Tampered(r.record(), "status", "is "+string(r.Status)+", but what was signed makes it "+string(want))
	}
	return nil
}

// verifiedStatus is the status the signed records give r.
func (r *Request) verifiedStatus(keys *attest.Keyring) Status {
	switch {
	case r.Rejection != nil:
		return StatusRejected
	case r.Decision.Outcome == AutoApproved:
		return StatusAutoApproved
	case r.Decision.Outcome == ManualReview:
		if r.verifiedApprovals(keys, KindApproval, r.Approvals, r.Submitter) >= r.quorum() {
			return StatusApproved
		}
		return StatusPendingReview
	case r.Exception == nil:
		return StatusExceptionRequired
	case r.verifiedApprovals(keys, KindExceptionApproval, r.Exception.Approvals, r.Submitter, r.Exception.RequestedBy) >= r.quorum():
		return StatusExceptionApproved
	}
	return StatusExceptionPending
}

// Attest returns the approval of kind by member of r, its statement signed
// by svc's service key: what a caller that authenticated member records in
// service-attested mode ([Approve], [ApproveException]; for a rejection,
// use the Approval's fields in a [Rejection]).
func Attest(svc *attest.Service, r *Request, kind ApprovalKind, member, comment string) (Approval, error) {
	who, err := checkActor(r, "approver", member)
	if err != nil {
		return Approval{}, err
	}
	payload, err := r.ApprovalPayload(kind, who, comment)
	if err != nil {
		return Approval{}, err
	}
	env, err := svc.Seal(payload)
	if err != nil {
		return Approval{}, err
	}
	return Approval{By: who, Comment: comment, Envelope: env}, nil
}
