package maturity

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
)

// Store is what the engine needs from storage; every trustgate store
// satisfies it. Lookups that find nothing return an error matching
// store.ErrNotFound.
type Store interface {
	MaturityState(ctx context.Context) (State, error)
	ActiveRiskModel(ctx context.Context) (riskmodel.Version, error)
	// RecountIncidents returns the calibration aggregates over [from, to)
	// counted from the deployment and incident records themselves, not
	// from any aggregate kept beside them (a store's calibration buckets,
	// which are a cache): what every evaluation is judged on.
	RecountIncidents(ctx context.Context, from, to time.Time) (incident.Counts, error)
	LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error)
	EarliestDeploymentAt(ctx context.Context) (time.Time, error)
	CreateEvaluation(ctx context.Context, e Evaluation) error
	Evaluation(ctx context.Context, id uuid.UUID) (Evaluation, error)
	ApplyTransition(ctx context.Context, t Transition) error
	AddEvaluationApproval(ctx context.Context, id uuid.UUID, a Approval) (Evaluation, error)
}

// Options configures an [Engine]. The zero value means the seed levels, the
// default policy, the system clock, random v7 ids and no logging.
type Options struct {
	// Service signs the ladder statement of each model a transition makes.
	// Required.
	Service *attest.Service
	Levels  []Definition
	Policy  Policy
	Now     func() time.Time
	NewID   func() uuid.UUID
	Logger  *slog.Logger
}

// Engine evaluates maturity against stored records, stores every
// evaluation, steps down at once on a breach, and applies CAB approvals of
// ready progressions. It is safe for concurrent use; the store serialises
// transitions.
type Engine struct {
	store   Store
	service *attest.Service
	levels  []Definition
	policy  Policy
	now     func() time.Time
	newID   func() uuid.UUID
	log     *slog.Logger
}

// NewEngine returns an engine over s. Custom levels must pass
// [ValidateLevels].
func NewEngine(s Store, opts Options) (*Engine, error) {
	if s == nil {
		return nil, fieldErr("store", "required", nil)
	}
	if opts.Service == nil {
		return nil, fieldErr("service", "a service signer is required (attest.NewService)", nil)
	}
	e := &Engine{store: s, service: opts.Service, levels: opts.Levels, policy: opts.Policy, now: opts.Now, newID: opts.NewID, log: opts.Logger}
	if e.levels == nil {
		e.levels = Levels()
	}
	if err := ValidateLevels(e.levels); err != nil {
		return nil, err
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.newID == nil {
		e.newID = func() uuid.UUID {
			if id, err := uuid.NewV7(); err == nil {
				return id
			}
			return uuid.New()
		}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// Evaluate judges the installation now, stores the evaluation and returns
// it as stored (its times at the store's precision). A [Regression] is
// applied at once (the returned evaluation then carries the decision); a
// ready [Progression] waits for [Engine.Approve].
//
// It judges on the store's RecountIncidents, counted from the deployment
// and incident records, never on IncidentCounts, which a store may read
// from aggregates kept beside them (calibration buckets, a cache anyone who
// can write the database can edit). Both directions of an evaluation
// authorise or cap automation: a progression lets the CAB grant more, and a
// regression that a hidden incident suppressed would keep automation the
// ladder withdraws. The engine's counts cover only the period (four weeks
// by default) and its part since the level was entered, so counting the
// records costs the period's rows, not the history's.
func (e *Engine) Evaluate(ctx context.Context) (Evaluation, error) {
	now := e.now().UTC()
	in, err := ReadInputs(ctx, e.store, e.policy, now)
	if err != nil {
		return Evaluation{}, err
	}
	state := in.State
	active, err := e.store.ActiveRiskModel(ctx)
	if err != nil {
		return Evaluation{}, fmt.Errorf("maturity: reading the active model: %w", err)
	}
	ev := Evaluate(e.levels, e.policy, in)
	ev.ID, ev.CreatedAt = e.newID(), now
	if err := e.store.CreateEvaluation(ctx, ev); err != nil {
		return Evaluation{}, fmt.Errorf("maturity: storing the evaluation: %w", err)
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "maturity evaluated", slog.String("evaluation_id", ev.ID.String()),
		slog.String("kind", string(ev.Kind)), slog.Int("level", int(ev.Level)), slog.Int("target", int(ev.Target)), slog.Bool("ready", ev.Ready))
	if ev.Kind != Regression {
		return e.stored(ctx, ev)
	}
	tr, err := Regress(e.levels, ev, state, active, now)
	if err != nil {
		return ev, err
	}
	if err := tr.Sign(e.service); err != nil {
		return ev, err
	}
	if err := e.store.ApplyTransition(ctx, tr); err != nil {
		return ev, fmt.Errorf("maturity: stepping down to level %d: %w", tr.To, err)
	}
	e.log.LogAttrs(ctx, slog.LevelWarn, "maturity regressed", slog.Int("from", int(tr.From)), slog.Int("to", int(tr.To)),
		slog.String("model_version", tr.Model.Version), slog.String("reason", ev.Reason))
	return e.stored(ctx, ev)
}

// stored reads ev back as the store keeps it.
func (e *Engine) stored(ctx context.Context, ev Evaluation) (Evaluation, error) {
	got, err := e.store.Evaluation(ctx, ev.ID)
	if err != nil {
		return ev, fmt.Errorf("maturity: reading evaluation %s back: %w", ev.ID, err)
	}
	return got, nil
}

// Approved is what an approval of a progression did: the evaluation with
// its approvals as stored, how many verify and how many are needed, and
// the transition once they reached the quorum (nil until then).
type Approved struct {
	Evaluation Evaluation
	Approvals  int
	Quorum     int
	Transition *Transition
}

// ErrNotMember: the approver is not a CAB member. Code
// [trustgate.Forbidden], reason NOT_CAB_MEMBER.
var ErrNotMember = &trustgate.Error{Code: trustgate.Forbidden, Reason: "NOT_CAB_MEMBER", Message: "maturity: not a CAB member"}

// ErrMemberSignature: in member-signed mode a progression must be approved
// with the member's own signature ([Engine.ApproveSigned]). Code
// [trustgate.Forbidden], reason MEMBER_SIGNATURE_REQUIRED.
var ErrMemberSignature = &trustgate.Error{Code: trustgate.Forbidden, Reason: "MEMBER_SIGNATURE_REQUIRED",
	Message: "maturity: member-signed mode: approvals must be signed by the member"}

// Approve records member's approval of a ready progression, countersigned
// by the service key for the member the caller authenticated
// (service-attested mode; in member-signed mode it is [ErrMemberSignature]:
// use ApproveSigned). Once distinct verified approvals reach the keyring's
// quorum (2 by default: one member alone never raises the level) the next
// level and a new risk model version carrying its thresholds become
// active, in one transaction, with an audit event. An evaluation that is
// not ready, is already decided or is stale is a [*TransitionError] and
// nothing is written; an unknown id matches store.ErrNotFound.
func (e *Engine) Approve(ctx context.Context, evaluationID uuid.UUID, member string) (Approved, error) {
	keys := e.service.Keys()
	if keys.Mode() == attest.MemberSigned {
		return Approved{}, &TransitionError{EvaluationID: evaluationID.String(), Reason: "approvals must be signed by the member", Err: ErrMemberSignature}
	}
	ev, err := e.store.Evaluation(ctx, evaluationID)
	if err != nil {
		return Approved{}, fmt.Errorf("maturity: evaluation %s: %w", evaluationID, err)
	}
	who, err := attest.CheckName("approver", member)
	if err != nil {
		return Approved{}, &TransitionError{EvaluationID: ev.ID.String(), Reason: "an approver is required", Err: fieldErr("approver", "required", err)}
	}
	payload, err := ev.ApprovalPayload(who)
	if err != nil {
		return Approved{}, err
	}
	env, err := e.service.Seal(payload)
	if err != nil {
		return Approved{}, fmt.Errorf("maturity: signing the approval: %w", err)
	}
	return e.approve(ctx, ev, Approval{By: who, Envelope: env})
}

// ApproveSigned records a progression approval the member signed: env is a
// DSSE envelope of the evaluation's approval statement for the member
// ([Evaluation.ApprovalPayload]) signed with one of the member's keys. A
// statement about another evaluation or other findings is
// attest.ErrStatement; a signature by a key that is not the member's
// attest.ErrUnknownKey.
func (e *Engine) ApproveSigned(ctx context.Context, evaluationID uuid.UUID, env dsse.Envelope) (Approved, error) {
	ev, err := e.store.Evaluation(ctx, evaluationID)
	if err != nil {
		return Approved{}, fmt.Errorf("maturity: evaluation %s: %w", evaluationID, err)
	}
	var p progressionPredicate
	if env.PayloadType != attest.PayloadType {
		return Approved{}, attest.StatementError("envelope.payloadType", "is not "+attest.PayloadType)
	}
	if _, err := attest.Decode(env.Payload, PredicateProgression, &p); err != nil {
		return Approved{}, err
	}
	if p.EvaluationID != ev.ID.String() {
		return Approved{}, attest.StatementError("payload.predicate.evaluation_id", "names "+p.EvaluationID+", not "+ev.ID.String())
	}
	if p.Member == "" || p.Member != attest.NormalizeName(p.Member) {
		return Approved{}, attest.StatementError("payload.predicate.member", "must be a normalised name")
	}
	want, err := ev.ApprovalPayload(p.Member)
	if err != nil {
		return Approved{}, err
	}
	switch {
	case !attest.Carries(&env, want):
		return Approved{}, attest.StatementError("payload", "is not the approval statement of evaluation "+ev.ID.String()+" as stored")
	case !e.service.Keys().IsMember(p.Member):
		return Approved{}, &TransitionError{EvaluationID: ev.ID.String(), Reason: p.Member + " is not a CAB member", Err: ErrNotMember}
	case !e.service.Keys().MemberSigned(&env, p.Member):
		return Approved{}, attest.UnknownKey("no valid signature by a key of " + p.Member)
	}
	return e.approve(ctx, ev, Approval{By: p.Member, Envelope: env})
}

func (e *Engine) approve(ctx context.Context, ev Evaluation, a Approval) (Approved, error) {
	keys := e.service.Keys()
	id := ev.ID.String()
	switch {
	case !keys.IsMember(a.By):
		return Approved{}, &TransitionError{EvaluationID: id, Reason: a.By + " is not a CAB member", Err: ErrNotMember}
	case ev.Decided():
		return Approved{}, &TransitionError{EvaluationID: id, Reason: "already decided by " + ev.Decision.By, Err: ErrDecided}
	case ev.Kind != Progression || !ev.Ready:
		return Approved{}, &TransitionError{EvaluationID: id, Reason: "only a ready progression can be approved", Err: ErrNotReady}
	}
	state, err := e.store.MaturityState(ctx)
	if err != nil {
		return Approved{}, err
	}
	if state.Level != ev.Level {
		return Approved{}, &TransitionError{EvaluationID: id,
			Reason: fmt.Sprintf("judged level %d but the installation is at level %d", ev.Level, state.Level), Err: ErrStale}
	}
	a.At = e.now().UTC()
	stored, err := e.store.AddEvaluationApproval(ctx, ev.ID, a)
	if err != nil {
		return Approved{}, fmt.Errorf("maturity: recording the approval of evaluation %s: %w", id, err)
	}
	out := Approved{Evaluation: stored, Approvals: stored.VerifiedApprovals(keys), Quorum: keys.ModelQuorum()}
	e.log.LogAttrs(ctx, slog.LevelInfo, "maturity progression approval", slog.String("evaluation_id", id),
		slog.String("approver", a.By), slog.Int("approvals", out.Approvals), slog.Int("quorum", out.Quorum))
	if out.Approvals < out.Quorum {
		return out, nil
	}
	active, err := e.store.ActiveRiskModel(ctx)
	if err != nil {
		return Approved{}, err
	}
	tr, err := Progress(e.levels, stored, state, active, a.By, a.At)
	if err != nil {
		return Approved{}, err
	}
	tr.State.Approvals = stored.Approvals
	if err := tr.Sign(e.service); err != nil {
		return Approved{}, err
	}
	if err := e.store.ApplyTransition(ctx, tr); err != nil {
		return Approved{}, fmt.Errorf("maturity: applying the progression to level %d: %w", tr.To, err)
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "maturity progressed", slog.Int("from", int(tr.From)), slog.Int("to", int(tr.To)),
		slog.String("model_version", tr.Model.Version), slog.String("approver", a.By))
	if out.Evaluation, err = e.stored(ctx, stored); err != nil {
		return Approved{}, err
	}
	out.Transition = &tr
	return out, nil
}
