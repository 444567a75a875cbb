package maturity_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
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

	// The service key signs each level in force; its keyring names the
	// CAB. The keys are made here for the example: an installation holds
	// the service key outside the database.
	servicePub, serviceKey, _ := ed25519.GenerateKey(nil)
	keys, _ := attest.NewKeyring(attest.Config{Service: servicePub,
		Members: map[string][]crypto.PublicKey{"cab-alice": nil, "cab-bob": nil}})
	svc, _ := attest.NewService(serviceKey, keys)
	_ = store.Seed(ctx, s, svc, now)

	// Four weeks of 100 deployments a week, every one reviewed by the CAB.
	for i := range 400 {
		now = now.Add(maturity.Week / 100)
		_, _ = s.RecordDeployment(ctx, incident.Deployment{ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools,
			RiskScore: decimal.NewFromInt(int64(i % 30)), ModelVersion: "1.1", FinishedAt: now})
	}

	engine, _ := maturity.NewEngine(s, maturity.Options{Service: svc, Now: clock})
	ev, _ := engine.Evaluate(ctx)
	fmt.Println(ev.Kind, ev.Level, "→", ev.Target, "ready:", ev.Ready)
	first, _ := engine.Approve(ctx, ev.ID, "cab-alice")
	fmt.Println("approvals:", first.Approvals, "of", first.Quorum, "applied:", first.Transition != nil)
	second, _ := engine.Approve(ctx, ev.ID, "cab-bob")
	tr := second.Transition
	fmt.Println("now at", tr.State.Level, "with productivity threshold", tr.Model.Thresholds[blastradius.ProductivityTools])
	state, _ := s.MaturityState(ctx)
	fmt.Println("the level in force verifies:", maturity.VerifyState(&state, keys, len(maturity.Levels())) == nil)
	// Output:
	// progression level 0 (Baseline) → level 1 (Cautious) ready: true
	// approvals: 1 of 2 applied: false
	// now at level 1 (Cautious) with productivity threshold 20
	// the level in force verifies: true
}

func ExampleDefinition_Model() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	mature := maturity.Levels()[maturity.MatureLevel]
	m, err := mature.Model(riskmodel.Seed(now), "L3-scenario", now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Version, m.Mode, "approved:", m.Approval.Approved)
	for _, c := range blastradius.Classes() {
		fmt.Println(c, m.Thresholds[c])
	}
	_, err = mature.Model(riskmodel.Seed(now), "", now)
	fmt.Println("field:", trustgate.AsError(err).Field)
	// Output:
	// L3-scenario MATURE approved: false
	// CRITICAL_INFRASTRUCTURE 0
	// BUSINESS_CRITICAL 20
	// PRODUCTIVITY_TOOLS 45
	// NON_CRITICAL 65
	// field: version
}

func ExampleCriterion_String() {
	levels := maturity.Levels()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ev := maturity.Evaluate(levels, maturity.Policy{}, maturity.Inputs{
		State: maturity.State{Level: maturity.Baseline, Since: now.Add(-6 * maturity.Week)}, Now: now,
		Counts: incident.Counts{Deployments: 400, Incidents: 3, BySeverity: map[incident.Severity]int64{incident.P2: 1, incident.P4: 2}},
	})
	for _, c := range ev.Criteria {
		fmt.Println(c)
	}
	// Output:
	// weeks_at_level ≥ 4, actual 6: passed
	// min_deployments ≥ 100, actual 400: passed
	// incident_rate ≤ 0.02, actual 0.0075: passed
	// p1_incidents ≤ 0, actual 0: passed
	// p2_incidents ≤ unlimited, actual 1: passed
}
