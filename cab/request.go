package cab

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
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

// Approval is one CAB member's sign-off.
type Approval struct {
	By      string
	At      time.Time
	Comment string
}

// Rejection records the rejection that ended a request.
type Rejection struct {
	By     string
	At     time.Time
	Reason string
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
	Decision       Decision
	Status         Status
	Approvals      []Approval
	Rejection      *Rejection
	Exception      *Exception
	CreatedAt      time.Time
	UpdatedAt      time.Time
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

// Members is the CAB: who may approve. It is a value the user configures.
type Members map[string]bool

// Has reports whether id is a member.
func (m Members) Has(id string) bool { return m[id] }

func checkActor(r *Request, field, who string) error {
	if strings.TrimSpace(who) == "" || len(who) > 256 || strings.ContainsFunc(who, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return invalid(r, field, field+" is required (a single-line name)")
	}
	return nil
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

// Approve records member's approval of a request under review, at now. The
// request is approved when distinct approvals reach the class quorum. It
// refuses a non-member ([ErrNotMember]), the submitter ([ErrSeparationOfDuties]),
// a second approval by the same member ([ErrDuplicateApproval]) and a request
// that is not pending review ([ErrNotPending]). It returns the updated copy;
// r is not modified.
func Approve(r Request, members Members, member, comment string, now time.Time) (Request, error) {
	if err := checkActor(&r, "approver", member); err != nil {
		return r, err
	}
	switch {
	case !members.Has(member):
		return r, refuse(&r, ErrNotMember, "%q is not a CAB member", member)
	case r.Status != StatusPendingReview:
		return r, refuse(&r, ErrNotPending, "is %s, not pending review", r.Status)
	case member == r.Submitter:
		return r, refuse(&r, ErrSeparationOfDuties, "%q submitted the request and cannot approve it", member)
	case slices.ContainsFunc(r.Approvals, func(a Approval) bool { return a.By == member }):
		return r, refuse(&r, ErrDuplicateApproval, "%q has already approved", member)
	}
	r.Approvals = append(slices.Clone(r.Approvals), Approval{By: member, At: now.UTC(), Comment: comment})
	if len(r.Approvals) >= r.Decision.Quorum {
		r.Status = StatusApproved
	}
	r.UpdatedAt = now.UTC()
	return r, nil
}

// Reject ends a request that is pending review or awaiting an exception:
// one rejection by a member rejects it.
func Reject(r Request, members Members, member, reason string, now time.Time) (Request, error) {
	if err := checkActor(&r, "rejecter", member); err != nil {
		return r, err
	}
	switch {
	case !members.Has(member):
		return r, refuse(&r, ErrNotMember, "%q is not a CAB member", member)
	case r.Status != StatusPendingReview && r.Status != StatusExceptionRequired && r.Status != StatusExceptionPending:
		return r, refuse(&r, ErrNotPending, "is %s; only a pending request can be rejected", r.Status)
	case strings.TrimSpace(reason) == "":
		return r, invalid(&r, "reason", "a rejection needs a reason")
	}
	r.Status = StatusRejected
	r.Rejection = &Rejection{By: member, At: now.UTC(), Reason: reason}
	r.UpdatedAt = now.UTC()
	return r, nil
}

// RequestException asks for a time-boxed exception for an exception-required
// request: a justification and an expiry between [MinExceptionDays] and
// [MaxExceptionDays] days after now. The exception is pinned to the
// request's artifact digest.
func RequestException(r Request, requester, justification string, expiresAt, now time.Time) (Request, error) {
	if err := checkActor(&r, "requester", requester); err != nil {
		return r, err
	}
	switch {
	case r.Status != StatusExceptionRequired:
		return r, refuse(&r, ErrNotPending, "is %s; only an exception-required request can ask for an exception", r.Status)
	case strings.TrimSpace(justification) == "":
		return r, invalid(&r, "justification", "an exception needs a justification")
	case len(justification) > 16<<10:
		return r, invalid(&r, "justification", "justification longer than 16 KiB")
	case expiresAt.Before(now.AddDate(0, 0, MinExceptionDays)) || expiresAt.After(now.AddDate(0, 0, MaxExceptionDays)):
		return r, refuse(&r, ErrExpiry, "expiry %s is not between %d and %d days after %s",
			expiresAt.UTC().Format(time.RFC3339), MinExceptionDays, MaxExceptionDays, now.UTC().Format(time.RFC3339))
	}
	r.Exception = &Exception{
		Justification: justification, RequestedBy: requester, RequestedAt: now.UTC(),
		ExpiresAt: expiresAt.UTC(), ArtifactDigest: r.ArtifactDigest,
	}
	r.Status = StatusExceptionPending
	r.UpdatedAt = now.UTC()
	return r, nil
}

// ApproveException records member's approval of a pending exception. It
// is approved when distinct approvals reach the class quorum. Neither the
// submitter nor the exception's requester may approve, and an expired
// exception cannot be approved ([ErrExpired]).
func ApproveException(r Request, members Members, member, comment string, now time.Time) (Request, error) {
	if err := checkActor(&r, "approver", member); err != nil {
		return r, err
	}
	switch {
	case !members.Has(member):
		return r, refuse(&r, ErrNotMember, "%q is not a CAB member", member)
	case r.Status != StatusExceptionPending || r.Exception == nil:
		return r, refuse(&r, ErrNotPending, "is %s; no exception is awaiting approval", r.Status)
	case !now.Before(r.Exception.ExpiresAt):
		return r, refuse(&r, ErrExpired, "the exception expired at %s", r.Exception.ExpiresAt.Format(time.RFC3339))
	case member == r.Submitter || member == r.Exception.RequestedBy:
		return r, refuse(&r, ErrSeparationOfDuties, "%q submitted the request or asked for the exception", member)
	case slices.ContainsFunc(r.Exception.Approvals, func(a Approval) bool { return a.By == member }):
		return r, refuse(&r, ErrDuplicateApproval, "%q has already approved the exception", member)
	}
	ex := *r.Exception
	ex.Approvals = append(slices.Clone(ex.Approvals), Approval{By: member, At: now.UTC(), Comment: comment})
	r.Exception = &ex
	if len(ex.Approvals) >= r.Decision.Quorum {
		r.Status = StatusExceptionApproved
	}
	r.UpdatedAt = now.UTC()
	return r, nil
}

// Authorization says a deployment may go ahead now, and why.
type Authorization struct {
	RequestID uuid.UUID
	Status    Status
	// Until is when the authorisation lapses: the exception's expiry, or
	// zero for approvals that do not lapse.
	Until time.Time
}

// Authorize decides whether the artifact with the given digest may be
// deployed under r at now: r must be auto-approved, approved to quorum, or
// under an approved exception that has not expired, and digest must be the
// build r pinned. Otherwise it is a [*WorkflowError] wrapping
// [ErrDigestMismatch], [ErrExpired] or [ErrNotAuthorized].
func Authorize(r Request, digest security.Digest, now time.Time) (Authorization, error) {
	if !digest.Equal(r.ArtifactDigest) {
		return Authorization{}, refuse(&r, ErrDigestMismatch, "artifact %s is not the build %s the request pinned", digest, r.ArtifactDigest)
	}
	switch r.Status {
	case StatusAutoApproved, StatusApproved:
		return Authorization{RequestID: r.ID, Status: r.Status}, nil
	case StatusExceptionApproved:
		ex := r.Exception
		switch {
		case ex == nil:
			return Authorization{}, refuse(&r, ErrNotAuthorized, "no exception on record")
		case !digest.Equal(ex.ArtifactDigest):
			return Authorization{}, refuse(&r, ErrDigestMismatch, "the exception is pinned to %s", ex.ArtifactDigest)
		case !now.Before(ex.ExpiresAt):
			return Authorization{}, refuse(&r, ErrExpired, "the exception expired at %s", ex.ExpiresAt.Format(time.RFC3339))
		}
		return Authorization{RequestID: r.ID, Status: r.Status, Until: ex.ExpiresAt}, nil
	}
	return Authorization{}, refuse(&r, ErrNotAuthorized, "is %s", r.Status)
}

// Clone returns a deep copy of r: its approvals, rejection and exception
// are copied, not shared.
func (r Request) Clone() Request {
	r.Approvals = slices.Clone(r.Approvals)
	if r.Rejection != nil {
		c := *r.Rejection
		r.Rejection = &c
	}
	if r.Exception != nil {
		c := *r.Exception
		c.Approvals = slices.Clone(c.Approvals)
		r.Exception = &c
	}
	return r
}

// Equal reports whether d and o are the same decision, comparing decimals by
// value (42.5 equals 42.50).
func (d Decision) Equal(o Decision) bool {
	return d.Outcome == o.Outcome && d.Reason == o.Reason && d.Score.Equal(o.Score) && d.Class == o.Class &&
		d.Threshold.Equal(o.Threshold) && d.ExceptionThreshold.Equal(o.ExceptionThreshold) &&
		d.ModelVersion == o.ModelVersion && d.Quorum == o.Quorum
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
	case !next.Decision.Equal(old.Decision):
		return "decision"
	case !next.CreatedAt.Equal(old.CreatedAt):
		return "created_at"
	}
	return ""
}
