// Package num holds exact decimal helpers shared by trustgate's packages.
//
// shopspring/decimal's Cmp allocates whenever the two operands carry
// different exponents ("20" against "19.50"), which is the common case for a
// score against a threshold. [Cmp] compares in int64 arithmetic whenever both
// coefficients fit, and falls back to decimal.Cmp only when they do not, so
// the hot path of a decision allocates nothing and stays exact.
package num

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// pow10 holds 10^0 … 10^18, every power of ten that fits in an int64.
var pow10 = [...]uint64{
	1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
	1_000_000_000, 10_000_000_000, 100_000_000_000, 1_000_000_000_000,
	10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
	10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
}

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b. It
// is exact for every pair of decimals and does not allocate when both
// coefficients have at most 18 digits and their exponents differ by at most
// 18, which covers every score, weight and threshold trustgate handles.
func Cmp(a, b decimal.Decimal) int {
	sa, sb := a.Sign(), b.Sign()
	switch {
	case sa != sb:
		if sa > sb {
			return 1
		}
		return -1
	case sa == 0:
		return 0
	}
	if a.NumDigits() > 18 || b.NumDigits() > 18 {
		return a.Cmp(b)
	}
	ca, cb := a.CoefficientInt64(), b.CoefficientInt64()
	ea, eb := a.Exponent(), b.Exponent()
	switch {
	case ea == eb:
		return cmpInt(ca, cb)
	case ea > eb:
		scaled, ok := scale(ca, int64(ea)-int64(eb))
		if !ok {
			return a.Cmp(b)
		}
		return cmpInt(scaled, cb)
	default:
		scaled, ok := scale(cb, int64(eb)-int64(ea))
		if !ok {
			return a.Cmp(b)
		}
		return cmpInt(ca, scaled)
	}
}

// InRange reports whether lo <= d <= hi.
func InRange(d, lo, hi decimal.Decimal) bool {
	return Cmp(d, lo) >= 0 && Cmp(d, hi) <= 0
}

// FixedScale is the number of decimal places of the fixed-point form
// returned by [Fixed].
const FixedScale = 9

// Fixed returns d×10^FixedScale as an int64 when that is exact and fits:
// d is zero (written any way: "0.000" and 0E+30 alike), or has at most
// FixedScale decimal places and a magnitude below about 9×10^9. Callers
// that compare the same operands several times convert once and compare
// integers; when ok is false they must fall back to [Cmp].
//
// Its cost is decimal.NumDigits, the only check shopspring/decimal offers
// that its coefficient fits in an int64; a zero skips it.
func Fixed(d decimal.Decimal) (v int64, ok bool) {
	switch {
	case d.Sign() == 0:
		return 0, true // thresholds are often 0
	case d.NumDigits() > 18:
		return 0, false
	}
	e := int64(d.Exponent()) + FixedScale
	if e < 0 {
		return 0, false
	}
	return scale(d.CoefficientInt64(), e)
}

// scale returns c×10^by when it fits in an int64.
func scale(c int64, by int64) (int64, bool) {
	if by < 0 || by >= int64(len(pow10)) {
		return 0, false
	}
	neg := c < 0
	u := uint64(c)
	if neg {
		u = -u
	}
	hi, lo := bits.Mul64(u, pow10[by])
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
