package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// Maturity evaluations (progress records): a row each, their criteria a
// row each. Only the decision changes, once, when a transition applies the
// evaluation.

func evaluationTables() (evaluations, criteria *driver.Table) {
	evaluations = &driver.Table{
		Name: "maturity_evaluations",
		Columns: []driver.Column{
			col("id", driver.UUID), col("kind", driver.Text), col("level", driver.Int), col("target", driver.Int),
			col("period_from", driver.Time), col("period_to", driver.Time), col("deployments", driver.Int),
			col("incidents", driver.Int), col("p1", driver.Int), col("p2", driver.Int),
			col("incident_rate", driver.Decimal), col("ready", driver.Bool), col("reason", driver.Text),
			col("created_at", driver.Time), col("approved", driver.Bool), col("decided_by", driver.Text),
			nullCol("decided_at", driver.Time), nullCol("decision_model_version", driver.Text),
			col("approvals", driver.Text),
		},
		Key: []string{"id"},
	}
	criteria = &driver.Table{
		Name: "evaluation_criteria",
		Columns: []driver.Column{
			col("evaluation_id", driver.UUID), col("position", driver.Int), col("name", driver.Text),
			col("at_least", driver.Bool), col("required", driver.Decimal), col("unlimited", driver.Bool),
			col("actual", driver.Decimal), col("passed", driver.Bool),
		},
		Key: []string{"evaluation_id", "position"},
	}
	return evaluations, criteria
}

func (t *tables) evaluationChanges(e *maturity.Evaluation) []change {
	cs := []change{insertNew(t.evaluations, []any{e.ID, string(e.Kind), int64(e.Level), int64(e.Target), e.PeriodFrom,
		e.PeriodTo, e.Deployments, e.Incidents, e.P1, e.P2, e.IncidentRate, e.Ready, e.Reason, e.CreatedAt,
		false, "", nil, nil, maturityApprovalsJSON(nil)}, "evaluation id %s is taken", e.ID)}
	for i, c := range e.Criteria {
		cs = append(cs, insert(t.criteria, []any{e.ID, int64(i), string(c.Name), c.AtLeast, c.Required, c.Unlimited,
			c.Actual, c.Passed}))
	}
	return cs
}

func decodeEvaluation(t *driver.Table, row []any) (maturity.Evaluation, error) {
	r := newReader(t, row)
	e := maturity.Evaluation{ID: r.uuid(), Kind: maturity.Kind(r.text()), Level: maturity.Level(r.int()),
		Target: maturity.Level(r.int()), PeriodFrom: r.time(), PeriodTo: r.time(), Deployments: r.int(),
		Incidents: r.int(), P1: r.int(), P2: r.int(), IncidentRate: r.decimal(), Ready: r.bool(), Reason: r.text(),
		CreatedAt: r.time()}
	e.Decision = maturity.Decision{Approved: r.bool(), By: r.text(), At: r.time(), ModelVersion: r.text()}
	approvals := r.text()
	if err := r.done(); err != nil {
		return e, err
	}
	var err error
	if e.Approvals, err = decodeMaturityApprovals(approvals); err != nil {
		return e, rowErr(t, err)
	}
	return e, nil
}

// AddEvaluationApproval appends a, a CAB member's signed approval, to the
// evaluation with the given id and appends a maturity.approval audit event
// naming a.By; it returns the evaluation as stored. [ErrNotFound] for an
// unknown id; [ErrConflict] when the evaluation is decided, is not a ready
// progression, or a.By has approved it already; [trustgate.Invalid] for a
// blank or unnormalised a.By or an approval without a signature. Whether
// the signatures verify is for maturity.VerifyState and the engine.
func (h *ops) AddEvaluationApproval(ctx context.Context, id uuid.UUID, a maturity.Approval) (maturity.Evaluation, error) {
	if err := requireActor("approver", a.By); err != nil {
		return maturity.Evaluation{}, err
	}
	if a.By != attest.NormalizeName(a.By) {
		return maturity.Evaluation{}, invalid("approver", "store: the approver %q is not a normalised name (attest.NormalizeName)", a.By)
	}
	if len(a.Envelope.Signatures) == 0 {
		return maturity.Evaluation{}, invalid("envelope", "store: an approval of evaluation %s carries no signature", id)
	}
	return write(ctx, h, func(o *op) (maturity.Evaluation, error) {
		e, ok, err := o.evaluation(id)
		switch {
		case err != nil:
			return maturity.Evaluation{}, err
		case !ok:
			return maturity.Evaluation{}, notFound("evaluation %s", id)
		case e.Decided():
			return maturity.Evaluation{}, conflict("evaluation %s is already decided by %s", id, e.Decision.By)
		case e.Kind != maturity.Progression || !e.Ready:
			return maturity.Evaluation{}, conflict("evaluation %s is not a ready progression", id)
		case slices.ContainsFunc(e.Approvals, func(p maturity.Approval) bool { return p.By == a.By }):
			return maturity.Evaluation{}, conflict("evaluation %s is already approved by %s", id, a.By)
		}
		a.At = o.norm(a.At)
		if a.At.IsZero() {
			a.At = o.clock()
		}
		e.Approvals = append(e.Approvals, a)
		_, err = o.apply([]change{update(o.t.evaluations, []any{id}, []string{"approvals"}, maturityApprovalsJSON(e.Approvals))},
			maturityApproval(id, a.By, len(e.Approvals)))
		return e, err
	})
}

// maturityApprovalJSON is one approval in the approvals column of
// evaluations and of the maturity state: a JSON array of {"by", "at",
// "envelope"}.
type maturityApprovalJSON struct {
	By       string        `json:"by"`
	At       string        `json:"at"`
	Envelope dsse.Envelope `json:"envelope"`
}

func maturityApprovalsJSON(as []maturity.Approval) string {
	out := make([]maturityApprovalJSON, len(as))
	for i, a := range as {
		out[i] = maturityApprovalJSON{By: a.By, At: a.At.UTC().Format(progressTime), Envelope: a.Envelope}
	}
	b, _ := json.Marshal(out) // strings and bytes: cannot fail
	return string(b)
}

func decodeMaturityApprovals(s string) ([]maturity.Approval, error) {
	var js []maturityApprovalJSON
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, fmt.Errorf("approvals: %v", err)
	}
	if len(js) == 0 {
		return nil, nil
	}
	out := make([]maturity.Approval, len(js))
	for i, j := range js {
		at, err := parseProgressTime("approvals", j.At)
		if err != nil {
			return nil, err
		}
		out[i] = maturity.Approval{By: j.By, At: at, Envelope: j.Envelope}
	}
	return out, nil
}

// evaluations reads the evaluations q selects, then the criteria of all of
// them in one query. Criteria never change, so this needs no snapshot.
func (o *op) evaluations(q *driver.Query) ([]maturity.Evaluation, error) {
	es := []maturity.Evaluation{}
	index := map[uuid.UUID]int{}
	err := o.query(q, func(row []any) error {
		e, err := decodeEvaluation(o.t.evaluations, row)
		index[e.ID] = len(es)
		es = append(es, e)
		return err
	})
	if err != nil || len(es) == 0 {
		return es, err
	}
	ids := make([]any, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	err = o.query(&driver.Query{Table: o.t.criteria, Where: []driver.Cond{driver.Where("evaluation_id", driver.In, ids)},
		Order: []driver.Order{{Column: "evaluation_id"}, {Column: "position"}}}, func(row []any) error {
		r := newReader(o.t.criteria, row)
		id, position := r.uuid(), r.int()
		c := maturity.Criterion{Name: maturity.CriterionName(r.text()), AtLeast: r.bool(), Required: r.decimal(),
			Unlimited: r.bool(), Actual: r.decimal(), Passed: r.bool()}
		if err := r.done(); err != nil {
			return err
		}
		i, ok := index[id]
		if !ok || position != int64(len(es[i].Criteria)) {
			return rowErr(o.t.criteria, fmt.Errorf("criterion %d of evaluation %s is out of place", position, id))
		}
		es[i].Criteria = append(es[i].Criteria, c)
		return nil
	})
	return es, err
}

// targets reports whether an evaluation of kind at level may target
// target: a progression one level up, a regression one down, a hold where
// it is.
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

// MaxEvaluationPage is the largest limit ListEvaluations accepts.
const MaxEvaluationPage = 1000

// CreateEvaluation stores an evaluation with its criteria, its times at
// the store's precision and CreatedAt defaulting to the store's clock. The
// id must be set and unused ([trustgate.Invalid], [ErrConflict]); the kind
// must be known and its levels valid and consistent with it (a progression
// one level up, a regression one down, a hold where it is), and the
// evaluation undecided: ApplyTransition records decisions
// ([trustgate.Invalid] otherwise).
func (h *ops) CreateEvaluation(ctx context.Context, e maturity.Evaluation) error {
	switch {
	case e.ID == uuid.Nil:
		return invalid("id", "store: an evaluation needs an id")
	case e.Kind != maturity.Progression && e.Kind != maturity.Regression && e.Kind != maturity.Hold:
		return invalid("kind", "store: evaluation %s: %q is not a kind of evaluation", e.ID, e.Kind)
	case !e.Level.Valid() || !e.Target.Valid() || !targets(e.Kind, e.Level, e.Target):
		return invalid("target", "store: evaluation %s: a %s cannot judge level %d towards %d", e.ID, e.Kind, e.Level, e.Target)
	case e.Decision != (maturity.Decision{}):
		return invalid("decision", "store: evaluation %s: an evaluation is stored undecided; ApplyTransition records the decision", e.ID)
	}
	return write0(ctx, h, func(o *op) error {
		e.PeriodFrom, e.PeriodTo, e.CreatedAt = o.norm(e.PeriodFrom), o.norm(e.PeriodTo), o.norm(e.CreatedAt)
		if e.CreatedAt.IsZero() {
			e.CreatedAt = o.clock()
		}
		_, err := o.apply(o.t.evaluationChanges(&e))
		return err
	})
}

// evaluation reads one evaluation.
func (o *op) evaluation(id uuid.UUID) (maturity.Evaluation, bool, error) {
	es, err := o.evaluations(&driver.Query{Table: o.t.evaluations, Where: []driver.Cond{driver.Where("id", driver.Eq, id)}})
	if err != nil || len(es) == 0 {
		return maturity.Evaluation{}, false, err
	}
	return es[0], true, nil
}

// Evaluation returns the evaluation with the given id, or [ErrNotFound].
func (h *ops) Evaluation(ctx context.Context, id uuid.UUID) (maturity.Evaluation, error) {
	return read(ctx, h, func(o *op) (maturity.Evaluation, error) {
		e, ok, err := o.evaluation(id)
		if err == nil && !ok {
			err = notFound("evaluation %s", id)
		}
		return e, err
	})
}

// ListEvaluations returns up to limit evaluations, newest first (by
// creation time, then id). A limit outside [1, MaxEvaluationPage] is
// [trustgate.Invalid].
func (h *ops) ListEvaluations(ctx context.Context, limit int) ([]maturity.Evaluation, error) {
	if limit <= 0 || limit > MaxEvaluationPage {
		return nil, invalid("limit", "store: evaluation page limit %d is outside [1, %d]", limit, MaxEvaluationPage)
	}
	return read(ctx, h, func(o *op) ([]maturity.Evaluation, error) {
		return o.evaluations(&driver.Query{Table: o.t.evaluations,
			Order: []driver.Order{{Column: "created_at", Desc: true}, {Column: "id", Desc: true}}, Limit: limit})
	})
}
