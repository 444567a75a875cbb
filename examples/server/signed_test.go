package main

import (
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sealed signs payload with key, as go run ./examples/sign does, and
// returns the envelope's JSON.
func sealed(tb testing.TB, key crypto.Signer, payload []byte) json.RawMessage {
	tb.Helper()
	s, err := dsse.NewSigner(key)
	require.NoError(tb, err)
	env, err := dsse.Seal(attest.PayloadType, payload, s)
	require.NoError(tb, err)
	b, err := env.Marshal()
	require.NoError(tb, err)
	return b
}

// sealedBody is the approve endpoints' body {"envelope": …} of payload
// signed with key.
func sealedBody(tb testing.TB, key crypto.Signer, payload []byte) string {
	tb.Helper()
	return `{"envelope":` + string(sealed(tb, key, payload)) + `}`
}

// statement fetches the approval statement at path as token's member.
func (e *testEnv) statement(path, token string) []byte {
	e.tb.Helper()
	r := e.do(call{method: "GET", path: path, token: token})
	require.Equal(e.tb, http.StatusOK, r.Status, "body: %s", r.Body)
	require.Equal(e.tb, "application/json", r.Header.Get("Content-Type"))
	return r.Body
}

func requestStatementPath(id string, query string) string {
	return "/api/v1/cab/requests/" + id + "/approval-statement" + query
}

// approveAs posts body to the approve endpoint of request id as token.
func (e *testEnv) approveAs(id, token string, body any) response {
	return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + id + "/approve", token: token, body: body})
}

// TestMemberSignedApproval walks member-signed mode end to end: each
// member fetches the canonical statement of their approval, signs it with
// their own key (the server never holds it), posts the envelope, and sees
// it counted; the request is approved at quorum and authorised.
func TestMemberSignedApproval(t *testing.T) {
	e := newTestEnvMode(t, attest.MemberSigned)
	req := e.submit(tokSubmitter, "ms-1", "30", "BUSINESS_CRITICAL")
	require.Equal(t, 2, req.Decision.Quorum)

	t.Run("an unsigned approval is refused", func(t *testing.T) {
		before := e.head()
		p := requireProblem(t, e.approveAs(req.ID, tokCAB, map[string]string{"comment": "lgtm"}), http.StatusForbidden, codeMemberSignature)
		assert.Contains(t, p.Detail, "approval-statement", "the problem says where the statement to sign is")
		assert.Equal(t, before, e.head())
	})

	stmt := e.statement(requestStatementPath(req.ID, "?kind=approval&comment=tested+on+the+pilot+ring"), tokCAB)
	var st cab.ApprovalStatement
	parsed, err := attest.Decode(stmt, cab.PredicateApproval, &st)
	require.NoError(t, err, "the body is the canonical statement: %s", stmt)
	assert.Equal(t, cab.ApprovalStatement{Kind: cab.KindApproval, RequestID: req.ID, Decision: st.Decision,
		ModelHash: req.Decision.ModelHash.String(), Member: "carol", Comment: "tested on the pilot ring"}, st)
	assert.Equal(t, req.ArtifactSHA256, parsed.Subject[0].Digest["sha256"], "the statement is about the pinned build")

	got := ok[requestDTO](t, e.approveAs(req.ID, tokCAB, sealedBody(t, testkeys.MemberKey("carol"), stmt)), http.StatusOK)
	assert.Equal(t, cab.StatusPendingReview, got.Status)
	require.Len(t, got.Approvals, 1)
	assert.Equal(t, cabApprovalDTO{By: "carol", At: epoch, Comment: "tested on the pilot ring"}, got.Approvals[0])
	deploy := func() response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/deployments", token: tokSubmitter, body: deployBody(zoom, epoch)})
	}
	p := requireProblem(t, deploy(), http.StatusConflict, codeNotAuthorized)
	assert.Contains(t, p.Detail, "1 of 2 verified approvals", "the member's signature is counted")

	t.Run("the same member twice is a conflict", func(t *testing.T) {
		requireProblem(t, e.approveAs(req.ID, tokCAB, sealedBody(t, testkeys.MemberKey("carol"), stmt)), http.StatusConflict, codeDuplicateApproval)
	})

	dave := e.statement(requestStatementPath(req.ID, ""), tokCAB2)
	got = ok[requestDTO](t, e.approveAs(req.ID, tokCAB2, sealedBody(t, testkeys.MemberKey("dave"), dave)), http.StatusOK)
	assert.Equal(t, cab.StatusApproved, got.Status)
	ok[recordedDeploymentDTO](t, deploy(), http.StatusCreated)

	// The audit event names the member's key, not the service's.
	var last struct {
		SignedBy []string `json:"signed_by"`
	}
	for _, ev := range e.auditEvents() {
		if ev.Type == cab.EventApproved {
			require.NoError(t, json.Unmarshal(ev.Data, &last))
		}
	}
	daveKey, err := dsse.KeyID(testkeys.MemberKey("dave").Public())
	require.NoError(t, err)
	assert.Equal(t, []string{"member:" + daveKey}, last.SignedBy)
}

// TestMemberSignedRefusals: a malformed envelope, an envelope signed by
// another member's key or by no member's, one for another request, one
// naming another member, and one changed after signing are each refused
// with their problem code, and nothing is written.
func TestMemberSignedRefusals(t *testing.T) {
	e := newTestEnvMode(t, attest.MemberSigned)
	req := e.submit(tokSubmitter, "ms-refuse", "30", "BUSINESS_CRITICAL")
	other := e.submit(tokSubmitter, "ms-other", "30", "BUSINESS_CRITICAL")
	carol := e.statement(requestStatementPath(req.ID, ""), tokCAB)
	carolOther := e.statement(requestStatementPath(other.ID, ""), tokCAB)
	dave := e.statement(requestStatementPath(req.ID, ""), tokCAB2)
	changed := func() string {
		env, err := dsse.Parse(sealed(t, testkeys.MemberKey("carol"), carol))
		require.NoError(t, err)
		env.Payload = []byte(strings.Replace(string(env.Payload), `"comment":""`, `"comment":"fine"`, 1))
		b, err := env.Marshal()
		require.NoError(t, err)
		return `{"envelope":` + string(b) + `}`
	}()
	goodEnv := sealed(t, testkeys.MemberKey("carol"), carol)
	var goodFields map[string]any
	require.NoError(t, json.Unmarshal(goodEnv, &goodFields))
	withEnvelope := func(mutate func(env map[string]any)) map[string]any {
		env := map[string]any{}
		for k, v := range goodFields {
			env[k] = v
		}
		mutate(env)
		return map[string]any{"envelope": env}
	}

	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"envelope not an object", `{"envelope":"approve"}`, http.StatusBadRequest, codeEnvelopeMalformed, "envelope"},
		{"signature not base64", withEnvelope(func(env map[string]any) {
			env["signatures"] = []map[string]string{{"keyid": "", "sig": "not base64!"}}
		}), http.StatusBadRequest, codeEnvelopeMalformed, "envelope.signatures[0].sig"},
		{"payload not base64", withEnvelope(func(env map[string]any) { env["payload"] = "%%%" }), http.StatusBadRequest, codeEnvelopeMalformed, "envelope.payload"},
		{"no signatures", withEnvelope(func(env map[string]any) { env["signatures"] = []any{} }), http.StatusBadRequest, codeEnvelopeMalformed, "envelope.signatures"},
		{"an unknown member", withEnvelope(func(env map[string]any) { env["approved"] = true }), http.StatusBadRequest, codeEnvelopeMalformed, "envelope"},
		{"signed by another member's key", sealedBody(t, testkeys.MemberKey("dave"), carol), http.StatusForbidden, codeUnknownKey, "envelope.signatures"},
		{"signed by a key outside the keyring", sealedBody(t, testkeys.Key("mallory"), carol), http.StatusForbidden, codeUnknownKey, "envelope.signatures"},
		{"signed by the service key", sealedBody(t, testkeys.Key(testkeys.ServiceName), carol), http.StatusForbidden, codeUnknownKey, "envelope.signatures"},
		{"changed after signing", changed, http.StatusForbidden, codeUnknownKey, "envelope.signatures"},
		{"for another request", sealedBody(t, testkeys.MemberKey("carol"), carolOther), http.StatusUnprocessableEntity, codeStatementMismatch, "payload.predicate.request_id"},
		{"naming another member", sealedBody(t, testkeys.MemberKey("dave"), dave), http.StatusUnprocessableEntity, codeStatementMismatch, "payload.predicate.member"},
		{"a comment beside the envelope", map[string]any{"comment": "x", "envelope": goodEnv}, http.StatusUnprocessableEntity, codeValidationFailed, "comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.refused(t, hostileCase{c: call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/approve", token: tokCAB, body: tt.body},
				status: tt.status, code: tt.code, field: tt.field})
			assert.Equal(t, tt.field, p.Field)
			stored, err := e.store.Request(context.Background(), uuid.MustParse(req.ID))
			require.NoError(t, err)
			assert.Empty(t, stored.Approvals, "nothing written")
		})
	}
	// And the good envelope still counts.
	got := ok[requestDTO](t, e.approveAs(req.ID, tokCAB, map[string]any{"envelope": goodEnv}), http.StatusOK)
	assert.Len(t, got.Approvals, 1)
}

func TestMemberSignedException(t *testing.T) {
	e := newTestEnvMode(t, attest.MemberSigned)
	req := e.submit(tokSubmitter, "ms-exc", "85", "PRODUCTIVITY_TOOLS")
	require.Equal(t, cab.StatusExceptionRequired, req.Status)
	approveEx := func(token string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/exception/approve", token: token, body: body})
	}
	t.Run("no exception to approve yet", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "GET", path: requestStatementPath(req.ID, "?kind=exception_approval"), token: tokCAB}), http.StatusConflict, codeNotPending)
	})
	ok[requestDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/exception", token: tokSubmitter,
		body: map[string]string{"justification": "zero-day fix", "expires_at": epoch.AddDate(0, 0, 7).Format(time.RFC3339)}}), http.StatusOK)

	t.Run("unsigned is refused", func(t *testing.T) {
		requireProblem(t, approveEx(tokCAB, nil), http.StatusForbidden, codeMemberSignature)
	})
	t.Run("a statement of another kind is refused", func(t *testing.T) {
		plain := e.statement(requestStatementPath(req.ID, "?kind=approval"), tokCAB)
		p := requireProblem(t, approveEx(tokCAB, sealedBody(t, testkeys.MemberKey("carol"), plain)), http.StatusUnprocessableEntity, codeStatementMismatch)
		assert.Equal(t, "payload.predicate.kind", p.Field)
	})
	stmt := e.statement(requestStatementPath(req.ID, "?kind=exception_approval&comment=vendor+hotfix"), tokCAB)
	got := ok[requestDTO](t, approveEx(tokCAB, sealedBody(t, testkeys.MemberKey("carol"), stmt)), http.StatusOK)
	assert.Equal(t, cab.StatusExceptionApproved, got.Status)
	require.Len(t, got.Exception.Approvals, 1)
	assert.Equal(t, "vendor hotfix", got.Exception.Approvals[0].Comment)
}

func TestMemberSignedRiskModel(t *testing.T) {
	e := newTestEnvMode(t, attest.MemberSigned)
	ok[riskModelDTO](t, e.do(call{method: "POST", path: "/api/v1/risk-models", token: tokCAB, body: modelBodyWith("1.2", "0", "0", "0")}), http.StatusCreated)
	ok[riskModelDTO](t, e.do(call{method: "POST", path: "/api/v1/risk-models", token: tokCAB, body: modelBodyWith("1.3", "0", "0", "0")}), http.StatusCreated)
	approve := func(version, token string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/risk-models/" + version + "/approve", token: token, body: body})
	}
	statement := func(version, token string) []byte {
		return e.statement("/api/v1/risk-models/"+version+"/approval-statement", token)
	}

	requireProblem(t, approve("1.2", tokCAB2, nil), http.StatusForbidden, codeMemberSignature)
	dave := statement("1.2", tokCAB2)
	var p struct {
		ModelVersion string `json:"model_version"`
		Member       string `json:"member"`
	}
	_, err := attest.Decode(dave, riskmodel.PredicateApproval, &p)
	require.NoError(t, err)
	assert.Equal(t, "1.2", p.ModelVersion)
	assert.Equal(t, "dave", p.Member)

	t.Run("a statement of another version is refused", func(t *testing.T) {
		prob := requireProblem(t, approve("1.3", tokCAB2, sealedBody(t, testkeys.MemberKey("dave"), dave)), http.StatusUnprocessableEntity, codeStatementMismatch)
		assert.Equal(t, "payload.predicate.model_version", prob.Field)
	})
	t.Run("the creator's own signature does not approve", func(t *testing.T) {
		requireProblem(t, approve("1.2", tokCAB, sealedBody(t, testkeys.MemberKey("carol"), statement("1.2", tokCAB))), http.StatusForbidden, codeSeparation)
	})

	one := ok[riskModelDTO](t, approve("1.2", tokCAB2, sealedBody(t, testkeys.MemberKey("dave"), dave)), http.StatusOK)
	assert.Equal(t, []string{"dave"}, one.Approvers)
	assert.False(t, one.Approval.Approved)
	two := ok[riskModelDTO](t, approve("1.2", tokAdmin, sealedBody(t, testkeys.MemberKey("root"), statement("1.2", tokAdmin))), http.StatusOK)
	assert.True(t, two.Approval.Approved)
	active := ok[riskModelDTO](t, e.do(call{method: "POST", path: "/api/v1/risk-models/1.2/activate", token: tokCAB}), http.StatusOK)
	assert.True(t, active.Active)
}

func TestMemberSignedMaturityProgression(t *testing.T) {
	e := newTestEnvMode(t, attest.MemberSigned)
	e.earnLevel1()
	ready := e.evaluate()
	require.True(t, ready.Ready)
	path := "/api/v1/maturity/evaluations/" + ready.ID.String()
	requireProblem(t, e.do(call{method: "POST", path: path + "/approve", token: tokCAB}), http.StatusForbidden, codeMemberSignature)

	first := ok[evaluationApprovalDTO](t, e.do(call{method: "POST", path: path + "/approve", token: tokCAB,
		body: sealedBody(t, testkeys.MemberKey("carol"), e.statement(path+"/approval-statement", tokCAB))}), http.StatusOK)
	assert.False(t, first.Applied)
	assert.Equal(t, 1, first.Approvals)
	t.Run("another member's key is refused", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "POST", path: path + "/approve", token: tokCAB2,
			body: sealedBody(t, testkeys.MemberKey("root"), e.statement(path+"/approval-statement", tokCAB2))}), http.StatusForbidden, codeUnknownKey)
	})
	second := ok[evaluationApprovalDTO](t, e.do(call{method: "POST", path: path + "/approve", token: tokCAB2,
		body: sealedBody(t, testkeys.MemberKey("dave"), e.statement(path+"/approval-statement", tokCAB2))}), http.StatusOK)
	assert.True(t, second.Applied)
	require.NotNil(t, second.Transition)
	assert.Equal(t, "20", second.Transition.RiskModel.Thresholds["PRODUCTIVITY_TOOLS"])
}

// TestApprovalStatement: the statement endpoint in service-attested mode,
// where a member's own signature counts as well.
func TestApprovalStatement(t *testing.T) {
	e := newTestEnv(t)
	req := e.submit(tokSubmitter, "st-1", "30", "BUSINESS_CRITICAL")
	t.Run("exactly the bytes to sign", func(t *testing.T) {
		stored, err := e.store.Request(context.Background(), uuid.MustParse(req.ID))
		require.NoError(t, err)
		want, err := stored.ApprovalPayload(cab.KindApproval, "carol", "a comment: with ünïcode")
		require.NoError(t, err)
		got := e.statement(requestStatementPath(req.ID, "?comment=a+comment%3A+with+%C3%BCn%C3%AFcode"), tokCAB)
		assert.Equal(t, string(want), string(got))
	})
	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			path   string
			status int
			code   string
			field  string
		}{
			{"an unknown kind", requestStatementPath(req.ID, "?kind=rejection"), http.StatusBadRequest, codeInvalidParameter, "kind"},
			{"an exception that does not exist", requestStatementPath(req.ID, "?kind=exception_approval"), http.StatusConflict, codeNotPending, ""},
			{"an unknown request", requestStatementPath(uuid.NewString(), ""), http.StatusNotFound, codeNotFound, ""},
			{"an unknown risk model", "/api/v1/risk-models/9.9/approval-statement", http.StatusNotFound, codeNotFound, ""},
			{"an unknown evaluation", "/api/v1/maturity/evaluations/" + uuid.NewString() + "/approval-statement", http.StatusNotFound, codeNotFound, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.refused(t, hostileCase{c: call{method: "GET", path: tt.path, token: tokCAB}, status: tt.status, code: tt.code, field: tt.field})
			})
		}
	})
	t.Run("a member's own signature counts in service-attested mode", func(t *testing.T) {
		stmt := e.statement(requestStatementPath(req.ID, ""), tokCAB)
		got := ok[requestDTO](t, e.approveAs(req.ID, tokCAB, sealedBody(t, testkeys.MemberKey("carol"), stmt)), http.StatusOK)
		require.Len(t, got.Approvals, 1)
		requireProblem(t, e.approveAs(req.ID, tokCAB2, sealedBody(t, testkeys.MemberKey("carol"), stmt)), http.StatusUnprocessableEntity, codeStatementMismatch)
		got = ok[requestDTO](t, e.approveAs(req.ID, tokCAB2, map[string]string{"comment": "countersigned"}), http.StatusOK)
		assert.Equal(t, cab.StatusApproved, got.Status)
	})
}

func TestServerRefusesCABPrincipalsOutsideTheKeyring(t *testing.T) {
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, "carol", "dave"))
	require.NoError(t, err)
	e := newTestEnv(t)
	_, err = newServer(deps{Store: e.store, Principals: testPrincipals(), Service: svc})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"root"`, "the admin, who may act for the CAB, is not in the keyring")
	assert.NotContains(t, err.Error(), `"carol"`)

	// Names compare normalised.
	ps := testPrincipals()
	ps[1].Name = " CAROL"
	ps[2].Name = "Dave"
	ps = ps[:4] // no admin
	_, err = newServer(deps{Store: e.store, Principals: ps, Service: svc})
	assert.NoError(t, err)
}
