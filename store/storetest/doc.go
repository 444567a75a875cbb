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
// each record kind's rules, idempotency, pagination, time precision, the
// audit chain and its tamper detection, transactions, the seed. Each
// subtest gets a fresh driver from the harness and is named as the
// sentence it checks. The suite asserts on codes and sentinels
// (trustgate.ErrorCode, store.ErrNotFound, …) and on the domain packages'
// typed errors; it never branches on which driver it is testing. It skips
// only what needs a capability the harness does not give (tampering with
// raw storage), and runs a driver's optional interfaces where it has them
// (an IncidentCounter must agree with the store's own counting).
package storetest
