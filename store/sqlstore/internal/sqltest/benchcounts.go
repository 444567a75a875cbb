package sqltest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/store/sqlstore"
)

// The 10M-deployment fixture: ten times the deployments and incidents of
// the 1M one over the same two years (one deployment every 6.29 s, ~13,700
// a day, 100,000 incidents), built, with its calibration buckets, once per
// run and only when a benchmark that reads it runs.
const (
	bench10MDeployments = 10_000_000
	bench10MIncidents   = 100_000
)

func (be Backend) fixture10M() (*Database, error) {
	return cached(be.Dialect, "deployments-10M", func() (*Database, error) {
		return be.buildFixture(bench10MDeployments, bench10MIncidents)
	})
}

// BenchIncidentCounts10M is BenchIncidentCounts on the 10M-deployment
// fixture.
func BenchIncidentCounts10M(b *testing.B, be Backend) { benchCounts(b, be.storeOn(b, be.fixture10M)) }

// bucketBackfill returns the statements of migration 0012 that build the
// calibration buckets from the rows a database holds: those after its
// "-- Backfill" comment, each ending in ";" at the end of a line.
func bucketBackfill(d sqlstore.Dialect) ([]string, error) {
	ms, err := sqlstore.Migrations(d)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Version != "0012_calibration_buckets" {
			continue
		}
		_, rest, ok := strings.Cut(m.SQL, "\n-- Backfill")
		if !ok {
			break
		}
		rest = "-- Backfill" + rest
		var stmts []string
		for _, st := range strings.Split(rest, ";\n") {
			if st = strings.TrimSpace(dropComments(st)); st != "" {
				stmts = append(stmts, st)
			}
		}
		return stmts, nil
	}
	return nil, fmt.Errorf("sqltest: migration 0012_calibration_buckets of %s has no backfill", d)
}

// dropComments removes the lines of s that are "--" comments.
func dropComments(s string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
