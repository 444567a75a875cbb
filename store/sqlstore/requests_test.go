package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/buildworksai/trustgate/store/storetest"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SQL adapter's requests must behave exactly as the in-memory
// adapter's: TestRequestsMatchTheInMemoryAdapter runs one scenario on both
// and compares what every call returned, error by error, and the audit
// events it left, field by field (all but ids and hashes).

var errAbort = errors.New("abort")

// cabRequest returns a request under the seed model (pending review, the
// threshold 0), its digests derived from corr.
func cabRequest(t *testing.T, id uuid.UUID, corr string) cab.Request {
	t.Helper()
	m := riskmodel.Seed(epoch)
	d, err := cab.Decide(decimal.RequireFromString("42.5"), blastradius.BusinessCritical, &m)
	require.NoError(t, err)
	return cab.Request{
		ID: id, CorrelationID: corr, Application: "SAP GUI", Submitter: "sam", Decision: d, Status: cab.StatusFor(d),
		EvidenceID:         uuid.NewSHA1(uuid.NameSpaceURL, []byte("evidence-"+corr)),
		DeploymentIntentID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("intent-"+corr)),
		ArtifactDigest:     sha256.Sum256([]byte("artifact-" + corr)),
		SubmissionHash:     sha256.Sum256([]byte("submission-" + corr)),
	}
}

// keepRequest returns fn's request unchanged, with a valid event.
func keepRequest(r cab.Request) (cab.Request, security.EventInput, error) {
	return r, security.EventInput{Type: cab.EventApproved, Actor: "alice"}, nil
}

// describe renders a call's result: its value as JSON (decimals as their
// text, times in RFC 3339 with their zone), or its error by kind.
func describe(v any, err error) string {
	var fe *trustgate.Error
	var we *cab.WorkflowError
	switch {
	case err == nil:
		b, jerr := json.Marshal(v)
		if jerr != nil {
			return "unencodable: " + jerr.Error()
		}
		return string(b)
	case errors.As(err, &we):
		return "workflow error: " + we.Err.Error()
	case errors.As(err, &fe) && fe.Code == trustgate.Invalid && fe.Field != "":
		return "field error: " + fe.Field
	}
	for _, sentinel := range []error{store.ErrInvalid, store.ErrConflict, store.ErrNotFound, store.ErrTxDone, errAbort} {
		if errors.Is(err, sentinel) {
			return "error: " + sentinel.Error()
		}
	}
	return "unexpected error: " + err.Error()
}

// requestScenario exercises every rule of store.Requests on s, whose clock
// is clock, and returns what each call returned.
func requestScenario(t *testing.T, s store.Store, clock *storetest.Clock) []string {
	ctx := t.Context()
	var out []string
	note := func(step string, v any, err error) { out = append(out, step+" → "+describe(v, err)) }
	ids := make([]uuid.UUID, 12) // the same ids on every store
	for i := range ids {
		ids[i] = uuid.MustParse(fmt.Sprintf("0190c0de-0000-7000-8000-%012d", i))
	}
	zone := time.FixedZone("X", -5*3600)
	at := time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)

	// Creation, idempotency and validation.
	r1 := cabRequest(t, ids[0], "chg-1")
	r1.CreatedAt = at
	got, err := s.CreateRequest(ctx, r1)
	note("create", got, err)
	again := r1
	again.ID, again.CreatedAt, again.UpdatedAt = ids[1], epoch.Add(time.Hour), epoch.Add(time.Hour)
	got, err = s.CreateRequest(ctx, again)
	note("create again", got, err)
	other := r1
	other.SubmissionHash[0] ^= 1
	got, err = s.CreateRequest(ctx, other)
	note("create a different submission", got, err)
	taken := cabRequest(t, ids[0], "chg-taken")
	got, err = s.CreateRequest(ctx, taken)
	note("create with a taken id", got, err)
	for _, c := range []struct {
		name   string
		mutate func(r *cab.Request)
	}{
		{"no id", func(r *cab.Request) { r.ID = uuid.Nil }},
		{"no correlation id", func(r *cab.Request) { r.CorrelationID = " " }},
		{"no submitter", func(r *cab.Request) { r.Submitter = "" }},
		{"no class", func(r *cab.Request) { r.Decision.Class = "HUGE" }},
		{"no status", func(r *cab.Request) { r.Status = "maybe" }},
		{"a submitter the audit log refuses", func(r *cab.Request) { r.Submitter = "sam\n" }},
	} {
		r := cabRequest(t, ids[2], "chg-bad")
		c.mutate(&r)
		got, err = s.CreateRequest(ctx, r)
		note("create with "+c.name, got, err)
	}
	got, err = s.RequestByCorrelationID(ctx, "chg-bad")
	note("read a refused request", got, err)
	got, err = s.Request(ctx, ids[0])
	note("read", got, err)
	got, err = s.RequestByCorrelationID(ctx, "chg-1")
	note("read by correlation id", got, err)
	got, err = s.Request(ctx, ids[11])
	note("read an unknown id", got, err)

	// Updates: what may change, normalised; what may not.
	clock.Advance(time.Minute)
	got, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.CreatedAt = cur.CreatedAt.In(zone) // the same instant: not a change
		cur.Status = cab.StatusExceptionPending
		cur.Approvals = []cab.Approval{{By: "alice", At: at, Comment: "ok"}}
		cur.Rejection = &cab.Rejection{By: "bob", At: at, Reason: "no"}
		cur.Exception = &cab.Exception{Justification: "fix", RequestedBy: "sam", RequestedAt: at, ExpiresAt: at.Add(time.Hour),
			ArtifactDigest: cur.ArtifactDigest, Approvals: []cab.Approval{{By: "carol", At: at}}}
		cur.UpdatedAt = at
		return keepRequest(cur)
	})
	note("update everything that may change", got, err)
	for _, c := range []struct {
		name   string
		mutate func(r *cab.Request)
	}{
		{"id", func(r *cab.Request) { r.ID = ids[3] }},
		{"correlation id", func(r *cab.Request) { r.CorrelationID = "chg-2" }},
		{"evidence", func(r *cab.Request) { r.EvidenceID = ids[3] }},
		{"intent", func(r *cab.Request) { r.DeploymentIntentID = ids[3] }},
		{"application", func(r *cab.Request) { r.Application = "Zoom" }},
		{"digest", func(r *cab.Request) { r.ArtifactDigest[0] ^= 1 }},
		{"submitter", func(r *cab.Request) { r.Submitter = "alice" }},
		{"hash", func(r *cab.Request) { r.SubmissionHash[0] ^= 1 }},
		{"outcome", func(r *cab.Request) { r.Decision.Outcome = cab.AutoApproved }},
		{"reason", func(r *cab.Request) { r.Decision.Reason.Text = "because" }},
		{"score", func(r *cab.Request) { r.Decision.Score = decimal.NewFromInt(1) }},
		{"class", func(r *cab.Request) { r.Decision.Class = blastradius.NonCritical }},
		{"threshold", func(r *cab.Request) { r.Decision.Threshold = decimal.NewFromInt(10) }},
		{"exception threshold", func(r *cab.Request) { r.Decision.ExceptionThreshold = decimal.NewFromInt(90) }},
		{"model", func(r *cab.Request) { r.Decision.ModelVersion = "2.0" }},
		{"quorum", func(r *cab.Request) { r.Decision.Quorum = 1 }},
		{"creation time", func(r *cab.Request) { r.CreatedAt = r.CreatedAt.Add(time.Microsecond) }},
		{"an unknown status", func(r *cab.Request) { r.Status = "maybe" }},
	} {
		got, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			c.mutate(&cur)
			return keepRequest(cur)
		})
		note("update the "+c.name, got, err)
	}
	got, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Decision.Score = decimal.RequireFromString("42.50") // the same value, written differently
		cur.UpdatedAt = time.Time{}                             // the clock's
		return keepRequest(cur)
	})
	note("update with an equal score and no update time", got, err)
	boom := &cab.WorkflowError{RequestID: ids[0], Reason: "no", Err: cab.ErrNotPending}
	_, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Status = cab.StatusApproved
		return cur, security.EventInput{Type: cab.EventApproved, Actor: "alice"}, boom
	})
	out = append(out, fmt.Sprintf("fn's error returned as it is → %v", err == error(boom)))
	got, err = s.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Status = cab.StatusApproved
		return cur, security.EventInput{Type: cab.EventApproved}, nil // no actor
	})
	note("update with an invalid event", got, err)
	got, err = s.UpdateRequest(ctx, ids[0], nil)
	note("update with no function", got, err)
	got, err = s.UpdateRequest(ctx, ids[11], keepRequest)
	note("update an unknown id", got, err)
	got, err = s.UpdateRequest(ctx, ids[11], nil)
	note("update an unknown id with no function", got, err)
	got, err = s.Request(ctx, ids[0])
	note("read after the updates", got, err)

	// Approvals to quorum, through the workflow's rule.
	r2 := cabRequest(t, ids[4], "chg-quorum")
	got, err = s.CreateRequest(ctx, r2)
	note("create for approval", got, err)
	for _, member := range []string{"alice", "alice", "sam", "bob", "carol"} {
		clock.Advance(time.Second)
		now := clock.Now()
		got, err = s.UpdateRequest(ctx, ids[4], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			next, err := cab.Approve(cur, cab.Members{"alice": true, "bob": true, "carol": true, "sam": true}, member, "lgtm", now)
			return next, security.EventInput{Type: cab.EventApproved, Actor: member, Subject: "cab-request:" + cur.ID.String()}, err
		})
		note("approve by "+member, got, err)
	}

	// Transactions: a rollback undoes everything; errors inside a committed
	// transaction leave nothing behind; a finished transaction is done.
	var leaked store.Tx
	err = s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		leaked = tx
		got, err := tx.CreateRequest(ctx, cabRequest(t, ids[5], "chg-rolled-back"))
		note("create in a transaction", got, err)
		got, err = tx.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			cur.Status = cab.StatusRejected
			return keepRequest(cur)
		})
		note("update in a transaction", got, err)
		got, err = tx.Request(ctx, ids[0])
		note("read in a transaction", got, err)
		return errAbort
	})
	note("roll back", nil, err)
	got, err = s.Request(ctx, ids[0])
	note("read after the rollback", got, err)
	got, err = s.Request(ctx, ids[5])
	note("read what was rolled back", got, err)
	_, e1 := leaked.CreateRequest(ctx, cabRequest(t, ids[6], "chg-leaked"))
	_, e2 := leaked.Request(ctx, ids[0])
	_, e3 := leaked.RequestByCorrelationID(ctx, "chg-1")
	_, e4 := leaked.UpdateRequest(ctx, ids[0], keepRequest)
	_, e5 := leaked.ListRequests(ctx, cab.RequestFilter{Limit: 1})
	for i, err := range []error{e1, e2, e3, e4, e5} {
		note(fmt.Sprintf("leaked method %d", i+1), nil, err)
	}
	err = s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.UpdateRequest(ctx, ids[0], func(cur cab.Request) (cab.Request, security.EventInput, error) {
			cur.Status = cab.StatusRejected
			return cur, security.EventInput{Type: cab.EventRejected, Actor: "bob\x00"}, nil
		})
		note("update with an invalid event in a transaction", got, err)
		bad := cabRequest(t, ids[7], "chg-bad-in-tx")
		bad.Submitter = "sam\x7f"
		got, err = tx.CreateRequest(ctx, bad)
		note("create with a refused submitter in a transaction", got, err)
		got, err = tx.CreateRequest(ctx, cabRequest(t, ids[8], "chg-committed"))
		note("create after them", got, err)
		return nil // commit, after the errors
	})
	note("commit", nil, err)
	for _, id := range []uuid.UUID{ids[0], ids[7], ids[8]} {
		got, err = s.Request(ctx, id)
		note("read after the commit", got, err)
	}

	// Listing: the period, the order (ties by id), the cursor.
	for i, id := range []string{"00000000-0000-0000-0000-00000000000b", "00000000-0000-0000-0000-00000000000a",
		"ffffffff-0000-0000-0000-000000000000"} {
		r := cabRequest(t, uuid.MustParse(id), "chg-list-"+id)
		r.CreatedAt = epoch.Add(time.Duration(24+i/2) * time.Hour) // a, b together; f an hour later
		got, err = s.CreateRequest(ctx, r)
		note("create for listing", got, err)
	}
	day := epoch.Add(24 * time.Hour)
	for _, f := range []cab.RequestFilter{
		{From: day, To: day.Add(2 * time.Hour), Limit: 10},
		{From: day, To: day.Add(2 * time.Hour), Limit: 1},
		{From: day, To: day.Add(2 * time.Hour), Limit: 10, After: uuid.MustParse("00000000-0000-0000-0000-00000000000a")},
		{From: day, To: day.Add(2 * time.Hour), Limit: 10, After: uuid.MustParse("00000000-0000-0000-0000-00000000000b")},
		{From: day, To: day.Add(time.Hour), Limit: 10},
		{From: day.Add(time.Hour), To: day.Add(2 * time.Hour), Limit: 10},
		{From: day.Add(time.Nanosecond), To: day.Add(time.Hour + time.Nanosecond), Limit: 10},
		{From: day, Limit: 10},
		{To: day.Add(time.Hour), Limit: 1000},
		{From: day, To: day, Limit: 10, After: ids[0]},
		{To: day, Limit: 0},
		{To: day, Limit: -1},
		{To: day, Limit: 1001},
		{To: day, Limit: 10, After: ids[11]},
		{Limit: 10, After: ids[11]},
	} {
		rs, err := s.ListRequests(ctx, f)
		var listed []string
		for _, r := range rs {
			listed = append(listed, r.CorrelationID)
		}
		note(fmt.Sprintf("list %+v", f), listed, err)
	}

	events, err := s.ListAuditEvents(ctx, 0, 1000)
	require.NoError(t, err)
	for _, e := range events {
		out = append(out, fmt.Sprintf("event %d %s %q %q %q %s %s", e.Seq, e.Type, e.Actor, e.Subject, e.CorrelationID,
			e.OccurredAt.Format(time.RFC3339Nano), e.Data))
	}
	_, err = security.VerifyChain(ctx, s, security.VerifyOptions{})
	require.NoError(t, err)
	return out
}

func TestRequestsMatchTheInMemoryAdapter(t *testing.T) {
	memClock := storetest.NewClock(epoch)
	want := requestScenario(t, memstore.New(memstore.Options{Now: memClock.Now}), memClock)
	forEachBackend(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(epoch)
		got := requestScenario(t, b.newStore(t, clock.Now), clock)
		require.Len(t, got, len(want))
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("step %d:\nmemstore: %s\nsqlstore: %s", i, want[i], got[i])
			}
		}
	})
}

// The database itself keeps a submission as it was submitted, keeps every
// request, and holds the progress columns to their shapes, whoever asks.
func TestRequestsAreGuardedByTheDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch })
		r, err := s.CreateRequest(ctx, cabRequest(t, uuid.New(), "chg-1"))
		require.NoError(t, err)
		raw := b.raw(t, s)
		where := ` WHERE id = '` + r.ID.String() + `'`
		for _, set := range []string{
			`correlation_id = 'chg-2'`, `evidence_id = '` + uuid.NewString() + `'`,
			`deployment_intent_id = '` + uuid.NewString() + `'`, `application = 'Zoom'`,
			`artifact_digest = '` + fmt.Sprintf("%064x", 1) + `'`, `submitter = 'mallory'`,
			`submission_hash = '` + fmt.Sprintf("%064x", 2) + `'`, `outcome = 'auto_approved'`,
			`reason_code = 'SCORE_WITHIN_THRESHOLD'`, `score = '1'`, `class = 'NON_CRITICAL'`, `threshold = '50'`,
			`exception_threshold = '99'`, `model_version = '9.9'`, `quorum = 1`, `created_at = '2020-01-01T00:00:00.000000Z'`,
			`status = 'maybe'`, `approvals = '{}'`, `approvals = 'not json'`, `rejection = '[]'`, `exception = '1'`,
		} {
			_, err := raw.ExecContext(ctx, `UPDATE cab_requests SET `+set+where)
			assert.Error(t, err, set)
		}
		_, err = raw.ExecContext(ctx, `DELETE FROM cab_requests`+where)
		assert.Error(t, err, "delete")
		// What may change, may.
		_, err = raw.ExecContext(ctx, `UPDATE cab_requests SET status = 'approved', approvals = '[]', rejection = NULL,
			exception = NULL`+where)
		require.NoError(t, err)
		got, err := s.Request(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, cab.StatusApproved, got.Status)
		assert.Equal(t, describe(r.Decision, nil), describe(got.Decision, nil))
	})
}
