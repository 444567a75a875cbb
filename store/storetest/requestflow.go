package storetest

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedRequest returns a request pending review under the seed model named
// 1.0 (whose threshold for the class is 0), its digests derived from corr,
// its times unset.
func (e *env) seedRequest(corr string) cab.Request {
	e.t.Helper()
	m := riskmodel.Seed(Epoch)
	m.Version = "1.0"
	d, err := cab.Decide(decimal.RequireFromString("42.5"), blastradius.BusinessCritical, &m)
	require.NoError(e.t, err)
	return cab.Request{
		ID: uuid.New(), CorrelationID: corr, EvidenceID: uuid.New(), DeploymentIntentID: uuid.New(),
		Application: "SAP GUI", ArtifactDigest: sha256.Sum256([]byte("artifact-" + corr)), Submitter: "sam",
		SubmissionHash: sha256.Sum256([]byte("submission-" + corr)), Decision: d, Status: cab.StatusFor(d),
	}
}

// requestFlowCases are a request's life in the store: its event, its
// times, its copies, its listing, its transactions.
func requestFlowCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"TheSubmittedEventNamesTheDecision": func(e *env) {
			r := e.submit(e.seedRequest("chg-1"))
			evs := e.events()
			require.Len(e.t, evs, 1)
			assert.Equal(e.t, cab.EventSubmitted, evs[0].Type)
			assert.Equal(e.t, "sam", evs[0].Actor)
			assert.Equal(e.t, "cab-request:"+r.ID.String(), evs[0].Subject)
			assert.Equal(e.t, "chg-1", evs[0].CorrelationID)
			assert.JSONEq(e.t, `{"request_id":"`+r.ID.String()+`","outcome":"manual_review","reason":"AUTO_APPROVAL_NOT_EARNED",
				"score":"42.5","class":"BUSINESS_CRITICAL","threshold":"0","exception_threshold":"80","model_version":"1.0",
				"quorum":"2","status":"pending_review","artifact_sha256":"`+r.ArtifactDigest.String()+`",
				"model_sha256":"`+r.Decision.ModelHash.String()+`","score_supplied":"false","declared_class":""}`, string(evs[0].Data))
		},
		"ATakenRequestIDIsErrConflictAndWritesNothing": func(e *env) {
			r := e.submit(e.seedRequest("chg-1"))
			other := e.seedRequest("chg-2")
			other.ID = r.ID
			_, err := e.s.CreateRequest(e.ctx(), other)
			require.ErrorIs(e.t, err, store.ErrConflict)
			_, err = e.s.RequestByCorrelationID(e.ctx(), "chg-2")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Equal(e.t, int64(1), e.auditSize())
		},
		"RequestsAreCopiesWithTimesStoredInUTCAtThePrecision": func(e *env) {
			zone := time.FixedZone("X", -5*3600)
			at := time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)
			want := e.at(at)
			r := e.seedRequest("chg-1")
			r.CreatedAt = at
			got, err := e.s.CreateRequest(e.ctx(), r)
			require.NoError(e.t, err)
			assert.Equal(e.t, want, got.CreatedAt)
			assert.Equal(e.t, e.at(Epoch), got.UpdatedAt, "UpdatedAt defaults to the clock")

			got, err = e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
				cur.CreatedAt = cur.CreatedAt.In(zone) // the same instant: not a change
				cur.Status = cab.StatusExceptionPending
				cur.Approvals = []cab.Approval{{By: "alice", At: at}}
				cur.Rejection = &cab.Rejection{By: "bob", At: at, Reason: "no"}
				cur.Exception = &cab.Exception{Justification: "fix", RequestedBy: "sam", RequestedAt: at, ExpiresAt: at,
					ArtifactDigest: cur.ArtifactDigest, Approvals: []cab.Approval{{By: "carol", At: at}}}
				cur.UpdatedAt = at
				return keep(cur)
			})
			require.NoError(e.t, err)
			check := func(r cab.Request) {
				e.t.Helper()
				assert.Equal(e.t, want, r.CreatedAt)
				assert.Equal(e.t, want, r.UpdatedAt)
				assert.Equal(e.t, []cab.Approval{{By: "alice", At: want}}, r.Approvals)
				assert.Equal(e.t, &cab.Rejection{By: "bob", At: want, Reason: "no"}, r.Rejection)
				require.NotNil(e.t, r.Exception)
				assert.Equal(e.t, want, r.Exception.RequestedAt)
				assert.Equal(e.t, want, r.Exception.ExpiresAt)
				assert.Equal(e.t, []cab.Approval{{By: "carol", At: want}}, r.Exception.Approvals)
			}
			check(got)

			// Changing what was returned changes nothing stored.
			got.Approvals[0].By = "mallory"
			got.Rejection.Reason = "changed"
			got.Exception.Justification = "changed"
			got.Exception.Approvals[0].By = "mallory"
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			check(read)
			assert.Equal(e.t, "fix", read.Exception.Justification)
			read.Approvals = append(read.Approvals[:0], cab.Approval{By: "mallory"})
			read.Exception.Approvals[0].By = "mallory"
			list, err := e.s.ListRequests(e.ctx(), cab.RequestFilter{From: want, To: want.Add(time.Second), Limit: 10})
			require.NoError(e.t, err)
			require.Len(e.t, list, 1)
			check(list[0])
			list[0].Exception.Approvals[0].By = "mallory"
			byCorr, err := e.s.RequestByCorrelationID(e.ctx(), "chg-1")
			require.NoError(e.t, err)
			check(byCorr)

			// Nor does changing, after the update, what fn was given or
			// returned.
			var given, returned cab.Request
			_, err = e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
				given = cur
				returned = cur
				returned.Approvals = append(returned.Approvals, cab.Approval{By: "dave", At: at})
				return keep(returned)
			})
			require.NoError(e.t, err)
			given.Exception.Approvals[0].By = "mallory"
			returned.Approvals[1].By = "mallory"
			read, err = e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, []cab.Approval{{By: "alice", At: want}, {By: "dave", At: want}}, read.Approvals)
			assert.Equal(e.t, "carol", read.Exception.Approvals[0].By)
		},
		"UpdateRequestDefaultsUpdatedAtToTheClock": func(e *env) {
			r := e.submit(e.seedRequest("chg-1"))
			e.clock.Advance(time.Hour)
			got, err := e.s.UpdateRequest(e.ctx(), r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
				cur.UpdatedAt = time.Time{}
				return keep(cur)
			})
			require.NoError(e.t, err)
			assert.Equal(e.t, e.at(Epoch.Add(time.Hour)), got.UpdatedAt)
			assert.Equal(e.t, e.at(Epoch), got.CreatedAt)
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, got.UpdatedAt, read.UpdatedAt)
		},
		"ListRequestsOrdersTiesByIDAndChecksItsCursor": func(e *env) {
			ids := []string{"00000000-0000-0000-0000-00000000000b", "00000000-0000-0000-0000-00000000000a", "ffffffff-0000-0000-0000-000000000000"}
			// Times the store holds exactly (at any precision, of which a
			// minute need not be a multiple).
			at, later := e.at(Epoch), e.at(Epoch.Add(time.Minute))
			for i, id := range ids {
				r := e.seedRequest("chg-" + id)
				r.ID = uuid.MustParse(id)
				r.CreatedAt = []time.Time{at, at, later}[i] // a, b at once; f a minute later
				e.submit(r)
			}
			page := func(f cab.RequestFilter) []string {
				e.t.Helper()
				got, err := e.s.ListRequests(e.ctx(), f)
				require.NoError(e.t, err)
				out := []string{}
				for _, r := range got {
					out = append(out, r.ID.String())
				}
				return out
			}
			all := cab.RequestFilter{From: at, To: at.Add(time.Hour), Limit: 10}
			assert.Equal(e.t, []string{ids[1], ids[0], ids[2]}, page(all))
			all.After = uuid.MustParse(ids[1])
			assert.Equal(e.t, []string{ids[0], ids[2]}, page(all))
			assert.Equal(e.t, []string{ids[1], ids[0]}, page(cab.RequestFilter{From: at, To: later, Limit: 10}), "To is exclusive")
			assert.Equal(e.t, []string{ids[2]}, page(cab.RequestFilter{From: later, To: at.Add(time.Hour), Limit: 10}), "From is inclusive")
			assert.Empty(e.t, page(cab.RequestFilter{From: at, Limit: 10}), "a zero To bounds the period")
			for field, f := range map[string]cab.RequestFilter{
				"limit": {To: at.Add(time.Hour), Limit: -1},
				"after": {To: at.Add(time.Hour), Limit: 10, After: uuid.New()},
			} {
				_, err := e.s.ListRequests(e.ctx(), f)
				requireInvalid(e.t, err, field, "%+v", f)
			}
			_, err := e.s.ListRequests(e.ctx(), cab.RequestFilter{To: at.Add(time.Hour), Limit: store.MaxRequestPage + 1})
			requireInvalid(e.t, err, "limit")
			got, err := e.s.ListRequests(e.ctx(), cab.RequestFilter{To: at.Add(time.Hour), Limit: store.MaxRequestPage})
			require.NoError(e.t, err)
			assert.Len(e.t, got, 3)
		},
		"RequestsRollBackAndEndWithTheirTransaction": func(e *env) {
			r := e.submit(e.seedRequest("chg-1"))
			var leaked *store.Tx
			err := e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				leaked = tx
				_, err := tx.CreateRequest(ctx, e.seedRequest("chg-2"))
				require.NoError(e.t, err)
				_, err = tx.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
					cur.Status = cab.StatusRejected
					return keep(cur)
				})
				require.NoError(e.t, err)
				got, err := tx.Request(ctx, r.ID)
				require.NoError(e.t, err)
				assert.Equal(e.t, cab.StatusRejected, got.Status, "visible inside the transaction")
				return errAbort
			})
			require.ErrorIs(e.t, err, errAbort)
			read, err := e.s.Request(e.ctx(), r.ID)
			require.NoError(e.t, err)
			assertSameRequest(e.t, r, read)
			_, err = e.s.RequestByCorrelationID(e.ctx(), "chg-2")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Equal(e.t, int64(1), e.auditSize())

			_, e1 := leaked.CreateRequest(e.ctx(), e.seedRequest("chg-3"))
			_, e2 := leaked.Request(e.ctx(), r.ID)
			_, e3 := leaked.RequestByCorrelationID(e.ctx(), "chg-1")
			_, e4 := leaked.UpdateRequest(e.ctx(), r.ID, keep)
			_, e5 := leaked.ListRequests(e.ctx(), cab.RequestFilter{Limit: 1})
			for i, err := range []error{e1, e2, e3, e4, e5} {
				require.ErrorIs(e.t, err, store.ErrTxDone, "method %d", i+1)
			}
		},
	}
}
