package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
	_ "github.com/jackc/pgx/v5/stdlib"
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
	var mu sync.Mutex
	dsns := map[driver.Driver]string{}
	return sqltest.Backend{
		Name:    "PostgreSQL",
		Dialect: sqlstore.PostgreSQL,
		New: func(t testing.TB) driver.Driver {
			dsn := freshSchema(t)
			d, err := Open(t.Context(), openPool(t, dsn), sqlstore.Options{})
			require.NoError(t, err)
			mu.Lock()
			dsns[d] = dsn
			mu.Unlock()
			return d
		},
		Raw: func(t testing.TB, d driver.Driver) *sql.DB {
			mu.Lock()
			dsn, ok := dsns[d]
			mu.Unlock()
			require.True(t, ok, "a driver this backend did not open")
			return openPool(t, dsn)
		},
		Pools: func(t testing.TB) func(t testing.TB) *sql.DB {
			dsn := freshSchema(t)
			return func(t testing.TB) *sql.DB { return openPool(t, dsn) }
		},
	}
}

// freshSchema creates an empty schema in the test database, dropped when
// the test ends, and returns a DSN whose connections use it.
func freshSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(dsnEnv)
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer func() { _ = admin.Close() }()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "tg_" + hex.EncodeToString(b[:])
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
	base := os.Getenv(dsnEnv)
	if !strings.Contains(base, "://") { // keyword/value form
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openPool(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
