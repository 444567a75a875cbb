package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dsnEnv names the variable that points the tests at a server; .ci/run
// starts one on loopback and sets it.
const dsnEnv = "TRUSTGATE_TEST_POSTGRES_DSN"

// requireServer skips the test without a server.
func requireServer(t testing.TB) {
	t.Helper()
	if os.Getenv(dsnEnv) == "" {
		t.Skip(dsnEnv + " not set: skipping PostgreSQL (source .ci/postgres.sh to start a server)")
	}
}

func TestConformance(t *testing.T) {
	requireServer(t)
	sqltest.Conformance(t, backend())
}

// backend makes a fresh schema of the test server for each database.
func backend() sqltest.Backend {
	var dsns sqltest.Registry[string]
	return sqltest.Backend{
		Name:        "PostgreSQL",
		Dialect:     sqlstore.PostgreSQL,
		DriverError: driverError,
		New: func(t testing.TB) driver.Driver {
			dsn := freshSchema(t)
			d, err := Open(t.Context(), openPool(t, dsn), sqlstore.Options{})
			require.NoError(t, err)
			dsns.Put(d, dsn)
			return d
		},
		Raw: func(t testing.TB, d driver.Driver) *sql.DB {
			dsn := dsns.Get(t, d)
			return openPool(t, dsn)
		},
		Pools: func(t testing.TB) func(t testing.TB) *sql.DB {
			dsn := freshSchema(t)
			return func(t testing.TB) *sql.DB { return openPool(t, dsn) }
		},
		Lasting: lasting,
	}
}

// lasting makes a schema of its own in the test database.
func lasting() (*sqltest.Database, error) {
	base := os.Getenv(dsnEnv)
	if base == "" {
		return nil, errors.New(dsnEnv + " not set")
	}
	schema := "tg_bench_" + randomHex()
	exec := func(stmt string) error {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return err
		}
		defer func() { _ = admin.Close() }()
		_, err = admin.Exec(stmt)
		return err
	}
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		return nil, err
	}
	if err := exec("CREATE SCHEMA " + schema); err != nil {
		return nil, err
	}
	return &sqltest.Database{
		Open: func(ctx context.Context) (driver.Driver, func() error, error) {
			pool, err := sql.Open("pgx", dsn)
			if err != nil {
				return nil, nil, err
			}
			d, err := Open(ctx, pool, sqlstore.Options{})
			if err != nil {
				_ = pool.Close()
				return nil, nil, err
			}
			return d, pool.Close, nil
		},
		Raw:    func() (*sql.DB, error) { return sql.Open("pgx", dsn) },
		Remove: func() { _ = exec("DROP SCHEMA " + schema + " CASCADE") },
	}, nil
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// freshSchema creates an empty schema in the test database, dropped when
// the test ends, and returns a DSN whose connections use it.
func freshSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(dsnEnv)
	if base == "" { // a test that asks for a database without requireServer
		t.Skip(dsnEnv + " not set: skipping PostgreSQL (source .ci/postgres.sh to start a server)")
	}
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer func() { _ = admin.Close() }()
	schema := "tg_" + randomHex()
	_, err = admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = admin.Close() }()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schemaDSN(t, schema)
}

// schemaDSN returns the test DSN with search_path set to schema.
func schemaDSN(t testing.TB, schema string) string {
	t.Helper()
	dsn, err := withSearchPath(os.Getenv(dsnEnv), schema)
	require.NoError(t, err)
	return dsn
}

// withSearchPath returns dsn with search_path set to schema.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.Contains(dsn, "://") { // keyword/value form
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func openPool(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	requireServer(t)
	sqltest.Migrations(t, backend())
}

func TestGuards(t *testing.T) {
	requireServer(t)
	sqltest.Guards(t, backend())
}

func TestErrors(t *testing.T) {
	requireServer(t)
	sqltest.Errors(t, backend())
}

// driverError reports whether err wraps an error of pgx.
func driverError(err error) bool {
	var pg *pgconn.PgError
	var connect *pgconn.ConnectError
	var parse *pgconn.ParseConfigError
	var prepare *pgconn.PrepareError
	return errors.As(err, &pg) || errors.As(err, &connect) || errors.As(err, &parse) || errors.As(err, &prepare)
}

// What Open returns when it cannot reach the server carries pgx's message
// but none of its errors.
func TestOpenErrorsAreNotDriverErrors(t *testing.T) {
	b := backend()
	// Nothing listens on port 1.
	pool, err := sql.Open("pgx", "postgres://trustgate@127.0.0.1:1/trustgate?connect_timeout=5")
	require.NoError(t, err)
	defer func() { _ = pool.Close() }()
	_, err = Open(t.Context(), pool, sqlstore.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1")
	b.Opaque(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Open(ctx, pool, sqlstore.Options{})
	require.ErrorIs(t, err, context.Canceled)
	b.Opaque(t, err)
}
