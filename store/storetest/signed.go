package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/maturity"
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

// What is signed is kept as it was signed. The store verifies no
// signature (it holds no keys), but it refuses what it can tell is wrong
// without them (a creator approving their own model, a second signoff by
// one member, an unsigned or unnormalised one), and it gives back every
// signed record so that its statement, encoded again from what was read,
// is byte for byte the one signed: a record read back still verifies.

func runSigned(t *testing.T, h Harness) {
	subtests(t, h, cases(signedModelCases(), signedRequestCases(), signedMaturityCases()))
}

// zeroModel returns an unapproved, inactive version named version with
// the thresholds of maturity level 0 and times finer than a millisecond,
// which the store rounds: a version that verifies at level 0 once two
// members other than its creator sign it.
func zeroModel(version string) riskmodel.Version {
	v := riskmodel.Seed(Epoch.Add(789 * time.Nanosecond))
	v.Version, v.Active, v.Approval = version, false, riskmodel.Approval{}
	v.CreatedAt = Epoch.Add(time.Hour + 456*time.Nanosecond)
	v.CreatedBy = "cab-admin"
	return v
}

// requireSeparationOfDuties asserts that err is the store's refusal of a
// creator approving their own version.
func requireSeparationOfDuties(t require.TestingT, err error) {
	requireCode(t, err, trustgate.Forbidden)
	te := trustgate.AsError(err)
	assert.Equal(t, "SEPARATION_OF_DUTIES", te.Reason)
	assert.Equal(t, "approver", te.Field)
}

// requireUnverified asserts that err is a model's failure to verify.
func requireUnverified(t require.TestingT, err error, msgAndArgs ...any) {
	require.ErrorIs(t, err, riskmodel.ErrUnverified, msgAndArgs...)
	requireCode(t, err, trustgate.Tampered, msgAndArgs...)
}

func signedModelCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"ApproveRiskModelAppendsSignedSignoffsThatReadBackAsSigned": func(e *env) {
			e.create(zeroModel("2.0"))
			v, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, "cab-admin", v.CreatedBy, "the creator is the creating actor")
			assert.Empty(e.t, v.Signoffs)
			_, err = cab.VerifyModel(&v, e.keys(), maturity.Levels(), maturity.Baseline)
			requireUnverified(e.t, err, "no signoff")

			e.clock.Advance(time.Minute)
			alice := e.signoff(v, "alice")
			require.NoError(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", alice, false))
			ev := e.lastEvent()
			assert.Equal(e.t, security.EventRiskModelApproved, ev.Type)
			assert.Equal(e.t, "alice", ev.Actor)
			assert.Equal(e.t, "riskmodel:2.0", ev.Subject)
			assert.JSONEq(e.t, `{"version":"2.0","quorum_reached":false}`, string(ev.Data))
			one, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.False(e.t, one.Approval.Approved)
			_, err = cab.VerifyModel(&one, e.keys(), maturity.Levels(), maturity.Baseline)
			requireUnverified(e.t, err, "one member alone approves no model")

			e.clock.Advance(time.Minute)
			bob := riskmodel.Signoff{By: "bob", Envelope: e.memberSeal("bob", mustPayload(e, v, "bob"))} // bob's own key
			require.NoError(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", bob, true))
			assert.JSONEq(e.t, `{"version":"2.0","quorum_reached":true}`, string(e.lastEvent().Data))

			want := []riskmodel.Signoff{
				{By: "alice", At: e.at(Epoch.Add(time.Minute)), Envelope: alice.Envelope},
				{By: "bob", At: e.at(Epoch.Add(2 * time.Minute)), Envelope: bob.Envelope},
			}
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			for name, read := range map[string]func() (riskmodel.Version, error){
				"RiskModel":       func() (riskmodel.Version, error) { return e.s.RiskModel(e.ctx(), "2.0") },
				"ActiveRiskModel": func() (riskmodel.Version, error) { return e.s.ActiveRiskModel(e.ctx()) },
				"ListRiskModels": func() (riskmodel.Version, error) {
					list, err := e.s.ListRiskModels(e.ctx())
					if err != nil || len(list) != 1 {
						return riskmodel.Version{}, fmt.Errorf("%d versions listed: %v", len(list), err)
					}
					return list[0], nil
				},
			} {
				got, err := read()
				require.NoError(e.t, err, name)
				assertSameSignoffs(e.t, want, got.Signoffs)
				assert.Equal(e.t, riskmodel.Approval{Approved: true, By: "bob", At: e.at(Epoch.Add(2 * time.Minute))}, got.Approval, name)
				assert.Equal(e.t, "cab-admin", got.CreatedBy, name)
				assert.Equal(e.t, []string{"alice", "bob"}, got.Approvers(e.keys()), name)
				_, err = cab.VerifyModel(&got, e.keys(), maturity.Levels(), maturity.Baseline)
				require.NoError(e.t, err, "%s: the version as read back verifies", name)
				_, err = cab.VerifyModel(&got, e.svcIn(attest.MemberSigned).Keys(), maturity.Levels(), maturity.Baseline)
				requireUnverified(e.t, err, "%s: in member-signed mode the service key vouches for no member", name)
			}
		},
		"ApproveRiskModelRefusesWhatNoKeyIsNeededToRefuseAndWritesNothing": func(e *env) {
			// A creator named as typed: the store keeps it normalised.
			require.NoError(e.t, e.s.CreateRiskModel(e.ctx(), zeroModel("2.0"), " CAB-Admin "))
			v, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			require.Equal(e.t, "cab-admin", v.CreatedBy)
			e.create(zeroModel("2.1"))
			require.NoError(e.t, e.s.ApproveRiskModel(e.ctx(), "2.1", e.signoff(v, "carol"), false))
			before := e.auditSize()

			requireSeparationOfDuties(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", e.signoff(v, "cab-admin"), false))
			requireSeparationOfDuties(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", e.signoff(v, "cab-admin"), true))
			for _, name := range []string{"Alice", " alice", "alice\t", "ALICE", "Cab-Admin", "Straße"} {
				s := e.signoff(v, "alice")
				s.By = name
				requireInvalid(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", s, true), "approver", "%q", name)
			}
			for name, env := range map[string]dsse.Envelope{
				"no envelope":   {},
				"no signatures": {PayloadType: attest.PayloadType, Payload: mustPayload(e, v, "alice")},
				"empty list":    {PayloadType: attest.PayloadType, Payload: mustPayload(e, v, "alice"), Signatures: []dsse.Signature{}},
			} {
				requireInvalid(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", riskmodel.Signoff{By: "alice", Envelope: env}, true), "envelope", name)
			}
			require.ErrorIs(e.t, e.s.ApproveRiskModel(e.ctx(), "2.1", e.signoff(v, "carol"), true), store.ErrConflict,
				"a second signoff by one member")
			require.ErrorIs(e.t, e.s.ApproveRiskModel(e.ctx(), "9.9", e.signoff(v, "carol"), true), store.ErrNotFound)
			assert.Equal(e.t, before, e.auditSize(), "a refused signoff writes nothing")
			for _, ver := range []string{"2.0", "2.1"} {
				got, err := e.s.RiskModel(e.ctx(), ver)
				require.NoError(e.t, err)
				assert.False(e.t, got.Approval.Approved, ver)
				assert.Len(e.t, got.Signoffs, map[string]int{"2.0": 0, "2.1": 1}[ver], ver)
			}

			// Once approved, a version takes no more signoffs.
			require.NoError(e.t, e.s.ApproveRiskModel(e.ctx(), "2.1", e.signoff(v, "dave"), true))
			before = e.auditSize()
			require.ErrorIs(e.t, e.s.ApproveRiskModel(e.ctx(), "2.1", e.signoff(v, "erin"), false), store.ErrConflict)
			require.ErrorIs(e.t, e.s.ApproveRiskModel(e.ctx(), "2.1", e.signoff(v, "erin"), true), store.ErrConflict)
			got, err := e.s.RiskModel(e.ctx(), "2.1")
			require.NoError(e.t, err)
			assert.Len(e.t, got.Signoffs, 2)
			assert.Equal(e.t, "dave", got.Approval.By)
			assert.Equal(e.t, before, e.auditSize())
		},
		"AStoredVersionHashesAsItDidBeforeItWasStored": func(e *env) {
			// On the store under test, and on one over the same driver that
			// keeps milliseconds, the coarsest precision a signed record
			// survives.
			milli, err := store.New(declaring{e.d, time.Millisecond}, store.Options{Now: e.clock.Now})
			require.NoError(e.t, err)
			for name, s := range map[string]*store.Store{"2.0": e.s, "2.1": milli} {
				v := zeroModel(name)
				v.Calibration = []byte(`{ "weeks": 4,  "rate": "0.018", "note": "é" }`)
				v.Thresholds[blastradius.NonCritical] = decimal.RequireFromString("0.000")
				v.ExceptionThreshold = decimal.RequireFromString("80.50")
				v.CreatedBy = "cab-admin"
				before, err := v.ContentHash()
				require.NoError(e.t, err)
				require.NoError(e.t, s.CreateRiskModel(e.ctx(), v, "CAB-Admin"))
				assert.Equal(e.t, security.Digest(before).String(), eventData(e, e.lastEvent())["content_sha256"],
					"%s: the riskmodel.created event names the content hash", name)
				got, err := s.RiskModel(e.ctx(), name)
				require.NoError(e.t, err)
				after, err := got.ContentHash()
				require.NoError(e.t, err)
				assert.Equal(e.t, before, after, "version %s: the content hash of what was stored and of what reads back", name)
				canon, err := v.Canonical()
				require.NoError(e.t, err)
				again, err := got.Canonical()
				require.NoError(e.t, err)
				assert.Equal(e.t, string(canon), string(again), name)
				// And a signoff made over the version before it was stored
				// counts for the version read back.
				require.NoError(e.t, s.ApproveRiskModel(e.ctx(), name, e.signoff(v, "alice"), false))
				require.NoError(e.t, s.ApproveRiskModel(e.ctx(), name, e.signoff(v, "bob"), true))
				got, err = s.RiskModel(e.ctx(), name)
				require.NoError(e.t, err)
				h, err := cab.VerifyModel(&got, e.keys(), maturity.Levels(), maturity.Baseline)
				require.NoError(e.t, err, name)
				assert.Equal(e.t, security.Digest(before), h)
			}
		},
		"AVersionFromTheWorkflowVerifiesAsStored": func(e *env) {
			e.seed()
			w := e.workflow(e.svc(), cab.Options{})
			require.NoError(e.t, e.s.CreateRiskModel(e.ctx(), zeroModel("2.0"), "Carol"))
			_, err := w.ApproveModel(e.ctx(), "2.0", "carol")
			require.ErrorIs(e.t, err, cab.ErrSeparationOfDuties, "the creator, a member, approves nothing of their own")
			got, err := w.ApproveModel(e.ctx(), "2.0", "Alice ")
			require.NoError(e.t, err)
			assert.False(e.t, got.Approval.Approved)
			require.Len(e.t, got.Signoffs, 1)
			assert.Equal(e.t, "alice", got.Signoffs[0].By, "stored normalised")
			_, err = w.ApproveModel(e.ctx(), "2.0", "ALICE")
			require.ErrorIs(e.t, err, cab.ErrDuplicateApproval, "one person, however spelled")
			require.ErrorIs(e.t, w.ActivateModel(e.ctx(), "2.0", "carol"), riskmodel.ErrUnverified)
			got, err = w.ApproveModel(e.ctx(), "2.0", "bob")
			require.NoError(e.t, err)
			assert.True(e.t, got.Approval.Approved)
			require.NoError(e.t, w.ActivateModel(e.ctx(), "2.0", "carol"))
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, "2.0", active.Version)
			_, err = cab.VerifyModel(&active, e.keys(), maturity.Levels(), maturity.Baseline)
			require.NoError(e.t, err)
		},
	}
}

// mustPayload returns v's approval statement for member.
func mustPayload(e *env, v riskmodel.Version, member string) []byte {
	e.t.Helper()
	p, err := v.ApprovalPayload(member)
	require.NoError(e.t, err)
	return p
}

// eventData returns an event's data as strings.
func eventData(e *env, ev security.Event) map[string]any {
	e.t.Helper()
	var m map[string]any
	require.NoError(e.t, json.Unmarshal(ev.Data, &m))
	return m
}

// signedRequest returns a request as the workflow submits it: scored from
// factor values under the seed model, its class classified, and its
// decision signed by the service key.
func (e *env) signedRequest(corr, score string, class blastradius.Class) cab.Request {
	e.t.Helper()
	r := e.newRequest(corr, score, class, e.clock.Now())
	r.Factors = map[riskmodel.Factor]decimal.Decimal{
		riskmodel.PrivilegeElevation: decimal.RequireFromString("12.50"), riskmodel.BlastRadius: decimal.RequireFromString("0.001"),
		riskmodel.SupplyChain: decimal.NewFromInt(100),
	}
	r.ScoreSupplied, r.DeclaredClass, r.ClassRule = false, "", "business-criticality-high"
	return e.sign(r)
}

// update applies rule to the stored request id at the clock's time.
func (e *env) update(id uuid.UUID, typ security.EventType, actor string, rule func(r cab.Request, now time.Time) (cab.Request, error)) (cab.Request, error) {
	now := e.clock.Now()
	return e.s.UpdateRequest(e.ctx(), id, func(r cab.Request) (cab.Request, security.EventInput, error) {
		next, err := rule(r, now)
		return next, security.EventInput{Type: typ, Actor: actor, Subject: "cab-request:" + r.ID.String()}, err
	})
}

// readsBack asserts that every way of reading request want gives it back
// as it was signed, and that it verifies.
func (e *env) readsBack(want cab.Request) {
	e.t.Helper()
	for name, read := range map[string]func() (cab.Request, error){
		"Request":                func() (cab.Request, error) { return e.s.Request(e.ctx(), want.ID) },
		"RequestByCorrelationID": func() (cab.Request, error) { return e.s.RequestByCorrelationID(e.ctx(), want.CorrelationID) },
		"ListRequests": func() (cab.Request, error) {
			list, err := e.s.ListRequests(e.ctx(), cab.RequestFilter{From: e.at(want.CreatedAt), To: e.at(want.CreatedAt).Add(time.Second), Limit: 10})
			for _, r := range list {
				if r.ID == want.ID {
					return r, err
				}
			}
			return cab.Request{}, errors.Join(err, errors.New("not listed"))
		},
	} {
		got, err := read()
		require.NoError(e.t, err, name)
		assert.Equal(e.t, want.Attestation, got.Attestation, "%s: the decision's envelope", name)
		assert.Equal(e.t, want.Decision.ModelHash, got.Decision.ModelHash, name)
		assert.Equal(e.t, len(want.Factors), len(got.Factors), name)
		for f, v := range want.Factors {
			assert.True(e.t, v.Equal(got.Factors[f]), "%s: factor %s: %s != %s", name, f, v, got.Factors[f])
		}
		assert.Equal(e.t, want.ScoreSupplied, got.ScoreSupplied, name)
		assert.Equal(e.t, want.DeclaredClass, got.DeclaredClass, name)
		assert.Equal(e.t, want.ClassRule, got.ClassRule, name)
		assert.Equal(e.t, want.Approvals, got.Approvals, "%s: approvals with their envelopes, byte for byte", name)
		assert.Equal(e.t, want.Rejection, got.Rejection, name)
		assert.Equal(e.t, want.Exception, got.Exception, name)
		assert.Equal(e.t, want.Status, got.Status, name)
		require.NoError(e.t, got.Verify(e.keys()), "%s: the request read back is what was signed", name)
	}
}

func signedRequestCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"CreateRequestKeepsTheSignedSubmissionByteForByte": func(e *env) {
			for _, r := range []cab.Request{
				e.signedRequest("chg-factors", "42.5", blastradius.BusinessCritical),
				func() cab.Request { // a supplied score and a declared class, more severe than classified
					r := e.newRequest("chg-supplied", "12", blastradius.CriticalInfrastructure, e.clock.Now())
					r.ScoreSupplied, r.DeclaredClass, r.ClassRule = true, blastradius.CriticalInfrastructure, "declared"
					return e.sign(r)
				}(),
			} {
				got := e.submit(r)
				assert.Equal(e.t, r.Attestation, got.Attestation, "what CreateRequest returns")
				want := r
				want.CreatedAt, want.UpdatedAt = e.at(r.CreatedAt), e.at(r.UpdatedAt)
				e.readsBack(want)
				ev := eventData(e, e.lastEvent())
				assert.Equal(e.t, r.Decision.ModelHash.String(), ev["model_sha256"], "the cab.submitted event names the model")
				assert.Equal(e.t, fmt.Sprint(r.ScoreSupplied), ev["score_supplied"])
				assert.Equal(e.t, string(r.DeclaredClass), ev["declared_class"])
			}
		},
		"ApprovalsRejectionsAndExceptionsKeepTheirEnvelopes": func(e *env) {
			svc, keys := e.svc(), e.keys()
			// Approved to quorum: one approval attested by the service key,
			// one signed with the member's own key and countersigned.
			r := e.submit(e.signedRequest("chg-approved", "42.5", blastradius.BusinessCritical))
			e.clock.Advance(time.Minute)
			got, err := e.update(r.ID, cab.EventApproved, "alice", func(cur cab.Request, now time.Time) (cab.Request, error) {
				a, err := attested(svc, &cur, cab.KindApproval, "alice", "rollback plan attached")
				if err != nil {
					return cur, err
				}
				return cab.Approve(cur, keys, a, now)
			})
			require.NoError(e.t, err)
			require.Equal(e.t, cab.StatusPendingReview, got.Status)
			e.clock.Advance(time.Minute)
			got, err = e.update(r.ID, cab.EventApproved, "bob", func(cur cab.Request, now time.Time) (cab.Request, error) {
				payload, err := cur.ApprovalPayload(cab.KindApproval, "bob", "")
				if err != nil {
					return cur, err
				}
				signer, err := dsse.NewSigner(testkeys.MemberKey("bob"))
				if err != nil {
					return cur, err
				}
				env, err := dsse.Seal(attest.PayloadType, payload, signer)
				if err != nil {
					return cur, err
				}
				if env, err = svc.Countersign(env); err != nil {
					return cur, err
				}
				return cab.Approve(cur, keys, cab.Approval{By: "bob", Envelope: env}, now)
			})
			require.NoError(e.t, err)
			require.Equal(e.t, cab.StatusApproved, got.Status)
			require.Len(e.t, got.Approvals, 2)
			assert.Len(e.t, got.Approvals[1].Envelope.Signatures, 2, "the member's signature and the service's")
			e.readsBack(got)
			auth, err := cab.Authorize(got, keys, got.ArtifactDigest, e.clock.Now())
			require.NoError(e.t, err)
			assert.Equal(e.t, 2, auth.Approvals)

			// Rejected: the rejection's statement, signed.
			rej := e.submit(e.signedRequest("chg-rejected", "42.5", blastradius.BusinessCritical))
			got, err = e.update(rej.ID, cab.EventRejected, "carol", func(cur cab.Request, now time.Time) (cab.Request, error) {
				a, err := attested(svc, &cur, cab.KindRejection, "carol", "no rollback plan")
				if err != nil {
					return cur, err
				}
				return cab.Reject(cur, keys, cab.Rejection{By: a.By, Reason: a.Comment, Envelope: a.Envelope}, now)
			})
			require.NoError(e.t, err)
			require.Equal(e.t, cab.StatusRejected, got.Status)
			require.NotNil(e.t, got.Rejection)
			require.NotEmpty(e.t, got.Rejection.Envelope.Signatures)
			e.readsBack(got)

			// An exception, signed by the service key, approved to quorum.
			x := e.submit(e.signedRequest("chg-exception", "91", blastradius.BusinessCritical))
			require.Equal(e.t, cab.StatusExceptionRequired, x.Status)
			got, err = e.update(x.ID, cab.EventExceptionRequest, "sam", func(cur cab.Request, now time.Time) (cab.Request, error) {
				ex, err := cab.NewException(cur, "sam", "zero-day patch", now.AddDate(0, 0, 14), now)
				if err != nil {
					return cur, err
				}
				payload, err := cur.ExceptionPayload(ex)
				if err != nil {
					return cur, err
				}
				if ex.Attestation, err = svc.Seal(payload); err != nil {
					return cur, err
				}
				return cab.RequestException(cur, keys, ex, now)
			})
			require.NoError(e.t, err)
			require.Equal(e.t, 2, x.Decision.Quorum)
			for i, m := range []string{"dave", "erin"} {
				e.clock.Advance(time.Minute)
				got, err = e.update(x.ID, cab.EventExceptionApproved, m, func(cur cab.Request, now time.Time) (cab.Request, error) {
					a, err := attested(svc, &cur, cab.KindExceptionApproval, m, "")
					if err != nil {
						return cur, err
					}
					return cab.ApproveException(cur, keys, a, now)
				})
				require.NoError(e.t, err, m)
				if i == 0 {
					require.Equal(e.t, cab.StatusExceptionPending, got.Status)
					e.readsBack(got)
				}
			}
			require.Equal(e.t, cab.StatusExceptionApproved, got.Status)
			require.NotEmpty(e.t, got.Exception.Attestation.Signatures)
			e.readsBack(got)
			auth, err = cab.Authorize(got, keys, got.ArtifactDigest, e.clock.Now())
			require.NoError(e.t, err)
			assert.Equal(e.t, cab.StatusExceptionApproved, auth.Status)
		},
	}
}

// readyProgression stores a ready progression from level 0 and returns it
// as stored.
func (e *env) readyProgression() maturity.Evaluation {
	e.t.Helper()
	ev := readyEvaluation(e.clock.Now())
	require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
	got, err := e.s.Evaluation(e.ctx(), ev.ID)
	require.NoError(e.t, err)
	return got
}

// progressionApproval returns member's approval of ev attested by the
// service key.
func (e *env) progressionApproval(ev maturity.Evaluation, member string) maturity.Approval {
	e.t.Helper()
	payload, err := ev.ApprovalPayload(member)
	require.NoError(e.t, err)
	return maturity.Approval{By: member, Envelope: e.seal(payload)}
}

func signedMaturityCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"AddEvaluationApprovalAppendsSignedApprovalsUntilTheDecision": func(e *env) {
			e.seed()
			ev := e.readyProgression()
			e.clock.Advance(time.Minute)
			alice := e.progressionApproval(ev, "alice")
			got, err := e.s.AddEvaluationApproval(e.ctx(), ev.ID, alice)
			require.NoError(e.t, err)
			want := []maturity.Approval{{By: "alice", At: e.at(Epoch.Add(time.Minute)), Envelope: alice.Envelope}}
			assert.Equal(e.t, want, got.Approvals, "what AddEvaluationApproval returns")
			last := e.lastEvent()
			assert.Equal(e.t, security.EventMaturityApproval, last.Type)
			assert.Equal(e.t, "alice", last.Actor)
			assert.Equal(e.t, "maturity-evaluation:"+ev.ID.String(), last.Subject)
			assert.JSONEq(e.t, `{"evaluation_id":"`+ev.ID.String()+`","approvals":1}`, string(last.Data))
			read, err := e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, want, read.Approvals)
			assert.Equal(e.t, 1, read.VerifiedApprovals(e.keys()), "the approval read back verifies")
			assert.False(e.t, read.Decided())

			// A time the caller gives is kept, at the store's precision.
			bob := e.progressionApproval(ev, "bob")
			bob.At = Epoch.Add(90*time.Second + 789*time.Nanosecond)
			got, err = e.s.AddEvaluationApproval(e.ctx(), ev.ID, bob)
			require.NoError(e.t, err)
			require.Len(e.t, got.Approvals, 2)
			assert.Equal(e.t, e.at(bob.At), got.Approvals[1].At)
			assert.JSONEq(e.t, `{"evaluation_id":"`+ev.ID.String()+`","approvals":2}`, string(e.lastEvent().Data))
			list, err := e.s.ListEvaluations(e.ctx(), 1)
			require.NoError(e.t, err)
			require.Len(e.t, list, 1)
			assert.Equal(e.t, got.Approvals, list[0].Approvals)
			assert.Equal(e.t, 2, list[0].VerifiedApprovals(e.keys()))

			before := e.auditSize()
			carol := e.progressionApproval(ev, "carol")
			for name, c := range map[string]struct {
				id    uuid.UUID
				a     maturity.Approval
				check func(err error)
			}{
				"an unknown evaluation": {uuid.New(), carol, func(err error) { require.ErrorIs(e.t, err, store.ErrNotFound) }},
				"a second approval":     {ev.ID, alice, func(err error) { require.ErrorIs(e.t, err, store.ErrConflict) }},
				"no approver": {ev.ID, maturity.Approval{By: " ", Envelope: carol.Envelope},
					func(err error) { requireInvalid(e.t, err, "approver") }},
				"an unnormalised approver": {ev.ID, maturity.Approval{By: "Carol", Envelope: carol.Envelope},
					func(err error) { requireInvalid(e.t, err, "approver") }},
				"an unsigned approval": {ev.ID, maturity.Approval{By: "carol", Envelope: dsse.Envelope{PayloadType: carol.Envelope.PayloadType,
					Payload: carol.Envelope.Payload}}, func(err error) { requireInvalid(e.t, err, "envelope") }},
			} {
				_, err := e.s.AddEvaluationApproval(e.ctx(), c.id, c.a)
				require.Error(e.t, err, name)
				c.check(err)
			}
			// Only a ready progression gathers approvals.
			notReady := readyEvaluation(e.clock.Now())
			notReady.Ready = false
			hold := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.Baseline, Target: maturity.Baseline}
			for _, other := range []maturity.Evaluation{notReady, hold} {
				require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), other))
				_, err := e.s.AddEvaluationApproval(e.ctx(), other.ID, carol)
				require.ErrorIs(e.t, err, store.ErrConflict, "evaluation of kind %s, ready %v", other.Kind, other.Ready)
			}
			assert.Equal(e.t, before, e.auditSize(), "a refused approval writes nothing")

			// Decided: no approval after.
			state, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			decided, err := e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			tr, err := maturity.Progress(maturity.Levels(), decided, state, active, "bob", e.clock.Now())
			require.NoError(e.t, err)
			tr.State.Approvals = decided.Approvals
			require.NoError(e.t, tr.Sign(e.svc()))
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), tr))
			before = e.auditSize()
			_, err = e.s.AddEvaluationApproval(e.ctx(), ev.ID, carol)
			require.ErrorIs(e.t, err, store.ErrConflict, "a decided evaluation")
			assert.Equal(e.t, before, e.auditSize())
			read, err = e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, decided.Approvals, read.Approvals)
			st, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, decided.Approvals, st.Approvals, "the state names the approvals it was entered with")
			require.NoError(e.t, maturity.VerifyState(&st, e.keys(), len(maturity.Levels())))
		},
		"AProgressionAppliesOnlyOnceTwoMembersHaveApproved": func(e *env) {
			e.seed()
			svc, keys := e.svc(), e.keys()
			eng := e.engine(svc, maturity.Options{})
			ev := e.readyProgression()
			seedState, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)

			e.clock.Advance(time.Minute)
			first, err := eng.Approve(e.ctx(), ev.ID, "Alice")
			require.NoError(e.t, err)
			assert.Nil(e.t, first.Transition, "one member alone raises nothing")
			assert.Equal(e.t, 1, first.Approvals)
			assert.Equal(e.t, 2, first.Quorum)
			require.Len(e.t, first.Evaluation.Approvals, 1)
			assert.Equal(e.t, "alice", first.Evaluation.Approvals[0].By, "stored normalised")
			state, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, seedState, state, "the level and its signed state are unchanged")
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, riskmodel.SeedVersion, active.Version)
			assert.Equal(e.t, security.EventMaturityApproval, e.lastEvent().Type)

			_, err = eng.Approve(e.ctx(), ev.ID, "ALICE")
			require.ErrorIs(e.t, err, store.ErrConflict, "one member, however spelled, approves once")
			_, err = eng.Approve(e.ctx(), ev.ID, "mallory")
			require.ErrorIs(e.t, err, maturity.ErrNotMember)

			e.clock.Advance(time.Minute)
			second, err := eng.Approve(e.ctx(), ev.ID, "bob")
			require.NoError(e.t, err)
			require.NotNil(e.t, second.Transition)
			assert.Equal(e.t, 2, second.Approvals)
			tr := second.Transition
			assert.Equal(e.t, maturity.CautiousLevel, tr.To)
			assert.True(e.t, second.Evaluation.Decided())

			state, err = e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.CautiousLevel, state.Level)
			assert.Equal(e.t, maturity.Progression, state.Kind)
			assert.Equal(e.t, ev.ID, state.Evaluation)
			h, err := ev.ContentHash()
			require.NoError(e.t, err)
			assert.Equal(e.t, h, state.EvaluationHash)
			require.Len(e.t, state.Approvals, 2)
			assert.Equal(e.t, []string{"alice", "bob"}, []string{state.Approvals[0].By, state.Approvals[1].By})
			assert.Equal(e.t, tr.State.Attestation, state.Attestation, "the state's statement, byte for byte")
			require.NoError(e.t, maturity.VerifyState(&state, keys, len(maturity.Levels())), "the new level verifies as stored")

			active, err = e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, tr.Model.Version, active.Version)
			assert.Equal(e.t, "5", active.Thresholds[blastradius.BusinessCritical].String())
			assertSameSignoffs(e.t, e.asStored(tr.Model).Signoffs, active.Signoffs)
			hm, err := cab.VerifyModel(&active, keys, maturity.Levels(), state.Level)
			require.NoError(e.t, err, "the level's model verifies under the new level")
			want, err := tr.Model.ContentHash()
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Digest(want), hm, "the model's content hash, before and after storing")
			_, err = cab.VerifyModel(&active, keys, maturity.Levels(), maturity.Baseline)
			requireUnverified(e.t, err, "its thresholds exceed level 0's")
			_, err = e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
		},
		"ARegressionsStateVerifies": func(e *env) {
			e.seed()
			svc, keys := e.svc(), e.keys()
			eng := e.engine(svc, maturity.Options{})
			ev := e.readyProgression()
			for _, m := range []string{"alice", "bob"} {
				_, err := eng.Approve(e.ctx(), ev.ID, m)
				require.NoError(e.t, err)
			}
			// A P1 at level 1: the engine steps down at once, signed by the
			// service key alone.
			e.clock.Advance(24 * time.Hour)
			_, err := e.s.CreateIncident(e.ctx(), incident.Incident{CorrelationID: "inc-p1", Severity: incident.P1,
				OccurredAt: e.clock.Now().Add(-time.Hour), Application: "SAP GUI"})
			require.NoError(e.t, err)
			down, err := eng.Evaluate(e.ctx())
			require.NoError(e.t, err)
			require.Equal(e.t, maturity.Regression, down.Kind, "%s", down.Reason)
			require.True(e.t, down.Decided())
			state, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Baseline, state.Level)
			assert.Equal(e.t, maturity.Regression, state.Kind)
			assert.Equal(e.t, down.ID, state.Evaluation)
			assert.Empty(e.t, state.Approvals)
			require.NoError(e.t, maturity.VerifyState(&state, keys, len(maturity.Levels())))
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, state.ModelVersion, active.Version)
			_, err = cab.VerifyModel(&active, keys, maturity.Levels(), state.Level)
			require.NoError(e.t, err, "the regression's model verifies at the level it entered")
		},
	}
}
