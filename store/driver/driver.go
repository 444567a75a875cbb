package driver

import (
	"context"
	"errors"
	"time"

	"github.com/buildworksai/trustgate/incident"
)

// Driver opens transactions on one database. A driver is safe for
// concurrent use by many goroutines.
type Driver interface {
	// Begin starts a transaction.
	//
	// A write transaction (opts.Write) is serialised with every other write
	// transaction on the same database, in this process and in any other
	// sharing the database: when Begin returns, no other write transaction
	// is open, the transaction sees everything committed before, and no
	// other write commits until it ends. This is the one guarantee the store
	// builds its rules on (an idempotency check followed by an insert, the
	// head of the audit chain followed by an append, "exactly one active
	// model"), so a driver must give it exactly. Begin waits for the
	// running write transaction to end, or for ctx.
	//
	// A read-only transaction sees only committed data in each Query; it
	// need not see one snapshot across several (the store never relies on
	// it), and Insert and Update on it fail.
	//
	// The context is the transaction's: once it is done the driver may
	// roll the transaction back, and every later call returns an error
	// that matches ctx.Err() with errors.Is.
	Begin(ctx context.Context, opts TxOptions) (Tx, error)
}

// TxOptions says what a transaction is for. The zero value is a read-only
// transaction.
type TxOptions struct {
	// Write makes the transaction a serialised read-write one.
	Write bool
}

// Tx is one transaction. It is used by one goroutine at a time. After
// Commit or Rollback every method returns an error matching [ErrTxDone];
// a Rollback after Commit is harmless.
//
// Values cross the interface as the Go types of their columns' [Type]:
// string, int64, bool, []byte, decimal.Decimal, time.Time or uuid.UUID,
// and nil for NULL. A driver owns nothing it is given and hands out
// nothing it keeps: it copies byte slices both ways.
type Tx interface {
	// Insert adds row, one value per column of t in t's order. A row with
	// the same primary key or the same value of any of t's unique keys is
	// an error matching [ErrConflict], and nothing is written.
	Insert(ctx context.Context, t *Table, row []any) error

	// Update sets the named columns of the row whose primary key is key (one
	// value per key column, in t.Key's order) to values. No such row is an
	// error matching [ErrNotFound]. The store never updates key or unique
	// columns.
	Update(ctx context.Context, t *Table, key []any, columns []string, values []any) error

	// Query calls fn with each row q selects, in q's order, each a new
	// slice with one value per column q names (every column of q.Table when
	// it names none); fn owns it. An error from fn stops the query and is
	// returned as it is.
	Query(ctx context.Context, q *Query, fn func(row []any) error) error

	// Commit makes the transaction's writes visible to others, atomically.
	Commit() error

	// Rollback discards the transaction's writes.
	Rollback() error
}

// The errors drivers return for the situations the store must tell apart.
// Drivers wrap them with detail; the store matches them with errors.Is. Any
// other error from a driver is, to the store, a failure of the database.
var (
	// ErrConflict: an Insert would duplicate a primary or unique key.
	ErrConflict = errors.New("driver: duplicate key")
	// ErrNotFound: an Update names no row.
	ErrNotFound = errors.New("driver: no such row")
	// ErrTxDone: the transaction has already committed or rolled back.
	ErrTxDone = errors.New("driver: transaction has already finished")
	// ErrReadOnly: a write in a read-only transaction.
	ErrReadOnly = errors.New("driver: write in a read-only transaction")
)

// TimePrecisioner is implemented by drivers whose databases keep times
// more coarsely than Go does. The store rounds every time it writes to the
// precision, and compares range bounds as though it held them exactly, so
// that a value reads back equal to what was written and a period finer than
// the precision counts what it should. A driver that does not implement it
// is taken to keep microseconds, as PostgreSQL does. The precision must be
// a whole number of microseconds dividing one millisecond (signed records
// write times at milliseconds, so a store keeps at least that); finer is
// kept as one microsecond, which is what the audit log's hashed form
// holds.
type TimePrecisioner interface {
	TimePrecision() time.Duration
}

// IncidentCounter is implemented by a [Tx] that can count the calibration
// aggregates from the rows of the deployments and incidents tables in the
// database, faster than the store's own count of those rows (a single SQL
// statement over covering indexes, say). The store's RecountIncidents,
// what the maturity engine judges on, uses it: it must read the records
// themselves, never an aggregate kept beside them, and its results must
// equal the store's count exactly (the conformance suite compares the two
// on random data). from and to are already rounded as the store rounds
// range bounds, and a period with from ≥ to counts nothing.
type IncidentCounter interface {
	IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error)
}
