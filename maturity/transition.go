package maturity

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
)

// Sign adds to t's model the ladder statement svc's service key signs (the
// model carries exactly the thresholds of level t.To, which is what lets
// it decide without a CAB quorum of its own; see riskmodel.Signoff), and
// signs t's new state ([VerifyState]). For a progression, t.State.Approvals
// must hold the members' approvals first.
func (t *Transition) Sign(svc *attest.Service) error {
	payload, err := t.Model.LadderPayload(int(t.To), t.State.Reason)
	if err != nil {
		return err
	}
	env, err := svc.Seal(payload)
	if err != nil {
		return fmt.Errorf("maturity: signing the level %d model: %w", t.To, err)
	}
	t.Model.Signoffs = append(t.Model.Signoffs, riskmodel.Signoff{By: riskmodel.LadderSigner, At: t.At, Envelope: env})
	h, err := t.Model.ContentHash()
	if err != nil {
		return err
	}
	if err := t.State.Sign(svc, h); err != nil {
		return fmt.Errorf("maturity: signing the level %d state: %w", t.To, err)
	}
	return nil
}

// Errors of [Progress] and [Regress]. Each comes wrapped in a
// [*TransitionError] naming the evaluation. Each is a *trustgate.Error with
// code [trustgate.Conflict] and a fixed reason, so trustgate.AsError finds
// them through the TransitionError and any wrapping; match them with
// errors.Is.
var (
	// ErrNotReady: the evaluation is not a ready progression. Reason
	// EVALUATION_NOT_READY.
	ErrNotReady = &trustgate.Error{Code: trustgate.Conflict, Reason: "EVALUATION_NOT_READY",
		Message: "maturity: evaluation is not ready"}
	// ErrDecided: the evaluation has already been acted on. Reason
	// EVALUATION_DECIDED.
	ErrDecided = &trustgate.Error{Code: trustgate.Conflict, Reason: "EVALUATION_DECIDED",
		Message: "maturity: evaluation already decided"}
	// ErrStale: the installation is no longer at the level the evaluation
	// judged. Reason EVALUATION_STALE.
	ErrStale = &trustgate.Error{Code: trustgate.Conflict, Reason: "EVALUATION_STALE",
		Message: "maturity: evaluation is stale"}
)

// TransitionError reports why an evaluation cannot be acted on. It wraps
// one of [ErrNotReady], [ErrDecided], [ErrStale] or, for a missing or
// malformed argument, an invalid-input error naming it (code
// [trustgate.Invalid]).
type TransitionError struct {
	EvaluationID string
	Reason       string
	Err          error
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("maturity: evaluation %s: %s", e.EvaluationID, e.Reason)
}

// Unwrap returns the sentinel.
func (e *TransitionError) Unwrap() error { return e.Err }

// fieldErr is the error for a missing or malformed argument: code Invalid,
// the field's path, a message "maturity: <field>: <reason>", and the cause,
// if any.
func fieldErr(field, reason string, cause error) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: "maturity: " + field + ": " + reason, Err: cause}
}

// Transition is a change of level, complete: the evaluation it acts on, the
// new risk model version (approved, to be created and activated) and the new
// state. A store applies it in one transaction, checking again that the
// installation is still at From and, for a progression, that the evaluation
// is still ready and undecided.
type Transition struct {
	Kind       Kind // Progression or Regression
	Evaluation Evaluation
	From, To   Level
	Model      riskmodel.Version
	State      State
	Actor      string // the CAB member who approved, or the engine
	At         time.Time
}

// EngineActor is the actor recorded on regressions, which need no approval.
const EngineActor = "trustgate-maturity-engine"

// Progress builds the transition that a CAB approval of evaluation e makes:
// to e.Target, with a new risk model version carrying the target level's
// mode and thresholds and the active version's weights and exception
// threshold, approved by approver at now. e must be a ready, undecided
// progression judged at the current level cur.
func Progress(levels []Definition, e Evaluation, cur State, active riskmodel.Version, approver string, now time.Time) (Transition, error) {
	if strings.TrimSpace(approver) == "" {
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(), Reason: "an approver is required",
			Err: fieldErr("approver", "required", nil)}
	}
	switch {
	case e.Decided():
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(), Reason: "already decided by " + e.Decision.By, Err: ErrDecided}
	case e.Kind != Progression || !e.Ready:
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(), Reason: "only a ready progression can be approved", Err: ErrNotReady}
	case cur.Level != e.Level || e.Target != e.Level+1 || int(e.Target) >= len(levels):
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(),
			Reason: fmt.Sprintf("judged level %d but the installation is at level %d", e.Level, cur.Level), Err: ErrStale}
	}
	return build(levels, Progression, e, active, attest.NormalizeName(approver), now, "CAB-approved progression to "+levels[e.Target].Name)
}

// Regress builds the transition a regression evaluation makes: down to
// e.Target, with a new model version carrying that level's thresholds,
// approved by [EngineActor] (a step down only makes the system stricter).
func Regress(levels []Definition, e Evaluation, cur State, active riskmodel.Version, now time.Time) (Transition, error) {
	switch {
	case e.Decided():
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(), Reason: "already applied", Err: ErrDecided}
	case e.Kind != Regression:
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(), Reason: "not a regression", Err: ErrNotReady}
	case cur.Level != e.Level || e.Target != e.Level-1 || e.Target < Baseline:
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(),
			Reason: fmt.Sprintf("judged level %d but the installation is at level %d", e.Level, cur.Level), Err: ErrStale}
	}
	return build(levels, Regression, e, active, EngineActor, now, "regression to "+levels[e.Target].Name+": "+e.Reason)
}

func build(levels []Definition, kind Kind, e Evaluation, active riskmodel.Version, actor string, now time.Time, reason string) (Transition, error) {
	now = now.UTC()
	target := levels[e.Target]
	calibration, err := json.Marshal(map[string]any{
		"evaluation_id": e.ID.String(), "kind": kind, "from_level": e.Level, "to_level": e.Target,
		"period_from": e.PeriodFrom, "period_to": e.PeriodTo, "deployments": e.Deployments,
		"incidents": e.Incidents, "incident_rate": e.IncidentRate.String(), "p1": e.P1, "p2": e.P2,
	})
	if err != nil {
		return Transition{}, err
	}
	m, err := target.Model(active, fmt.Sprintf("L%d-%s", e.Target, e.ID.String()[:8]), now)
	if err == nil {
		m.Approval = riskmodel.Approval{Approved: true, By: actor, At: now}
		m.Calibration, m.CreatedBy = calibration, attest.NormalizeName(actor)
		err = m.Validate()
	}
	if err != nil {
		return Transition{}, &TransitionError{EvaluationID: e.ID.String(), Reason: "the new model would be invalid: " + err.Error(),
			Err: fieldErr("model", "the new model would be invalid: "+err.Error(), err)}
	}
	eh, err := e.ContentHash()
	if err != nil {
		return Transition{}, err
	}
	return Transition{
		Kind: kind, Evaluation: e, From: e.Level, To: e.Target, Model: m,
		State: State{Level: e.Target, Since: now, ModelVersion: m.Version, Reason: reason, Kind: kind, Evaluation: e.ID,
			EvaluationHash: eh},
		Actor: actor, At: now,
	}, nil
}
