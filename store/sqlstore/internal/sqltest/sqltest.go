// Package sqltest holds what the tests of the SQL drivers share, written
// once for both dialects: the conformance run with a tamperer that edits
// the database with SQL the way an attacker would; the migrations and the
// schema they make ([Migrations]); what the database enforces on its own,
// against any client ([Guards]); the errors that cross the driver
// ([Errors]); and the benchmarks and their fixtures ([BenchIncidentCounts]
// and the rest). It imports no database driver: the sqlite and postgres
// packages' tests, the only ones that do, describe their dialect as a
// [Backend] and call these functions from their own tests and benchmarks,
// so that a program importing one dialect never downloads the other's
// driver.
package sqltest

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/storetest"
)

// Backend makes databases of one dialect for tests.
type Backend struct {
	// Name is the dialect's name in test names: "SQLite", "PostgreSQL".
	Name    string
	Dialect sqlstore.Dialect
	// New returns a driver on a fresh, migrated, empty database, closed
	// when the test ends.
	New func(t testing.TB) driver.Driver
	// Raw opens a new pool on the database behind d, which New returned,
	// outside the driver, closed when the test ends.
	Raw func(t testing.TB, d driver.Driver) *sql.DB
	// Pools creates a new, empty database (not migrated) and returns a
	// function that opens another pool on it each time it is called, as
	// another process would.
	Pools func(t testing.TB) func(t testing.TB) *sql.DB
	// DriverError reports whether err is, or wraps, an error of the
	// database/sql driver (its concrete types, matched with errors.As):
	// what must never cross the sqlstore driver.
	DriverError func(err error) bool
	// Lasting creates a new, empty database that outlives the test or
	// benchmark that asks for it, for a fixture built once per run; the
	// package's TestMain removes it ([RemoveFixtures]).
	Lasting func() (*Database, error)
}

// Database is a database that outlives any one test: see [Backend.Lasting].
type Database struct {
	// Open returns a driver on the database, opened (and migrated) as an
	// installation opens it, and the function that closes what it opened.
	Open func(ctx context.Context) (driver.Driver, func() error, error)
	// Raw opens a pool on the database outside the driver; the caller
	// closes it.
	Raw func() (*sql.DB, error)
	// Remove deletes the database.
	Remove func()
}

// Conformance runs the conformance suite against b's driver, with raw
// SQL tampering.
func Conformance(t *testing.T, b Backend) {
	storetest.Run(t, storetest.Harness{
		New:    func(t *testing.T) driver.Driver { return b.New(t) },
		Tamper: func(t *testing.T, d driver.Driver) storetest.Tamperer { return Tamper(t, b, d) },
	})
}

// devService returns the development service (internal/testkeys) in
// service-attested mode whose CAB is members.
func devService(t testing.TB, members ...string) *attest.Service {
	t.Helper()
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, members...))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// Exec runs query on db with ? placeholders, rebound for b's dialect.
func (b Backend) Exec(ctx context.Context, db *sql.DB, query string, args ...any) (sql.Result, error) {
	return db.ExecContext(ctx, b.Rebind(query), args...)
}

// Rebind turns the ? placeholders of query into b's dialect's.
func (b Backend) Rebind(query string) string {
	if b.Dialect != sqlstore.PostgreSQL {
		return query
	}
	out := make([]byte, 0, len(query)+8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			out = append(out, query[i])
			continue
		}
		n++
		out = append(out, '$')
		out = strconv.AppendInt(out, int64(n), 10)
	}
	return string(out)
}

// Registry remembers what a backend knows about each driver it opened (a
// file's path, a schema's DSN), for Raw. It is safe for concurrent use.
type Registry[V any] struct {
	mu sync.Mutex
	m  map[driver.Driver]V
}

// Put remembers v for d.
func (r *Registry[V]) Put(d driver.Driver, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[driver.Driver]V{}
	}
	r.m[d] = v
}

// Get returns what Put remembered for d, failing t if nothing was.
func (r *Registry[V]) Get(t testing.TB, d driver.Driver) V {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[d]
	if !ok {
		t.Fatal("sqltest: a driver this backend did not open")
	}
	return v
}
