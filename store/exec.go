package store

import (
	"errors"
	"fmt"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store/driver"
)

// How an operation reads and writes rows. Reads go straight to the
// driver. Writes go through apply, which every write operation ends with:
// the operation first reads and checks everything and builds its rows,
// then apply builds (and so validates) its audit events on the head of the
// log, and only then writes, so that bad input never leaves half a change
// behind, inside a WithTx that goes on to commit too.

// query calls fn with every row q selects.
func (o *op) query(q *driver.Query, fn func(row []any) error) error {
	var fnErr error
	err := o.dtx.Query(o.ctx, q, func(row []any) error {
		if fnErr = fn(row); fnErr != nil {
			return fnErr
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case fnErr != nil && err == fnErr:
		return err // the caller's own error, as it is
	}
	return o.dbErr("read "+q.Table.Name, err)
}

// first returns the first row q selects, and whether there is one.
func (o *op) first(q *driver.Query) ([]any, bool, error) {
	q.Limit = 1
	var out []any
	err := o.query(q, func(row []any) error { out = row; return nil })
	return out, out != nil, err
}

// byKey returns the row of t whose column col holds v, if there is one.
func (o *op) byKey(t *driver.Table, col string, v any) ([]any, bool, error) {
	return o.first(&driver.Query{Table: t, Where: []driver.Cond{driver.Where(col, driver.Eq, v)}})
}

// change is one write of an operation: an insert of row into table, or,
// when key is set, an update of the named columns of the row with that
// primary key.
type change struct {
	table  *driver.Table
	row    []any
	key    []any
	cols   []string
	values []any
	// taken, for an insert, says what it means that its key is taken (see
	// apply).
	taken string
}

func insert(t *driver.Table, row []any) change { return change{table: t, row: row} }

// insertNew is an insert whose keys must be new: that one is taken is the
// [ErrConflict] the message describes (see apply).
func insertNew(t *driver.Table, row []any, format string, args ...any) change {
	return change{table: t, row: row, taken: fmt.Sprintf(format, args...)}
}

func update(t *driver.Table, key []any, cols []string, values ...any) change {
	return change{table: t, key: key, cols: cols, values: values}
}

// apply builds the audit events of events on the head of the log, in
// order, stamped with the store's clock, then makes the writes of changes,
// in order, then appends the events, and returns them. An invalid event
// input is the security package's error and nothing is written; an error
// of the database after that dooms the transaction (see [Store.WithTx]),
// except one: when the first change is an insertNew whose key is taken, the
// driver has written nothing (its contract says so) and neither has apply,
// so that is a plain [ErrConflict] and the transaction goes on. Operations
// that create a record with a new key rely on it rather than reading first.
func (o *op) apply(changes []change, events ...security.EventInput) ([]security.Event, error) {
	var built []security.Event
	var leaves [][]any
	var tree *auditlog.Tree
	if len(events) > 0 {
		head, err := o.head()
		if err != nil {
			return nil, err
		}
		now := o.clock()
		built = make([]security.Event, len(events))
		for i, in := range events {
			e, err := security.NewEvent(head, in, o.newID(), now)
			if err != nil {
				return nil, err
			}
			built[i], head = e, security.Head{Size: e.Seq, Hash: e.Hash}
		}
		if tree, err = o.treeAt(security.Head{Size: built[0].Seq - 1, Hash: built[0].PrevHash}, true); err != nil {
			return nil, err
		}
		leaves = make([][]any, len(built))
		var buf [1024]byte
		for i := range built {
			c, err := built[i].AppendCanonical(buf[:0])
			if err != nil {
				return nil, err
			}
			hashes, err := tree.Append(c)
			if err != nil {
				return nil, err
			}
			leaves[i] = treeRow(built[i].Seq, hashes)
		}
	}
	for i, c := range changes {
		var err error
		if c.key == nil {
			err = o.dtx.Insert(o.ctx, c.table, c.row)
		} else {
			err = o.dtx.Update(o.ctx, c.table, c.key, c.cols, c.values)
		}
		switch {
		case err == nil:
		case i == 0 && c.taken != "" && errors.Is(err, driver.ErrConflict):
			return nil, &takenError{msg: c.taken}
		default:
			return nil, o.dbErr("write "+c.table.Name, err)
		}
	}
	for i, e := range built {
		if err := o.dtx.Insert(o.ctx, o.t.tree, leaves[i]); err != nil {
			return nil, o.dbErr("append audit tree", err)
		}
		if err := o.dtx.Insert(o.ctx, o.t.events, eventRow(e)); err != nil {
			return nil, o.dbErr("append audit event", err)
		}
	}
	if tree != nil {
		last := built[len(built)-1]
		o.tree.put(security.Head{Size: last.Seq, Hash: last.Hash}, tree)
	}
	return built, nil
}

// takenError is what apply returns when the key of its first change, an
// insertNew, is taken: an [ErrConflict] after which nothing is written and
// the transaction goes on. A create that is idempotent on a unique key
// inserts first and looks for what it collided with only then, so that the
// common case, a new record, reads nothing.
type takenError struct{ msg string }

func (e *takenError) Error() string { return "store: " + e.msg + ": " + ErrConflict.Message }

// Unwrap returns [ErrConflict].
func (e *takenError) Unwrap() error { return ErrConflict }

// taken reports whether err is apply's takenError.
func taken(err error) bool {
	var t *takenError
	return errors.As(err, &t)
}
