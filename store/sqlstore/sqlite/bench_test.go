package sqlite

import (
	"os"
	"testing"

	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
)

// The benchmarks of package sqltest on SQLite files opened as
// installations open them (Open: WAL, synchronous=NORMAL, one writer
// connection, a read-only pool):
//
//	go test -run '^$' -bench . -benchmem ./store/sqlstore/sqlite

func TestMain(m *testing.M) {
	code := m.Run()
	sqltest.RemoveFixtures()
	os.Exit(code)
}

// BenchmarkIncidentCountsSQLite: see sqltest.BenchIncidentCounts.
func BenchmarkIncidentCountsSQLite(b *testing.B) { sqltest.BenchIncidentCounts(b, backend()) }

// BenchmarkIncidentCounts10MSQLite: see sqltest.BenchIncidentCounts10M.
// Its fixture (10M deployments) is built only when it runs.
func BenchmarkIncidentCounts10MSQLite(b *testing.B) { sqltest.BenchIncidentCounts10M(b, backend()) }

// BenchmarkMaturityInputsSQLite: see sqltest.BenchMaturityInputs.
func BenchmarkMaturityInputsSQLite(b *testing.B) { sqltest.BenchMaturityInputs(b, backend()) }

// BenchmarkValidateDeploymentSQLite: see sqltest.BenchValidateDeployment.
func BenchmarkValidateDeploymentSQLite(b *testing.B) { sqltest.BenchValidateDeployment(b, backend()) }

// BenchmarkSubmitSQLite: see sqltest.BenchSubmit.
func BenchmarkSubmitSQLite(b *testing.B) { sqltest.BenchSubmit(b, backend()) }

// BenchmarkVerifyLogSQLite: see sqltest.BenchVerifyLog.
func BenchmarkVerifyLogSQLite(b *testing.B) { sqltest.BenchVerifyLog(b, backend()) }

// BenchmarkProveEventSQLite: see sqltest.BenchProveEvent.
func BenchmarkProveEventSQLite(b *testing.B) { sqltest.BenchProveEvent(b, backend()) }

// BenchmarkProveConsistencySQLite: see sqltest.BenchProveConsistency.
func BenchmarkProveConsistencySQLite(b *testing.B) { sqltest.BenchProveConsistency(b, backend()) }

// BenchmarkAppendAuditSQLite: see sqltest.BenchAppendAudit.
func BenchmarkAppendAuditSQLite(b *testing.B) { sqltest.BenchAppendAudit(b, backend()) }

// BenchmarkReadLogSQLite: see sqltest.BenchReadLog.
func BenchmarkReadLogSQLite(b *testing.B) { sqltest.BenchReadLog(b, backend()) }
