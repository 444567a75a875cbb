// Package sqlstore is the SQL [driver.Driver] of trustgate's store: one
// code base for SQLite (the embedded default) and PostgreSQL (for many
// processes sharing one database). A driver only keeps rows; every rule is
// the store's ([github.com/buildworksai/trustgate/store.Store], made with
// store.New over a driver).
//
// The package imports no SQL driver: the caller opens a *sql.DB with the
// driver of their choice and passes it to [New] with its [Dialect], so a
// program that uses PostgreSQL does not compile SQLite, nor the other way
// round. The subpackages open, configure and migrate a database for each
// dialect:
//
//	db, err := sqlite.Open(ctx, "/var/lib/trustgate/trustgate.db", sqlstore.Options{})
//	if err != nil { … }
//	s, err := store.New(db, store.Options{})
//	if err != nil { … }
//	defer s.Close() // closes db's two pools
//
//	pool, err := sql.Open("pgx", "postgres://trustgate@db.internal/trustgate") // github.com/jackc/pgx/v5/stdlib
//	if err != nil { … }
//	defer pool.Close()
//	d, err := postgres.Open(ctx, pool, sqlstore.Options{})
//	if err != nil { … }
//	s, err := store.New(d, store.Options{})
//
// A [Driver] has no Close method: the pools belong to the caller (the
// sqlite package's DB, which opened its own, closes them).
//
// # Tables and SQL
//
// The tables are the store's: store.Tables defines each one's columns,
// their types and nullability, its primary key and its unique keys, and
// the migrations create exactly those (the tests of each dialect compare
// the migrated schema with the definitions: every table and column, a
// column type that holds the store's, NOT NULL where the store's column is
// not nullable, the same primary and unique keys and no other). The driver
// builds its SQL from the same definitions and the store's
// [driver.Query]: an INSERT of a whole row, an UPDATE of named columns by
// primary key, and a SELECT of the columns a query names (every column
// when it names none) with conditions, an order, a keyset cursor written
// as a row value ((created_at, id) > (?, ?), which both dialects compare
// lexicographically and seek an index with) and a LIMIT. Table and column
// names come only from the definitions, and every value is a bound
// argument except two kinds the store alone chooses, written into the
// statement: a LIMIT and a boolean comparison (SQLite plans with the bound
// values of both, so it would re-prepare a statement each time they are
// bound). Both dialects run the same statements, whose placeholders (? and
// $1, $2, …) are the only difference; the DDL of the migrations is the
// other.
//
// On SQLite each statement is prepared once per pool and reused by every
// transaction on a connection, which takes the parser off every call; on
// PostgreSQL pgx does the same itself, so the driver does not (stmts.go).
//
// # Values
//
// PostgreSQL keeps each type natively: text, bigint (integer for the few
// columns whose values are small: levels, quorums, risk bands, positions),
// boolean, bytea, numeric, timestamptz and uuid. SQLite's tables are
// STRICT, so a column refuses a value of another type: text and bytes are
// TEXT and BLOB, integers INTEGER, booleans INTEGER 0 or 1 (checked),
// decimals their exact text, times UTC text in the fixed-width layout
// 2006-01-02T15:04:05.000000Z, which sorts as time does, and uuids their
// lower-case canonical text, which sorts as their bytes do. Nothing goes
// through a float: decimals read back exactly as written. Both dialects
// keep microseconds ([Driver.TimePrecision]), to which the store rounds
// every time it writes. Byte slices are copied both ways.
//
// # Concurrency
//
// Write transactions are serialised by the database, across goroutines and
// processes alike, which is the guarantee [driver.Driver.Begin] asks for.
// On PostgreSQL every write transaction begins by taking a
// transaction-scoped advisory lock (pg_advisory_xact_lock) and stays READ
// COMMITTED, so each statement after the lock sees everything committed
// before it was granted. On SQLite the writer pool's transactions begin
// IMMEDIATE, taking the database's write lock at BEGIN; the pool should
// hold one connection and set a busy timeout (sqlite.Open does both, and
// journal_mode=WAL).
//
// A read-only transaction has no BEGIN: each query runs on its own on the
// read pool ([Options.ReadDB], a pool of read-only connections when
// sqlite.Open makes it, else the writer pool) and sees what was committed
// when it ran, which is all the store relies on; it does not wait for
// writers. (The store's incident counts, which must see one state across
// several queries, run in a write transaction.)
//
// The context given to Begin is the transaction's: once it is done, every
// later call, Commit included, fails with an error matching its error, and
// a write transaction is rolled back.
//
// # What the database enforces
//
// The database keeps the rules it can on its own, against any client, not
// only this driver: at most one active risk model version (a partial
// unique index) and only an approved one (a check); a deployment's risk
// band matching its score, known classes, severities, statuses and kinds,
// hashes and digests 64 characters long, and the JSON shapes of a
// request's approvals, rejection and exception (checks); foreign keys from
// thresholds, weights, incidents, criteria and decisions to what they name
// (on SQLite, for connections that turn them on, as sqlite.Open's do);
// and, by triggers,
// that audit events, checkpoints, evidence, deployment records, a
// version's thresholds and weights, and an evaluation's criteria are never
// changed or deleted, that each new audit event follows the head of the
// chain, that a risk model version changes only in its approval (once)
// and activation, that an incident changes only in its resolution fields,
// that a maturity evaluation changes only in its decision (once, and
// whole), that a CAB request changes only in its status, approvals,
// rejection and exception and is never deleted, and that the maturity
// level moves one step at a time and its state is never deleted.
// PostgreSQL refuses TRUNCATE of every guarded table; on SQLite an insert
// that would REPLACE a kept row is ignored (migration 0006). Class
// definitions are not guarded.
//
// # Migrations
//
// The schema is a numbered series of SQL files per dialect, the same
// series for both, embedded in the package ([Migrations] lists them).
// [Driver.Migrate] applies, in order, each one not yet recorded in the
// schema_migrations table, in a transaction of its own together with its
// record, so a migration that fails leaves nothing of itself behind. It
// runs only when called ([New] runs no SQL; sqlite.Open and postgres.Open
// call it). Concurrent runs, from one process or many, apply each
// migration once: on PostgreSQL they queue on a session advisory lock, on
// SQLite on the write lock. On PostgreSQL the schema lives in the first
// schema of the connections' search_path, so several installations can
// share a database, one schema each.
//
// # Incident counts
//
// The calibration aggregates are the store's calibration buckets
// (migration 0012, which builds them for the rows a database already
// holds): a range of calibration_days' primary key for the whole days of
// a period, a range of (finished_at) and of incidents_by_occurrence for
// the parts of its end days, and a range of calibration_auto_approved's
// (local, finished_at).
//
// The recount the maturity engine judges on (Store.RecountIncidents) reads
// the records, never the buckets: a transaction of the driver implements
// [driver.IncidentCounter] with one SQL statement, the same results as the
// store's own count of the rows (the conformance suite compares the two on
// random data). It counts the period's deployments with one index-only
// probe per class and risk band of the index (class, risk_band,
// finished_at), an equality-prefixed range that needs no sort whatever the
// planner's statistics say, and the period's incidents from a range of the
// covering index (occurred_at, …), joined once to their deployments. Its
// cost grows with the rows in the period.
//
// The other reads the store's operations make each seek an index of their
// own, such as (finished_at) for the first deployment (migration 0005);
// the sqlite package's tests check the plan of every statement the store
// issues.
//
// # Errors
//
// Insert is INSERT … ON CONFLICT DO NOTHING: a row that inserts nothing
// duplicated a primary or unique key, which is [driver.ErrConflict], told
// apart from every other failure in both dialects without reading a
// driver's error codes (the schema has no unique key but the store's, and
// the one-active index, which the store never inserts against). Into an
// append-only table ([driver.Table.Append]: the audit log), it is a plain
// INSERT, which a duplicate fails like any other statement. An Update
// of no row is [driver.ErrNotFound]; a call on a finished transaction
// [driver.ErrTxDone]; a write in a read-only one [driver.ErrReadOnly]; a
// done context's error stays matchable with errors.Is. Every other error
// of the database goes through one function, which keeps the database's
// message but wraps no error or type of the SQL driver or of database/sql:
// to the store it is a failure of the database.
package sqlstore
