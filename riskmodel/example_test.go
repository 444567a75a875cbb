package riskmodel_test

import (
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

func ExampleVersion_Score() {
	model := riskmodel.Seed(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))
	score, err := model.Score(map[riskmodel.Factor]decimal.Decimal{
		riskmodel.PrivilegeElevation: decimal.NewFromInt(80),
		riskmodel.BlastRadius:        decimal.NewFromInt(50),
		riskmodel.ChangeComplexity:   decimal.NewFromInt(40),
		riskmodel.TestEvidence:       decimal.NewFromInt(20),
		riskmodel.SupplyChain:        decimal.NewFromInt(10),
		riskmodel.RollbackCapability: decimal.NewFromInt(30),
		riskmodel.VendorHistory:      decimal.NewFromInt(100),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("score %s under model %s\n", score.Value.StringFixed(2), score.ModelVersion)
	for _, c := range score.Contributions {
		fmt.Printf("  %-20s %4s × %s = %s\n", c.Factor, c.Value, c.Weight, c.Points.StringFixed(2))
	}
	// Output:
	// score 44.50 under model 1.1
	//   blast_radius           50 × 0.2 = 10.00
	//   change_complexity      40 × 0.15 = 6.00
	//   privilege_elevation    80 × 0.2 = 16.00
	//   rollback_capability    30 × 0.1 = 3.00
	//   supply_chain           10 × 0.15 = 1.50
	//   test_evidence          20 × 0.15 = 3.00
	//   vendor_history        100 × 0.05 = 5.00
}

func ExampleVersion_Validate() {
	model := riskmodel.Seed(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))
	model.Weights[riskmodel.VendorHistory] = decimal.RequireFromString("0.06")
	fmt.Println(model.Validate())
	// Output:
	// riskmodel: weights: weights sum to 1.01, not exactly 1
}
