package num

import (
	"math/big"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/shopspring/decimal"
)

func TestCmpAgreesWithDecimalOnEdgeCases(t *testing.T) {
	huge := decimal.NewFromBigInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil), 0)
	cases := []struct{ a, b decimal.Decimal }{
		{decimal.Zero, decimal.Zero},
		{decimal.Decimal{}, decimal.RequireFromString("0.00")},
		{decimal.RequireFromString("20"), decimal.RequireFromString("20.00")},
		{decimal.RequireFromString("19.99"), decimal.RequireFromString("20")},
		{decimal.RequireFromString("20.01"), decimal.RequireFromString("20")},
		{decimal.RequireFromString("-1"), decimal.RequireFromString("0.5")},
		{decimal.RequireFromString("-1.5"), decimal.RequireFromString("-1.25")},
		{decimal.New(9, 30), decimal.New(1, -30)},
		{decimal.New(922337203685477580, 0), decimal.New(922337203685477580, 1)},
		{huge, decimal.RequireFromString("100")},
		{decimal.RequireFromString("100"), huge},
		{decimal.New(1, 18), decimal.New(1, 0)},
		{decimal.New(-5, 19), decimal.New(-5, 0)},
	}
	for _, c := range cases {
		if got, want := Cmp(c.a, c.b), c.a.Cmp(c.b); got != want {
			t.Errorf("Cmp(%s, %s) = %d, decimal says %d", c.a, c.b, got, want)
		}
	}
}

func TestCmpAgreesWithDecimalForEveryPair(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 5000
	properties := gopter.NewProperties(params)
	dec := gopter.CombineGens(gen.Int64(), gen.Int32Range(-25, 25)).Map(func(v []any) decimal.Decimal {
		return decimal.New(v[0].(int64), v[1].(int32))
	})
	properties.Property("Cmp returns what decimal.Cmp returns", prop.ForAll(
		func(a, b decimal.Decimal) bool { return Cmp(a, b) == a.Cmp(b) },
		dec, dec,
	))
	properties.Property("InRange is lo <= d <= hi", prop.ForAll(
		func(d, lo, hi decimal.Decimal) bool {
			return InRange(d, lo, hi) == (d.Cmp(lo) >= 0 && d.Cmp(hi) <= 0)
		},
		dec, dec, dec,
	))
	properties.Property("Fixed is exact whenever it reports ok", prop.ForAll(
		func(a decimal.Decimal) bool {
			v, ok := Fixed(a)
			return !ok || decimal.New(v, -FixedScale).Equal(a)
		},
		dec,
	))
	properties.Property("comparing Fixed forms agrees with Cmp", prop.ForAll(
		func(a, b decimal.Decimal) bool {
			x, okx := Fixed(a)
			y, oky := Fixed(b)
			return !okx || !oky || cmpInt(x, y) == a.Cmp(b)
		},
		dec, dec,
	))
	properties.TestingRun(t)
}

func TestFixedTakesEveryZeroAndRefusesWhatDoesNotFit(t *testing.T) {
	huge := decimal.NewFromBigInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil), -29) // 10, in 31 digits
	tests := []struct {
		d    decimal.Decimal
		want int64
		ok   bool
	}{
		{decimal.Decimal{}, 0, true},
		{decimal.New(0, -30), 0, true},
		{decimal.New(0, 30), 0, true},
		{decimal.RequireFromString("-0.000"), 0, true},
		{decimal.RequireFromString("29.5"), 29_500_000_000, true},
		{decimal.RequireFromString("-0.000000001"), -1, true},
		{decimal.RequireFromString("0.0000000001"), 0, false},
		{decimal.New(1, 10), 0, false},
		{huge, 0, false},
	}
	for _, tt := range tests {
		v, ok := Fixed(tt.d)
		if v != tt.want || ok != tt.ok {
			t.Errorf("Fixed(%s) = %d, %v; want %d, %v", tt.d, v, ok, tt.want, tt.ok)
		}
	}
}

func TestCmpDoesNotAllocateForScores(t *testing.T) {
	a, b := decimal.RequireFromString("19.50"), decimal.NewFromInt(20)
	if n := testing.AllocsPerRun(100, func() { _ = Cmp(a, b) }); n != 0 {
		t.Fatalf("Cmp allocated %v times per run", n)
	}
}

func BenchmarkCmp(b *testing.B) {
	x, y := decimal.RequireFromString("19.50"), decimal.NewFromInt(20)
	b.ReportAllocs()
	for b.Loop() {
		_ = Cmp(x, y)
	}
}
