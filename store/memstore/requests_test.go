package memstore

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRequest returns a pending-review request under the seed model.
func testRequest(t *testing.T, corr string) cab.Request {
	t.Helper()
	m := model("1.0")
	d, err := cab.Decide(decimal.RequireFromString("42.5"), blastradius.BusinessCritical, &m)
	require.NoError(t, err)
	return cab.Request{
		ID: uuid.New(), CorrelationID: corr, EvidenceID: uuid.New(), DeploymentIntentID: uuid.New(),
		Application: "SAP GUI", ArtifactDigest: sha256.Sum256([]byte("artifact-" + corr)), Submitter: "sam",
		SubmissionHash: sha256.Sum256([]byte("submission-" + corr)), Decision: d, Status: cab.StatusFor(d),
	}
}

// keep returns fn's request unchanged, with a valid event.
func keep(r cab.Request) (cab.Request, security.EventInput, error) {
	return r, security.EventInput{Type: cab.EventApproved, Actor: "alice"}, nil
}

func TestTheSubmittedEventNamesTheDecision(t *testing.T) {
	s := newTestStore(t)
	r := testRequest(t, "chg-1")
	_, err := s.CreateRequest(t.Context(), r)
	require.NoError(t, err)
	evs, err := s.ListAuditEvents(t.Context(), 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, cab.EventSubmitted, evs[0].Type)
	assert.Equal(t, "sam", evs[0].Actor)
	assert.Equal(t, "cab-request:"+r.ID.String(), evs[0].Subject)
	assert.Equal(t, "chg-1", evs[0].CorrelationID)
	assert.JSONEq(t, `{"request_id":"`+r.ID.String()+`","outcome":"manual_review","reason":"AUTO_APPROVAL_NOT_EARNED",
		"score":"42.5","class":"BUSINESS_CRITICAL","threshold":"0","exception_threshold":"80","model_version":"1.0",
		"quorum":"2","status":"pending_review","artifact_sha256":"`+r.ArtifactDigest.String()+`"}`, string(evs[0].Data))
}

func TestATakenRequestIDIsAConflict(t *testing.T) {
	s := newTestStore(t)
	r := testRequest(t, "chg-1")
	_, err := s.CreateRequest(t.Context(), r)
	require.NoError(t, err)
	other := testRequest(t, "chg-2")
	other.ID = r.ID
	_, err = s.CreateRequest(t.Context(), other)
	require.ErrorIs(t, err, store.ErrConflict)
	assert.Equal(t, int64(1), head(t, s).Size)
}

func TestRequestsAreCopiesWithTimesStoredInUTCMicroseconds(t *testing.T) {
	zone := time.FixedZone("X", -5*3600)
	at := time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)
	want := time.Date(2026, 1, 1, 5, 0, 0, 1000, time.UTC)
	s := newTestStore(t)
	ctx := t.Context()
	r := testRequest(t, "chg-1")
	r.CreatedAt = at
	got, err := s.CreateRequest(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, want, got.CreatedAt)
	assert.Equal(t, epoch, got.UpdatedAt, "UpdatedAt defaults to the clock")

	next := func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.CreatedAt = cur.CreatedAt.In(zone) // the same instant: not a change
		cur.Status = cab.StatusExceptionPending
		cur.Approvals = []cab.Approval{{By: "alice", At: at}}
		cur.Rejection = &cab.Rejection{By: "bob", At: at, Reason: "no"}
		cur.Exception = &cab.Exception{Justification: "fix", RequestedBy: "sam", RequestedAt: at, ExpiresAt: at,
			ArtifactDigest: cur.ArtifactDigest, Approvals: []cab.Approval{{By: "carol", At: at}}}
		cur.UpdatedAt = at
		return keep(cur)
	}
	got, err = s.UpdateRequest(ctx, r.ID, next)
	require.NoError(t, err)
	check := func(r cab.Request) {
		t.Helper()
		assert.Equal(t, want, r.CreatedAt)
		assert.Equal(t, want, r.UpdatedAt)
		assert.Equal(t, []cab.Approval{{By: "alice", At: want}}, r.Approvals)
		assert.Equal(t, &cab.Rejection{By: "bob", At: want, Reason: "no"}, r.Rejection)
		require.NotNil(t, r.Exception)
		assert.Equal(t, want, r.Exception.RequestedAt)
		assert.Equal(t, want, r.Exception.ExpiresAt)
		assert.Equal(t, []cab.Approval{{By: "carol", At: want}}, r.Exception.Approvals)
	}
	check(got)

	// Changing what was returned changes nothing stored.
	got.Approvals[0].By = "mallory"
	got.Rejection.Reason = "changed"
	got.Exception.Justification = "changed"
	got.Exception.Approvals[0].By = "mallory"
	read, err := s.Request(ctx, r.ID)
	require.NoError(t, err)
	check(read)
	assert.Equal(t, "fix", read.Exception.Justification)
	read.Approvals = append(read.Approvals[:0], cab.Approval{By: "mallory"})
	read.Exception.Approvals[0].By = "mallory"
	list, err := s.ListRequests(ctx, cab.RequestFilter{From: want, To: want.Add(time.Second), Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1)
	check(list[0])
	list[0].Exception.Approvals[0].By = "mallory"
	byCorr, err := s.RequestByCorrelationID(ctx, "chg-1")
	require.NoError(t, err)
	check(byCorr)

	// Nor does changing, after the update, what fn was given or returned.
	var given, returned cab.Request
	_, err = s.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
		given = cur
		returned = cur
		returned.Approvals = append(returned.Approvals, cab.Approval{By: "dave", At: at})
		return keep(returned)
	})
	require.NoError(t, err)
	given.Exception.Approvals[0].By = "mallory"
	returned.Approvals[1].By = "mallory"
	read, err = s.Request(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, []cab.Approval{{By: "alice", At: want}, {By: "dave", At: want}}, read.Approvals)
	assert.Equal(t, "carol", read.Exception.Approvals[0].By)
}

func TestUpdateRequestKeepsTheWholeSubmission(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	r, err := s.CreateRequest(ctx, testRequest(t, "chg-1"))
	require.NoError(t, err)
	for name, mutate := range map[string]func(r *cab.Request){
		"id":             func(r *cab.Request) { r.ID = uuid.New() },
		"correlation":    func(r *cab.Request) { r.CorrelationID = "chg-2" },
		"intent":         func(r *cab.Request) { r.DeploymentIntentID = uuid.New() },
		"application":    func(r *cab.Request) { r.Application = "Zoom" },
		"hash":           func(r *cab.Request) { r.SubmissionHash[0] ^= 1 },
		"threshold":      func(r *cab.Request) { r.Decision.Threshold = decimal.NewFromInt(10) },
		"exception":      func(r *cab.Request) { r.Decision.ExceptionThreshold = decimal.NewFromInt(90) },
		"class":          func(r *cab.Request) { r.Decision.Class = blastradius.NonCritical },
		"reason":         func(r *cab.Request) { r.Decision.Reason.Text = "because" },
		"model":          func(r *cab.Request) { r.Decision.ModelVersion = "2.0" },
		"quorum":         func(r *cab.Request) { r.Decision.Quorum = 1 },
		"created":        func(r *cab.Request) { r.CreatedAt = r.CreatedAt.Add(time.Microsecond) },
		"unknown status": func(r *cab.Request) { r.Status = "maybe" },
	} {
		_, err := s.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
			mutate(&cur)
			return keep(cur)
		})
		require.ErrorIs(t, err, store.ErrInvalid, name)
	}
	// The same decimals written differently are the same decision.
	got, err := s.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Decision.Score = decimal.RequireFromString("42.50")
		return keep(cur)
	})
	require.NoError(t, err)
	assert.Equal(t, "42.5", got.Decision.Score.String(), "the submission is kept as stored")
	read, err := s.Request(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, read)
}

func TestARefusedOrMalformedUpdateWritesNothing(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	r, err := s.CreateRequest(ctx, testRequest(t, "chg-1"))
	require.NoError(t, err)
	boom := &cab.WorkflowError{RequestID: r.ID, Reason: "no", Err: cab.ErrNotPending}
	_, err = s.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
		return cur, security.EventInput{}, boom
	})
	assert.Same(t, boom, err, "fn's error is returned as it is")
	_, err = s.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Status = cab.StatusApproved
		return cur, security.EventInput{Type: cab.EventApproved}, nil // no actor
	})
	var fe *trustgate.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "actor", fe.Field)
	assert.Equal(t, trustgate.Invalid, fe.Code)
	_, err = s.UpdateRequest(ctx, r.ID, nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	read, err := s.Request(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, read)
	assert.Equal(t, int64(1), head(t, s).Size)
}

func TestListRequestsOrdersTiesByIDAndChecksItsCursor(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	ids := []string{"00000000-0000-0000-0000-00000000000b", "00000000-0000-0000-0000-00000000000a", "ffffffff-0000-0000-0000-000000000000"}
	for i, id := range ids {
		r := testRequest(t, "chg-"+id)
		r.ID = uuid.MustParse(id)
		r.CreatedAt = epoch.Add(time.Duration(i/2) * time.Minute) // a, b at epoch; f a minute later
		_, err := s.CreateRequest(ctx, r)
		require.NoError(t, err)
	}
	page := func(f cab.RequestFilter) []string {
		t.Helper()
		got, err := s.ListRequests(ctx, f)
		require.NoError(t, err)
		out := []string{}
		for _, r := range got {
			out = append(out, r.ID.String())
		}
		return out
	}
	all := cab.RequestFilter{From: epoch, To: epoch.Add(time.Hour), Limit: 10}
	assert.Equal(t, []string{ids[1], ids[0], ids[2]}, page(all))
	all.After = uuid.MustParse(ids[1])
	assert.Equal(t, []string{ids[0], ids[2]}, page(all))
	assert.Equal(t, []string{ids[1], ids[0]}, page(cab.RequestFilter{From: epoch, To: epoch.Add(time.Minute), Limit: 10}), "To is exclusive")
	assert.Equal(t, []string{ids[2]}, page(cab.RequestFilter{From: epoch.Add(time.Minute), To: epoch.Add(time.Hour), Limit: 10}), "From is inclusive")
	assert.Empty(t, page(cab.RequestFilter{From: epoch, Limit: 10}), "a zero To bounds the period")

	for _, f := range []cab.RequestFilter{
		{To: epoch.Add(time.Hour), Limit: -1},
		{To: epoch.Add(time.Hour), Limit: maxRequestPage + 1},
		{To: epoch.Add(time.Hour), Limit: 10, After: uuid.New()},
	} {
		_, err := s.ListRequests(ctx, f)
		require.ErrorIs(t, err, store.ErrInvalid, "%+v", f)
	}
	got, err := s.ListRequests(ctx, cab.RequestFilter{To: epoch.Add(time.Hour), Limit: maxRequestPage})
	require.NoError(t, err)
	assert.Len(t, got, 3)
}

func TestRequestsRollBackAndEndWithTheirTransaction(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	r, err := s.CreateRequest(ctx, testRequest(t, "chg-1"))
	require.NoError(t, err)
	var leaked store.Requests
	err = s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rq, ok := tx.(store.Requests)
		require.True(t, ok)
		leaked = rq
		_, err := rq.CreateRequest(ctx, testRequest(t, "chg-2"))
		require.NoError(t, err)
		_, err = rq.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
			cur.Status = cab.StatusRejected
			return keep(cur)
		})
		require.NoError(t, err)
		got, err := rq.Request(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, cab.StatusRejected, got.Status, "visible inside the transaction")
		return errAbort
	})
	require.ErrorIs(t, err, errAbort)
	read, err := s.Request(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, read)
	_, err = s.RequestByCorrelationID(ctx, "chg-2")
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.Equal(t, int64(1), head(t, s).Size)

	_, e1 := leaked.CreateRequest(ctx, testRequest(t, "chg-3"))
	_, e2 := leaked.Request(ctx, r.ID)
	_, e3 := leaked.RequestByCorrelationID(ctx, "chg-1")
	_, e4 := leaked.UpdateRequest(ctx, r.ID, keep)
	_, e5 := leaked.ListRequests(ctx, cab.RequestFilter{Limit: 1})
	for i, err := range []error{e1, e2, e3, e4, e5} {
		require.ErrorIs(t, err, store.ErrTxDone, "method %d", i+1)
	}
}

func TestUpdateRequestDefaultsUpdatedAtToTheClock(t *testing.T) {
	now := epoch
	s := New(Options{Now: func() time.Time { return now }})
	ctx := t.Context()
	r, err := s.CreateRequest(ctx, testRequest(t, "chg-1"))
	require.NoError(t, err)
	now = epoch.Add(time.Hour)
	got, err := s.UpdateRequest(ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.UpdatedAt = time.Time{}
		return keep(cur)
	})
	require.NoError(t, err)
	assert.Equal(t, now, got.UpdatedAt)
	assert.Equal(t, epoch, got.CreatedAt)
}
