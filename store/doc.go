// Package store is trustgate's storage contract: the records the domain
// packages keep, the errors every adapter returns for the same situations,
// and atomic multi-record work.
//
// [Store] composes small interfaces, one per kind of record: [RiskModels],
// [Classes], [Maturity], [Audit], [Evidence], [Deployments], [Incidents],
// [Evaluations] and [Requests]. Domain packages declare the narrow interface
// they use (security.Store, maturity.Store, cab.Store) and never import an
// adapter; every adapter satisfies all of them. The adapters are:
//
//   - [github.com/buildworksai/trustgate/store/memstore]: in memory, for
//     tests and embedding;
//   - [github.com/buildworksai/trustgate/store/sqlstore]: database/sql over
//     SQLite (the embedded default) and PostgreSQL (for many processes
//     sharing one database).
//
// Each passes the conformance suite in
// [github.com/buildworksai/trustgate/store/storetest], which a user's own
// adapter can run too.
//
// # Errors
//
// Adapters return [ErrNotFound], [ErrConflict], [ErrInvalid] and [ErrTxDone]
// (wrapped with detail; match with errors.Is), and the domain packages'
// errors for domain rules (such as riskmodel's, a *trustgate.Error with
// code invalid naming the field). Each of the four is a *trustgate.Error
// (codes not_found, conflict, invalid, and internal with reason TX_DONE), so
// trustgate.AsError gives the code of any error an adapter returns. No
// driver error or type crosses the API; a cancelled context comes back
// wrapped (code canceled).
//
// # Transactions and audit
//
// [Store.WithTx] runs a function atomically. Write transactions are
// serialised, which is what keeps the audit chain from forking and makes
// "exactly one active model" hold under concurrent activation. Every
// operation that changes governance state (a model created, approved or
// activated, evidence uploaded, a CAB request submitted or updated, a
// deployment or incident recorded, a maturity transition) appends its audit
// event in the same transaction as the change: there is no way to make the
// change without the record. Multi-record changes that domain rules decide
// come to the store as one value or one pure function, applied atomically
// (ApplyTransition, UpdateRequest), so the rules stay in the domain
// packages and the atomicity in the store.
//
// # Time
//
// Adapters take a clock in their options and store times in UTC with
// microsecond precision (what PostgreSQL keeps), so a value reads back equal
// to what was written, in every adapter.
//
// [Seed] loads the seed data idempotently.
package store
