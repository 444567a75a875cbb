package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
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

// One scenario exercises every rule of the store's CAB requests in turn,
// on one store, and checks what every call returns and, at the end, every
// audit event it left: what the two old adapters once had to agree on, step
// by step, now stated outright.

// scenarioIDs are the scenario's request ids, the same on every run.
var scenarioIDs = func() []uuid.UUID {
	ids := make([]uuid.UUID, 12)
	for i := range ids {
		ids[i] = uuid.MustParse(fmt.Sprintf("0190c0de-0000-7000-8000-%012d", i))
	}
	return ids
}()

// cabRequest returns a request under the seed model (pending review, the
// threshold 0), its other ids and digests derived from corr, its times
// unset.
func (e *env) cabRequest(id uuid.UUID, corr string) cab.Request {
	e.t.Helper()
	m := riskmodel.Seed(Epoch)
	d, err := cab.Decide(decimal.RequireFromString("42.5"), blastradius.BusinessCritical, &m)
	require.NoError(e.t, err)
	return cab.Request{
		ID: id, CorrelationID: corr, Application: "SAP GUI", Submitter: "sam", Decision: d, Status: cab.StatusFor(d),
		EvidenceID:         uuid.NewSHA1(uuid.NameSpaceURL, []byte("evidence-"+corr)),
		DeploymentIntentID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("intent-"+corr)),
		ArtifactDigest:     sha256.Sum256([]byte("artifact-" + corr)),
		SubmissionHash:     sha256.Sum256([]byte("submission-" + corr)),
	}
}

// refusedByTheLog asserts that err is the audit log's refusal of an
// event's actor.
func (e *env) refusedByTheLog(err error, what string) {
	e.t.Helper()
	requireInvalid(e.t, err, "actor", what)
}

// requestScenarioCases is the one scenario of a request's whole life.
func requestScenarioCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"ARequestsLifeFromSubmissionToListingFollowsEveryRule": func(e *env) {
			e.requestScenario(e.s)
		},
	}
}

// requestScenario runs the scenario on s, e's store.
func (e *env) requestScenario(s *store.Store) {
	ctx, ids := e.ctx(), scenarioIDs
	zone := time.FixedZone("X", -5*3600)
	at := time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)

	// Creation, idempotency and validation.
	r1 := e.cabRequest(ids[0], "chg-1")
	r1.CreatedAt = at
	created, err := s.CreateRequest(ctx, r1)
	require.NoError(e.t, err)
	assert.Equal(e.t, ids[0], created.ID)
	assert.Equal(e.t, e.at(at), created.CreatedAt)
	assert.Equal(e.t, e.at(Epoch), created.UpdatedAt)
	assert.Equal(e.t, cab.StatusPendingReview, created.Status)
	again := r1
	again.ID, again.CreatedAt, again.UpdatedAt = ids[1], Epoch.Add(time.Hour), Epoch.Add(time.Hour)
	got, err := s.CreateRequest(ctx, again)
	require.NoError(e.t, err, "the same submission again")
	assertSameRequest(e.t, created, got, "the stored request, not the repeat")
	other := r1
	other.SubmissionHash[0] ^= 1
	_, err = s.CreateRequest(ctx, other)
	require.ErrorIs(e.t, err, store.ErrConflict, "a different submission")
	_, err = s.CreateRequest(ctx, e.cabRequest(ids[0], "chg-taken"))
	require.ErrorIs(e.t, err, store.ErrConflict, "a taken id")
	for _, c := range []struct{ field, name string }{
		{"id", "no id"}, {"correlation_id", "no correlation id"}, {"submitter", "no submitter"},
		{"class", "no class"}, {"status", "no status"}, {"", "a submitter the audit log refuses"},
	} {
		r := e.cabRequest(ids[2], "chg-bad")
		switch c.name {
		case "no id":
			r.ID = uuid.Nil
		case "no correlation id":
			r.CorrelationID = " "
		case "no submitter":
			r.Submitter = ""
		case "no class":
			r.Decision.Class = "HUGE"
		case "no status":
			r.Status = "maybe"
		default:
			r.Submitter = "sa\x00m" // normalised, but not one line
		}
		_, err = s.CreateRequest(ctx, r)
		if c.field == "" {
			e.refusedByTheLog(err, c.name)
		} else {
			requireInvalid(e.t, err, c.field, c.name)
		}
	}
	_, err = s.RequestByCorrelationID(ctx, "chg-bad")
	require.ErrorIs(e.t, err, store.ErrNotFound, "a refused request is not stored")
	got, err = s.Request(ctx, ids[0])
	require.NoError(e.t, err)
	assertSameRequest(e.t, created, got)
	got, err = s.RequestByCorrelationID(ctx, "chg-1")
	require.NoError(e.t, err)
	assertSameRequest(e.t, created, got)
	_, err = s.Request(ctx, ids[11])
	require.ErrorIs(e.t, err, store.ErrNotFound)

	// Updates: what may change, normalised; what may not.
	e.clock.Advance(time.Minute)
	updated, err := s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.CreatedAt = cur.CreatedAt.In(zone) // the same instant: not a change
		cur.Status = cab.StatusExceptionPending
		cur.Approvals = []cab.Approval{{By: "alice", At: at, Comment: "ok"}}
		cur.Rejection = &cab.Rejection{By: "bob", At: at, Reason: "no"}
		cur.Exception = &cab.Exception{Justification: "fix", RequestedBy: "sam", RequestedAt: at, ExpiresAt: at.Add(time.Hour),
			ArtifactDigest: cur.ArtifactDigest, Approvals: []cab.Approval{{By: "carol", At: at}}}
		cur.UpdatedAt = at
		return keep(cur)
	})
	require.NoError(e.t, err)
	want := created
	want.Status = cab.StatusExceptionPending
	want.Approvals = []cab.Approval{{By: "alice", At: e.at(at), Comment: "ok"}}
	want.Rejection = &cab.Rejection{By: "bob", At: e.at(at), Reason: "no"}
	want.Exception = &cab.Exception{Justification: "fix", RequestedBy: "sam", RequestedAt: e.at(at), ExpiresAt: e.at(at.Add(time.Hour)),
		ArtifactDigest: created.ArtifactDigest, Approvals: []cab.Approval{{By: "carol", At: e.at(at)}}}
	want.UpdatedAt = e.at(at)
	assertSameRequest(e.t, want, updated)
	for field, mutate := range map[string]func(r *cab.Request){
		"id":                   func(r *cab.Request) { r.ID = ids[3] },
		"correlation_id":       func(r *cab.Request) { r.CorrelationID = "chg-2" },
		"evidence_id":          func(r *cab.Request) { r.EvidenceID = ids[3] },
		"deployment_intent_id": func(r *cab.Request) { r.DeploymentIntentID = ids[3] },
		"application":          func(r *cab.Request) { r.Application = "Zoom" },
		"artifact_sha256":      func(r *cab.Request) { r.ArtifactDigest[0] ^= 1 },
		"submitter":            func(r *cab.Request) { r.Submitter = "alice" },
		"submission_hash":      func(r *cab.Request) { r.SubmissionHash[0] ^= 1 },
		"decision":             func(r *cab.Request) { r.Decision.Quorum = 1 },
		"created_at":           func(r *cab.Request) { r.CreatedAt = r.CreatedAt.Add(e.precision()) },
		"status":               func(r *cab.Request) { r.Status = "maybe" },
	} {
		_, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			mutate(&cur)
			return keep(cur)
		})
		requireCode(e.t, err, trustgate.Invalid, field)
		assert.Equal(e.t, field, trustgate.AsError(err).Field, "changing the %s", field)
	}
	updated, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Decision.Score = decimal.RequireFromString("42.50") // the same value, written differently
		cur.UpdatedAt = time.Time{}                             // the clock's
		return keep(cur)
	})
	require.NoError(e.t, err)
	want.UpdatedAt = e.at(Epoch.Add(time.Minute))
	assertSameRequest(e.t, want, updated)
	assert.Equal(e.t, "42.5", updated.Decision.Score.String())
	boom := &cab.WorkflowError{RequestID: ids[0], Reason: "no", Err: cab.ErrNotPending}
	_, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Status = cab.StatusApproved
		return cur, security.EventInput{Type: cab.EventApproved, Actor: "alice"}, boom
	})
	assert.Same(e.t, boom, err, "fn's error returned as it is")
	_, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Status = cab.StatusApproved
		return cur, security.EventInput{Type: cab.EventApproved}, nil // no actor
	})
	e.refusedByTheLog(err, "an update with an invalid event")
	_, err = s.UpdateRequest(ctx, ids[0], nil)
	requireInvalid(e.t, err, "fn")
	_, err = s.UpdateRequest(ctx, ids[11], keep)
	require.ErrorIs(e.t, err, store.ErrNotFound)
	_, err = s.UpdateRequest(ctx, ids[11], nil)
	requireInvalid(e.t, err, "fn")
	got, err = s.Request(ctx, ids[0])
	require.NoError(e.t, err)
	assertSameRequest(e.t, want, got, "after the updates")

	// Approvals to quorum, through the workflow's rule, each attested by
	// the service key; the submitter is a member of this CAB.
	quorum, err := s.CreateRequest(ctx, e.cabRequest(ids[4], "chg-quorum"))
	require.NoError(e.t, err)
	assert.Equal(e.t, e.at(Epoch.Add(time.Minute)), quorum.CreatedAt)
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, "alice", "bob", "carol", "sam"))
	require.NoError(e.t, err)
	envelopes := map[string]dsse.Envelope{}
	for _, step := range []struct {
		member string
		refuse error
		status cab.Status
	}{
		{"alice", nil, cab.StatusPendingReview}, {"alice", cab.ErrDuplicateApproval, ""}, {"sam", cab.ErrSeparationOfDuties, ""},
		{"bob", nil, cab.StatusApproved}, {"carol", cab.ErrNotPending, ""},
	} {
		e.clock.Advance(time.Second)
		now := e.clock.Now()
		var made cab.Approval
		got, err := s.UpdateRequest(ctx, ids[4], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			a, err := attested(svc, &cur, cab.KindApproval, step.member, "lgtm")
			if err != nil {
				return cur, security.EventInput{}, err
			}
			made = a
			next, err := cab.Approve(cur, svc.Keys(), a, now)
			return next, security.EventInput{Type: cab.EventApproved, Actor: step.member, Subject: "cab-request:" + cur.ID.String()}, err
		})
		if step.refuse != nil {
			require.ErrorIs(e.t, err, step.refuse, "approval by %s", step.member)
			var we *cab.WorkflowError
			require.ErrorAs(e.t, err, &we)
			assert.Equal(e.t, ids[4], we.RequestID)
			continue
		}
		require.NoError(e.t, err, "approval by %s", step.member)
		assert.Equal(e.t, step.status, got.Status)
		require.NotEmpty(e.t, made.Envelope.Signatures)
		envelopes[step.member] = made.Envelope
		assert.Equal(e.t, cab.Approval{By: step.member, At: e.at(now), Comment: "lgtm", Envelope: made.Envelope},
			got.Approvals[len(got.Approvals)-1])
	}
	got, err = s.Request(ctx, ids[4])
	require.NoError(e.t, err)
	assert.Equal(e.t, []cab.Approval{
		{By: "alice", At: e.at(Epoch.Add(time.Minute + time.Second)), Comment: "lgtm", Envelope: envelopes["alice"]},
		{By: "bob", At: e.at(Epoch.Add(time.Minute + 4*time.Second)), Comment: "lgtm", Envelope: envelopes["bob"]},
	}, got.Approvals, "each approval with its signed statement, byte for byte")
	assert.Equal(e.t, cab.StatusApproved, got.Status)

	// Transactions: a rollback undoes everything; a refused operation
	// inside a committed transaction leaves nothing behind; a finished
	// transaction is done.
	var leaked *store.Tx
	err = s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		leaked = tx
		_, err := tx.CreateRequest(ctx, e.cabRequest(ids[5], "chg-rolled-back"))
		require.NoError(e.t, err)
		_, err = tx.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			cur.Status = cab.StatusRejected
			return keep(cur)
		})
		require.NoError(e.t, err)
		got, err := tx.Request(ctx, ids[0])
		require.NoError(e.t, err)
		assert.Equal(e.t, cab.StatusRejected, got.Status, "a transaction reads its own writes")
		return errAbort
	})
	require.ErrorIs(e.t, err, errAbort)
	got, err = s.Request(ctx, ids[0])
	require.NoError(e.t, err)
	assertSameRequest(e.t, want, got, "after the rollback")
	_, err = s.Request(ctx, ids[5])
	require.ErrorIs(e.t, err, store.ErrNotFound, "what was rolled back")
	_, e1 := leaked.CreateRequest(ctx, e.cabRequest(ids[6], "chg-leaked"))
	_, e2 := leaked.Request(ctx, ids[0])
	_, e3 := leaked.RequestByCorrelationID(ctx, "chg-1")
	_, e4 := leaked.UpdateRequest(ctx, ids[0], keep)
	_, e5 := leaked.ListRequests(ctx, cab.RequestFilter{Limit: 1})
	for i, err := range []error{e1, e2, e3, e4, e5} {
		require.ErrorIs(e.t, err, store.ErrTxDone, "leaked method %d", i+1)
	}
	err = s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			cur.Status = cab.StatusRejected
			return cur, security.EventInput{Type: cab.EventRejected, Actor: "bob\x00"}, nil
		})
		e.refusedByTheLog(err, "an update with an invalid event in a transaction")
		bad := e.cabRequest(ids[7], "chg-bad-in-tx")
		bad.Submitter = "sam\x7f"
		_, err = tx.CreateRequest(ctx, bad)
		e.refusedByTheLog(err, "a submitter the audit log refuses, in a transaction")
		_, err = tx.CreateRequest(ctx, e.cabRequest(ids[8], "chg-committed"))
		require.NoError(e.t, err, "a create after them")
		return nil // commit, after the refusals
	})
	require.NoError(e.t, err)
	got, err = s.Request(ctx, ids[0])
	require.NoError(e.t, err)
	assertSameRequest(e.t, want, got, "the refused update left nothing")
	_, err = s.Request(ctx, ids[7])
	require.ErrorIs(e.t, err, store.ErrNotFound, "the refused create left nothing")
	committed, err := s.Request(ctx, ids[8])
	require.NoError(e.t, err)
	assert.Equal(e.t, "chg-committed", committed.CorrelationID)

	e.listScenario(s)
	e.scenarioEvents()
}

// listScenario checks ListRequests' period, order (ties by id) and cursor
// on the scenario's requests.
func (e *env) listScenario(s *store.Store) {
	ctx := e.ctx()
	// Times the store holds exactly (at any precision, of which an hour
	// need not be a multiple).
	day, hour := e.at(Epoch.Add(24*time.Hour)), e.at(Epoch.Add(25*time.Hour))
	for i, c := range []struct{ id, corr string }{
		{"00000000-0000-0000-0000-00000000000b", "chg-list-b"}, {"00000000-0000-0000-0000-00000000000a", "chg-list-a"},
		{"ffffffff-0000-0000-0000-000000000000", "chg-list-f"},
	} {
		r := e.cabRequest(uuid.MustParse(c.id), c.corr)
		r.CreatedAt = []time.Time{day, day, hour}[i] // a, b together; f an hour later
		_, err := s.CreateRequest(ctx, r)
		require.NoError(e.t, err)
	}
	a, b := uuid.MustParse("00000000-0000-0000-0000-00000000000a"), uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	for _, c := range []struct {
		f     cab.RequestFilter
		want  []string
		field string
	}{
		{cab.RequestFilter{From: day, To: day.Add(2 * time.Hour), Limit: 10}, []string{"chg-list-a", "chg-list-b", "chg-list-f"}, ""},
		{cab.RequestFilter{From: day, To: day.Add(2 * time.Hour), Limit: 1}, []string{"chg-list-a"}, ""},
		{cab.RequestFilter{From: day, To: day.Add(2 * time.Hour), Limit: 10, After: a}, []string{"chg-list-b", "chg-list-f"}, ""},
		{cab.RequestFilter{From: day, To: day.Add(2 * time.Hour), Limit: 10, After: b}, []string{"chg-list-f"}, ""},
		{cab.RequestFilter{From: day, To: hour, Limit: 10}, []string{"chg-list-a", "chg-list-b"}, ""},
		{cab.RequestFilter{From: hour, To: day.Add(2 * time.Hour), Limit: 10}, []string{"chg-list-f"}, ""},
		{cab.RequestFilter{From: day.Add(time.Nanosecond), To: hour.Add(time.Nanosecond), Limit: 10}, []string{"chg-list-f"}, ""},
		{cab.RequestFilter{From: day, Limit: 10}, []string{}, ""},
		{cab.RequestFilter{To: hour, Limit: 1000}, []string{"chg-1", "chg-quorum", "chg-committed", "chg-list-a", "chg-list-b"}, ""},
		{cab.RequestFilter{From: day, To: day, Limit: 10, After: scenarioIDs[0]}, []string{}, ""},
		{cab.RequestFilter{To: day, Limit: 0}, nil, "limit"},
		{cab.RequestFilter{To: day, Limit: -1}, nil, "limit"},
		{cab.RequestFilter{To: day, Limit: 1001}, nil, "limit"},
		{cab.RequestFilter{To: day, Limit: 10, After: scenarioIDs[11]}, nil, "after"},
		{cab.RequestFilter{Limit: 10, After: scenarioIDs[11]}, nil, "after"},
	} {
		rs, err := s.ListRequests(ctx, c.f)
		if c.field != "" {
			requireInvalid(e.t, err, c.field, "%+v", c.f)
			continue
		}
		require.NoError(e.t, err, "%+v", c.f)
		listed := []string{}
		for _, r := range rs {
			listed = append(listed, r.CorrelationID)
		}
		assert.Equal(e.t, c.want, listed, "%+v", c.f)
	}
}

// scenarioEvents checks every audit event the scenario left, in order.
func (e *env) scenarioEvents() {
	ids := scenarioIDs
	minute := Epoch.Add(time.Minute)
	list := func(id string) string { return "cab-request:" + id }
	want := []struct {
		typ                  security.EventType
		actor, subject, corr string
		at                   time.Time
	}{
		{cab.EventSubmitted, "sam", list(ids[0].String()), "chg-1", Epoch},
		{cab.EventApproved, "alice", "", "", minute},
		{cab.EventApproved, "alice", "", "", minute},
		{cab.EventSubmitted, "sam", list(ids[4].String()), "chg-quorum", minute},
		{cab.EventApproved, "alice", list(ids[4].String()), "", minute.Add(time.Second)},
		{cab.EventApproved, "bob", list(ids[4].String()), "", minute.Add(4 * time.Second)},
		{cab.EventSubmitted, "sam", list(ids[8].String()), "chg-committed", minute.Add(5 * time.Second)},
		{cab.EventSubmitted, "sam", list("00000000-0000-0000-0000-00000000000b"), "chg-list-b", minute.Add(5 * time.Second)},
		{cab.EventSubmitted, "sam", list("00000000-0000-0000-0000-00000000000a"), "chg-list-a", minute.Add(5 * time.Second)},
		{cab.EventSubmitted, "sam", list("ffffffff-0000-0000-0000-000000000000"), "chg-list-f", minute.Add(5 * time.Second)},
	}
	events := e.events()
	require.Len(e.t, events, len(want))
	for i, w := range want {
		ev := events[i]
		assert.Equal(e.t, int64(i+1), ev.Seq)
		assert.Equal(e.t, w.typ, ev.Type, "event %d", ev.Seq)
		assert.Equal(e.t, w.actor, ev.Actor, "event %d", ev.Seq)
		assert.Equal(e.t, w.subject, ev.Subject, "event %d", ev.Seq)
		assert.Equal(e.t, w.corr, ev.CorrelationID, "event %d", ev.Seq)
		assert.Equal(e.t, e.at(w.at), ev.OccurredAt, "event %d", ev.Seq)
	}
	_, err := e.verify(security.VerifyOptions{})
	require.NoError(e.t, err)
}
