package cab

import (
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/shopspring/decimal"
)

// rule is what a decision's comparisons found: an operand out of range, or
// the rule that decides. judge computes it; Decide and Rules.Decide turn it
// into an error (rangeErr) or a [Decision]. The out-of-range rules come
// first: r < ruleException is an error.
type rule uint8

const (
	ruleScoreOutOfRange rule = iota
	ruleThresholdOutOfRange
	ruleExceptionOutOfRange
	ruleException // score ≥ exception threshold
	ruleNeverAuto // the class never auto-approves
	ruleNotEarned // the class's threshold is 0
	ruleWithin    // score ≤ threshold
	ruleAbove     // otherwise
)

// fixedHundred is 100 in num's fixed-point form (num.FixedScale places).
const fixedHundred = 100 * 1_000_000_000

// operand is a decimal with its fixed-point form (num.Fixed) when it has
// one: ok is false for a value with more than num.FixedScale decimal
// places or too large for an int64 at that scale.
type operand struct {
	d     decimal.Decimal
	fixed int64
	ok    bool
}

func operandOf(d decimal.Decimal) operand {
	v, ok := num.Fixed(d)
	return operand{d: d, fixed: v, ok: ok}
}

// judge applies the rules to a score, the class's threshold and the
// exception threshold, for a class that may (autoAllowed) or may not ever
// auto-approve. When all three have a fixed-point form (every real score
// and threshold has: at most 9 decimal places) it compares int64s;
// otherwise it compares the decimals exactly. The two give the same answer
// for every input (TestJudgeFixedEqualsExact): num.Fixed is exact when it
// reports ok, so the integers order as the decimals do.
func judge(s, t, x operand, autoAllowed bool) rule {
	if s.ok && t.ok && x.ok {
		return judgeFixed(s.fixed, t.fixed, x.fixed, autoAllowed)
	}
	return judgeExact(s.d, t.d, x.d, autoAllowed)
}

// judgeDecimals is judge for operands not converted yet: it converts each
// once and takes the same two paths.
func judgeDecimals(score, threshold, exception decimal.Decimal, autoAllowed bool) rule {
	s, ok1 := num.Fixed(score)
	t, ok2 := num.Fixed(threshold)
	x, ok3 := num.Fixed(exception)
	if ok1 && ok2 && ok3 {
		return judgeFixed(s, t, x, autoAllowed)
	}
	return judgeExact(score, threshold, exception, autoAllowed)
}

// judgeFixed is judge over fixed-point integers.
func judgeFixed(s, t, x int64, autoAllowed bool) rule {
	switch {
	case s < 0 || s > fixedHundred:
		return ruleScoreOutOfRange
	case t < 0 || t > fixedHundred:
		return ruleThresholdOutOfRange
	case x < 0 || x > fixedHundred:
		return ruleExceptionOutOfRange
	case s >= x:
		return ruleException
	case !autoAllowed:
		return ruleNeverAuto
	case t == 0:
		return ruleNotEarned
	case s <= t:
		return ruleWithin
	}
	return ruleAbove
}

// judgeExact is judge over decimals, exact for every value.
func judgeExact(score, threshold, exception decimal.Decimal, autoAllowed bool) rule {
	hundred := decimal.New(100, 0)
	switch {
	case !num.InRange(score, decimal.Zero, hundred):
		return ruleScoreOutOfRange
	case !num.InRange(threshold, decimal.Zero, hundred):
		return ruleThresholdOutOfRange
	case !num.InRange(exception, decimal.Zero, hundred):
		return ruleExceptionOutOfRange
	case num.Cmp(score, exception) >= 0:
		return ruleException
	case !autoAllowed:
		return ruleNeverAuto
	case threshold.IsZero():
		return ruleNotEarned
	case num.Cmp(score, threshold) <= 0:
		return ruleWithin
	}
	return ruleAbove
}

// outcome is the outcome of a deciding rule.
func (r rule) outcome() Outcome {
	switch r {
	case ruleException:
		return ExceptionRequired
	case ruleWithin:
		return AutoApproved
	}
	return ManualReview
}

// reason is the reason of a deciding rule, its text included, without
// ReasonCode.Text's switch on strings.
func (r rule) reason() Reason {
	switch r {
	case ruleException:
		return Reason{Code: ReasonExceptionThreshold, Text: textExceptionThreshold}
	case ruleNeverAuto:
		return Reason{Code: ReasonClassNeverAuto, Text: textClassNeverAuto}
	case ruleNotEarned:
		return Reason{Code: ReasonAutomationNotEarned, Text: textAutomationNotEarned}
	case ruleWithin:
		return Reason{Code: ReasonWithinThreshold, Text: textWithinThreshold}
	}
	return Reason{Code: ReasonAboveThreshold, Text: textAboveThreshold}
}
