package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) { sqltest.Conformance(t, backend()) }

// backend makes SQLite databases in temporary files, opened as
// installations open them.
func backend() sqltest.Backend {
	var paths sqltest.Registry[string]
	raw := func(t testing.TB, path string) *sql.DB {
		db, err := sqlite3driver.Open(DSN(path, true))
		require.NoError(t, err)
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	return sqltest.Backend{
		Name:        "SQLite",
		Dialect:     sqlstore.SQLite,
		DriverError: driverError,
		New: func(t testing.TB) driver.Driver {
			path := filepath.Join(t.TempDir(), "trustgate.db")
			db, err := Open(t.Context(), path, sqlstore.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, db.Close()) })
			paths.Put(db, path)
			return db
		},
		Raw: func(t testing.TB, d driver.Driver) *sql.DB {
			path := paths.Get(t, d)
			return raw(t, path)
		},
		Pools: func(t testing.TB) func(t testing.TB) *sql.DB {
			// Create the file first, in WAL mode, as Open does
			// (TestConcurrentOpenOfANewFile covers racing to create it).
			path := filepath.Join(t.TempDir(), "trustgate.db")
			require.NoError(t, raw(t, path).PingContext(t.Context()))
			return func(t testing.TB) *sql.DB { return raw(t, path) }
		},
		Lasting: lasting,
	}
}

// lasting makes a database file in a temporary directory of its own.
func lasting() (*sqltest.Database, error) {
	dir, err := os.MkdirTemp("", "trustgate-bench-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "fixture.db")
	return &sqltest.Database{
		Open: func(ctx context.Context) (driver.Driver, func() error, error) {
			db, err := Open(ctx, path, sqlstore.Options{})
			if err != nil {
				return nil, nil, err
			}
			return db, db.Close, nil
		},
		Raw:    func() (*sql.DB, error) { return sqlite3driver.Open(DSN(path, true)) },
		Remove: func() { _ = os.RemoveAll(dir) },
	}, nil
}

func TestMigrations(t *testing.T) { sqltest.Migrations(t, backend()) }

func TestGuards(t *testing.T) { sqltest.Guards(t, backend()) }

func TestErrors(t *testing.T) { sqltest.Errors(t, backend()) }

// driverError reports whether err wraps an error of ncruces' SQLite.
func driverError(err error) bool {
	var e *sqlite3.Error
	var code sqlite3.ErrorCode
	var ext sqlite3.ExtendedErrorCode
	return errors.As(err, &e) || errors.As(err, &code) || errors.As(err, &ext)
}

// What Open returns when it cannot open a database carries SQLite's
// message but none of its driver's errors.
func TestOpenErrorsAreNotDriverErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	require.NoError(t, os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 512), 0o600))
	b := backend()
	for name, path := range map[string]string{
		"a directory that does not exist": filepath.Join(dir, "nope", "trustgate.db"),
		"a file that is not a database":   garbage,
	} {
		_, err := Open(t.Context(), path, sqlstore.Options{})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), path, name)
		b.Opaque(t, err, name)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Open(ctx, filepath.Join(dir, "trustgate.db"), sqlstore.Options{})
	require.ErrorIs(t, err, context.Canceled)
	b.Opaque(t, err)
}
