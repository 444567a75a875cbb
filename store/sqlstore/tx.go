package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/buildworksai/trustgate/store/driver"
)

// tx is a transaction: a *sql.Tx for a write one, the read pool itself for
// a read-only one.
type tx struct {
	d     *Driver
	ctx   context.Context // the transaction's, from Begin
	q     querier
	sqlTx *sql.Tx // nil for a read-only transaction
	write bool
	done  bool
}

var (
	_ driver.Tx              = (*tx)(nil)
	_ driver.IncidentCounter = (*tx)(nil)
)

// begin checks that the transaction can still be used: it has not ended,
// and its context is not done. The context is checked here, not left to
// database/sql, which rolls a transaction back when its context is done but
// does so from a goroutine of its own: until then a statement given
// another context would still run.
func (t *tx) begin(write bool) error {
	ctxErr := t.ctx.Err()
	switch {
	case t.done && ctxErr != nil:
		return fmt.Errorf("sqlstore: %w (%w)", driver.ErrTxDone, ctxErr)
	case t.done:
		return driver.ErrTxDone
	case ctxErr != nil:
		return fmt.Errorf("sqlstore: transaction: %w", ctxErr)
	case write && !t.write:
		return driver.ErrReadOnly
	}
	return nil
}

// fail is [Driver.fail] for a statement of the transaction, given ctx: the
// transaction's context, once done, is the cause of any error.
func (t *tx) fail(ctx context.Context, op string, err error) error {
	if t.ctx.Err() != nil {
		ctx = t.ctx
	}
	return t.d.fail(ctx, op, err)
}

// Insert implements [driver.Tx] with INSERT … ON CONFLICT DO NOTHING: a row
// that would duplicate a primary or unique key inserts nothing, which is
// how a conflict is told apart from other errors in both dialects without
// reading a driver's error codes.
func (t *tx) Insert(ctx context.Context, tb *driver.Table, row []any) error {
	if err := t.begin(true); err != nil {
		return err
	}
	if len(row) != len(tb.Columns) {
		return fmt.Errorf("sqlstore: insert into %s: %d values for %d columns", tb.Name, len(row), len(tb.Columns))
	}
	args := make([]any, len(row))
	for i, v := range row {
		args[i] = t.d.arg(v)
	}
	res, err := t.exec(ctx, t.d.insertSQL(tb), args)
	if err != nil {
		return t.fail(ctx, "insert into "+tb.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(ctx, "insert into "+tb.Name, err)
	}
	if n != 1 {
		return fmt.Errorf("sqlstore: insert into %s: %w", tb.Name, driver.ErrConflict)
	}
	return nil
}

// Update implements [driver.Tx].
func (t *tx) Update(ctx context.Context, tb *driver.Table, key []any, columns []string, values []any) error {
	if err := t.begin(true); err != nil {
		return err
	}
	if len(columns) != len(values) || len(key) != len(tb.Key) {
		return fmt.Errorf("sqlstore: update %s: %d columns, %d values, %d key values for %d key columns",
			tb.Name, len(columns), len(values), len(key), len(tb.Key))
	}
	query, err := t.d.updateSQL(tb, columns)
	if err != nil {
		return err
	}
	args := make([]any, 0, len(values)+len(key))
	for _, v := range append(values[:len(values):len(values)], key...) {
		args = append(args, t.d.arg(v))
	}
	res, err := t.exec(ctx, query, args)
	if err != nil {
		return t.fail(ctx, "update "+tb.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(ctx, "update "+tb.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: update %s: %w: key %v", tb.Name, driver.ErrNotFound, key)
	}
	return nil
}

// Query implements [driver.Tx].
func (t *tx) Query(ctx context.Context, q *driver.Query, fn func(row []any) error) error {
	if err := t.begin(false); err != nil {
		return err
	}
	query, args, err := t.d.selectSQL(q)
	if err != nil {
		return err
	}
	rows, done, err := t.query(ctx, query, args, !hasIn(q))
	if err != nil {
		return t.fail(ctx, "query "+q.Table.Name, err)
	}
	defer done()
	defer func() { _ = rows.Close() }()
	cells := make([]cell, len(q.Table.Columns))
	if q.Columns != nil {
		cells = make([]cell, len(q.Columns))
	}
	dest := make([]any, len(cells))
	for i := range cells {
		c := i
		if q.Columns != nil {
			c = q.Table.Column(q.Columns[i]) // checked by selectSQL
		}
		cells[i].typ = q.Table.Columns[c].Type
		dest[i] = &cells[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return t.fail(ctx, "query "+q.Table.Name, err)
		}
		row := make([]any, len(cells))
		for i := range cells {
			row[i] = cells[i].v
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return t.fail(ctx, "query "+q.Table.Name, err)
	}
	return nil
}

// Commit implements [driver.Tx]. A transaction whose context is done
// commits nothing: it is rolled back, and Commit returns the context's
// error.
func (t *tx) Commit() error {
	if err := t.begin(false); err != nil {
		if !t.done {
			_ = t.Rollback()
		}
		return err
	}
	t.done = true
	if t.sqlTx == nil {
		return nil
	}
	if err := t.sqlTx.Commit(); err != nil {
		return t.fail(context.Background(), "commit", err)
	}
	return nil
}

// Rollback implements [driver.Tx].
func (t *tx) Rollback() error {
	if t.done {
		return t.begin(false) // ErrTxDone
	}
	t.done = true
	if t.sqlTx == nil {
		return nil
	}
	if err := t.sqlTx.Rollback(); err != nil {
		return t.fail(context.Background(), "rollback", err)
	}
	return nil
}

// exec runs a statement of the transaction, prepared once per pool.
func (t *tx) exec(ctx context.Context, query string, args []any) (sql.Result, error) {
	s, done, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	defer done()
	if s == nil {
		return t.q.ExecContext(ctx, query, args...)
	}
	return s.ExecContext(ctx, args...)
}

// query runs a query of the transaction, prepared once per pool when
// prepare is set; done releases what it holds, after the rows are closed.
func (t *tx) query(ctx context.Context, query string, args []any, prepare bool) (*sql.Rows, func(), error) {
	if !prepare {
		rows, err := t.q.QueryContext(ctx, query, args...)
		return rows, func() {}, err
	}
	s, done, err := t.stmt(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		rows, err := t.q.QueryContext(ctx, query, args...)
		return rows, done, err
	}
	rows, err := s.QueryContext(ctx, args...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return rows, done, nil
}

// hasIn reports whether q has an IN list: its text then depends on the
// list's length, so it is not worth keeping prepared.
func hasIn(q *driver.Query) bool {
	for _, c := range q.Where {
		if c.Op == driver.In {
			return true
		}
	}
	return false
}
