package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/store/driver"
)

// Dialect names the SQL database behind a [Driver]. The zero value is not a
// dialect.
type Dialect int

// The supported dialects.
const (
	// SQLite is SQLite 3.37 or later (STRICT tables), for example through
	// github.com/ncruces/go-sqlite3; see the sqlite subpackage.
	SQLite Dialect = iota + 1
	// PostgreSQL is PostgreSQL 13 or later, for example through
	// github.com/jackc/pgx/v5/stdlib; see the postgres subpackage.
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

// Options configures a [Driver]. The zero value means the documented
// defaults.
type Options struct {
	// ReadDB, when set, is a separate pool for read-only transactions, such
	// as a SQLite pool opened read-only beside a one-connection writer pool.
	// It must read the same database as the writer pool, with no
	// replication delay. Default: the pool passed to [New].
	ReadDB *sql.DB
	// Logger receives the driver's few log records (migrations applied).
	// Default: a logger that discards everything; the driver never logs
	// through slog.Default.
	Logger *slog.Logger
}

// Driver is a [driver.Driver] over a database/sql pool. Create it with
// [New] and its schema with [Driver.Migrate]; hand it to store.New. It is
// safe for concurrent use by many goroutines, and by many processes
// sharing one database.
//
// A Driver has no Close method: it closes nothing, because the pools it
// uses belong to the caller.
type Driver struct {
	db      *sql.DB // write transactions, and reads when rdb is db
	rdb     *sql.DB // read-only transactions
	dialect Dialect
	log     *slog.Logger
	// texts caches the SQL text of each table's insert (see build.go);
	// writeStmts and readStmts the statements prepared on each pool
	// (stmts.go).
	texts                 sync.Map
	writeStmts, readStmts *stmtCache
}

var _ driver.Driver = (*Driver)(nil)

// New returns a driver over db, a pool of the given dialect that the caller
// opened and will close. It runs no SQL: call [Driver.Migrate] to create or
// upgrade the schema.
//
// Write transactions must be serialised by the database. On PostgreSQL the
// driver does it itself with an advisory lock. On SQLite, db must start its
// transactions with BEGIN IMMEDIATE (the ncruces driver's default, or
// _txlock=immediate in the DSN) and should hold a single connection, with a
// busy timeout set in the DSN; the sqlite subpackage opens pools that way.
func New(db *sql.DB, dialect Dialect, opts Options) (*Driver, error) {
	if db == nil {
		return nil, &trustgate.Error{Code: trustgate.Invalid, Field: "db", Message: "sqlstore: New: db is nil"}
	}
	if dialect != SQLite && dialect != PostgreSQL {
		return nil, &trustgate.Error{Code: trustgate.Invalid, Field: "dialect", Message: fmt.Sprintf("sqlstore: New: unknown dialect %v", dialect)}
	}
	d := &Driver{db: db, rdb: opts.ReadDB, dialect: dialect, log: opts.Logger}
	if d.rdb == nil {
		d.rdb = db
	}
	d.writeStmts, d.readStmts = newStmtCache(d.db), newStmtCache(d.rdb)
	if d.rdb == d.db {
		d.readStmts = d.writeStmts
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d, nil
}

// Dialect returns the driver's dialect.
func (d *Driver) Dialect() Dialect { return d.dialect }

// TimePrecision implements [driver.TimePrecisioner]: both dialects keep
// microseconds (PostgreSQL's timestamptz does; SQLite's fixed-width text
// does by construction).
func (d *Driver) TimePrecision() time.Duration { return time.Microsecond }

// Begin implements [driver.Driver]. A write transaction begins on the
// writer pool and, on PostgreSQL, takes the transaction-scoped advisory lock
// that serialises writers; it stays READ COMMITTED, so each statement after
// the lock sees everything committed before it was granted. On SQLite the
// writer pool's BEGIN IMMEDIATE takes the database's write lock. A
// read-only transaction runs each query on its own on the read pool,
// without BEGIN: it sees committed data, statement by statement. Either
// kind fails every call once ctx is done.
func (d *Driver) Begin(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, d.fail(ctx, "begin transaction", err)
	}
	if !opts.Write {
		return &tx{d: d, ctx: ctx, q: d.rdb}, nil
	}
	d.writeStmts.prepareWanted(ctx) // before the transaction takes a connection
	sqlTx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, d.fail(ctx, "begin transaction", err)
	}
	if d.dialect == PostgreSQL {
		if _, err := sqlTx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey); err != nil {
			_ = sqlTx.Rollback()
			return nil, d.fail(ctx, "lock writers", err)
		}
	}
	return &tx{d: d, ctx: ctx, q: sqlTx, sqlTx: sqlTx, write: true}, nil
}

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// fail translates an error from the database, in this one place: a
// context's error stays matchable with errors.Is, database/sql's finished
// transaction is driver.ErrTxDone, and anything else becomes an opaque
// error whose text carries the driver's message but which wraps no driver
// error or type.
func (d *Driver) fail(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, ctxErr)
	}
	for _, sentinel := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, sentinel) {
			return fmt.Errorf("sqlstore: %s: %w", op, sentinel)
		}
	}
	if errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("sqlstore: %s: %w", op, driver.ErrTxDone)
	}
	return fmt.Errorf("sqlstore: %s: %v", op, err)
}
