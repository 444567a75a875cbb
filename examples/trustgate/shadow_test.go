package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// candidateJSON is a valid candidate model that auto-approves every class
// but critical infrastructure at any score below 100.
func candidateJSON(t testing.TB) []byte {
	t.Helper()
	v := riskmodel.Version{Version: "9.0", Mode: riskmodel.Moderate, ExceptionThreshold: decimal.NewFromInt(100),
		EffectiveAt: parseRFC3339(t, "2026-03-01T00:00:00Z"), ReviewAt: parseRFC3339(t, "2026-06-01T00:00:00Z"),
		Thresholds: map[blastradius.Class]decimal.Decimal{}, Weights: riskmodel.DefaultWeights()}
	for _, c := range blastradius.Classes() {
		v.Thresholds[c] = decimal.NewFromInt(99)
	}
	v.Thresholds[blastradius.CriticalInfrastructure] = decimal.Zero
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestShadowListsTheDecisionsACandidateWouldChange(t *testing.T) {
	fx := newSQLiteFixture(t)
	path := filepath.Join(t.TempDir(), "candidate.json")
	require.NoError(t, os.WriteFile(path, candidateJSON(t), 0o644))
	r := tg(t, fx.with("shadow", "-model", path, "-from", "2026-03-01", "-to", "2026-03-03", "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	var doc shadowDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	assert.Equal(t, "9.0", doc.Candidate)
	assert.Equal(t, 3, doc.Requests)
	assert.Equal(t, 3, doc.Changed, "every submission went to review at level 0; the candidate approves them")
	assert.Equal(t, 3, doc.NewlyAutoApproved)
	assert.Equal(t, 1, doc.NewlyAutoApprovedWithIncidents, "the first deployment had an incident")
	require.Len(t, doc.Changes, 3)
	for _, c := range doc.Changes {
		assert.Equal(t, string(cab.AutoApproved), c.Would)
		assert.NotEqual(t, c.Was, c.Would)
	}

	r = tg(t, fx.with("shadow", "-model", path, "-from", "2026-03-01", "-to", "2026-03-03")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "3 submissions replayed")
	assert.Contains(t, r.stdout, "3 newly auto-approved (1 of them with incidents)")
	assert.Contains(t, r.stdout, fx.requests[0].CorrelationID)
}

func TestShadowRefusesABadModelFile(t *testing.T) {
	fx := newSQLiteFixture(t)
	path := filepath.Join(t.TempDir(), "candidate.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"version": "9.0", "weights": {"x": 1}}`), 0o644))
	r := tg(t, fx.with("shadow", "-model", path)...)
	assert.Equal(t, exitRun, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stderr, "-model "+path)
	r = tg(t, fx.with("shadow")...)
	assert.Equal(t, exitUsage, r.code)
}

func TestACandidateFileIsReadStrictly(t *testing.T) {
	good := string(candidateJSON(t))
	v, err := parseCandidate([]byte(good))
	require.NoError(t, err)
	assert.Equal(t, "9.0", v.Version)
	for name, tc := range map[string]struct{ file, field string }{
		"not JSON":             {"{", ""},
		"an unknown member":    {strings.Replace(good, `"version"`, `"quorum":1,"version"`, 1), ""},
		"trailing data":        {good + "{}", ""},
		"a number as decimal":  {strings.Replace(good, `"exception_threshold":"100"`, `"exception_threshold":100`, 1), ""},
		"a bad decimal":        {strings.Replace(good, `"exception_threshold":"100"`, `"exception_threshold":"lots"`, 1), "exception_threshold"},
		"a critical threshold": {strings.Replace(good, `"CRITICAL_INFRASTRUCTURE":"0"`, `"CRITICAL_INFRASTRUCTURE":"5"`, 1), "thresholds[CRITICAL_INFRASTRUCTURE]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseCandidate([]byte(tc.file))
			e := trustgate.AsError(err)
			require.NotNil(t, e, "accepted")
			assert.Equal(t, trustgate.Invalid, e.Code, err.Error())
			if tc.field != "" {
				assert.Equal(t, tc.field, e.Field, err.Error())
			}
		})
	}
}

func FuzzParseCandidate(f *testing.F) {
	f.Add(candidateJSON(f))
	f.Add([]byte(`{"version":"1","thresholds":{"A":"1e400"}}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseCandidate(b)
		if err != nil {
			if trustgate.AsError(err).Code != trustgate.Invalid {
				t.Fatalf("a refusal that is not Invalid: %v", err)
			}
			return
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("accepted a model that does not validate: %v", err)
		}
	})
}
