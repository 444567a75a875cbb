package cab

import (
	"math/big"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/shopspring/decimal"
)

// genDecimal generates decimals of every kind a score or threshold may be
// given as: ordinary values around [0, 100] with up to 2 places, and with 9
// to 12 (9 is the most the fixed-point form holds), any int64 coefficient at any exponent,
// negative values, coefficients of up to 40 digits (which no int64 holds)
// scaled into and out of [0, 100], and the edges of the range.
func genDecimal() gopter.Gen {
	return gen.Frequency(map[int]gopter.Gen{
		5: gopter.CombineGens(gen.Int64Range(-2_000, 12_000), gen.Int32Range(-2, 0)).Map(func(v []any) decimal.Decimal {
			return decimal.New(v[0].(int64), v[1].(int32))
		}),
		4: gopter.CombineGens(gen.Int64Range(-2_000_000_000_000, 12_000_000_000_000), gen.Int32Range(-12, -9)).Map(func(v []any) decimal.Decimal {
			return decimal.New(v[0].(int64), v[1].(int32))
		}),
		3: gopter.CombineGens(gen.Int64(), gen.Int32Range(-25, 25)).Map(func(v []any) decimal.Decimal {
			return decimal.New(v[0].(int64), v[1].(int32))
		}),
		2: gopter.CombineGens(gen.UInt64(), gen.UInt64(), gen.Bool(), gen.Int32Range(-40, -30)).Map(func(v []any) decimal.Decimal {
			c := new(big.Int).Lsh(new(big.Int).SetUint64(v[0].(uint64)|1<<63), 64)
			c.Or(c, new(big.Int).SetUint64(v[1].(uint64)))
			if v[2].(bool) {
				c.Neg(c)
			}
			return decimal.NewFromBigInt(c, v[3].(int32)) // 39 digits, about 10^-1 … 10^8
		}),
		1: gen.OneConstOf(
			decimal.Decimal{}, decimal.Zero, decimal.New(0, -5), decimal.New(100, 0), decimal.New(100_000_000_000, -9),
			decimal.New(100_000_000_001, -9), decimal.New(1_000_000_000_001, -10), decimal.New(-1, -9), decimal.New(-1, -10),
			decimal.New(1, -9), decimal.New(1, -10), decimal.New(1, 11), decimal.New(9_223_372_036_854_775_807, -9),
			decimal.RequireFromString("30.000000000000000000000000001"), decimal.RequireFromString("29.999999999999999999999999999"),
		),
	})
}

// rescaled returns d with its coefficient multiplied by 10^k and its
// exponent lowered by k: the same number, written with k more zeros.
func rescaled(d decimal.Decimal, k int32) decimal.Decimal {
	c := new(big.Int).Mul(d.Coefficient(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil))
	return decimal.NewFromBigInt(c, d.Exponent()-k)
}

// judgeOracle applies the rules with shopspring's own exact Cmp, nothing of
// internal/num: the independent answer both of judge's paths must give.
func judgeOracle(s, t, x decimal.Decimal, autoAllowed bool) rule {
	in := func(d decimal.Decimal) bool { return d.Cmp(decimal.Zero) >= 0 && d.Cmp(decimal.NewFromInt(100)) <= 0 }
	switch {
	case !in(s):
		return ruleScoreOutOfRange
	case !in(t):
		return ruleThresholdOutOfRange
	case !in(x):
		return ruleExceptionOutOfRange
	case s.Cmp(x) >= 0:
		return ruleException
	case !autoAllowed:
		return ruleNeverAuto
	case t.Sign() == 0:
		return ruleNotEarned
	case s.Cmp(t) <= 0:
		return ruleWithin
	}
	return ruleAbove
}

func TestJudgeFixedEqualsExact(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 20_000
	properties := gopter.NewProperties(params)
	var fast, slow, equalToThreshold, equalToException int

	// how: 0 independent operands; 1 the threshold is the score, written
	// with more zeros; 2 the exception threshold is; 3 both are.
	properties.Property("the fixed-point path decides as the exact path and as decimal.Cmp", prop.ForAll(
		func(s, th, x decimal.Decimal, auto bool, how int, k int32) bool {
			if how&1 != 0 {
				th = rescaled(s, k)
			}
			if how&2 != 0 {
				x = rescaled(s, k)
			}
			so, to, xo := operandOf(s), operandOf(th), operandOf(x)
			if so.ok && to.ok && xo.ok {
				fast++
			} else {
				slow++
			}
			if s.Equal(th) {
				equalToThreshold++
			}
			if s.Equal(x) {
				equalToException++
			}
			got := judge(so, to, xo, auto)
			return got == judgeDecimals(s, th, x, auto) && got == judgeExact(s, th, x, auto) && got == judgeOracle(s, th, x, auto)
		},
		genDecimal(), genDecimal(), genDecimal(), gen.Bool(), gen.IntRange(0, 3), gen.Int32Range(0, 12),
	))
	properties.TestingRun(t)

	// The generators must reach both paths and the equalities, or the
	// property proves little.
	total := fast + slow
	for name, n := range map[string]int{"fixed-point": fast, "exact": slow, "score = threshold": equalToThreshold, "score = exception": equalToException} {
		if n < total/20 {
			t.Errorf("only %d of %d cases took %s", n, total, name)
		}
	}
}

func TestJudgeOnTheEdges(t *testing.T) {
	d := decimal.RequireFromString
	tests := []struct {
		name     string
		s, th, x string
		auto     bool
		want     rule
	}{
		{"score equal to the threshold, other exponents", "30", "30.000000000", "80", true, ruleWithin},
		{"score equal to the threshold beyond 9 places", "30.0000000000000", "30", "80", true, ruleWithin},
		{"a hair above the threshold, beyond 9 places", "30.0000000001", "30", "80", true, ruleAbove},
		{"a hair below the threshold, beyond 9 places", "29.9999999999999999999", "30", "80", true, ruleWithin},
		{"score equal to the exception threshold", "80.00", "30", "80", true, ruleException},
		{"a hair below the exception threshold", "79.9999999999999999999999", "30", "80", true, ruleAbove},
		{"score 100, exactly", "100.0000000000000", "30", "80", true, ruleException},
		{"score a hair above 100", "100.0000000000000000001", "30", "80", true, ruleScoreOutOfRange},
		{"score a hair below 0", "-0.0000000000000000001", "30", "80", true, ruleScoreOutOfRange},
		{"negative zero is zero", "-0", "30", "80", true, ruleWithin},
		{"a threshold a hair above 100", "5", "100.00000000001", "80", true, ruleThresholdOutOfRange},
		{"an exception threshold a hair below 0", "5", "30", "-0.00000000001", true, ruleExceptionOutOfRange},
		{"a threshold of 0 written with places", "5", "0.0000000000000", "80", true, ruleNotEarned},
		{"a tiny non-zero threshold is earned", "0", "0.0000000000001", "80", true, ruleWithin},
		{"critical veto with the fallback", "0.0000000000001", "50", "80", false, ruleNeverAuto},
		{"a coefficient beyond int64", "12.345678901234567890123456789", "12.345678901234567890123456790", "80", true, ruleWithin},
		{"score in range, too large an exponent for the fixed form", "1E+11", "30", "80", true, ruleScoreOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, th, x := d(tt.s), d(tt.th), d(tt.x)
			if got := judge(operandOf(s), operandOf(th), operandOf(x), tt.auto); got != tt.want {
				t.Errorf("judge = %d, want %d", got, tt.want)
			}
			if got := judgeDecimals(s, th, x, tt.auto); got != tt.want {
				t.Errorf("judgeDecimals = %d, want %d", got, tt.want)
			}
			if got := judgeExact(s, th, x, tt.auto); got != tt.want {
				t.Errorf("judgeExact = %d, want %d", got, tt.want)
			}
			if got := judgeOracle(s, th, x, tt.auto); got != tt.want {
				t.Errorf("the oracle = %d, want %d (the table is wrong)", got, tt.want)
			}
		})
	}
}
