// Package memstore is an in-memory storage driver ([driver.Driver]) for
// trustgate's store: for tests, and for embedding trustgate where nothing
// needs to outlive the process.
//
//	s, err := store.New(memstore.New(memstore.Options{}), store.Options{})
//
// It keeps the rows of the store's tables in memory and passes the same
// conformance suite as the SQL driver
// ([github.com/buildworksai/trustgate/store/storetest]), so a program
// behaves the same on either: the rules are the store's, not the driver's.
//
// # Durability
//
// None: everything is lost when the driver is garbage collected or the
// process exits. Use the SQL drivers for records that must survive a
// restart.
//
// # Transactions
//
// The committed state is an immutable snapshot. A read-only transaction
// reads the snapshot that was committed when it began, so it sees one
// consistent state however long it runs, and never waits. A write
// transaction waits for the one before it to end (or for its context),
// then writes to versions of the tables of its own that share, with the
// snapshot, every part they did not change; Commit publishes them as the
// new snapshot in one atomic step, and Rollback drops them. Nothing
// committed is ever changed in place, so a transaction that fails, is
// abandoned or panics leaves no trace by construction: there is no undo log
// to get wrong.
//
// Each table is a two-level B-tree ordered by its primary key, with one
// more for each unique key: a lookup by key is a search, a query ordered by
// the primary key walks it from the first key column's bound and stops at
// its limit, and anything else filters the table and sorts. A write copies
// the table's list of chunks and the one chunk of at most 512 rows it
// changes: for the tables of a governance store, a few microseconds.
//
// # Copies
//
// The driver copies byte slices on the way in and out, and the store
// decodes every row into values of its own, so no caller ever shares memory
// with what is stored.
package memstore
