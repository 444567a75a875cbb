package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evaluations counts the evaluations stored in the fixture's database.
func (fx *fixture) evaluations(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, fx.raw(t).QueryRowContext(t.Context(), `SELECT count(*) FROM maturity_evaluations`).Scan(&n))
	return n
}

func TestEvaluateDryRunStoresNothing(t *testing.T) {
	fx := newSQLiteFixture(t)
	before := fx.evaluations(t)
	r := tg(t, fx.with("evaluate", "-dry-run", "-now", "2026-03-03", "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	var doc evaluationDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	assert.Equal(t, uuid.Nil, doc.Evaluation.ID)
	assert.False(t, doc.Stored)
	assert.Equal(t, maturity.Baseline, doc.Evaluation.Level)
	assert.Equal(t, maturity.Progression, doc.Evaluation.Kind)
	assert.EqualValues(t, 2, doc.Evaluation.Deployments, "the period's deployments, recounted from the records")
	assert.EqualValues(t, 1, doc.Evaluation.Incidents)
	assert.False(t, doc.Evaluation.Ready, "two deployments are not enough to earn a level")
	require.NotEmpty(t, doc.Evaluation.Criteria)
	failed := 0
	for _, c := range doc.Evaluation.Criteria {
		if !c.Passed {
			failed++
		}
	}
	assert.Positive(t, failed)
	assert.Equal(t, before, fx.evaluations(t))

	r = tg(t, fx.with("evaluate", "-dry-run", "-now", "2026-03-03")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "maturity evaluation (dry run, nothing stored): progression, level 0 → 1, ready false")
	assert.Contains(t, r.stdout, "2 deployments, 1 incidents")
	assert.Contains(t, r.stdout, "min_deployments ≥ 100, actual 2: failed")
}

func TestEvaluateStoresTheEvaluation(t *testing.T) {
	fx := newSQLiteFixture(t)
	before := fx.evaluations(t)
	r := tg(t, fx.with("evaluate", "-service-key", fx.serviceKey, "-keyring", fx.keyring, "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	var doc evaluationDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	require.NotEqual(t, uuid.Nil, doc.Evaluation.ID)
	assert.True(t, doc.Stored)
	assert.Equal(t, before+1, fx.evaluations(t))
	r = tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub)...)
	assert.Equal(t, exitOK, r.code, "the database still verifies: %s%s", r.stdout, r.stderr)
}

func TestEvaluateUsage(t *testing.T) {
	fx := newSQLiteFixture(t)
	for name, args := range map[string][]string{
		"neither keys nor -dry-run": {},
		"a dry run with a key":      {"-dry-run", "-service-key", fx.serviceKey},
		"-now without -dry-run":     {"-service-key", fx.serviceKey, "-keyring", fx.keyring, "-now", "2026-03-03"},
		"a bad -now":                {"-dry-run", "-now", "soon"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, fx.with("evaluate", args...)...)
			assert.Equal(t, exitUsage, r.code, "%s%s", r.stdout, r.stderr)
		})
	}
}

// TestTheDryRunJudgesAsTheEngineDoes evaluates with the engine at a time
// and dry-runs at the same time: the same judgement, criterion by
// criterion.
func TestTheDryRunJudgesAsTheEngineDoes(t *testing.T) {
	fx := newSQLiteFixture(t)
	at := fx.now.Add(3 * 24 * time.Hour).Truncate(time.Second)
	r := tg(t, fx.with("evaluate", "-dry-run", "-now", at.Format(time.RFC3339), "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	var dry evaluationDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &dry))

	d, err := sqlite.Open(t.Context(), fx.db, sqlstore.Options{})
	require.NoError(t, err)
	defer func() { _ = d.Close() }()
	s, err := store.New(d, store.Options{})
	require.NoError(t, err)
	engine, err := maturity.NewEngine(s, maturity.Options{Service: fx.svc, Now: func() time.Time { return at }})
	require.NoError(t, err)
	ev, err := engine.Evaluate(t.Context())
	require.NoError(t, err)
	d2 := dry.Evaluation
	assert.Equal(t, ev.Kind, d2.Kind)
	assert.Equal(t, ev.Target, d2.Target)
	assert.Equal(t, ev.Ready, d2.Ready)
	assert.Equal(t, ev.Reason, d2.Reason)
	assert.Equal(t, ev.Deployments, d2.Deployments)
	assert.Equal(t, ev.Incidents, d2.Incidents)
	require.Len(t, d2.Criteria, len(ev.Criteria))
	for i, c := range ev.Criteria {
		assert.Equal(t, c.String(), d2.Criteria[i].String(), c.Name)
	}
}
