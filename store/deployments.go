package store

import (
	"context"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// Deployment records: a row each, never changed. Each keeps its risk-score
// band beside the score, so that the calibration aggregates can group by
// an indexed integer.

func deploymentTable() *driver.Table {
	return &driver.Table{
		Name: "deployments",
		Columns: []driver.Column{
			col("id", driver.UUID), col("application", driver.Text), nullCol("evidence_id", driver.UUID),
			nullCol("request_id", driver.UUID), col("class", driver.Text), col("auto_approved", driver.Bool),
			col("risk_score", driver.Decimal), col("risk_band", driver.Int), col("model_version", driver.Text),
			col("finished_at", driver.Time), col("created_at", driver.Time),
		},
		Key: []string{"id"},
	}
}

func deploymentRow(d *incident.Deployment) []any {
	return []any{d.ID, d.Application, nullID(d.EvidenceID), nullID(d.RequestID), string(d.Class), d.AutoApproved,
		d.RiskScore, int64(incident.Band(d.RiskScore)), d.ModelVersion, d.FinishedAt, d.CreatedAt}
}

func decodeDeployment(t *driver.Table, row []any) (incident.Deployment, error) {
	r := newReader(t, row)
	d := incident.Deployment{ID: r.uuid(), Application: r.text(), EvidenceID: r.uuid(), RequestID: r.uuid(),
		Class: blastradius.Class(r.text()), AutoApproved: r.bool(), RiskScore: r.decimal()}
	r.int() // the band, which follows from the score
	d.ModelVersion, d.FinishedAt, d.CreatedAt = r.text(), r.time(), r.time()
	return d, r.done()
}

// deploymentWhere returns the first deployment q selects.
func (o *op) deploymentWhere(q *driver.Query) (incident.Deployment, bool, error) {
	row, ok, err := o.first(q)
	if err != nil || !ok {
		return incident.Deployment{}, false, err
	}
	d, err := decodeDeployment(o.t.deployments, row)
	return d, err == nil, err
}

func (o *op) deployment(id uuid.UUID) (incident.Deployment, bool, error) {
	return o.deploymentWhere(&driver.Query{Table: o.t.deployments, Where: []driver.Cond{driver.Where("id", driver.Eq, id)}})
}

// sameDeployment reports whether a and b, both as stored, record the same
// deployment: every field but CreatedAt (which the store fills in) is equal,
// the risk score as a number (17.25 is 17.250).
func sameDeployment(a, b *incident.Deployment) bool {
	return a.ID == b.ID && a.Application == b.Application && a.EvidenceID == b.EvidenceID &&
		a.RequestID == b.RequestID && a.Class == b.Class && a.AutoApproved == b.AutoApproved &&
		a.RiskScore.Equal(b.RiskScore) && a.ModelVersion == b.ModelVersion && a.FinishedAt.Equal(b.FinishedAt)
}

// RecordDeployment stores d and appends a deployment.recorded audit event,
// and counts it in its day's calibration bucket in the same transaction.
// It is idempotent on d.ID: recording the same deployment again returns the
// stored record and writes nothing; a different record under the same id
// is [ErrConflict]. The record is validated as stored, its times at the
// store's precision, against the store's clock (the incident package's
// errors); CreatedAt defaults to the clock.
func (h *ops) RecordDeployment(ctx context.Context, d incident.Deployment) (incident.Deployment, error) {
	return write(ctx, h, func(o *op) (incident.Deployment, error) {
		now := o.clock()
		d.FinishedAt, d.CreatedAt = o.norm(d.FinishedAt), o.norm(d.CreatedAt)
		if err := d.Validate(now); err != nil {
			return incident.Deployment{}, err
		}
		old, ok, err := o.deployment(d.ID)
		switch {
		case err != nil:
			return incident.Deployment{}, err
		case ok && !sameDeployment(&old, &d):
			return incident.Deployment{}, conflict("a different deployment is recorded under id %s", d.ID)
		case ok:
			return old, nil
		}
		if d.CreatedAt.IsZero() {
			d.CreatedAt = now
		}
		deltas := bucketDeltas{}
		deltas.add(d.FinishedAt, deploymentTally(d.Class, incident.Band(d.RiskScore)), 1)
		buckets, err := o.bucketChanges(deltas)
		if err != nil {
			return incident.Deployment{}, err
		}
		_, err = o.apply(append([]change{insert(o.t.deployments, deploymentRow(&d))}, buckets...), deploymentRecorded(&d))
		return d, err
	})
}

// Deployment returns the record with the given id, or [ErrNotFound].
func (h *ops) Deployment(ctx context.Context, id uuid.UUID) (incident.Deployment, error) {
	return read(ctx, h, func(o *op) (incident.Deployment, error) {
		d, ok, err := o.deployment(id)
		if err == nil && !ok {
			err = notFound("deployment %s", id)
		}
		return d, err
	})
}

// EarliestDeploymentAt returns the finish time of the first recorded
// deployment, or [ErrNotFound].
func (h *ops) EarliestDeploymentAt(ctx context.Context) (time.Time, error) {
	return read(ctx, h, func(o *op) (time.Time, error) {
		d, ok, err := o.deploymentWhere(&driver.Query{Table: o.t.deployments, Order: []driver.Order{{Column: "finished_at"}}})
		switch {
		case err != nil:
			return time.Time{}, err
		case !ok:
			return time.Time{}, notFound("no deployment is recorded")
		}
		return d.FinishedAt, nil
	})
}
