// Package cab decides whether a deployment may go ahead automatically, needs
// change advisory board (CAB) review, or needs a time-boxed exception.
//
// [Decide] is a pure function of a risk score, a blast radius class and a
// risk model version: no I/O, no clock, no allocation. Its rules, the first
// that applies deciding:
//
//	rule                                         outcome             reason code
//	score ≥ the model's exception threshold      exception_required  SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD
//	class never auto-approves (CRITICAL_INFRA…)   manual_review       CLASS_NEVER_AUTO_APPROVES
//	class threshold is 0                         manual_review       AUTO_APPROVAL_NOT_EARNED
//	score ≤ class threshold                      auto_approved       SCORE_WITHIN_THRESHOLD
//	otherwise                                    manual_review       SCORE_ABOVE_THRESHOLD
//
// A [Decision] carries the outcome, the deciding [Reason] (a stable
// [ReasonCode] and its text), the threshold and model version used and the
// quorum of distinct CAB approvals the class requires; [Decision.Reasons]
// lists every rule that applies, for people.
//
// Decide does not trust the model to have been validated: the critical
// infrastructure veto holds even if a model carries a non-zero threshold for
// that class, and a missing or out-of-range threshold is an invalid-input
// error naming the field, as are a score outside [0, 100] and an unknown
// class (see Errors below).
package cab
