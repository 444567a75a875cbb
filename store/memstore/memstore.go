package memstore

import (
	"context"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/buildworksai/trustgate/store/driver"
)

// Options configures a [Driver]. The zero value means the defaults.
type Options struct {
	// TimePrecision is the precision the driver declares
	// ([driver.TimePrecisioner]); the store rounds times to it. Default:
	// one microsecond, what the SQL drivers keep, so that a program reads
	// back the same values whichever it runs on.
	TimePrecision time.Duration
}

// Driver is an in-memory [driver.Driver]. Create it with [New]; it is safe
// for concurrent use by many goroutines.
type Driver struct {
	precision time.Duration
	// writer holds a token while a write transaction is open: write
	// transactions are serialised by taking it, with a context.
	writer chan struct{}
	// db is the committed state. A snapshot is never changed: a commit
	// publishes a new one.
	db atomic.Pointer[snapshot]
}

var (
	_ driver.Driver          = (*Driver)(nil)
	_ driver.TimePrecisioner = (*Driver)(nil)
)

// New returns an empty in-memory database.
func New(opts Options) *Driver {
	d := &Driver{precision: opts.TimePrecision, writer: make(chan struct{}, 1)}
	if d.precision <= 0 {
		d.precision = time.Microsecond
	}
	d.db.Store(&snapshot{tables: map[string]*table{}})
	return d
}

// TimePrecision implements [driver.TimePrecisioner].
func (d *Driver) TimePrecision() time.Duration { return d.precision }

// snapshot is the committed state: every table by name. It is immutable.
type snapshot struct {
	tables map[string]*table
}

// table is one table's rows and unique keys, immutable like the snapshot
// that holds it.
type table struct {
	def     *driver.Table
	keyCols []int   // positions of the primary key's columns
	uniques [][]int // positions of each unique key's columns
	rows    *omap   // primary key → row
	unique  []*omap // unique key → primary key, one per def.Unique
}

// newTable returns an empty table for def, checking that def names columns
// that exist.
func newTable(def *driver.Table) (*table, error) {
	t := &table{def: def, rows: &omap{}}
	cols := func(names []string) ([]int, error) {
		if len(names) == 0 {
			return nil, fmt.Errorf("memstore: table %s: a key needs a column", def.Name)
		}
		out := make([]int, len(names))
		for i, n := range names {
			if out[i] = def.Column(n); out[i] < 0 {
				return nil, fmt.Errorf("memstore: table %s has no column %s", def.Name, n)
			}
		}
		return out, nil
	}
	var err error
	if t.keyCols, err = cols(def.Key); err != nil {
		return nil, err
	}
	for _, u := range def.Unique {
		c, err := cols(u)
		if err != nil {
			return nil, err
		}
		t.uniques = append(t.uniques, c)
		t.unique = append(t.unique, &omap{})
	}
	return t, nil
}

// project returns the values of row at cols.
func project(row []any, cols []int) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = row[c]
	}
	return out
}

// Begin implements [driver.Driver]. A write transaction waits for the
// token that the open write transaction holds, or for ctx; a read-only one
// reads the snapshot committed when it began, so it sees one consistent
// state however long it runs.
func (d *Driver) Begin(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: begin: %w", err)
	}
	if !opts.Write {
		return &tx{d: d, base: d.db.Load()}, nil
	}
	select {
	case d.writer <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("memstore: begin: %w", ctx.Err())
	}
	return &tx{d: d, write: true, base: d.db.Load(), work: map[string]*table{}}, nil
}

// tx is a transaction. A write transaction keeps the tables it changed in
// work, new versions that share what they did not change with base; commit
// publishes them in a new snapshot, rollback drops them. Nothing committed
// is ever touched, so a failed or abandoned transaction leaves no trace by
// construction.
type tx struct {
	d     *Driver
	write bool
	base  *snapshot
	work  map[string]*table
	done  bool
}

// begin checks that the transaction can still be used.
func (t *tx) begin(ctx context.Context) error {
	if t.done {
		return driver.ErrTxDone
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}

// table returns the current version of def's table, and whether it exists.
func (t *tx) table(def *driver.Table) *table {
	if tb, ok := t.work[def.Name]; ok {
		return tb
	}
	return t.base.tables[def.Name]
}

// mutable returns the transaction's own version of def's table, creating
// the table if it does not exist yet.
func (t *tx) mutable(def *driver.Table) (*table, error) {
	if tb, ok := t.work[def.Name]; ok {
		return tb, nil
	}
	var tb *table
	if old, ok := t.base.tables[def.Name]; ok {
		c := *old
		c.unique = append([]*omap(nil), old.unique...)
		tb = &c
	} else {
		var err error
		if tb, err = newTable(def); err != nil {
			return nil, err
		}
	}
	t.work[def.Name] = tb
	return tb, nil
}

// Insert implements [driver.Tx].
func (t *tx) Insert(ctx context.Context, def *driver.Table, row []any) error {
	if err := t.begin(ctx); err != nil {
		return err
	}
	if !t.write {
		return driver.ErrReadOnly
	}
	if len(row) != len(def.Columns) {
		return fmt.Errorf("memstore: insert into %s: %d values for %d columns", def.Name, len(row), len(def.Columns))
	}
	for i := range def.Columns {
		if err := checkValue(&def.Columns[i], row[i]); err != nil {
			return err
		}
	}
	tb, err := t.mutable(def)
	if err != nil {
		return err
	}
	row = copyRow(row)
	key := project(row, tb.keyCols)
	if _, ok := tb.rows.get(key); ok {
		return fmt.Errorf("memstore: insert into %s: %w: primary key %v", def.Name, driver.ErrConflict, key)
	}
	ukeys := make([][]any, len(tb.uniques))
	for i, cols := range tb.uniques {
		ukeys[i] = project(row, cols)
		if _, ok := tb.unique[i].get(ukeys[i]); ok {
			return fmt.Errorf("memstore: insert into %s: %w: %v", def.Name, driver.ErrConflict, def.Unique[i])
		}
	}
	tb.rows = tb.rows.set(key, row)
	for i, uk := range ukeys {
		tb.unique[i] = tb.unique[i].set(uk, key)
	}
	return nil
}

// Update implements [driver.Tx].
func (t *tx) Update(ctx context.Context, def *driver.Table, key []any, columns []string, values []any) error {
	if err := t.begin(ctx); err != nil {
		return err
	}
	if !t.write {
		return driver.ErrReadOnly
	}
	if len(columns) != len(values) {
		return fmt.Errorf("memstore: update %s: %d columns, %d values", def.Name, len(columns), len(values))
	}
	cur := t.table(def)
	if cur == nil {
		return fmt.Errorf("memstore: update %s: %w: key %v", def.Name, driver.ErrNotFound, key)
	}
	old, ok := cur.rows.get(key)
	if !ok {
		return fmt.Errorf("memstore: update %s: %w: key %v", def.Name, driver.ErrNotFound, key)
	}
	row := copyRow(old)
	for i, name := range columns {
		c := def.Column(name)
		switch {
		case c < 0:
			return fmt.Errorf("memstore: update %s: no column %s", def.Name, name)
		case keyColumn(cur, c):
			return fmt.Errorf("memstore: update %s: column %s is part of a key", def.Name, name)
		}
		if err := checkValue(&def.Columns[c], values[i]); err != nil {
			return err
		}
		row[c] = values[i]
	}
	tb, err := t.mutable(def)
	if err != nil {
		return err
	}
	tb.rows = tb.rows.set(project(row, tb.keyCols), copyRow(row))
	return nil
}

// keyColumn reports whether column c belongs to the primary or a unique key.
func keyColumn(tb *table, c int) bool {
	for _, cols := range append([][]int{tb.keyCols}, tb.uniques...) {
		for _, k := range cols {
			if k == c {
				return true
			}
		}
	}
	return false
}

// Commit implements [driver.Tx]: it publishes the transaction's tables in
// a new snapshot. Write transactions are serialised, so the snapshot they
// began from is still the latest.
func (t *tx) Commit() error {
	if t.done {
		return driver.ErrTxDone
	}
	t.done = true
	if !t.write {
		return nil
	}
	if len(t.work) > 0 {
		tables := maps.Clone(t.base.tables)
		maps.Copy(tables, t.work)
		t.d.db.Store(&snapshot{tables: tables})
	}
	t.work = nil
	<-t.d.writer
	return nil
}

// Rollback implements [driver.Tx].
func (t *tx) Rollback() error {
	if t.done {
		return driver.ErrTxDone
	}
	t.done = true
	if t.write {
		t.work = nil
		<-t.d.writer
	}
	return nil
}
