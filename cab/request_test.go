package cab_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var members = cab.Members{"alice": true, "bob": true, "carol": true, "dave": true, "erin": true}

func digestOf(s string) security.Digest {
	var d security.Digest
	copy(d[:], s)
	return d
}

func newRequest(t testing.TB, score string, class blastradius.Class) cab.Request {
	m := model("10", "30", "50")
	dec, err := cab.Decide(d(score), class, m)
	require.NoError(t, err)
	return cab.Request{
		ID: uuid.New(), CorrelationID: "c", Submitter: "sam", Decision: dec, Status: cab.StatusFor(dec),
		ArtifactDigest: digestOf("build-1"), CreatedAt: epoch,
	}
}

func TestApprovalsReachTheClassQuorumExactly(t *testing.T) {
	for _, c := range blastradius.Classes() {
		t.Run(string(c), func(t *testing.T) {
			r := newRequest(t, "60", c)
			require.Equal(t, cab.StatusPendingReview, r.Status)
			approvers := []string{"alice", "bob", "carol"}
			for i := range c.Quorum() {
				var err error
				r, err = cab.Approve(r, members, approvers[i], "", epoch)
				require.NoError(t, err)
				if i+1 < c.Quorum() {
					assert.Equal(t, cab.StatusPendingReview, r.Status, "after %d of %d approvals", i+1, c.Quorum())
				}
			}
			assert.Equal(t, cab.StatusApproved, r.Status)
			_, err := cab.Approve(r, members, "dave", "", epoch)
			require.ErrorIs(t, err, cab.ErrNotPending, "an approved request takes no more approvals")
		})
	}
}

func TestRefusalsCarryTheirSentinelsCodeReasonAndField(t *testing.T) {
	tests := []struct {
		sentinel *trustgate.Error
		code     trustgate.Code
		reason   string
		field    string
	}{
		{cab.ErrNotPending, trustgate.Conflict, "NOT_PENDING", ""},
		{cab.ErrSeparationOfDuties, trustgate.Forbidden, "SEPARATION_OF_DUTIES", ""},
		{cab.ErrDuplicateApproval, trustgate.Conflict, "DUPLICATE_APPROVAL", ""},
		{cab.ErrNotMember, trustgate.Forbidden, "NOT_CAB_MEMBER", ""},
		{cab.ErrExpiry, trustgate.Invalid, "EXCEPTION_EXPIRY_OUT_OF_RANGE", "expires_at"},
		{cab.ErrExpired, trustgate.Expired, "EXCEPTION_EXPIRED", ""},
		{cab.ErrDigestMismatch, trustgate.Conflict, "ARTIFACT_DIGEST_MISMATCH", "artifact_sha256"},
		{cab.ErrNotAuthorized, trustgate.Conflict, "DEPLOYMENT_NOT_AUTHORIZED", ""},
		{cab.ErrEvidence, trustgate.Invalid, "EVIDENCE_UNUSABLE", ""},
	}
	id := uuid.New()
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			err := fmt.Errorf("caller: %w", &cab.WorkflowError{RequestID: id, Reason: "why", Err: tt.sentinel})
			e := trustgate.AsError(err)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.reason, e.Reason)
			assert.Equal(t, tt.field, e.Field)
			assert.NotSame(t, tt.sentinel, e, "AsError hands out a copy, not the sentinel")
			assert.ErrorIs(t, err, tt.sentinel)
			var we *cab.WorkflowError
			require.ErrorAs(t, err, &we)
			assert.Equal(t, id, we.RequestID)
		})
	}

	// And as the rules return them.
	r := newRequest(t, "60", blastradius.CriticalInfrastructure)
	_, err := cab.Approve(r, members, "mallory", "", epoch)
	e := trustgate.AsError(err)
	assert.Equal(t, trustgate.Forbidden, e.Code)
	assert.Equal(t, "NOT_CAB_MEMBER", e.Reason)
	assert.Contains(t, err.Error(), r.ID.String(), "the error's own text tells the whole story")
	_, err = cab.Authorize(r, digestOf("build-2"), epoch)
	e = trustgate.AsError(err)
	assert.Equal(t, trustgate.Conflict, e.Code)
	assert.Equal(t, "artifact_sha256", e.Field)
}

func TestApproveRefusesWhatTheRulesForbid(t *testing.T) {
	r := newRequest(t, "60", blastradius.CriticalInfrastructure)
	_, err := cab.Approve(r, members, "sam", "", epoch)
	require.ErrorIs(t, err, cab.ErrNotMember, "sam is not a member")
	withSam := cab.Members{"sam": true, "alice": true}
	_, err = cab.Approve(r, withSam, "sam", "", epoch)
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties)
	r2, err := cab.Approve(r, members, "alice", "", epoch)
	require.NoError(t, err)
	_, err = cab.Approve(r2, members, "alice", "", epoch)
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	_, err = cab.Approve(r, members, "", "", epoch)
	requireInvalid(t, err, "approver")
	var we *cab.WorkflowError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, r.ID, we.RequestID)
	assert.Empty(t, r.Approvals, "the input request is never modified")

	rejected, err := cab.Reject(r2, members, "bob", "no rollback plan", epoch)
	require.NoError(t, err)
	assert.Equal(t, cab.StatusRejected, rejected.Status)
	_, err = cab.Approve(rejected, members, "carol", "", epoch)
	require.ErrorIs(t, err, cab.ErrNotPending, "one rejection rejects")
	_, err = cab.Reject(r2, members, "bob", " ", epoch)
	requireInvalid(t, err, "reason")
	require.ErrorAs(t, err, &we)
	assert.Equal(t, r2.ID, we.RequestID)
}

// requireInvalid requires err to be an invalid-input error naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	require.Equal(t, trustgate.Invalid, e.Code, "%v", err)
	require.Equal(t, field, e.Field, "%v", err)
}

func TestExceptionsAreTimeBoxedPinnedAndApprovedByQuorum(t *testing.T) {
	r := newRequest(t, "85", blastradius.BusinessCritical)
	require.Equal(t, cab.StatusExceptionRequired, r.Status)
	_, err := cab.Approve(r, members, "alice", "", epoch)
	require.ErrorIs(t, err, cab.ErrNotPending, "an exception-required request is not approved by ordinary review")

	for _, days := range []time.Duration{0, 23 * time.Hour, 91 * 24 * time.Hour, -time.Hour} {
		_, err := cab.RequestException(r, "sam", "vendor hotfix for CVE", epoch.Add(days), epoch)
		require.ErrorIs(t, err, cab.ErrExpiry, "expiry in %s", days)
	}
	_, err = cab.RequestException(r, "sam", "", epoch.AddDate(0, 0, 7), epoch)
	requireInvalid(t, err, "justification")
	for _, days := range []int{1, 90} {
		_, err := cab.RequestException(r, "sam", "ok", epoch.AddDate(0, 0, days), epoch)
		require.NoError(t, err, "%d days is allowed", days)
	}

	r, err = cab.RequestException(r, "sam", "vendor hotfix for CVE-2026-1234", epoch.AddDate(0, 0, 7), epoch)
	require.NoError(t, err)
	assert.Equal(t, r.ArtifactDigest, r.Exception.ArtifactDigest)
	_, err = cab.Authorize(r, r.ArtifactDigest, epoch)
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "not before the quorum approves")

	r, err = cab.ApproveException(r, members, "alice", "", epoch.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, cab.StatusExceptionPending, r.Status)
	_, err = cab.ApproveException(r, members, "alice", "", epoch.Add(time.Hour))
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	late := epoch.AddDate(0, 0, 8)
	_, err = cab.ApproveException(r, members, "bob", "", late)
	require.ErrorIs(t, err, cab.ErrExpired, "an expired exception cannot be approved")
	r, err = cab.ApproveException(r, members, "bob", "", epoch.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, cab.StatusExceptionApproved, r.Status)

	auth, err := cab.Authorize(r, r.ArtifactDigest, epoch.AddDate(0, 0, 6))
	require.NoError(t, err)
	assert.True(t, auth.Until.Equal(epoch.AddDate(0, 0, 7)))
	_, err = cab.Authorize(r, digestOf("build-2"), epoch.AddDate(0, 0, 6))
	require.ErrorIs(t, err, cab.ErrDigestMismatch, "the exception cannot be reused for another build")
	_, err = cab.Authorize(r, r.ArtifactDigest, epoch.AddDate(0, 0, 7))
	require.ErrorIs(t, err, cab.ErrExpired, "at expiry it authorises nothing")
}

func TestAuthorizeFollowsTheStatus(t *testing.T) {
	auto := newRequest(t, "5", blastradius.NonCritical)
	require.Equal(t, cab.StatusAutoApproved, auto.Status)
	_, err := cab.Authorize(auto, auto.ArtifactDigest, epoch)
	require.NoError(t, err)
	_, err = cab.Authorize(auto, digestOf("other"), epoch)
	require.ErrorIs(t, err, cab.ErrDigestMismatch)
	pending := newRequest(t, "60", blastradius.NonCritical)
	_, err = cab.Authorize(pending, pending.ArtifactDigest, epoch)
	require.ErrorIs(t, err, cab.ErrNotAuthorized)
}

// genSteps generates a sequence of workflow steps by members and outsiders.
func genSteps() gopter.Gen {
	who := gen.OneConstOf("alice", "bob", "carol", "dave", "sam", "mallory")
	step := gopter.CombineGens(gen.IntRange(0, 4), who, gen.IntRange(-2, 100)).Map(func(v []any) [3]any { return [3]any{v[0], v[1], v[2]} })
	return gen.SliceOfN(12, step)
}

func TestWorkflowProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 2000
	properties := gopter.NewProperties(params)
	everyone := cab.Members{"alice": true, "bob": true, "carol": true, "dave": true, "sam": true}

	run := func(score string, class blastradius.Class, steps [][3]any) (cab.Request, []error) {
		r := newRequest(t, score, class)
		var errs []error
		now := epoch
		for _, s := range steps {
			now = now.Add(time.Hour)
			var next cab.Request
			var err error
			who := s[1].(string)
			switch s[0].(int) {
			case 0:
				next, err = cab.Approve(r, everyone, who, "", now)
			case 1:
				next, err = cab.Reject(r, everyone, who, "no", now)
			case 2:
				next, err = cab.RequestException(r, who, "why", now.AddDate(0, 0, s[2].(int)), now)
			case 3:
				next, err = cab.ApproveException(r, everyone, who, "", now)
			default:
				now = now.AddDate(0, 0, 10)
				continue
			}
			if err == nil {
				r = next
			}
			errs = append(errs, err)
		}
		return r, errs
	}
	genClass := gen.OneConstOf(blastradius.CriticalInfrastructure, blastradius.BusinessCritical, blastradius.ProductivityTools, blastradius.NonCritical)
	genScore := gen.OneConstOf("5", "25", "60", "85")

	properties.Property("the submitter never approves their own request", prop.ForAll(
		func(score string, class blastradius.Class, steps [][3]any) bool {
			r, _ := run(score, class, steps)
			for _, a := range r.Approvals {
				if a.By == r.Submitter {
					return false
				}
			}
			if r.Exception != nil {
				for _, a := range r.Exception.Approvals {
					if a.By == r.Submitter || a.By == r.Exception.RequestedBy {
						return false
					}
				}
			}
			return true
		},
		genScore, genClass, genSteps(),
	))

	properties.Property("a request is approved exactly when distinct approvals reach the quorum", prop.ForAll(
		func(score string, class blastradius.Class, steps [][3]any) bool {
			r, _ := run(score, class, steps)
			distinct := map[string]bool{}
			for _, a := range r.Approvals {
				distinct[a.By] = true
			}
			if len(distinct) != len(r.Approvals) || len(r.Approvals) > class.Quorum() {
				return false
			}
			return (r.Status == cab.StatusApproved) == (len(distinct) == class.Quorum() && r.Decision.Outcome == cab.ManualReview)
		},
		genScore, genClass, genSteps(),
	))

	properties.Property("a rejected request stays rejected", prop.ForAll(
		func(score string, class blastradius.Class, steps [][3]any) bool {
			r := newRequest(t, score, class)
			rejected := false
			for i, s := range steps {
				now := epoch.Add(time.Duration(i) * time.Hour)
				if next, err := cab.Reject(r, everyone, s[1].(string), "no", now); err == nil && s[0].(int)%2 == 0 {
					r, rejected = next, true
				}
				if next, err := cab.Approve(r, everyone, s[1].(string), "", now); err == nil {
					r = next
				}
				if rejected && r.Status != cab.StatusRejected {
					return false
				}
			}
			return true
		},
		genScore, genClass, genSteps(),
	))

	properties.Property("an expired exception never authorises, and no exception authorises another build", prop.ForAll(
		func(score string, class blastradius.Class, steps [][3]any, after int) bool {
			r, _ := run(score, class, steps)
			if r.Exception == nil {
				return true
			}
			expired := r.Exception.ExpiresAt.Add(time.Duration(after) * time.Minute)
			_, errExpired := cab.Authorize(r, r.ArtifactDigest, expired)
			_, errOther := cab.Authorize(r, digestOf("another build"), r.Exception.RequestedAt)
			return errExpired != nil && errOther != nil
		},
		genScore, genClass, genSteps(), gen.IntRange(0, 100000),
	))

	properties.Property("only auto-approved, approved or live-exception requests authorise", prop.ForAll(
		func(score string, class blastradius.Class, steps [][3]any) bool {
			r, _ := run(score, class, steps)
			_, err := cab.Authorize(r, r.ArtifactDigest, epoch)
			ok := r.Status == cab.StatusAutoApproved || r.Status == cab.StatusApproved ||
				(r.Status == cab.StatusExceptionApproved && epoch.Before(r.Exception.ExpiresAt))
			return (err == nil) == ok
		},
		genScore, genClass, genSteps(),
	))

	properties.TestingRun(t)
}

func ExampleApprove() {
	model := riskmodel.Seed(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))
	dec, _ := cab.Decide(d("42"), blastradius.BusinessCritical, &model)
	req := cab.Request{ID: uuid.MustParse("0193e4b4-7c00-7000-8000-0000000000aa"), Submitter: "sam", Decision: dec, Status: cab.StatusFor(dec)}
	members := cab.Members{"alice": true, "bob": true, "sam": true}
	now := time.Date(2026, 2, 11, 9, 0, 0, 0, time.UTC)

	_, err := cab.Approve(req, members, "sam", "", now)
	fmt.Println(err)
	req, _ = cab.Approve(req, members, "alice", "looks fine", now)
	fmt.Println(req.Status, len(req.Approvals), "of", req.Decision.Quorum)
	req, _ = cab.Approve(req, members, "bob", "", now)
	fmt.Println(req.Status)
	// Output:
	// cab: request 0193e4b4-7c00-7000-8000-0000000000aa: "sam" submitted the request and cannot approve it
	// pending_review 1 of 2
	// approved
}
