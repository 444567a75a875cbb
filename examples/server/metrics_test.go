package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape fetches /metrics and returns the value of each sample, keyed by
// its name and labels as the text format writes them.
func scrape(t *testing.T, e *testEnv, token string) map[string]float64 {
	t.Helper()
	r := e.do(call{method: "GET", path: "/metrics", token: token})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4"), r.Header.Get("Content-Type"))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(r.Body)))
	require.NoError(t, err)
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				key += "|" + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestMetricsCountDecisionsValidationsApprovalsAndLatency(t *testing.T) {
	e := newTestEnv(t)
	req := e.submit(tokSubmitter, "m-1", "10", "PRODUCTIVITY_TOOLS")
	again := e.do(call{method: "POST", path: "/api/v1/cab/requests", token: tokSubmitter, body: submitBody("m-1", req.EvidenceID, "10", "PRODUCTIVITY_TOOLS")})
	ok[requestDTO](t, again, http.StatusOK) // the same submission again decides nothing
	ok[requestDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/approve", token: tokCAB}), http.StatusOK)
	e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/approve", token: tokCAB}) // 409: not counted
	ev := e.uploadEvidence("m-ev")
	validate := func(content string) {
		e.do(call{method: "POST", path: "/api/v1/evidence/" + ev.ID + "/validate", token: tokSubmitter, body: map[string]string{
			"artifact_name": zoom.name, "artifact_sha256": digestOf(content), "sbom_sha256": digestOf(zoomSBOM)}})
	}
	validate(zoom.content)
	validate("swapped bytes")
	e.do(call{method: "GET", path: "/no/such/" + req.ID})

	m := scrape(t, e, "")
	assert.Equal(t, 1.0, m["trustgate_decisions_total|class=PRODUCTIVITY_TOOLS|outcome="+string(req.Decision.Outcome)], "%v", m)
	assert.Equal(t, 1.0, m["trustgate_approvals_total|kind=request"])
	assert.Equal(t, 1.0, m["trustgate_validations_total|reason=PASSED"])
	assert.Equal(t, 1.0, m["trustgate_validations_total|reason=ARTIFACT_HASH_MISMATCH"], "%v", m)
	assert.Equal(t, 2.0, m["trustgate_http_request_duration_seconds|route=POST /api/v1/cab/requests/{id}/approve|status=200"]+
		m["trustgate_http_request_duration_seconds|route=POST /api/v1/cab/requests/{id}/approve|status=409"])
	assert.Equal(t, 1.0, m["trustgate_http_request_duration_seconds|route=unmatched|status=404"])
	for k := range m {
		assert.NotContains(t, k, req.ID, "a raw path in a label")
	}
	assert.Contains(t, m, "go_memstats_mallocs_total", "the Go collector is registered")
}

func TestMetricsTokenOption(t *testing.T) {
	e := newTestEnv(t, func(d *deps) { d.MetricsAuth = true })
	requireProblem(t, e.do(call{method: "GET", path: "/metrics"}), http.StatusUnauthorized, codeUnauthenticated)
	scrape(t, e, tokReporter)
}

func TestEachServerHasItsOwnRegistry(t *testing.T) {
	a, b := newTestEnv(t), newTestEnv(t)
	a.submit(tokSubmitter, "own-1", "10", "PRODUCTIVITY_TOOLS")
	for k, v := range scrape(t, b, "") {
		if strings.HasPrefix(k, "trustgate_decisions_total") {
			assert.Zero(t, v, k)
		}
	}
}
