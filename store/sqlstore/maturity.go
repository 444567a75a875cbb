package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/buildworksai/trustgate/maturity"
)

func (c conn) maturityState(ctx context.Context) (maturity.State, error) {
	var st maturity.State
	var level int
	err := c.queryRow(ctx, `SELECT level, since, model_version, reason FROM maturity_state WHERE id = 1`).
		Scan(&level, timeCol{&st.Since}, &st.ModelVersion, &st.Reason)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return maturity.State{}, notFound("maturity state: the store is not seeded")
	case err != nil:
		return maturity.State{}, c.s.fail(ctx, "read maturity state", err)
	}
	st.Level = maturity.Level(level)
	return st, nil
}

func (c conn) initMaturityState(ctx context.Context, st maturity.State) error {
	const op = "init maturity state"
	if !st.Level.Valid() {
		return invalid("%s: %v", op, st.Level)
	}
	ok, err := c.insertOnce(ctx, op, `INSERT INTO maturity_state (id, level, since, model_version, reason)
		VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		int(st.Level), c.s.timeArg(st.Since), st.ModelVersion, st.Reason)
	if err != nil {
		return err
	}
	if !ok {
		return conflict("%s: the maturity state is already set; it changes only through audited transitions", op)
	}
	return nil
}
