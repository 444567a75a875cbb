package storetest

import (
	"context"
	"crypto/ed25519"
	"errors"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testOrigin names the test log in its checkpoints.
const testOrigin = "trustgate.test/audit"

// logSigner signs the test log's checkpoints with key.
func (e *env) logSigner(key ed25519.PrivateKey) *auditlog.Signer {
	s, err := auditlog.NewSigner(testOrigin, key)
	require.NoError(e.t, err)
	return s
}

// trust is what a verifier of the test log trusts: its origin and the
// verifier key of testKey.
func (e *env) trust() auditlog.Trust {
	v, err := auditlog.NewVerifier(e.logSigner(testKey()).VerifierKey())
	require.NoError(e.t, err)
	return auditlog.Trust{Origin: testOrigin, Log: v}
}

// checkpoint signs, with testKey, a checkpoint of the log as it stands,
// its root recomputed from the events (VerifyLog), not read from the tree.
func (e *env) checkpoint() []byte {
	head, root, err := e.s.VerifyLog(e.ctx(), security.VerifyOptions{})
	require.NoError(e.t, err)
	msg, err := auditlog.Sign(auditlog.Checkpoint{Origin: testOrigin, Size: head.Size, Hash: root}, e.logSigner(testKey()))
	require.NoError(e.t, err)
	return msg
}

// checkpointCases are the log's checkpoints and its proofs.
func checkpointCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"SaveCheckpointStoresAndReturnsTheLatest": func(e *env) {
			_, err := e.s.LatestCheckpoint(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			e.appendN(2)
			cp1 := e.checkpoint()
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp1))
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp1), "saving the same checkpoint again is a no-op")
			e.appendN(3)
			cp2 := e.checkpoint()
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp2))
			got, err := e.s.LatestCheckpoint(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, cp2, got)
			v, err := auditlog.Open(got, e.trust())
			require.NoError(e.t, err, "the stored checkpoint still verifies")
			assert.Equal(e.t, int64(5), v.Size)
			got[0] ^= 1
			again, err := e.s.LatestCheckpoint(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, cp2, again, "returned notes are copies")
			assert.Equal(e.t, int64(5), e.auditSize(), "checkpoints are not audit events")
		},
		"ACheckpointOfAnotherTreeIsAConflict": func(e *env) {
			e.appendN(3)
			head, _, err := e.s.VerifyLog(e.ctx(), security.VerifyOptions{})
			require.NoError(e.t, err)
			forked, err := auditlog.Sign(auditlog.Checkpoint{Origin: testOrigin, Size: head.Size, Hash: [32]byte{1}}, e.logSigner(testKey()))
			require.NoError(e.t, err)
			require.ErrorIs(e.t, e.s.SaveCheckpoint(e.ctx(), forked), store.ErrConflict, "another root: a fork")
			ahead, err := auditlog.Sign(auditlog.Checkpoint{Origin: testOrigin, Size: head.Size + 1, Hash: [32]byte{1}}, e.logSigner(testKey()))
			require.NoError(e.t, err)
			require.ErrorIs(e.t, e.s.SaveCheckpoint(e.ctx(), ahead), store.ErrConflict, "beyond the log")
			err = e.s.SaveCheckpoint(e.ctx(), []byte("not a note\n"))
			requireCode(e.t, err, trustgate.Invalid)
			require.ErrorIs(e.t, err, auditlog.ErrMalformed)
			_, err = e.s.LatestCheckpoint(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound, "nothing was kept")
		},
		"TheLatestCheckpointIsTheMostCosigned": func(e *env) {
			e.appendN(2)
			cp := e.checkpoint()
			witness, err := auditlog.NewCosigner("witness.test", ed25519.NewKeyFromSeed(make([]byte, 32)), e.clock.Now)
			require.NoError(e.t, err)
			cosigned, err := auditlog.Cosign(cp, witness)
			require.NoError(e.t, err)
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp))
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cosigned))
			got, err := e.s.LatestCheckpoint(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, cosigned, got)
			wv, err := auditlog.NewWitnessVerifier(witness.VerifierKey())
			require.NoError(e.t, err)
			trust := e.trust()
			trust.Witnesses, trust.WitnessQuorum = append(trust.Witnesses, wv), 1
			_, err = auditlog.Open(got, trust)
			require.NoError(e.t, err)
		},
		"VerifyLogGivesOneAnswerWhateverThePageSize": func(e *env) {
			e.appendN(21)
			cp := e.checkpoint()
			head, root, err := e.s.VerifyLog(e.ctx(), security.VerifyOptions{})
			require.NoError(e.t, err)
			for _, page := range []int{1, 7, 10, 20, 21, 22} {
				h, r, err := e.s.VerifyLog(e.ctx(), security.VerifyOptions{PageSize: page, Checkpoints: [][]byte{cp}, Trust: e.trust()})
				require.NoError(e.t, err, "page %d", page)
				assert.Equal(e.t, head, h, "page %d", page)
				assert.Equal(e.t, root, r, "page %d", page)
			}
		},
		"VerifyLogEndsWithItsContext": func(e *env) {
			e.appendN(25)
			ctx, cancel := context.WithCancel(e.ctx())
			cancel()
			_, _, err := e.s.VerifyLog(ctx, security.VerifyOptions{PageSize: 2})
			require.ErrorIs(e.t, err, context.Canceled)
			head, _, err := e.s.VerifyLog(e.ctx(), security.VerifyOptions{PageSize: 2})
			require.NoError(e.t, err, "the store is unaffected")
			assert.Equal(e.t, int64(25), head.Size)
		},
		"ACheckpointVerifiesAgainstTheUntouchedLog": func(e *env) {
			e.appendN(4)
			cp := e.checkpoint()
			e.appendN(2) // the log may grow past a checkpoint
			head, err := e.verify(security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: e.trust()})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(6), head.Size)
			_, _, err = e.s.VerifyLog(e.ctx(), security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: e.trust()})
			require.NoError(e.t, err)
		},
		"EveryEventHasAnInclusionProofThatVerifiesOffline": func(e *env) {
			evs := e.appendN(7)
			cp := e.checkpoint()
			for _, ev := range evs {
				p, err := e.s.ProveEvent(e.ctx(), ev.Seq, cp)
				require.NoError(e.t, err)
				parsed, err := auditlog.ParseInclusionProof(p.Marshal())
				require.NoError(e.t, err)
				_, leaf, err := auditlog.VerifyInclusion(parsed, e.trust())
				require.NoError(e.t, err, "event %d", ev.Seq)
				want, err := ev.Canonical()
				require.NoError(e.t, err)
				assert.Equal(e.t, want, leaf, "the proof carries the event it proves")
			}
			_, err := e.s.ProveEvent(e.ctx(), 8, cp)
			requireInvalid(e.t, err, "seq")
			_, err = e.s.ProveEvent(e.ctx(), 0, cp)
			requireInvalid(e.t, err, "seq")
		},
		"CheckpointsHaveConsistencyProofs": func(e *env) {
			e.appendN(3)
			old := e.checkpoint()
			e.appendN(6)
			cur := e.checkpoint()
			p, err := e.s.ProveConsistency(e.ctx(), old, cur)
			require.NoError(e.t, err)
			parsed, err := auditlog.ParseConsistencyProof(p.Marshal())
			require.NoError(e.t, err)
			_, _, err = auditlog.VerifyConsistency(parsed, old, cur, e.trust())
			require.NoError(e.t, err)
			_, err = e.s.ProveConsistency(e.ctx(), cur, old)
			requireInvalid(e.t, err, "old")
			forked, err := auditlog.Sign(auditlog.Checkpoint{Origin: testOrigin, Size: 3, Hash: [32]byte{7}}, e.logSigner(testKey()))
			require.NoError(e.t, err)
			_, err = e.s.ProveConsistency(e.ctx(), forked, cur)
			require.ErrorIs(e.t, err, store.ErrConflict)
		},
		"SignCheckpointSignsStoresAndPublishes": func(e *env) {
			var published [][]byte
			s, err := store.New(e.d, store.Options{Now: e.clock.Now, Log: store.LogOptions{Signer: e.logSigner(testKey()),
				Publisher: auditlog.PublishFunc(func(_ context.Context, note []byte) error {
					published = append(published, note)
					return nil
				})}})
			require.NoError(e.t, err)
			_, err = e.s.SignCheckpoint(e.ctx())
			requireInvalid(e.t, err, "log.signer")
			e.appendN(4)
			msg, err := s.SignCheckpoint(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, [][]byte{msg}, published)
			assert.Equal(e.t, e.checkpoint(), msg, "the root the store signs is the one its events make")
			got, err := e.s.LatestCheckpoint(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, msg, got)
			e.appendN(1)
			failing, err := store.New(e.d, store.Options{Now: e.clock.Now, Log: store.LogOptions{Signer: e.logSigner(testKey()),
				Publisher: auditlog.PublishFunc(func(context.Context, []byte) error { return errors.New("witness down") })}})
			require.NoError(e.t, err)
			msg, err = failing.SignCheckpoint(e.ctx())
			require.ErrorContains(e.t, err, "witness down")
			got, err = e.s.LatestCheckpoint(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, msg, got, "stored although publishing failed")
		},
		"SyncTreeIsANoOpOnAStoreThatKeptItsTree": func(e *env) {
			evs := e.appendN(3)
			head, err := e.s.SyncTree(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Head{Size: 3, Hash: evs[2].Hash}, head)
		},
	}
}
