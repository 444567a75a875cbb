package postgres

import (
	"testing"

	"github.com/buildworksai/trustgate/store/sqlstore/internal/sqltest"
)

// TestAttacks performs issue 12's edits at rest on PostgreSQL, triggers
// disabled: see sqltest.Attacks.
func TestAttacks(t *testing.T) { sqltest.Attacks(t, backend()) }

// BenchmarkAuthorizePostgres: see sqltest.BenchAuthorize.
func BenchmarkAuthorizePostgres(b *testing.B) { sqltest.BenchAuthorize(b, backend()) }
