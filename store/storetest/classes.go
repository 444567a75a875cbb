package storetest

import (
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
			requireInvalid(e.t, e.s.CreateClassDefinition(e.ctx(), d), "class")
			requireInvalid(e.t, e.s.CreateClassDefinition(e.ctx(), blastradius.Definition{Class: "MEH"}), "class")
			list, err := e.s.ListClassDefinitions(e.ctx())
			require.NoError(e.t, err)
			assert.Empty(e.t, list)
		},
		"CreateClassDefinitionRejectsAQuorumOrAutoApprovalTheClassDoesNotHave": func(e *env) {
			d := blastradius.Definitions()[0]
			d.Quorum = 1
			requireInvalid(e.t, e.s.CreateClassDefinition(e.ctx(), d), "quorum")
			d = blastradius.Definitions()[0]
			d.AutoApproveAllowed = true
			requireInvalid(e.t, e.s.CreateClassDefinition(e.ctx(), d), "auto_approve_allowed")
			_, err := e.s.ClassDefinition(e.ctx(), d.Class)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			d = blastradius.Definitions()[1] // one that allows auto-approval
			require.True(e.t, d.AutoApproveAllowed)
			d.AutoApproveAllowed = false
			requireInvalid(e.t, e.s.CreateClassDefinition(e.ctx(), d), "auto_approve_allowed")
			_, err = e.s.ClassDefinition(e.ctx(), d.Class)
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
			// Since, in another zone, has digits finer than any precision.
			want := maturity.State{Level: maturity.Baseline, Since: time.Date(2026, 2, 10, 10, 0, 0, 999, time.FixedZone("X", 7200)), ModelVersion: "1.1", Reason: "seed"}
			require.NoError(e.t, e.s.InitMaturityState(e.ctx(), want))
			got, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, want.Level, got.Level)
			assert.Equal(e.t, e.at(time.Date(2026, 2, 10, 8, 0, 0, 999, time.UTC)), got.Since)
			assert.Equal(e.t, "1.1", got.ModelVersion)
			assert.Equal(e.t, "seed", got.Reason)
		},
		"InitMaturityStateKeepsEveryFieldAtThePrecision": func(e *env) {
			st := maturity.State{Level: maturity.CautiousLevel, Since: Epoch.Add(time.Nanosecond), ModelVersion: "1.1", Reason: "test"}
			require.NoError(e.t, e.s.InitMaturityState(e.ctx(), st))
			require.ErrorIs(e.t, e.s.InitMaturityState(e.ctx(), st), store.ErrConflict)
			got, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			st.Since = e.at(Epoch)
			assert.Equal(e.t, st, got)
		},
		"InitMaturityStateReturnsErrConflictOnceSet": func(e *env) {
			require.NoError(e.t, e.s.InitMaturityState(e.ctx(), maturity.State{Level: maturity.Baseline, Since: Epoch}))
			require.ErrorIs(e.t, e.s.InitMaturityState(e.ctx(), maturity.State{Level: maturity.OptimizedLevel, Since: Epoch}), store.ErrConflict)
			got, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Baseline, got.Level)
		},
		"InitMaturityStateRejectsAnInvalidLevel": func(e *env) {
			for _, level := range []maturity.Level{5, 7, -1} {
				requireInvalid(e.t, e.s.InitMaturityState(e.ctx(), maturity.State{Level: level, Since: Epoch}), "level", "level %d", level)
			}
			_, err := e.s.MaturityState(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
	})
}
