package postgres

import (
	"os"
	"testing"

	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
)

// The benchmarks of package sqltest on fresh schemas of the PostgreSQL
// server in TRUSTGATE_TEST_POSTGRES_DSN; they skip without it:
//
//	source .ci/postgres.sh   # starts a throwaway server and sets the variable
//	go test -run '^$' -bench . -benchmem ./store/sqlstore/postgres

func TestMain(m *testing.M) {
	code := m.Run()
	sqltest.RemoveFixtures()
	os.Exit(code)
}

// BenchmarkIncidentCountsPostgres: see sqltest.BenchIncidentCounts.
func BenchmarkIncidentCountsPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchIncidentCounts(b, backend())
}

// BenchmarkMaturityInputsPostgres: see sqltest.BenchMaturityInputs.
func BenchmarkMaturityInputsPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchMaturityInputs(b, backend())
}

// BenchmarkValidateDeploymentPostgres: see sqltest.BenchValidateDeployment.
func BenchmarkValidateDeploymentPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchValidateDeployment(b, backend())
}

// BenchmarkSubmitPostgres: see sqltest.BenchSubmit.
func BenchmarkSubmitPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchSubmit(b, backend())
}
