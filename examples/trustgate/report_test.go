package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportCountsTheFixturesDeploymentsAndIncident(t *testing.T) {
	fx := newSQLiteFixture(t)
	r := tg(t, fx.with("report", "-from", "2026-03-01T00:00:00Z", "-to", fx.now.Add(time.Second).Format(time.RFC3339), "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	var doc incident.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	// Two builds deployed (the third was blocked), one incident, linked to
	// the first deployment by its application.
	assert.EqualValues(t, 2, doc.Deployments)
	assert.EqualValues(t, 1, doc.Incidents)
	assert.Equal(t, "0.5", doc.IncidentRate.String())
	assert.EqualValues(t, 1, doc.BySeverity["P3"])
	var classDeployments, classIncidents, bandDeployments, bandIncidents int64
	for _, c := range doc.ByClass {
		classDeployments += c.Deployments
		classIncidents += c.Incidents
		if c.Incidents == 1 {
			assert.Equal(t, "0.5", c.Rate.String(), c.Class)
		}
	}
	for _, b := range doc.ByBand {
		bandDeployments += b.Deployments
		bandIncidents += b.Incidents
		assert.Equal(t, b.Band*10, b.Low)
	}
	assert.EqualValues(t, 2, classDeployments)
	assert.EqualValues(t, 1, classIncidents)
	assert.EqualValues(t, 2, bandDeployments)
	assert.EqualValues(t, 1, bandIncidents, "the incident counts in its deployment's band")
	assert.Len(t, doc.ByBand, 10)

	r = tg(t, fx.with("report", "-from", "2026-03-01", "-to", "2026-03-05")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "deployments 2, incidents 1, incident rate 0.5")
	assert.Contains(t, r.stdout, "by severity: P3 1")
	assert.Contains(t, r.stdout, "[90, 100]")
	assert.Regexp(t, `(?m)^ +class +deployments +incidents +rate$`, r.stdout, "a right-aligned table")

	t.Run("a period without deployments", func(t *testing.T) {
		r := tg(t, fx.with("report", "-from", "2025-01-01", "-to", "2025-02-01", "-json")...)
		require.Equal(t, exitOK, r.code)
		var doc incident.Report
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		assert.Zero(t, doc.Deployments)
		assert.Equal(t, "0", doc.IncidentRate.String())
	})
}

func TestReportUsage(t *testing.T) {
	fx := newSQLiteFixture(t)
	for name, args := range map[string][]string{
		"-from after -to": {"-from", "2026-03-02", "-to", "2026-03-01"},
		"a bad time":      {"-from", "yesterday"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, fx.with("report", args...)...)
			assert.Equal(t, exitUsage, r.code, "%s%s", r.stdout, r.stderr)
		})
	}
}

func TestReportWritesTheHTMLPage(t *testing.T) {
	fx := newSQLiteFixture(t)
	page := filepath.Join(t.TempDir(), "report.html")
	r := tg(t, fx.with("report", "-from", "2026-03-01", "-to", "2026-03-05", "-html", page)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "deployments 2, incidents 1", "the text report is printed as well")
	b, err := os.ReadFile(page)
	require.NoError(t, err)
	html := string(b)
	for _, chart := range []string{"rate-by-band", "rate-by-class", "maturity-ladder"} {
		assert.Contains(t, html, `data-chart="`+chart+`"`)
	}
	assert.Contains(t, html, `data-figure="deployments">2<`)
	assert.NotContains(t, html, "<script")

	r = tg(t, fx.with("report", "-from", "2026-03-01", "-to", "2026-03-05", "-html", filepath.Join(t.TempDir(), "missing", "r.html"))...)
	assert.Equal(t, exitRun, r.code, "a page that cannot be written: %s", r.stderr)
}
