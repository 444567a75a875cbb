package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endpointCase is a request to one endpoint and a token whose roles do not
// allow it.
type endpointCase struct {
	pattern   string
	path      string
	wrongRole string
}

// endpointCases lists every endpoint; TestEveryEndpointIsListed keeps it
// complete.
func endpointCases() []endpointCase {
	id := uuid.NewString()
	return []endpointCase{
		{"POST /api/v1/incidents", "/api/v1/incidents", tokSubmitter},
		{"GET /api/v1/incidents", "/api/v1/incidents", tokSubmitter},
		{"GET /api/v1/incidents/{id}", "/api/v1/incidents/" + id, tokSubmitter},
		{"PATCH /api/v1/incidents/{id}", "/api/v1/incidents/" + id, tokCAB},
		{"GET /api/v1/maturity/status", "/api/v1/maturity/status", tokSubmitter},
		{"POST /api/v1/maturity/evaluate", "/api/v1/maturity/evaluate", tokReporter},
		{"GET /api/v1/maturity/evaluations", "/api/v1/maturity/evaluations", tokSubmitter},
		{"GET /api/v1/maturity/evaluations/{id}", "/api/v1/maturity/evaluations/" + id, tokReporter},
		{"GET /api/v1/maturity/evaluations/{id}/approval-statement", "/api/v1/maturity/evaluations/" + id + "/approval-statement", tokSubmitter},
		{"POST /api/v1/maturity/evaluations/{id}/approve", "/api/v1/maturity/evaluations/" + id + "/approve", tokSubmitter},
		{"POST /api/v1/blast-radius/classify", "/api/v1/blast-radius/classify", tokReporter},
		{"GET /api/v1/blast-radius/classes", "/api/v1/blast-radius/classes", tokReporter},
		{"GET /api/v1/risk-models", "/api/v1/risk-models", tokReporter},
		{"POST /api/v1/risk-models", "/api/v1/risk-models", tokSubmitter},
		{"GET /api/v1/risk-models/active", "/api/v1/risk-models/active", tokReporter},
		{"GET /api/v1/risk-models/{version}", "/api/v1/risk-models/1.1", tokReporter},
		{"GET /api/v1/risk-models/{version}/approval-statement", "/api/v1/risk-models/1.1/approval-statement", tokSubmitter},
		{"POST /api/v1/risk-models/{version}/approve", "/api/v1/risk-models/1.1/approve", tokSubmitter},
		{"POST /api/v1/risk-models/{version}/activate", "/api/v1/risk-models/1.1/activate", tokSubmitter},
		{"POST /api/v1/evidence", "/api/v1/evidence", tokCAB},
		{"GET /api/v1/evidence/{correlation_id}", "/api/v1/evidence/build-1", tokReporter},
		{"POST /api/v1/evidence/{id}/validate", "/api/v1/evidence/" + id + "/validate", tokCAB},
		{"POST /api/v1/cab/requests", "/api/v1/cab/requests", tokCAB},
		{"GET /api/v1/cab/requests/{id}", "/api/v1/cab/requests/" + id, tokReporter},
		{"GET /api/v1/cab/requests/{id}/approval-statement", "/api/v1/cab/requests/" + id + "/approval-statement", tokReporter},
		{"POST /api/v1/cab/requests/{id}/approve", "/api/v1/cab/requests/" + id + "/approve", tokSubmitter},
		{"POST /api/v1/cab/requests/{id}/reject", "/api/v1/cab/requests/" + id + "/reject", tokSubmitter},
		{"POST /api/v1/cab/requests/{id}/exception", "/api/v1/cab/requests/" + id + "/exception", tokCAB},
		{"POST /api/v1/cab/requests/{id}/exception/approve", "/api/v1/cab/requests/" + id + "/exception/approve", tokSubmitter},
		{"POST /api/v1/cab/requests/{id}/deployments", "/api/v1/cab/requests/" + id + "/deployments", tokReporter},
		{"GET /api/v1/cab/requests/{id}/receipt", "/api/v1/cab/requests/" + id + "/receipt", tokReporter},
		{"GET /api/v1/audit/checkpoint", "/api/v1/audit/checkpoint", tokSubmitter},
		{"GET /api/v1/audit/events/{seq}/proof", "/api/v1/audit/events/1/proof", tokSubmitter},
		{"GET /api/v1/audit/events/{seq}/receipt", "/api/v1/audit/events/1/receipt", tokReporter},
		{"POST /api/v1/audit/consistency", "/api/v1/audit/consistency", tokReporter},
	}
}

func TestEveryEndpointIsListed(t *testing.T) {
	e := newTestEnv(t)
	listed := map[string]bool{}
	for _, c := range endpointCases() {
		listed[c.pattern] = true
	}
	for _, rt := range e.srv.routeTable() {
		assert.True(t, listed[rt.pattern], "no test case for %s", rt.pattern)
	}
	assert.Len(t, listed, len(e.srv.routeTable()))
}

// TestEveryEndpointAuthenticates: for every endpoint, no token and an
// unknown token are 401 with a Bearer challenge, and a principal without
// the endpoint's role is 403.
func TestEveryEndpointAuthenticates(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, c := range endpointCases() {
		method, _, _ := strings.Cut(c.pattern, " ")
		t.Run(c.pattern, func(t *testing.T) {
			body := "{}"
			r := e.do(call{method: method, path: c.path, body: body})
			requireProblem(t, r, http.StatusUnauthorized, codeUnauthenticated)
			assert.Equal(t, `Bearer realm="trustgate"`, r.Header.Get("WWW-Authenticate"))

			r = e.do(call{method: method, path: c.path, token: tokUnknown, body: body})
			requireProblem(t, r, http.StatusUnauthorized, codeUnauthenticated)
			assert.Equal(t, `Bearer realm="trustgate", error="invalid_token"`, r.Header.Get("WWW-Authenticate"))

			r = e.do(call{method: method, path: c.path, body: body, header: map[string]string{"Authorization": "Basic YWxpY2U6cHc="}})
			requireProblem(t, r, http.StatusUnauthorized, codeUnauthenticated)

			r = e.do(call{method: method, path: c.path, token: c.wrongRole, body: body})
			requireProblem(t, r, http.StatusForbidden, codeForbidden)
		})
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(call{method: "GET", path: "/api/v1/risk-models/active", header: map[string]string{"Authorization": "bearer " + tokSubmitter}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}

func TestAdminMayCallEveryRole(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/api/v1/incidents", "/api/v1/maturity/status", "/api/v1/blast-radius/classes", "/api/v1/risk-models"} {
		r := e.do(call{method: "GET", path: path, token: tokAdmin})
		assert.Equal(t, http.StatusOK, r.Status, "%s: %s", path, r.Body)
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCorrelationID(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	get := func(id string, set bool) response {
		c := call{method: "GET", path: "/api/v1/blast-radius/classes", token: tokSubmitter}
		if set {
			c.header = map[string]string{correlationHeader: id}
		}
		return e.do(c)
	}
	t.Run("echoed when valid", func(t *testing.T) {
		r := get("deploy-2026-03-02/zoom#7", true)
		assert.Equal(t, "deploy-2026-03-02/zoom#7", r.Header.Get(correlationHeader))
	})
	t.Run("echoed at 128 characters", func(t *testing.T) {
		id := strings.Repeat("x", 128)
		assert.Equal(t, id, get(id, true).Header.Get(correlationHeader))
	})
	for name, bad := range map[string]string{
		"too long": strings.Repeat("x", 129), "with a space": "a b", "non-ASCII": "zoom-é", "control character": "a\tb",
	} {
		t.Run("replaced when "+name, func(t *testing.T) {
			got := get(bad, true).Header.Get(correlationHeader)
			assert.NotEqual(t, bad, got)
			assert.Regexp(t, uuidPattern, got)
		})
	}
	t.Run("generated when absent, and different each time", func(t *testing.T) {
		a, b := get("", false).Header.Get(correlationHeader), get("", false).Header.Get(correlationHeader)
		assert.Regexp(t, uuidPattern, a)
		assert.NotEqual(t, a, b)
	})
	t.Run("in problems", func(t *testing.T) {
		r := e.do(call{method: "GET", path: "/api/v1/incidents/" + uuid.NewString(), token: tokReporter,
			header: map[string]string{correlationHeader: "corr-404"}})
		p := requireProblem(t, r, http.StatusNotFound, codeNotFound)
		assert.Equal(t, "corr-404", p.CorrelationID)
	})
}

func TestCorrelationIDReachesTheLogs(t *testing.T) {
	e := newTestEnv(t)
	ev := e.uploadEvidence("build-log")
	r := e.do(call{method: "POST", path: "/api/v1/cab/requests", token: tokSubmitter,
		body: submitBody("sub-log", ev.ID, "10", "PRODUCTIVITY_TOOLS"), header: map[string]string{correlationHeader: "corr-log-1"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	logs := e.logs.String()
	// The access log, and the workflow's own record, which carries the
	// submission's correlation id and the request's beside it.
	assert.Regexp(t, `"msg":"http request".*"correlation_id":"corr-log-1"`, logs)
	assert.Regexp(t, `"msg":"cab request submitted".*"correlation_id":"sub-log".*"request_correlation_id":"corr-log-1"`, logs)
}

func TestBodyHardening(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(d *deps) { d.MaxBody = 256 })
	classify := func(body any, header map[string]string) response {
		return e.do(call{method: "POST", path: "/api/v1/blast-radius/classify", token: tokSubmitter, body: body, header: header})
	}
	tests := []struct {
		name   string
		body   any
		header map[string]string
		status int
		code   string
		field  string
	}{
		{"oversized", `{"app_name":"` + strings.Repeat("z", 300) + `"}`, nil, http.StatusRequestEntityTooLarge, codePayloadTooLarge, ""},
		{"wrong content type", `{"app_name":"Zoom"}`, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType, codeUnsupportedMedia, ""},
		{"form content type", `app_name=Zoom`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, codeUnsupportedMedia, ""},
		{"merge patch on POST", `{"app_name":"Zoom"}`, map[string]string{"Content-Type": "application/merge-patch+json"}, http.StatusUnsupportedMediaType, codeUnsupportedMedia, ""},
		{"unknown field", `{"app_name":"Zoom","app_nmae":"x"}`, nil, http.StatusBadRequest, codeUnknownField, "app_nmae"},
		{"two JSON values", `{"app_name":"Zoom"}{"app_name":"Slack"}`, nil, http.StatusBadRequest, codeMalformedJSON, ""},
		{"trailing garbage", `{"app_name":"Zoom"} x`, nil, http.StatusBadRequest, codeMalformedJSON, ""},
		{"empty body", ``, nil, http.StatusBadRequest, codeMalformedJSON, ""},
		{"syntax error", `{"app_name":}`, nil, http.StatusBadRequest, codeMalformedJSON, ""},
		{"truncated", `{"app_name":"Zo`, nil, http.StatusBadRequest, codeMalformedJSON, ""},
		{"wrong type", `{"app_name":"Zoom","target_users":"many"}`, nil, http.StatusBadRequest, codeMalformedJSON, "target_users"},
		{"not an object", `["Zoom"]`, nil, http.StatusBadRequest, codeMalformedJSON, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := requireProblem(t, classify(tt.body, tt.header), tt.status, tt.code)
			assert.Equal(t, tt.field, p.Field)
		})
	}
	t.Run("charset parameter accepted", func(t *testing.T) {
		r := classify(`{"app_name":"Zoom"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"})
		assert.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	})
}

func TestUnknownPathAndMethod(t *testing.T) {
	e := newTestEnv(t)
	requireProblem(t, e.do(call{method: "GET", path: "/api/v1/nothing", token: tokAdmin}), http.StatusNotFound, codeNotFound)
	r := e.do(call{method: "DELETE", path: "/api/v1/incidents/" + uuid.NewString(), token: tokAdmin})
	requireProblem(t, r, http.StatusMethodNotAllowed, codeMethodNotAllowed)
	assert.Equal(t, "GET, PATCH", r.Header.Get("Allow"))
}

func TestUnexpectedErrorsDoNotLeak(t *testing.T) {
	e := newTestEnv(t)
	e.store.fail(errSecret)
	r := e.do(call{method: "GET", path: "/api/v1/blast-radius/classes", token: tokSubmitter, header: map[string]string{correlationHeader: "corr-500"}})
	p := requireProblem(t, r, http.StatusInternalServerError, codeInternal)
	assert.NotContains(t, string(r.Body), "hunter2")
	assert.NotContains(t, p.Detail, "10.0.0.7")
	assert.Regexp(t, `"msg":"request failed".*hunter2.*"correlation_id":"corr-500"`, e.logs.String())
}

func TestPanicsAreRecovered(t *testing.T) {
	e := newTestEnv(t)
	e.srv.mux.HandleFunc("GET /test/panic", func(http.ResponseWriter, *http.Request) { panic("boom: secret") })
	r := e.do(call{method: "GET", path: "/test/panic"})
	p := requireProblem(t, r, http.StatusInternalServerError, codeInternal)
	assert.NotContains(t, p.Detail, "secret")
	assert.Contains(t, e.logs.String(), `"panic":"boom: secret"`)
}

func TestProblemTypeURI(t *testing.T) {
	assert.Equal(t, "https://trustgate.dev/problems/evidence-tampered", problemTypeURI("EVIDENCE_TAMPERED"))
	assert.Equal(t, "https://trustgate.dev/problems/not-found", problemTypeURI(codeNotFound))
}

func TestNewServerNeedsAStorePrincipalsAndAService(t *testing.T) {
	e := newTestEnv(t)
	_, err := newServer(deps{Principals: testPrincipals(), Service: e.svc})
	assert.Error(t, err)
	_, err = newServer(deps{Store: e.store, Service: e.svc})
	assert.Error(t, err)
	_, err = newServer(deps{Store: e.store, Principals: testPrincipals()})
	assert.ErrorContains(t, err, "service")
}

func TestRequestTimeout(t *testing.T) {
	e := newTestEnv(t, func(d *deps) { d.RequestTimeout = 20 * time.Millisecond })
	e.store.block()
	r := e.do(call{method: "GET", path: "/api/v1/blast-radius/classes", token: tokSubmitter})
	requireProblem(t, r, http.StatusServiceUnavailable, codeTimeout)
}
