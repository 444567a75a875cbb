package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
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
	Approval           approvalDTO                  `json:"approval"`
	Calibration        json.RawMessage              `json:"calibration,omitempty"`
	CreatedAt          time.Time                    `json:"created_at"`
	Active             bool                         `json:"active"`
}

type approvalDTO struct {
	Approved bool       `json:"approved"`
	By       string     `json:"by,omitempty"`
	At       *time.Time `json:"at,omitempty"`
}

func toRiskModelDTO(v riskmodel.Version) riskModelDTO {
	d := riskModelDTO{
		Version: v.Version, Mode: v.Mode, EffectiveAt: v.EffectiveAt.UTC(), ReviewAt: v.ReviewAt.UTC(),
		Thresholds: map[blastradius.Class]string{}, Weights: map[riskmodel.Factor]string{},
		ExceptionThreshold: v.ExceptionThreshold.String(),
		Approval:           approvalDTO{Approved: v.Approval.Approved, By: v.Approval.By, At: timeOrNil(v.Approval.At)},
		Calibration:        v.Calibration, CreatedAt: v.CreatedAt.UTC(), Active: v.Active,
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
// stored unapproved and inactive.
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
		out[i] = toRiskModelDTO(v)
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
	writeJSON(w, http.StatusOK, toRiskModelDTO(v))
	return nil
}

// getRiskModel: GET /api/v1/risk-models/{version}.
func (s *Server) getRiskModel(w http.ResponseWriter, r *http.Request, _ *principal) error {
	v, err := s.store.RiskModel(r.Context(), r.PathValue("version"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRiskModelDTO(v))
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
	writeJSON(w, http.StatusCreated, toRiskModelDTO(stored))
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
	writeJSON(w, http.StatusOK, toRiskModelDTO(v))
	return nil
}

// approveRiskModel: POST /api/v1/risk-models/{version}/approve, by the
// authenticated CAB member. Approving twice is 409.
func (s *Server) approveRiskModel(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.modelStep(w, r, p, s.store.ApproveRiskModel)
}

// activateRiskModel: POST /api/v1/risk-models/{version}/activate. Only a
// CAB-approved version can be active (409 MODEL_NOT_APPROVED); activating
// the active version again changes nothing and answers the same.
func (s *Server) activateRiskModel(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.modelStep(w, r, p, s.store.ActivateRiskModel)
}
