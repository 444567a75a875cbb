package cab_test

import (
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/shopspring/decimal"
)

// genScore generates scores over the whole range [0, 100] with 0 to 2
// decimal places, and hits the ends and common thresholds often.
func genScore() gopter.Gen {
	return gen.Frequency(map[int]gopter.Gen{
		6: gen.Int64Range(0, 10000).Map(func(c int64) decimal.Decimal { return decimal.New(c, -2) }),
		2: gen.Int64Range(0, 100).Map(func(c int64) decimal.Decimal { return decimal.NewFromInt(c) }),
		1: gen.OneConstOf(decimal.Zero, decimal.NewFromInt(100), decimal.NewFromInt(80), decimal.New(7999, -2),
			decimal.NewFromInt(5), decimal.NewFromInt(20), decimal.NewFromInt(30), decimal.NewFromInt(50), decimal.NewFromInt(75)),
	})
}

func genClass() gopter.Gen {
	return gen.OneConstOf(blastradius.CriticalInfrastructure, blastradius.BusinessCritical,
		blastradius.ProductivityTools, blastradius.NonCritical)
}

// genModel generates models whose non-critical thresholds and exception
// threshold range over [0, 100], with 0 (automation not earned) frequent.
func genModel() gopter.Gen {
	th := gen.Frequency(map[int]gopter.Gen{
		1: gen.Const(decimal.Zero),
		4: genScore(),
	})
	return gopter.CombineGens(th, th, th, genScore()).Map(func(v []any) *riskmodel.Version {
		m := riskmodel.Seed(epoch)
		m.Version = "prop"
		m.Thresholds[blastradius.BusinessCritical] = v[0].(decimal.Decimal)
		m.Thresholds[blastradius.ProductivityTools] = v[1].(decimal.Decimal)
		m.Thresholds[blastradius.NonCritical] = v[2].(decimal.Decimal)
		m.ExceptionThreshold = v[3].(decimal.Decimal)
		return &m
	})
}

func decide(t *testing.T, s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) cab.Decision {
	t.Helper()
	got, err := cab.Decide(s, c, m)
	if err != nil {
		t.Fatalf("Decide(%s, %s): %v", s, c, err)
	}
	return got
}

func TestDecideProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 2000
	properties := gopter.NewProperties(params)

	properties.Property("critical infrastructure never auto-approves, even under a model that gives it a threshold", prop.ForAll(
		func(s decimal.Decimal, m *riskmodel.Version, th decimal.Decimal) bool {
			// Validation forbids a non-zero critical threshold; Decide
			// must veto without relying on validation having run.
			m.Thresholds[blastradius.CriticalInfrastructure] = th
			return decide(t, s, blastradius.CriticalInfrastructure, m).Outcome != cab.AutoApproved
		},
		genScore(), genModel(), genScore(),
	))

	properties.Property("a threshold of 0 never auto-approves", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			m.Thresholds[c] = decimal.Zero
			return decide(t, s, c, m).Outcome != cab.AutoApproved
		},
		genScore(), genClass(), genModel(),
	))

	properties.Property("raising the score never turns a review into an auto-approval", prop.ForAll(
		func(a, b decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			lo, hi := a, b
			if lo.GreaterThan(hi) {
				lo, hi = hi, lo
			}
			before, after := decide(t, lo, c, m), decide(t, hi, c, m)
			return !(before.Outcome != cab.AutoApproved && after.Outcome == cab.AutoApproved)
		},
		genScore(), genScore(), genClass(), genModel(),
	))

	properties.Property("raising a threshold never turns an auto-approval into a review", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version, t1, t2 decimal.Decimal) bool {
			lo, hi := t1, t2
			if lo.GreaterThan(hi) {
				lo, hi = hi, lo
			}
			m.Thresholds[c] = lo
			before := decide(t, s, c, m)
			m.Thresholds[c] = hi
			after := decide(t, s, c, m)
			return !(before.Outcome == cab.AutoApproved && after.Outcome != cab.AutoApproved)
		},
		genScore(), genClass(), genModel(), genScore(), genScore(),
	))

	properties.Property("a score at or above the exception threshold always needs an exception", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			got := decide(t, s, c, m)
			return (s.Cmp(m.ExceptionThreshold) >= 0) == (got.Outcome == cab.ExceptionRequired)
		},
		genScore(), genClass(), genModel(),
	))

	properties.Property("auto-approval happens exactly when the score is within a non-zero threshold below the exception threshold", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			th := m.Thresholds[c]
			if c == blastradius.CriticalInfrastructure {
				m.Thresholds[c] = decimal.NewFromInt(99) // tempt the veto
			}
			want := c.AutoApproveAllowed() && !th.IsZero() && s.LessThanOrEqual(th) && s.LessThan(m.ExceptionThreshold)
			return (decide(t, s, c, m).Outcome == cab.AutoApproved) == want
		},
		genScore(), genClass(), genModel(),
	))

	properties.Property("the outcome is the same for the same input every time", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			first := decide(t, s, c, m)
			for range 5 {
				again := decide(t, s, c, m)
				if again.Outcome != first.Outcome || again.Reason != first.Reason || again.Quorum != first.Quorum {
					return false
				}
			}
			return true
		},
		genScore(), genClass(), genModel(),
	))

	properties.Property("the decision carries the class quorum and the model version", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			got := decide(t, s, c, m)
			return got.Quorum == c.Quorum() && got.ModelVersion == m.Version && got.Threshold.Equal(m.Thresholds[c])
		},
		genScore(), genClass(), genModel(),
	))

	properties.Property("scores outside [0, 100] are always rejected", prop.ForAll(
		func(c int64, above bool, class blastradius.Class, m *riskmodel.Version) bool {
			s := decimal.New(-c, -2)
			if above {
				s = decimal.NewFromInt(100).Add(decimal.New(c, -2))
			}
			_, err := cab.Decide(s, class, m)
			return err != nil
		},
		gen.Int64Range(1, 1_000_000), gen.Bool(), genClass(), genModel(),
	))

	properties.TestingRun(t)
}
