// Package sqlstore is the [store.Store] adapter over database/sql, for
// SQLite (the embedded default) and PostgreSQL (for many processes sharing
// one database).
//
// The package imports no SQL driver: the caller opens a *sql.DB with the
// driver of their choice and passes it to [New] with its [Dialect], so a
// program that uses PostgreSQL does not compile SQLite, nor the other way
// round. The subpackage [github.com/buildworksai/trustgate/store/sqlstore/sqlite]
// does all of it for a SQLite file.
//
// # Opening a store
//
// SQLite, through the sqlite subpackage (the cgo-free driver
// github.com/ncruces/go-sqlite3), which opens a one-connection writer pool
// and a read-only pool with the right pragmas, and migrates:
//
//	db, err := sqlite.Open(ctx, "/var/lib/trustgate/trustgate.db", sqlstore.Options{})
//	if err != nil { … }
//	defer db.Close()
//	// db is a *sqlite.DB, which embeds *sqlstore.Store: a store.Store.
//
// PostgreSQL, through pgx's database/sql driver:
//
//	import _ "github.com/jackc/pgx/v5/stdlib"
//
//	pool, err := sql.Open("pgx", "postgres://trustgate@db.internal/trustgate")
//	if err != nil { … }
//	defer pool.Close()
//	s, err := sqlstore.New(pool, sqlstore.PostgreSQL, sqlstore.Options{})
//	if err != nil { … }
//	if err := s.Migrate(ctx); err != nil { … }
//
// The schema lives in the first schema of the connections' search_path, so
// several installations can share a database, one schema each.
//
// # Migrations
//
// The schema is a numbered series of SQL files per dialect, embedded in the
// package ([Migrations] lists them). [Store.Migrate] applies the ones not
// yet recorded in the schema_migrations table, each in its own transaction
// with its record. It runs only when called: making a store runs no SQL.
// Concurrent starters are safe: on PostgreSQL they queue on an advisory lock,
// on SQLite on the database's write lock.
//
// # Concurrency
//
// Write transactions are serialised by the database, across goroutines and
// processes alike: on PostgreSQL every write transaction begins by taking a
// transaction-scoped advisory lock (pg_advisory_xact_lock); on SQLite the
// writer pool's transactions begin IMMEDIATE, taking the write lock at
// BEGIN. Inside one, a check followed by a write cannot race, which is what
// keeps the audit chain from forking and exactly one risk model version
// active. Reads outside a transaction do not wait for writers: they go to
// [Options.ReadDB] when set (the sqlite subpackage sets it), else to the
// writer pool. A pool passed to [New] for SQLite must begin its
// transactions IMMEDIATE (_txlock=immediate, the ncruces driver's default)
// and should have one connection and a busy timeout; see the sqlite
// subpackage's DSN.
//
// # Records
//
// Decimals are stored exactly: numeric in PostgreSQL, the decimal's text in
// SQLite; nothing goes through a float. Times are stored in UTC truncated to
// microseconds (timestamptz; in SQLite, fixed-width text that sorts as time
// does), so every time reads back equal to what was written. Checkpoints
// keep their signing time to the nanosecond, because their signature covers
// it. Audit event data is kept as the canonical bytes its hash covers, and
// evidence as the exact bytes uploaded.
//
// The database enforces the rules it can on its own, against any client:
// one active version at most (a partial unique index), approval before
// activation (a check), and, through triggers, that audit events,
// checkpoints, evidence and deployment records are never changed or
// deleted, that each new audit event follows the head of the chain, that a
// risk model version changes only in its approval (once) and activation,
// that an incident changes only in its resolution fields, that a maturity
// evaluation changes only in its decision (once), that a CAB request changes
// only in its status, approvals, rejection and exception and is never
// deleted, and that the maturity level moves one step at a time.
//
// # Outcomes
//
// Deployments, incidents and maturity evaluations live in their own tables
// (migration 0003). A deployment stores its risk-score band beside the
// score, so that the calibration aggregates group by an indexed integer. An
// incident report is idempotent on its correlation id through a SHA-256
// fingerprint of the report as submitted. [Store.ApplyTransition] checks the
// stored evaluation and the current level and makes every write of a level
// change (the new risk model created and activated, the level, the
// decision, the audit event) inside one savepoint of one serialised write
// transaction.
//
// [Store.IncidentCounts] is a single statement, so it reads one snapshot: it
// counts the period's deployments with one index-only probe per class and
// band of the index (class, risk_band, finished_at), an equality-prefixed
// range that needs no sort whatever the planner's statistics say, and the
// period's incidents from a range of (occurred_at, …), joined once to their
// deployments. Its cost grows with the rows in the period, not with the
// history: see bench_test.go for the figures.
//
// # Requests
//
// CAB requests live in cab_requests (migration 0004), one row each: the
// submission in columns of their own (the decision's reason as its code,
// whose text is [cab.ReasonCode.Text]; decimals exact), and the approvals,
// rejection and exception as JSON text, with times in the fixed-width UTC
// layout above. A request is idempotent on its correlation id through its
// submission hash. [Store.UpdateRequest] reads the request, calls its
// function and writes the result and the audit event inside one serialised
// write transaction, so concurrent approvals of one request are applied one
// after the other and none is lost; the event is built, and so validated,
// before anything is written, so a refused or malformed update writes
// nothing, inside [Store.WithTx] too. [Store.ListRequests] walks the index
// (created_at, id) from its cursor. Requests behave exactly as the in-memory
// adapter's (requests_test.go runs one scenario on both and compares every
// result), except that a request without approvals reads back with nil
// approvals, never an empty slice.
//
// # Errors
//
// Methods return the portable errors of package store (match them with
// errors.Is) and the domain packages' typed errors. An unexpected database
// error comes back as an error whose message carries the driver's but which
// wraps no driver error or type; a cancelled context comes back wrapping
// ctx.Err().
package sqlstore
