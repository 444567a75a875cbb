package maturity

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/buildworksai/trustgate/internal/wire"
	"github.com/buildworksai/trustgate/security"
)

// The JSON forms of [Evaluation], [Criterion], [Decision] and [Approval];
// see the package doc's JSON section.

type criterionJSON struct {
	Name      CriterionName `json:"name"`
	AtLeast   bool          `json:"at_least"`
	Required  *string       `json:"required"` // null when unlimited
	Unlimited bool          `json:"unlimited"`
	Actual    string        `json:"actual"`
	Passed    bool          `json:"passed"`
}

type decisionJSON struct {
	Approved     bool   `json:"approved"`
	By           string `json:"by"`
	At           string `json:"at,omitempty"`
	ModelVersion string `json:"model_version,omitempty"`
}

type approvalJSON struct {
	By       string          `json:"by"`
	At       string          `json:"at"`
	Envelope json.RawMessage `json:"envelope"`
}

type evaluationJSON struct {
	ID           string          `json:"id"`
	Kind         Kind            `json:"kind"`
	Level        int             `json:"level"`
	Target       int             `json:"target"`
	PeriodFrom   string          `json:"period_from"`
	PeriodTo     string          `json:"period_to"`
	Deployments  int64           `json:"deployments"`
	Incidents    int64           `json:"incidents"`
	P1           int64           `json:"p1"`
	P2           int64           `json:"p2"`
	IncidentRate string          `json:"incident_rate"`
	Criteria     []criterionJSON `json:"criteria"`
	Ready        bool            `json:"ready"`
	Reason       string          `json:"reason"`
	Decision     *decisionJSON   `json:"decision,omitempty"`
	Approvals    []approvalJSON  `json:"approvals"`
	CreatedAt    string          `json:"created_at"`
}

func (c Criterion) wire() criterionJSON {
	w := criterionJSON{Name: c.Name, AtLeast: c.AtLeast, Unlimited: c.Unlimited, Actual: wire.Decimal(c.Actual), Passed: c.Passed}
	if !c.Unlimited {
		r := wire.Decimal(c.Required)
		w.Required = &r
	}
	return w
}

func (d Decision) wire() decisionJSON {
	return decisionJSON{Approved: d.Approved, By: d.By, At: wire.OptTime(d.At), ModelVersion: d.ModelVersion}
}

func (a Approval) wire() (approvalJSON, error) {
	env, err := a.Envelope.Marshal()
	if err != nil {
		return approvalJSON{}, err
	}
	return approvalJSON{By: a.By, At: wire.Time(a.At), Envelope: env}, nil
}

// MarshalJSON writes c as {"name", "at_least", "required", "unlimited",
// "actual", "passed"}: required and actual as decimal strings, required
// null when no limit applies (unlimited true), never "0".
func (c Criterion) MarshalJSON() ([]byte, error) { return json.Marshal(c.wire()) }

// UnmarshalJSON reads the form [Criterion.MarshalJSON] writes; see
// [Evaluation.UnmarshalJSON] for what it refuses. On error c is unchanged.
func (c *Criterion) UnmarshalJSON(data []byte) error { return into(c, decodeCriterion, data) }

// MarshalJSON writes d as {"approved", "by", "at", "model_version"}, at
// omitted while zero and model_version while empty.
func (d Decision) MarshalJSON() ([]byte, error) { return json.Marshal(d.wire()) }

// UnmarshalJSON reads the form [Decision.MarshalJSON] writes: approved
// and by are required. On error d is unchanged.
func (d *Decision) UnmarshalJSON(data []byte) error { return into(d, decodeDecision, data) }

// MarshalJSON writes a as {"by", "at", "envelope"}, the envelope in its
// DSSE JSON form ([dsse.Envelope.Marshal]).
func (a Approval) MarshalJSON() ([]byte, error) {
	w, err := a.wire()
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Approval.MarshalJSON] writes, the
// envelope as strictly as [dsse.Parse] does (its errors keep reason
// ENVELOPE_MALFORMED and wrap [dsse.ErrMalformed], with Field the path
// from the approval: "envelope.signatures[0].sig"). It does not verify
// the signature. On error a is unchanged.
func (a *Approval) UnmarshalJSON(data []byte) error { return into(a, decodeApproval, data) }

// MarshalJSON writes e in the package's JSON form: snake_case members,
// levels as their numbers 0 to 4, times RFC 3339 in UTC, the rate and the
// criteria's values as decimal strings, the decision omitted while zero,
// criteria and approvals as arrays (empty when there are none).
func (e Evaluation) MarshalJSON() ([]byte, error) {
	w := evaluationJSON{
		ID: e.ID.String(), Kind: e.Kind, Level: int(e.Level), Target: int(e.Target),
		PeriodFrom: wire.Time(e.PeriodFrom), PeriodTo: wire.Time(e.PeriodTo),
		Deployments: e.Deployments, Incidents: e.Incidents, P1: e.P1, P2: e.P2,
		IncidentRate: wire.Decimal(e.IncidentRate), Criteria: make([]criterionJSON, len(e.Criteria)),
		Ready: e.Ready, Reason: e.Reason, Approvals: make([]approvalJSON, len(e.Approvals)), CreatedAt: wire.Time(e.CreatedAt),
	}
	for i, c := range e.Criteria {
		w.Criteria[i] = c.wire()
	}
	if e.Decision != (Decision{}) {
		d := e.Decision.wire()
		w.Decision = &d
	}
	for i, a := range e.Approvals {
		var err error
		if w.Approvals[i], err = a.wire(); err != nil {
			return nil, err
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Evaluation.MarshalJSON] writes. Every
// member but decision and approvals is required. An unknown kind,
// criterion name or member, a level outside 0 to 4, a negative count, a
// malformed UUID, time or decimal, a criterion that is unlimited yet has a
// required value (or is limited without one, or is unlimited and failed),
// a malformed envelope, a member of the wrong JSON type or null is an
// invalid-input *trustgate.Error whose Field is the member's path
// ("criteria[2].required", "approvals[0].envelope.payload"). On error e
// is unchanged.
func (e *Evaluation) UnmarshalJSON(data []byte) error { return into(e, decodeEvaluation, data) }

// into decodes data as the document with decode, and sets *v only when
// that succeeds.
func into[T any](v *T, decode func([]byte, string) (T, error), data []byte) error {
	x, err := decode(data, "")
	if err != nil {
		return err
	}
	*v = x
	return nil
}

// nested decodes member key of o with decode, recording its error.
func nested[T any](o *wire.Object, key string, required bool, decode func([]byte, string) (T, error)) T {
	var x T
	if raw := o.Raw(key, required); raw != nil {
		var err error
		x, err = decode(raw, o.Path(key))
		o.FailWith(err)
	}
	return x
}

func (k Kind) known() bool { return k == Progression || k == Regression || k == Hold }

func (n CriterionName) known() bool {
	switch n {
	case CriterionWeeksAtLevel, CriterionMinDeployments, CriterionIncidentRate, CriterionP1, CriterionP2, CriterionCleanWeeks:
		return true
	}
	return false
}

func decodeCriterion(data []byte, path string) (Criterion, error) {
	o, err := wire.Read("maturity", data, path, "name", "at_least", "required", "unlimited", "actual", "passed")
	if err != nil {
		return Criterion{}, err
	}
	var c Criterion
	c.Name = CriterionName(o.String("name"))
	if o.Err() == nil && !c.Name.known() {
		o.Fail("name", fmt.Sprintf("unknown criterion %q", c.Name), nil)
	}
	c.AtLeast = o.Bool("at_least")
	c.Unlimited = o.Bool("unlimited")
	if c.Unlimited {
		if o.Raw("required", false) != nil {
			o.Fail("required", "an unlimited criterion has no required value: want null", nil)
		}
	} else {
		c.Required = o.Decimal("required")
	}
	c.Actual = o.Decimal("actual")
	c.Passed = o.Bool("passed")
	if o.Err() == nil && c.Unlimited && !c.Passed {
		o.Fail("passed", "an unlimited criterion always passes", nil)
	}
	if err := o.Err(); err != nil {
		return Criterion{}, err
	}
	return c, nil
}

func decodeDecision(data []byte, path string) (Decision, error) {
	o, err := wire.Read("maturity", data, path, "approved", "by", "at", "model_version")
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Approved: o.Bool("approved"), By: o.String("by"), At: o.OptTime("at"), ModelVersion: o.OptString("model_version")}
	if err := o.Err(); err != nil {
		return Decision{}, err
	}
	return d, nil
}

func decodeApproval(data []byte, path string) (Approval, error) {
	o, err := wire.Read("maturity", data, path, "by", "at", "envelope")
	if err != nil {
		return Approval{}, err
	}
	a := Approval{By: o.String("by"), At: o.Time("at")}
	a.Envelope = o.Envelope("envelope", true)
	if err := o.Err(); err != nil {
		return Approval{}, err
	}
	return a, nil
}

func decodeLevel(o *wire.Object, key string) Level {
	n := o.Int(key)
	if l := Level(n); o.Err() == nil && (int64(l) != n || !l.Valid()) {
		o.Fail(key, fmt.Sprintf("level %d out of range (want 0 to 4)", n), nil)
	}
	return Level(n)
}

func decodeCount(o *wire.Object, key string) int64 {
	n := o.Int(key)
	if o.Err() == nil && n < 0 {
		o.Fail(key, fmt.Sprintf("count %d is negative", n), nil)
	}
	return n
}

func decodeEvaluation(data []byte, path string) (Evaluation, error) {
	o, err := wire.Read("maturity", data, path, "id", "kind", "level", "target", "period_from", "period_to",
		"deployments", "incidents", "p1", "p2", "incident_rate", "criteria", "ready", "reason", "decision",
		"approvals", "created_at")
	if err != nil {
		return Evaluation{}, err
	}
	var e Evaluation
	if s := o.String("id"); o.Err() == nil {
		id, err := uuid.Parse(s)
		if err != nil || len(s) != 36 {
			o.Fail("id", fmt.Sprintf("malformed UUID %q (want the 36-character form)", s), err)
		}
		e.ID = id
	}
	e.Kind = Kind(o.String("kind"))
	if o.Err() == nil && !e.Kind.known() {
		o.Fail("kind", fmt.Sprintf("unknown kind %q (want progression, regression or hold)", e.Kind), nil)
	}
	e.Level, e.Target = decodeLevel(o, "level"), decodeLevel(o, "target")
	e.PeriodFrom, e.PeriodTo = o.Time("period_from"), o.Time("period_to")
	e.Deployments, e.Incidents = decodeCount(o, "deployments"), decodeCount(o, "incidents")
	e.P1, e.P2 = decodeCount(o, "p1"), decodeCount(o, "p2")
	e.IncidentRate = o.Decimal("incident_rate")
	o.Array("criteria", true, func(path string, raw json.RawMessage) error {
		c, err := decodeCriterion(raw, path)
		e.Criteria = append(e.Criteria, c)
		return err
	})
	e.Ready = o.Bool("ready")
	e.Reason = o.String("reason")
	e.Decision = nested(o, "decision", false, decodeDecision)
	o.Array("approvals", false, func(path string, raw json.RawMessage) error {
		a, err := decodeApproval(raw, path)
		e.Approvals = append(e.Approvals, a)
		return err
	})
	e.CreatedAt = o.Time("created_at")
	if err := o.Err(); err != nil {
		return Evaluation{}, err
	}
	return e, nil
}

type stateJSON struct {
	Level            int             `json:"level"`
	Since            string          `json:"since"`
	ModelVersion     string          `json:"model_version"`
	Reason           string          `json:"reason"`
	Kind             Kind            `json:"kind,omitempty"`
	EvaluationID     string          `json:"evaluation_id,omitempty"`
	EvaluationSHA256 string          `json:"evaluation_sha256,omitempty"`
	Approvals        []approvalJSON  `json:"approvals"`
	Attestation      json.RawMessage `json:"attestation,omitempty"`
}

// MarshalJSON writes s in the package's JSON form: the level as its
// number, since RFC 3339 in UTC, kind, evaluation_id and
// evaluation_sha256 omitted while zero (the seed's baseline), approvals an
// array, the attestation in its DSSE JSON form, omitted while it has no
// signature.
func (s State) MarshalJSON() ([]byte, error) {
	w := stateJSON{Level: int(s.Level), Since: wire.Time(s.Since), ModelVersion: s.ModelVersion, Reason: s.Reason,
		Kind: s.Kind, EvaluationID: wire.OptUUIDString(s.Evaluation), Approvals: make([]approvalJSON, len(s.Approvals))}
	if !s.EvaluationHash.IsZero() {
		w.EvaluationSHA256 = s.EvaluationHash.String()
	}
	for i, a := range s.Approvals {
		var err error
		if w.Approvals[i], err = a.wire(); err != nil {
			return nil, err
		}
	}
	if len(s.Attestation.Signatures) > 0 {
		env, err := s.Attestation.Marshal()
		if err != nil {
			return nil, err
		}
		w.Attestation = env
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [State.MarshalJSON] writes. level, since,
// model_version and reason are required. A level outside 0 to 4, a kind
// other than progression or regression, a malformed UUID, digest, time or
// envelope, an unknown member, a member of the wrong JSON type or null is
// an invalid-input *trustgate.Error whose Field is the member's path
// ("attestation.signatures[0].sig"). It does not verify the attestation:
// [VerifyState] does. On error s is unchanged.
func (s *State) UnmarshalJSON(data []byte) error { return into(s, decodeState, data) }

func decodeState(data []byte, path string) (State, error) {
	o, err := wire.Read("maturity", data, path, "level", "since", "model_version", "reason", "kind",
		"evaluation_id", "evaluation_sha256", "approvals", "attestation")
	if err != nil {
		return State{}, err
	}
	s := State{Level: decodeLevel(o, "level"), Since: o.Time("since"), ModelVersion: o.String("model_version"),
		Reason: o.String("reason"), Kind: Kind(o.OptString("kind"))}
	if o.Err() == nil && s.Kind != "" && s.Kind != Progression && s.Kind != Regression {
		o.Fail("kind", fmt.Sprintf("unknown kind %q (want progression, regression or none)", s.Kind), nil)
	}
	s.Evaluation = o.OptUUID("evaluation_id")
	if h := o.OptString("evaluation_sha256"); h != "" {
		d, err := security.ParseDigest(o.Path("evaluation_sha256"), h)
		if err != nil {
			o.Fail("evaluation_sha256", "malformed SHA-256 digest (want 64 hex digits)", err)
		}
		s.EvaluationHash = d
	}
	o.Array("approvals", false, func(path string, raw json.RawMessage) error {
		a, err := decodeApproval(raw, path)
		s.Approvals = append(s.Approvals, a)
		return err
	})
	s.Attestation = o.Envelope("attestation", false)
	if err := o.Err(); err != nil {
		return State{}, err
	}
	return s, nil
}
