package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (e *env) seed() {
	e.t.Helper()
	require.NoError(e.t, store.Seed(e.ctx(), e.s, e.svc(), e.clock.Now()))
}

func runSeed(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"SeedLoadsTheModelTheClassesAndLevelZero": func(e *env) {
			e.seed()
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			want := riskmodel.Seed(Epoch)
			want.CreatedBy = attest.NormalizeName(store.SeedActor)
			payload, err := want.LadderPayload(int(maturity.Baseline), "seed: greenfield baseline")
			require.NoError(e.t, err)
			want.Signoffs = []riskmodel.Signoff{{By: riskmodel.LadderSigner, At: Epoch, Envelope: e.seal(payload)}}
			assertSameVersion(e.t, e.asStored(want), active)
			defs, err := e.s.ListClassDefinitions(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, blastradius.Definitions(), defs)
			st, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Baseline, st.Level)
			assert.Equal(e.t, riskmodel.SeedVersion, st.ModelVersion)
			assert.Equal(e.t, maturity.Kind(""), st.Kind, "the baseline is entered without a transition")
			assert.Empty(e.t, st.Approvals)

			// What the seed signed verifies as stored: the model carries the
			// ladder's level 0 thresholds, and the state is the level in force.
			h, err := cab.VerifyModel(&active, e.keys(), maturity.Levels(), st.Level)
			require.NoError(e.t, err)
			want0, err := want.ContentHash()
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Digest(want0), h, "the seed model's content hash, before and after storing")
			require.NoError(e.t, maturity.VerifyState(&st, e.keys(), len(maturity.Levels())))
			other := e.svcIn(attest.MemberSigned).Keys()
			require.NoError(e.t, maturity.VerifyState(&st, other, len(maturity.Levels())), "the service key signs the seed in every mode")
			_, err = cab.VerifyModel(&active, other, maturity.Levels(), st.Level)
			require.NoError(e.t, err)
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
			svc := e.svc()
			for range 8 {
				wg.Go(func() { errs <- store.Seed(e.ctx(), e.s, svc, e.clock.Now()) })
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
