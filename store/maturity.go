package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store/driver"
)

// The installation's maturity level: one row, which only ApplyTransition
// changes once it is set.

func maturityTable() *driver.Table {
	return &driver.Table{
		Name: "maturity_state",
		Columns: []driver.Column{
			col("id", driver.Int), // always 1: the one row
			col("level", driver.Int), col("since", driver.Time), col("model_version", driver.Text), col("reason", driver.Text),
			// How it was entered, and what was signed (maturity.VerifyState).
			col("kind", driver.Text), nullCol("evaluation_id", driver.UUID), col("evaluation_hash", driver.Text),
			col("approvals", driver.Text), nullCol("attestation", driver.Text),
		},
		Key: []string{"id"},
	}
}

// stateID is the primary key of the one maturity_state row.
const stateID int64 = 1

func decodeState(t *driver.Table, row []any) (maturity.State, error) {
	r := newReader(t, row)
	r.int()
	s := maturity.State{Level: maturity.Level(r.int()), Since: r.time(), ModelVersion: r.text(), Reason: r.text(),
		Kind: maturity.Kind(r.text()), Evaluation: r.uuid(), EvaluationHash: r.digest()}
	approvals, attestation := r.text(), r.text()
	if err := r.done(); err != nil {
		return s, err
	}
	var err error
	if s.Approvals, err = decodeMaturityApprovals(approvals); err != nil {
		return s, rowErr(t, err)
	}
	if s.Attestation, err = decodeEnvelope("attestation", attestation); err != nil {
		return s, rowErr(t, err)
	}
	return s, nil
}

// stateValues returns the column values of s after the id.
func stateValues(s *maturity.State) []any {
	var evaluation any
	if s.Evaluation != uuid.Nil {
		evaluation = s.Evaluation
	}
	return []any{int64(s.Level), s.Since, s.ModelVersion, s.Reason, string(s.Kind), evaluation, s.EvaluationHash.String(),
		maturityApprovalsJSON(s.Approvals), envelopeJSON(&s.Attestation)}
}

// stateColumns returns the columns stateValues gives.
func stateColumns() []string {
	return []string{"level", "since", "model_version", "reason", "kind", "evaluation_id", "evaluation_hash",
		"approvals", "attestation"}
}

// state reads the current state, and whether there is one.
func (o *op) state() (maturity.State, bool, error) {
	row, ok, err := o.byKey(o.t.maturity, "id", stateID)
	if err != nil || !ok {
		return maturity.State{}, false, err
	}
	s, err := decodeState(o.t.maturity, row)
	return s, err == nil, err
}

// MaturityState returns the current state, or [ErrNotFound] before the
// store is seeded.
func (h *ops) MaturityState(ctx context.Context) (maturity.State, error) {
	return read(ctx, h, func(o *op) (maturity.State, error) {
		s, ok, err := o.state()
		if err == nil && !ok {
			err = notFound("no maturity state: the store is not seeded")
		}
		return s, err
	})
}

// InitMaturityState sets the first state, Since stored at the store's
// precision; [ErrConflict] if there is one already (a level changes only
// through the maturity engine's audited transitions). The level must be
// valid ([trustgate.Invalid]).
//
// [Seed] calls it with level 0, signed, when no state exists, and leaves a
// state set before it alone. The state must carry the service key's
// signature ([maturity.State.Sign]) for the workflow and the engine to
// believe it, and only the baseline verifies without a transition
// ([maturity.VerifyState]): a first state above level 0 makes every
// submission fail closed. To reach level N, walk the ladder with the CAB's
// approvals ([maturity.Engine.Approve]); [maturity.Definition.Model] builds
// a level's model for tests and simulations.
func (h *ops) InitMaturityState(ctx context.Context, s maturity.State) error {
	if !s.Level.Valid() {
		return invalid("level", "store: %v is not a maturity level", s.Level)
	}
	return write0(ctx, h, func(o *op) error {
		s.Since = o.norm(s.Since)
		_, err := o.apply([]change{insertNew(o.t.maturity, append([]any{stateID}, stateValues(&s)...),
			"the maturity state is set; levels change only through audited transitions")})
		return err
	})
}
