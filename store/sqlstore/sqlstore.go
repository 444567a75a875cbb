package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// Dialect names the SQL database behind a [Store]. The zero value is not a
// dialect.
type Dialect int

// The supported dialects.
const (
	// SQLite is SQLite 3.37 or later (STRICT tables), for example through
	// github.com/ncruces/go-sqlite3; see the sqlite subpackage.
	SQLite Dialect = iota + 1
	// PostgreSQL is PostgreSQL 13 or later, for example through
	// github.com/jackc/pgx/v5/stdlib.
	PostgreSQL
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgresql"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Advisory lock keys (PostgreSQL): one serialises write transactions, the
// other migrations. Both are fixed, so stores in different schemas of one
// database share them; they then serialise each other's writes, which is
// correct, only not as concurrent as it could be.
const (
	writeLockKey   int64 = 0x74677374_77726974 // "tgst" "writ"
	migrateLockKey int64 = 0x74677374_6d696772 // "tgst" "migr"
)

// Options configures a [Store]. The zero value means the documented defaults.
type Options struct {
	// ReadDB, when set, is a separate pool for reads outside transactions,
	// such as a SQLite pool opened read-only beside a one-connection writer
	// pool. It must read the same database as the writer pool, with no
	// replication delay. Default: the pool passed to [New].
	ReadDB *sql.DB
	// Now is the store's clock. Default: time.Now.
	Now func() time.Time
	// NewID returns the id of each new audit event. Default: uuid.NewV7.
	NewID func() uuid.UUID
	// Logger receives the store's few log records (migrations applied).
	// Default: a logger that discards everything; the store never logs
	// through slog.Default.
	Logger *slog.Logger
}

// Store is a [store.Store] over a database/sql pool. Create it with [New]
// and create its schema with [Store.Migrate]. It is safe for concurrent use
// by many goroutines, and by many processes sharing one database.
//
// A Store has no Close method: it closes nothing, because the pools it uses
// belong to the caller.
type Store struct {
	db      *sql.DB // writes, and reads when rdb is db
	rdb     *sql.DB // reads outside transactions
	dialect Dialect
	now     func() time.Time
	newID   func() uuid.UUID
	log     *slog.Logger
}

var _ store.Store = (*Store)(nil)

// New returns a store over db, a pool of the given dialect that the caller
// opened and will close. It runs no SQL: call [Store.Migrate] to create or
// upgrade the schema.
//
// Write transactions must be serialised by the database. On PostgreSQL the
// store does it itself with an advisory lock. On SQLite, db must start its
// transactions with BEGIN IMMEDIATE (the ncruces driver's default, or
// _txlock=immediate in the DSN) and should hold a single connection, with a
// busy timeout set in the DSN; the sqlite subpackage opens pools that way.
func New(db *sql.DB, dialect Dialect, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: New: db is nil")
	}
	if dialect != SQLite && dialect != PostgreSQL {
		return nil, fmt.Errorf("sqlstore: New: unknown dialect %v", dialect)
	}
	s := &Store{db: db, rdb: opts.ReadDB, dialect: dialect, now: opts.Now, newID: opts.NewID, log: opts.Logger}
	if s.rdb == nil {
		s.rdb = db
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s, nil
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// eventID returns the id of a new audit event.
func (s *Store) eventID() (uuid.UUID, error) {
	if s.newID != nil {
		return s.newID(), nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("sqlstore: new event id: %w", err)
	}
	return id, nil
}

// beginWrite starts a write transaction on the writer pool and, on
// PostgreSQL, takes the transaction-scoped advisory lock that serialises
// writers. The transaction stays READ COMMITTED there: each statement after
// the lock then sees everything committed before it was granted.
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.fail(ctx, "begin transaction", err)
	}
	if s.dialect == PostgreSQL {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey); err != nil {
			_ = tx.Rollback()
			return nil, s.fail(ctx, "lock writers", err)
		}
	}
	return tx, nil
}

// write runs fn in its own write transaction.
func (s *Store) write(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := fn(conn{s: s, q: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.fail(ctx, "commit", err)
	}
	return nil
}

// read runs fn on the read pool, outside any transaction. Reads that take
// several statements stay consistent without one because what they combine
// is immutable: a risk model's thresholds and weights are written with it
// and never change.
func (s *Store) read(fn func(c conn) error) error {
	return fn(conn{s: s, q: s.rdb})
}

// WithTx runs fn in one write transaction; see [store.Store]. The
// transaction commits if fn returns nil and rolls back if it returns an
// error (returned as it is) or panics (the panic goes on after the
// rollback). After WithTx returns, tx's methods return [store.ErrTxDone].
// Cancelling ctx aborts the transaction.
func (s *Store) WithTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	sqlTx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	t := &txn{c: conn{s: s, q: sqlTx}}
	committed := false
	defer func() {
		if !committed {
			t.finish()
			if err := sqlTx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
				s.log.WarnContext(ctx, "sqlstore: rollback failed", "err", err)
			}
		}
	}()
	if err := fn(ctx, t); err != nil {
		return err
	}
	t.finish()
	if err := sqlTx.Commit(); err != nil {
		return s.fail(ctx, "commit", err)
	}
	committed = true
	return nil
}
