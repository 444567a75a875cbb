package store

import (
	"context"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// CAB requests: a row each. The submission (ids, digest, decision,
// submitter, creation time) never changes; the status, approvals,
// rejection and exception change only through UpdateRequest, one
// serialised read-modify-write at a time. The decision's reason is stored
// as its code; its text reads back as the code's ([cab.ReasonCode.Text]).

func requestTable() *driver.Table {
	return &driver.Table{
		Name: "cab_requests",
		Columns: []driver.Column{
			col("id", driver.UUID), col("correlation_id", driver.Text), col("evidence_id", driver.UUID),
			col("deployment_intent_id", driver.UUID), col("application", driver.Text),
			col("artifact_digest", driver.Text), col("submitter", driver.Text), col("submission_hash", driver.Text),
			col("outcome", driver.Text), col("reason_code", driver.Text), col("score", driver.Decimal),
			col("class", driver.Text), col("threshold", driver.Decimal), col("exception_threshold", driver.Decimal),
			col("model_version", driver.Text), col("quorum", driver.Int), col("status", driver.Text),
			// What the decision was made from, and its signed statement.
			nullCol("factors", driver.Text), col("score_supplied", driver.Bool), col("declared_class", driver.Text),
			col("class_rule", driver.Text), col("model_hash", driver.Text), nullCol("attestation", driver.Text),
			// The progress, as JSON (requestcodec.go).
			col("approvals", driver.Text), nullCol("rejection", driver.Text), nullCol("exception", driver.Text),
			col("created_at", driver.Time), col("updated_at", driver.Time),
		},
		Key:    []string{"id"},
		Unique: [][]string{{"correlation_id"}},
	}
}

func requestRow(r *cab.Request) []any {
	d := &r.Decision
	approvals, rejection, exception := progressJSON(r)
	return []any{r.ID, r.CorrelationID, r.EvidenceID, r.DeploymentIntentID, r.Application, r.ArtifactDigest.String(),
		r.Submitter, r.SubmissionHash.String(), string(d.Outcome), string(d.Reason.Code), d.Score, string(d.Class),
		d.Threshold, d.ExceptionThreshold, d.ModelVersion, int64(d.Quorum), string(r.Status), factorsJSON(r.Factors),
		r.ScoreSupplied, string(r.DeclaredClass), r.ClassRule, d.ModelHash.String(), envelopeJSON(&r.Attestation),
		approvals, rejection, exception, r.CreatedAt, r.UpdatedAt}
}

func decodeRequest(t *driver.Table, row []any) (cab.Request, error) {
	rd := newReader(t, row)
	r := cab.Request{ID: rd.uuid(), CorrelationID: rd.text(), EvidenceID: rd.uuid(), DeploymentIntentID: rd.uuid(),
		Application: rd.text(), ArtifactDigest: rd.digest(), Submitter: rd.text(), SubmissionHash: rd.digest()}
	d := &r.Decision
	d.Outcome, d.Reason.Code, d.Score = cab.Outcome(rd.text()), cab.ReasonCode(rd.text()), rd.decimal()
	d.Class, d.Threshold, d.ExceptionThreshold = blastradius.Class(rd.text()), rd.decimal(), rd.decimal()
	d.ModelVersion, d.Quorum, r.Status = rd.text(), int(rd.int()), cab.Status(rd.text())
	d.Reason.Text = d.Reason.Code.Text()
	factors := rd.text()
	r.ScoreSupplied, r.DeclaredClass, r.ClassRule = rd.bool(), blastradius.Class(rd.text()), rd.text()
	d.ModelHash = rd.digest()
	attestation := rd.text()
	approvals, rejection, exception := rd.text(), rd.text(), rd.text()
	r.CreatedAt, r.UpdatedAt = rd.time(), rd.time()
	if err := rd.done(); err != nil {
		return cab.Request{}, err
	}
	if err := decodeProgress(&r, approvals, rejection, exception); err != nil {
		return cab.Request{}, rowErr(t, err)
	}
	var err error
	if r.Factors, err = decodeFactors(factors); err != nil {
		return cab.Request{}, rowErr(t, err)
	}
	if r.Attestation, err = decodeEnvelope("attestation", attestation); err != nil {
		return cab.Request{}, rowErr(t, err)
	}
	return r, nil
}

// requestWhere returns the request whose column col holds v.
func (o *op) requestWhere(col string, v any) (cab.Request, bool, error) {
	row, ok, err := o.byKey(o.t.requests, col, v)
	if err != nil || !ok {
		return cab.Request{}, false, err
	}
	r, err := decodeRequest(o.t.requests, row)
	return r, err == nil, err
}

// validStatus reports whether s is one of the cab package's statuses.
func validStatus(s cab.Status) bool {
	switch s {
	case cab.StatusAutoApproved, cab.StatusPendingReview, cab.StatusApproved, cab.StatusRejected,
		cab.StatusExceptionRequired, cab.StatusExceptionPending, cab.StatusExceptionApproved:
		return true
	}
	return false
}

// normProgress returns r with deep copies of its approvals, rejection and
// exception, their times as stored, and no approvals as nil.
func (c *core) normProgress(r cab.Request) cab.Request {
	approvals := func(as []cab.Approval) []cab.Approval {
		if len(as) == 0 {
			return nil
		}
		as = slices.Clone(as)
		for i := range as {
			as[i].At = c.norm(as[i].At)
		}
		return as
	}
	r.Approvals = approvals(r.Approvals)
	if x := r.Rejection; x != nil {
		cp := *x
		cp.At = c.norm(cp.At)
		r.Rejection = &cp
	}
	if x := r.Exception; x != nil {
		cp := *x
		cp.RequestedAt, cp.ExpiresAt, cp.Approvals = c.norm(cp.RequestedAt), c.norm(cp.ExpiresAt), approvals(cp.Approvals)
		r.Exception = &cp
	}
	r.UpdatedAt = c.norm(r.UpdatedAt)
	return r
}

// CreateRequest stores a new request and appends a cab.submitted audit
// event carrying its decision (cab.SubmittedEvent). It is idempotent on the
// correlation id: a request with the same correlation id and submission
// hash returns the stored request as it stands now, approvals included, and
// writes nothing; a different submission hash is [ErrConflict], as is an id
// already taken. A request without an id, correlation id or submitter, or
// with an invalid class or status, is [trustgate.Invalid]. Times are stored
// at the store's precision; CreatedAt and UpdatedAt default to the store's
// clock.
func (h *ops) CreateRequest(ctx context.Context, r cab.Request) (cab.Request, error) {
	switch {
	case r.ID == uuid.Nil:
		return cab.Request{}, invalid("id", "store: a CAB request needs an id")
	case strings.TrimSpace(r.CorrelationID) == "":
		return cab.Request{}, invalid("correlation_id", "store: CAB request %s needs a correlation id", r.ID)
	case strings.TrimSpace(r.Submitter) == "":
		return cab.Request{}, invalid("submitter", "store: CAB request %s needs a submitter", r.ID)
	case r.Submitter != attest.NormalizeName(r.Submitter):
		return cab.Request{}, invalid("submitter", "store: CAB request %s: the submitter %q is not a normalised name (attest.NormalizeName)", r.ID, r.Submitter)
	case !r.Decision.Class.Valid():
		return cab.Request{}, invalid("class", "store: CAB request %s: %q is not a blast radius class", r.ID, r.Decision.Class)
	case !validStatus(r.Status):
		return cab.Request{}, invalid("status", "store: CAB request %s: %q is not a request status", r.ID, r.Status)
	}
	// The row and the event are built before the transaction begins, so
	// that the writers it waits with are held up by its writes alone; what
	// is returned is what is written, never read back.
	now := h.c.clock()
	r = h.c.normProgress(r)
	if r.CreatedAt = h.c.norm(r.CreatedAt); r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
	r.Decision.Reason.Text = r.Decision.Reason.Code.Text() // what reads back: the code is stored, not the text
	row, event := requestRow(&r), cab.SubmittedEvent(r)
	created := insertNew(h.c.t.requests, row, "CAB request id %s or correlation id %q is taken", r.ID, r.CorrelationID)
	return write(ctx, h, func(o *op) (cab.Request, error) {
		_, err := o.apply([]change{created}, event)
		if !taken(err) {
			return r, err
		}
		// A repeat, a different submission, or a taken id: which, the
		// stored request under the correlation id says.
		stored, ok, rerr := o.requestWhere("correlation_id", r.CorrelationID)
		switch {
		case rerr != nil:
			return cab.Request{}, rerr
		case !ok:
			return cab.Request{}, conflict("CAB request id %s is taken", r.ID)
		case !stored.SubmissionHash.Equal(r.SubmissionHash):
			return cab.Request{}, conflict("correlation id %q holds a CAB request with submission hash %s, not %s",
				r.CorrelationID, stored.SubmissionHash, r.SubmissionHash)
		}
		return stored, nil // the same submission again, as it stands now: nothing written
	})
}

// Request returns the request with the given id, or [ErrNotFound].
func (h *ops) Request(ctx context.Context, id uuid.UUID) (cab.Request, error) {
	return read(ctx, h, func(o *op) (cab.Request, error) {
		r, ok, err := o.requestWhere("id", id)
		if err == nil && !ok {
			err = notFound("CAB request %s", id)
		}
		return r, err
	})
}

// RequestByCorrelationID returns the request submitted under the given
// correlation id, or [ErrNotFound].
func (h *ops) RequestByCorrelationID(ctx context.Context, correlationID string) (cab.Request, error) {
	return read(ctx, h, func(o *op) (cab.Request, error) {
		r, ok, err := o.requestWhere("correlation_id", correlationID)
		if err == nil && !ok {
			err = notFound("CAB request with correlation id %q", correlationID)
		}
		return r, err
	})
}

// UpdateRequest reads the request ([ErrNotFound]), calls fn with a deep
// copy of it inside a write transaction, stores what fn returns and appends
// the audit event fn returns, atomically. If fn returns an error, nothing is
// written and the error is returned as it is. fn may change only the
// status, approvals, rejection, exception and UpdatedAt (which defaults to
// the store's clock); a change to anything else, or a status that is not
// one of the cab package's, is [trustgate.Invalid]. The event is validated
// as AppendAudit validates it before anything is written. Concurrent
// updates of one request are serialised, so none is lost. fn runs while
// the store's write transaction is open: it must be a pure function of the
// request it is given and must not use the store.
func (h *ops) UpdateRequest(ctx context.Context, id uuid.UUID, fn func(cab.Request) (cab.Request, security.EventInput, error)) (cab.Request, error) {
	if fn == nil {
		return cab.Request{}, invalid("fn", "store: updating CAB request %s needs an update function", id)
	}
	return write(ctx, h, func(o *op) (cab.Request, error) {
		old, ok, err := o.requestWhere("id", id)
		switch {
		case err != nil:
			return cab.Request{}, err
		case !ok:
			return cab.Request{}, notFound("CAB request %s", id)
		}
		next, in, err := fn(old.Clone())
		if err != nil {
			return cab.Request{}, err // fn's, as it is
		}
		next = o.normProgress(next)
		next.CreatedAt = o.norm(next.CreatedAt)
		if field := cab.ChangedSubmission(old, next); field != "" {
			return cab.Request{}, invalid(field, "store: CAB request %s: the submission's %s cannot change", id, field)
		}
		if !validStatus(next.Status) {
			return cab.Request{}, invalid("status", "store: CAB request %s: %q is not a request status", id, next.Status)
		}
		updated := old // the submission as stored; the rest is fn's
		updated.Status, updated.Approvals, updated.Rejection, updated.Exception = next.Status, next.Approvals, next.Rejection, next.Exception
		if updated.UpdatedAt = next.UpdatedAt; updated.UpdatedAt.IsZero() {
			updated.UpdatedAt = o.clock()
		}
		approvals, rejection, exception := progressJSON(&updated)
		_, err = o.apply([]change{update(o.t.requests, []any{id}, []string{"status", "approvals", "rejection", "exception", "updated_at"},
			string(updated.Status), approvals, rejection, exception, updated.UpdatedAt)}, in)
		return updated, err
	})
}

// MaxRequestPage is the largest limit ListRequests accepts.
const MaxRequestPage = 1000

// ListRequests returns requests created in [f.From, f.To) (bounds compared
// exactly), oldest first (creation time, then id), after the request
// f.After when set, at most f.Limit. A limit outside [1, MaxRequestPage] is
// [trustgate.Invalid], as is an After that names no stored request: a
// cursor must come from an earlier page.
func (h *ops) ListRequests(ctx context.Context, f cab.RequestFilter) ([]cab.Request, error) {
	if f.Limit <= 0 || f.Limit > MaxRequestPage {
		return nil, invalid("limit", "store: CAB request page limit %d is outside [1, %d]", f.Limit, MaxRequestPage)
	}
	return read(ctx, h, func(o *op) ([]cab.Request, error) {
		from, to := o.bound(f.From), o.bound(f.To)
		q := &driver.Query{Table: o.t.requests, Order: []driver.Order{{Column: "created_at"}, {Column: "id"}}, Limit: f.Limit}
		if f.After != uuid.Nil {
			cursor, ok, err := o.requestWhere("id", f.After)
			switch {
			case err != nil:
				return nil, err
			case !ok:
				return nil, invalid("after", "store: the page cursor names CAB request %s, which is not stored", f.After)
			}
			q.After = []any{cursor.CreatedAt, cursor.ID}
			// The same rows, but the scan starts at the cursor, not at the
			// period's start: a late page costs what an early one does.
			if cursor.CreatedAt.After(from) {
				from = cursor.CreatedAt
			}
		}
		out := []cab.Request{}
		if !from.Before(to) {
			return out, nil // nothing left in the period (a zero To included)
		}
		q.Where = []driver.Cond{driver.Where("created_at", driver.Ge, from), driver.Where("created_at", driver.Lt, to)}
		err := o.query(q, func(row []any) error {
			r, err := decodeRequest(o.t.requests, row)
			out = append(out, r)
			return err
		})
		return out, err
	})
}
