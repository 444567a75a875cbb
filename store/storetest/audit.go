package storetest

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
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

// seqs returns the sequence numbers of evs.
func seqs(evs []security.Event) []int64 {
	out := []int64{}
	for _, ev := range evs {
		out = append(out, ev.Seq)
	}
	return out
}

func runAudit(t *testing.T, h Harness) {
	subtests(t, h, cases(auditCases(), checkpointCases()))
}

// auditCases are the audit log's events.
func auditCases() map[string]func(e *env) {
	return map[string]func(e *env){
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
			assert.True(e.t, ev.OccurredAt.Equal(e.at(Epoch)))
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
			_, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "test.event"})
			requireInvalid(e.t, err, "actor")
			assert.Zero(e.t, e.auditSize())
		},
		"EventsReadBackExactlyAsAppended": func(e *env) {
			e.clock.Advance(789 * time.Nanosecond)
			var appended []security.Event
			for i := range 5 {
				ev, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "test.event", Actor: "tester",
					Subject: fmt.Sprintf("thing:%d", i), CorrelationID: "req-1",
					Data: json.RawMessage(fmt.Sprintf(`{"z": 1, "a": [%d, "é"]}`, i))})
				require.NoError(e.t, err)
				appended = append(appended, ev)
			}
			assert.Equal(e.t, int64(5), appended[4].Seq)
			assert.Equal(e.t, e.at(Epoch.Add(789*time.Nanosecond)), appended[0].OccurredAt)
			list, err := e.s.ListAuditEvents(e.ctx(), 0, 10)
			require.NoError(e.t, err)
			assert.Equal(e.t, appended, list, "events read back exactly as appended")
			list, err = e.s.ListAuditEvents(e.ctx(), 3, 1)
			require.NoError(e.t, err)
			require.Len(e.t, list, 1)
			assert.Equal(e.t, int64(4), list[0].Seq)
			head, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, security.Head{Size: 5, Hash: appended[4].Hash}, head)
		},
		"TheDefaultOptionsGiveTimeOrderedEventIDsAndTheRealClock": func(e *env) {
			s, err := store.New(e.d, store.Options{})
			require.NoError(e.t, err)
			ev, err := s.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "a"})
			require.NoError(e.t, err)
			assert.Equal(e.t, uuid.Version(7), ev.ID.Version())
			assert.WithinDuration(e.t, time.Now(), ev.OccurredAt, time.Minute)
			assert.Equal(e.t, time.UTC, ev.OccurredAt.Location())
			assert.Equal(e.t, ev.OccurredAt.Truncate(s.TimePrecision()), ev.OccurredAt, "at the store's precision")
		},
		"TheNewIDOptionGivesEveryEventItsIDAndEveryIncidentReportedWithoutOne": func(e *env) {
			ids := []uuid.UUID{uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057"),
				uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8058"), uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8059")}
			var next atomic.Int64
			s := e.storeWith(store.Options{NewID: func() uuid.UUID { return ids[next.Add(1)-1] }})
			v := riskmodel.Seed(Epoch)
			v.Version, v.Active = "1.0", false
			require.NoError(e.t, s.CreateRiskModel(e.ctx(), v, "admin"))
			evs := e.events()
			require.Len(e.t, evs, 1)
			assert.Equal(e.t, ids[0], evs[0].ID)
			stored, err := s.RiskModel(e.ctx(), "1.0")
			require.NoError(e.t, err)
			assert.JSONEq(e.t, `{"version":"1.0","mode":"GREENFIELD_CONSERVATIVE","content_sha256":"`+contentHash(e.t, stored)+`"}`,
				string(evs[0].Data))
			in, err := s.CreateIncident(e.ctx(), report("inc-1", incident.P3, "Zoom", Epoch.Add(-time.Hour)))
			require.NoError(e.t, err)
			evs = e.events()
			require.Len(e.t, evs, 2)
			got := []uuid.UUID{in.ID, evs[1].ID}
			slices.SortFunc(got, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
			assert.Equal(e.t, ids[1:], got, "the incident's id and its event's both come from NewID")
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
			for _, limit := range []int{0, -1, store.MaxAuditPage + 1} {
				_, err := e.s.ListAuditEvents(e.ctx(), 0, limit)
				requireInvalid(e.t, err, "limit", "limit %d", limit)
			}
		},
		"ListAuditEventsTakesAnyAfterAndBoundsItsLimit": func(e *env) {
			for range 5 {
				_, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "a"})
				require.NoError(e.t, err)
			}
			list := func(after int64, limit int) []int64 {
				e.t.Helper()
				evs, err := e.s.ListAuditEvents(e.ctx(), after, limit)
				require.NoError(e.t, err)
				return seqs(evs)
			}
			assert.Equal(e.t, []int64{1, 2, 3, 4, 5}, list(-7, store.MaxAuditPage))
			assert.Equal(e.t, []int64{1, 2}, list(math.MinInt64, 2))
			assert.Equal(e.t, []int64{4, 5}, list(3, 10))
			assert.Equal(e.t, []int64{}, list(5, 10))
			assert.Equal(e.t, []int64{}, list(math.MaxInt64, 10))
			_, err := e.s.ListAuditEvents(e.ctx(), 0, store.MaxAuditPage+1)
			requireInvalid(e.t, err, "limit")
		},
		"ReturnedEventsAreCopies": func(e *env) {
			ev, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "a", Data: json.RawMessage(`{"a":1}`)})
			require.NoError(e.t, err)
			ev.Data[1] = 'X'
			evs := e.events()
			require.Len(e.t, evs, 1)
			evs[0].Data[1] = 'Y'
			assert.Equal(e.t, `{"a":1}`, string(e.events()[0].Data))
		},
		"TheChainNeverForksUnder32ConcurrentAppenders": func(e *env) {
			const writers, each = 32, 10
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						_, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "concurrent", Actor: fmt.Sprintf("w%d", w), Subject: fmt.Sprint(i)})
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(e.t, err)
			}
			for _, page := range []int{0, 17} {
				head, err := e.verify(security.VerifyOptions{PageSize: page})
				require.NoError(e.t, err)
				assert.Equal(e.t, int64(writers*each), head.Size)
			}
		},
	}
}
