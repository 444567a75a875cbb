package sqlstore

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3/driver"
)

// TestSQLitePlansUseTheirIndexes guards the query plans the performance
// budget rests on (see bench_test.go): SQLite must answer each query below
// by seeking the index named, never by scanning a table or sorting.
func TestSQLitePlansUseTheirIndexes(t *testing.T) {
	db, err := driver.Open("file:" + filepath.Join(t.TempDir(), "plan.db") + "?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := New(db, SQLite, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	const at = "2026-01-01T00:00:00.000000Z"
	for _, q := range []struct {
		name, query, want string
		args              []any
	}{
		{"counts per cell", countsQuery,
			"SEARCH d USING COVERING INDEX deployments_by_class_band (class=? AND risk_band=? AND finished_at>? AND finished_at<?)",
			[]any{at, at, at, at, at, at}},
		{"first deployment per cell", `WITH ` + cellsCTE + ` SELECT (SELECT MIN(d.finished_at) FROM deployments d
			WHERE d.class = c.class AND d.risk_band = b.band) FROM classes c CROSS JOIN bands b`,
			"SEARCH d USING COVERING INDEX deployments_by_class_band (class=? AND risk_band=?)", nil},
		{"attribution", `SELECT ` + deploymentColumns + ` FROM deployments WHERE application = ? AND finished_at < ?
			ORDER BY finished_at DESC, id DESC LIMIT 1`,
			"SEARCH deployments USING INDEX deployments_by_application (application=? AND finished_at<?)", []any{"a", at}},
		{"latest incident", `SELECT MAX(occurred_at) FROM incidents WHERE severity = ? AND occurred_at < ?`,
			"SEARCH incidents USING COVERING INDEX incidents_by_severity (severity=? AND occurred_at<?)", []any{"P1", at}},
		{"next page", `SELECT id FROM incidents WHERE (occurred_at, id) < (?, ?) ORDER BY occurred_at DESC, id DESC LIMIT 51`,
			"SEARCH incidents USING COVERING INDEX incidents_by_occurrence ((occurred_at,id)<(?,?))", []any{at, "x"}},
		{"requests page", `SELECT ` + requestColumns + ` FROM cab_requests WHERE created_at >= ? AND created_at < ?
			AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT 100`,
			"SEARCH cab_requests USING INDEX cab_requests_by_creation", []any{at, at, at, "x"}},
		{"first requests page", `SELECT ` + requestColumns + ` FROM cab_requests WHERE created_at >= ? AND created_at < ?
			ORDER BY created_at, id LIMIT 100`,
			"SEARCH cab_requests USING INDEX cab_requests_by_creation (created_at>? AND created_at<?)", []any{at, at}},
	} {
		rows, err := db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		_ = rows.Close()
		got := strings.Join(plan, "\n")
		if !strings.Contains(got, q.want) {
			t.Errorf("%s: the plan does not %s:\n%s", q.name, q.want, got)
		}
		for _, bad := range []string{"SCAN deployments", "SCAN cab_requests", "TEMP B-TREE FOR ORDER BY", "LAST TERM OF ORDER BY"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s: the plan has %q:\n%s", q.name, bad, got)
			}
		}
	}
}
