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

// BenchmarkVerifyLogPostgres: see sqltest.BenchVerifyLog.
func BenchmarkVerifyLogPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchVerifyLog(b, backend())
}

// BenchmarkProveEventPostgres: see sqltest.BenchProveEvent.
func BenchmarkProveEventPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchProveEvent(b, backend())
}

// BenchmarkProveConsistencyPostgres: see sqltest.BenchProveConsistency.
func BenchmarkProveConsistencyPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchProveConsistency(b, backend())
}

// BenchmarkAppendAuditPostgres: see sqltest.BenchAppendAudit.
func BenchmarkAppendAuditPostgres(b *testing.B) {
	requireServer(b)
	sqltest.BenchAppendAudit(b, backend())
}
