package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runSubjects(t *testing.T, h Harness) { subtests(t, h, subjectCases()) }

// interleave appends n events for each subject in turn (a, b, c, a, b,
// c, ...) and returns each subject's events in the order appended.
func (e *env) interleave(n int, subjects ...string) map[string][]security.Event {
	e.t.Helper()
	out := map[string][]security.Event{}
	for i := range n {
		for _, s := range subjects {
			ev, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "test.event", Actor: "tester", Subject: s,
				CorrelationID: fmt.Sprintf("%s-%d", s, i)})
			require.NoError(e.t, err)
			out[s] = append(out[s], ev)
			e.clock.Advance(time.Millisecond)
		}
	}
	return out
}

// subjectCases are the audit log read by subject: ListSubjectEvents and
// LatestEvent.
func subjectCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"ListSubjectEventsReturnsOnlyTheSubjectsEventsInOrder": func(e *env) {
			// "cab-request:1" is a prefix of the third: equality, not a prefix match.
			subjects := []string{"cab-request:1", "riskmodel:1.0", "cab-request:10", ""}
			want := e.interleave(4, subjects...)
			for _, s := range subjects[:3] {
				got, err := e.s.ListSubjectEvents(e.ctx(), s, 0, 100)
				require.NoError(e.t, err, s)
				assert.Equal(e.t, want[s], got, "%s: its events exactly as appended, and no other", s)
			}
		},
		"ListSubjectEventsPagesWithAfterAndLimit": func(e *env) {
			want := e.interleave(7, "a", "b", "c")["b"]
			for _, limit := range []int{1, 2, 3, 7, 8} {
				var got []security.Event
				pages, after := 0, int64(0)
				for {
					page, err := e.s.ListSubjectEvents(e.ctx(), "b", after, limit)
					require.NoError(e.t, err)
					require.LessOrEqual(e.t, len(page), limit)
					pages++
					got = append(got, page...)
					if len(page) < limit {
						break
					}
					after = page[len(page)-1].Seq
				}
				assert.Equal(e.t, seqs(want), seqs(got), "limit %d", limit)
				assert.Equal(e.t, len(want)/limit+1, pages, "limit %d: full pages, then a short one", limit)
			}
			// after need not be one of the subject's own events.
			page, err := e.s.ListSubjectEvents(e.ctx(), "b", want[2].Seq-1, 2)
			require.NoError(e.t, err)
			assert.Equal(e.t, seqs(want[2:4]), seqs(page))
			page, err = e.s.ListSubjectEvents(e.ctx(), "b", want[len(want)-1].Seq, 5)
			require.NoError(e.t, err)
			assert.Empty(e.t, page, "nothing after the subject's last event")
		},
		"ListSubjectEventsOfAnUnknownSubjectIsEmpty": func(e *env) {
			e.interleave(2, "a")
			page, err := e.s.ListSubjectEvents(e.ctx(), "nobody", 0, 10)
			require.NoError(e.t, err)
			assert.Empty(e.t, page)
		},
		"LatestEventReturnsTheSubjectsNewestEvent": func(e *env) {
			evs := e.interleave(5, "a", "b", "c")
			for s, want := range evs {
				got, err := e.s.LatestEvent(e.ctx(), s)
				require.NoError(e.t, err, s)
				assert.Equal(e.t, want[len(want)-1], got, s)
			}
			// A new event about a becomes its latest; b's stays.
			next, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "test.later", Actor: "tester", Subject: "a"})
			require.NoError(e.t, err)
			got, err := e.s.LatestEvent(e.ctx(), "a")
			require.NoError(e.t, err)
			assert.Equal(e.t, next, got)
			got, err = e.s.LatestEvent(e.ctx(), "b")
			require.NoError(e.t, err)
			assert.Equal(e.t, evs["b"][4], got)
		},
		"LatestEventOfAnUnknownSubjectIsNotFound": func(e *env) {
			for _, prepare := range []func(){func() {}, func() { e.interleave(3, "a", "ab") }} {
				prepare()
				_, err := e.s.LatestEvent(e.ctx(), "b")
				require.ErrorIs(e.t, err, store.ErrNotFound)
			}
		},
		"SubjectReadsRejectABadLimitOrSubject": func(e *env) {
			e.interleave(1, "a")
			for _, limit := range []int{0, -1, store.MaxAuditPage + 1} {
				_, err := e.s.ListSubjectEvents(e.ctx(), "a", 0, limit)
				requireInvalid(e.t, err, "limit", "limit %d", limit)
			}
			_, err := e.s.ListSubjectEvents(e.ctx(), "a", 0, store.MaxAuditPage)
			require.NoError(e.t, err, "the largest page is accepted")
			for _, s := range []string{"", "  ", "a\x00b", "a\nb", "\xff", strings.Repeat("x", security.MaxEventTextLength+1)} {
				_, err := e.s.ListSubjectEvents(e.ctx(), s, 0, 10)
				requireInvalid(e.t, err, "subject", "subject %q", s)
				_, err = e.s.LatestEvent(e.ctx(), s)
				requireInvalid(e.t, err, "subject", "subject %q", s)
			}
		},
		"SubjectReadsInATransactionSeeItsOwnAppends": func(e *env) {
			e.interleave(2, "a")
			err := e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				ev, err := tx.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: "tester", Subject: "a"})
				require.NoError(e.t, err)
				got, err := tx.LatestEvent(ctx, "a")
				require.NoError(e.t, err)
				assert.Equal(e.t, ev, got)
				page, err := tx.ListSubjectEvents(ctx, "a", 0, 10)
				require.NoError(e.t, err)
				assert.Equal(e.t, []int64{1, 2, 3}, seqs(page))
				return errAbort
			})
			require.ErrorIs(e.t, err, errAbort)
			got, err := e.s.LatestEvent(e.ctx(), "a")
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(2), got.Seq, "the rolled-back append is gone")
		},
	}
}
