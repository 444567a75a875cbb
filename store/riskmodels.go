package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/shopspring/decimal"
)

// signoffJSON is one signoff in a version's signoffs column: a JSON array
// of {"by", "at", "envelope"}, times as in the progress JSON of requests.
type signoffJSON struct {
	By       string        `json:"by"`
	At       string        `json:"at"`
	Envelope dsse.Envelope `json:"envelope"`
}

func signoffsJSON(ss []riskmodel.Signoff) string {
	out := make([]signoffJSON, len(ss)) // never nil: an empty array, not null
	for i, s := range ss {
		out[i] = signoffJSON{By: s.By, At: s.At.UTC().Format(progressTime), Envelope: s.Envelope}
	}
	b, _ := json.Marshal(out) // strings and bytes: cannot fail
	return string(b)
}

func decodeSignoffs(s string) ([]riskmodel.Signoff, error) {
	var js []signoffJSON
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, fmt.Errorf("signoffs: %v", err)
	}
	if len(js) == 0 {
		return nil, nil
	}
	out := make([]riskmodel.Signoff, len(js))
	for i, j := range js {
		at, err := parseProgressTime("signoffs", j.At)
		if err != nil {
			return nil, err
		}
		out[i] = riskmodel.Signoff{By: j.By, At: at, Envelope: j.Envelope}
	}
	return out, nil
}

// Risk model versions: a row each, their thresholds and weights a row per
// class and per factor. A version is immutable once created, except for
// its approval (once) and activation; at most one is active.

func modelTables() (versions, thresholds, weights *driver.Table) {
	versions = &driver.Table{
		Name: "risk_model_versions",
		Columns: []driver.Column{
			col("version", driver.Text), col("mode", driver.Text), col("effective_at", driver.Time),
			col("review_at", driver.Time), col("exception_threshold", driver.Decimal), col("approved", driver.Bool),
			col("approved_by", driver.Text), nullCol("approved_at", driver.Time), nullCol("calibration", driver.Text),
			col("created_at", driver.Time), col("active", driver.Bool), col("created_by", driver.Text),
			col("signoffs", driver.Text),
		},
		Key: []string{"version"},
	}
	thresholds = &driver.Table{
		Name:    "risk_model_thresholds",
		Columns: []driver.Column{col("version", driver.Text), col("class", driver.Text), col("threshold", driver.Decimal)},
		Key:     []string{"version", "class"},
	}
	weights = &driver.Table{
		Name:    "risk_model_weights",
		Columns: []driver.Column{col("version", driver.Text), col("factor", driver.Text), col("weight", driver.Decimal)},
		Key:     []string{"version", "factor"},
	}
	return versions, thresholds, weights
}

// modelChanges returns the inserts that store v.
func (t *tables) modelChanges(v *riskmodel.Version) []change {
	var calibration any
	if v.Calibration != nil {
		calibration = string(v.Calibration)
	}
	cs := []change{insertNew(t.models, []any{v.Version, string(v.Mode), v.EffectiveAt, v.ReviewAt, v.ExceptionThreshold,
		v.Approval.Approved, v.Approval.By, nullTime(v.Approval.At), calibration, v.CreatedAt, false, v.CreatedBy,
		signoffsJSON(v.Signoffs)},
		"risk model %s exists", v.Version)}
	for _, c := range slices.Sorted(maps.Keys(v.Thresholds)) {
		cs = append(cs, insert(t.thresholds, []any{v.Version, string(c), v.Thresholds[c]}))
	}
	for _, f := range slices.Sorted(maps.Keys(v.Weights)) {
		cs = append(cs, insert(t.weights, []any{v.Version, string(f), v.Weights[f]}))
	}
	return cs
}

func decodeModel(t *driver.Table, row []any) (riskmodel.Version, error) {
	r := newReader(t, row)
	v := riskmodel.Version{Version: r.text(), Mode: riskmodel.Mode(r.text()), EffectiveAt: r.time(), ReviewAt: r.time(),
		ExceptionThreshold: r.decimal()}
	v.Approval = riskmodel.Approval{Approved: r.bool(), By: r.text(), At: r.time()}
	if c := r.text(); c != "" {
		v.Calibration = json.RawMessage(c)
	}
	v.CreatedAt, v.Active, v.CreatedBy = r.time(), r.bool(), r.text()
	signoffs := r.text()
	v.Thresholds = map[blastradius.Class]decimal.Decimal{}
	v.Weights = map[riskmodel.Factor]decimal.Decimal{}
	if err := r.done(); err != nil {
		return v, err
	}
	var err error
	if v.Signoffs, err = decodeSignoffs(signoffs); err != nil {
		return v, rowErr(t, err)
	}
	return v, nil
}

// models reads the versions q selects, with their thresholds and weights.
// A version's parameters never change, so reading them in queries of their
// own needs no snapshot.
func (o *op) models(q *driver.Query) ([]riskmodel.Version, error) {
	var vs []riskmodel.Version
	index := map[string]int{}
	err := o.query(q, func(row []any) error {
		v, err := decodeModel(o.t.models, row)
		index[v.Version] = len(vs)
		vs = append(vs, v)
		return err
	})
	if err != nil || len(vs) == 0 {
		return vs, err
	}
	var where []driver.Cond
	if len(vs) == 1 {
		where = []driver.Cond{driver.Where("version", driver.Eq, vs[0].Version)}
	}
	for _, p := range []struct {
		t   *driver.Table
		set func(v *riskmodel.Version, key string, value decimal.Decimal)
	}{
		{o.t.thresholds, func(v *riskmodel.Version, k string, d decimal.Decimal) { v.Thresholds[blastradius.Class(k)] = d }},
		{o.t.weights, func(v *riskmodel.Version, k string, d decimal.Decimal) { v.Weights[riskmodel.Factor(k)] = d }},
	} {
		err := o.query(&driver.Query{Table: p.t, Where: where}, func(row []any) error {
			r := newReader(p.t, row)
			version, key, value := r.text(), r.text(), r.decimal()
			if i, ok := index[version]; ok { // not a version created since the first read
				p.set(&vs[i], key, value)
			}
			return r.done()
		})
		if err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// model returns the version named version.
func (o *op) model(version string) (riskmodel.Version, bool, error) {
	vs, err := o.models(&driver.Query{Table: o.t.models, Where: []driver.Cond{driver.Where("version", driver.Eq, version)}})
	if err != nil || len(vs) == 0 {
		return riskmodel.Version{}, false, err
	}
	return vs[0], true, nil
}

// activeModel returns the active version.
func (o *op) activeModel() (riskmodel.Version, bool, error) {
	vs, err := o.models(&driver.Query{Table: o.t.models, Where: []driver.Cond{driver.Where("active", driver.Eq, true)}, Limit: 1})
	if err != nil || len(vs) == 0 {
		return riskmodel.Version{}, false, err
	}
	return vs[0], true, nil
}

// requireActor checks the actor (or approver) of a governance change: a
// blank one is [trustgate.Invalid]. Other problems with it (control
// characters, length) are the security package's errors, from the audit
// event it goes into.
func requireActor(field, actor string) error {
	if strings.TrimSpace(actor) == "" {
		return invalid(field, "store: %s is required", field)
	}
	return nil
}

// CreateRiskModel stores a new, inactive version and appends a
// riskmodel.created audit event naming actor. The version is validated as
// stored, its times in UTC at the store's precision and CreatedAt defaulting
// to the store's clock and CreatedBy set to actor, normalised
// (attest.NormalizeName): riskmodel.Version.Validate's errors are returned as
// they are. A version that is Active is [trustgate.Invalid] (activation is
// a separate, audited step); a version string that exists is
// [ErrConflict]; a blank actor is [trustgate.Invalid].
func (h *ops) CreateRiskModel(ctx context.Context, v riskmodel.Version, actor string) error {
	if err := requireActor("actor", actor); err != nil {
		return err
	}
	v.CreatedBy = attest.NormalizeName(actor)
	return write0(ctx, h, func(o *op) error {
		cs, err := o.newModel(&v)
		if err != nil {
			return err
		}
		_, err = o.apply(cs, riskModelCreated(&v, actor))
		return err
	})
}

// newModel checks that v can be created and returns its rows, the first
// of them new (a version that exists is an [ErrConflict] when they are
// applied); v is normalised in place.
func (o *op) newModel(v *riskmodel.Version) ([]change, error) {
	*v = o.normModel(*v)
	if v.CreatedAt.IsZero() {
		v.CreatedAt = o.clock()
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	if v.Active {
		return nil, invalid("active", "store: risk model %s: a version is created inactive; activation is a separate, audited step", v.Version)
	}
	return o.t.modelChanges(v), nil
}

// normModel returns a deep copy of v with its times as stored.
func (c *core) normModel(v riskmodel.Version) riskmodel.Version {
	v = v.Clone()
	v.EffectiveAt, v.ReviewAt, v.CreatedAt = c.norm(v.EffectiveAt), c.norm(v.ReviewAt), c.norm(v.CreatedAt)
	v.Approval.At = c.norm(v.Approval.At)
	for i := range v.Signoffs {
		v.Signoffs[i].At = c.norm(v.Signoffs[i].At)
	}
	return v
}

// RiskModel returns the version with the given version string, or
// [ErrNotFound].
func (h *ops) RiskModel(ctx context.Context, version string) (riskmodel.Version, error) {
	return read(ctx, h, func(o *op) (riskmodel.Version, error) {
		v, ok, err := o.model(version)
		if err == nil && !ok {
			err = notFound("risk model %q", version)
		}
		return v, err
	})
}

// ListRiskModels returns every version, oldest first (by creation time,
// then version string).
func (h *ops) ListRiskModels(ctx context.Context) ([]riskmodel.Version, error) {
	return read(ctx, h, func(o *op) ([]riskmodel.Version, error) {
		vs, err := o.models(&driver.Query{Table: o.t.models, Order: []driver.Order{{Column: "created_at"}, {Column: "version"}}})
		if vs == nil && err == nil {
			vs = []riskmodel.Version{}
		}
		return vs, err
	})
}

// ActiveRiskModel returns the active version, or [ErrNotFound] if none is.
func (h *ops) ActiveRiskModel(ctx context.Context) (riskmodel.Version, error) {
	return read(ctx, h, func(o *op) (riskmodel.Version, error) {
		v, ok, err := o.activeModel()
		if err == nil && !ok {
			err = notFound("no risk model is active")
		}
		return v, err
	})
}

// ApproveRiskModel appends s, a signed approval of version by a CAB
// member, and, when approved is true (the caller has verified that the
// distinct valid approvals now reach the quorum), records the version as
// approved by s.By at the store's current time; it appends a
// riskmodel.approved audit event either way. The store checks what it can
// without keys: [ErrNotFound] if there is no such version, [ErrConflict]
// if it is already approved or s.By has signed it already,
// [trustgate.Forbidden] (reason SEPARATION_OF_DUTIES) if s.By created it,
// [trustgate.Invalid] for a blank or unnormalised s.By or a signoff
// without a signature. Whether the signatures verify, and so whether the
// version may decide, is for the verifier (cab.VerifyModel): the approval
// flag is a cache.
func (h *ops) ApproveRiskModel(ctx context.Context, version string, s riskmodel.Signoff, approved bool) error {
	if err := requireActor("approver", s.By); err != nil {
		return err
	}
	if s.By != attest.NormalizeName(s.By) {
		return invalid("approver", "store: the approver %q is not a normalised name (attest.NormalizeName)", s.By)
	}
	if len(s.Envelope.Signatures) == 0 {
		return invalid("envelope", "store: an approval of risk model %s carries no signature", version)
	}
	return write0(ctx, h, func(o *op) error {
		row, ok, err := o.byKey(o.t.models, "version", version)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("risk model %q", version)
		}
		v, err := decodeModel(o.t.models, row)
		switch {
		case err != nil:
			return err
		case v.Approval.Approved:
			return conflict("risk model %s is already approved by %s", version, v.Approval.By)
		case s.By == v.CreatedBy:
			return &trustgate.Error{Code: trustgate.Forbidden, Reason: "SEPARATION_OF_DUTIES", Field: "approver",
				Message: "store: risk model " + version + ": " + s.By + " created it and cannot approve it"}
		case slices.ContainsFunc(v.Signoffs, func(p riskmodel.Signoff) bool { return p.By == s.By }):
			return conflict("risk model %s is already signed by %s", version, s.By)
		}
		s.At = o.clock()
		cols, vals := []string{"signoffs"}, []any{signoffsJSON(append(v.Signoffs, s))}
		if approved {
			cols, vals = append(cols, "approved", "approved_by", "approved_at"), append(vals, true, s.By, s.At)
		}
		_, err = o.apply([]change{update(o.t.models, []any{version}, cols, vals...)}, riskModelApproved(version, s.By, approved))
		return err
	})
}

// ActivateRiskModel makes version the one active version, deactivating any
// other, atomically, and appends a riskmodel.activated audit event naming
// actor and the version it replaced. The version must be CAB-approved: an
// error with code [trustgate.Conflict] and reason MODEL_NOT_APPROVED,
// wrapping riskmodel.ErrNotApproved, otherwise. Activating the active
// version again changes nothing and writes no event. [ErrNotFound] if there
// is no such version; [trustgate.Invalid] for a blank actor.
func (h *ops) ActivateRiskModel(ctx context.Context, version, actor string) error {
	if err := requireActor("actor", actor); err != nil {
		return err
	}
	return write0(ctx, h, func(o *op) error {
		cs, previous, err := o.activation(version, false)
		if err != nil || cs == nil {
			return err
		}
		_, err = o.apply(cs, riskModelActivated(version, previous, actor))
		return err
	})
}

// activation checks that version can be activated and returns the writes
// that activate it (none when it is active already) and the version they
// deactivate ("" when none is active). A version created in the same
// operation (pending) is not stored yet: the caller has checked it.
func (o *op) activation(version string, pending bool) (cs []change, previous string, err error) {
	if !pending {
		row, ok, err := o.byKey(o.t.models, "version", version)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return nil, "", notFound("risk model %q", version)
		}
		v, err := decodeModel(o.t.models, row)
		switch {
		case err != nil:
			return nil, "", err
		case v.Active:
			return nil, "", nil
		case !v.Approval.Approved:
			return nil, "", notApproved(version)
		}
	}
	prev, ok, err := o.first(&driver.Query{Table: o.t.models, Where: []driver.Cond{driver.Where("active", driver.Eq, true)}})
	if err != nil {
		return nil, "", err
	}
	if ok {
		p, err := decodeModel(o.t.models, prev)
		if err != nil {
			return nil, "", err
		}
		// Deactivate first: a database may allow one active row at a time.
		cs = append(cs, update(o.t.models, []any{p.Version}, []string{"active"}, false))
		previous = p.Version
	}
	return append(cs, update(o.t.models, []any{version}, []string{"active"}, true)), previous, nil
}

// notApproved is the error of activating a version the CAB has not
// approved.
func notApproved(version string) error {
	return &trustgate.Error{Code: trustgate.Conflict, Reason: "MODEL_NOT_APPROVED", Field: "active",
		Message: "store: risk model " + version + " is not CAB-approved and cannot be activated", Err: riskmodel.ErrNotApproved}
}
