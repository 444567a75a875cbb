package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// recordsActor is the actor of the audit events of deployment and incident
// records, whose operations name no actor: the store records them on behalf
// of trustgate (as the in-memory adapter does).
const recordsActor = "trustgate"

const deploymentColumns = `id, application, evidence_id, request_id, class, auto_approved,
	risk_score, risk_band, model_version, finished_at, created_at`

func (c conn) recordDeployment(ctx context.Context, d incident.Deployment) (incident.Deployment, error) {
	const op = "record deployment"
	now := c.s.now()
	d.FinishedAt, d.CreatedAt = normTime(d.FinishedAt), normTime(d.CreatedAt)
	if err := d.Validate(now); err != nil {
		return incident.Deployment{}, err
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = normTime(now)
	}
	// Writes are serialised: nothing can come between the insert and the
	// read of what it collided with.
	ok, err := c.insertOnce(ctx, op, `INSERT INTO deployments (`+deploymentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		d.ID.String(), d.Application, nullIDArg(d.EvidenceID), nullIDArg(d.RequestID), string(d.Class), d.AutoApproved,
		d.RiskScore.String(), incident.Band(d.RiskScore), d.ModelVersion, c.s.timeArg(d.FinishedAt), c.s.timeArg(d.CreatedAt))
	if err != nil {
		return incident.Deployment{}, err
	}
	if !ok {
		stored, err := c.deployment(ctx, d.ID)
		if err != nil {
			return incident.Deployment{}, err
		}
		if !sameDeployment(stored, d) {
			return incident.Deployment{}, conflict("%s: a different deployment is recorded under id %s", op, d.ID)
		}
		return stored, nil // the same record again: nothing written
	}
	data, err := json.Marshal(map[string]any{
		"deployment_id": d.ID.String(), "application": d.Application, "class": string(d.Class),
		"auto_approved": d.AutoApproved, "risk_score": d.RiskScore.String(), "model_version": d.ModelVersion,
	})
	if err != nil {
		return incident.Deployment{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{
		Type: security.EventDeploymentRecorded, Actor: recordsActor, Subject: "deployment:" + d.ID.String(), Data: data,
	})
	if err != nil {
		return incident.Deployment{}, err
	}
	return d, nil
}

// sameDeployment reports whether a and b, both normalised, record the same
// deployment: every field but CreatedAt, which the store fills in, is equal
// (the risk score as a number: 17.25 is 17.250).
func sameDeployment(a, b incident.Deployment) bool {
	return a.ID == b.ID && a.Application == b.Application && a.EvidenceID == b.EvidenceID &&
		a.RequestID == b.RequestID && a.Class == b.Class && a.AutoApproved == b.AutoApproved &&
		a.RiskScore.Equal(b.RiskScore) && a.ModelVersion == b.ModelVersion && a.FinishedAt.Equal(b.FinishedAt)
}

func (c conn) deployment(ctx context.Context, id uuid.UUID) (incident.Deployment, error) {
	d, found, err := c.selectDeployment(ctx, `WHERE id = ?`, id.String())
	if err == nil && !found {
		return incident.Deployment{}, notFound("deployment %s", id)
	}
	return d, err
}

// latestDeploymentBefore returns the latest deployment of application that
// finished strictly before t, and whether there is one: the deployment an
// incident that names none is attributed to. Ties on the finish time go to
// the greatest id, so the choice is deterministic.
func (c conn) latestDeploymentBefore(ctx context.Context, application string, t time.Time) (incident.Deployment, bool, error) {
	return c.selectDeployment(ctx, `WHERE application = ? AND finished_at < ?
		ORDER BY finished_at DESC, id DESC LIMIT 1`, application, c.s.ceilArg(t))
}

// selectDeployment reads the first deployment that tail (a WHERE clause,
// with any ORDER BY and LIMIT) selects, and reports whether there is one.
func (c conn) selectDeployment(ctx context.Context, tail string, args ...any) (incident.Deployment, bool, error) {
	const op = "read deployment"
	var (
		d     incident.Deployment
		class string
		band  int
	)
	err := c.queryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments `+tail, args...).Scan(
		idCol{&d.ID}, &d.Application, idCol{&d.EvidenceID}, idCol{&d.RequestID}, &class, &d.AutoApproved,
		decimalCol{&d.RiskScore}, &band, &d.ModelVersion, timeCol{&d.FinishedAt}, timeCol{&d.CreatedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return incident.Deployment{}, false, nil
	case err != nil:
		return incident.Deployment{}, false, c.s.fail(ctx, op, err)
	}
	d.Class = blastradius.Class(class)
	return d, true, nil
}

func (c conn) earliestDeploymentAt(ctx context.Context) (time.Time, error) {
	var at time.Time
	// The least of each cell's first finish time: one index probe per cell
	// of deployments_by_class_band.
	err := c.queryRow(ctx, `WITH `+cellsCTE+`
		SELECT MIN(first_at) FROM (SELECT (SELECT MIN(d.finished_at) FROM deployments d
		        WHERE d.class = c.class AND d.risk_band = b.band) AS first_at
		  FROM classes c CROSS JOIN bands b) AS cells`).Scan(timeCol{&at})
	if err != nil {
		return time.Time{}, c.s.fail(ctx, "read earliest deployment", err)
	}
	if at.IsZero() {
		return time.Time{}, notFound("no deployment is recorded")
	}
	return at, nil
}
