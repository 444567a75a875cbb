package storetest

import (
	"crypto/ed25519"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runTamper(t *testing.T, h Harness) {
	if h.Tamper == nil {
		t.Skip("storetest: the harness has no Tamper: skipping tamper detection")
	}
	// brokenAt asserts that verification fails and names seq.
	brokenAt := func(e *env, opts security.VerifyOptions, seq int64) {
		e.t.Helper()
		_, err := e.verify(opts)
		require.ErrorIs(e.t, err, security.ErrChainBroken)
		var ce *security.ChainError
		require.ErrorAs(e.t, err, &ce)
		assert.Equal(e.t, seq, ce.Seq, "the first broken link: %v", err)
	}
	subtests(t, h, map[string]func(e *env){
		"AnEditedEventIsDetectedAtItsPosition": func(e *env) {
			e.appendN(6)
			require.NoError(e.t, e.tamper().EditAuditEvent(e.ctx(), 4))
			brokenAt(e, security.VerifyOptions{}, 4)
		},
		"VerifyLogFindsTheFirstTamperingWhateverThePageSize": func(e *env) {
			e.appendN(30)
			require.NoError(e.t, e.tamper().EditAuditEvent(e.ctx(), 18))
			require.NoError(e.t, e.tamper().EditAuditEvent(e.ctx(), 5))
			for _, page := range []int{0, 1, 4, 7, 29, 30, 31} {
				_, _, err := e.s.VerifyLog(e.ctx(), security.VerifyOptions{PageSize: page})
				var ce *security.ChainError
				require.ErrorAs(e.t, err, &ce, "page %d", page)
				assert.Equal(e.t, int64(5), ce.Seq, "page %d: the first, though later pages were read and checked ahead", page)
			}
		},
		"ADeletedEventIsDetectedAtItsPosition": func(e *env) {
			e.appendN(6)
			require.NoError(e.t, e.tamper().DeleteAuditEvent(e.ctx(), 3))
			brokenAt(e, security.VerifyOptions{}, 3)
		},
		"ReorderedEventsAreDetected": func(e *env) {
			e.appendN(6)
			require.NoError(e.t, e.tamper().SwapAuditEvents(e.ctx(), 2, 5))
			brokenAt(e, security.VerifyOptions{}, 2)
		},
		"ATruncatedTailIsDetectedAgainstACheckpoint": func(e *env) {
			e.appendN(6)
			cp := e.checkpoint()
			require.NoError(e.t, e.tamper().TruncateAudit(e.ctx(), 5))
			// The chain alone still verifies: this is what checkpoints are for.
			short, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(4), short.Size)
			brokenAt(e, security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: e.trust()}, 5)
		},
		"ACheckpointFromAnotherKeyIsRejected": func(e *env) {
			e.appendN(2)
			other, err := auditlog.Sign(auditlog.Checkpoint{Origin: testOrigin, Size: 2}, e.logSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))))
			require.NoError(e.t, err)
			_, err = e.verify(security.VerifyOptions{Checkpoints: [][]byte{other}, Trust: e.trust()})
			require.ErrorIs(e.t, err, auditlog.ErrSignature)
			cp := e.checkpoint()
			_, err = e.verify(security.VerifyOptions{Checkpoints: [][]byte{cp}})
			require.ErrorIs(e.t, err, auditlog.ErrKey, "no trust, no checkpoint")
		},
		"EditedEvidenceIsBlockedAsTampered": func(e *env) {
			ev := e.upload("build-5", evidenceData(5))
			require.NoError(e.t, e.tamper().EditEvidence(e.ctx(), ev.ID))
			stored, err := e.s.EvidenceByID(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.False(e.t, stored.Intact())
			_, err = e.validate(ev.ID)
			var ve *security.ValidationError
			require.ErrorAs(e.t, err, &ve)
			assert.Equal(e.t, security.EvidenceTampered, ve.Code)
			assert.Equal(e.t, ev.ID, ve.EvidenceID)
			assert.Equal(e.t, "build-5", ve.CorrelationID)
			assert.Equal(e.t, security.EventValidationFailed, e.lastEvent().Type)
		},
		"ADeletedEvidencePackageIsBlockedAndItsUploadStaysOnRecord": func(e *env) {
			ev := e.upload("build-6", evidenceData(6))
			require.NoError(e.t, e.tamper().DeleteEvidence(e.ctx(), ev.ID))
			_, err := e.validate(ev.ID)
			var ve *security.ValidationError
			require.ErrorAs(e.t, err, &ve)
			assert.Equal(e.t, security.EvidenceNotFound, ve.Code)
			// The log still names the package that was uploaded, with its
			// content hash: the deletion is visible to an auditor.
			events, err := e.s.ListAuditEvents(e.ctx(), 0, 100)
			require.NoError(e.t, err)
			found := false
			for _, x := range events {
				if x.Type == security.EventEvidenceCreated && x.Subject == "evidence:"+ev.ID.String() {
					found = true
					assert.Contains(e.t, string(x.Data), ev.ContentHash.String())
				}
			}
			assert.True(e.t, found, "the evidence.created event of the deleted package")
			_, err = e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
		},
		"DeletingTheLastEventMovesTheHeadBack": func(e *env) {
			// The head is read from the last stored event: a log cut at its
			// tail looks shorter, not broken (what checkpoints are for).
			evs := e.appendN(3)
			require.NoError(e.t, e.tamper().DeleteAuditEvent(e.ctx(), 3))
			head, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Head{Size: 2, Hash: evs[1].Hash}, head)
			verified, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, head, verified)
			require.Error(e.t, e.tamper().EditAuditEvent(e.ctx(), 3), "the tamperer finds no event 3")
			require.NoError(e.t, e.tamper().TruncateAudit(e.ctx(), 1))
			head, err = e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Head{}, head)
			// The Merkle tree still holds the events cut off: the store
			// refuses to write a log over them, and Verify names the row.
			_, err = e.s.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "a"})
			require.ErrorIs(e.t, err, attest.ErrTampered)
			_, _, err = e.s.VerifyLog(e.ctx(), security.VerifyOptions{})
			require.ErrorIs(e.t, err, attest.ErrTampered)
		},
		"AnEditBeforeACheckpointIsDetected": func(e *env) {
			e.appendN(5)
			cp := e.checkpoint()
			require.NoError(e.t, e.tamper().EditAuditEvent(e.ctx(), 1))
			brokenAt(e, security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: e.trust()}, 1)
		},
	})
}
