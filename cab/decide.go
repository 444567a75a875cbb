package cab

import (
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

// The texts of the reason codes.
const (
	textExceptionThreshold  = "the risk score is at or above the model's exception threshold: the deployment needs a time-boxed exception"
	textClassNeverAuto      = "deployments of this blast radius class are never approved automatically, at any maturity level"
	textAutomationNotEarned = "the class's auto-approve threshold is 0: automation has not been earned for it yet"
	textWithinThreshold     = "the risk score is at or below the class's auto-approve threshold"
	textAboveThreshold      = "the risk score is above the class's auto-approve threshold"
)

// Text returns the human-readable explanation of the code.
func (c ReasonCode) Text() string {
	switch c {
	case ReasonExceptionThreshold:
		return textExceptionThreshold
	case ReasonClassNeverAuto:
		return textClassNeverAuto
	case ReasonAutomationNotEarned:
		return textAutomationNotEarned
	case ReasonWithinThreshold:
		return textWithinThreshold
	case ReasonAboveThreshold:
		return textAboveThreshold
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

// classInfo is what a decision needs to know of a class, found with one
// switch on its name: its index in [Rules]'s arrays, its quorum and whether
// it may ever auto-approve, as [blastradius.Class.Quorum] and
// [blastradius.Class.AutoApproveAllowed] give them.
type classInfo struct {
	index       uint8
	quorum      uint8
	autoAllowed bool
}

// numClasses is the number of blast radius classes.
const numClasses = 4

func info(index uint8, c blastradius.Class) classInfo {
	return classInfo{index: index, quorum: uint8(c.Quorum()), autoAllowed: c.AutoApproveAllowed()}
}

// classOf returns what a decision needs of c, and false when c is not a
// class.
func classOf(c blastradius.Class) (classInfo, bool) {
	switch c {
	case blastradius.CriticalInfrastructure:
		return info(0, blastradius.CriticalInfrastructure), true
	case blastradius.BusinessCritical:
		return info(1, blastradius.BusinessCritical), true
	case blastradius.ProductivityTools:
		return info(2, blastradius.ProductivityTools), true
	case blastradius.NonCritical:
		return info(3, blastradius.NonCritical), true
	}
	return classInfo{}, false
}

// inputErr reports an argument that cannot be used: code Invalid, the
// field's path ("score", "class", "model.thresholds[NON_CRITICAL]"), a
// message "cab: <field>: <reason>", and the error beneath, if any (for an
// unknown class, one wrapping a [*blastradius.ClassError]).
func inputErr(field, reason string, err error) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: "cab: " + field + ": " + reason, Err: err}
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
	ci, ok := classOf(class)
	if !ok {
		return Decision{}, classInputErr(class)
	}
	if model == nil {
		return Decision{}, inputErr("model", "no risk model given", nil)
	}
	threshold, ok := model.Thresholds[class]
	if !ok {
		return Decision{}, missingThresholdErr(class, model.Version)
	}
	exception := model.ExceptionThreshold
	r := judgeDecimals(score, threshold, exception, ci.autoAllowed)
	if r < ruleException {
		return Decision{}, rangeErr(r, score, class, threshold, exception)
	}
	return Decision{
		Outcome:            r.outcome(),
		Reason:             r.reason(),
		Score:              score,
		Class:              class,
		Threshold:          threshold,
		ExceptionThreshold: exception,
		ModelVersion:       model.Version,
		Quorum:             int(ci.quorum),
	}, nil
}

// rangeErr is the error of a rule that found an operand out of range.
func rangeErr(r rule, score decimal.Decimal, class blastradius.Class, threshold, exception decimal.Decimal) *trustgate.Error {
	switch r {
	case ruleScoreOutOfRange:
		return inputErr("score", "risk score "+score.String()+" is outside [0, 100]", nil)
	case ruleThresholdOutOfRange:
		return inputErr("model.thresholds["+string(class)+"]", "threshold "+threshold.String()+" is outside [0, 100]", riskmodel.ErrOutOfRange)
	}
	return inputErr("model.exception_threshold", "exception threshold "+exception.String()+" is outside [0, 100]", riskmodel.ErrOutOfRange)
}

func classInputErr(class blastradius.Class) *trustgate.Error {
	return inputErr("class", "not a blast radius class", &blastradius.ClassError{Value: string(class)})
}

func missingThresholdErr(class blastradius.Class, version string) *trustgate.Error {
	return inputErr("model.thresholds["+string(class)+"]", "model "+version+" has no threshold for the class", riskmodel.ErrMissingThreshold)
}
