package cab

import (
	"cmp"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/shopspring/decimal"
)

// Outcome is what a decision says must happen to a deployment.
type Outcome string

// The three outcomes.
const (
	// AutoApproved: the deployment may go ahead without CAB review.
	AutoApproved Outcome = "auto_approved"
	// ManualReview: the class quorum of CAB members must approve it.
	ManualReview Outcome = "manual_review"
	// ExceptionRequired: the risk is too high for an ordinary approval; it
	// may go ahead only under a time-boxed exception.
	ExceptionRequired Outcome = "exception_required"
)

// ReasonCode is a stable, machine-readable reason for a decision. Codes never
// change meaning; store and match them, not the texts.
type ReasonCode string

// The reason codes, one per rule of [Decide].
const (
	ReasonExceptionThreshold  ReasonCode = "SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD"
	ReasonClassNeverAuto      ReasonCode = "CLASS_NEVER_AUTO_APPROVES"
	ReasonAutomationNotEarned ReasonCode = "AUTO_APPROVAL_NOT_EARNED"
	ReasonWithinThreshold     ReasonCode = "SCORE_WITHIN_THRESHOLD"
	ReasonAboveThreshold      ReasonCode = "SCORE_ABOVE_THRESHOLD"
)

// Text returns the human-readable explanation of the code.
func (c ReasonCode) Text() string {
	switch c {
	case ReasonExceptionThreshold:
		return "the risk score is at or above the model's exception threshold: the deployment needs a time-boxed exception"
	case ReasonClassNeverAuto:
		return "deployments of this blast radius class are never approved automatically, at any maturity level"
	case ReasonAutomationNotEarned:
		return "the class's auto-approve threshold is 0: automation has not been earned for it yet"
	case ReasonWithinThreshold:
		return "the risk score is at or below the class's auto-approve threshold"
	case ReasonAboveThreshold:
		return "the risk score is above the class's auto-approve threshold"
	}
	return "unknown reason"
}

// Reason is a reason code with its text.
type Reason struct {
	Code ReasonCode
	Text string
}

// Decision is the outcome of [Decide] with everything needed to explain and
// audit it: the rule that decided, the inputs, the threshold and model
// version used, and the quorum a review needs.
type Decision struct {
	Outcome Outcome
	// Reason is the rule that decided the outcome.
	Reason Reason
	Score  decimal.Decimal
	Class  blastradius.Class
	// Threshold is the class's auto-approve threshold in the model.
	Threshold decimal.Decimal
	// ExceptionThreshold is the model's exception threshold.
	ExceptionThreshold decimal.Decimal
	// ModelVersion is the version string of the model decided with.
	ModelVersion string
	// ModelHash is the content hash of that model
	// (riskmodel.Version.ContentHash), set by the workflow once it has
	// verified the model; Decide itself leaves it zero.
	ModelHash security.Digest
	// Quorum is the number of distinct CAB approvals the class needs.
	Quorum int
}

// Reasons returns every rule that applies to the decision, the deciding one
// first: a CAB member sees, say, that a critical deployment both reached the
// exception threshold and belongs to a class that never auto-approves.
func (d Decision) Reasons() []Reason {
	out := []Reason{d.Reason}
	add := func(c ReasonCode) {
		if c != d.Reason.Code {
			out = append(out, Reason{Code: c, Text: c.Text()})
		}
	}
	if num.Cmp(d.Score, d.ExceptionThreshold) >= 0 {
		add(ReasonExceptionThreshold)
	}
	if !d.Class.AutoApproveAllowed() {
		add(ReasonClassNeverAuto)
	} else if d.Threshold.IsZero() {
		add(ReasonAutomationNotEarned)
	}
	return out
}

// inputErr reports an argument that cannot be used: code Invalid, the
// field's path ("score", "class", "model.thresholds[NON_CRITICAL]"), a
// message "cab: <field>: <reason>", and the error beneath, if any (for an
// unknown class, one wrapping a [*blastradius.ClassError]).
func inputErr(field, reason string, err error) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: "cab: " + field + ": " + reason, Err: err}
}

// compared holds the three comparisons a decision needs and the range checks
// of its operands.
type compared struct {
	scoreInRange, thresholdInRange, exceptionInRange bool
	scoreVsException, scoreVsThreshold               int
}

// compare computes the comparisons in fixed-point integers when all three
// operands fit (every real score and threshold does), and exactly in decimal
// otherwise. Either way the answer is exact.
func compare(score, threshold, exception decimal.Decimal) compared {
	s, ok1 := num.Fixed(score)
	t, ok2 := num.Fixed(threshold)
	x, ok3 := num.Fixed(exception)
	if ok1 && ok2 && ok3 {
		const top = 100 * 1_000_000_000 // 100 at num.FixedScale
		return compared{
			scoreInRange:     s >= 0 && s <= top,
			thresholdInRange: t >= 0 && t <= top,
			exceptionInRange: x >= 0 && x <= top,
			scoreVsException: cmp.Compare(s, x),
			scoreVsThreshold: cmp.Compare(s, t),
		}
	}
	hundred := decimal.New(100, 0)
	return compared{
		scoreInRange:     num.InRange(score, decimal.Zero, hundred),
		thresholdInRange: num.InRange(threshold, decimal.Zero, hundred),
		exceptionInRange: num.InRange(exception, decimal.Zero, hundred),
		scoreVsException: num.Cmp(score, exception),
		scoreVsThreshold: num.Cmp(score, threshold),
	}
}

// Decide decides what must happen to a deployment with the given risk score
// and blast radius class under the given model. It is a pure function: no
// I/O, no clock, the same answer for the same input every time, and it does
// not allocate.
//
// The rules, in order; the first that applies decides:
//
//  1. score ≥ the model's exception threshold → [ExceptionRequired];
//  2. the class never auto-approves (CRITICAL_INFRASTRUCTURE) → [ManualReview];
//  3. the class's threshold is 0 (automation not yet earned) → [ManualReview];
//  4. score ≤ the class's threshold → [AutoApproved];
//  5. otherwise → [ManualReview].
//
// A score outside [0, 100], an invalid class, a nil model, or a model
// without a valid threshold for the class is an invalid-input error naming
// the field ("score", "class", "model.thresholds[<class>]"). Decide does
// not require the model to be active: shadow evaluation decides with
// candidate versions too.
func Decide(score decimal.Decimal, class blastradius.Class, model *riskmodel.Version) (Decision, error) {
	if !class.Valid() {
		return Decision{}, inputErr("class", "not a blast radius class", &blastradius.ClassError{Value: string(class)})
	}
	if model == nil {
		return Decision{}, inputErr("model", "no risk model given", nil)
	}
	threshold, ok := model.Thresholds[class]
	if !ok {
		return Decision{}, inputErr("model.thresholds["+string(class)+"]", "model "+model.Version+" has no threshold for the class", riskmodel.ErrMissingThreshold)
	}
	c := compare(score, threshold, model.ExceptionThreshold)
	switch {
	case !c.scoreInRange:
		return Decision{}, inputErr("score", "risk score "+score.String()+" is outside [0, 100]", nil)
	case !c.thresholdInRange:
		return Decision{}, inputErr("model.thresholds["+string(class)+"]", "threshold "+threshold.String()+" is outside [0, 100]", riskmodel.ErrOutOfRange)
	case !c.exceptionInRange:
		return Decision{}, inputErr("model.exception_threshold", "exception threshold "+model.ExceptionThreshold.String()+" is outside [0, 100]", riskmodel.ErrOutOfRange)
	}

	d := Decision{
		Score:              score,
		Class:              class,
		Threshold:          threshold,
		ExceptionThreshold: model.ExceptionThreshold,
		ModelVersion:       model.Version,
		Quorum:             class.Quorum(),
	}
	var code ReasonCode
	switch {
	case c.scoreVsException >= 0:
		d.Outcome, code = ExceptionRequired, ReasonExceptionThreshold
	case !class.AutoApproveAllowed():
		d.Outcome, code = ManualReview, ReasonClassNeverAuto
	case threshold.IsZero():
		d.Outcome, code = ManualReview, ReasonAutomationNotEarned
	case c.scoreVsThreshold <= 0:
		d.Outcome, code = AutoApproved, ReasonWithinThreshold
	default:
		d.Outcome, code = ManualReview, ReasonAboveThreshold
	}
	d.Reason = Reason{Code: code, Text: code.Text()}
	return d, nil
}
