package sqlite

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) { sqltest.Conformance(t, backend()) }

// backend makes SQLite databases in temporary files, opened as
// installations open them.
func backend() sqltest.Backend {
	var mu sync.Mutex
	paths := map[driver.Driver]string{}
	raw := func(t testing.TB, path string) *sql.DB {
		db, err := sqlite3driver.Open(DSN(path, true))
		require.NoError(t, err)
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	return sqltest.Backend{
		Name:    "SQLite",
		Dialect: sqlstore.SQLite,
		New: func(t testing.TB) driver.Driver {
			path := filepath.Join(t.TempDir(), "trustgate.db")
			db, err := Open(t.Context(), path, sqlstore.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, db.Close()) })
			mu.Lock()
			paths[db] = path
			mu.Unlock()
			return db
		},
		Raw: func(t testing.TB, d driver.Driver) *sql.DB {
			mu.Lock()
			path, ok := paths[d]
			mu.Unlock()
			require.True(t, ok, "a driver this backend did not open")
			return raw(t, path)
		},
		Pools: func(t testing.TB) func(t testing.TB) *sql.DB {
			// Create the file first, in WAL mode, as Open does
			// (TestConcurrentOpenOfANewFile covers racing to create it).
			path := filepath.Join(t.TempDir(), "trustgate.db")
			require.NoError(t, raw(t, path).PingContext(t.Context()))
			return func(t testing.TB) *sql.DB { return raw(t, path) }
		},
	}
}
