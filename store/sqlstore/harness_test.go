package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/ncruces/go-sqlite3/driver"
	"github.com/stretchr/testify/require"
)

const postgresEnv = "TRUSTGATE_TEST_POSTGRES_DSN"

// backend makes fresh stores of one dialect and opens raw pools on the
// storage behind them, for tests that act as an attacker (or a second
// process) with database access.
type backend struct {
	name string
	// newStore returns a fresh, migrated, empty store whose clock is now.
	newStore func(t *testing.T, now func() time.Time) store.Store
	// raw opens a new pool on s's storage, outside the store.
	raw func(t *testing.T, s store.Store) *sql.DB
	// newPool opens a new, empty database and returns a pool factory for
	// it: each call opens another pool (as another process would).
	newPool func(t *testing.T) func(t *testing.T) *sql.DB
	dialect sqlstore.Dialect
}

// backends returns SQLite, and PostgreSQL when TRUSTGATE_TEST_POSTGRES_DSN
// is set.
func backends() []backend {
	bs := []backend{sqliteBackend()}
	if os.Getenv(postgresEnv) != "" {
		bs = append(bs, postgresBackend())
	}
	return bs
}

// forEachBackend runs fn as a subtest per backend; the PostgreSQL one
// skips when TRUSTGATE_TEST_POSTGRES_DSN is not set.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
	if os.Getenv(postgresEnv) == "" {
		t.Run("PostgreSQL", func(t *testing.T) { t.Skip(postgresEnv + " not set: skipping PostgreSQL") })
	}
}

// paths remembers the file behind each SQLite store, for raw access.
type registry[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

func (r *registry[K, V]) put(k K, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[K]V{}
	}
	r.m[k] = v
}

func (r *registry[K, V]) get(t *testing.T, k K) V {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[k]
	require.True(t, ok, "store not made by this backend")
	return v
}

func sqliteBackend() backend {
	var paths registry[store.Store, string]
	rawSQLite := func(t *testing.T, path string) *sql.DB {
		db, err := driver.Open(sqlite.DSN(path, true))
		require.NoError(t, err)
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	return backend{
		name:    "SQLite",
		dialect: sqlstore.SQLite,
		newStore: func(t *testing.T, now func() time.Time) store.Store {
			path := filepath.Join(t.TempDir(), "trustgate.db")
			db, err := sqlite.Open(t.Context(), path, sqlstore.Options{Now: now})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, db.Close()) })
			paths.put(db, path)
			return db
		},
		raw: func(t *testing.T, s store.Store) *sql.DB { return rawSQLite(t, paths.get(t, s)) },
		newPool: func(t *testing.T) func(t *testing.T) *sql.DB {
			// Create the file first, in WAL mode, as sqlite.Open does
			// (TestConcurrentOpenOfANewFile covers racing to create it).
			path := filepath.Join(t.TempDir(), "trustgate.db")
			require.NoError(t, rawSQLite(t, path).PingContext(t.Context()))
			return func(t *testing.T) *sql.DB { return rawSQLite(t, path) }
		},
	}
}

func postgresBackend() backend {
	var dsns registry[store.Store, string]
	return backend{
		name:    "PostgreSQL",
		dialect: sqlstore.PostgreSQL,
		newStore: func(t *testing.T, now func() time.Time) store.Store {
			dsn := freshSchema(t)
			s, err := sqlstore.New(openPostgres(t, dsn), sqlstore.PostgreSQL, sqlstore.Options{Now: now})
			require.NoError(t, err)
			require.NoError(t, s.Migrate(t.Context()))
			dsns.put(s, dsn)
			return s
		},
		raw: func(t *testing.T, s store.Store) *sql.DB { return openPostgres(t, dsns.get(t, s)) },
		newPool: func(t *testing.T) func(t *testing.T) *sql.DB {
			dsn := freshSchema(t)
			return func(t *testing.T) *sql.DB { return openPostgres(t, dsn) }
		},
	}
}

// freshSchema creates an empty schema in the test database, dropped when
// the test ends, and returns a DSN whose connections use it.
func freshSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(postgresEnv)
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
		_, err = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schemaDSN(t, schema)
}

// schemaDSN returns the test DSN with search_path set to schema.
func schemaDSN(t testing.TB, schema string) string {
	t.Helper()
	base := os.Getenv(postgresEnv)
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

func openPostgres(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
