package sqlite

import (
	"testing"

	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
)

// TestAttacks performs issue 12's edits at rest on SQLite, triggers
// dropped: see sqltest.Attacks.
func TestAttacks(t *testing.T) { sqltest.Attacks(t, backend()) }

// BenchmarkAuthorizeSQLite: see sqltest.BenchAuthorize.
func BenchmarkAuthorizeSQLite(b *testing.B) { sqltest.BenchAuthorize(b, backend()) }
