package cab_test

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/google/uuid"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApprovalsReachTheClassQuorumExactly(t *testing.T) {
	svc := attested(t)
	for _, c := range blastradius.Classes() {
		t.Run(string(c), func(t *testing.T) {
			r := newRequest(t, svc, "60", c)
			require.Equal(t, cab.StatusPendingReview, r.Status)
			approvers := []string{"alice", "bob", "carol"}
			for i := range c.Quorum() {
				_, err := cab.Authorize(r, svc.Keys(), r.ArtifactDigest, epoch)
				require.ErrorIs(t, err, cab.ErrNotAuthorized, "after %d of %d approvals", i, c.Quorum())
				r = approve(t, svc, r, approvers[i], epoch)
				if i+1 < c.Quorum() {
					assert.Equal(t, cab.StatusPendingReview, r.Status, "after %d of %d approvals", i+1, c.Quorum())
				}
			}
			assert.Equal(t, cab.StatusApproved, r.Status)
			auth, err := cab.Authorize(r, svc.Keys(), r.ArtifactDigest, epoch)
			require.NoError(t, err)
			assert.Equal(t, c.Quorum(), auth.Approvals)
			assert.Equal(t, c.Quorum(), auth.Quorum)
			_, err = tryApprove(t, svc, r, "dave", epoch)
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
		{cab.ErrMemberSignature, trustgate.Forbidden, "MEMBER_SIGNATURE_REQUIRED", ""},
		{cab.ErrClassBelowClassified, trustgate.Invalid, "CLASS_BELOW_CLASSIFIED", "class"},
		{cab.ErrScoreSupplied, trustgate.Invalid, "SCORE_SUPPLIED", "score"},
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
	svc := attested(t)
	r := newRequest(t, svc, "60", blastradius.CriticalInfrastructure)
	_, err := tryApprove(t, svc, r, "mallory", epoch)
	e := trustgate.AsError(err)
	assert.Equal(t, trustgate.Forbidden, e.Code)
	assert.Equal(t, "NOT_CAB_MEMBER", e.Reason)
	assert.Contains(t, err.Error(), r.ID.String(), "the error's own text tells the whole story")
	_, err = cab.Authorize(r, svc.Keys(), digestOf("build-2"), epoch)
	e = trustgate.AsError(err)
	assert.Equal(t, trustgate.Conflict, e.Code)
	assert.Equal(t, "artifact_sha256", e.Field)
}

func TestApproveRefusesWhatTheRulesForbid(t *testing.T) {
	svc := attested(t)
	keys := svc.Keys()
	r := newRequest(t, svc, "60", blastradius.CriticalInfrastructure)
	_, err := tryApprove(t, svc, r, "sam", epoch)
	require.ErrorIs(t, err, cab.ErrNotMember, "sam is not a member")
	withSam := service(t, attest.ServiceAttested, "sam", "alice")
	rs := newRequest(t, withSam, "60", blastradius.CriticalInfrastructure)
	_, err = tryApprove(t, withSam, rs, "sam", epoch)
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties)
	r2 := approve(t, svc, r, "alice", epoch)
	_, err = tryApprove(t, svc, r2, "alice", epoch)
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	_, err = cab.Approve(r, keys, cab.Approval{By: ""}, epoch)
	requireInvalid(t, err, "approver")
	var we *cab.WorkflowError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, r.ID, we.RequestID)
	assert.Empty(t, r.Approvals, "the input request is never modified")

	// An approval without a valid signature is refused, and not recorded.
	unsigned := cab.Approval{By: "bob"}
	_, err = cab.Approve(r2, keys, unsigned, epoch)
	require.ErrorIs(t, err, attest.ErrUnknownKey)
	assert.Len(t, r2.Approvals, 1)
	_, err = cab.Approve(r2, nil, attestBy(t, svc, &r2, cab.KindApproval, "bob", ""), epoch)
	require.ErrorIs(t, err, cab.ErrNotMember, "without a keyring there is no CAB")

	rejected, err := reject(t, svc, r2, "bob", "no rollback plan", epoch)
	require.NoError(t, err)
	assert.Equal(t, cab.StatusRejected, rejected.Status)
	_, err = tryApprove(t, svc, rejected, "carol", epoch)
	require.ErrorIs(t, err, cab.ErrNotPending, "one rejection rejects")
	_, err = reject(t, svc, r2, "bob", " ", epoch)
	requireInvalid(t, err, "reason")
	require.ErrorAs(t, err, &we)
	assert.Equal(t, r2.ID, we.RequestID)
	_, err = reject(t, svc, r2, "mallory", "no", epoch)
	require.ErrorIs(t, err, cab.ErrNotMember)
	// A rejection whose reason was changed after signing does not verify.
	x := attestBy(t, svc, &r2, cab.KindRejection, "bob", "no rollback plan")
	_, err = cab.Reject(r2, keys, cab.Rejection{By: "bob", Reason: "something else", Envelope: x.Envelope}, epoch)
	require.ErrorIs(t, err, attest.ErrUnknownKey)
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
	svc := attested(t)
	keys := svc.Keys()
	r := newRequest(t, svc, "85", blastradius.BusinessCritical)
	require.Equal(t, cab.StatusExceptionRequired, r.Status)
	_, err := tryApprove(t, svc, r, "alice", epoch)
	require.ErrorIs(t, err, cab.ErrNotPending, "an exception-required request is not approved by ordinary review")

	for _, days := range []time.Duration{0, 23 * time.Hour, 91 * 24 * time.Hour, -time.Hour} {
		_, err := requestException(t, svc, r, "sam", "vendor hotfix for CVE", epoch.Add(days), epoch)
		require.ErrorIs(t, err, cab.ErrExpiry, "expiry in %s", days)
	}
	_, err = requestException(t, svc, r, "sam", "", epoch.AddDate(0, 0, 7), epoch)
	requireInvalid(t, err, "justification")
	for _, days := range []int{1, 90} {
		_, err := requestException(t, svc, r, "sam", "ok", epoch.AddDate(0, 0, days), epoch)
		require.NoError(t, err, "%d days is allowed", days)
	}
	// An exception the service key did not sign is refused.
	x, err := cab.NewException(r, "sam", "vendor hotfix", epoch.AddDate(0, 0, 7), epoch)
	require.NoError(t, err)
	_, err = cab.RequestException(r, keys, x, epoch)
	require.ErrorIs(t, err, attest.ErrUnknownKey)

	r, err = requestException(t, svc, r, "sam", "vendor hotfix for CVE-2026-1234", epoch.AddDate(0, 0, 7), epoch)
	require.NoError(t, err)
	assert.Equal(t, r.ArtifactDigest, r.Exception.ArtifactDigest)
	_, err = cab.Authorize(r, keys, r.ArtifactDigest, epoch)
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "not before the quorum approves")

	r, err = approveException(t, svc, r, "alice", epoch.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, cab.StatusExceptionPending, r.Status)
	_, err = approveException(t, svc, r, "alice", epoch.Add(time.Hour))
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	// An approval of the request, not of its exception, does not count for it.
	_, err = cab.ApproveException(r, keys, attestBy(t, svc, &r, cab.KindApproval, "bob", ""), epoch.Add(time.Hour))
	require.ErrorIs(t, err, attest.ErrUnknownKey)
	late := epoch.AddDate(0, 0, 8)
	_, err = approveException(t, svc, r, "bob", late)
	require.ErrorIs(t, err, cab.ErrExpired, "an expired exception cannot be approved")
	r, err = approveException(t, svc, r, "bob", epoch.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, cab.StatusExceptionApproved, r.Status)

	auth, err := cab.Authorize(r, keys, r.ArtifactDigest, epoch.AddDate(0, 0, 6))
	require.NoError(t, err)
	assert.True(t, auth.Until.Equal(epoch.AddDate(0, 0, 7)))
	assert.Equal(t, 2, auth.Approvals)
	_, err = cab.Authorize(r, keys, digestOf("build-2"), epoch.AddDate(0, 0, 6))
	require.ErrorIs(t, err, cab.ErrDigestMismatch, "the exception cannot be reused for another build")
	_, err = cab.Authorize(r, keys, r.ArtifactDigest, epoch.AddDate(0, 0, 7))
	require.ErrorIs(t, err, cab.ErrExpired, "at expiry it authorises nothing")
}

func TestTheRequesterOfAnExceptionCannotApproveIt(t *testing.T) {
	svc := attested(t)
	r := newRequest(t, svc, "85", blastradius.BusinessCritical)
	r, err := requestException(t, svc, r, "ALICE ", "vendor hotfix", epoch.AddDate(0, 0, 7), epoch)
	require.NoError(t, err)
	assert.Equal(t, "alice", r.Exception.RequestedBy, "stored normalised")
	_, err = approveException(t, svc, r, "alice", epoch)
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties)
	_, err = approveException(t, svc, r, "Alice", epoch)
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties)
}

func TestAuthorizeFollowsTheSignedRecords(t *testing.T) {
	svc := attested(t)
	keys := svc.Keys()
	auto := newRequest(t, svc, "5", blastradius.NonCritical)
	require.Equal(t, cab.StatusAutoApproved, auto.Status)
	auth, err := cab.Authorize(auto, keys, auto.ArtifactDigest, epoch)
	require.NoError(t, err)
	assert.Equal(t, cab.StatusAutoApproved, auth.Status)
	_, err = cab.Authorize(auto, keys, digestOf("other"), epoch)
	require.ErrorIs(t, err, cab.ErrDigestMismatch)
	_, err = cab.Authorize(auto, nil, auto.ArtifactDigest, epoch)
	requireInvalid(t, err, "keys")

	// The status is a cache: setting it changes nothing either way.
	pending := newRequest(t, svc, "60", blastradius.NonCritical)
	_, err = cab.Authorize(pending, keys, pending.ArtifactDigest, epoch)
	require.ErrorIs(t, err, cab.ErrNotAuthorized)
	pending.Status = cab.StatusApproved
	_, err = cab.Authorize(pending, keys, pending.ArtifactDigest, epoch)
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "a status set to approved approves nothing")
	auto.Status = cab.StatusPendingReview
	_, err = cab.Authorize(auto, keys, auto.ArtifactDigest, epoch)
	require.NoError(t, err, "the signed decision auto-approved it")

	// A signed rejection refuses, whatever the status says.
	approved := approve(t, svc, newRequest(t, svc, "60", blastradius.NonCritical), "alice", epoch)
	_, err = cab.Authorize(approved, keys, approved.ArtifactDigest, epoch)
	require.NoError(t, err)
	pendingAgain := approved
	pendingAgain.Status = cab.StatusPendingReview
	rejected, err := reject(t, svc, pendingAgain, "bob", "wrong change window", epoch)
	require.NoError(t, err)
	rejected.Status = cab.StatusApproved
	_, err = cab.Authorize(rejected, keys, rejected.ArtifactDigest, epoch)
	require.ErrorIs(t, err, cab.ErrNotAuthorized)
	assert.Contains(t, err.Error(), "rejected by bob")
}

// genSteps generates a sequence of workflow steps by members and outsiders.
func genSteps() gopter.Gen {
	who := gen.OneConstOf("alice", "bob", "carol", "dave", "sam", "mallory", "Alice ", "SAM")
	step := gopter.CombineGens(gen.IntRange(0, 4), who, gen.IntRange(-2, 100)).Map(func(v []any) [3]any { return [3]any{v[0], v[1], v[2]} })
	return gen.SliceOfN(12, step)
}

func TestWorkflowProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 500
	properties := gopter.NewProperties(params)
	everyone := service(t, attest.ServiceAttested, "alice", "bob", "carol", "dave", "sam")
	keys := everyone.Keys()

	run := func(score string, class blastradius.Class, steps [][3]any) (cab.Request, []error) {
		r := newRequest(t, everyone, score, class)
		var errs []error
		now := epoch
		for _, s := range steps {
			now = now.Add(time.Hour)
			var next cab.Request
			var err error
			who := s[1].(string)
			switch s[0].(int) {
			case 0:
				next, err = tryApprove(t, everyone, r, who, now)
			case 1:
				next, err = reject(t, everyone, r, who, "no", now)
			case 2:
				next, err = requestException(t, everyone, r, who, "why", now.AddDate(0, 0, s[2].(int)), now)
			case 3:
				next, err = approveException(t, everyone, r, who, now)
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

	// Each generated history is checked against every invariant at once:
	// building it signs and verifies at each step.
	properties.Property("any history of steps keeps the rules' invariants", prop.ForAll(
		func(score string, class blastradius.Class, steps [][3]any, after int) string {
			r, _ := run(score, class, steps)

			// The submitter never approves their own request, however the
			// name is written, nor the requester their exception.
			for _, a := range r.Approvals {
				if attest.NormalizeName(a.By) == r.Submitter {
					return "the submitter approved"
				}
			}
			if r.Exception != nil {
				for _, a := range r.Exception.Approvals {
					if by := attest.NormalizeName(a.By); by == r.Submitter || by == r.Exception.RequestedBy {
						return "the submitter or requester approved the exception"
					}
				}
			}

			// A request is approved exactly when distinct approvals reach the quorum.
			distinct := map[string]bool{}
			for _, a := range r.Approvals {
				distinct[attest.NormalizeName(a.By)] = true
			}
			if len(distinct) != len(r.Approvals) || len(r.Approvals) > class.Quorum() {
				return "duplicate or surplus approvals"
			}
			if (r.Status == cab.StatusApproved) != (len(distinct) == class.Quorum() && r.Decision.Outcome == cab.ManualReview) {
				return "approved without the quorum, or the quorum without approval"
			}

			// Only auto-approved, approved or live-exception requests authorise.
			_, err := cab.Authorize(r, keys, r.ArtifactDigest, epoch)
			ok := r.Status == cab.StatusAutoApproved || r.Status == cab.StatusApproved ||
				(r.Status == cab.StatusExceptionApproved && epoch.Before(r.Exception.ExpiresAt))
			if (err == nil) != ok {
				return fmt.Sprintf("status %s, Authorize: %v", r.Status, err)
			}

			// An expired exception never authorises, and no exception
			// authorises another build.
			if r.Exception != nil {
				expired := r.Exception.ExpiresAt.Add(time.Duration(after) * time.Minute)
				if _, err := cab.Authorize(r, keys, r.ArtifactDigest, expired); err == nil {
					return "an expired exception authorised"
				}
				if _, err := cab.Authorize(r, keys, digestOf("another build"), r.Exception.RequestedAt); err == nil {
					return "an exception authorised another build"
				}
			}

			// Every request the rules build verifies, its status included.
			if err := r.Verify(keys); err != nil {
				return "does not verify: " + err.Error()
			}
			return ""
		},
		genScore, genClass, genSteps(), gen.IntRange(0, 100000),
	))

	properties.TestingRun(t)

	// Each step of this one rejects and approves: fewer histories.
	params.MinSuccessfulTests = 200
	properties = gopter.NewProperties(params)
	properties.Property("a rejected request stays rejected", prop.ForAll(
		func(score string, class blastradius.Class, steps [][3]any) bool {
			r := newRequest(t, everyone, score, class)
			rejected := false
			for i, s := range steps {
				now := epoch.Add(time.Duration(i) * time.Hour)
				if next, err := reject(t, everyone, r, s[1].(string), "no", now); err == nil && s[0].(int)%2 == 0 {
					r, rejected = next, true
				}
				if next, err := tryApprove(t, everyone, r, s[1].(string), now); err == nil {
					r = next
				}
				if rejected && r.Status != cab.StatusRejected {
					return false
				}
			}
			if rejected {
				_, err := cab.Authorize(r, keys, r.ArtifactDigest, epoch)
				return errors.Is(err, cab.ErrNotAuthorized)
			}
			return true
		},
		genScore, genClass, genSteps(),
	))

	properties.TestingRun(t)
}

func ExampleApprove() {
	// The keys are configuration held outside the database: the public half
	// of the service key trustgate signs with, and the CAB. (Members
	// without keys of their own can approve in service-attested mode only.)
	servicePub, serviceKey, _ := ed25519.GenerateKey(nil)
	keys, _ := attest.NewKeyring(attest.Config{Service: servicePub,
		Members: map[string][]crypto.PublicKey{"alice": nil, "bob": nil, "sam": nil}})
	svc, _ := attest.NewService(serviceKey, keys)

	model := riskmodel.Seed(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))
	dec, _ := cab.Decide(d("42"), blastradius.BusinessCritical, &model)
	req := cab.Request{ID: uuid.MustParse("0193e4b4-7c00-7000-8000-0000000000aa"), Application: "SAP GUI",
		Submitter: "sam", Decision: dec, Status: cab.StatusFor(dec)}
	payload, _ := req.DecisionPayload() // the decision, signed as the workflow signs it
	req.Attestation, _ = svc.Seal(payload)
	now := time.Date(2026, 2, 11, 9, 0, 0, 0, time.UTC)
	// approval is what a caller that authenticated member records.
	approval := func(member, comment string) cab.Approval {
		a, _ := cab.Attest(svc, &req, cab.KindApproval, member, comment)
		return a
	}

	_, err := cab.Approve(req, keys, approval("sam", ""), now)
	fmt.Println(err)
	req, _ = cab.Approve(req, keys, approval("alice", "looks fine"), now)
	fmt.Println(req.Status, len(req.Approvals), "of", req.Decision.Quorum)

	forged := req
	forged.Status = cab.StatusApproved // what someone with write access to the database might do
	_, err = cab.Authorize(forged, keys, req.ArtifactDigest, now)
	fmt.Println(err)

	req, _ = cab.Approve(req, keys, approval("bob", ""), now)
	auth, err := cab.Authorize(req, keys, req.ArtifactDigest, now)
	fmt.Println(req.Status, auth.Approvals, "verified approvals", err)
	// Output:
	// cab: request 0193e4b4-7c00-7000-8000-0000000000aa: "sam" submitted the request or asked for the exception and cannot approve it
	// pending_review 1 of 2
	// cab: request 0193e4b4-7c00-7000-8000-0000000000aa: 1 of 2 verified approvals
	// approved 2 verified approvals <nil>
}
