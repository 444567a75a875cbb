package sqlstore_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The migrations are embedded for each dialect, in order, one series of
// versions for both; that they make the schema the store needs is tested
// on each database (sqltest.Migrations).
func TestMigrationsAreEmbeddedForEachDialect(t *testing.T) {
	name := regexp.MustCompile(`^[0-9]{4}_[a-z_]+$`)
	var series [][]string
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.PostgreSQL} {
		ms, err := sqlstore.Migrations(d)
		require.NoError(t, err)
		require.NotEmpty(t, ms, d.String())
		assert.Equal(t, "0001_init", ms[0].Version)
		assert.Contains(t, ms[0].SQL, "CREATE TABLE audit_events")
		var versions []string
		all := ""
		for i, m := range ms {
			assert.Regexp(t, name, m.Version, d.String())
			if i > 0 {
				assert.Less(t, ms[i-1].Version, m.Version, "%s: applied in name order", d)
				assert.NotEqual(t, ms[i-1].Version[:4], m.Version[:4], "%s: one migration per number", d)
			}
			assert.NotEmpty(t, strings.TrimSpace(m.SQL), "%s %s", d, m.Version)
			versions = append(versions, m.Version)
			all += m.SQL
		}
		series = append(series, versions)
		for _, tb := range store.Tables() {
			assert.Contains(t, all, "CREATE TABLE "+tb.Name+" (", "%s: a migration creates %s", d, tb.Name)
		}
		assert.Contains(t, all, "CREATE INDEX deployments_by_finish ON deployments (finished_at)",
			"%s: EarliestDeploymentAt's index", d)
		assert.Contains(t, all, "CREATE INDEX audit_events_by_subject ON audit_events (subject, seq)",
			"%s: the index ListSubjectEvents and LatestEvent read", d)
	}
	assert.Equal(t, series[0], series[1], "both dialects have the same series of migrations")
	_, err := sqlstore.Migrations(0)
	require.Error(t, err)
}
