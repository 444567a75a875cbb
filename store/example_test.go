package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
)

// A transaction: an operation refused for its input writes nothing and the
// transaction goes on; everything in it commits together, or nothing does.
func ExampleStore_WithTx() {
	ctx := context.Background()
	now := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	v := riskmodel.Seed(now)
	v.Version, v.Active = "1.2", false

	err = s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.CreateRiskModel(ctx, v, " "); err != nil {
			e := trustgate.AsError(err)
			fmt.Println("refused:", e.Code, e.Field)
		}
		if err := tx.CreateRiskModel(ctx, v, "cab-admin"); err != nil {
			return err
		}
		return tx.ActivateRiskModel(ctx, v.Version, "cab-admin")
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	active, err := s.ActiveRiskModel(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("active:", active.Version)
	_, err = s.RiskModel(ctx, "9.9")
	fmt.Println("9.9:", trustgate.ErrorCode(err), errors.Is(err, store.ErrNotFound))
	// Output:
	// refused: invalid actor
	// active: 1.2
	// 9.9: not_found true
}
