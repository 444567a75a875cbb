package cab

import (
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

// Rules is a risk model's decision rules prepared once for many decisions:
// the model's version string, its exception threshold and the threshold of
// each class, copied from the model and converted to fixed-point form, in
// an array indexed by class. [Rules.Decide] then costs a fixed-point
// conversion of the score and a few integer comparisons, where [Decide]
// looks the class up in the model's map and converts both thresholds on
// every call.
//
// A Rules is a snapshot: it never changes, and changing the model
// afterwards (its Thresholds map, say) does not change it. Prepare the
// changed model again, or call Decide, which reads the model on every
// call. For the model it was prepared from, Rules.Decide returns what
// Decide returns, decision or error, for every score and class.
//
// The zero Rules has no thresholds: every decision with it is the
// missing-threshold error.
type Rules struct {
	version    string
	exception  operand
	thresholds [numClasses]operand
	present    [numClasses]bool
}

// NewRules prepares the rules of model. It validates nothing beyond a
// non-nil model: like Decide, Rules.Decide reports a missing or
// out-of-range threshold of the class it decides for, and only then. A nil
// model is the invalid-input error Decide returns for one (field "model").
func NewRules(model *riskmodel.Version) (Rules, error) {
	if model == nil {
		return Rules{}, inputErr("model", "no risk model given", nil)
	}
	r := Rules{version: model.Version, exception: operandOf(model.ExceptionThreshold)}
	for _, c := range blastradius.Classes() {
		ci, _ := classOf(c)
		if t, ok := model.Thresholds[c]; ok {
			r.thresholds[ci.index] = operandOf(t)
			r.present[ci.index] = true
		}
	}
	return r, nil
}

// Decide decides as [Decide] does with the model the rules were prepared
// from: the same rules, the same exact decimal comparisons, the same
// decisions and errors, and no allocation.
func (r *Rules) Decide(score decimal.Decimal, class blastradius.Class) (Decision, error) {
	ci, ok := classOf(class)
	if !ok {
		return Decision{}, classInputErr(class)
	}
	if !r.present[ci.index] {
		return Decision{}, missingThresholdErr(class, r.version)
	}
	t := &r.thresholds[ci.index]
	ru := judge(operandOf(score), *t, r.exception, ci.autoAllowed)
	if ru < ruleException {
		return Decision{}, rangeErr(ru, score, class, t.d, r.exception.d)
	}
	return Decision{
		Outcome:            ru.outcome(),
		Reason:             ru.reason(),
		Score:              score,
		Class:              class,
		Threshold:          t.d,
		ExceptionThreshold: r.exception.d,
		ModelVersion:       r.version,
		Quorum:             int(ci.quorum),
	}, nil
}

// Version returns the version string of the model the rules were prepared
// from.
func (r *Rules) Version() string { return r.version }
