package maturity_test

import (
	"context"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func ExampleEngine_Evaluate() {
	ctx := context.Background()
	now := time.Date(2026, 2, 9, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, _ := store.New(memstore.New(memstore.Options{}), store.Options{Now: clock})
	_ = store.Seed(ctx, s, now)

	// Four weeks of 100 deployments a week, every one reviewed by the CAB.
	for i := range 400 {
		now = now.Add(maturity.Week / 100)
		_, _ = s.RecordDeployment(ctx, incident.Deployment{ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools,
			RiskScore: decimal.NewFromInt(int64(i % 30)), ModelVersion: "1.1", FinishedAt: now})
	}

	engine, _ := maturity.NewEngine(s, maturity.Options{Now: clock})
	ev, _ := engine.Evaluate(ctx)
	fmt.Println(ev.Kind, ev.Level, "→", ev.Target, "ready:", ev.Ready)
	tr, _ := engine.Approve(ctx, ev.ID, "cab-alice")
	fmt.Println("now at", tr.State.Level, "with productivity threshold", tr.Model.Thresholds[blastradius.ProductivityTools])
	// Output:
	// progression level 0 (Baseline) → level 1 (Cautious) ready: true
	// now at level 1 (Cautious) with productivity threshold 20
}
