package cab_test

import (
	"fmt"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// genWildDecimal generates what a model built as a struct literal may
// hold, or a caller may pass as a score: ordinary values, values with more
// places than the fixed-point form holds, any int64 at any exponent,
// coefficients beyond int64, negatives, and the edges of [0, 100].
func genWildDecimal() gopter.Gen {
	return gen.Frequency(map[int]gopter.Gen{
		6: genScore(),
		3: gopter.CombineGens(gen.Int64Range(-1e12, 12e12), gen.Int32Range(-13, -9)).Map(func(v []any) decimal.Decimal {
			return decimal.New(v[0].(int64), v[1].(int32))
		}),
		2: gopter.CombineGens(gen.Int64(), gen.Int32Range(-25, 25)).Map(func(v []any) decimal.Decimal {
			return decimal.New(v[0].(int64), v[1].(int32))
		}),
		1: gopter.CombineGens(gen.UInt64(), gen.Int32Range(-38, -36)).Map(func(v []any) decimal.Decimal {
			c := new(big.Int).Lsh(new(big.Int).SetUint64(v[0].(uint64)|1), 64) // 39 digits or so
			return decimal.NewFromBigInt(c, v[1].(int32))
		}),
	})
}

// genWildModel generates models that need not validate: thresholds of
// every kind, a critical threshold that need not be 0, and any class's
// threshold missing.
func genWildModel() gopter.Gen {
	return gopter.CombineGens(genWildDecimal(), genWildDecimal(), genWildDecimal(), genWildDecimal(), genWildDecimal(),
		gen.IntRange(0, 11)).Map(func(v []any) *riskmodel.Version {
		m := riskmodel.Seed(epoch)
		m.Version = "wild"
		for i, c := range blastradius.Classes() {
			m.Thresholds[c] = v[i].(decimal.Decimal)
			if v[5].(int) == i { // a third of the models lack one class's threshold
				delete(m.Thresholds, c)
			}
		}
		m.ExceptionThreshold = v[4].(decimal.Decimal)
		return &m
	})
}

func genAnyClass() gopter.Gen {
	return gen.Frequency(map[int]gopter.Gen{
		8: genClass(),
		1: gen.OneConstOf(blastradius.Class(""), blastradius.Class("critical_infrastructure"), blastradius.Class("NON_CRITICAL ")),
	})
}

// sameResult reports whether two decisions and errors are the same: equal
// decisions (decimals compared as values) or errors with the same code,
// field and message.
func sameResult(d1 cab.Decision, err1 error, d2 cab.Decision, err2 error) bool {
	if (err1 == nil) != (err2 == nil) {
		return false
	}
	if err1 != nil {
		e1, e2 := trustgate.AsError(err1), trustgate.AsError(err2)
		return e1.Code == e2.Code && e1.Field == e2.Field && err1.Error() == err2.Error() &&
			reflect.TypeOf(e1.Err) == reflect.TypeOf(e2.Err)
	}
	return reflect.DeepEqual(d1, d2)
}

// decideByCmp is Decide written again with shopspring's exact Cmp and
// nothing of the fast path: an independent oracle for its outcomes.
func decideByCmp(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) (cab.Outcome, cab.ReasonCode, bool) {
	t, ok := m.Thresholds[c]
	in := func(d decimal.Decimal) bool { return d.Sign() >= 0 && d.Cmp(decimal.NewFromInt(100)) <= 0 }
	if !c.Valid() || !ok || !in(s) || !in(t) || !in(m.ExceptionThreshold) {
		return "", "", false
	}
	switch {
	case s.Cmp(m.ExceptionThreshold) >= 0:
		return cab.ExceptionRequired, cab.ReasonExceptionThreshold, true
	case !c.AutoApproveAllowed():
		return cab.ManualReview, cab.ReasonClassNeverAuto, true
	case t.Sign() == 0:
		return cab.ManualReview, cab.ReasonAutomationNotEarned, true
	case s.Cmp(t) <= 0:
		return cab.AutoApproved, cab.ReasonWithinThreshold, true
	}
	return cab.ManualReview, cab.ReasonAboveThreshold, true
}

func TestDecideAndRulesAgreeWithExactComparison(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 5000
	properties := gopter.NewProperties(params)

	properties.Property("Decide decides as shopspring's exact Cmp does, on any decimals", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			got, err := cab.Decide(s, c, m)
			outcome, code, ok := decideByCmp(s, c, m)
			if !ok {
				return err != nil
			}
			return err == nil && got.Outcome == outcome && got.Reason.Code == code && got.Reason.Text == code.Text()
		},
		genWildDecimal(), genAnyClass(), genWildModel(),
	))

	properties.Property("Rules.Decide returns what Decide returns, decision or error", prop.ForAll(
		func(s decimal.Decimal, c blastradius.Class, m *riskmodel.Version) bool {
			rules, err := cab.NewRules(m)
			if err != nil {
				return false
			}
			d1, err1 := cab.Decide(s, c, m)
			d2, err2 := rules.Decide(s, c)
			return sameResult(d1, err1, d2, err2)
		},
		genWildDecimal(), genAnyClass(), genWildModel(),
	))

	properties.TestingRun(t)
}

func TestDecideSeesThresholdsChangedAfterAFirstDecision(t *testing.T) {
	m := model("10", "30", "50")
	first, err := cab.Decide(d("29.5"), blastradius.ProductivityTools, m)
	require.NoError(t, err)
	require.Equal(t, cab.AutoApproved, first.Outcome)

	m.Thresholds[blastradius.ProductivityTools] = d("29.49")
	again, err := cab.Decide(d("29.5"), blastradius.ProductivityTools, m)
	require.NoError(t, err)
	assert.Equal(t, cab.ManualReview, again.Outcome, "the lowered threshold decides")
	assert.Equal(t, "29.49", again.Threshold.String())

	m.ExceptionThreshold = d("29.5")
	again, err = cab.Decide(d("29.5"), blastradius.ProductivityTools, m)
	require.NoError(t, err)
	assert.Equal(t, cab.ExceptionRequired, again.Outcome, "the lowered exception threshold decides")

	m.Thresholds[blastradius.ProductivityTools] = d("300")
	_, err = cab.Decide(d("1"), blastradius.ProductivityTools, m)
	assert.ErrorIs(t, err, riskmodel.ErrOutOfRange, "a threshold made invalid is seen")

	delete(m.Thresholds, blastradius.ProductivityTools)
	_, err = cab.Decide(d("1"), blastradius.ProductivityTools, m)
	assert.ErrorIs(t, err, riskmodel.ErrMissingThreshold, "a threshold removed is seen")
}

func TestRulesAreASnapshotOfTheModel(t *testing.T) {
	m := model("10", "30", "50")
	rules, err := cab.NewRules(m)
	require.NoError(t, err)
	m.Thresholds[blastradius.ProductivityTools] = d("5")
	m.ExceptionThreshold = d("20")
	m.Version = "changed"

	got, err := rules.Decide(d("29.5"), blastradius.ProductivityTools)
	require.NoError(t, err)
	assert.Equal(t, cab.AutoApproved, got.Outcome, "the rules keep the thresholds they were prepared with")
	assert.Equal(t, "test", got.ModelVersion)
	assert.Equal(t, "test", rules.Version())

	again, err := cab.NewRules(m)
	require.NoError(t, err)
	got, err = again.Decide(d("29.5"), blastradius.ProductivityTools)
	require.NoError(t, err)
	assert.Equal(t, cab.ExceptionRequired, got.Outcome, "rules prepared again see the change")
	assert.Equal(t, "changed", got.ModelVersion)
}

func TestRulesRefuseWhatDecideRefuses(t *testing.T) {
	_, err := cab.NewRules(nil)
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Equal(t, "model", e.Field)

	var zero cab.Rules
	_, err = zero.Decide(d("1"), blastradius.NonCritical)
	assert.ErrorIs(t, err, riskmodel.ErrMissingThreshold, "the zero Rules has no thresholds")
	_, err = zero.Decide(d("1"), "NOT_A_CLASS")
	assert.ErrorIs(t, err, blastradius.ErrUnknownClass)
}

func TestRulesDecideDoesNotAllocate(t *testing.T) {
	rules, err := cab.NewRules(model("10", "30", "50"))
	require.NoError(t, err)
	score := d("29.5")
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := rules.Decide(score, blastradius.ProductivityTools); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func ExampleNewRules() {
	model := riskmodel.Seed(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	model.Version = "1.2"
	model.Thresholds[blastradius.ProductivityTools] = decimal.NewFromInt(20)

	// Prepared once, the rules decide many requests under the model.
	rules, err := cab.NewRules(&model)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, score := range []string{"12.5", "20", "20.01", "80"} {
		d, err := rules.Decide(decimal.RequireFromString(score), blastradius.ProductivityTools)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-5s → %-18s %s\n", d.Score, d.Outcome, d.Reason.Code)
	}
	// Output:
	// 12.5  → auto_approved      SCORE_WITHIN_THRESHOLD
	// 20    → auto_approved      SCORE_WITHIN_THRESHOLD
	// 20.01 → manual_review      SCORE_ABOVE_THRESHOLD
	// 80    → exception_required SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD
}
