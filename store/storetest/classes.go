package storetest

import (
	"github.com/buildworksai/trustgate"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runClasses(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"CreateClassDefinitionStoresEveryField": func(e *env) {
			for _, d := range blastradius.Definitions() {
				require.NoError(e.t, e.s.CreateClassDefinition(e.ctx(), d))
			}
			for _, want := range blastradius.Definitions() {
				got, err := e.s.ClassDefinition(e.ctx(), want.Class)
				require.NoError(e.t, err)
				assert.Equal(e.t, want, got)
			}
		},
		"ListClassDefinitionsReturnsTheMostSevereFirst": func(e *env) {
			defs := blastradius.Definitions()
			for i := len(defs) - 1; i >= 0; i-- {
				require.NoError(e.t, e.s.CreateClassDefinition(e.ctx(), defs[i]))
			}
			got, err := e.s.ListClassDefinitions(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, defs, got)
		},
		"CreateClassDefinitionReturnsErrConflictForAStoredClass": func(e *env) {
			d := blastradius.Definitions()[0]
			require.NoError(e.t, e.s.CreateClassDefinition(e.ctx(), d))
			d.Description = "rewritten"
			require.ErrorIs(e.t, e.s.CreateClassDefinition(e.ctx(), d), store.ErrConflict)
			got, err := e.s.ClassDefinition(e.ctx(), d.Class)
			require.NoError(e.t, err)
			assert.NotEqual(e.t, "rewritten", got.Description)
		},
		"CreateClassDefinitionRejectsAnUnknownClass": func(e *env) {
			d := blastradius.Definitions()[3]
			d.Class = "MISSION_CRITICAL"
			requireCode(e.t, e.s.CreateClassDefinition(e.ctx(), d), trustgate.Invalid)
		},
		"CreateClassDefinitionRejectsAQuorumOrAutoApprovalTheClassDoesNotHave": func(e *env) {
			d := blastradius.Definitions()[0]
			d.Quorum = 1
			requireCode(e.t, e.s.CreateClassDefinition(e.ctx(), d), trustgate.Invalid)
			d = blastradius.Definitions()[0]
			d.AutoApproveAllowed = true
			requireCode(e.t, e.s.CreateClassDefinition(e.ctx(), d), trustgate.Invalid)
			_, err := e.s.ClassDefinition(e.ctx(), d.Class)
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ReturnedDefinitionsAreCopies": func(e *env) {
			d := blastradius.Definitions()[2]
			require.NoError(e.t, e.s.CreateClassDefinition(e.ctx(), d))
			d.Examples[0] = "changed by caller"
			got, err := e.s.ClassDefinition(e.ctx(), d.Class)
			require.NoError(e.t, err)
			got.Examples[0] = "changed again"
			again, err := e.s.ClassDefinition(e.ctx(), d.Class)
			require.NoError(e.t, err)
			assert.Equal(e.t, blastradius.Definitions()[2].Examples, again.Examples)
		},
		"ClassDefinitionReturnsErrNotFoundForAnUnstoredClass": func(e *env) {
			_, err := e.s.ClassDefinition(e.ctx(), blastradius.NonCritical)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.ClassDefinition(e.ctx(), "NOT_A_CLASS")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
	})
}

func runMaturity(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"MaturityStateReturnsErrNotFoundBeforeInit": func(e *env) {
			_, err := e.s.MaturityState(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"InitMaturityStateStoresTheState": func(e *env) {
			want := maturity.State{Level: maturity.Baseline, Since: time.Date(2026, 2, 10, 10, 0, 0, 999, time.FixedZone("X", 7200)), ModelVersion: "1.1", Reason: "seed"}
			require.NoError(e.t, e.s.InitMaturityState(e.ctx(), want))
			got, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, want.Level, got.Level)
			assert.Equal(e.t, time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC), got.Since)
			assert.Equal(e.t, "1.1", got.ModelVersion)
			assert.Equal(e.t, "seed", got.Reason)
		},
		"InitMaturityStateReturnsErrConflictOnceSet": func(e *env) {
			require.NoError(e.t, e.s.InitMaturityState(e.ctx(), maturity.State{Level: maturity.Baseline, Since: Epoch}))
			require.ErrorIs(e.t, e.s.InitMaturityState(e.ctx(), maturity.State{Level: maturity.OptimizedLevel, Since: Epoch}), store.ErrConflict)
			got, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Baseline, got.Level)
		},
		"InitMaturityStateRejectsAnInvalidLevel": func(e *env) {
			requireCode(e.t, e.s.InitMaturityState(e.ctx(), maturity.State{Level: 5, Since: Epoch}), trustgate.Invalid)
			requireCode(e.t, e.s.InitMaturityState(e.ctx(), maturity.State{Level: -1, Since: Epoch}), trustgate.Invalid)
			_, err := e.s.MaturityState(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
	})
}
