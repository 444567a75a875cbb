package cab

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Status is where a request stands.
type Status string

// The statuses. AutoApproved, Approved and Rejected are final; an
// exception-required request becomes ExceptionApproved once its exception
// reaches quorum, and is authorised only until the exception expires.
const (
	StatusAutoApproved      Status = "auto_approved"
	StatusPendingReview     Status = "pending_review"
	StatusApproved          Status = "approved"
	StatusRejected          Status = "rejected"
	StatusExceptionRequired Status = "exception_required"
	StatusExceptionPending  Status = "exception_pending"
	StatusExceptionApproved Status = "exception_approved"
)

// Approval is one CAB member's sign-off. By is the member's normalised
// name; Envelope is the signed approval statement
// ([Request.ApprovalPayload]), by the member or, in service-attested mode,
// by the service key naming the member. An approval whose envelope does
// not verify counts for nothing.
type Approval struct {
	By       string
	At       time.Time
	Comment  string
	Envelope dsse.Envelope
}

// Rejection records the rejection that ended a request, signed as an
// approval statement of kind [KindRejection] with the reason as comment.
type Rejection struct {
	By       string
	At       time.Time
	Reason   string
	Envelope dsse.Envelope
}

// Exception is a time-boxed permission for an exception-required request,
// pinned to one artifact digest so it cannot be reused for another build.
type Exception struct {
	Justification  string
	RequestedBy    string
	RequestedAt    time.Time
	ExpiresAt      time.Time
	ArtifactDigest security.Digest
	Approvals      []Approval
	// Attestation is the exception's statement, signed by the service key:
	// the expiry and digest Authorize believes.
	Attestation dsse.Envelope
}

// Request is a deployment submitted for a CAB decision, with everything
// that happened to it.
type Request struct {
	ID                 uuid.UUID
	CorrelationID      string // unique: the idempotency key of the submission
	EvidenceID         uuid.UUID
	DeploymentIntentID uuid.UUID
	Application        string
	// ArtifactDigest is the digest of the artifact the evidence names,
	// pinned at submission: only that build is ever authorised.
	ArtifactDigest security.Digest
	Submitter      string
	// SubmissionHash identifies the submission's content, so a repeat under
	// the same correlation id can be told from a different submission.
	SubmissionHash security.Digest
	// Factors are the risk factor values the score was computed from, as
	// submitted; nil when the caller supplied the score (ScoreSupplied).
	Factors       map[riskmodel.Factor]decimal.Decimal
	ScoreSupplied bool
	// DeclaredClass is the class the submitter declared, if any; the
	// decision's class is the classified one or, when more severe, the
	// declared one. ClassRule names the classifier rule that decided.
	DeclaredClass blastradius.Class
	ClassRule     string
	Decision      Decision
	// Attestation is the decision statement ([Request.DecisionPayload]),
	// signed by the service key. Authorize believes nothing about the
	// submission or its decision that this does not say.
	Attestation dsse.Envelope
	// Status is a cache of where the request stands, for listing; no path
	// that authorises reads it.
	Status    Status
	Approvals []Approval
	Rejection *Rejection
	Exception *Exception
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Errors of the workflow. Each comes wrapped in a [*WorkflowError] naming
// the request. Each is a *trustgate.Error with a fixed code and reason, so
// trustgate.AsError finds them through the WorkflowError and any wrapping;
// match them with errors.Is.
var (
	// ErrNotPending: the request is not waiting for what was attempted (an
	// approval of a decided request, an exception for a request that needs
	// none). Code [trustgate.Conflict], reason NOT_PENDING.
	ErrNotPending = &trustgate.Error{Code: trustgate.Conflict, Reason: "NOT_PENDING",
		Message: "cab: request is not pending"}
	// ErrSeparationOfDuties: the submitter (or the exception's requester)
	// tried to approve their own request. Code [trustgate.Forbidden], reason
	// SEPARATION_OF_DUTIES.
	ErrSeparationOfDuties = &trustgate.Error{Code: trustgate.Forbidden, Reason: "SEPARATION_OF_DUTIES",
		Message: "cab: separation of duties"}
	// ErrDuplicateApproval: the member has already approved. Code
	// [trustgate.Conflict], reason DUPLICATE_APPROVAL.
	ErrDuplicateApproval = &trustgate.Error{Code: trustgate.Conflict, Reason: "DUPLICATE_APPROVAL",
		Message: "cab: already approved by this member"}
	// ErrNotMember: the approver is not in the configured CAB. Code
	// [trustgate.Forbidden], reason NOT_CAB_MEMBER.
	ErrNotMember = &trustgate.Error{Code: trustgate.Forbidden, Reason: "NOT_CAB_MEMBER",
		Message: "cab: not a CAB member"}
	// ErrExpiry: an exception's expiry is not between 1 and 90 days ahead.
	// Code [trustgate.Invalid], reason EXCEPTION_EXPIRY_OUT_OF_RANGE, field
	// expires_at.
	ErrExpiry = &trustgate.Error{Code: trustgate.Invalid, Reason: "EXCEPTION_EXPIRY_OUT_OF_RANGE", Field: "expires_at",
		Message: "cab: exception expiry out of range"}
	// ErrExpired: the exception has expired; it authorises nothing. Code
	// [trustgate.Expired], reason EXCEPTION_EXPIRED.
	ErrExpired = &trustgate.Error{Code: trustgate.Expired, Reason: "EXCEPTION_EXPIRED",
		Message: "cab: exception expired"}
	// ErrDigestMismatch: the artifact is not the build the request pinned.
	// Code [trustgate.Conflict], reason ARTIFACT_DIGEST_MISMATCH, field
	// artifact_sha256.
	ErrDigestMismatch = &trustgate.Error{Code: trustgate.Conflict, Reason: "ARTIFACT_DIGEST_MISMATCH", Field: "artifact_sha256",
		Message: "cab: artifact digest does not match the request"}
	// ErrNotAuthorized: the deployment may not go ahead (yet). Code
	// [trustgate.Conflict], reason DEPLOYMENT_NOT_AUTHORIZED.
	ErrNotAuthorized = &trustgate.Error{Code: trustgate.Conflict, Reason: "DEPLOYMENT_NOT_AUTHORIZED",
		Message: "cab: deployment not authorised"}
)

// WorkflowError reports why a workflow step was refused. It wraps one of the
// sentinels above or, for a malformed argument, an invalid-input error
// naming it (code [trustgate.Invalid], Field "approver", "reason", …).
type WorkflowError struct {
	RequestID uuid.UUID
	Reason    string
	Err       error
}

func (e *WorkflowError) Error() string {
	return fmt.Sprintf("cab: request %s: %s", e.RequestID, e.Reason)
}

// Unwrap returns the sentinel.
func (e *WorkflowError) Unwrap() error { return e.Err }

func refuse(r *Request, err error, format string, args ...any) error {
	return &WorkflowError{RequestID: r.ID, Reason: fmt.Sprintf(format, args...), Err: err}
}

// invalid refuses a step on r for a malformed argument: the
// [*WorkflowError] wraps an invalid-input error naming field.
func invalid(r *Request, field, reason string) error {
	return &WorkflowError{RequestID: r.ID, Reason: reason, Err: inputErr(field, reason, nil)}
}

// Exception expiry bounds: no permanent exceptions.
const (
	MinExceptionDays = 1
	MaxExceptionDays = 90
)

// checkActor normalises an actor's name ([attest.NormalizeName]) and
// checks it, refusing a blank or malformed one with an invalid-input error
// naming field.
func checkActor(r *Request, field, who string) (string, error) {
	n, err := attest.CheckName(field, who)
	if err != nil {
		return "", invalid(r, field, field+" is required (a single-line name)")
	}
	return n, nil
}

// StatusFor returns the initial status a decision gives a request.
func StatusFor(d Decision) Status {
	switch d.Outcome {
	case AutoApproved:
		return StatusAutoApproved
	case ExceptionRequired:
		return StatusExceptionRequired
	}
	return StatusPendingReview
}

// quorum is the number of distinct verified approvals r needs: the signed
// decision's quorum, and never fewer than its class's.
func (r *Request) quorum() int { return max(r.Decision.Quorum, r.Decision.Class.Quorum()) }

// checkApproval applies the rules every approval of kind by a.By must
// pass, status apart: a member of keys, not excluded (the submitter, or
// the exception's requester), not approving twice, with an envelope that
// is a's statement vouched for a.By ([attest.Keyring.Vouches]).
func checkApproval(r *Request, keys *attest.Keyring, kind ApprovalKind, a *Approval, prior []Approval, excluded ...string) error {
	by, err := checkActor(r, "approver", a.By)
	if err != nil {
		return err
	}
	a.By = by
	switch {
	case keys == nil || !keys.IsMember(by):
		return refuse(r, ErrNotMember, "%q is not a CAB member", by)
	case slices.Contains(excluded, by):
		return refuse(r, ErrSeparationOfDuties, "%q submitted the request or asked for the exception and cannot approve it", by)
	case slices.ContainsFunc(prior, func(p Approval) bool { return p.By == by }):
		return refuse(r, ErrDuplicateApproval, "%q has already approved", by)
	case !r.vouched(keys, kind, by, a.Comment, &a.Envelope):
		if keys.Mode() == attest.MemberSigned && keys.ServiceSigned(&a.Envelope) {
			return refuse(r, attest.UnknownKey("member-signed mode: the approval must be signed with "+by+"'s own key"),
				"the approval of %q is not signed by the member", by)
		}
		return refuse(r, attest.UnknownKey("the approval carries no valid signature vouching for "+by), "the approval of %q does not verify", by)
	}
	return nil
}

// Approve records a, a member's signed approval, of a request under review,
// at now. The request is approved when the distinct verified approvals
// reach the class quorum. It refuses a non-member ([ErrNotMember]), the
// submitter ([ErrSeparationOfDuties]), a second approval by the same
// member ([ErrDuplicateApproval]), a request that is not pending review
// ([ErrNotPending]) and an approval whose envelope is not a's statement
// ([Request.ApprovalPayload]) vouched for the member
// ([attest.ErrUnknownKey]). Names compare normalised. It returns the
// updated copy; r is not modified.
func Approve(r Request, keys *attest.Keyring, a Approval, now time.Time) (Request, error) {
	if err := checkApproval(&r, keys, KindApproval, &a, r.Approvals, r.Submitter); err != nil {
		return r, err
	}
	if r.Status != StatusPendingReview {
		return r, refuse(&r, ErrNotPending, "is %s, not pending review", r.Status)
	}
	a.At = now.UTC()
	r.Approvals = append(slices.Clone(r.Approvals), a)
	if r.verifiedApprovals(keys, KindApproval, r.Approvals, r.Submitter) >= r.quorum() {
		r.Status = StatusApproved
	}
	r.UpdatedAt = now.UTC()
	return r, nil
}

// Reject ends a request that is pending review or awaiting an exception:
// one rejection by a member rejects it. x.Envelope must be the rejection
// statement (kind [KindRejection], the reason as comment) vouched for
// x.By.
func Reject(r Request, keys *attest.Keyring, x Rejection, now time.Time) (Request, error) {
	by, err := checkActor(&r, "rejecter", x.By)
	if err != nil {
		return r, err
	}
	switch {
	case keys == nil || !keys.IsMember(by):
		return r, refuse(&r, ErrNotMember, "%q is not a CAB member", by)
	case r.Status != StatusPendingReview && r.Status != StatusExceptionRequired && r.Status != StatusExceptionPending:
		return r, refuse(&r, ErrNotPending, "is %s; only a pending request can be rejected", r.Status)
	case strings.TrimSpace(x.Reason) == "":
		return r, invalid(&r, "reason", "a rejection needs a reason")
	case !r.vouched(keys, KindRejection, by, x.Reason, &x.Envelope):
		return r, refuse(&r, attest.UnknownKey("the rejection carries no valid signature vouching for "+by), "the rejection by %q does not verify", by)
	}
	x.By, x.At = by, now.UTC()
	r.Status = StatusRejected
	r.Rejection = &x
	r.UpdatedAt = now.UTC()
	return r, nil
}

// NewException checks a request for a time-boxed exception of an
// exception-required request, asked by requester at now, and returns the
// exception to sign: a justification and an expiry between
// [MinExceptionDays] and [MaxExceptionDays] days after now, pinned to the
// request's artifact digest.
func NewException(r Request, requester, justification string, expiresAt, now time.Time) (Exception, error) {
	who, err := checkActor(&r, "requester", requester)
	if err != nil {
		return Exception{}, err
	}
	switch {
	case r.Status != StatusExceptionRequired:
		return Exception{}, refuse(&r, ErrNotPending, "is %s; only an exception-required request can ask for an exception", r.Status)
	case strings.TrimSpace(justification) == "":
		return Exception{}, invalid(&r, "justification", "an exception needs a justification")
	case len(justification) > 16<<10:
		return Exception{}, invalid(&r, "justification", "justification longer than 16 KiB")
	case expiresAt.Before(now.AddDate(0, 0, MinExceptionDays)) || expiresAt.After(now.AddDate(0, 0, MaxExceptionDays)):
		return Exception{}, refuse(&r, ErrExpiry, "expiry %s is not between %d and %d days after %s",
			expiresAt.UTC().Format(time.RFC3339), MinExceptionDays, MaxExceptionDays, now.UTC().Format(time.RFC3339))
	}
	return Exception{
		Justification: justification, RequestedBy: who, RequestedAt: now.UTC(),
		ExpiresAt: expiresAt.UTC(), ArtifactDigest: r.ArtifactDigest,
	}, nil
}

// ExceptionPayload returns the canonical statement of exception x on r, as
// the service key signs it.
func (r *Request) ExceptionPayload(x Exception) ([]byte, error) {
	c := *r
	c.Exception = &x
	return c.exceptionPayload()
}

// RequestException records x, an exception built by [NewException] and
// signed by the service key (x.Attestation), on an exception-required
// request.
func RequestException(r Request, keys *attest.Keyring, x Exception, now time.Time) (Request, error) {
	if _, err := NewException(r, x.RequestedBy, x.Justification, x.ExpiresAt, now); err != nil {
		return r, err
	}
	x.Approvals = nil
	r.Exception = &x
	if keys == nil {
		return r, inputErr("keys", "a keyring is required", nil)
	}
	if err := r.verifyException(keys); err != nil {
		return r, refuse(&r, attest.UnknownKey("the exception is not signed by the service key"), "the exception does not verify")
	}
	r.Status = StatusExceptionPending
	r.UpdatedAt = now.UTC()
	return r, nil
}

// ApproveException records a, a member's signed approval of a pending
// exception (kind [KindExceptionApproval]). It is approved when distinct
// verified approvals reach the class quorum. Neither the submitter nor the
// exception's requester may approve, and an expired exception cannot be
// approved ([ErrExpired]).
func ApproveException(r Request, keys *attest.Keyring, a Approval, now time.Time) (Request, error) {
	if r.Status != StatusExceptionPending || r.Exception == nil {
		return r, refuse(&r, ErrNotPending, "is %s; no exception is awaiting approval", r.Status)
	}
	if !now.Before(r.Exception.ExpiresAt) {
		return r, refuse(&r, ErrExpired, "the exception expired at %s", r.Exception.ExpiresAt.Format(time.RFC3339))
	}
	if err := checkApproval(&r, keys, KindExceptionApproval, &a, r.Exception.Approvals, r.Submitter, r.Exception.RequestedBy); err != nil {
		return r, err
	}
	a.At = now.UTC()
	ex := *r.Exception
	ex.Approvals = append(slices.Clone(ex.Approvals), a)
	r.Exception = &ex
	if r.verifiedApprovals(keys, KindExceptionApproval, ex.Approvals, r.Submitter, ex.RequestedBy) >= r.quorum() {
		r.Status = StatusExceptionApproved
	}
	r.UpdatedAt = now.UTC()
	return r, nil
}

// Authorization says a deployment may go ahead now, and why.
type Authorization struct {
	RequestID uuid.UUID
	Status    Status
	// Approvals is the number of distinct verified approvals counted (of
	// the exception, for an exception), and Quorum the number needed.
	Approvals, Quorum int
	// Until is when the authorisation lapses: the exception's expiry, or
	// zero for approvals that do not lapse.
	Until time.Time
}

// Authorize decides whether the artifact with the given digest may be
// deployed under r at now, from what was signed and nothing else: the
// decision statement must verify with keys' service key and match r; the
// digest must be the build it pinned; a signed rejection refuses; an
// auto-approved decision authorises; a review needs distinct verified
// approvals by members other than the submitter up to the class quorum;
// an exception needs its service-signed statement, pinned to digest and
// not expired, and verified approvals by members other than the submitter
// and requester up to the quorum. The stored status is never read. A
// record that does not match its signature is a [*WorkflowError] wrapping
// a [*attest.RecordError] (errors.Is(err, attest.ErrTampered)); otherwise
// a refusal wraps [ErrDigestMismatch], [ErrExpired] or [ErrNotAuthorized].
func Authorize(r Request, keys *attest.Keyring, digest security.Digest, now time.Time) (Authorization, error) {
	if keys == nil {
		return Authorization{}, inputErr("keys", "a keyring is required", nil)
	}
	if err := r.verifyDecision(keys); err != nil {
		return Authorization{}, refuse(&r, err, "the decision does not verify")
	}
	if !digest.Equal(r.ArtifactDigest) {
		return Authorization{}, refuse(&r, ErrDigestMismatch, "artifact %s is not the build %s the request pinned", digest, r.ArtifactDigest)
	}
	if x := r.Rejection; x != nil && r.vouched(keys, KindRejection, x.By, x.Reason, &x.Envelope) {
		return Authorization{}, refuse(&r, ErrNotAuthorized, "rejected by %s", x.By)
	}
	q := r.quorum()
	switch r.Decision.Outcome {
	case AutoApproved:
		return Authorization{RequestID: r.ID, Status: StatusAutoApproved}, nil
	case ManualReview:
		n := r.verifiedApprovals(keys, KindApproval, r.Approvals, r.Submitter)
		if n < q {
			return Authorization{}, refuse(&r, ErrNotAuthorized, "%d of %d verified approvals", n, q)
		}
		return Authorization{RequestID: r.ID, Status: StatusApproved, Approvals: n, Quorum: q}, nil
	case ExceptionRequired:
		ex := r.Exception
		if ex == nil {
			return Authorization{}, refuse(&r, ErrNotAuthorized, "needs an exception; none is on record")
		}
		if err := r.verifyException(keys); err != nil {
			return Authorization{}, refuse(&r, err, "the exception does not verify")
		}
		switch {
		case !digest.Equal(ex.ArtifactDigest):
			return Authorization{}, refuse(&r, ErrDigestMismatch, "the exception is pinned to %s", ex.ArtifactDigest)
		case !now.Before(ex.ExpiresAt):
			return Authorization{}, refuse(&r, ErrExpired, "the exception expired at %s", ex.ExpiresAt.Format(time.RFC3339))
		}
		n := r.verifiedApprovals(keys, KindExceptionApproval, ex.Approvals, r.Submitter, ex.RequestedBy)
		if n < q {
			return Authorization{}, refuse(&r, ErrNotAuthorized, "%d of %d verified exception approvals", n, q)
		}
		return Authorization{RequestID: r.ID, Status: StatusExceptionApproved, Approvals: n, Quorum: q, Until: ex.ExpiresAt}, nil
	}
	return Authorization{}, refuse(&r, ErrNotAuthorized, "the decision's outcome %q authorises nothing", r.Decision.Outcome)
}

// Clone returns a deep copy of r: its factors, approvals, rejection,
// exception and every envelope's bytes are copied, not shared.
func (r Request) Clone() Request {
	r.Factors = maps.Clone(r.Factors)
	r.Attestation = r.Attestation.Clone()
	r.Approvals = cloneApprovals(r.Approvals)
	if r.Rejection != nil {
		c := *r.Rejection
		c.Envelope = c.Envelope.Clone()
		r.Rejection = &c
	}
	if r.Exception != nil {
		c := *r.Exception
		c.Attestation = c.Attestation.Clone()
		c.Approvals = cloneApprovals(c.Approvals)
		r.Exception = &c
	}
	return r
}

func cloneApprovals(as []Approval) []Approval {
	as = slices.Clone(as)
	for i := range as {
		as[i].Envelope = as[i].Envelope.Clone()
	}
	return as
}

// Equal reports whether d and o are the same decision, comparing decimals by
// value (42.5 equals 42.50).
func (d Decision) Equal(o Decision) bool {
	return d.Outcome == o.Outcome && d.Reason == o.Reason && d.Score.Equal(o.Score) && d.Class == o.Class &&
		d.Threshold.Equal(o.Threshold) && d.ExceptionThreshold.Equal(o.ExceptionThreshold) &&
		d.ModelVersion == o.ModelVersion && d.ModelHash == o.ModelHash && d.Quorum == o.Quorum
}

// ChangedSubmission names the first field of the submission that next
// changes from old, as the request's JSON form names it ("correlation_id",
// "artifact_sha256", …), or returns "" when it changes none. The submission
// is everything but the status, approvals, rejection, exception and
// UpdatedAt: what the workflow's steps may change. Times are compared
// exactly: a store compares the times it keeps. Stores use it to refuse an
// update that would rewrite what was submitted and decided.
func ChangedSubmission(old, next Request) string {
	switch {
	case next.ID != old.ID:
		return "id"
	case next.CorrelationID != old.CorrelationID:
		return "correlation_id"
	case next.EvidenceID != old.EvidenceID:
		return "evidence_id"
	case next.DeploymentIntentID != old.DeploymentIntentID:
		return "deployment_intent_id"
	case next.Application != old.Application:
		return "application"
	case !next.ArtifactDigest.Equal(old.ArtifactDigest):
		return "artifact_sha256"
	case next.Submitter != old.Submitter:
		return "submitter"
	case !next.SubmissionHash.Equal(old.SubmissionHash):
		return "submission_hash"
	case !maps.EqualFunc(next.Factors, old.Factors, decimal.Decimal.Equal) || (next.Factors == nil) != (old.Factors == nil):
		return "factors"
	case next.ScoreSupplied != old.ScoreSupplied:
		return "score_supplied"
	case next.DeclaredClass != old.DeclaredClass:
		return "declared_class"
	case next.ClassRule != old.ClassRule:
		return "class_rule"
	case !next.Decision.Equal(old.Decision):
		return "decision"
	case !sameEnvelope(&next.Attestation, &old.Attestation):
		return "attestation"
	case !next.CreatedAt.Equal(old.CreatedAt):
		return "created_at"
	}
	return ""
}

func sameEnvelope(a, b *dsse.Envelope) bool {
	return a.PayloadType == b.PayloadType && bytes.Equal(a.Payload, b.Payload) &&
		slices.EqualFunc(a.Signatures, b.Signatures, func(x, y dsse.Signature) bool { return x.KeyID == y.KeyID && bytes.Equal(x.Sig, y.Sig) })
}
