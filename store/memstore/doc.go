// Package memstore is an in-memory [store.Store]: the storage contract of
// package store kept in maps and a slice, for tests and for embedding
// trustgate where nothing needs to outlive the process.
//
// It has the same semantics as the SQL adapter
// ([github.com/buildworksai/trustgate/store/sqlstore]) and passes the same
// conformance suite ([github.com/buildworksai/trustgate/store/storetest]):
// the same portable errors for the same situations, times stored in UTC with
// microsecond precision, exact decimals, an audit chain that never forks,
// and atomic, audited governance changes.
//
// # Durability
//
// None: everything is lost when the [Store] is garbage collected or the
// process exits. Use sqlstore for records that must survive a restart.
//
// # Copies
//
// The store keeps its own deep copies of what it is given and returns deep
// copies of what it holds, so a caller can change any value it passed in or
// got back without touching the store.
//
// # Concurrency
//
// A [Store] is safe for concurrent use by many goroutines. Write
// transactions ([Store.WithTx], and every method that changes a record) are
// serialised by one mutex held for the whole transaction, which is what
// keeps the audit chain from forking and exactly one risk model active.
// Reads outside a transaction share a read lock and run alongside each
// other, never alongside a write transaction, so they see only committed
// state.
//
// Inside [Store.WithTx] the function must use only the [store.Tx] it is
// given: calling the Store itself there waits for the transaction to end,
// which it never does. Atomicity comes from an undo log: each change made
// through the transaction records how to revert it, and a transaction that
// fails, panics or whose context is cancelled is reverted in reverse order,
// audit events included.
package memstore
