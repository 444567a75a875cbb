// Package store is trustgate's storage: the records the domain packages
// keep, and every rule about keeping them, over a small driver that only
// keeps rows.
//
// It has the shape of database/sql over database/sql/driver. A [Store] is
// the concrete type users hold: create one with [New] over a
// [driver.Driver], and it satisfies the small interfaces the domain packages
// declare (cab.Store, maturity.Store, security.Store). The drivers are:
//
//   - [github.com/buildworksai/trustgate/store/memstore]: in memory, for
//     tests and embedding;
//   - [github.com/buildworksai/trustgate/store/sqlstore]: SQL, through
//     [github.com/buildworksai/trustgate/store/sqlstore/sqlite] (the embedded
//     default) and [github.com/buildworksai/trustgate/store/sqlstore/postgres]
//     (for many processes sharing one database).
//
// A program opens a driver and hands it to the store:
//
//	db, err := sqlite.Open(ctx, "trustgate.db", sqlstore.Options{})
//	if err != nil { … }
//	svc, err := attest.NewService(serviceKey, keyring) // keys from outside the database
//	if err != nil { … }
//	s, err := store.New(db, store.Options{Service: svc})
//	if err != nil { … }
//	defer s.Close()
//	err = store.Seed(ctx, s, svc, time.Now())
//
// # What the store does, and what a driver does
//
// The store owns everything that is not keeping rows, once, whatever the
// driver: input validation (a request needs a submitter, a page limit is
// between 1 and its maximum), normalisation (times to the driver's
// precision, copies of what it is given), the construction of every audit
// event (one function per event type) and the hash chain they form,
// idempotency (an upload, a submission or a report repeated under its
// correlation id returns what is stored; different content is a conflict),
// incident attribution, the calibration aggregates' definition, page limits,
// transactions, and the governance rules (who may approve, what may be
// activated, which transitions apply). It turns each record into rows of the
// tables [Tables] lists, and each read into a [driver.Query].
//
// A driver keeps those rows: it inserts, updates and queries them inside
// transactions, and serialises write transactions. That contract is six
// methods (Begin, and a transaction's Insert, Update, Query, Commit and
// Rollback), documented in package [driver] with the errors and concurrency
// guarantees each must give. It grows through optional interfaces: a driver
// that keeps times more coarsely says so ([driver.TimePrecisioner]), and
// one that can count the records in its database does
// ([driver.IncidentCounter]).
//
// # Signed records
//
// The store keeps what was signed next to what it describes: a request's
// decision statement and its approvals' envelopes, a risk model's
// signoffs, the maturity state's statement and its progression approvals,
// an evidence package's attestation, an incident's report (signed by the
// store itself when it is given a service key, [Options].Service, once its
// attribution is settled). It checks what it can without keys (names are
// normalised, a model's creator never signs it off, an approval carries a
// signature); whether a signature verifies is for the verifiers that hold
// the keyring: cab.Authorize, cab.VerifyModel, maturity.VerifyState, and
// [Store.Verify], which checks every record, the audit log with them, and
// names the first that does not match what was signed. Status fields
// (a request's status, a model's approval flag) are caches of what the
// signatures say.
//
// # Certifying a driver
//
// [github.com/buildworksai/trustgate/store/storetest] is the specification:
// it checks the driver contract directly, then every behaviour of the store
// over the driver. Every driver here runs it; a driver written elsewhere
// runs it too:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{New: func(t *testing.T) driver.Driver { … }})
//	}
//
// # Transactions
//
// Every method runs in a transaction of its own; [Store.WithTx] runs
// several in one, through a [Tx] with the same methods. Write transactions
// are serialised by the driver, in this process and across processes
// sharing a database, which is what lets an operation check and then write
// without a race: it keeps the audit chain from forking, exactly one risk
// model active, and concurrent approvals of one request from losing each
// other.
//
// Each write operation reads and checks everything first, builds its rows
// and its audit events (validating them), and only then writes: input that
// breaks a rule writes nothing, even inside WithTx, where the transaction
// goes on. A failure of the database itself dooms a WithTx transaction:
// what it had written is rolled back whatever fn returns.
//
// Every operation that changes governance state (a model created, approved
// or activated, evidence uploaded, a CAB request submitted or updated, a
// deployment or incident recorded or updated, a maturity transition)
// appends its audit event in the same transaction as the change: there is
// no way to make the change without the record.
//
// # Calibration buckets
//
// The calibration aggregates ([Store.IncidentCounts]) are read from
// buckets the store keeps in two tables of its own, written through the
// driver like every other row, in the transaction of each write that
// changes them: RecordDeployment, CreateIncident, and UpdateIncident (whose
// change of preventability, the one correction an incident admits, moves
// it between counts; the code that applies it takes an incident's whole
// facts before and after, so a correction of its severity, class, link or
// time would be applied exactly too). A rolled-back transaction leaves
// them as they were, like the rows.
//
//   - calibration_days holds, for each UTC day with a deployment or an
//     incident, every count of incident.Counts but one for that day. A
//     bucket is a day because periods are given in days and weeks (the
//     maturity period, a 12-week report): a period's whole days are one
//     row each, a few hundred for years of history, and the parts of its
//     two end days are counted from their rows, at most half a day's each
//     (the other part is taken off the day's row when it is the smaller).
//     Finer buckets would make long periods read more rows; coarser ones
//     would leave more rows at the ends.
//   - calibration_auto_approved holds, for each auto-approved deployment
//     linked to an incident (no more rows than incidents), the nearest of
//     its incidents on each side of its finish. AutoApprovedWithIncidents
//     depends on two times at once (the deployment's finish and its
//     incidents' occurrence both in the period), which no per-day count
//     sums to; but a deployment that finished in the period has an incident
//     in it exactly when one of those two nearest incidents is in it. When
//     one of them is on the deployment's own day, it counts in every period
//     holding that whole day, and its day's bucket counts it; the others
//     (incidents on other days), and those that finished on an end day, are
//     read from this table and checked.
//
// So a report costs time with the days of its period and the rows of one
// day, not with the rows of the period. A period within one day is counted
// from its rows. The results equal a count of the rows exactly
// ([Store.RecountIncidents], the definition, which the conformance suite
// compares them with on random data, corrections and periods), and a
// database migrates to them: migration 0012 builds them from the rows.
//
// The buckets are a cache, and nothing that authorises or caps a
// decision trusts them: a bucket edited in the database changes the
// report, but the maturity engine judges every evaluation on
// RecountIncidents, from the records, over its period (four weeks by
// default): a progression, which lets the CAB grant more automation, and
// a regression, which a hidden incident would otherwise suppress. The
// sqlstore tests edit a bucket by SQL to hide a P1 incident and show the
// progression is not made ready; maturity's tests hide every incident
// from the aggregates and show a regression still happens. Reports, which
// decide nothing, read the buckets.
//
// # Time
//
// Times are kept in UTC at the driver's precision (one microsecond unless
// it declares coarser): every time written is rounded down to it, so it
// reads back equal to what the store returned when writing it, and every
// range bound a caller gives (a period, a cursor, "before") is compared
// exactly with the times as stored, however finely it is given. This
// happens in one place in the store, for every driver.
//
// # Errors
//
// Every error carries a [trustgate.Code] (get it with trustgate.AsError or
// trustgate.ErrorCode): [trustgate.Invalid] with the field for input that
// breaks a rule of the store, [trustgate.NotFound] and
// [trustgate.Conflict] (also matchable as [ErrNotFound] and [ErrConflict]),
// [trustgate.Canceled] for a context's end, [trustgate.Internal] for a
// failing database. The domain packages' errors come through as they are.
// No driver error or type crosses the API: a driver's failures are reported
// by message only.
package store
