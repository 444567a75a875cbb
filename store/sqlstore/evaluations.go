package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/google/uuid"
)

// MaxEvaluationPage is the largest limit ListEvaluations accepts.
const MaxEvaluationPage = 1000

const evaluationColumns = `id, kind, level, target, period_from, period_to, deployments, incidents, p1, p2,
	incident_rate, ready, reason, created_at, approved, decided_by, decided_at, decision_model_version`

const criterionColumns = `evaluation_id, position, name, at_least, required, unlimited, actual, passed`

func (c conn) createEvaluation(ctx context.Context, e maturity.Evaluation) error {
	const op = "create evaluation"
	switch {
	case e.ID == uuid.Nil:
		return invalid("%s: an evaluation needs an id", op)
	case !e.Level.Valid() || !e.Target.Valid() || !targets(e.Kind, e.Level, e.Target):
		return invalid("%s %s: a %q evaluation cannot judge %v towards %v", op, e.ID, e.Kind, e.Level, e.Target)
	case e.Decision != (maturity.Decision{}):
		return invalid("%s %s: an evaluation is stored undecided; ApplyTransition records the decision", op, e.ID)
	}
	created := normTime(e.CreatedAt)
	if created.IsZero() {
		created = normTime(c.s.now())
	}
	ok, err := c.insertOnce(ctx, op, `INSERT INTO maturity_evaluations (`+evaluationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, '', NULL, NULL) ON CONFLICT (id) DO NOTHING`,
		e.ID.String(), string(e.Kind), int(e.Level), int(e.Target), c.s.timeArg(e.PeriodFrom), c.s.timeArg(e.PeriodTo),
		e.Deployments, e.Incidents, e.P1, e.P2, e.IncidentRate.String(), e.Ready, e.Reason, c.s.timeArg(created))
	if err != nil {
		return err
	}
	if !ok {
		return conflict("%s: evaluation id %s is taken", op, e.ID)
	}
	if len(e.Criteria) == 0 {
		return nil
	}
	args := make([]any, 0, 8*len(e.Criteria))
	for i, cr := range e.Criteria {
		args = append(args, e.ID.String(), i, string(cr.Name), cr.AtLeast, cr.Required.String(), cr.Unlimited,
			cr.Actual.String(), cr.Passed)
	}
	if _, err := c.exec(ctx, `INSERT INTO evaluation_criteria (`+criterionColumns+`) VALUES `+
		placeholders(len(e.Criteria), 8), args...); err != nil {
		return c.s.fail(ctx, op+": criteria", err)
	}
	return nil
}

// targets reports whether an evaluation of kind at level may target target:
// a progression one level up, a regression one down, a hold where it is.
func targets(kind maturity.Kind, level, target maturity.Level) bool {
	switch kind {
	case maturity.Progression:
		return target == level+1
	case maturity.Regression:
		return target == level-1
	case maturity.Hold:
		return target == level
	}
	return false
}

func (c conn) evaluation(ctx context.Context, id uuid.UUID) (maturity.Evaluation, error) {
	es, err := c.selectEvaluations(ctx, `WHERE id = ?`, id.String())
	if err != nil {
		return maturity.Evaluation{}, err
	}
	if len(es) == 0 {
		return maturity.Evaluation{}, notFound("maturity evaluation %s", id)
	}
	return es[0], nil
}

func (c conn) listEvaluations(ctx context.Context, limit int) ([]maturity.Evaluation, error) {
	if limit <= 0 || limit > MaxEvaluationPage {
		return nil, invalid("list evaluations: limit %d is outside [1, %d]", limit, MaxEvaluationPage)
	}
	return c.selectEvaluations(ctx, `ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
}

// selectEvaluations reads the evaluations that tail selects, then the
// criteria of all of them in one query.
func (c conn) selectEvaluations(ctx context.Context, tail string, args ...any) ([]maturity.Evaluation, error) {
	const op = "read maturity evaluations"
	rows, err := c.query(ctx, `SELECT `+evaluationColumns+` FROM maturity_evaluations `+tail, args...)
	if err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	es := []maturity.Evaluation{}
	index := map[uuid.UUID]int{}
	for rows.Next() {
		var (
			e             maturity.Evaluation
			kind          string
			level, target int
			decisionModel *string
		)
		err := rows.Scan(idCol{&e.ID}, &kind, &level, &target, timeCol{&e.PeriodFrom}, timeCol{&e.PeriodTo},
			&e.Deployments, &e.Incidents, &e.P1, &e.P2, decimalCol{&e.IncidentRate}, &e.Ready, &e.Reason,
			timeCol{&e.CreatedAt}, &e.Decision.Approved, &e.Decision.By, timeCol{&e.Decision.At}, &decisionModel)
		if err != nil {
			_ = rows.Close()
			return nil, c.s.fail(ctx, op, err)
		}
		e.Kind, e.Level, e.Target = maturity.Kind(kind), maturity.Level(level), maturity.Level(target)
		if decisionModel != nil {
			e.Decision.ModelVersion = *decisionModel
		}
		index[e.ID] = len(es)
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	if len(es) == 0 {
		return es, nil
	}

	ids := make([]any, len(es))
	for i, e := range es {
		ids[i] = e.ID.String()
	}
	rows, err = c.query(ctx, `SELECT `+criterionColumns+` FROM evaluation_criteria
		WHERE evaluation_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)
		ORDER BY evaluation_id, position`, ids...)
	if err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var (
			id       uuid.UUID
			position int
			name     string
			cr       maturity.Criterion
		)
		err := rows.Scan(idCol{&id}, &position, &name, &cr.AtLeast, decimalCol{&cr.Required}, &cr.Unlimited,
			decimalCol{&cr.Actual}, &cr.Passed)
		if err != nil {
			return nil, c.s.fail(ctx, op, err)
		}
		i, ok := index[id]
		if !ok || position != len(es[i].Criteria) {
			return nil, fmt.Errorf("sqlstore: %s: criterion %d of evaluation %s is out of place", op, position, id)
		}
		cr.Name = maturity.CriterionName(name)
		es[i].Criteria = append(es[i].Criteria, cr)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	return es, nil
}
