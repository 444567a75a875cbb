package receipt_test

import (
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/security/receipt/internal/receipttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const day = 24 * time.Hour

func TestAuthorizationReceipts(t *testing.T) {
	at := receipttest.Epoch.Add(time.Hour)
	for _, tc := range []struct {
		name string
		// request builds the request and appends its events, returning the
		// request and its latest event.
		request func(t *testing.T, f fixture) (cab.Request, security.Event)
		result  string
		levels  []string
	}{
		{"auto-approved", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 10, blastradius.NonCritical)
			return r, f.log.Append(t, cab.SubmittedEvent(r))
		}, receipt.Passed, []string{"TRUSTGATE_DEPLOYMENT_AUTHORIZED", "TRUSTGATE_STATUS_AUTO_APPROVED",
			"TRUSTGATE_REASON_SCORE_WITHIN_THRESHOLD"}},
		{"pending review", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 45, blastradius.BusinessCritical)
			return r, f.log.Append(t, cab.SubmittedEvent(r))
		}, receipt.Failed, []string{"FAILED", "TRUSTGATE_STATUS_PENDING_REVIEW", "TRUSTGATE_REASON_SCORE_ABOVE_THRESHOLD",
			"TRUSTGATE_REASON_DEPLOYMENT_NOT_AUTHORIZED"}},
		{"approved by one of two", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 45, blastradius.BusinessCritical)
			f.log.Append(t, cab.SubmittedEvent(r))
			r = receipttest.Approve(t, f.svc, r, "alice", at)
			return r, f.log.Append(t, receipttest.StepEvent(r, cab.EventApproved, "alice"))
		}, receipt.Failed, []string{"FAILED", "TRUSTGATE_STATUS_PENDING_REVIEW", "TRUSTGATE_REASON_SCORE_ABOVE_THRESHOLD",
			"TRUSTGATE_REASON_DEPLOYMENT_NOT_AUTHORIZED"}},
		{"approved to quorum", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 45, blastradius.BusinessCritical)
			f.log.Append(t, cab.SubmittedEvent(r))
			r = receipttest.Approve(t, f.svc, r, "alice", at)
			f.log.Append(t, receipttest.StepEvent(r, cab.EventApproved, "alice"))
			r = receipttest.Approve(t, f.svc, r, "bob", at)
			return r, f.log.Append(t, receipttest.StepEvent(r, cab.EventApproved, "bob"))
		}, receipt.Passed, []string{"TRUSTGATE_DEPLOYMENT_AUTHORIZED", "TRUSTGATE_STATUS_APPROVED", "TRUSTGATE_REASON_SCORE_ABOVE_THRESHOLD"}},
		{"rejected", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 45, blastradius.BusinessCritical)
			f.log.Append(t, cab.SubmittedEvent(r))
			r = receipttest.Reject(t, f.svc, r, "carol", "no rollback plan", at)
			return r, f.log.Append(t, receipttest.StepEvent(r, cab.EventRejected, "carol"))
		}, receipt.Failed, []string{"FAILED", "TRUSTGATE_STATUS_REJECTED", "TRUSTGATE_REASON_SCORE_ABOVE_THRESHOLD",
			"TRUSTGATE_REASON_DEPLOYMENT_NOT_AUTHORIZED"}},
		{"critical infrastructure: every rule that applies", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 5, blastradius.CriticalInfrastructure)
			return r, f.log.Append(t, cab.SubmittedEvent(r))
		}, receipt.Failed, []string{"FAILED", "TRUSTGATE_STATUS_PENDING_REVIEW", "TRUSTGATE_REASON_CLASS_NEVER_AUTO_APPROVES",
			"TRUSTGATE_REASON_DEPLOYMENT_NOT_AUTHORIZED"}},
		{"exception required, none asked for", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 90, blastradius.BusinessCritical)
			return r, f.log.Append(t, cab.SubmittedEvent(r))
		}, receipt.Failed, []string{"FAILED", "TRUSTGATE_STATUS_EXCEPTION_REQUIRED", "TRUSTGATE_REASON_SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD",
			"TRUSTGATE_REASON_DEPLOYMENT_NOT_AUTHORIZED"}},
		{"exception approved", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 90, blastradius.BusinessCritical)
			f.log.Append(t, cab.SubmittedEvent(r))
			r = receipttest.Exception(t, f.svc, r, "alice", at.Add(7*day), at, "bob", "carol")
			return r, f.log.AppendAt(t, receipttest.StepEvent(r, cab.EventExceptionApproved, "carol"), at)
		}, receipt.Passed, []string{"TRUSTGATE_DEPLOYMENT_AUTHORIZED", "TRUSTGATE_STATUS_EXCEPTION_APPROVED",
			"TRUSTGATE_REASON_SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD"}},
		{"exception approved, expired at the event", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 90, blastradius.BusinessCritical)
			f.log.Append(t, cab.SubmittedEvent(r))
			r = receipttest.Exception(t, f.svc, r, "alice", at.Add(7*day), at, "bob", "carol")
			return r, f.log.AppendAt(t, receipttest.StepEvent(r, cab.EventExceptionApproved, "carol"), at.Add(8*day))
		}, receipt.Failed, []string{"FAILED", "TRUSTGATE_STATUS_EXCEPTION_APPROVED",
			"TRUSTGATE_REASON_SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD", "TRUSTGATE_REASON_EXCEPTION_EXPIRED"}},
		{"exception pending", func(t *testing.T, f fixture) (cab.Request, security.Event) {
			r := receipttest.Request(t, f.svc, 90, blastradius.BusinessCritical)
			f.log.Append(t, cab.SubmittedEvent(r))
			r = receipttest.Exception(t, f.svc, r, "alice", at.Add(7*day), at, "bob")
			return r, f.log.AppendAt(t, receipttest.StepEvent(r, cab.EventExceptionApproved, "bob"), at)
		}, receipt.Failed, []string{"FAILED", "TRUSTGATE_STATUS_EXCEPTION_PENDING",
			"TRUSTGATE_REASON_SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD", "TRUSTGATE_REASON_DEPLOYMENT_NOT_AUTHORIZED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r, ev := tc.request(t, f)
			s := f.verify(t, f.authorization(t, r, ev))
			assert.Equal(t, tc.result, s.Result)
			assert.Equal(t, tc.levels, s.Levels)
			assert.Equal(t, "SAP GUI", s.Name)
			assert.Equal(t, r.ArtifactDigest, s.Digest)
			assert.Equal(t, "trustgate:cab-request/"+r.ID.String(), s.ResourceURI)
			assert.Equal(t, model(t), s.Policy, "the model the signed decision names")
			assert.Equal(t, ev.Seq, s.EventSeq)
			assert.Equal(t, ev.Type, s.EventType)
			assert.True(t, ev.OccurredAt.Equal(s.TimeVerified))
		})
	}
}

func TestAuthorizationRefusesWhatDoesNotVerifyOrIsNotTheRequestsLatestEvent(t *testing.T) {
	f := newFixture(t)
	at := receipttest.Epoch.Add(time.Hour)
	pending := receipttest.Request(t, f.svc, 45, blastradius.BusinessCritical)
	submitted := f.log.Append(t, cab.SubmittedEvent(pending))
	approved := receipttest.Approve(t, f.svc, receipttest.Approve(t, f.svc, pending, "alice", at), "bob", at)
	other := receipttest.Request(t, f.svc, 10, blastradius.NonCritical)
	for _, tc := range []struct {
		name  string
		req   cab.Request
		event security.Event
		edit  func(r *cab.Request, ev *security.Event)
		field string
		code  trustgate.Code
	}{
		{"a decision edited after signing", pending, submitted, func(r *cab.Request, _ *security.Event) {
			r.Decision.Outcome = cab.AutoApproved
		}, "request", trustgate.Tampered},
		{"a status that is not what was signed", pending, submitted, func(r *cab.Request, _ *security.Event) {
			r.Status = cab.StatusApproved
		}, "request", trustgate.Tampered},
		{"the event of another request", other, submitted, nil, "event.subject", trustgate.Invalid},
		{"an earlier event than the latest", approved, submitted, nil, "event.data.status", trustgate.Invalid},
		{"an event naming another request id", pending, submitted, func(_ *cab.Request, ev *security.Event) {
			ev.Data = []byte(`{"request_id":"x","status":"pending_review"}`)
			ev.Hash, _ = ev.ComputeHash()
		}, "event.data.request_id", trustgate.Invalid},
		{"an event with no data", pending, submitted, func(_ *cab.Request, ev *security.Event) {
			ev.Data = nil
			ev.Hash, _ = ev.ComputeHash()
		}, "event.data.request_id", trustgate.Invalid},
		{"an event whose fields were edited", pending, submitted, func(_ *cab.Request, ev *security.Event) {
			ev.OccurredAt = ev.OccurredAt.Add(time.Second)
		}, "event.hash", trustgate.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ev := tc.req.Clone(), tc.event
			if tc.edit != nil {
				tc.edit(&r, &ev)
			}
			_, err := receipt.Authorization(f.svc, &r, ev, receipt.Options{})
			e := wantErr(t, err, receipt.ErrInput, tc.field)
			assert.Equal(t, tc.code, e.Code)
			if tc.code == trustgate.Tampered {
				assert.ErrorIs(t, err, attest.ErrTampered)
			}
		})
	}
	_, err := receipt.Authorization(f.svc, nil, submitted, receipt.Options{})
	wantErr(t, err, receipt.ErrInput, "request")
	_, err = receipt.Authorization(nil, &pending, submitted, receipt.Options{})
	wantErr(t, err, receipt.ErrInput, "service")

	// A decision naming no model hash makes no policy.
	noHash := pending.Clone()
	noHash.Decision.ModelHash = security.Digest{}
	payload, err := noHash.DecisionPayload()
	require.NoError(t, err)
	noHash.Attestation, err = f.svc.Seal(payload)
	require.NoError(t, err)
	_, err = receipt.Authorization(f.svc, &noHash, f.log.Append(t, cab.SubmittedEvent(noHash)), receipt.Options{})
	wantErr(t, err, receipt.ErrInput, "request.decision.model_sha256")
}
