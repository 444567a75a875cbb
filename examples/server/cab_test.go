package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubmitRequest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.uploadEvidence("build-sub")
	submit := func(token string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests", token: token, body: body})
	}

	t.Run("happy path: manual review under the seed model", func(t *testing.T) {
		r := submit(tokSubmitter, submitBody("sub-1", ev.ID, "18.5", "PRODUCTIVITY_TOOLS"))
		got := ok[requestDTO](t, r, http.StatusCreated)
		assert.Equal(t, "/api/v1/cab/requests/"+got.ID, r.Header.Get("Location"))
		assert.Equal(t, "alice", got.Submitter, "the submitter is the authenticated principal")
		assert.Equal(t, cab.StatusPendingReview, got.Status)
		assert.Equal(t, cab.ManualReview, got.Decision.Outcome)
		assert.Equal(t, cab.ReasonAutomationNotEarned, got.Decision.Reason.Code)
		assert.Equal(t, []cab.Reason{got.Decision.Reason}, got.Reasons, "the one reason that applies")
		assert.Equal(t, "18.5", got.Decision.Score.String(), "scored by the active model from the factor values")
		assert.Equal(t, factorsAt("18.5"), got.Factors, "the factor values are recorded with the request")
		assert.False(t, got.ScoreSupplied)
		assert.Equal(t, "productivity-keyword", got.ClassRule, "the class is the classifier's")
		assert.Empty(t, got.DeclaredClass)
		assert.Equal(t, "1.1", got.Decision.ModelVersion)
		assert.False(t, got.Decision.ModelHash.IsZero(), "the decision names the content hash of the model it was made with")
		assert.Equal(t, 1, got.Decision.Quorum)
		assert.Equal(t, digestOf(zoom.content), got.ArtifactSHA256, "the evidence's artifact digest is pinned")
		assert.Empty(t, got.Approvals)
		assert.NotNil(t, got.Approvals, "no approvals is [] not null")
	})

	t.Run("happy path: factors and classifier input", func(t *testing.T) {
		body := map[string]any{
			"correlation_id": "sub-2", "evidence_id": ev.ID, "deployment_intent_id": uuid.NewString(),
			"factors": map[string]string{"privilege_elevation": "80", "blast_radius": "50", "change_complexity": "40",
				"test_evidence": "20", "supply_chain": "10", "rollback_capability": "30", "vendor_history": "100"},
			"classify": map[string]any{"app_name": "Windows Security Update", "privilege": "system"},
		}
		got := ok[requestDTO](t, submit(tokSubmitter, body), http.StatusCreated)
		assert.Equal(t, "44.5", got.Decision.Score.String())
		assert.Equal(t, blastradius.CriticalInfrastructure, got.Decision.Class)
		assert.Equal(t, 3, got.Decision.Quorum)
		assert.Equal(t, cab.ReasonClassNeverAuto, got.Decision.Reason.Code)
		assert.Equal(t, "Windows Security Update", got.Application)
	})

	t.Run("idempotent repeat", func(t *testing.T) {
		body := submitBody("sub-3", ev.ID, "10", "NON_CRITICAL")
		first := submit(tokSubmitter, body)
		require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
		again := submit(tokSubmitter, body)
		require.Equal(t, http.StatusOK, again.Status, "%s", again.Body)
		assert.JSONEq(t, string(first.Body), string(again.Body))
		body["factors"] = factorsAt("11")
		requireProblem(t, submit(tokSubmitter, body), http.StatusConflict, codeConflict)
	})

	t.Run("validation error", func(t *testing.T) {
		tests := []struct {
			name   string
			mutate func(b map[string]any)
			code   string
			field  string
		}{
			{"evidence id not a UUID", func(b map[string]any) { b["evidence_id"] = "ev-1" }, codeValidationFailed, "evidence_id"},
			{"no deployment intent", func(b map[string]any) { delete(b, "deployment_intent_id") }, codeValidationFailed, "deployment_intent_id"},
			{"no facts to classify", func(b map[string]any) { delete(b, "classify") }, codeValidationFailed, "classify"},
			{"no factor values", func(b map[string]any) { delete(b, "factors") }, codeValidationFailed, "factors"},
			{"a bare score is refused", func(b map[string]any) {
				delete(b, "factors")
				b["score"] = "10"
			}, codeScoreSupplied, "score"},
			{"score and factors", func(b map[string]any) { b["score"] = "10" }, codeValidationFailed, "score"},
			{"score not a decimal", func(b map[string]any) { b["score"] = "high" }, codeValidationFailed, "score"},
			{"factor not a decimal", func(b map[string]any) { b["factors"].(map[string]string)["blast_radius"] = "high" }, codeValidationFailed, "factors[blast_radius]"},
			{"factor out of range", func(b map[string]any) { b["factors"].(map[string]string)["blast_radius"] = "100.01" }, codeValidationFailed, "factors"},
			{"a factor missing", func(b map[string]any) { delete(b["factors"].(map[string]string), "supply_chain") }, codeValidationFailed, "factors"},
			{"unknown factor", func(b map[string]any) { b["factors"] = map[string]string{"vibes": "1"} }, codeValidationFailed, "factors"},
			{"unknown class", func(b map[string]any) { b["class"] = "MISSION_CRITICAL" }, codeValidationFailed, "class"},
			// "Windows Security Update" declared NON_CRITICAL: the facts say
			// CRITICAL_INFRASTRUCTURE.
			{"declared class below the classified one", func(b map[string]any) {
				b["classify"], b["class"] = factsOf("CRITICAL_INFRASTRUCTURE"), "NON_CRITICAL"
			}, codeClassBelowClassified, "class"},
			{"no application", func(b map[string]any) {
				delete(b, "application")
				b["classify"] = map[string]any{"app_name": ""}
			}, codeValidationFailed, "application"},
			{"evidence not stored", func(b map[string]any) { b["evidence_id"] = uuid.NewString() }, string(security.EvidenceNotFound), "evidence_id"},
			{"artifact not in the evidence", func(b map[string]any) { b["artifact_name"] = "other.pkg" }, codeEvidenceUnusable, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := submitBody("sub-bad", ev.ID, "10", "NON_CRITICAL")
				tt.mutate(b)
				before := e.head()
				p := requireProblem(t, submit(tokSubmitter, b), http.StatusUnprocessableEntity, tt.code)
				assert.Equal(t, tt.field, p.Field)
				assert.Equal(t, before, e.head(), "nothing written")
				e.requireNoRecords(t, "sub-bad")
			})
		}
	})

	t.Run("the class declared below the facts names both classes", func(t *testing.T) {
		b := submitBody("sub-class", ev.ID, "10", "CRITICAL_INFRASTRUCTURE")
		b["class"] = "NON_CRITICAL"
		p := requireProblem(t, submit(tokSubmitter, b), http.StatusUnprocessableEntity, codeClassBelowClassified)
		assert.Contains(t, p.Detail, "NON_CRITICAL")
		assert.Contains(t, p.Detail, "CRITICAL_INFRASTRUCTURE")
	})

	t.Run("a declared class more severe than the facts is used", func(t *testing.T) {
		b := submitBody("sub-severe", ev.ID, "10", "PRODUCTIVITY_TOOLS")
		b["class"] = "BUSINESS_CRITICAL"
		got := ok[requestDTO](t, submit(tokSubmitter, b), http.StatusCreated)
		assert.Equal(t, blastradius.BusinessCritical, got.Decision.Class)
		assert.Equal(t, "BUSINESS_CRITICAL", got.DeclaredClass)
		assert.Equal(t, "declared", got.ClassRule)
		assert.Equal(t, 2, got.Decision.Quorum)
	})

	t.Run("tampered evidence cannot back a submission", func(t *testing.T) {
		bad := e.uploadEvidence("build-sub-tampered")
		e.store.tamper(uuid.MustParse(bad.ID))
		// The package no longer matches what the service key signed at
		// upload: the record is named as tampered.
		p := requireProblem(t, submit(tokSubmitter, submitBody("sub-t", bad.ID, "10", "NON_CRITICAL")), http.StatusConflict, codeRecordTampered)
		assert.Contains(t, p.Detail, "evidence_packages/"+bad.ID)
	})
}

func TestSubmitASuppliedScore(t *testing.T) {
	e := newTestEnv(t, func(d *deps) { d.AllowSuppliedScore = true })
	ev := e.uploadEvidence("build-supplied")
	b := submitBody("sub-supplied", ev.ID, "10", "PRODUCTIVITY_TOOLS")
	delete(b, "factors")
	b["score"] = "12.5"
	got := ok[requestDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests", token: tokSubmitter, body: b}), http.StatusCreated)
	assert.True(t, got.ScoreSupplied, "the decision says the score was supplied")
	assert.Equal(t, "12.5", got.Decision.Score.String())
	assert.Nil(t, got.Factors)
	evs := e.auditEvents()
	last := evs[len(evs)-1]
	assert.Equal(t, cab.EventSubmitted, last.Type)
	assert.Contains(t, string(last.Data), `"score_supplied":"true"`, "and so does its audit event")
}

func TestGetRequest(t *testing.T) {
	e := newTestEnv(t)
	req := e.submit(tokSubmitter, "get-1", "10", "NON_CRITICAL")
	got := ok[requestDTO](t, e.do(call{method: "GET", path: "/api/v1/cab/requests/" + req.ID, token: tokCAB}), http.StatusOK)
	assert.Equal(t, req, got)
	requireProblem(t, e.do(call{method: "GET", path: "/api/v1/cab/requests/" + uuid.NewString(), token: tokCAB}), http.StatusNotFound, codeNotFound)
	requireProblem(t, e.do(call{method: "GET", path: "/api/v1/cab/requests/get-1", token: tokCAB}), http.StatusNotFound, codeNotFound)
}

func TestApproveRequest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	approve := func(id, token string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + id + "/approve", token: token, body: body})
	}

	t.Run("happy path and approve twice", func(t *testing.T) {
		req := e.submit(tokSubmitter, "appr-1", "10", "PRODUCTIVITY_TOOLS")
		got := ok[requestDTO](t, approve(req.ID, tokCAB, map[string]string{"comment": "tested on the pilot ring"}), http.StatusOK)
		assert.Equal(t, cab.StatusApproved, got.Status)
		require.Len(t, got.Approvals, 1)
		assert.Equal(t, cabApprovalDTO{By: "carol", At: epoch, Comment: "tested on the pilot ring"}, got.Approvals[0])
		requireProblem(t, approve(req.ID, tokCAB, nil), http.StatusConflict, codeDuplicateApproval)
		requireProblem(t, approve(req.ID, tokCAB2, nil), http.StatusConflict, codeNotPending)
	})
	t.Run("quorum of two; the same member twice is a conflict", func(t *testing.T) {
		req := e.submit(tokSubmitter, "appr-2", "10", "BUSINESS_CRITICAL")
		got := ok[requestDTO](t, approve(req.ID, tokCAB, nil), http.StatusOK)
		assert.Equal(t, cab.StatusPendingReview, got.Status)
		requireProblem(t, approve(req.ID, tokCAB, nil), http.StatusConflict, codeDuplicateApproval)
		got = ok[requestDTO](t, approve(req.ID, tokCAB2, nil), http.StatusOK)
		assert.Equal(t, cab.StatusApproved, got.Status)
	})
	t.Run("separation of duties", func(t *testing.T) {
		req := e.submit(tokAdmin, "appr-3", "10", "NON_CRITICAL")
		requireProblem(t, approve(req.ID, tokAdmin, nil), http.StatusForbidden, codeSeparation)
	})
	t.Run("validation error", func(t *testing.T) {
		req := e.submit(tokSubmitter, "appr-4", "10", "NON_CRITICAL")
		requireProblem(t, approve(req.ID, tokCAB, `{"comment": 7}`), http.StatusBadRequest, codeMalformedJSON)
		p := requireProblem(t, approve(req.ID, tokCAB, `{"approver": "dave"}`), http.StatusBadRequest, codeUnknownField)
		assert.Equal(t, "approver", p.Field, "the approver is never a body field")
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, approve(uuid.NewString(), tokCAB, nil), http.StatusNotFound, codeNotFound)
	})
}

func TestRejectRequest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	reject := func(id string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + id + "/reject", token: tokCAB, body: body})
	}
	req := e.submit(tokSubmitter, "rej-1", "10", "PRODUCTIVITY_TOOLS")
	t.Run("validation error", func(t *testing.T) {
		requireProblem(t, reject(req.ID, map[string]string{"reason": " "}), http.StatusUnprocessableEntity, codeValidationFailed)
		requireProblem(t, reject(req.ID, nil), http.StatusBadRequest, codeMalformedJSON)
	})
	t.Run("happy path and reject twice", func(t *testing.T) {
		got := ok[requestDTO](t, reject(req.ID, map[string]string{"reason": "no rollback plan"}), http.StatusOK)
		assert.Equal(t, cab.StatusRejected, got.Status)
		assert.Equal(t, &rejectionDTO{By: "carol", At: epoch, Reason: "no rollback plan"}, got.Rejection)
		requireProblem(t, reject(req.ID, map[string]string{"reason": "no rollback plan"}), http.StatusConflict, codeNotPending)
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, reject(uuid.NewString(), map[string]string{"reason": "x"}), http.StatusNotFound, codeNotFound)
	})
}

func TestExceptions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ask := func(id, token string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + id + "/exception", token: token, body: body})
	}
	approveEx := func(id, token string) response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + id + "/exception/approve", token: token})
	}
	inDays := func(d int) map[string]string {
		return map[string]string{"justification": "zero-day fix", "expires_at": epoch.AddDate(0, 0, d).Format(time.RFC3339)}
	}
	req := e.submit(tokSubmitter, "exc-1", "85", "PRODUCTIVITY_TOOLS")
	require.Equal(t, cab.StatusExceptionRequired, req.Status)
	require.Len(t, req.Reasons, 2, "every reason that applies: %+v", req.Reasons)
	assert.Equal(t, req.Decision.Reason, req.Reasons[0], "the deciding reason first")
	assert.Equal(t, cab.ReasonExceptionThreshold, req.Reasons[0].Code)
	assert.Equal(t, cab.ReasonAutomationNotEarned, req.Reasons[1].Code, "and that the level has not earned automation")

	t.Run("request: validation error", func(t *testing.T) {
		p := requireProblem(t, ask(req.ID, tokSubmitter, inDays(120)), http.StatusUnprocessableEntity, codeExpiryOutOfRange)
		assert.Equal(t, "expires_at", p.Field)
		requireProblem(t, ask(req.ID, tokSubmitter, map[string]string{"expires_at": epoch.AddDate(0, 0, 7).Format(time.RFC3339)}), http.StatusUnprocessableEntity, codeValidationFailed)
	})
	t.Run("approve: nothing pending yet", func(t *testing.T) {
		requireProblem(t, approveEx(req.ID, tokCAB), http.StatusConflict, codeNotPending)
	})
	t.Run("request: happy path and twice", func(t *testing.T) {
		got := ok[requestDTO](t, ask(req.ID, tokSubmitter, inDays(7)), http.StatusOK)
		assert.Equal(t, cab.StatusExceptionPending, got.Status)
		require.NotNil(t, got.Exception)
		assert.Equal(t, "alice", got.Exception.RequestedBy)
		assert.Equal(t, epoch.AddDate(0, 0, 7), got.Exception.ExpiresAt)
		assert.Equal(t, req.ArtifactSHA256, got.Exception.ArtifactSHA256)
		requireProblem(t, ask(req.ID, tokSubmitter, inDays(7)), http.StatusConflict, codeNotPending)
	})
	t.Run("request: only for exception-required requests", func(t *testing.T) {
		normal := e.submit(tokSubmitter, "exc-2", "10", "PRODUCTIVITY_TOOLS")
		requireProblem(t, ask(normal.ID, tokSubmitter, inDays(7)), http.StatusConflict, codeNotPending)
	})
	t.Run("approve: happy path and twice", func(t *testing.T) {
		got := ok[requestDTO](t, approveEx(req.ID, tokCAB), http.StatusOK)
		assert.Equal(t, cab.StatusExceptionApproved, got.Status)
		require.Len(t, got.Exception.Approvals, 1)
		assert.Equal(t, "carol", got.Exception.Approvals[0].By)
		requireProblem(t, approveEx(req.ID, tokCAB), http.StatusConflict, codeNotPending)
	})
	t.Run("approve: separation of duties", func(t *testing.T) {
		own := e.submit(tokSubmitter, "exc-3", "90", "NON_CRITICAL")
		ok[requestDTO](t, ask(own.ID, tokAdmin, inDays(3)), http.StatusOK)
		requireProblem(t, approveEx(own.ID, tokAdmin), http.StatusForbidden, codeSeparation)
	})
	t.Run("approve: validation error", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/exception/approve", token: tokCAB, body: `{"expires_at":"2030-01-01T00:00:00Z"}`})
		requireProblem(t, r, http.StatusBadRequest, codeUnknownField)
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, ask(uuid.NewString(), tokSubmitter, inDays(7)), http.StatusNotFound, codeNotFound)
		requireProblem(t, approveEx(uuid.NewString(), tokCAB), http.StatusNotFound, codeNotFound)
	})
	t.Run("an expired exception authorises nothing", func(t *testing.T) {
		e.clock.Advance(8 * 24 * time.Hour)
		r := e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/deployments", token: tokSubmitter, body: deployBody(zoom, e.clock.Now())})
		requireProblem(t, r, http.StatusConflict, codeExceptionExpired)
	})
}

func TestRecordDeployment(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	deploy := func(id string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/cab/requests/" + id + "/deployments", token: tokSubmitter, body: body,
			header: map[string]string{correlationHeader: "corr-deploy"}})
	}
	approved := func(key string) requestDTO {
		req := e.submit(tokSubmitter, key, "10", "PRODUCTIVITY_TOOLS")
		return ok[requestDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/approve", token: tokCAB}), http.StatusOK)
	}
	finished := epoch.Add(-time.Minute)

	t.Run("happy path and idempotent repeat", func(t *testing.T) {
		req := approved("dep-1")
		first := deploy(req.ID, deployBody(zoom, finished))
		got := ok[recordedDeploymentDTO](t, first, http.StatusCreated)
		assert.Equal(t, req.DeploymentIntentID, got.Deployment.ID.String())
		assert.Equal(t, req.ID, got.Deployment.RequestID.String())
		assert.False(t, got.Deployment.AutoApproved)
		assert.Equal(t, "10", got.Deployment.RiskScore.String(), "the exact decimal")
		assert.True(t, got.Validation.Passed())
		assert.Equal(t, "corr-deploy", got.Validation.CorrelationID)
		stored, err := e.store.Deployment(context.Background(), uuid.MustParse(req.DeploymentIntentID))
		require.NoError(t, err)
		assert.Equal(t, finished, stored.FinishedAt)

		again := ok[recordedDeploymentDTO](t, deploy(req.ID, deployBody(zoom, finished)), http.StatusOK)
		assert.Equal(t, got.Deployment, again.Deployment)
		// A different finish time under the same deployment is a conflict.
		requireProblem(t, deploy(req.ID, deployBody(zoom, finished.Add(time.Second))), http.StatusConflict, codeConflict)
	})

	t.Run("swapped artifact is blocked", func(t *testing.T) {
		req := approved("dep-2")
		p := requireProblem(t, deploy(req.ID, deployBody(artifact{zoom.name, "trojaned bytes"}, finished)), http.StatusUnprocessableEntity, string(security.ArtifactHashMismatch))
		assert.Equal(t, req.EvidenceID, p.EvidenceID)
		require.Len(t, p.FailedChecks, 1)
		assert.Equal(t, security.GateArtifact, p.FailedChecks[0].Gate)
		_, err := e.store.Deployment(context.Background(), uuid.MustParse(req.DeploymentIntentID))
		require.Error(t, err, "nothing recorded")
		evs := e.auditEvents()
		last := evs[len(evs)-1]
		assert.Equal(t, security.EventValidationFailed, last.Type)
		assert.Equal(t, "corr-deploy", last.CorrelationID)
	})

	t.Run("tampered evidence is blocked", func(t *testing.T) {
		req := approved("dep-3")
		e.store.tamper(uuid.MustParse(req.EvidenceID))
		requireProblem(t, deploy(req.ID, deployBody(zoom, finished)), http.StatusUnprocessableEntity, string(security.EvidenceTampered))
	})

	t.Run("another artifact of the evidence is not the pinned build", func(t *testing.T) {
		helper := artifact{"zoom-helper.pkg", "helper"}
		ev := e.uploadEvidence("ev-dep-4", zoom, helper)
		body := submitBody("dep-4", ev.ID, "10", "PRODUCTIVITY_TOOLS")
		body["artifact_name"] = zoom.name
		req := ok[requestDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests", token: tokSubmitter, body: body}), http.StatusCreated)
		ok[requestDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/approve", token: tokCAB}), http.StatusOK)
		requireProblem(t, deploy(req.ID, deployBody(helper, finished)), http.StatusConflict, codeDigestMismatch)
	})

	t.Run("a request under review is not authorised", func(t *testing.T) {
		req := e.submit(tokSubmitter, "dep-5", "10", "PRODUCTIVITY_TOOLS")
		requireProblem(t, deploy(req.ID, deployBody(zoom, finished)), http.StatusConflict, codeNotAuthorized)
	})

	t.Run("validation error", func(t *testing.T) {
		req := approved("dep-6")
		b := deployBody(zoom, finished)
		b["artifact_sha256"] = "not-hex"
		p := requireProblem(t, deploy(req.ID, b), http.StatusUnprocessableEntity, codeValidationFailed)
		assert.Equal(t, "artifact_sha256", p.Field)
		b = deployBody(zoom, finished)
		delete(b, "finished_at")
		p = requireProblem(t, deploy(req.ID, b), http.StatusUnprocessableEntity, codeValidationFailed)
		assert.Equal(t, "finished_at", p.Field)
	})

	t.Run("not found", func(t *testing.T) {
		requireProblem(t, deploy(uuid.NewString(), deployBody(zoom, finished)), http.StatusNotFound, codeNotFound)
	})
}

// TestAutoApprovedDeployment walks the happy path the spec tells: once
// level 1 is earned and two CAB members approved it, its model (a
// productivity threshold of 20) is active, and an 18.50 Zoom deployment is
// approved automatically and can be recorded at once.
func TestAutoApprovedDeployment(t *testing.T) {
	e := newTestEnv(t)
	e.earnLevel1()
	ready := e.evaluate()
	require.True(t, ready.Ready)
	for _, tok := range []string{tokCAB, tokCAB2} {
		ok[evaluationApprovalDTO](t, e.do(call{method: "POST", path: "/api/v1/maturity/evaluations/" + ready.ID.String() + "/approve", token: tok}), http.StatusOK)
	}
	active := ok[riskModelDTO](t, e.do(call{method: "GET", path: "/api/v1/risk-models/active", token: tokSubmitter}), http.StatusOK)
	require.Equal(t, "20", active.Thresholds["PRODUCTIVITY_TOOLS"])

	req := e.submit(tokSubmitter, "auto-1", "18.50", "PRODUCTIVITY_TOOLS")
	assert.Equal(t, cab.StatusAutoApproved, req.Status)
	assert.Equal(t, cab.ReasonWithinThreshold, req.Decision.Reason.Code)
	assert.Equal(t, active.Version, req.Decision.ModelVersion)
	got := ok[recordedDeploymentDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/deployments", token: tokSubmitter,
		body: deployBody(zoom, e.clock.Now())}), http.StatusCreated)
	assert.True(t, got.Deployment.AutoApproved)
}
