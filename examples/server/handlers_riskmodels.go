package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

// riskModelDTO is a risk model version. Decimals are JSON strings.
type riskModelDTO struct {
	Version            string                       `json:"version"`
	Mode               riskmodel.Mode               `json:"mode"`
	EffectiveAt        time.Time                    `json:"effective_at"`
	ReviewAt           time.Time                    `json:"review_at"`
	Thresholds         map[blastradius.Class]string `json:"thresholds"`
	Weights            map[riskmodel.Factor]string  `json:"weights"`
	ExceptionThreshold string                       `json:"exception_threshold"`
	// Approval is the stored approval flag, a cache: set once Approvers
	// reached Quorum. Approvers are the distinct CAB members other than
	// the creator whose signed approvals verify with the keyring: what
	// activation and every decision check.
	Approval    approvalDTO     `json:"approval"`
	Approvers   []string        `json:"approvers"`
	Quorum      int             `json:"quorum"`
	Signoffs    []signoffDTO    `json:"signoffs"`
	Calibration json.RawMessage `json:"calibration,omitempty"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	Active      bool            `json:"active"`
}

// signoffDTO is one signed statement about a version: a member's approval,
// or the service key's ladder statement (by "trustgate-ladder").
type signoffDTO struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

type approvalDTO struct {
	Approved bool       `json:"approved"`
	By       string     `json:"by,omitempty"`
	At       *time.Time `json:"at,omitempty"`
}

func (s *Server) toRiskModelDTO(v riskmodel.Version) riskModelDTO {
	d := riskModelDTO{
		Version: v.Version, Mode: v.Mode, EffectiveAt: v.EffectiveAt.UTC(), ReviewAt: v.ReviewAt.UTC(),
		Thresholds: map[blastradius.Class]string{}, Weights: map[riskmodel.Factor]string{},
		ExceptionThreshold: v.ExceptionThreshold.String(),
		Approval:           approvalDTO{Approved: v.Approval.Approved, By: v.Approval.By, At: timeOrNil(v.Approval.At)},
		Approvers:          v.Approvers(s.keys), Quorum: s.keys.ModelQuorum(), Signoffs: []signoffDTO{},
		Calibration: v.Calibration, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt.UTC(), Active: v.Active,
	}
	if d.Approvers == nil {
		d.Approvers = []string{}
	}
	for _, so := range v.Signoffs {
		d.Signoffs = append(d.Signoffs, signoffDTO{By: so.By, At: so.At.UTC()})
	}
	for c, t := range v.Thresholds {
		d.Thresholds[c] = t.String()
	}
	for f, w := range v.Weights {
		d.Weights[f] = w.String()
	}
	return d
}

// newRiskModelDTO is the body of POST /api/v1/risk-models: a new version,
// stored unapproved and inactive, its creator the authenticated member
// (whose own approval of it never counts).
type newRiskModelDTO struct {
	Version            string            `json:"version"`
	Mode               string            `json:"mode"`
	EffectiveAt        time.Time         `json:"effective_at"`
	ReviewAt           time.Time         `json:"review_at"`
	Thresholds         map[string]string `json:"thresholds"`
	Weights            map[string]string `json:"weights"`
	ExceptionThreshold string            `json:"exception_threshold"`
	Calibration        json.RawMessage   `json:"calibration,omitempty"`
}

func (d *newRiskModelDTO) toVersion(now time.Time) (riskmodel.Version, error) {
	v := riskmodel.Version{
		Version: d.Version, Mode: riskmodel.Mode(d.Mode), EffectiveAt: d.EffectiveAt, ReviewAt: d.ReviewAt,
		Thresholds: map[blastradius.Class]decimal.Decimal{}, Weights: map[riskmodel.Factor]decimal.Decimal{},
		CreatedAt: now,
	}
	if len(d.Calibration) > 0 && !bytes.Equal(bytes.TrimSpace(d.Calibration), []byte("null")) {
		v.Calibration = d.Calibration
	}
	for _, c := range slices.Sorted(maps.Keys(d.Thresholds)) {
		t, err := parseDecimal("thresholds["+c+"]", d.Thresholds[c])
		if err != nil {
			return v, err
		}
		v.Thresholds[blastradius.Class(c)] = t
	}
	for _, f := range slices.Sorted(maps.Keys(d.Weights)) {
		w, err := parseDecimal("weights["+f+"]", d.Weights[f])
		if err != nil {
			return v, err
		}
		v.Weights[riskmodel.Factor(f)] = w
	}
	x, err := parseDecimal("exception_threshold", d.ExceptionThreshold)
	if err != nil {
		return v, err
	}
	v.ExceptionThreshold = x
	return v, v.Validate()
}

// listRiskModels: GET /api/v1/risk-models, oldest first.
func (s *Server) listRiskModels(w http.ResponseWriter, r *http.Request, _ *principal) error {
	vs, err := s.store.ListRiskModels(r.Context())
	if err != nil {
		return err
	}
	out := make([]riskModelDTO, len(vs))
	for i, v := range vs {
		out[i] = s.toRiskModelDTO(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"risk_models": out})
	return nil
}

// activeRiskModel: GET /api/v1/risk-models/active.
func (s *Server) activeRiskModel(w http.ResponseWriter, r *http.Request, _ *principal) error {
	v, err := s.store.ActiveRiskModel(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toRiskModelDTO(v))
	return nil
}

// getRiskModel: GET /api/v1/risk-models/{version}.
func (s *Server) getRiskModel(w http.ResponseWriter, r *http.Request, _ *principal) error {
	v, err := s.store.RiskModel(r.Context(), r.PathValue("version"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toRiskModelDTO(v))
	return nil
}

// createRiskModel: POST /api/v1/risk-models. The version string is the
// key: creating it again is 409.
func (s *Server) createRiskModel(w http.ResponseWriter, r *http.Request, p *principal) error {
	var body newRiskModelDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	v, err := body.toVersion(s.now())
	if err != nil {
		return err
	}
	if err := s.store.CreateRiskModel(r.Context(), v, p.Name); err != nil {
		return err
	}
	stored, err := s.store.RiskModel(r.Context(), v.Version)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/risk-models/"+stored.Version)
	writeJSON(w, http.StatusCreated, s.toRiskModelDTO(stored))
	return nil
}

// modelStep answers a state change of risk model {version} by the
// authenticated CAB member (the body, if any, must be an empty object) with
// the version as it now stands.
func (s *Server) modelStep(w http.ResponseWriter, r *http.Request, p *principal,
	step func(ctx context.Context, version, actor string) error) error {
	version := r.PathValue("version")
	if err := decodeOptionalJSON(w, r, s.maxBody, &struct{}{}); err != nil {
		return err
	}
	if err := step(r.Context(), version, p.Name); err != nil {
		return err
	}
	v, err := s.store.RiskModel(r.Context(), version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toRiskModelDTO(v))
	return nil
}

// modelApprovalStatement: GET /api/v1/risk-models/{version}/approval-statement
// answers the canonical statement of the authenticated member's approval
// of the version (its subject the version's content hash), to sign in
// member-signed mode and post as {"envelope": …} to …/approve.
func (s *Server) modelApprovalStatement(w http.ResponseWriter, r *http.Request, p *principal) error {
	member, err := s.member(p)
	if err != nil {
		return err
	}
	v, err := s.store.RiskModel(r.Context(), r.PathValue("version"))
	if err != nil {
		return err
	}
	payload, err := v.ApprovalPayload(member)
	if err != nil {
		return err
	}
	writeStatement(w, payload)
	return nil
}

// approveRiskModel: POST /api/v1/risk-models/{version}/approve, by the
// authenticated CAB member: no body (service-attested mode: the service
// key countersigns the member's approval) or {"envelope": …} (the member's
// signature over the statement of …/approval-statement; required in
// member-signed mode, 403 MEMBER_SIGNATURE_REQUIRED otherwise). The
// version is approved once distinct members other than its creator reach
// the keyring's model quorum (2 by default): the creator approving is 403
// SEPARATION_OF_DUTIES, a member approving twice 409 DUPLICATE_APPROVAL.
// The answer shows the verified approvers and the quorum.
func (s *Server) approveRiskModel(w http.ResponseWriter, r *http.Request, p *principal) error {
	version := r.PathValue("version")
	var body envelopeDTO
	if err := decodeOptionalJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	env, signed, err := s.memberEnvelope(p, body.Envelope)
	if err != nil {
		return err
	}
	var v riskmodel.Version
	if signed {
		v, err = s.workflow.ApproveModelSigned(r.Context(), version, env)
	} else {
		v, err = s.workflow.ApproveModel(r.Context(), version, p.Name)
		err = withStatementHint(err, "/api/v1/risk-models/"+url.PathEscape(version)+"/approval-statement")
	}
	s.metrics.approved("model", err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toRiskModelDTO(v))
	return nil
}

// activateRiskModel: POST /api/v1/risk-models/{version}/activate. Only a
// version that verifies can be active (cab.Workflow.ActivateModel): signed
// by the model quorum of members other than its creator, and no looser
// than the thresholds of the maturity level in force; otherwise 409
// MODEL_UNVERIFIED and nothing changes. Activating the active version
// again changes nothing and answers the same.
func (s *Server) activateRiskModel(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.modelStep(w, r, p, s.workflow.ActivateModel)
}
