package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
)

// A record's history and its current state from the audit log: the events
// about one subject, and the latest of them.
func ExampleStore_LatestEvent() {
	ctx := context.Background()
	now := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range []security.EventInput{
		{Type: "cab.request.submitted", Actor: "sam", Subject: "cab-request:1"},
		{Type: "riskmodel.created", Actor: "admin", Subject: "riskmodel:1.2"},
		{Type: "cab.request.approved", Actor: "alice", Subject: "cab-request:1"},
	} {
		if _, err := s.AppendAudit(ctx, in); err != nil {
			fmt.Println(err)
			return
		}
	}
	history, err := s.ListSubjectEvents(ctx, "cab-request:1", 0, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range history {
		fmt.Println(e.Seq, e.Type)
	}
	latest, err := s.LatestEvent(ctx, "cab-request:1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("latest:", latest.Seq, latest.Type)
	_, err = s.LatestEvent(ctx, "cab-request:2")
	fmt.Println("unknown:", errors.Is(err, store.ErrNotFound))
	// Output:
	// 1 cab.request.submitted
	// 3 cab.request.approved
	// latest: 3 cab.request.approved
	// unknown: true
}
