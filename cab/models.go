package cab

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// The CAB's governance of risk models: approval by signatures of a quorum
// of members other than the creator, and activation only of a version that
// verifies under the maturity level in force.

// ApproveModel records member's approval of the risk model version,
// countersigned by the service key for the member the caller authenticated
// (service-attested mode; in member-signed mode it is
// [ErrMemberSignature]: use ApproveModelSigned). The version's approval
// flag is set once distinct verified approvals by members other than the
// creator reach the keyring's model quorum. It refuses a non-member
// ([ErrNotMember]), the creator ([ErrSeparationOfDuties]) and a second
// approval by one member ([ErrDuplicateApproval]).
func (w *Workflow) ApproveModel(ctx context.Context, version, member string) (riskmodel.Version, error) {
	if w.keys.Mode() == attest.MemberSigned {
		return riskmodel.Version{}, fmt.Errorf("cab: risk model %s: %w", version, ErrMemberSignature)
	}
	v, err := w.store.RiskModel(ctx, version)
	if err != nil {
		return riskmodel.Version{}, fmt.Errorf("cab: risk model %s: %w", version, err)
	}
	who, err := attest.CheckName("approver", member)
	if err != nil {
		return riskmodel.Version{}, inputErr("approver", "required (a single-line name)", err)
	}
	payload, err := v.ApprovalPayload(who)
	if err != nil {
		return riskmodel.Version{}, err
	}
	env, err := w.service.Seal(payload)
	if err != nil {
		return riskmodel.Version{}, fmt.Errorf("cab: signing the approval of risk model %s: %w", version, err)
	}
	return w.approveModel(ctx, &v, riskmodel.Signoff{By: who, Envelope: env})
}

// ApproveModelSigned records an approval of a risk model version that the
// member signed: env is a DSSE envelope of the version's approval
// statement for the member ([riskmodel.Version.ApprovalPayload]) signed
// with one of the member's keys. A statement about other content (another
// version, or this version's content changed since) is
// [attest.ErrStatement]; a signature by a key that is not the member's
// [attest.ErrUnknownKey]. Nothing is written on a refusal.
func (w *Workflow) ApproveModelSigned(ctx context.Context, version string, env dsse.Envelope) (riskmodel.Version, error) {
	v, err := w.store.RiskModel(ctx, version)
	if err != nil {
		return riskmodel.Version{}, fmt.Errorf("cab: risk model %s: %w", version, err)
	}
	var p struct {
		ModelVersion string `json:"model_version"`
		Member       string `json:"member"`
	}
	if env.PayloadType != attest.PayloadType {
		return riskmodel.Version{}, attest.StatementError("envelope.payloadType", "is not "+attest.PayloadType)
	}
	if _, err := attest.Decode(env.Payload, riskmodel.PredicateApproval, &p); err != nil {
		return riskmodel.Version{}, err
	}
	switch {
	case p.ModelVersion != v.Version:
		return riskmodel.Version{}, attest.StatementError("payload.predicate.model_version", "names "+p.ModelVersion+", not "+v.Version)
	case p.Member == "" || p.Member != attest.NormalizeName(p.Member):
		return riskmodel.Version{}, attest.StatementError("payload.predicate.member", "must be a normalised name")
	}
	want, err := v.ApprovalPayload(p.Member)
	if err != nil {
		return riskmodel.Version{}, err
	}
	switch {
	case !attest.Carries(&env, want):
		return riskmodel.Version{}, attest.StatementError("payload.subject", "is not the content hash of risk model "+v.Version+" as stored")
	case !w.keys.IsMember(p.Member):
		return riskmodel.Version{}, fmt.Errorf("cab: risk model %s: %q: %w", version, p.Member, ErrNotMember)
	case !w.keys.MemberSigned(&env, p.Member):
		return riskmodel.Version{}, attest.UnknownKey("no valid signature by a key of " + p.Member)
	}
	return w.approveModel(ctx, &v, riskmodel.Signoff{By: p.Member, Envelope: env})
}

func (w *Workflow) approveModel(ctx context.Context, v *riskmodel.Version, s riskmodel.Signoff) (riskmodel.Version, error) {
	switch {
	case !w.keys.IsMember(s.By):
		return riskmodel.Version{}, fmt.Errorf("cab: risk model %s: %q: %w", v.Version, s.By, ErrNotMember)
	case s.By == v.CreatedBy:
		return riskmodel.Version{}, fmt.Errorf("cab: risk model %s: %q created it and cannot approve it: %w", v.Version, s.By, ErrSeparationOfDuties)
	case slices.Contains(v.Approvers(w.keys), s.By):
		return riskmodel.Version{}, fmt.Errorf("cab: risk model %s: %q: %w", v.Version, s.By, ErrDuplicateApproval)
	}
	s.At = w.clock()
	next := v.Clone()
	next.Signoffs = append(next.Signoffs, s)
	approved := len(next.Approvers(w.keys)) >= w.keys.ModelQuorum()
	if err := w.store.ApproveRiskModel(ctx, v.Version, s, approved); err != nil {
		return riskmodel.Version{}, err
	}
	w.log.LogAttrs(ctx, slog.LevelInfo, "risk model approval", slog.String("model_version", v.Version),
		slog.String("approver", s.By), slog.Bool("approved", approved))
	return w.store.RiskModel(ctx, v.Version)
}

// ActivateModel makes version the active model, once it verifies under
// the maturity level in force ([VerifyModel]): approved by the quorum's
// signatures and no looser than the ladder allows. A version that does not
// verify is an error wrapping riskmodel.ErrUnverified, and nothing is
// written.
func (w *Workflow) ActivateModel(ctx context.Context, version, actor string) error {
	v, err := w.store.RiskModel(ctx, version)
	if err != nil {
		return fmt.Errorf("cab: risk model %s: %w", version, err)
	}
	state, err := w.store.MaturityState(ctx)
	if err != nil {
		return fmt.Errorf("cab: reading the maturity level: %w", err)
	}
	if err := w.verifyState(&state); err != nil {
		return err
	}
	if _, err := w.verifyModel(&v, state.Level); err != nil {
		return err
	}
	return w.store.ActivateRiskModel(ctx, version, actor)
}
