// Package driver is the contract between trustgate's store and the
// database that keeps its rows, as database/sql/driver is for
// database/sql. Users never call it: they hold a store.Store. Driver
// authors implement it.
//
// # What a driver must do
//
// Keep the rows of the tables the store defines (store.Tables lists them:
// each a [Table] with typed [Column]s, a primary key and unique keys), and
// answer six calls:
//
//   - [Driver.Begin] starts a transaction. Write transactions must be
//     serialised, across every process sharing the database: while one is
//     open no other begins, and each sees everything committed before it.
//     Read-only transactions see committed data.
//   - [Tx.Insert] adds a row, refusing a duplicate primary or unique key with
//     [ErrConflict].
//   - [Tx.Update] sets some columns of the row with a primary key, or
//     reports [ErrNotFound].
//   - [Tx.Query] answers a [Query]: the columns to return, conditions
//     ([Cond]: =, <, ≤, >, ≥, IN, IS NULL, IS NOT NULL), an order, a keyset
//     cursor (After) and a limit.
//   - [Tx.Commit] and [Tx.Rollback] end the transaction; after either,
//     every call reports [ErrTxDone].
//
// Values cross the contract as the Go types of their column's [Type]
// (string, int64, bool, []byte, decimal.Decimal, time.Time, uuid.UUID),
// nil for NULL, and are kept exactly: decimals never through a float, bytes
// byte for byte, times at the driver's precision. A driver honours the
// context of every call and reports its end with an error that matches
// ctx.Err(). Apart from those sentinels and the context's errors, a
// driver's errors are opaque to the store: it reports them as a failure of
// the database, by message only.
//
// # What the store does for a driver
//
// Everything else. The store validates input, normalises times to the
// driver's precision before they reach it, builds and chains the audit
// events, checks idempotency and uniqueness before it inserts (so a
// conflict from Insert is a last line of defence, not a code path), owns
// page limits and the order of results, decides which rows to read and
// write for every operation, and never updates key or unique columns,
// orders by a nullable column, or compares Bytes and Decimal columns. A
// driver therefore needs no knowledge of trustgate's rules, and cannot
// break them by getting one wrong.
//
// # Growing without breaking
//
// New capabilities arrive as optional interfaces, as
// database/sql/driver's QueryerContext did: the store checks for them with a
// type assertion and falls back when they are absent, so adding one never
// breaks an existing driver. Today there are two: [TimePrecisioner], for a
// database that keeps times more coarsely than a microsecond, and
// [IncidentCounter], for a database that can count the calibration
// aggregates from the deployment and incident rows itself (the maturity
// engine's recount; the report's aggregates need none: the store keeps them
// in buckets of its own tables, written through Insert and Update like
// every other row).
//
// # Certifying a driver
//
// Run the conformance suite, github.com/buildworksai/trustgate/store/storetest,
// from the driver's tests. It checks this contract directly on the store's
// tables, then every behaviour of the store over the driver, and it checks
// an IncidentCounter against the store's own count of the rows on random
// data.
package driver
