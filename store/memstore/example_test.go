package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	now := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println("store:", err)
		return
	}
	if err := store.Seed(ctx, s, now); err != nil {
		fmt.Println("seed:", err)
		return
	}
	active, err := s.ActiveRiskModel(ctx)
	if err != nil {
		fmt.Println("active model:", err)
		return
	}
	head, err := s.AuditHead(ctx)
	if err != nil {
		fmt.Println("audit head:", err)
		return
	}
	fmt.Println("active risk model:", active.Version)
	fmt.Println("audit events:", head.Size)
	// Output:
	// active risk model: 1.1
	// audit events: 3
}
