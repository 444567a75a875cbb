package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newRequest returns a request as the workflow would submit it, its
// decision signed by the service key, under the seed model's thresholds
// raised so that every outcome is reachable.
func (e *env) newRequest(corr string, score string, class blastradius.Class, now time.Time) cab.Request {
	e.t.Helper()
	m := riskmodel.Seed(Epoch)
	m.Thresholds[blastradius.BusinessCritical] = decimal.NewFromInt(10)
	m.Thresholds[blastradius.ProductivityTools] = decimal.NewFromInt(30)
	m.Thresholds[blastradius.NonCritical] = decimal.NewFromInt(50)
	d, err := cab.Decide(decimal.RequireFromString(score), class, &m)
	require.NoError(e.t, err)
	var digest, sub security.Digest
	copy(digest[:], "artifact-"+corr)
	copy(sub[:], "submission-"+corr+score)
	h, err := m.ContentHash()
	require.NoError(e.t, err)
	d.ModelHash = h
	return e.sign(cab.Request{
		ID: uuid.New(), CorrelationID: corr, EvidenceID: uuid.New(), DeploymentIntentID: uuid.New(),
		Application: "SAP GUI", ArtifactDigest: digest, Submitter: "sam", SubmissionHash: sub,
		ScoreSupplied: true, ClassRule: "declared", DeclaredClass: class,
		Decision: d, Status: cab.StatusFor(d), CreatedAt: now, UpdatedAt: now,
	})
}

// canonical returns r with its decimals in one form, so that requests
// compare with assert.Equal by value: a database may hand back 0 for a
// zero decimal.Decimal{}, or 42.50 as 42.5.
func canonical(r cab.Request) cab.Request {
	d := &r.Decision
	for _, x := range []*decimal.Decimal{&d.Score, &d.Threshold, &d.ExceptionThreshold} {
		*x = decimal.RequireFromString(x.String())
	}
	return r
}

// assertSameRequest asserts that two requests are equal, decimals by value.
func assertSameRequest(t require.TestingT, want, got cab.Request, msgAndArgs ...any) {
	assert.Equal(t, canonical(want), canonical(got), msgAndArgs...)
}

// keep returns fn's request unchanged, with a valid event.
func keep(r cab.Request) (cab.Request, security.EventInput, error) {
	return r, security.EventInput{Type: cab.EventApproved, Actor: "alice"}, nil
}

func (e *env) submit(r cab.Request) cab.Request {
	e.t.Helper()
	got, err := e.s.CreateRequest(e.ctx(), r)
	require.NoError(e.t, err)
	return got
}

// approve applies cab.Approve through UpdateRequest, as the workflow does,
// with member's approval attested by the service key. It is safe to call
// from any goroutine.
func (e *env) approve(id uuid.UUID, member string) (cab.Request, error) {
	now := e.clock.Now()
	svc, err := services[attest.ServiceAttested]()
	if err != nil {
		return cab.Request{}, err
	}
	return e.s.UpdateRequest(e.ctx(), id, func(r cab.Request) (cab.Request, security.EventInput, error) {
		a, err := attested(svc, &r, cab.KindApproval, member, "")
		if err != nil {
			return r, security.EventInput{}, err
		}
		next, err := cab.Approve(r, svc.Keys(), a, now)
		return next, security.EventInput{Type: cab.EventApproved, Actor: member, Subject: "cab-request:" + r.ID.String()}, err
	})
}

func runRequests(t *testing.T, h Harness) {
	subtests(t, h, cases(requestCases(), requestFlowCases(), requestScenarioCases()))
}

// requestCases are the creation, reading and updating of requests.
func requestCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"CreateRequestStoresEveryField": func(e *env) {
			want := e.newRequest("chg-1", "42.5", blastradius.BusinessCritical, e.clock.Now())
			got := e.submit(want)
			for _, read := range []func() (cab.Request, error){
				func() (cab.Request, error) { return got, nil },
				func() (cab.Request, error) { return e.s.Request(e.ctx(), want.ID) },
				func() (cab.Request, error) { return e.s.RequestByCorrelationID(e.ctx(), "chg-1") },
			} {
				r, err := read()
				require.NoError(e.t, err)
				assert.Equal(e.t, want.ID, r.ID)
				assert.Equal(e.t, want.EvidenceID, r.EvidenceID)
				assert.Equal(e.t, want.DeploymentIntentID, r.DeploymentIntentID)
				assert.Equal(e.t, want.Application, r.Application)
				assert.Equal(e.t, want.ArtifactDigest, r.ArtifactDigest)
				assert.Equal(e.t, want.SubmissionHash, r.SubmissionHash)
				assert.Equal(e.t, want.Submitter, r.Submitter)
				assert.Equal(e.t, cab.StatusPendingReview, r.Status)
				assert.Equal(e.t, want.Decision.Outcome, r.Decision.Outcome)
				assert.Equal(e.t, want.Decision.Reason, r.Decision.Reason)
				assert.Equal(e.t, "42.5", r.Decision.Score.String())
				assert.Equal(e.t, "10", r.Decision.Threshold.String())
				assert.Equal(e.t, "80", r.Decision.ExceptionThreshold.String())
				assert.Equal(e.t, want.Decision.Class, r.Decision.Class)
				assert.Equal(e.t, want.Decision.ModelVersion, r.Decision.ModelVersion)
				assert.Equal(e.t, 2, r.Decision.Quorum)
				assert.Equal(e.t, want.Decision.ModelHash, r.Decision.ModelHash)
				assert.True(e.t, r.ScoreSupplied)
				assert.Nil(e.t, r.Factors, "a supplied score has no factors")
				assert.Equal(e.t, want.DeclaredClass, r.DeclaredClass)
				assert.Equal(e.t, "declared", r.ClassRule)
				assert.Equal(e.t, want.Attestation, r.Attestation)
				assert.Equal(e.t, e.at(want.CreatedAt), r.CreatedAt)
				assert.Equal(e.t, e.at(want.UpdatedAt), r.UpdatedAt)
				require.NoError(e.t, r.Verify(e.keys()), "the decision read back is what the service key signed")
			}
			last := e.lastEvent()
			assert.Equal(e.t, cab.EventSubmitted, last.Type)
			assert.Equal(e.t, "sam", last.Actor)
			assert.Contains(e.t, string(last.Data), "SCORE_ABOVE_THRESHOLD")
		},
		"ResubmittingTheSameRequestReturnsTheStoredOne": func(e *env) {
			first := e.submit(e.newRequest("chg-2", "42.5", blastradius.BusinessCritical, e.clock.Now()))
			before := e.auditSize()
			again := e.newRequest("chg-2", "42.5", blastradius.BusinessCritical, e.clock.Now().Add(time.Hour))
			got := e.submit(again)
			assert.Equal(e.t, first.ID, got.ID)
			assert.Equal(e.t, before, e.auditSize())
			_, err := e.s.CreateRequest(e.ctx(), e.newRequest("chg-2", "12", blastradius.BusinessCritical, e.clock.Now()))
			require.ErrorIs(e.t, err, store.ErrConflict, "a different submission under the same correlation id")
		},
		"CreateRequestRejectsIncompleteRequests": func(e *env) {
			for field, mutate := range map[string]func(r *cab.Request){
				"id":             func(r *cab.Request) { r.ID = uuid.Nil },
				"correlation_id": func(r *cab.Request) { r.CorrelationID = "" },
				"submitter":      func(r *cab.Request) { r.Submitter = " " },
				"class":          func(r *cab.Request) { r.Decision.Class = "HUGE" },
				"status":         func(r *cab.Request) { r.Status = "maybe" },
			} {
				r := e.newRequest("chg-bad", "42.5", blastradius.BusinessCritical, e.clock.Now())
				mutate(&r)
				_, err := e.s.CreateRequest(e.ctx(), r)
				requireInvalid(e.t, err, field)
			}
			// A submitter that is not normalised: the store keeps names as
			// separation of duties compares them.
			for _, name := range []string{"sam\n", " sam", "Sam", "SAM"} {
				r := e.newRequest("chg-bad", "42.5", blastradius.BusinessCritical, e.clock.Now())
				r.Submitter = name
				_, err := e.s.CreateRequest(e.ctx(), r)
				requireInvalid(e.t, err, "submitter", "%q", name)
			}
			// A submitter the store accepts but the audit log refuses.
			r := e.newRequest("chg-bad", "42.5", blastradius.BusinessCritical, e.clock.Now())
			r.Submitter = "sa\x00m"
			_, err := e.s.CreateRequest(e.ctx(), r)
			requireInvalid(e.t, err, "actor")
			_, err = e.s.RequestByCorrelationID(e.ctx(), "chg-bad")
			require.ErrorIs(e.t, err, store.ErrNotFound, "no refused request is stored")
			assert.Zero(e.t, e.auditSize())
		},
		"RequestLookupsReturnErrNotFound": func(e *env) {
			_, err := e.s.Request(e.ctx(), uuid.New())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.RequestByCorrelationID(e.ctx(), "nope")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.approve(uuid.New(), "alice")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"UpdateRequestAppliesTheRuleAndAuditsIt": func(e *env) {
			r := e.submit(e.newRequest("chg-3", "42.5", blastradius.BusinessCritical, e.clock.Now()))
			e.clock.Advance(time.Hour)
			got, err := e.approve(r.ID, "alice")
			require.NoError(e.t, err)
			require.Len(e.t, got.Approvals, 1)
			assert.Equal(e.t, "alice", got.Approvals[0].By)
			assert.Equal(e.t, e.at(Epoch.Add(time.Hour)), got.Approvals[0].At)
			assert.Equal(e.t, e.at(Epoch.Add(time.Hour)), got.UpdatedAt)
			got, err = e.approve(r.ID, "bob")
			require.NoError(e.t, err)
			assert.Equal(e.t, cab.StatusApproved, got.Status)
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, cab.StatusApproved, read.Status)
			assert.Len(e.t, read.Approvals, 2)
			assert.Equal(e.t, cab.EventApproved, e.lastEvent().Type)
		},
		"ARefusedUpdateWritesNothing": func(e *env) {
			r := e.submit(e.newRequest("chg-4", "42.5", blastradius.BusinessCritical, e.clock.Now()))
			before := e.auditSize()
			_, err := e.approve(r.ID, "sam")
			require.ErrorIs(e.t, err, cab.ErrNotMember)
			boom := &cab.WorkflowError{RequestID: r.ID, Reason: "no", Err: cab.ErrNotPending}
			_, err = e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
				cur.Status = cab.StatusApproved
				return cur, security.EventInput{Type: "x", Actor: "y"}, boom
			})
			assert.Same(e.t, boom, err, "fn's error is returned as it is")
			_, err = e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
				cur.Status = cab.StatusApproved
				return cur, security.EventInput{Type: cab.EventApproved}, nil // no actor
			})
			requireInvalid(e.t, err, "actor", "an event the audit log refuses")
			_, err = e.s.UpdateRequest(e.ctx(), r.ID, nil)
			requireInvalid(e.t, err, "fn")
			_, err = e.s.UpdateRequest(e.ctx(), uuid.New(), nil)
			requireInvalid(e.t, err, "fn", "no function, whatever the id")
			_, err = e.s.UpdateRequest(e.ctx(), uuid.New(), keep)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assertSameRequest(e.t, r, read)
			assert.Equal(e.t, before, e.auditSize())
		},
		"UpdateRequestCannotRewriteTheSubmission": func(e *env) {
			r := e.submit(e.newRequest("chg-5", "42.5", blastradius.BusinessCritical, e.clock.Now()))
			before := e.auditSize()
			for name, c := range map[string]struct {
				field  string
				mutate func(r *cab.Request)
			}{
				"id":                  {"id", func(r *cab.Request) { r.ID = uuid.New() }},
				"correlation id":      {"correlation_id", func(r *cab.Request) { r.CorrelationID = "chg-6" }},
				"evidence":            {"evidence_id", func(r *cab.Request) { r.EvidenceID = uuid.New() }},
				"intent":              {"deployment_intent_id", func(r *cab.Request) { r.DeploymentIntentID = uuid.New() }},
				"application":         {"application", func(r *cab.Request) { r.Application = "Zoom" }},
				"digest":              {"artifact_sha256", func(r *cab.Request) { r.ArtifactDigest[0] ^= 1 }},
				"submitter":           {"submitter", func(r *cab.Request) { r.Submitter = "alice" }},
				"hash":                {"submission_hash", func(r *cab.Request) { r.SubmissionHash[0] ^= 1 }},
				"outcome":             {"decision", func(r *cab.Request) { r.Decision.Outcome = cab.AutoApproved }},
				"reason":              {"decision", func(r *cab.Request) { r.Decision.Reason.Text = "because" }},
				"score":               {"decision", func(r *cab.Request) { r.Decision.Score = decimal.NewFromInt(1) }},
				"class":               {"decision", func(r *cab.Request) { r.Decision.Class = blastradius.NonCritical }},
				"threshold":           {"decision", func(r *cab.Request) { r.Decision.Threshold = decimal.NewFromInt(11) }},
				"exception threshold": {"decision", func(r *cab.Request) { r.Decision.ExceptionThreshold = decimal.NewFromInt(90) }},
				"model":               {"decision", func(r *cab.Request) { r.Decision.ModelVersion = "2.0" }},
				"quorum":              {"decision", func(r *cab.Request) { r.Decision.Quorum = 1 }},
				"model hash":          {"decision", func(r *cab.Request) { r.Decision.ModelHash[0] ^= 1 }},
				"factors": {"factors", func(r *cab.Request) {
					r.Factors = map[riskmodel.Factor]decimal.Decimal{riskmodel.SupplyChain: decimal.NewFromInt(1)}
				}},
				"score supplied":    {"score_supplied", func(r *cab.Request) { r.ScoreSupplied = false }},
				"declared class":    {"declared_class", func(r *cab.Request) { r.DeclaredClass = blastradius.NonCritical }},
				"class rule":        {"class_rule", func(r *cab.Request) { r.ClassRule = "critical-infrastructure" }},
				"signature":         {"attestation", func(r *cab.Request) { r.Attestation.Signatures[0].Sig[0] ^= 1 }},
				"unsigned":          {"attestation", func(r *cab.Request) { r.Attestation = dsse.Envelope{} }},
				"signed statement":  {"attestation", func(r *cab.Request) { r.Attestation.Payload = []byte("{}") }},
				"creation time":     {"created_at", func(r *cab.Request) { r.CreatedAt = r.CreatedAt.Add(e.precision()) }},
				"an unknown status": {"status", func(r *cab.Request) { r.Status = "maybe" }},
			} {
				_, err := e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
					c.mutate(&cur)
					return cur, security.EventInput{Type: "cab.tamper", Actor: "mallory"}, nil
				})
				requireCode(e.t, err, trustgate.Invalid, name)
				assert.Equal(e.t, c.field, trustgate.AsError(err).Field, name)
			}
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assertSameRequest(e.t, r, read)
			assert.Equal(e.t, before, e.auditSize())
			// The same instant in another zone, and the same decimals written
			// differently, are the same submission.
			got, err := e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
				cur.CreatedAt = cur.CreatedAt.In(time.FixedZone("X", -5*3600))
				cur.Decision.Score = decimal.RequireFromString("42.50")
				return keep(cur)
			})
			require.NoError(e.t, err)
			assert.Equal(e.t, "42.5", got.Decision.Score.String(), "the submission is kept as stored")
			read, err = e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, canonical(r).Decision, canonical(read).Decision)
			assert.Equal(e.t, r.CreatedAt, read.CreatedAt)
		},
		"ExceptionsRoundTrip": func(e *env) {
			r := e.submit(e.newRequest("chg-6", "91", blastradius.ProductivityTools, e.clock.Now()))
			require.Equal(e.t, cab.StatusExceptionRequired, r.Status)
			now := e.clock.Now()
			got, err := e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
				x, err := cab.NewException(cur, "sam", "zero-day patch", now.AddDate(0, 0, 14), now)
				if err != nil {
					return cur, security.EventInput{}, err
				}
				payload, err := cur.ExceptionPayload(x)
				if err != nil {
					return cur, security.EventInput{}, err
				}
				if x.Attestation, err = e.svc().Seal(payload); err != nil {
					return cur, security.EventInput{}, err
				}
				next, err := cab.RequestException(cur, e.keys(), x, now)
				return next, security.EventInput{Type: cab.EventExceptionRequest, Actor: "sam"}, err
			})
			require.NoError(e.t, err)
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			require.NotNil(e.t, read.Exception)
			assert.Equal(e.t, got.Exception.Justification, read.Exception.Justification)
			assert.Equal(e.t, e.at(now.AddDate(0, 0, 14)), read.Exception.ExpiresAt)
			assert.Equal(e.t, e.at(now), read.Exception.RequestedAt)
			assert.Equal(e.t, r.ArtifactDigest, read.Exception.ArtifactDigest)
			assert.Equal(e.t, got.Exception.Attestation, read.Exception.Attestation, "the exception's statement, byte for byte")
			assert.Equal(e.t, cab.StatusExceptionPending, read.Status)
			require.NoError(e.t, read.Verify(e.keys()), "the exception read back is what the service key signed")
		},
		"ConcurrentApproversReachTheQuorumExactlyOnce": func(e *env) {
			r := e.submit(e.newRequest("chg-7", "20", blastradius.CriticalInfrastructure, e.clock.Now()))
			names := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
			var wg sync.WaitGroup
			errs := make(chan error, len(names)*2)
			for _, n := range names {
				for range 2 { // each member tries twice
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := e.approve(r.ID, n)
						errs <- err
					}()
				}
			}
			wg.Wait()
			close(errs)
			ok := 0
			for err := range errs {
				if err == nil {
					ok++
				} else {
					assert.True(e.t, errors.Is(err, cab.ErrNotPending) || errors.Is(err, cab.ErrDuplicateApproval), "%v", err)
				}
			}
			assert.Equal(e.t, 3, ok, "exactly the quorum of approvals succeeds")
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, cab.StatusApproved, read.Status)
			assert.Len(e.t, read.Approvals, 3)
			seen := map[string]bool{}
			for _, a := range read.Approvals {
				assert.False(e.t, seen[a.By], "no double approval")
				seen[a.By] = true
			}
		},
		"ConcurrentDuplicateSubmissionsStoreOneRequest": func(e *env) {
			r := e.newRequest("chg-dup", "42.5", blastradius.BusinessCritical, e.clock.Now())
			e.duplicatesStoreOne(12, func() (uuid.UUID, error) {
				dup := r
				dup.ID = uuid.New() // each submitter proposes its own id
				got, err := e.s.CreateRequest(e.ctx(), dup)
				return got.ID, err
			})
		},
		"ListRequestsPaginatesThePeriodOldestFirst": func(e *env) {
			var want []uuid.UUID
			for i := range 7 {
				r := e.submit(e.newRequest(fmt.Sprintf("chg-l%d", i), "42.5", blastradius.BusinessCritical, e.clock.Now()))
				if i >= 1 && i < 6 {
					want = append(want, r.ID)
				}
				e.clock.Advance(time.Minute)
			}
			var got []uuid.UUID
			// Bounds at times the store holds exactly: the requests created
			// then are in the period, and out of it.
			f := cab.RequestFilter{From: e.at(Epoch.Add(time.Minute)), To: e.at(Epoch.Add(6 * time.Minute)), Limit: 2}
			for range 10 {
				page, err := e.s.ListRequests(e.ctx(), f)
				require.NoError(e.t, err)
				for _, r := range page {
					got = append(got, r.ID)
				}
				if len(page) < f.Limit {
					break
				}
				f.After = page[len(page)-1].ID
			}
			assert.Equal(e.t, want, got)
			_, err := e.s.ListRequests(e.ctx(), cab.RequestFilter{From: Epoch, To: Epoch.Add(time.Hour), Limit: 0})
			requireInvalid(e.t, err, "limit")
		},
	}
}
