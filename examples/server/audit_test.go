package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuditRoutesWithoutACheckpoint(t *testing.T) {
	e := newTestEnv(t)
	requireProblem(t, e.do(call{method: "GET", path: "/api/v1/audit/checkpoint", token: tokCAB}), http.StatusNotFound, codeNotFound)
	requireProblem(t, e.do(call{method: "GET", path: "/api/v1/audit/events/1/proof", token: tokCAB}), http.StatusNotFound, codeNotFound)
}

func TestLatestCheckpointIsTheSignedNote(t *testing.T) {
	e := newTestEnv(t)
	e.signCheckpoint(nil)
	e.submit(tokSubmitter, "cp-1", "10", "PRODUCTIVITY_TOOLS")
	note := e.signCheckpoint(nil)
	r := e.do(call{method: "GET", path: "/api/v1/audit/checkpoint", token: tokCAB})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "text/plain; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Equal(t, string(note), string(r.Body))
	v, err := auditlog.Open(r.Body, logTrustOf(t))
	require.NoError(t, err)
	assert.Positive(t, v.Size)
}

func TestInclusionProofChecksWithTheLogKeyAlone(t *testing.T) {
	e := newTestEnv(t)
	e.submit(tokSubmitter, "incl-1", "10", "PRODUCTIVITY_TOOLS")
	note := e.signCheckpoint(nil)
	c, _, err := auditlog.ParseNote(note)
	require.NoError(t, err)
	events := e.auditEvents()
	for _, seq := range []int64{1, c.Size} {
		r := e.do(call{method: "GET", path: "/api/v1/audit/events/" + strconv.FormatInt(seq, 10) + "/proof", token: tokCAB})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		p, err := auditlog.ParseInclusionProof(r.Body)
		require.NoError(t, err)
		_, leaf, err := auditlog.VerifyInclusion(p, logTrustOf(t))
		require.NoError(t, err)
		want, err := events[seq-1].Canonical()
		require.NoError(t, err)
		assert.Equal(t, want, leaf, "the proof's leaf is event %d's canonical bytes", seq)
	}

	e.submit(tokSubmitter, "incl-2", "10", "PRODUCTIVITY_TOOLS") // after the checkpoint
	after := strconv.FormatInt(c.Size+1, 10)
	requireProblem(t, e.do(call{method: "GET", path: "/api/v1/audit/events/" + after + "/proof", token: tokCAB}),
		http.StatusConflict, codeNotInCheckpoint)
	for _, bad := range []string{"0", "-1", "01", "x", "99999"} {
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/audit/events/" + bad + "/proof", token: tokCAB}),
			http.StatusNotFound, codeNotFound)
	}
}

func TestConsistencyProofBetweenTwoCheckpoints(t *testing.T) {
	e := newTestEnv(t)
	old := e.signCheckpoint(nil)
	e.submit(tokSubmitter, "cons-1", "10", "PRODUCTIVITY_TOOLS")
	latest := e.signCheckpoint(nil)

	for name, body := range map[string]map[string]string{
		"new defaults to the latest": {"old": string(old)},
		"both given":                 {"old": string(old), "new": string(latest)},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.do(call{method: "POST", path: "/api/v1/audit/consistency", token: tokAdmin, body: body})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			p, err := auditlog.ParseConsistencyProof(r.Body)
			require.NoError(t, err)
			_, _, err = auditlog.VerifyConsistency(p, old, latest, logTrustOf(t))
			require.NoError(t, err)
		})
	}
	t.Run("bad input", func(t *testing.T) {
		p := requireProblem(t, e.do(call{method: "POST", path: "/api/v1/audit/consistency", token: tokCAB,
			body: map[string]string{"old": "not a note"}}), http.StatusUnprocessableEntity, codeValidationFailed)
		assert.Equal(t, "old", p.Field)
		p = requireProblem(t, e.do(call{method: "POST", path: "/api/v1/audit/consistency", token: tokCAB,
			body: map[string]string{"old": string(latest), "new": string(old)}}), http.StatusUnprocessableEntity, codeValidationFailed)
		assert.Equal(t, "old", p.Field)
		other := newTestEnv(t)
		other.submit(tokSubmitter, "fork-1", "90", "BUSINESS_CRITICAL")
		other.submit(tokSubmitter, "fork-2", "90", "BUSINESS_CRITICAL")
		fork := other.signCheckpoint(nil) // another log, under the same key and origin
		requireProblem(t, e.do(call{method: "POST", path: "/api/v1/audit/consistency", token: tokCAB,
			body: map[string]string{"old": string(old), "new": string(fork)}}), http.StatusConflict, codeConflict)
	})
}

func TestRequestReceiptVerifies(t *testing.T) {
	e := newTestEnv(t)
	req := e.submit(tokSubmitter, "rcpt-1", "10", "PRODUCTIVITY_TOOLS")
	path := "/api/v1/cab/requests/" + req.ID + "/receipt"
	requireProblem(t, e.do(call{method: "GET", path: path, token: tokSubmitter}), http.StatusNotFound, codeNotFound)
	e.signCheckpoint(nil)
	r := e.do(call{method: "GET", path: path, token: tokSubmitter})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	rc, err := receipt.ParseReceipt(r.Body)
	require.NoError(t, err)
	sum, err := receipt.Verify(rc, e.svc.Keys(), logTrustOf(t))
	require.NoError(t, err)
	assert.Equal(t, "trustgate:cab-request/"+req.ID, sum.ResourceURI)

	// An approval after the checkpoint is not in it yet.
	ok[requestDTO](t, e.do(call{method: "POST", path: "/api/v1/cab/requests/" + req.ID + "/approve", token: tokCAB}), http.StatusOK)
	requireProblem(t, e.do(call{method: "GET", path: path, token: tokCAB}), http.StatusConflict, codeNotInCheckpoint)
}

func TestValidationReceiptVerifies(t *testing.T) {
	e := newTestEnv(t)
	ev := e.uploadEvidence("vr-1")
	validate := func(content string) int64 {
		r := e.do(call{method: "POST", path: "/api/v1/evidence/" + ev.ID + "/validate", token: tokSubmitter, body: map[string]string{
			"artifact_name": zoom.name, "artifact_sha256": digestOf(content), "sbom_sha256": digestOf(zoomSBOM)}})
		if r.Status == http.StatusOK {
			return ok[security.Report](t, r, http.StatusOK).AuditSeq
		}
		requireProblem(t, r, http.StatusUnprocessableEntity, "ARTIFACT_HASH_MISMATCH")
		events := e.auditEvents()
		return events[len(events)-1].Seq
	}
	passed, failed := validate(zoom.content), validate("swapped")
	e.signCheckpoint(nil)
	for seq, result := range map[int64]string{passed: receipt.Passed, failed: receipt.Failed} {
		r := e.do(call{method: "GET", path: "/api/v1/audit/events/" + strconv.FormatInt(seq, 10) + "/receipt", token: tokSubmitter})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		rc, err := receipt.ParseReceipt(r.Body)
		require.NoError(t, err)
		sum, err := receipt.Verify(rc, e.svc.Keys(), logTrustOf(t))
		require.NoError(t, err)
		assert.Equal(t, result, sum.Result)
		assert.Equal(t, "trustgate:evidence/"+ev.ID, sum.ResourceURI)
	}
	p := requireProblem(t, e.do(call{method: "GET", path: "/api/v1/audit/events/1/receipt", token: tokCAB}), http.StatusNotFound, codeNotFound)
	assert.Contains(t, p.Detail, "not a validation")
}
