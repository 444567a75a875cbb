// Package storetest certifies a storage driver: it is the one
// specification of what trustgate's store does, run against every driver in
// this module and available to any other.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T) driver.Driver { return mydriver.Open(t.TempDir()) },
//		})
//	}
//
// [Run] checks the driver contract of package store/driver directly
// (inserts, conflicts, updates, every kind of query, value round trips,
// isolation, serialised writes, the end of a transaction), then every
// behaviour of store.Store over the driver, through the store's own API:
// each record kind's rules, idempotency, pagination, copies, audit events
// and their data, concurrency, transactions and their handles, the audit
// chain and its tamper detection, the seed, period bounds and time
// precision, errors that carry nothing of the driver, and the whole
// pipeline through the cab, security and maturity packages. Each subtest
// gets a fresh driver from the harness and is named as the sentence it
// checks. The suite asserts on codes and sentinels (trustgate.ErrorCode,
// store.ErrNotFound, …) and on the domain packages' typed errors; it never
// branches on which driver it is testing.
//
// Times are expected at the precision the store reports
// (store.Store.TimePrecision, the driver's [driver.TimePrecisioner] or one
// microsecond), never at an assumed one, and bounds finer than it are
// derived from it: the suite holds for a driver of any precision the store
// accepts.
//
// The suite skips only what needs a capability the harness or the driver
// does not give: tampering with raw storage without [Harness.Tamper].
package storetest
