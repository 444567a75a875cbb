package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	"github.com/ncruces/go-sqlite3/driver"
)

// The benchmarks measure the reads behind maturity evaluation and the
// calibration report, the product requirement being under 100 ms each, on
// a fixture of 1,000,000 deployments spread evenly over two years (104
// weeks ending at benchNow, one every 62.9 s: a 4-week window holds ~38,500
// of them, a 12-week window ~115,400) and 10,000 incidents, each linked to
// a deployment and occurring up to 50 minutes after it (~385 in 4 weeks),
// 1% P1 and 3% P2. Each is measured over the windows the product uses and
// over a worst case, a window that covers every row.
//
// The fixture is bulk-loaded with set-based SQL (a recursive CTE on
// SQLite, generate_series on PostgreSQL), bypassing the store's write path
// and so its audit events: it is fixture data, not governance writes. Only
// the seed (classes, risk model, maturity state) goes through the store.
// Then the planner's statistics are refreshed (ANALYZE; VACUUM ANALYZE on
// PostgreSQL, which also sets the visibility map that index-only scans
// need). Each fixture is built once per benchmark run, the SQLite one in a
// temporary directory, the PostgreSQL one in a schema of its own, and both
// are removed when the run ends (TestMain).
//
// PostgreSQL runs when TRUSTGATE_TEST_POSTGRES_DSN is set:
//
//	go test -run '^$' -bench 'IncidentCounts|MaturityInputs' -benchmem -benchtime 20x ./store/sqlstore
const (
	benchDeployments = 1_000_000
	benchIncidents   = 10_000
	benchSpan        = 104 * maturity.Week
)

var benchNow = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)

// benchWindows are the periods measured: the maturity period, the
// calibration report's and the worst case.
var benchWindows = []struct {
	name string
	from time.Time
}{
	{"4weeks", benchNow.Add(-4 * maturity.Week)},
	{"12weeks", benchNow.Add(-12 * maturity.Week)},
	{"all", benchNow.Add(-benchSpan)},
}

// BenchmarkIncidentCounts is the calibration report's (and the maturity
// period's) aggregate query.
func BenchmarkIncidentCounts(b *testing.B) {
	forEachBenchBackend(b, func(b *testing.B, s store.Store) {
		for _, w := range benchWindows {
			b.Run(w.name, func(b *testing.B) {
				ctx := context.Background()
				var c incident.Counts
				var err error
				b.ReportAllocs()
				for b.Loop() {
					if c, err = s.IncidentCounts(ctx, w.from, benchNow); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(c.Deployments), "deployments")
				b.ReportMetric(float64(c.Incidents), "incidents")
			})
		}
	})
}

// BenchmarkMaturityInputs makes, in sequence, the store calls of one
// maturity evaluation (maturity.Engine.Evaluate): the current state and
// active model, the period's counts, the counts since the level was entered
// (the seed entered it two weeks ago, inside the period), the latest P1 or
// P2, and the first deployment (which the engine reads only when there has
// been no P1 or P2: included as the upper bound). "all" stretches the
// period over every row.
func BenchmarkMaturityInputs(b *testing.B) {
	forEachBenchBackend(b, func(b *testing.B, s store.Store) {
		for _, w := range []string{"4weeks", "all"} {
			from := benchNow.Add(-4 * maturity.Week)
			if w == "all" {
				from = benchNow.Add(-benchSpan)
			}
			b.Run(w, func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					state, err := s.MaturityState(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.ActiveRiskModel(ctx); err != nil {
						b.Fatal(err)
					}
					if _, err := s.IncidentCounts(ctx, from, benchNow); err != nil {
						b.Fatal(err)
					}
					if _, err := s.IncidentCounts(ctx, state.Since, benchNow); err != nil {
						b.Fatal(err)
					}
					if _, err := s.LatestIncidentAt(ctx, []incident.Severity{incident.P1, incident.P2}, benchNow); err != nil {
						b.Fatal(err)
					}
					if _, err := s.EarliestDeploymentAt(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// forEachBenchBackend runs fn as a sub-benchmark per backend on a store over
// that backend's fixture. PostgreSQL skips without
// TRUSTGATE_TEST_POSTGRES_DSN.
func forEachBenchBackend(b *testing.B, fn func(b *testing.B, s store.Store)) {
	b.Run("SQLite", func(b *testing.B) {
		path, err := sqliteFixture.get(buildSQLiteFixture)
		if err != nil {
			b.Fatal(err)
		}
		db, err := sqlite.Open(context.Background(), path, sqlstore.Options{Now: func() time.Time { return benchNow }})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		fn(b, db)
	})
	b.Run("PostgreSQL", func(b *testing.B) {
		if os.Getenv(postgresEnv) == "" {
			b.Skip(postgresEnv + " not set: skipping the PostgreSQL benchmarks (source .ci/postgres.sh to start a server)")
		}
		dsn, err := postgresFixture.get(buildPostgresFixture)
		if err != nil {
			b.Fatal(err)
		}
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = pool.Close() })
		s, err := sqlstore.New(pool, sqlstore.PostgreSQL, sqlstore.Options{Now: func() time.Time { return benchNow }})
		if err != nil {
			b.Fatal(err)
		}
		fn(b, s)
	})
}

// cachedFixture builds a fixture once per run and remembers how to remove
// it.
type cachedFixture struct {
	once    sync.Once
	where   string // the SQLite file, or the PostgreSQL DSN
	err     error
	cleanup func()
}

var sqliteFixture, postgresFixture cachedFixture

func (f *cachedFixture) get(build func() (string, func(), error)) (string, error) {
	f.once.Do(func() { f.where, f.cleanup, f.err = build() })
	return f.where, f.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range []*cachedFixture{&sqliteFixture, &postgresFixture} {
		if f.cleanup != nil {
			f.cleanup()
		}
	}
	os.Exit(code)
}

// The fixture's times, in microseconds since the Unix epoch.
var (
	benchStartMicros = benchNow.Add(-benchSpan).UnixMicro()
	benchStepMicros  = int64(benchSpan/time.Microsecond) / benchDeployments
)

// fixtureSQL fills in the constants of a fixture statement: %[1]d the
// start, %[2]d the step between deployments, %[3]d and %[4]d the numbers
// of deployments and incidents.
func fixtureSQL(stmt string) string {
	return fmt.Sprintf(stmt, benchStartMicros, benchStepMicros, benchDeployments, benchIncidents)
}

// The deployment of row i: class by i % 10 (10% critical infrastructure,
// 20% business critical, 30% productivity, 40% non-critical), one in three
// auto-approved (never critical infrastructure), a score in tenths spread
// over [0, 100] by a multiplicative hash, 200 applications. Incident i
// belongs to deployment 100i + 7.
const sqliteDeployments = `
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %[3]d - 1)
INSERT INTO deployments (id, application, class, auto_approved, risk_score, risk_band, model_version, finished_at, created_at)
SELECT printf('00000000-0000-4000-8000-%%012x', i), 'app-' || (i %% 200),
       CASE i %% 10 WHEN 0 THEN 'CRITICAL_INFRASTRUCTURE' WHEN 1 THEN 'BUSINESS_CRITICAL' WHEN 2 THEN 'BUSINESS_CRITICAL'
            WHEN 3 THEN 'PRODUCTIVITY_TOOLS' WHEN 4 THEN 'PRODUCTIVITY_TOOLS' WHEN 5 THEN 'PRODUCTIVITY_TOOLS'
            ELSE 'NON_CRITICAL' END,
       i %% 3 = 0 AND i %% 10 <> 0, printf('%%d.%%d', s / 10, s %% 10), min(s / 100, 9), '1.1', at, at
  FROM (SELECT i, (i * 7919) %% 1001 AS s,
               strftime('%%Y-%%m-%%dT%%H:%%M:%%S', (%[1]d + i * %[2]d) / 1000000, 'unixepoch')
               || printf('.%%06dZ', (%[1]d + i * %[2]d) %% 1000000) AS at
          FROM n)`

const sqliteIncidents = `
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %[4]d - 1)
INSERT INTO incidents (id, correlation_id, fingerprint, severity, occurred_at, application, deployment_id,
       attribution, was_auto_approved, risk_score_at_approval, blast_radius, affected_users, downtime_minutes,
       business_impact_usd, root_cause, resolution, was_preventable, preventability_notes, created_at, updated_at)
SELECT printf('00000000-0000-4000-9000-%%012x', x.i), 'bench-' || x.i, printf('%%064x', x.i),
       CASE WHEN x.i %% 100 = 0 THEN 'P1' WHEN x.i %% 25 = 0 THEN 'P2' WHEN x.i %% 3 = 0 THEN 'P3' ELSE 'P4' END,
       x.at, d.application, d.id, 'reported', d.auto_approved, d.risk_score, d.class, 10, 5, '100', '', '',
       CASE x.i %% 4 WHEN 0 THEN 1 WHEN 1 THEN 0 END, '', x.at, x.at
  FROM (SELECT i, strftime('%%Y-%%m-%%dT%%H:%%M:%%S', t / 1000000, 'unixepoch') || printf('.%%06dZ', t %% 1000000) AS at
          FROM (SELECT i, %[1]d + (i * 100 + 7) * %[2]d + (i %% 50 + 1) * 60000000 AS t FROM n)) AS x
  JOIN deployments d ON d.id = printf('00000000-0000-4000-8000-%%012x', x.i * 100 + 7)`

func buildSQLiteFixture() (string, func(), error) {
	dir, err := os.MkdirTemp("", "trustgate-bench-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	path := filepath.Join(dir, "fixture.db")
	if err := seedFixture(func(ctx context.Context) (store.Store, func() error, error) {
		db, err := sqlite.Open(ctx, path, sqlstore.Options{Now: func() time.Time { return benchNow }})
		if err != nil {
			return nil, nil, err
		}
		return db, db.Close, nil
	}); err != nil {
		cleanup()
		return "", nil, err
	}
	raw, err := driver.Open(sqlite.DSN(path, true))
	if err == nil {
		err = loadFixture(raw, fixtureSQL(sqliteDeployments), fixtureSQL(sqliteIncidents),
			`ANALYZE`, `PRAGMA wal_checkpoint(TRUNCATE)`)
		err = firstError(err, raw.Close())
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

const postgresDeployments = `
INSERT INTO deployments (id, application, class, auto_approved, risk_score, risk_band, model_version, finished_at, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'app-' || (i %% 200),
       CASE i %% 10 WHEN 0 THEN 'CRITICAL_INFRASTRUCTURE' WHEN 1 THEN 'BUSINESS_CRITICAL' WHEN 2 THEN 'BUSINESS_CRITICAL'
            WHEN 3 THEN 'PRODUCTIVITY_TOOLS' WHEN 4 THEN 'PRODUCTIVITY_TOOLS' WHEN 5 THEN 'PRODUCTIVITY_TOOLS'
            ELSE 'NON_CRITICAL' END,
       i %% 3 = 0 AND i %% 10 <> 0, round(s / 10.0, 1), LEAST(s / 100, 9), '1.1', at, at
  FROM (SELECT i, (i * 7919) %% 1001 AS s,
               timestamptz 'epoch' + (%[1]d + i * %[2]d) * interval '1 microsecond' AS at
          FROM generate_series(0::bigint, %[3]d - 1) AS i) AS x`

const postgresIncidents = `
INSERT INTO incidents (id, correlation_id, fingerprint, severity, occurred_at, application, deployment_id,
       attribution, was_auto_approved, risk_score_at_approval, blast_radius, affected_users, downtime_minutes,
       business_impact_usd, root_cause, resolution, was_preventable, preventability_notes, created_at, updated_at)
SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(x.i), 12, '0'))::uuid, 'bench-' || x.i, lpad(to_hex(x.i), 64, '0'),
       CASE WHEN x.i %% 100 = 0 THEN 'P1' WHEN x.i %% 25 = 0 THEN 'P2' WHEN x.i %% 3 = 0 THEN 'P3' ELSE 'P4' END,
       x.at, d.application, d.id, 'reported', d.auto_approved, d.risk_score, d.class, 10, 5, 100, '', '',
       CASE x.i %% 4 WHEN 0 THEN true WHEN 1 THEN false END, '', x.at, x.at
  FROM (SELECT i, timestamptz 'epoch'
                  + (%[1]d + (i * 100 + 7) * %[2]d + (i %% 50 + 1) * 60000000) * interval '1 microsecond' AS at
          FROM generate_series(0::bigint, %[4]d - 1) AS i) AS x
  JOIN deployments d ON d.id = ('00000000-0000-4000-8000-' || lpad(to_hex(x.i * 100 + 7), 12, '0'))::uuid`

func buildPostgresFixture() (string, func(), error) {
	base := os.Getenv(postgresEnv)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	defer func() { _ = admin.Close() }()
	var r [6]byte
	_, _ = rand.Read(r[:])
	schema := "tg_bench_" + hex.EncodeToString(r[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		return "", nil, err
	}
	cleanup := func() {
		if admin, err := sql.Open("pgx", base); err == nil {
			_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			_ = admin.Close()
		}
	}
	dsn, err := withSearchPath(base, schema)
	if err == nil {
		err = seedFixture(func(ctx context.Context) (store.Store, func() error, error) {
			pool, err := sql.Open("pgx", dsn)
			if err != nil {
				return nil, nil, err
			}
			s, err := sqlstore.New(pool, sqlstore.PostgreSQL, sqlstore.Options{Now: func() time.Time { return benchNow }})
			if err == nil {
				err = s.Migrate(ctx)
			}
			return s, pool.Close, err
		})
	}
	if err == nil {
		var raw *sql.DB
		if raw, err = sql.Open("pgx", dsn); err == nil {
			err = loadFixture(raw, fixtureSQL(postgresDeployments), fixtureSQL(postgresIncidents),
				`VACUUM ANALYZE deployments`, `VACUUM ANALYZE incidents`)
			err = firstError(err, raw.Close())
		}
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return dsn, cleanup, nil
}

// seedFixture seeds the store open returns through the store itself, as an
// installation is seeded, with level 0 entered two weeks before benchNow.
func seedFixture(open func(ctx context.Context) (store.Store, func() error, error)) error {
	ctx := context.Background()
	s, closeStore, err := open(ctx)
	if err == nil {
		err = store.Seed(ctx, s, benchNow.Add(-2*maturity.Week))
	}
	if closeStore != nil {
		err = firstError(err, closeStore())
	}
	return err
}

// loadFixture runs the fixture statements on db, outside the store.
func loadFixture(db *sql.DB, stmts ...string) error {
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("fixture: %v\n%s", err, stmt)
		}
	}
	return nil
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

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
