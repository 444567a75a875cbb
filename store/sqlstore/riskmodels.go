package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/shopspring/decimal"
)

const versionColumns = `version, mode, effective_at, review_at, exception_threshold,
	approved, approved_by, approved_at, calibration, created_at, active`

func (c conn) createRiskModel(ctx context.Context, v riskmodel.Version, actor string) error {
	if strings.TrimSpace(actor) == "" {
		return invalid("create risk model %q: an actor is required", v.Version)
	}
	if err := v.Validate(); err != nil {
		return err
	}
	if v.Active {
		return invalid("create risk model %q: a version is created inactive; activate it with ActivateRiskModel", v.Version)
	}
	created := v.CreatedAt
	if created.IsZero() {
		created = c.s.now()
	}
	var calibration any
	if v.Calibration != nil {
		calibration = string(v.Calibration)
	}
	const op = "create risk model"
	ok, err := c.insertOnce(ctx, op, `INSERT INTO risk_model_versions (`+versionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE)
		ON CONFLICT (version) DO NOTHING`,
		v.Version, string(v.Mode), c.s.timeArg(v.EffectiveAt), c.s.timeArg(v.ReviewAt), v.ExceptionThreshold.String(),
		v.Approval.Approved, v.Approval.By, c.s.nullTimeArg(v.Approval.At), calibration, c.s.timeArg(created))
	if err != nil {
		return err
	}
	if !ok {
		return conflict("risk model version %q exists", v.Version)
	}

	classes := slices.Sorted(maps.Keys(v.Thresholds))
	args := make([]any, 0, 3*len(classes))
	for _, cl := range classes {
		args = append(args, v.Version, string(cl), v.Thresholds[cl].String())
	}
	if _, err := c.exec(ctx, `INSERT INTO risk_model_thresholds (version, class, threshold) VALUES `+
		placeholders(len(classes), 3), args...); err != nil {
		return c.s.fail(ctx, op+": thresholds", err)
	}
	factors := slices.Sorted(maps.Keys(v.Weights))
	args = args[:0]
	for _, f := range factors {
		args = append(args, v.Version, string(f), v.Weights[f].String())
	}
	if _, err := c.exec(ctx, `INSERT INTO risk_model_weights (version, factor, weight) VALUES `+
		placeholders(len(factors), 3), args...); err != nil {
		return c.s.fail(ctx, op+": weights", err)
	}

	data, err := json.Marshal(struct {
		Version string         `json:"version"`
		Mode    riskmodel.Mode `json:"mode"`
	}{v.Version, v.Mode})
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{
		Type: security.EventRiskModelCreated, Actor: actor, Subject: "riskmodel:" + v.Version, Data: data,
	})
	return err
}

func (c conn) riskModel(ctx context.Context, version string) (riskmodel.Version, error) {
	vs, err := c.selectVersions(ctx, `WHERE version = ?`, version)
	if err != nil {
		return riskmodel.Version{}, err
	}
	if len(vs) == 0 {
		return riskmodel.Version{}, notFound("risk model version %q", version)
	}
	return vs[0], nil
}

func (c conn) listRiskModels(ctx context.Context) ([]riskmodel.Version, error) {
	return c.selectVersions(ctx, `ORDER BY created_at, version`)
}

func (c conn) activeRiskModel(ctx context.Context) (riskmodel.Version, error) {
	vs, err := c.selectVersions(ctx, `WHERE active = TRUE`)
	if err != nil {
		return riskmodel.Version{}, err
	}
	if len(vs) == 0 {
		return riskmodel.Version{}, notFound("no risk model version is active")
	}
	return vs[0], nil
}

// selectVersions reads the versions that tail (a WHERE and/or ORDER BY
// clause) selects, with their thresholds and weights.
func (c conn) selectVersions(ctx context.Context, tail string, args ...any) ([]riskmodel.Version, error) {
	const op = "read risk models"
	rows, err := c.query(ctx, `SELECT `+versionColumns+` FROM risk_model_versions `+tail, args...)
	if err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	var vs []riskmodel.Version
	index := map[string]int{}
	for rows.Next() {
		var (
			v           riskmodel.Version
			mode        string
			calibration sql.NullString
		)
		err := rows.Scan(&v.Version, &mode, timeCol{&v.EffectiveAt}, timeCol{&v.ReviewAt}, decimalCol{&v.ExceptionThreshold},
			&v.Approval.Approved, &v.Approval.By, timeCol{&v.Approval.At}, &calibration, timeCol{&v.CreatedAt}, &v.Active)
		if err != nil {
			_ = rows.Close()
			return nil, c.s.fail(ctx, op, err)
		}
		v.Mode = riskmodel.Mode(mode)
		if calibration.Valid {
			v.Calibration = json.RawMessage(calibration.String)
		}
		v.Thresholds = map[blastradius.Class]decimal.Decimal{}
		v.Weights = map[riskmodel.Factor]decimal.Decimal{}
		index[v.Version] = len(vs)
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	if len(vs) == 0 {
		return nil, nil
	}

	// One query for the parameters of all the versions read (or of one).
	params := `SELECT version, 'threshold', class, threshold FROM risk_model_thresholds %[1]s
		UNION ALL SELECT version, 'weight', factor, weight FROM risk_model_weights %[1]s`
	var pargs []any
	if len(vs) == 1 {
		params = fmt.Sprintf(params, `WHERE version = ?`)
		pargs = []any{vs[0].Version, vs[0].Version}
	} else {
		params = fmt.Sprintf(params, ``)
	}
	rows, err = c.query(ctx, params, pargs...)
	if err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var version, kind, key string
		var value decimal.Decimal
		if err := rows.Scan(&version, &kind, &key, decimalCol{&value}); err != nil {
			return nil, c.s.fail(ctx, op, err)
		}
		i, ok := index[version]
		if !ok {
			continue // a version created after the first query
		}
		if kind == "threshold" {
			vs[i].Thresholds[blastradius.Class(key)] = value
		} else {
			vs[i].Weights[riskmodel.Factor(key)] = value
		}
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	return vs, nil
}

func (c conn) approveRiskModel(ctx context.Context, version, approver string) error {
	const op = "approve risk model"
	if strings.TrimSpace(approver) == "" {
		return invalid("approve risk model %q: an approver is required", version)
	}
	var approved bool
	err := c.queryRow(ctx, `SELECT approved FROM risk_model_versions WHERE version = ?`, version).Scan(&approved)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("risk model version %q", version)
	case err != nil:
		return c.s.fail(ctx, op, err)
	case approved:
		return conflict("risk model version %q is already approved", version)
	}
	if _, err := c.exec(ctx, `UPDATE risk_model_versions SET approved = TRUE, approved_by = ?, approved_at = ?
		WHERE version = ?`, approver, c.s.timeArg(c.s.now()), version); err != nil {
		return c.s.fail(ctx, op, err)
	}
	data, err := json.Marshal(map[string]string{"version": version})
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{
		Type: security.EventRiskModelApproved, Actor: approver, Subject: "riskmodel:" + version, Data: data,
	})
	return err
}

func (c conn) activateRiskModel(ctx context.Context, version, actor string) error {
	const op = "activate risk model"
	if strings.TrimSpace(actor) == "" {
		return invalid("activate risk model %q: an actor is required", version)
	}
	var approved, active bool
	err := c.queryRow(ctx, `SELECT approved, active FROM risk_model_versions WHERE version = ?`, version).Scan(&approved, &active)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("risk model version %q", version)
	case err != nil:
		return c.s.fail(ctx, op, err)
	case active:
		return nil
	case !approved:
		return &trustgate.Error{Code: trustgate.Conflict, Reason: "MODEL_NOT_APPROVED", Field: "active",
			Message: fmt.Sprintf("riskmodel: active: version %q is not CAB-approved and cannot be activated", version),
			Err:     riskmodel.ErrNotApproved}
	}
	var previous string // "" when no version was active, as in every adapter
	err = c.queryRow(ctx, `SELECT version FROM risk_model_versions WHERE active = TRUE`).Scan(&previous)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c.s.fail(ctx, op, err)
	}
	// Deactivate first: the unique index on the active flag admits one.
	if _, err := c.exec(ctx, `UPDATE risk_model_versions SET active = FALSE WHERE active = TRUE`); err != nil {
		return c.s.fail(ctx, op, err)
	}
	if _, err := c.exec(ctx, `UPDATE risk_model_versions SET active = TRUE WHERE version = ?`, version); err != nil {
		return c.s.fail(ctx, op, err)
	}
	data, err := json.Marshal(map[string]string{"version": version, "previous": previous})
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{
		Type: security.EventRiskModelActivated, Actor: actor, Subject: "riskmodel:" + version, Data: data,
	})
	return err
}
