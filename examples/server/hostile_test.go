package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile input through the reference server: every case must answer a
// clear RFC 9457 problem with its documented status and code (never a 500:
// the recoverer turns a panic into one), and must write nothing: the audit
// chain's head is the same before and after, and no record exists under
// the case's idempotency key.

// hostileCase is one hostile request and the problem it must get.
type hostileCase struct {
	name   string
	c      call
	status int
	code   string
	field  string // the problem's field, when it names one
}

// head returns the store's audit head.
func (e *testEnv) head() security.Head {
	e.tb.Helper()
	h, err := e.store.AuditHead(context.Background())
	require.NoError(e.tb, err)
	return h
}

// refused runs c, requires the problem and requires that nothing was
// written.
func (e *testEnv) refused(t *testing.T, tc hostileCase) problem {
	t.Helper()
	before := e.head()
	incidents := e.incidentCount()
	start := time.Now()
	r := e.do(tc.c)
	require.NotEqual(t, http.StatusInternalServerError, r.Status, "body: %s", r.Body)
	require.Less(t, time.Since(start), 5*time.Second, "hostile input must be refused quickly")
	p := requireProblem(t, r, tc.status, tc.code)
	if tc.field != "" {
		assert.Equal(t, tc.field, p.Field)
	}
	assert.Equal(t, before, e.head(), "the audit chain moved: something was written")
	assert.Equal(t, incidents, e.incidentCount(), "an incident was written")
	return p
}

// incidentCount is the number of stored incidents.
func (e *testEnv) incidentCount() int {
	e.tb.Helper()
	page, err := e.store.ListIncidents(context.Background(), incident.Filter{Limit: 500})
	require.NoError(e.tb, err)
	return len(page.Incidents)
}

// requireNoRecords requires that no evidence, incident or CAB request
// exists under key.
func (e *testEnv) requireNoRecords(t *testing.T, key string) {
	t.Helper()
	ctx := context.Background()
	_, err := e.store.EvidenceByCorrelationID(ctx, key)
	require.ErrorIs(t, err, store.ErrNotFound, "evidence under %q", key)
	_, err = e.store.RequestByCorrelationID(ctx, key)
	require.ErrorIs(t, err, store.ErrNotFound, "request under %q", key)
}

const (
	pathEvidence = "/api/v1/evidence"
	pathIncident = "/api/v1/incidents"
	pathRequests = "/api/v1/cab/requests"
	pathClassify = "/api/v1/blast-radius/classify"
)

// validEvidence is the evidence member of a valid upload.
func validEvidence() string {
	return `{"artifacts":[{"name":"a.pkg","sha256":"` + digestOf("a") + `"}],"blast_radius_class":"PRODUCTIVITY_TOOLS"}`
}

func nested(open, close string, n int) string {
	inner := ""
	if strings.HasSuffix(open, ":") {
		inner = "1"
	}
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func TestHostileOversizedBodies(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.uploadEvidence("hostile-big-ev")
	pad := strings.Repeat("x", defaultMaxBody+1)
	evPad := strings.Repeat("x", int(evidenceMaxBody)+1)
	tests := []hostileCase{
		{"evidence", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"big-1","evidence":{"log":"` + evPad + `"}}`}, 413, codePayloadTooLarge, ""},
		{"evidence validate", call{method: "POST", path: pathEvidence + "/" + ev.ID + "/validate", token: tokSubmitter,
			body: `{"artifact_name":"` + pad + `"}`}, 413, codePayloadTooLarge, ""},
		{"incidents", call{method: "POST", path: pathIncident, token: tokReporter,
			body: `{"correlation_id":"big-2","severity":"P2","root_cause":"` + pad + `"}`}, 413, codePayloadTooLarge, ""},
		{"incident patch", call{method: "PATCH", path: pathIncident + "/" + uuid.NewString(), token: tokReporter,
			body: `{"root_cause":"` + pad + `"}`}, 413, codePayloadTooLarge, ""},
		{"cab submit", call{method: "POST", path: pathRequests, token: tokSubmitter,
			body: `{"correlation_id":"big-3","application":"` + pad + `"}`}, 413, codePayloadTooLarge, ""},
		{"classify", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: `{"app_name":"` + pad + `"}`}, 413, codePayloadTooLarge, ""},
		{"a body of only whitespace", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: strings.Repeat(" ", defaultMaxBody+1)}, 413, codePayloadTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, tt)
			e.requireNoRecords(t, "big-1")
			e.requireNoRecords(t, "big-3")
		})
	}
}

func TestHostileDeepNesting(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	deepArrays := nested("[", "]", 100_000)
	deepObjects := nested(`{"a":`, "}", 10_000)
	tests := []hostileCase{
		// encoding/json stops at its own depth limit (10000): no stack
		// overflow, a 400 at once.
		{"100k arrays as the body", call{method: "POST", path: pathClassify, token: tokSubmitter, body: deepArrays}, 400, codeMalformedJSON, ""},
		{"10k objects as the body", call{method: "POST", path: pathIncident, token: tokReporter, body: deepObjects}, 400, codeUnknownField, "a"}, // the first member is refused before the depth matters
		{"100k arrays in evidence", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"deep-1","evidence":{"x":` + deepArrays + `}}`}, 400, codeMalformedJSON, ""},
		{"10k objects in classify cmdb", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: `{"app_name":"a","cmdb":` + deepObjects + `}`}, 400, codeMalformedJSON, ""},
		{"100k arrays in control_improvements", call{method: "POST", path: pathIncident, token: tokReporter,
			body: `{"correlation_id":"deep-2","severity":"P2","occurred_at":"2026-03-01T00:00:00Z","control_improvements":` + deepArrays + `}`}, 400, codeMalformedJSON, ""},
		// Within encoding/json's limit but beyond the canonicaliser's
		// (internal/jcs MaxDepth 1000): the evidence is refused, 422.
		{"evidence 1001 deep", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"deep-3","evidence":{"artifacts":[{"name":"a.pkg","sha256":"` + digestOf("a") + `"}],"x":` + nested("[", "]", 1001) + `}}`},
			422, codeValidationFailed, "evidence"},
		{"evidence 5000 objects deep", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"deep-4","evidence":{"x":` + nested(`{"a":`, "}", 5000) + `}}`}, 422, codeValidationFailed, "evidence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.refused(t, tt)
			if tt.status == 422 {
				assert.Contains(t, p.Detail, "nesting deeper than the limit of 1000")
			}
			for _, k := range []string{"deep-1", "deep-2", "deep-3", "deep-4"} {
				e.requireNoRecords(t, k)
			}
		})
	}
}

func TestHostileContentTypes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	body := `{"correlation_id":"ct-1","evidence":` + validEvidence() + `}`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
		"", "application/json-seq", "application/jsonx", "text/json", ";;;", "application/merge-patch+json"} {
		for _, path := range []string{pathEvidence, pathIncident, pathRequests, pathClassify} {
			t.Run(path+" "+ct, func(t *testing.T) {
				tok := tokAdmin
				e.refused(t, hostileCase{c: call{method: "POST", path: path, token: tok, body: body,
					header: map[string]string{"Content-Type": ct}}, status: 415, code: codeUnsupportedMedia})
				e.requireNoRecords(t, "ct-1")
			})
		}
	}
}

func TestHostileMalformedJSON(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.uploadEvidence("hostile-num-ev")
	art := `[{"name":"a.pkg","sha256":"` + digestOf("a") + `"}]`
	inc := func(extra string) string {
		return `{"correlation_id":"bad-inc","severity":"P2","occurred_at":"2026-03-01T00:00:00Z","application":"a"` + extra + `}`
	}
	tests := []hostileCase{
		// Duplicate members in the envelope: encoding/json would keep the
		// last, so two readers of one body could disagree. Refused, 400.
		{"duplicate correlation_id", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"dup-a","correlation_id":"dup-b","evidence":` + validEvidence() + `}`}, 400, codeMalformedJSON, "correlation_id"},
		{"duplicate differing in case", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"SEVERITY":"P1"`)}, 400, codeMalformedJSON, "SEVERITY"},
		{"duplicate in classify cmdb", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: `{"app_name":"a","cmdb":{"service_tier":"Tier3","service_tier":"Tier0"}}`}, 400, codeMalformedJSON, "service_tier"},
		{"duplicate factor", call{method: "POST", path: pathRequests, token: tokSubmitter,
			body: `{"correlation_id":"dup-c","factors":{"x":"1","x":"2"}}`}, 400, codeMalformedJSON, "x"},
		// In the evidence, the canonicaliser refuses them (422).
		{"duplicate in evidence data", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"dup-d","evidence":{"artifacts":` + art + `,"build":{"run":1,"run":2}}}`}, 422, codeValidationFailed, "evidence"},
		// Invalid UTF-8: encoding/json would store U+FFFD in its place.
		{"invalid UTF-8 in correlation_id", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: "{\"correlation_id\":\"utf-\xff\",\"evidence\":" + validEvidence() + "}"}, 400, codeMalformedJSON, ""},
		{"invalid UTF-8 in evidence", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: "{\"correlation_id\":\"utf-8\",\"evidence\":{\"artifacts\":[{\"name\":\"a\xc0\xaf\",\"sha256\":\"" + digestOf("a") + "\"}]}}"}, 400, codeMalformedJSON, ""},
		{"invalid UTF-8 in root cause", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(",\"root_cause\":\"\xed\xa0\x80\"")}, 400, codeMalformedJSON, ""},
		// NUL: raw in a string is not JSON; escaped it is a control
		// character.
		{"raw NUL", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: "{\"correlation_id\":\"nul\x00\",\"evidence\":" + validEvidence() + "}"}, 400, codeMalformedJSON, ""},
		{"NUL after the value", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: "{\"app_name\":\"a\"}\x00"}, 400, codeMalformedJSON, ""},
		{"escaped NUL in correlation_id", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"nul\u0000","evidence":` + validEvidence() + `}`}, 422, codeValidationFailed, "correlation_id"},
		// Numbers.
		{"1e400 in evidence", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"num-1","evidence":{"artifacts":` + art + `,"build":{"run":1e400}}}`}, 422, codeValidationFailed, "evidence"},
		{"-1e400 in evidence", call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"num-2","evidence":{"artifacts":` + art + `,"n":-1e400}}`}, 422, codeValidationFailed, "evidence"},
		{"affected_users 1e30", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"affected_users":1e30`)}, 400, codeMalformedJSON, "affected_users"},
		{"affected_users 2^63", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"affected_users":9223372036854775808`)}, 400, codeMalformedJSON, "affected_users"},
		{"affected_users negative", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"affected_users":-5`)}, 422, codeValidationFailed, "affected_users"},
		{"affected_users fractional", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"affected_users":1.5`)}, 400, codeMalformedJSON, "affected_users"},
		{"downtime negative", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"downtime_minutes":-1`)}, 422, codeValidationFailed, "downtime_minutes"},
		{"business impact 1e400", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"business_impact_usd":"1e400"`)}, 422, codeValidationFailed, "business_impact_usd"},
		{"business impact 1e1000000000", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"business_impact_usd":"1e1000000000"`)}, 422, codeValidationFailed, "business_impact_usd"},
		{"business impact negative", call{method: "POST", path: pathIncident, token: tokReporter,
			body: inc(`,"business_impact_usd":"-1.00"`)}, 422, codeValidationFailed, "business_impact_usd"},
		{"score 1e400", call{method: "POST", path: pathRequests, token: tokSubmitter,
			body: `{"correlation_id":"num-3","evidence_id":"` + ev.ID + `","deployment_intent_id":"` + uuid.NewString() + `","application":"a","score":"1E400","classify":{"app_name":"a"}}`},
			422, codeValidationFailed, "score"},
		{"target_users 1e30", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: `{"app_name":"a","target_users":1e30}`}, 400, codeMalformedJSON, "target_users"},
		// RTO minutes beyond a time.Duration used to wrap around to a
		// negative or a small RTO.
		{"rto beyond a duration", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: `{"app_name":"a","cmdb":{"service_tier":"Tier3","rto_minutes":9223372036854775807}}`}, 422, codeValidationFailed, "cmdb.rto_minutes"},
		{"rpo wrapping to 26s", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: `{"app_name":"a","cmdb":{"service_tier":"Tier3","rpo_minutes":307445735}}`}, 422, codeValidationFailed, "cmdb.rpo_minutes"},
		{"trailing garbage", call{method: "POST", path: pathClassify, token: tokSubmitter,
			body: `{"app_name":"a"} {"app_name":"b"}`}, 400, codeMalformedJSON, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, tt)
			for _, k := range []string{"dup-a", "dup-b", "dup-c", "dup-d", "utf-\uFFFD", "utf-8", "num-1", "num-2", "num-3"} {
				e.requireNoRecords(t, k)
			}
		})
	}

	// A known gap, outside the server, pinned here so a fix shows up: a lone
	// surrogate escape is valid JSON text that encoding/json decodes to
	// U+FFFD (RFC 8259 leaves its meaning open). It is not a 500.
	t.Run("known gap: lone surrogate escape becomes U+FFFD", func(t *testing.T) {
		r := e.do(call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"sur-\ud800","evidence":` + validEvidence() + `}`})
		got := ok[evidenceDTO](t, r, http.StatusCreated)
		assert.Equal(t, "sur-\uFFFD", got.CorrelationID)
	})
	t.Run("escaped NUL in an artifact name is refused", func(t *testing.T) {
		before := e.head()
		r := e.do(call{method: "POST", path: pathEvidence, token: tokSubmitter,
			body: `{"correlation_id":"nul-ev","evidence":{"artifacts":[{"name":"a\u0000.pkg","sha256":"` + digestOf("a") + `"}]}}`})
		p := requireProblem(t, r, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
		assert.Equal(t, "artifacts[0].name", p.Field)
		assert.Equal(t, before, e.head(), "nothing written")
	})
}

// sqlish are strings that would break a store building SQL by
// concatenation.
var sqlish = []string{"'; DROP TABLE incidents; --", "1 OR 1=1", `\x00`, `" OR ""="`, "Robert'); DROP TABLE evidence;--"}

// TestHostileSQLLookingStrings: strings that look like SQL are data. They
// are either refused with a 4xx or stored verbatim and read back
// identical, and the tables still work afterwards.
func TestHostileSQLLookingStrings(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for i, s := range sqlish {
		t.Run(s, func(t *testing.T) {
			// Evidence under the string as correlation id: stored
			// verbatim, readable by it.
			r := e.do(call{method: "POST", path: pathEvidence, token: tokSubmitter,
				body: map[string]any{"correlation_id": s, "evidence": map[string]any{
					"artifacts": []any{map[string]string{"name": s, "sha256": digestOf(s)}}, "note": s}}})
			ev := ok[evidenceDTO](t, r, http.StatusCreated)
			assert.Equal(t, s, ev.CorrelationID)
			stored, err := e.store.EvidenceByCorrelationID(context.Background(), s)
			require.NoError(t, err)
			assert.Equal(t, ev.ID, stored.ID.String())

			// An incident whose application and root cause are the string.
			key := "sql-inc-" + string(rune('a'+i))
			r = e.do(call{method: "POST", path: pathIncident, token: tokReporter, body: map[string]any{
				"correlation_id": key, "severity": "P3", "occurred_at": epoch.Add(-time.Hour),
				"application": s, "root_cause": s, "preventability_notes": s}})
			in := ok[incident.Incident](t, r, http.StatusCreated)
			got := ok[incident.Incident](t, e.do(call{method: "GET", path: pathIncident + "/" + in.ID.String(), token: tokCAB}), http.StatusOK)
			assert.Equal(t, s, got.Application)
			assert.Equal(t, s, got.RootCause)
			assert.Equal(t, s, got.PreventabilityNotes)

			// A CAB request whose application is the string.
			r = e.do(call{method: "POST", path: pathRequests, token: tokSubmitter, body: map[string]any{
				"correlation_id": "sql-req-" + s, "evidence_id": ev.ID, "deployment_intent_id": uuid.NewString(),
				"application": s, "factors": factorsAt("10"), "classify": map[string]any{"app_name": s}}})
			req := ok[requestDTO](t, r, http.StatusCreated)
			assert.Equal(t, s, req.Application)
			assert.Equal(t, "sql-req-"+s, req.CorrelationID)

			// Classifying it is a pure function: the default class.
			cl := ok[classificationDTO](t, e.do(call{method: "POST", path: pathClassify, token: tokSubmitter,
				body: map[string]any{"app_name": s, "publisher": s, "target_users": 1}}), http.StatusOK)
			assert.Equal(t, blastradius.ProductivityTools, cl.Class)
		})
	}

	t.Run("query parameters are refused", func(t *testing.T) {
		for _, s := range sqlish {
			for _, q := range []struct {
				param  string
				status int
				code   string
			}{
				{"severity", 422, codeValidationFailed}, {"class", 422, codeValidationFailed},
				{"cursor", 422, codeValidationFailed}, {"limit", 400, codeInvalidParameter},
				{"from", 400, codeInvalidParameter}, {"deployment_id", 400, codeInvalidParameter},
				{"auto_approved", 400, codeInvalidParameter}, {s, 400, codeInvalidParameter},
			} {
				path := pathIncident + "?" + queryOf(q.param, s)
				p := e.refused(t, hostileCase{c: call{method: "GET", path: path, token: tokCAB}, status: q.status, code: q.code})
				assert.Equal(t, q.param, p.Field, path)
			}
			// Path parameters name no resource.
			e.refused(t, hostileCase{c: call{method: "GET", path: "/api/v1/evidence/" + url.PathEscape("nope"+s), token: tokCAB}, status: 404, code: codeNotFound})
			e.refused(t, hostileCase{c: call{method: "GET", path: pathIncident + "/" + url.PathEscape(s), token: tokCAB}, status: 404, code: codeNotFound})
			e.refused(t, hostileCase{c: call{method: "GET", path: "/api/v1/risk-models/" + url.PathEscape(s), token: tokCAB}, status: 404, code: codeNotFound})
		}
		e.refused(t, hostileCase{c: call{method: "GET", path: pathIncident + "?limit=99999999999999999999", token: tokCAB}, status: 400, code: codeInvalidParameter, field: "limit"})
		e.refused(t, hostileCase{c: call{method: "GET", path: pathIncident + "?limit=-1", token: tokCAB}, status: 422, code: codeValidationFailed, field: "limit"})
		e.refused(t, hostileCase{c: call{method: "GET", path: "/api/v1/maturity/evaluations?limit=-1", token: tokCAB}, status: 422, code: codeValidationFailed})
	})

	t.Run("the tables still work", func(t *testing.T) {
		page := ok[incidentPageDTO](t, e.do(call{method: "GET", path: pathIncident + "?severity=P3&limit=100", token: tokCAB}), http.StatusOK)
		apps := map[string]bool{}
		for _, in := range page.Incidents {
			apps[in.Application] = true
		}
		for _, s := range sqlish {
			assert.True(t, apps[s], "incident of %q", s)
		}
		e.uploadEvidence("after-the-storm")
		evs := e.auditEvents()
		require.NotEmpty(t, evs)
		assert.Equal(t, security.EventEvidenceCreated, evs[len(evs)-1].Type)
	})
}

// TestHostileUnicodeInClassifier: classification answers 200 with a valid
// class for any name. The classifier (blastradius, match.go) splits names
// into words, maximal runs of Unicode letters and digits, and compares them
// with strings.EqualFold. So:
//   - a zero-width space or joiner, an RTL override or a combining mark is
//     not a letter: it splits the word, "Sec\u200Burity" is "Sec" "urity"
//     and matches no keyword;
//   - fullwidth "ＡＤ" and a Cyrillic look-alike "Аctive Directory" are
//     other letters than the Latin keyword's and match nothing.
//
// An input that matches no rule gets the default class PRODUCTIVITY_TOOLS,
// not NON_CRITICAL: unknown software is not trusted, so a look-alike name
// cannot buy the least reviewed class. (It can dodge CRITICAL_INFRASTRUCTURE's
// keyword rule; the CMDB tier and criticality rules do not depend on names.)
func TestHostileUnicodeInClassifier(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	valid := map[blastradius.Class]bool{blastradius.CriticalInfrastructure: true, blastradius.BusinessCritical: true,
		blastradius.ProductivityTools: true, blastradius.NonCritical: true}
	tests := []struct {
		name, app string
		want      blastradius.Class
	}{
		{"Latin control", "Active Directory Agent", blastradius.CriticalInfrastructure},
		{"Latin AD", "AD Connect", blastradius.CriticalInfrastructure},
		{"fullwidth AD", "ＡＤ Connect", blastradius.ProductivityTools},
		{"Cyrillic A", "\u0410ctive Directory Agent", blastradius.ProductivityTools},
		{"Cyrillic in security", "S\u0435curity Suite", blastradius.ProductivityTools},
		{"zero-width space", "Sec\u200Burity Suite", blastradius.ProductivityTools},
		{"zero-width joiner", "Sec\u200Durity Suite", blastradius.ProductivityTools},
		{"RTL override reversed", "\u202Eytiruces", blastradius.ProductivityTools},
		// The override is a separator, so a keyword next to it still
		// matches.
		{"RTL override after keyword", "security\u202E", blastradius.CriticalInfrastructure},
		{"combining acute", "Se\u0301curity Suite", blastradius.ProductivityTools},
		{"zero-width joiner between keyword words", "Active\u200DDirectory", blastradius.CriticalInfrastructure},
		{"BOM", "\uFEFFfirewall", blastradius.CriticalInfrastructure},
		{"utility with a look-alike", "Calcul\u0430tor utility", blastradius.NonCritical},
		{"non-critical keyword in Cyrillic", "c\u0430lcul\u0430tor", blastradius.ProductivityTools},
		{"emoji and astral", "🔥💀 \U0010FFFF", blastradius.ProductivityTools},
		{"noncharacters", "\uFFFE\uFFFF", blastradius.ProductivityTools},
		{"only marks", strings.Repeat("\u0301", 1000), blastradius.ProductivityTools},
		{"long name", strings.Repeat("a ", 5000), blastradius.ProductivityTools},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.head()
			for _, priv := range []string{"admin", "user"} {
				body := map[string]any{"app_name": tt.app, "publisher": tt.app, "privilege": priv, "target_users": 10}
				r := e.do(call{method: "POST", path: pathClassify, token: tokSubmitter, body: body})
				require.NotEqual(t, http.StatusInternalServerError, r.Status, "body: %s", r.Body)
				got := ok[classificationDTO](t, r, http.StatusOK)
				assert.True(t, valid[got.Class], "class %q", got.Class)
				if priv == "admin" && tt.want != blastradius.NonCritical {
					assert.Equal(t, tt.want, got.Class, "%+v", got)
				}
				if priv == "user" && tt.want == blastradius.NonCritical {
					assert.Equal(t, tt.want, got.Class, "%+v", got)
				}
				if tt.want != blastradius.NonCritical {
					assert.NotEqual(t, blastradius.NonCritical, got.Class, "a trick must not buy NON_CRITICAL")
				}
			}
			assert.Equal(t, before, e.head(), "classification wrote something")
		})
	}
}

func TestHostileControlsAndLongValues(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.uploadEvidence("hostile-ctl-ev")
	long := strings.Repeat("a", 10<<10)
	sub := func(key, app, art string) map[string]any {
		return map[string]any{"correlation_id": key, "evidence_id": ev.ID, "deployment_intent_id": uuid.NewString(),
			"application": app, "artifact_name": art, "factors": factorsAt("10"), "classify": factsOf("PRODUCTIVITY_TOOLS")}
	}
	inc := func(key, app, root string) map[string]any {
		return map[string]any{"correlation_id": key, "severity": "P2", "occurred_at": epoch.Add(-time.Hour), "application": app, "root_cause": root}
	}
	evid := func(key string) map[string]any {
		return map[string]any{"correlation_id": key, "evidence": map[string]any{"artifacts": []any{map[string]string{"name": "a", "sha256": digestOf("a")}}}}
	}
	tests := []hostileCase{
		{"evidence: 10 KB correlation id", call{method: "POST", path: pathEvidence, token: tokSubmitter, body: evid(long)}, 422, codeValidationFailed, "correlation_id"},
		{"evidence: bell in correlation id", call{method: "POST", path: pathEvidence, token: tokSubmitter, body: evid("ctl\a1")}, 422, codeValidationFailed, "correlation_id"},
		{"evidence: newline in correlation id", call{method: "POST", path: pathEvidence, token: tokSubmitter, body: evid("ctl\n1")}, 422, codeValidationFailed, "correlation_id"},
		{"incident: 10 KB correlation id", call{method: "POST", path: pathIncident, token: tokReporter, body: inc(long, "a", "")}, 422, codeValidationFailed, "correlation_id"},
		{"incident: 10 KB application", call{method: "POST", path: pathIncident, token: tokReporter, body: inc("ctl-inc-1", long, "")}, 422, codeValidationFailed, "application"},
		{"incident: NUL in application", call{method: "POST", path: pathIncident, token: tokReporter, body: inc("ctl-inc-2", "a\x00b", "")}, 422, codeValidationFailed, "application"},
		{"incident: DEL in correlation id", call{method: "POST", path: pathIncident, token: tokReporter, body: inc("ctl\x7f", "a", "")}, 422, codeValidationFailed, "correlation_id"},
		{"cab: 10 KB correlation id", call{method: "POST", path: pathRequests, token: tokSubmitter, body: sub(long, "a", "")}, 422, codeValidationFailed, "correlation_id"},
		{"cab: 10 KB application", call{method: "POST", path: pathRequests, token: tokSubmitter, body: sub("ctl-req-1", long, "")}, 422, codeValidationFailed, "application"},
		// cab.Workflow checks only the length of these; the server
		// refuses control characters itself.
		{"cab: NUL in application", call{method: "POST", path: pathRequests, token: tokSubmitter, body: sub("ctl-req-2", "a\x00b", "")}, 422, codeValidationFailed, "application"},
		{"cab: escape in application", call{method: "POST", path: pathRequests, token: tokSubmitter, body: sub("ctl-req-3", "\x1b[31mZoom", "")}, 422, codeValidationFailed, "application"},
		{"cab: C1 control in application", call{method: "POST", path: pathRequests, token: tokSubmitter, body: sub("ctl-req-4", "Zoom\u009b", "")}, 422, codeValidationFailed, "application"},
		{"cab: newline in correlation id", call{method: "POST", path: pathRequests, token: tokSubmitter, body: sub("ctl\nreq", "a", "")}, 422, codeValidationFailed, "correlation_id"},
		{"cab: tab in artifact name", call{method: "POST", path: pathRequests, token: tokSubmitter, body: sub("ctl-req-5", "a", "a\tb.pkg")}, 422, codeValidationFailed, "artifact_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, tt)
			for _, k := range []string{long, "ctl\a1", "ctl\n1", "ctl-req-1", "ctl-req-2", "ctl-req-3", "ctl-req-4", "ctl-req-5", "ctl\nreq"} {
				e.requireNoRecords(t, k)
			}
		})
	}

	t.Run("header correlation ids that are too long or controlled are replaced, never used as keys", func(t *testing.T) {
		for _, h := range []string{long, "a\tb", "ünïcode", "a b"} {
			before := e.head()
			r := e.do(call{method: "POST", path: pathEvidence, token: tokSubmitter,
				body:   map[string]any{"evidence": map[string]any{"artifacts": []any{map[string]string{"name": "a", "sha256": digestOf("a")}}}},
				header: map[string]string{correlationHeader: h}})
			p := requireProblem(t, r, http.StatusUnprocessableEntity, codeValidationFailed)
			assert.Equal(t, "correlation_id", p.Field)
			assert.NotEqual(t, h, r.Header.Get(correlationHeader))
			assert.Equal(t, before, e.head())
		}
	})

	t.Run("over-long bearer tokens and actors are unauthenticated", func(t *testing.T) {
		before := e.head()
		r := e.do(call{method: "POST", path: pathEvidence, token: long, body: evid("ctl-tok")})
		requireProblem(t, r, http.StatusUnauthorized, codeUnauthenticated)
		r = e.do(call{method: "POST", path: pathEvidence, token: "a\x00b", body: evid("ctl-tok")})
		require.NotEqual(t, http.StatusInternalServerError, r.Status)
		assert.Equal(t, before, e.head())
		e.requireNoRecords(t, "ctl-tok")
	})
}

// queryOf is name=value, both escaped.
func queryOf(name, value string) string {
	return url.QueryEscape(name) + "=" + url.QueryEscape(value)
}
