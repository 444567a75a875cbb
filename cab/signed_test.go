package cab_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The attacks of issue 12 on the authorising path, each performed as an
// attacker would: on the records the rules read (the pure functions), and
// on the rows of an in-memory store, written past the store's rules.

// requireTampered requires err to be a refusal of request r naming it and
// the part part of its record as not matching what was signed.
func requireTampered(t *testing.T, err error, r *cab.Request, part string) {
	t.Helper()
	require.ErrorIs(t, err, attest.ErrTampered)
	var we *cab.WorkflowError
	require.ErrorAs(t, err, &we, "%v", err)
	assert.Equal(t, r.ID, we.RequestID)
	var re *attest.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "cab_requests/"+r.ID.String(), re.Record)
	assert.Equal(t, part, re.Part)
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, trustgate.Tampered, e.Code)
	assert.Equal(t, "RECORD_TAMPERED", e.Reason)
}

// statementAbout returns the approval statement of kind by member of r,
// but about the artifact digest instead of the one r pinned.
func statementAbout(t testing.TB, r *cab.Request, kind cab.ApprovalKind, member string, digestName string) []byte {
	t.Helper()
	payload, err := attest.Encode(cab.PredicateApproval, r.Approval(kind, member, ""), attest.DigestSubject(r.Application, digestOf(digestName)))
	require.NoError(t, err)
	return payload
}

// forge returns env with its payload edited after signing: the comment
// changed, the signature kept.
func forge(env dsse.Envelope) dsse.Envelope {
	env.Payload = bytes.Replace(bytes.Clone(env.Payload), []byte(`"comment":""`), []byte(`"comment":"ok"`), 1)
	return env
}

func TestAuthorizeRecountsTheVerifiedApprovals(t *testing.T) {
	svc := service(t, attest.ServiceAttested, "alice", "bob", "carol", "sam")
	keys := svc.Keys()
	other := newRequest(t, svc, "60", blastradius.BusinessCritical)
	// base is a BUSINESS_CRITICAL request (quorum 2) with alice's valid
	// approval: one short of its quorum.
	base := approve(t, svc, newRequest(t, svc, "60", blastradius.BusinessCritical), "alice", epoch)
	require.Equal(t, cab.StatusPendingReview, base.Status)

	tests := []struct {
		name   string
		attack func(r *cab.Request)
		// verifies is whether the edited record still verifies: the
		// records an attacker added with valid signatures are genuine, and
		// only do not count.
		verifies bool
	}{
		{"the status set to approved", func(r *cab.Request) { r.Status = cab.StatusApproved }, false},
		{"an approval replayed from another request", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, attestBy(t, svc, &other, cab.KindApproval, "bob", ""))
		}, false},
		{"an approval of another digest, service-signed", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, cab.Approval{By: "bob", Envelope: sealService(t, svc, statementAbout(t, r, cab.KindApproval, "bob", "evil build"))})
		}, false},
		{"an approval of another digest, signed by the member", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, cab.Approval{By: "bob", Envelope: seal(t, testkeys.MemberKey("bob"), statementAbout(t, r, cab.KindApproval, "bob", "evil build"))})
		}, false},
		{"an approval by a non-member's key", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, signedBy(t, r, cab.KindApproval, "mallory", "", testkeys.Key("mallory")))
		}, false},
		{"a member's approval signed by a non-member's key", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, signedBy(t, r, cab.KindApproval, "bob", "", testkeys.Key("mallory")))
		}, false},
		{"a member's approval signed by another member's key", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, signedBy(t, r, cab.KindApproval, "bob", "", testkeys.MemberKey("alice")))
		}, false},
		{"a forged approval: the payload edited after signing", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, cab.Approval{By: "bob", Comment: "ok", Envelope: forge(attestBy(t, svc, r, cab.KindApproval, "bob", "").Envelope)})
		}, false},
		{"alice's approval relabelled as bob's", func(r *cab.Request) {
			a := r.Approvals[0]
			a.By = "bob"
			r.Approvals = append(r.Approvals, a)
		}, false},
		{"an unsigned approval", func(r *cab.Request) { r.Approvals = append(r.Approvals, cab.Approval{By: "bob"}) }, false},
		{"an approval of the exception, not the request", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, attestBy(t, svc, r, cab.KindExceptionApproval, "bob", ""))
		}, false},
		{"the submitter's own approval", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, attestBy(t, svc, r, cab.KindApproval, "sam", ""))
		}, true},
		{"the submitter's own approval under another spelling", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, signedBy(t, r, cab.KindApproval, "SAM", "", testkeys.MemberKey("sam")))
		}, true},
		{"alice approving twice", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, attestBy(t, svc, r, cab.KindApproval, "alice", "again"))
		}, true},
		{"alice approving again under another spelling, with her own key", func(r *cab.Request) {
			r.Approvals = append(r.Approvals, signedBy(t, r, cab.KindApproval, "Alice ", "", testkeys.MemberKey("alice")))
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base.Clone()
			tt.attack(&r)
			_, err := cab.Authorize(r, keys, r.ArtifactDigest, epoch)
			require.ErrorIs(t, err, cab.ErrNotAuthorized)
			assert.Contains(t, err.Error(), "1 of 2 verified approvals")
			var we *cab.WorkflowError
			require.ErrorAs(t, err, &we)
			assert.Equal(t, r.ID, we.RequestID)
			if tt.verifies {
				r.Status = cab.StatusPendingReview
				assert.NoError(t, r.Verify(keys))
			} else {
				require.ErrorIs(t, r.Verify(keys), attest.ErrTampered, "the edit is detected")
			}

			// And once a second member really approves, it authorises.
			r.Status = cab.StatusPendingReview
			r.Approvals = append(r.Approvals, attestBy(t, svc, &r, cab.KindApproval, "carol", ""))
			auth, err := cab.Authorize(r, keys, r.ArtifactDigest, epoch)
			require.NoError(t, err)
			assert.Equal(t, 2, auth.Approvals)
		})
	}
}

func sealService(t testing.TB, svc *attest.Service, payload []byte) dsse.Envelope {
	t.Helper()
	env, err := svc.Seal(payload)
	require.NoError(t, err)
	return env
}

func TestAuthorizeRefusesARewrittenDecision(t *testing.T) {
	svc := attested(t)
	keys := svc.Keys()
	pending := approve(t, svc, newRequest(t, svc, "60", blastradius.CriticalInfrastructure), "alice", epoch)
	tests := []struct {
		name   string
		attack func(r *cab.Request)
		digest string // the digest presented; "" for the request's own
	}{
		{"outcome auto_approved with quorum 0", func(r *cab.Request) {
			r.Decision.Outcome, r.Decision.Quorum, r.Status = cab.AutoApproved, 0, cab.StatusAutoApproved
		}, ""},
		{"quorum lowered to 1", func(r *cab.Request) { r.Decision.Quorum = 1 }, ""},
		{"class lowered", func(r *cab.Request) {
			r.Decision.Class, r.Decision.Quorum = blastradius.NonCritical, 1
		}, ""},
		{"the pinned digest replaced by the attacker's build", func(r *cab.Request) { r.ArtifactDigest = digestOf("evil build") }, "evil build"},
		{"the submitter changed", func(r *cab.Request) { r.Submitter = "mallory" }, ""},
		{"the decision re-signed by the attacker's key", func(r *cab.Request) {
			r.Decision.Outcome, r.Decision.Quorum = cab.AutoApproved, 0
			payload, err := r.DecisionPayload()
			require.NoError(t, err)
			r.Attestation = seal(t, testkeys.Key("mallory"), payload)
		}, ""},
		{"the decision re-signed by a member's key", func(r *cab.Request) {
			r.Decision.Outcome, r.Decision.Quorum = cab.AutoApproved, 0
			payload, err := r.DecisionPayload()
			require.NoError(t, err)
			r.Attestation = seal(t, testkeys.MemberKey("alice"), payload)
		}, ""},
		{"the decision unsigned", func(r *cab.Request) { r.Attestation = dsse.Envelope{} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pending.Clone()
			tt.attack(&r)
			dg := r.ArtifactDigest
			if tt.digest != "" {
				dg = digestOf(tt.digest)
			}
			_, err := cab.Authorize(r, keys, dg, epoch)
			requireTampered(t, err, &r, "decision")
			assert.ErrorIs(t, r.Verify(keys), attest.ErrTampered)
		})
	}
}

func TestAuthorizeRefusesATamperedOrLapsedException(t *testing.T) {
	svc := attested(t)
	keys := svc.Keys()
	r := newRequest(t, svc, "85", blastradius.BusinessCritical)
	expires := epoch.AddDate(0, 0, 7)
	r, err := requestException(t, svc, r, "sam", "vendor hotfix", expires, epoch)
	require.NoError(t, err)
	for _, m := range []string{"alice", "bob"} {
		r, err = approveException(t, svc, r, m, epoch.Add(time.Hour))
		require.NoError(t, err)
	}
	require.Equal(t, cab.StatusExceptionApproved, r.Status)
	_, err = cab.Authorize(r, keys, r.ArtifactDigest, epoch.AddDate(0, 0, 6))
	require.NoError(t, err)

	for _, tt := range []struct {
		name   string
		attack func(x *cab.Exception)
	}{
		{"its expiry extended after signing", func(x *cab.Exception) { x.ExpiresAt = x.ExpiresAt.AddDate(0, 0, 80) }},
		{"its digest replaced", func(x *cab.Exception) { x.ArtifactDigest = digestOf("evil build") }},
		{"its justification rewritten", func(x *cab.Exception) { x.Justification = "approved by the CIO" }},
		{"its requester changed", func(x *cab.Exception) { x.RequestedBy = "mallory" }},
		{"its statement removed", func(x *cab.Exception) { x.Attestation = dsse.Envelope{} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			edited := r.Clone()
			tt.attack(edited.Exception)
			_, err := cab.Authorize(edited, keys, r.ArtifactDigest, epoch.AddDate(0, 0, 6))
			requireTampered(t, err, &edited, "exception")
			_, err = cab.Authorize(edited, keys, r.ArtifactDigest, expires.Add(time.Hour))
			requireTampered(t, err, &edited, "exception")
		})
	}

	_, err = cab.Authorize(r, keys, r.ArtifactDigest, expires)
	require.ErrorIs(t, err, cab.ErrExpired)
	assert.Equal(t, trustgate.Expired, trustgate.ErrorCode(err))
	_, err = cab.Authorize(r, keys, digestOf("evil build"), epoch.AddDate(0, 0, 6))
	require.ErrorIs(t, err, cab.ErrDigestMismatch)

	// Exception approvals are recounted too.
	short := r.Clone()
	short.Exception.Approvals = short.Exception.Approvals[:1]
	_, err = cab.Authorize(short, keys, r.ArtifactDigest, epoch.AddDate(0, 0, 6))
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "a status of exception_approved with 1 of 2 approvals")
	replayed := short.Clone()
	replayed.Exception.Approvals = append(replayed.Exception.Approvals, attestBy(t, svc, &replayed, cab.KindApproval, "bob", ""))
	_, err = cab.Authorize(replayed, keys, r.ArtifactDigest, epoch.AddDate(0, 0, 6))
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "an approval of the request does not approve its exception")
	requester := short.Clone()
	requester.Exception.Approvals = append(requester.Exception.Approvals, attestBy(t, svc, &requester, cab.KindExceptionApproval, "sam", ""))
	_, err = cab.Authorize(requester, keys, r.ArtifactDigest, epoch.AddDate(0, 0, 6))
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "the requester's own approval")
}

// Through the workflow, over the rows of the store.

// editJSON rewrites a JSON column of request id as an attacker with
// database access does: read it, edit it, write it back.
func (f *fixture) editJSON(id uuid.UUID, col string, edit func(v any) any) {
	f.t.Helper()
	raw, ok := f.column(id, col).(string)
	require.True(f.t, ok, "column %s", col)
	var v any
	require.NoError(f.t, json.Unmarshal([]byte(raw), &v))
	b, err := json.Marshal(edit(v))
	require.NoError(f.t, err)
	f.tamper("cab_requests", id, []string{col}, string(b))
}

// refusedEverywhere requires Authorize and RecordDeployment of r to fail
// with err matching want, and nothing recorded.
func (f *fixture) refusedEverywhere(r cab.Request, want error) error {
	f.t.Helper()
	_, err := f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.ErrorIs(f.t, err, want)
	_, derr := f.w.RecordDeployment(f.ctx, r.ID, r.ArtifactDigest, f.clock.Now())
	require.ErrorIs(f.t, derr, want, "recording the deployment")
	_, nerr := f.s.Deployment(f.ctx, r.DeploymentIntentID)
	require.ErrorIs(f.t, nerr, store.ErrNotFound, "nothing was recorded")
	return err
}

func TestTheStoredStatusIsNeverBelieved(t *testing.T) {
	f := newFixture(t)
	r := f.submit("chg-20", "42", blastradius.BusinessCritical)
	_, err := f.w.Approve(f.ctx, r.ID, "alice", "")
	require.NoError(t, err)
	f.tamper("cab_requests", r.ID, []string{"status"}, string(cab.StatusApproved))
	require.Equal(t, cab.StatusApproved, f.request(r.ID).Status, "the row says approved")
	err = f.refusedEverywhere(r, cab.ErrNotAuthorized)
	assert.Contains(t, err.Error(), "1 of 2 verified approvals")
	verr := f.s.Verify(f.ctx, f.keys, store.VerifyOptions{})
	require.ErrorIs(t, verr, attest.ErrTampered)
	assert.Contains(t, verr.Error(), "cab_requests/"+r.ID.String())
}

// TestAnEnvelopeThatIsNotDSSENamesItsRow: an attestation edited into
// JSON the store never writes cannot be decoded, so the request cannot be
// used, and Verify names the row rather than only its table.
func TestAnEnvelopeThatIsNotDSSENamesItsRow(t *testing.T) {
	f := newFixture(t)
	r := f.submit("chg-25", "42", blastradius.BusinessCritical)
	f.tamper("cab_requests", r.ID, []string{"attestation"}, `{"payloadType":"application/vnd.in-toto+json","payload":"not base64!","signatures":[]}`)
	_, err := f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.Error(t, err)
	verr := f.s.Verify(f.ctx, f.keys, store.VerifyOptions{})
	var re *attest.RecordError
	require.ErrorAs(t, verr, &re)
	assert.Equal(t, "cab_requests/"+r.ID.String(), re.Record)
	assert.Equal(t, "row", re.Part)
}

func TestApprovalsAddedToTheRowCountForNothing(t *testing.T) {
	f := newFixture(t)
	other := f.submit("chg-21", "42", blastradius.BusinessCritical)
	_, err := f.w.Approve(f.ctx, other.ID, "bob", "")
	require.NoError(t, err)
	r := f.submit("chg-22", "42", blastradius.BusinessCritical)
	_, err = f.w.Approve(f.ctx, r.ID, "alice", "")
	require.NoError(t, err)

	replayed := f.column(other.ID, "approvals").(string)
	f.editJSON(r.ID, "approvals", func(v any) any {
		as := v.([]any)
		// bob's approval of the other request, replayed here.
		var bob []any
		require.NoError(t, json.Unmarshal([]byte(replayed), &bob))
		as = append(as, bob...)
		// alice's approval relabelled as carol's.
		carol := map[string]any{}
		for k, x := range as[0].(map[string]any) {
			carol[k] = x
		}
		carol["by"] = "carol"
		as = append(as, carol)
		// An approval with no signature at all.
		as = append(as, map[string]any{"by": "carol", "at": "2026-02-10T09:00:00.000000Z", "comment": ""})
		return as
	})
	f.tamper("cab_requests", r.ID, []string{"status"}, string(cab.StatusApproved))
	require.Len(t, f.request(r.ID).Approvals, 4, "the row holds four approvals")
	err = f.refusedEverywhere(r, cab.ErrNotAuthorized)
	assert.Contains(t, err.Error(), "1 of 2 verified approvals")
}

func TestARewrittenDecisionIsTamperedOnEveryPath(t *testing.T) {
	f := newFixture(t)
	r := f.submit("chg-23", "42", blastradius.BusinessCritical)
	f.tamper("cab_requests", r.ID, []string{"outcome", "quorum", "status"}, string(cab.AutoApproved), int64(0), string(cab.StatusAutoApproved))
	stored := f.request(r.ID)
	require.Equal(t, cab.AutoApproved, stored.Decision.Outcome, "the row says auto-approved")
	err := f.refusedEverywhere(r, attest.ErrTampered)
	requireTampered(t, err, &r, "decision")
	_, derr := f.w.RecordDeployment(f.ctx, r.ID, r.ArtifactDigest, f.clock.Now())
	requireTampered(t, derr, &r, "decision")
	verr := f.s.Verify(f.ctx, f.keys, store.VerifyOptions{})
	var re *attest.RecordError
	require.ErrorAs(t, verr, &re)
	assert.Equal(t, "cab_requests/"+r.ID.String(), re.Record)
}

func TestAReplacedDigestIsTampered(t *testing.T) {
	f := newFixture(t)
	r := f.submit("chg-24", "42", blastradius.NonCritical) // quorum 1
	_, err := f.w.Approve(f.ctx, r.ID, "alice", "")
	require.NoError(t, err)
	evil := digest([]byte("the attacker's build"))
	f.tamper("cab_requests", r.ID, []string{"artifact_digest"}, evil.String())
	_, err = f.w.Authorize(f.ctx, r.ID, evil)
	requireTampered(t, err, &r, "decision")
	_, err = f.w.RecordDeployment(f.ctx, r.ID, evil, f.clock.Now())
	requireTampered(t, err, &r, "decision")
}

func TestAnExceptionExtendedAfterSigningIsTampered(t *testing.T) {
	f := newFixture(t)
	r := f.submit("chg-25", "88", blastradius.BusinessCritical)
	_, err := f.w.RequestException(f.ctx, r.ID, "sam", "emergency patch", f.clock.Now().AddDate(0, 0, 2))
	require.NoError(t, err)
	for _, m := range []string{"alice", "bob"} {
		_, err = f.w.ApproveException(f.ctx, r.ID, m, "")
		require.NoError(t, err)
	}
	_, err = f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.NoError(t, err, "live")

	later := f.clock.Now().AddDate(0, 0, 60).UTC().Format("2006-01-02T15:04:05.000000Z")
	f.editJSON(r.ID, "exception", func(v any) any {
		v.(map[string]any)["expires_at"] = later
		return v
	})
	f.clock.Advance(3 * 24 * time.Hour) // past the expiry that was signed, before the forged one
	require.True(t, f.request(r.ID).Exception.ExpiresAt.After(f.clock.Now()), "the row says it is live")
	err = f.refusedEverywhere(r, attest.ErrTampered)
	requireTampered(t, err, &r, "exception")
}

func TestAnExceptionApprovedThroughTheStoreAPIIsRecounted(t *testing.T) {
	// The store's API lets its caller write any progress; Authorize
	// believes only signatures.
	f := newFixture(t)
	r := f.submit("chg-26", "88", blastradius.BusinessCritical)
	_, err := f.w.RequestException(f.ctx, r.ID, "sam", "emergency patch", f.clock.Now().AddDate(0, 0, 2))
	require.NoError(t, err)
	_, err = f.w.ApproveException(f.ctx, r.ID, "alice", "")
	require.NoError(t, err)
	_, err = f.s.UpdateRequest(f.ctx, r.ID, func(cur cab.Request) (cab.Request, security.EventInput, error) {
		cur.Status = cab.StatusExceptionApproved
		a := cur.Exception.Approvals[0]
		a.By = "bob"
		cur.Exception.Approvals = append(cur.Exception.Approvals, a)
		return cur, eventInput(cab.EventExceptionApproved, "bob", cur), nil
	})
	require.NoError(t, err)
	err = f.refusedEverywhere(r, cab.ErrNotAuthorized)
	assert.Contains(t, err.Error(), "1 of 2 verified exception approvals")
}

// The member-signed mode: the service key approves for no one, and every
// approval is the member's own signature over the request's statement.

func TestMemberSignedApprovalsCountOnlyWithTheMembersKey(t *testing.T) {
	f := newFixture(t, memberSigned)
	r := f.submit("chg-30", "42", blastradius.BusinessCritical)
	other := f.submit("chg-31", "42", blastradius.BusinessCritical)

	_, err := f.w.Approve(f.ctx, r.ID, "alice", "")
	require.ErrorIs(t, err, cab.ErrMemberSignature)
	var we *cab.WorkflowError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, r.ID, we.RequestID)
	_, err = f.w.ApproveException(f.ctx, r.ID, "alice", "")
	require.ErrorIs(t, err, cab.ErrMemberSignature)

	payload := func(member string) []byte {
		p, err := r.ApprovalPayload(cab.KindApproval, member, "")
		require.NoError(t, err)
		return p
	}
	encode := func(st cab.ApprovalStatement) []byte {
		p, err := attest.Encode(cab.PredicateApproval, st, attest.DigestSubject(r.Application, r.ArtifactDigest))
		require.NoError(t, err)
		return p
	}
	tests := []struct {
		name   string
		env    dsse.Envelope
		is     error
		field  string
		reason string
	}{
		{"signed by the service key", sealService(t, f.svc, payload("alice")), attest.ErrUnknownKey, "envelope.signatures", "UNKNOWN_KEY"},
		{"signed by another member's key", seal(t, testkeys.MemberKey("bob"), payload("alice")), attest.ErrUnknownKey, "envelope.signatures", "UNKNOWN_KEY"},
		{"signed by an unknown key", seal(t, testkeys.Key("mallory"), payload("alice")), attest.ErrUnknownKey, "envelope.signatures", "UNKNOWN_KEY"},
		{"not signed", dsse.Envelope{PayloadType: attest.PayloadType, Payload: payload("alice")}, attest.ErrUnknownKey, "envelope.signatures", "UNKNOWN_KEY"},
		{"forged: the payload edited after signing", forge(seal(t, testkeys.MemberKey("alice"), payload("alice"))), attest.ErrUnknownKey, "envelope.signatures", "UNKNOWN_KEY"},
		{"a non-member", seal(t, testkeys.Key("mallory"), payload("mallory")), cab.ErrNotMember, "", "NOT_CAB_MEMBER"},
		{"malformed: not JSON", seal(t, testkeys.MemberKey("alice"), []byte("approve!")), attest.ErrStatement, "payload", "STATEMENT_MISMATCH"},
		{"malformed: another payload type", func() dsse.Envelope {
			s, err := dsse.NewSigner(testkeys.MemberKey("alice"))
			require.NoError(t, err)
			env, err := dsse.Seal("text/plain", payload("alice"), s)
			require.NoError(t, err)
			return env
		}(), attest.ErrStatement, "envelope.payloadType", "STATEMENT_MISMATCH"},
		{"malformed: not canonical", seal(t, testkeys.MemberKey("alice"), append(payload("alice"), ' ')), attest.ErrStatement, "payload", "STATEMENT_MISMATCH"},
		{"another predicate type", func() dsse.Envelope {
			p, err := attest.Encode(cab.PredicateDecision, r.Approval(cab.KindApproval, "alice", ""), attest.DigestSubject(r.Application, r.ArtifactDigest))
			require.NoError(t, err)
			return seal(t, testkeys.MemberKey("alice"), p)
		}(), attest.ErrStatement, "payload.predicateType", "STATEMENT_MISMATCH"},
		{"a statement for another request", func() dsse.Envelope {
			p, err := other.ApprovalPayload(cab.KindApproval, "alice", "")
			require.NoError(t, err)
			return seal(t, testkeys.MemberKey("alice"), p)
		}(), attest.ErrStatement, "payload.predicate.request_id", "STATEMENT_MISMATCH"},
		{"a statement for another digest", seal(t, testkeys.MemberKey("alice"), statementAbout(t, &r, cab.KindApproval, "alice", "evil build")),
			attest.ErrStatement, "payload.subject", "STATEMENT_MISMATCH"},
		{"a statement of another kind", func() dsse.Envelope {
			p, err := r.ApprovalPayload(cab.KindExceptionApproval, "alice", "")
			require.NoError(t, err)
			return seal(t, testkeys.MemberKey("alice"), p)
		}(), attest.ErrStatement, "payload.predicate.kind", "STATEMENT_MISMATCH"},
		{"a statement about another decision", func() dsse.Envelope {
			st := r.Approval(cab.KindApproval, "alice", "")
			st.Decision = other.Approval(cab.KindApproval, "alice", "").Decision
			return seal(t, testkeys.MemberKey("alice"), encode(st))
		}(), attest.ErrStatement, "payload.predicate.decision_sha256", "STATEMENT_MISMATCH"},
		{"a statement about another model", func() dsse.Envelope {
			st := r.Approval(cab.KindApproval, "alice", "")
			st.ModelHash = digestOf("another model").String()
			return seal(t, testkeys.MemberKey("alice"), encode(st))
		}(), attest.ErrStatement, "payload.predicate.model_sha256", "STATEMENT_MISMATCH"},
		{"a member name not normalised", seal(t, testkeys.MemberKey("alice"), payload("Alice")), attest.ErrStatement, "payload.predicate.member", "STATEMENT_MISMATCH"},
	}
	before := f.head()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.w.ApproveSigned(f.ctx, r.ID, tt.env)
			require.ErrorIs(t, err, tt.is, "%v", err)
			e := trustgate.AsError(err)
			require.NotNil(t, e)
			assert.Equal(t, tt.field, e.Field, "%v", err)
			assert.Equal(t, tt.reason, e.Reason, "%v", err)
			var we *cab.WorkflowError
			require.ErrorAs(t, err, &we)
			assert.Equal(t, r.ID, we.RequestID, "the error names the request")
			stored := f.request(r.ID)
			assert.Empty(t, stored.Approvals, "no approval added")
			assert.Equal(t, cab.StatusPendingReview, stored.Status, "status unchanged")
		})
	}
	assert.Equal(t, before, f.head(), "nothing written")

	// alice's own signature counts; bob's makes the quorum.
	r1, err := f.w.ApproveSigned(f.ctx, r.ID, seal(t, testkeys.MemberKey("alice"), payload("alice")))
	require.NoError(t, err)
	assert.Equal(t, cab.StatusPendingReview, r1.Status)
	require.Len(t, r1.Approvals, 1)
	assert.Equal(t, []string{"member"}, signerRoles(f.keys, &r1.Approvals[0].Envelope))
	_, err = f.w.ApproveSigned(f.ctx, r.ID, seal(t, testkeys.MemberKey("alice"), payload("alice")))
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	_, err = f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.ErrorIs(t, err, cab.ErrNotAuthorized)
	r2, err := f.w.ApproveSigned(f.ctx, r.ID, seal(t, testkeys.MemberKey("bob"), payload("bob")))
	require.NoError(t, err)
	assert.Equal(t, cab.StatusApproved, r2.Status)
	auth, err := f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.NoError(t, err)
	assert.Equal(t, 2, auth.Approvals)
	stored := f.request(r.ID)
	require.NoError(t, stored.Verify(f.keys))

	// In member-signed mode even the service key cannot add an approval at rest.
	svcApproval := attestBy(t, f.svc, &other, cab.KindApproval, "alice", "")
	other.Approvals = []cab.Approval{svcApproval, attestBy(t, f.svc, &other, cab.KindApproval, "bob", "")}
	other.Status = cab.StatusApproved
	_, err = cab.Authorize(other, f.keys, other.ArtifactDigest, epoch)
	require.ErrorIs(t, err, cab.ErrNotAuthorized)
	assert.Contains(t, err.Error(), "0 of 2 verified approvals")
	other.Approvals, other.Status = nil, cab.StatusPendingReview
	_, err = cab.Approve(other, f.keys, svcApproval, epoch)
	require.ErrorIs(t, err, attest.ErrUnknownKey)
	assert.Contains(t, err.Error(), "not signed by the member")
}

func TestMemberSignedExceptionApprovalsAndRejections(t *testing.T) {
	f := newFixture(t, memberSigned)
	r := f.submit("chg-32", "88", blastradius.BusinessCritical)
	r, err := f.w.RequestException(f.ctx, r.ID, "sam", "vendor hotfix", f.clock.Now().AddDate(0, 0, 3))
	require.NoError(t, err)
	sign := func(member string, key string) dsse.Envelope {
		p, err := r.ApprovalPayload(cab.KindExceptionApproval, member, "")
		require.NoError(t, err)
		return seal(t, testkeys.MemberKey(key), p)
	}
	_, err = f.w.ApproveExceptionSigned(f.ctx, r.ID, sign("alice", "bob"))
	require.ErrorIs(t, err, attest.ErrUnknownKey)
	p, err := r.ApprovalPayload(cab.KindApproval, "alice", "")
	require.NoError(t, err)
	_, err = f.w.ApproveExceptionSigned(f.ctx, r.ID, seal(t, testkeys.MemberKey("alice"), p))
	require.ErrorIs(t, err, attest.ErrStatement, "an approval of the request is not one of its exception")
	assert.Empty(t, f.request(r.ID).Exception.Approvals)
	_, err = f.w.ApproveExceptionSigned(f.ctx, r.ID, sign("alice", "alice"))
	require.NoError(t, err)
	done, err := f.w.ApproveExceptionSigned(f.ctx, r.ID, sign("bob", "bob"))
	require.NoError(t, err)
	assert.Equal(t, cab.StatusExceptionApproved, done.Status)
	_, err = f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.NoError(t, err)

	// A rejection only makes the outcome stricter: the service key signs
	// it for the member in either mode.
	pending := f.submit("chg-33", "42", blastradius.BusinessCritical)
	rejected, err := f.w.Reject(f.ctx, pending.ID, "carol", "no rollback plan")
	require.NoError(t, err)
	assert.Equal(t, cab.StatusRejected, rejected.Status)
	_, err = f.w.Reject(f.ctx, f.submit("chg-34", "42", blastradius.BusinessCritical).ID, "mallory", "no")
	require.ErrorIs(t, err, cab.ErrNotMember)
}

// eventInput is the audit event an attacker with the store's API passes
// along with a forged update.
func eventInput(typ security.EventType, actor string, r cab.Request) security.EventInput {
	return security.EventInput{Type: typ, Actor: actor, Subject: "cab-request:" + r.ID.String(),
		CorrelationID: r.CorrelationID, Data: json.RawMessage(`{"forged":true}`)}
}

func TestAttestCountersignsTheAuthenticatedMember(t *testing.T) {
	svc := attested(t)
	r := newRequest(t, svc, "60", blastradius.BusinessCritical)
	a, err := cab.Attest(svc, &r, cab.KindApproval, " Alice ", "ok")
	require.NoError(t, err)
	assert.Equal(t, "alice", a.By, "named normalised")
	assert.Equal(t, []string{"service"}, signerRoles(svc.Keys(), &a.Envelope))
	want, err := r.ApprovalPayload(cab.KindApproval, "alice", "ok")
	require.NoError(t, err)
	assert.True(t, attest.Carries(&a.Envelope, want), "the statement Approve checks")
	next, err := cab.Approve(r, svc.Keys(), a, epoch)
	require.NoError(t, err)
	assert.Len(t, next.Approvals, 1)
	_, err = cab.Attest(svc, &r, cab.KindApproval, "", "")
	requireInvalid(t, err, "approver")

	// A rejection attested for a member ends the request in either mode.
	ms := service(t, attest.MemberSigned, team...)
	rm := newRequest(t, ms, "60", blastradius.BusinessCritical)
	x, err := cab.Attest(ms, &rm, cab.KindRejection, "bob", "no rollback plan")
	require.NoError(t, err)
	rejected, err := cab.Reject(rm, ms.Keys(), cab.Rejection{By: x.By, Reason: "no rollback plan", Envelope: x.Envelope}, epoch)
	require.NoError(t, err)
	assert.Equal(t, cab.StatusRejected, rejected.Status)
	// But an approval attested by the service does not count there.
	y, err := cab.Attest(ms, &rm, cab.KindApproval, "bob", "")
	require.NoError(t, err)
	_, err = cab.Approve(rm, ms.Keys(), y, epoch)
	require.ErrorIs(t, err, attest.ErrUnknownKey)
}
