package sqltest

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Migrations tests the dialect's migrations: running them twice applies
// nothing the second time, concurrent runs from separate pools (as
// separate processes would have) apply each migration once, and the schema
// they make holds what the store defines ([store.Tables]).
func Migrations(t *testing.T, b Backend) {
	t.Run("TwiceIsANoOp", func(t *testing.T) { migrateTwice(t, b) })
	t.Run("ConcurrentRunsApplyEachMigrationOnce", func(t *testing.T) { migrateConcurrently(t, b) })
	t.Run("AFailedMigrationChangesNothing", func(t *testing.T) { migrateFailing(t, b) })
	t.Run("SchemaMatchesTheStore", func(t *testing.T) { schemaMatchesTheStore(t, b) })
	t.Run("TheTreeIsBuiltForALogThatPredatesIt", func(t *testing.T) { treeBuiltLater(t, b) })
	t.Run("AnEditedTreeRowIsFound", func(t *testing.T) { treeRowEdited(t, b) })
	t.Run("TheLogIsVerifiedInPages", func(t *testing.T) { treeReadInPages(t, b) })
}

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

// applied returns schema_migrations, version by version, with when each
// was applied.
func applied(t *testing.T, db *sql.DB) [][2]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var out [][2]string
	for rows.Next() {
		var v [2]string
		require.NoError(t, rows.Scan(&v[0], &v[1]))
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	return out
}

func versions(t *testing.T, d sqlstore.Dialect) []string {
	t.Helper()
	ms, err := sqlstore.Migrations(d)
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Version
	}
	return out
}

func migrateTwice(t *testing.T, b Backend) {
	db := b.Pools(t)(t)
	var log lockedBuffer
	d, err := sqlstore.New(db, b.Dialect, sqlstore.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	require.NoError(t, d.Migrate(t.Context()))
	first := applied(t, db)
	var got []string
	for _, m := range first {
		got = append(got, m[0])
	}
	want := versions(t, b.Dialect)
	assert.Equal(t, want, got, "schema_migrations records each file")
	assert.Equal(t, len(want), strings.Count(log.String(), "applied migration"))

	require.NoError(t, d.Migrate(t.Context()))
	assert.Equal(t, first, applied(t, db), "the second run applies nothing, so no applied_at changes")
	assert.Equal(t, len(want), strings.Count(log.String(), "applied migration"), "the second run logs nothing:\n%s", log.String())
}

func migrateConcurrently(t *testing.T, b Backend) {
	open := b.Pools(t)
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
			d, err := sqlstore.New(pools[i], b.Dialect, sqlstore.Options{Logger: logger})
			if err == nil {
				err = d.Migrate(t.Context())
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	want := versions(t, b.Dialect)
	assert.Len(t, applied(t, pools[0]), len(want))
	assert.Equal(t, len(want), strings.Count(log.String(), "applied migration"), "each migration applied once:\n%s", log.String())
}

// A migration that fails is rolled back whole, its error says which one
// failed and carries no driver error, and the ones before it stay applied;
// once the cause is gone, Migrate picks up where it stopped.
func migrateFailing(t *testing.T, b Backend) {
	ctx := t.Context()
	db := b.Pools(t)(t)
	d, err := sqlstore.New(db, b.Dialect, sqlstore.Options{})
	require.NoError(t, err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = d.Migrate(cancelled)
	require.ErrorIs(t, err, context.Canceled)
	b.Opaque(t, err)

	// A table in the way of one that 0003_outcomes creates after others.
	_, err = db.ExecContext(ctx, `CREATE TABLE maturity_evaluations (x INTEGER)`)
	require.NoError(t, err)
	err = d.Migrate(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "0003_outcomes")
	b.Opaque(t, err)
	var got []string
	for _, m := range applied(t, db) {
		got = append(got, m[0])
	}
	assert.Equal(t, []string{"0001_init", "0002_evidence"}, got)
	exists := `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'deployments'`
	if b.Dialect == sqlstore.PostgreSQL {
		exists = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'deployments'`
	}
	var n int
	require.NoError(t, db.QueryRowContext(ctx, exists).Scan(&n))
	assert.Zero(t, n, "what the failed migration created before it failed is rolled back")

	_, err = db.ExecContext(ctx, `DROP TABLE maturity_evaluations`)
	require.NoError(t, err)
	require.NoError(t, d.Migrate(ctx))
	assert.Len(t, applied(t, db), len(versions(t, b.Dialect)))
}

// column is a column of the migrated schema, as the catalog describes it.
type column struct {
	typ     string // the declared type, lower case
	notNull bool
}

// catalog is what the migrated schema holds: each table's columns, its
// primary key and its unique keys other than partial ones.
type catalog struct {
	columns map[string]map[string]column // table: column: …
	key     map[string][]string          // table: primary key columns, in order
	unique  map[string][][]string        // table: unique keys, each its columns in order
	strict  map[string]bool              // table: a STRICT table (SQLite)
}

// typesFor lists, for each driver type, the declared column types that
// hold every value of it exactly. SQLite's are STRICT types, which refuse
// values of any other type.
var typesFor = map[sqlstore.Dialect]map[driver.Type][]string{
	sqlstore.SQLite: {
		driver.Text:    {"text"},
		driver.Int:     {"integer"},
		driver.Bool:    {"integer"}, // 0 or 1, by a CHECK
		driver.Bytes:   {"blob"},
		driver.Decimal: {"text"}, // the decimal's exact text
		driver.Time:    {"text"}, // fixed-width UTC text, microseconds
		driver.UUID:    {"text"}, // canonical lower-case text
	},
	sqlstore.PostgreSQL: {
		driver.Text:    {"text"},
		driver.Int:     {"bigint"},
		driver.Bool:    {"boolean"},
		driver.Bytes:   {"bytea"},
		driver.Decimal: {"numeric"},
		driver.Time:    {"timestamp with time zone"},
		driver.UUID:    {"uuid"},
	},
}

// smallInts are the Int columns that PostgreSQL may keep as integer
// rather than bigint, because the store's values there are bounded far
// below 2³¹: a level (0–4), a quorum (a class's, at most a handful), a
// risk band (0–9), a criterion's position (a handful) and the one row's id.
var smallInts = map[string]bool{
	"maturity_state.id": true, "maturity_state.level": true,
	"class_definitions.quorum": true, "cab_requests.quorum": true,
	"deployments.risk_band":      true,
	"maturity_evaluations.level": true, "maturity_evaluations.target": true,
	"evaluation_criteria.position": true,
}

func schemaMatchesTheStore(t *testing.T, b Backend) {
	d := b.New(t)
	db := b.Raw(t, d)
	cat := readCatalog(t, b, db)
	tables := store.Tables()
	names := []string{"schema_migrations"}
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	assert.ElementsMatch(t, names, slices.Collect(maps.Keys(cat.columns)),
		"the schema has the store's tables and schema_migrations, no other")

	for _, tb := range tables {
		cols, ok := cat.columns[tb.Name]
		if !assert.True(t, ok, "table %s is missing", tb.Name) {
			continue
		}
		if b.Dialect == sqlstore.SQLite {
			assert.True(t, cat.strict[tb.Name], "%s is a STRICT table, so that its column types hold", tb.Name)
		}
		var defined []string
		for _, c := range tb.Columns {
			defined = append(defined, c.Name)
			got, ok := cols[c.Name]
			if !assert.True(t, ok, "column %s.%s is missing", tb.Name, c.Name) {
				continue
			}
			want := typesFor[b.Dialect][c.Type]
			if b.Dialect == sqlstore.PostgreSQL && c.Type == driver.Int && smallInts[tb.Name+"."+c.Name] {
				want = append(want, "integer")
			}
			assert.Contains(t, want, got.typ, "column %s.%s (%s) is %s", tb.Name, c.Name, c.Type, got.typ)
			assert.Equal(t, !c.Null, got.notNull, "column %s.%s: NOT NULL exactly when the store's column is not nullable", tb.Name, c.Name)
		}
		assert.ElementsMatch(t, defined, slices.Collect(maps.Keys(cols)), "table %s has the store's columns, no other", tb.Name)
		// Insert's ON CONFLICT DO NOTHING tells a duplicate key from
		// anything else only if each key the store defines is a unique
		// constraint of the database, and no other is.
		assert.Equal(t, tb.Key, cat.key[tb.Name], "the primary key of %s", tb.Name)
		assert.ElementsMatch(t, tb.Unique, cat.unique[tb.Name], "the unique keys of %s", tb.Name)
	}
}

// readCatalog reads the schema of db.
func readCatalog(t *testing.T, b Backend, db *sql.DB) catalog {
	t.Helper()
	cat := catalog{columns: map[string]map[string]column{}, key: map[string][]string{},
		unique: map[string][][]string{}, strict: map[string]bool{}}
	query := func(q string, args []any, fn func(rows *sql.Rows) error) {
		t.Helper()
		rows, err := db.QueryContext(t.Context(), q, args...)
		require.NoError(t, err, q)
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			require.NoError(t, fn(rows), q)
		}
		require.NoError(t, rows.Err(), q)
	}
	var tables []string
	switch b.Dialect {
	case sqlstore.SQLite:
		query(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
			AND name NOT LIKE 'sqlite_%' ORDER BY name`, nil, func(rows *sql.Rows) error {
			var name string
			var strict bool
			err := rows.Scan(&name, &strict)
			tables, cat.strict[name] = append(tables, name), strict
			return err
		})
		for _, tb := range tables {
			cat.columns[tb] = map[string]column{}
			pk := map[int]string{}
			query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, []any{tb}, func(rows *sql.Rows) error {
				var name, typ string
				var notNull bool
				var pos int
				err := rows.Scan(&name, &typ, &notNull, &pos)
				cat.columns[tb][name] = column{typ: strings.ToLower(typ), notNull: notNull}
				if pos > 0 {
					pk[pos] = name
				}
				return err
			})
			for i := 1; i <= len(pk); i++ {
				cat.key[tb] = append(cat.key[tb], pk[i])
			}
			var indexes []string
			query(`SELECT name FROM pragma_index_list(?) WHERE "unique" AND NOT partial AND origin <> 'pk'`, []any{tb},
				func(rows *sql.Rows) error {
					var name string
					err := rows.Scan(&name)
					indexes = append(indexes, name)
					return err
				})
			for _, ix := range indexes {
				var cols []string
				query(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, []any{ix}, func(rows *sql.Rows) error {
					var name string
					err := rows.Scan(&name)
					cols = append(cols, name)
					return err
				})
				cat.unique[tb] = append(cat.unique[tb], cols)
			}
		}
	case sqlstore.PostgreSQL:
		query(`SELECT table_name, column_name, data_type, is_nullable = 'NO' FROM information_schema.columns
			WHERE table_schema = current_schema()`, nil, func(rows *sql.Rows) error {
			var tb, name, typ string
			var notNull bool
			err := rows.Scan(&tb, &name, &typ, &notNull)
			if cat.columns[tb] == nil {
				cat.columns[tb] = map[string]column{}
			}
			cat.columns[tb][name] = column{typ: typ, notNull: notNull}
			return err
		})
		// Every unique index that is neither partial nor on an expression,
		// primary keys included, with its columns in order.
		query(`SELECT c.relname, i.indisprimary,
			       (SELECT string_agg(a.attname, ',' ORDER BY k.n)
			          FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
			          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
			  FROM pg_index i
			  JOIN pg_class c ON c.oid = i.indrelid
			  JOIN pg_namespace s ON s.oid = c.relnamespace
			 WHERE s.nspname = current_schema() AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`, nil,
			func(rows *sql.Rows) error {
				var tb, cols string
				var primary bool
				err := rows.Scan(&tb, &primary, &cols)
				if primary {
					cat.key[tb] = strings.Split(cols, ",")
				} else {
					cat.unique[tb] = append(cat.unique[tb], strings.Split(cols, ","))
				}
				return err
			})
	default:
		t.Fatalf("sqltest: unknown dialect %v", b.Dialect)
	}
	if len(cat.columns) == 0 {
		t.Fatalf("sqltest: the %s catalog lists no table", b.Name)
	}
	return cat
}
