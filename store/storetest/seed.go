package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (e *env) seed() {
	e.t.Helper()
	require.NoError(e.t, store.Seed(e.ctx(), e.s, e.clock.Now()))
}

func runSeed(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"SeedLoadsTheModelTheClassesAndLevelZero": func(e *env) {
			e.seed()
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assertSameVersion(e.t, e.asStored(riskmodel.Seed(Epoch)), active)
			defs, err := e.s.ListClassDefinitions(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, blastradius.Definitions(), defs)
			st, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Baseline, st.Level)
			assert.Equal(e.t, riskmodel.SeedVersion, st.ModelVersion)
			head, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(3), head.Size, "created, activated, seeded")
		},
		"SeedIsIdempotent": func(e *env) {
			e.seed()
			before, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			e.clock.Advance(48 * time.Hour)
			e.seed()
			after, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, before, after, "a second seed writes nothing")
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			require.Len(e.t, list, 1)
			assert.Equal(e.t, e.at(Epoch), list[0].EffectiveAt, "the seed model is not rewritten")
		},
		"SeedLeavesALaterActiveModelActive": func(e *env) {
			e.seed()
			e.create(candidate("2.0"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			e.seed()
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, "2.0", active.Version)
		},
		"ConcurrentSeedersLoadTheDataOnce": func(e *env) {
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() { errs <- store.Seed(e.ctx(), e.s, e.clock.Now()) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(e.t, err)
			}
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			assert.Len(e.t, list, 1)
			head, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(3), head.Size)
		},
	})
}
