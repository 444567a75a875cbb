package main

import (
	"crypto/sha256"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The parts of the OpenAPI description the tests read.
type (
	apiDoc struct {
		OpenAPI    string                          `json:"openapi"`
		Paths      map[string]map[string]operation `json:"paths"`
		Components struct {
			Schemas   map[string]apiSchema   `json:"schemas"`
			Responses map[string]apiResponse `json:"responses"`
		} `json:"components"`
	}
	operation struct {
		Security    *[]map[string][]string `json:"security"`
		RequestBody *struct {
			Required bool `json:"required"`
		} `json:"requestBody"`
		Responses map[string]apiResponse `json:"responses"`
	}
	apiResponse struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema apiSchema `json:"schema"`
		} `json:"content"`
	}
	apiSchema struct {
		Ref        string                     `json:"$ref"`
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
)

func loadAPIDoc(t *testing.T) apiDoc {
	t.Helper()
	var d apiDoc
	dec := json.NewDecoder(strings.NewReader(string(openAPIDocument)))
	require.NoError(t, dec.Decode(&d))
	require.Equal(t, "3.1.0", d.OpenAPI)
	return d
}

// required returns the members the schema (or the one it refers to)
// requires.
func (d apiDoc) required(s apiSchema) []string {
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		return d.Components.Schemas[name].Required
	}
	return s.Required
}

// response resolves a response that refers to a component.
func (d apiDoc) response(r apiResponse) apiResponse {
	if name, ok := strings.CutPrefix(r.Ref, "#/components/responses/"); ok {
		return d.Components.Responses[name]
	}
	return r
}

// servedPatterns are the patterns the server's mux serves, public ones
// included.
func servedPatterns(s *Server) []string {
	var out []string
	for _, rt := range s.routeTable() {
		out = append(out, rt.pattern)
	}
	for p := range s.publicRoutes() {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// describedPatterns are the description's operations as mux patterns.
func describedPatterns(d apiDoc) []string {
	var out []string
	for path, ops := range d.Paths {
		for method := range ops {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

var wildcard = regexp.MustCompile(`\{(\w+)\}`)

// concrete fills a path's wildcards with values the routes accept.
func concrete(path string, values map[string]string) string {
	return wildcard.ReplaceAllStringFunc(path, func(w string) string { return values[w[1:len(w)-1]] })
}

// TestOpenAPIMatchesRoutes checks the description against routeTable
// and the public routes both ways: every route is described, with its
// method and path, and every described operation is served: its path,
// with the wildcards filled, reaches the very route pattern (so never a
// 404 or 405 of the mux), and operations without a security requirement
// are exactly the public routes.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newTestEnv(t)
	d := loadAPIDoc(t)
	assert.Equal(t, servedPatterns(e.srv), describedPatterns(d))
	public := e.srv.publicRoutes()
	for _, pattern := range describedPatterns(d) {
		method, path, _ := strings.Cut(pattern, " ")
		req := httptest.NewRequest(method, concrete(path, map[string]string{
			"id": uuid.NewString(), "version": "1.1", "seq": "1", "correlation_id": "build-1"}), nil)
		_, got := e.srv.mux.Handler(req)
		assert.Equal(t, pattern, got, "the description's %s is served by another route", pattern)
		op := d.Paths[path][strings.ToLower(method)]
		_, isPublic := public[pattern]
		assert.Equal(t, isPublic, op.Security != nil && len(*op.Security) == 0, "%s: security requirement", pattern)
	}
}

// TestOpenAPIOperationsAnswerAsWritten sends requests to every operation
// and checks each answer against the description. "As written" goes this
// deep: the status is one the operation lists; the Content-Type's media
// type is one listed for that status; and a JSON body has every member
// the status's schema requires, at the top level (types and nested
// members are not checked: the handlers' own tests pin those). Each
// operation gets a request without a token (401 for every authenticated
// one) and one as the admin, which for the operations with a fixture here
// must succeed (2xx), and for the others (bodies this test does not
// build: approvals, exceptions, deployments) may fail, but only with a
// described status.
func TestOpenAPIOperationsAnswerAsWritten(t *testing.T) {
	e := newTestEnv(t, ready)
	d := loadAPIDoc(t)

	// Fixtures: a decided request, an incident, an evaluation, a model, and
	// two checkpoints.
	old := e.signCheckpoint(nil)
	req := e.submit(tokSubmitter, "oa-1", "10", "PRODUCTIVITY_TOOLS")
	inc := e.reportIncident("oa-inc", "P3", epoch.Add(-time.Hour))
	eval := ok[maturity.Evaluation](t, e.do(call{method: "POST", path: "/api/v1/maturity/evaluate", token: tokCAB}), http.StatusCreated)
	e.signCheckpoint(nil)
	require.NoError(t, e.srv.verifyLog(t.Context()))
	active := ok[riskModelDTO](t, e.do(call{method: "GET", path: "/api/v1/risk-models/active", token: tokCAB}), http.StatusOK)
	values := map[string]string{"id": req.ID, "version": active.Version, "seq": "1", "correlation_id": req.EvidenceID}

	fixtures := map[string]struct {
		id   string
		body any
	}{
		"GET /healthz": {}, "GET /readyz": {}, "GET /metrics": {}, "GET /openapi.json": {},
		"POST /api/v1/incidents":                               {body: incidentBody("oa-inc-2", "P4", epoch.Add(-time.Hour))},
		"GET /api/v1/incidents":                                {},
		"GET /api/v1/incidents/{id}":                           {id: inc.ID.String()},
		"PATCH /api/v1/incidents/{id}":                         {id: inc.ID.String(), body: map[string]any{"root_cause": "a bad rollout"}},
		"GET /api/v1/maturity/status":                          {},
		"POST /api/v1/maturity/evaluate":                       {},
		"GET /api/v1/maturity/evaluations":                     {},
		"GET /api/v1/maturity/evaluations/{id}":                {id: eval.ID.String()},
		"POST /api/v1/blast-radius/classify":                   {body: map[string]any{"app_name": "Zoom"}},
		"GET /api/v1/blast-radius/classes":                     {},
		"GET /api/v1/risk-models":                              {},
		"POST /api/v1/risk-models":                             {body: modelBody("9.0")},
		"GET /api/v1/risk-models/active":                       {},
		"GET /api/v1/risk-models/{version}":                    {},
		"GET /api/v1/risk-models/{version}/approval-statement": {},
		"POST /api/v1/evidence":                                {body: evidenceBody("oa-ev", "PRODUCTIVITY_TOOLS", zoomSBOM, zoom)},
		"POST /api/v1/evidence/{id}/validate": {id: req.EvidenceID, body: map[string]string{
			"artifact_name": zoom.name, "artifact_sha256": digestOf(zoom.content), "sbom_sha256": digestOf(zoomSBOM)}},
		"POST /api/v1/cab/requests":                        {body: submitBody("oa-2", req.EvidenceID, "10", "PRODUCTIVITY_TOOLS")},
		"GET /api/v1/cab/requests/{id}":                    {},
		"GET /api/v1/cab/requests/{id}/approval-statement": {},
		"GET /api/v1/cab/requests/{id}/receipt":            {},
		"GET /api/v1/audit/checkpoint":                     {},
		"GET /api/v1/audit/events/{seq}/proof":             {},
		"POST /api/v1/audit/consistency":                   {body: map[string]string{"old": string(old)}},
	}
	// The evidence's correlation id, for GET /evidence/{correlation_id}.
	fixtures["GET /api/v1/evidence/{correlation_id}"] = struct {
		id   string
		body any
	}{}
	values["correlation_id"] = "ev-oa-1"

	checkAnswer := func(t *testing.T, pattern string, op operation, r response) {
		t.Helper()
		resp, ok := op.Responses[strconv.Itoa(r.Status)]
		require.True(t, ok, "%s answered %d, which the description does not list: %s", pattern, r.Status, r.Body)
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		require.NoError(t, err, "%s: Content-Type %q", pattern, r.Header.Get("Content-Type"))
		content, ok := d.response(resp).Content[mt]
		require.True(t, ok, "%s %d: media type %s is not the described one", pattern, r.Status, mt)
		if want := d.required(content.Schema); len(want) > 0 {
			var body map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(r.Body, &body), "%s %d: %s", pattern, r.Status, r.Body)
			for _, m := range want {
				assert.Contains(t, body, m, "%s %d: the described schema requires %q: %s", pattern, r.Status, m, r.Body)
			}
		}
	}

	for _, pattern := range describedPatterns(d) {
		method, path, _ := strings.Cut(pattern, " ")
		op := d.Paths[path][strings.ToLower(method)]
		t.Run(pattern, func(t *testing.T) {
			vals := map[string]string{}
			for k, v := range values {
				vals[k] = v
			}
			f, hasFixture := fixtures[pattern]
			if f.id != "" {
				vals["id"] = f.id
			}
			url := concrete(path, vals)
			if _, public := e.srv.publicRoutes()[pattern]; !public {
				checkAnswer(t, pattern, op, e.do(call{method: method, path: url}))
			}
			body := f.body
			if !hasFixture && op.RequestBody != nil && op.RequestBody.Required {
				body = map[string]any{}
			}
			r := e.do(call{method: method, path: url, token: tokAdmin, body: body})
			if hasFixture {
				require.True(t, r.Status >= 200 && r.Status < 300, "%s: the fixture answered %d: %s", pattern, r.Status, r.Body)
			}
			checkAnswer(t, pattern, op, r)
		})
	}
}

// members returns the top-level members v marshals to.
func members(t *testing.T, v any) []string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &obj), "%s", data)
	return slices.Sorted(maps.Keys(obj))
}

// wireForm is a component schema with two values of what it describes:
// least writes only the members always written (every optional one
// zero), most writes every member.
type wireForm struct {
	schema      string
	least, most any
}

// TestOpenAPISchemasDescribeTheWireForms checks the component schemas of
// the answers against what the server marshals, both ways: a schema's
// required list is exactly the members its least value writes, and its
// properties exactly the members its fullest value writes. Most of these
// are the library's JSON forms (security.Report, …), which the server
// writes as they are.
func TestOpenAPISchemasDescribeTheWireForms(t *testing.T) {
	d := loadAPIDoc(t)
	for _, f := range wireForms(t) {
		t.Run(f.schema, func(t *testing.T) {
			s, ok := d.Components.Schemas[f.schema]
			require.True(t, ok, "no schema %s", f.schema)
			assert.Equal(t, members(t, f.least), slices.Sorted(slices.Values(s.Required)), "required: what the least value writes")
			assert.Equal(t, members(t, f.most), slices.Sorted(maps.Keys(s.Properties)), "properties: what the fullest value writes")
		})
	}
}

func wireForms(t *testing.T) []wireForm {
	t.Helper()
	art := security.Digest(sha256.Sum256([]byte("artifact")))
	failed := security.Check{Gate: security.GateArtifact, Code: security.ArtifactHashMismatch, Detail: "swapped"}
	skipped := security.Check{Gate: security.GateSBOMSignature, Skipped: true, Detail: "skipped"}
	preventable := true
	fullIncident := incident.Incident{DeploymentID: uuid.New(), EvidenceID: uuid.New(), CABApprovalID: uuid.New(),
		Attribution: incident.AttributionReported, BlastRadius: blastradius.NonCritical,
		Resolution: incident.Resolution{ResolvedAt: time.Unix(1, 0), WasPreventable: &preventable, ControlImprovements: json.RawMessage(`[]`)},
		CreatedAt:  time.Unix(1, 0), UpdatedAt: time.Unix(1, 0),
		Attestation: dsse.Envelope{PayloadType: "application/vnd.in-toto+json", Payload: []byte("{}"), Signatures: []dsse.Signature{{KeyID: "k", Sig: []byte("s")}}}}
	return []wireForm{
		{"Check", security.Check{}, security.Check{Gate: security.GateSBOM, Skipped: true, Code: security.SBOMMissing}},
		{"Report", security.Report{}, security.Report{EvidenceID: uuid.New(), ArtifactDigest: art, Checks: []security.Check{failed, skipped}}},
		{"RecordedDeployment", recordedDeploymentDTO{}, recordedDeploymentDTO{}},
		{"Reason", cab.Reason{}, cab.Reason{}},
		{"Decision", cab.Decision{}, cab.Decision{ModelHash: art}},
		{"CABApproval", cabApprovalDTO{}, cabApprovalDTO{Comment: "lgtm"}},
		{"Rejection", rejectionDTO{}, rejectionDTO{}},
		{"Exception", exceptionDTO{}, exceptionDTO{}},
		{"Deployment", incident.Deployment{}, incident.Deployment{EvidenceID: uuid.New(), RequestID: uuid.New(), CreatedAt: time.Unix(1, 0)}},
		{"Incident", incident.Incident{}, fullIncident},
		{"Envelope", dsse.Envelope{}, fullIncident.Attestation},
		{"IncidentPage", incidentPageDTO{Incidents: []incident.Incident{}}, incidentPageDTO{NextCursor: "c"}},
		{"Criterion", maturity.Criterion{}, maturity.Criterion{}},
		{"EvaluationDecision", maturity.Decision{}, maturity.Decision{At: time.Unix(1, 0), ModelVersion: "1.2"}},
		{"MaturityApproval", maturity.Approval{}, maturity.Approval{}},
		{"Evaluation", maturity.Evaluation{}, maturity.Evaluation{Decision: maturity.Decision{Approved: true}}},
		{"EvaluationList", map[string][]maturity.Evaluation{"evaluations": {}}, map[string][]maturity.Evaluation{"evaluations": {}}},
		{"EvaluationApproval", evaluationApprovalDTO{}, evaluationApprovalDTO{Transition: &transitionDTO{}}},
		{"Transition", transitionDTO{}, transitionDTO{}},
		{"Request", toRequestDTO(cab.Request{}), toRequestDTO(cab.Request{
			Factors: map[riskmodel.Factor]decimal.Decimal{"vendor_history": decimal.New(1, 0)}, DeclaredClass: blastradius.NonCritical,
			Rejection: &cab.Rejection{By: "carol"}, Exception: &cab.Exception{Justification: "zero-day fix"}})},
	}
}

// TestReportWithoutChecksWritesAnArray: openapi.json says a report's
// checks are an array, never null, even when there are none.
func TestReportWithoutChecksWritesAnArray(t *testing.T) {
	data, err := json.Marshal(recordedDeploymentDTO{})
	require.NoError(t, err)
	var got struct {
		Validation map[string]json.RawMessage `json:"validation"`
	}
	require.NoError(t, json.Unmarshal(data, &got))
	assert.JSONEq(t, `[]`, string(got.Validation["checks"]))
}
