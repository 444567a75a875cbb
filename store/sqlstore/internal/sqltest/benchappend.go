package sqltest

import (
	"context"
	"testing"

	"github.com/buildworksai/trustgate/store"
)

// BenchAppendAudit measures one Store.AppendAudit, alone: the head read,
// the event built and hashed, its tree hashes computed from the cached
// frontier, and the commit of its audit_tree row and audit_events row.
// "Empty" appends to a log that starts empty on a fresh database; "1M"
// to the million-event log of BenchVerifyLog (which the appends lengthen:
// the other log benchmarks still hold, on a longer log), so that the two
// side by side show what the log's length costs an append. The event is a
// validation's, with the data one records.
func BenchAppendAudit(b *testing.B, be Backend) {
	b.Run("Empty", func(b *testing.B) {
		s, err := store.New(be.New(b), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchAppend(b, s)
	})
	b.Run("1M", func(b *testing.B) {
		_, s := be.logStore(b)
		benchAppend(b, s)
	})
}

func benchAppend(b *testing.B, s *store.Store) {
	ctx := context.Background()
	in := logEventInput(7)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AppendAudit(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
