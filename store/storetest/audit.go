package storetest

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testKey is a fixed Ed25519 key for checkpoint tests.
func testKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func (e *env) appendN(n int) []security.Event {
	e.t.Helper()
	out := make([]security.Event, 0, n)
	for i := range n {
		ev, err := e.s.AppendAudit(e.ctx(), security.EventInput{
			Type:          "test.event",
			Actor:         fmt.Sprintf("actor-%d", i),
			Subject:       "subject",
			CorrelationID: fmt.Sprintf("corr-%d", i),
			Data:          json.RawMessage(fmt.Sprintf(`{"i":%d,"note":"événement ✓","z":[1,2.50,true,null]}`, i)),
		})
		require.NoError(e.t, err)
		out = append(out, ev)
		e.clock.Advance(time.Second)
	}
	return out
}

func (e *env) verify(opts security.VerifyOptions) (security.Head, error) {
	return security.VerifyChain(e.ctx(), e.s, opts)
}

func runAudit(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"AppendAuditChainsEventsInOrder": func(e *env) {
			evs := e.appendN(5)
			for i, ev := range evs {
				assert.Equal(e.t, int64(i+1), ev.Seq)
				if i == 0 {
					assert.True(e.t, ev.PrevHash.IsZero())
				} else {
					assert.Equal(e.t, evs[i-1].Hash, ev.PrevHash)
				}
				h, err := ev.ComputeHash()
				require.NoError(e.t, err)
				assert.Equal(e.t, h, ev.Hash)
			}
			head, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Head{Size: 5, Hash: evs[4].Hash}, head)
			stored, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, head, stored)
		},
		"AppendAuditStampsTheStoreClockAndCanonicalData": func(e *env) {
			ev, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "a", Data: json.RawMessage(`{ "b" : 1.0, "a" : "x" }`)})
			require.NoError(e.t, err)
			assert.True(e.t, ev.OccurredAt.Equal(Epoch))
			assert.Equal(e.t, `{"a":"x","b":1}`, string(ev.Data))
			got, err := e.s.ListAuditEvents(e.ctx(), 0, 10)
			require.NoError(e.t, err)
			require.Len(e.t, got, 1)
			assert.Equal(e.t, ev.ID, got[0].ID)
			assert.Equal(e.t, ev.Data, got[0].Data)
			assert.True(e.t, ev.OccurredAt.Equal(got[0].OccurredAt))
			assert.Equal(e.t, time.UTC, got[0].OccurredAt.Location())
		},
		"AppendAuditRejectsInvalidInputAndWritesNothing": func(e *env) {
			bad := []security.EventInput{
				{Type: "", Actor: "a"},
				{Type: "t", Actor: ""},
				{Type: "t", Actor: "a\nb"},
				{Type: "t", Actor: "a", Data: json.RawMessage(`[1]`)},
				{Type: "t", Actor: "a", Data: json.RawMessage(`{"a":1,"a":2}`)},
				{Type: "t", Actor: "a", Data: json.RawMessage("{\"a\":\"\xff\"}")},
			}
			for _, in := range bad {
				_, err := e.s.AppendAudit(e.ctx(), in)
				require.Equal(e.t, trustgate.Invalid, trustgate.ErrorCode(err), "%+v: %v", in, err)
				require.NotEmpty(e.t, trustgate.AsError(err).Field, "%+v", in)
			}
			assert.Zero(e.t, e.auditSize())
		},
		"AuditHeadOfAnEmptyLogIsZero": func(e *env) {
			h, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Head{}, h)
		},
		"ListAuditEventsPaginatesInOrder": func(e *env) {
			e.appendN(7)
			var seqs []int64
			after := int64(0)
			for {
				page, err := e.s.ListAuditEvents(e.ctx(), after, 3)
				require.NoError(e.t, err)
				for _, ev := range page {
					seqs = append(seqs, ev.Seq)
				}
				if len(page) < 3 {
					break
				}
				after = page[len(page)-1].Seq
			}
			assert.Equal(e.t, []int64{1, 2, 3, 4, 5, 6, 7}, seqs)
		},
		"ListAuditEventsRejectsABadLimit": func(e *env) {
			for _, limit := range []int{0, -1, 10001} {
				_, err := e.s.ListAuditEvents(e.ctx(), 0, limit)
				require.ErrorIs(e.t, err, store.ErrInvalid, "limit %d", limit)
			}
		},
		"TheChainNeverForksUnder32ConcurrentAppenders": func(e *env) {
			const writers, each = 32, 5
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						_, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "concurrent", Actor: fmt.Sprintf("w%d", w), Subject: fmt.Sprint(i)})
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(e.t, err)
			}
			head, err := e.verify(security.VerifyOptions{PageSize: 17})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(writers*each), head.Size)
		},
		"SaveCheckpointStoresAndReturnsTheLatest": func(e *env) {
			_, err := e.s.LatestCheckpoint(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			e.appendN(2)
			h1, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			cp1, err := security.SignCheckpoint(testKey(), "k1", h1, e.clock.Now())
			require.NoError(e.t, err)
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp1))
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp1), "saving the same checkpoint again is a no-op")
			e.appendN(3)
			h2, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			cp2, err := security.SignCheckpoint(testKey(), "k1", h2, e.clock.Now())
			require.NoError(e.t, err)
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp2))
			got, err := e.s.LatestCheckpoint(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, cp2.Size, got.Size)
			assert.Equal(e.t, cp2.Head, got.Head)
			assert.Equal(e.t, cp2.Signature, got.Signature)
			assert.True(e.t, cp2.SignedAt.Equal(got.SignedAt))
			require.NoError(e.t, got.Verify(testKey().Public().(ed25519.PublicKey)), "the stored checkpoint still verifies")
		},
		"SaveCheckpointReturnsErrConflictForDifferentContentAtTheSameSize": func(e *env) {
			e.appendN(2)
			h, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			cp, err := security.SignCheckpoint(testKey(), "k1", h, e.clock.Now())
			require.NoError(e.t, err)
			require.NoError(e.t, e.s.SaveCheckpoint(e.ctx(), cp))
			other := cp
			other.Head[0] ^= 0xff
			require.ErrorIs(e.t, e.s.SaveCheckpoint(e.ctx(), other), store.ErrConflict)
		},
		"ACheckpointVerifiesAgainstTheUntouchedLog": func(e *env) {
			e.appendN(4)
			h, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			cp, err := security.SignCheckpoint(testKey(), "k1", h, e.clock.Now())
			require.NoError(e.t, err)
			e.appendN(2) // the log may grow past a checkpoint
			head, err := e.verify(security.VerifyOptions{Checkpoint: &cp, PublicKey: testKey().Public().(ed25519.PublicKey)})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(6), head.Size)
		},
	})
}
