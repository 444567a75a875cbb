// Package maturity holds trust maturity: the levels through which automation
// is earned, the evaluation that judges whether the next level has been
// earned (or the current one lost), and the engine that stores evaluations
// and applies level changes.
//
// # Levels
//
// [Levels] returns the seed ladder:
//
//	level          mode                     weeks  max rate  max P1  max P2  clean weeks  CRIT/BUS/PROD/NON
//	0 Baseline     GREENFIELD_CONSERVATIVE  —      —         —       —       —            0/0/0/0
//	1 Cautious     CAUTIOUS                 4      2%        0       —       —            0/5/20/30
//	2 Moderate     MODERATE                 4      1%        0       1       —            0/10/30/50
//	3 Mature       MATURE                   4      0.5%      0       0       —            0/20/45/65
//	4 Optimized    OPTIMIZED                4      0.1%      0       0       8            0/25/50/75
//
// A ladder is data; [ValidateLevels] checks a custom one (thresholds never
// fall from one level to the next, CRITICAL_INFRASTRUCTURE is always 0).
//
// # Evaluation
//
// [Evaluate] is a pure function of the current [State], the aggregates over
// the evaluation period (4 weeks by default, [Policy]) and the number of
// consecutive clean weeks. For a progression from level N to N+1 it returns
// every criterion with its required value, actual value and pass/fail:
// weeks at the current level, a minimum number of deployments in the period
// (100 by default: a rate over a handful proves nothing), the incident
// rate, the P1 and P2 counts and, for level 4, consecutive weeks without a
// P1 or P2. A progression is ready only if every criterion passes. A
// regression is always ready (the engine applies it at once); its criteria
// are the limits breached, and its period and figures are the part of the
// period since the level was entered, which is what it judged.
//
// Choices this package makes where the design is silent:
//
//   - The current level's own limits are judged only on what happened since
//     the level was entered (within the period), so one incident steps a
//     level down once, not once per weekly evaluation while it stays in the
//     window. Its P1 and P2 limits always count; its rate limit counts only
//     over the minimum number of deployments.
//   - Consecutive clean weeks are the whole weeks since the last P1 or P2
//     incident, or since the first recorded deployment when there has been
//     none.
//   - A step down needs no approval (it only makes the system stricter); its
//     new model version is approved by [EngineActor] and the audit event
//     says why.
//   - The model version a transition creates is named "L<level>-" followed
//     by the first eight hex digits of the evaluation's id; it carries the
//     active version's weights and exception threshold and the level's mode
//     and thresholds ([Definition.Model] builds it, also for tests and
//     simulations).
//   - There is no way to start an installation above the baseline: the
//     level in force is a [State] signed by the service key, and a level
//     above 0 is entered only by a CAB-approved progression (or left by a
//     regression). A scenario that starts at level N walks the ladder.
//
// # Engine
//
// [Engine.Evaluate] reads the aggregates through the [Store] interface it
// declares, stores every evaluation as a progress record and applies a
// regression at once. [Engine.Approve] applies the CAB's approval of a ready
// progression. Both hand the store a [Transition], which it applies in one
// transaction: the new model version created and activated, the level
// changed, the decision recorded on the evaluation, and an audit event
// appended; the store re-checks the stored evaluation and the current level
// inside that transaction, so concurrent approvals apply once.
//
// # JSON
//
// [Evaluation], [Criterion], [Decision] and [Approval] marshal to one
// stable form, pinned by golden files in testdata: snake_case members,
// levels as their numbers 0 to 4 (they are ordered, and the signed content
// hash uses the numbers too), kinds and criterion names as their string
// values, times RFC 3339 in UTC, the rate and the criteria's values as
// decimal strings. A criterion no limit applies to is written
// "required": null, "unlimited": true, never "required": "0". The
// decision is omitted while zero, its at while zero; criteria and
// approvals are always arrays; an approval's envelope is its DSSE JSON
// form. Unmarshal validates: every member of an evaluation but decision
// and approvals is required, and an unknown member, kind or criterion, a
// level outside 0 to 4, a negative count, a malformed UUID, time, decimal
// or envelope (parsed as strictly as dsse.Parse does, and not verified), a
// member of the wrong JSON type or a null document is an invalid-input
// error whose Field is the member's path ("criteria[2].required",
// "approvals[0].envelope.payload").
//
// [State] has a JSON form too: level, since, model_version, reason, kind,
// evaluation_id and evaluation_sha256 (the last three omitted for the
// seed's baseline), approvals and attestation (omitted while unsigned).
// Reading a state does not verify it: [VerifyState] does.
//
// # Errors
//
// Every error is a *trustgate.Error or wraps one; trustgate.AsError gives
// its code, reason and field in one call. An evaluation that cannot be
// acted on is a [*TransitionError] naming it (errors.As), wrapping
// [ErrNotReady], [ErrDecided] or [ErrStale] (errors.Is): code
// trustgate.Conflict with reason EVALUATION_NOT_READY, EVALUATION_DECIDED
// or EVALUATION_STALE. A missing argument is code trustgate.Invalid naming
// it ("approver", "store"; inside a TransitionError when an evaluation is
// named), and an invalid ladder ([ValidateLevels]) is trustgate.Invalid
// naming the definition ("levels[3].thresholds[NON_CRITICAL]") and wrapping
// [ErrInvalidLevels]. The store's errors pass through: not_found for an
// unknown evaluation, conflict for a transition another one beat.
package maturity
