package sqlstore_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is an io.Writer safe for concurrent loggers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func appliedMigrations(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var vs []string
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

func TestMigrationsAreEmbeddedForEachDialect(t *testing.T) {
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.PostgreSQL} {
		ms, err := sqlstore.Migrations(d)
		require.NoError(t, err)
		require.NotEmpty(t, ms, d.String())
		assert.Equal(t, "0001_init", ms[0].Version)
		assert.Contains(t, ms[0].SQL, "CREATE TABLE audit_events")
	}
	_, err := sqlstore.Migrations(0)
	require.Error(t, err)
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		db := b.newPool(t)(t)
		var log lockedBuffer
		s, err := sqlstore.New(db, b.dialect, sqlstore.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		require.NoError(t, err)
		require.NoError(t, s.Migrate(t.Context()))
		first := appliedMigrations(t, db)
		var at1 time.Time
		require.NoError(t, db.QueryRowContext(t.Context(), `SELECT applied_at FROM schema_migrations`).Scan(anyTime{&at1}))

		require.NoError(t, s.Migrate(t.Context()))
		assert.Equal(t, first, appliedMigrations(t, db))
		var at2 time.Time
		require.NoError(t, db.QueryRowContext(t.Context(), `SELECT applied_at FROM schema_migrations`).Scan(anyTime{&at2}))
		assert.Equal(t, at1, at2, "the second run applies nothing")

		ms, err := sqlstore.Migrations(b.dialect)
		require.NoError(t, err)
		var want []string
		for _, m := range ms {
			want = append(want, m.Version)
		}
		assert.Equal(t, want, first, "schema_migrations records each file")
		assert.Equal(t, len(ms), strings.Count(log.String(), "applied migration"))
	})
}

func TestConcurrentMigrateAppliesEachMigrationOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		open := b.newPool(t)
		var log lockedBuffer
		logger := slog.New(slog.NewTextHandler(&log, nil))
		const n = 4
		pools := make([]*sql.DB, n)
		for i := range pools {
			pools[i] = open(t) // one pool each, as separate processes would have
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				s, err := sqlstore.New(pools[i], b.dialect, sqlstore.Options{Logger: logger})
				if err == nil {
					err = s.Migrate(t.Context())
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		ms, err := sqlstore.Migrations(b.dialect)
		require.NoError(t, err)
		assert.Len(t, appliedMigrations(t, pools[0]), len(ms))
		assert.Equal(t, len(ms), strings.Count(log.String(), "applied migration"), "each migration applied once:\n%s", log.String())
	})
}

// anyTime scans a timestamptz or a SQLite time text.
type anyTime struct{ t *time.Time }

func (a anyTime) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*a.t = v.UTC()
		return nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		*a.t = t
		return err
	}
	return nil
}
