package main

import (
	"net/http"
	"time"

	"github.com/buildworksai/trustgate/maturity"
)

// maturityStatusDTO is the installation's current trust maturity level.
type maturityStatusDTO struct {
	Level        maturity.Level `json:"level"`
	Name         string         `json:"name"`
	Since        time.Time      `json:"since"`
	ModelVersion string         `json:"model_version"`
	Reason       string         `json:"reason"`
}

// transitionDTO is a change of level the CAB approved.
type transitionDTO struct {
	Kind      maturity.Kind     `json:"kind"`
	From      maturity.Level    `json:"from"`
	To        maturity.Level    `json:"to"`
	Actor     string            `json:"actor"`
	At        time.Time         `json:"at"`
	State     maturityStatusDTO `json:"state"`
	RiskModel riskModelDTO      `json:"risk_model"`
}

// evaluationApprovalDTO answers an approval of a progression: the
// evaluation (maturity.Evaluation's JSON form) with its approvals, how many verify and how many the keyring's
// quorum needs, and whether the progression applied (then the transition).
type evaluationApprovalDTO struct {
	Evaluation maturity.Evaluation `json:"evaluation"`
	Approvals  int                 `json:"approvals"`
	Quorum     int                 `json:"quorum"`
	Applied    bool                `json:"applied"`
	Transition *transitionDTO      `json:"transition,omitempty"`
}

func (s *Server) toStatusDTO(st maturity.State) maturityStatusDTO {
	d := maturityStatusDTO{Level: st.Level, Since: st.Since.UTC(), ModelVersion: st.ModelVersion, Reason: st.Reason}
	for _, l := range s.levels {
		if l.Level == st.Level {
			d.Name = l.Name
		}
	}
	return d
}

// maturityStatus: GET /api/v1/maturity/status.
func (s *Server) maturityStatus(w http.ResponseWriter, r *http.Request, _ *principal) error {
	st, err := s.store.MaturityState(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toStatusDTO(st))
	return nil
}

// evaluateMaturity: POST /api/v1/maturity/evaluate, with no body. Every
// call stores a new evaluation (201, maturity.Evaluation's JSON form); a regression is applied at once.
func (s *Server) evaluateMaturity(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if err := decodeOptionalJSON(w, r, s.maxBody, &struct{}{}); err != nil {
		return err
	}
	ev, err := s.engine.Evaluate(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/maturity/evaluations/"+ev.ID.String())
	writeJSON(w, http.StatusCreated, ev)
	return nil
}

// listEvaluations: GET /api/v1/maturity/evaluations?limit=, newest first
// (limit 1 to 1,000, default 50).
func (s *Server) listEvaluations(w http.ResponseWriter, r *http.Request, _ *principal) error {
	limit, err := queryInt(r, "limit", defaultListLimit)
	if err != nil {
		return err
	}
	evs, err := s.store.ListEvaluations(r.Context(), limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []maturity.Evaluation{} // none is [], not null
	}
	writeJSON(w, http.StatusOK, map[string][]maturity.Evaluation{"evaluations": evs})
	return nil
}

// getEvaluation: GET /api/v1/maturity/evaluations/{id}.
func (s *Server) getEvaluation(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ev, err := s.store.Evaluation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

// evaluationApprovalStatement: GET
// /api/v1/maturity/evaluations/{id}/approval-statement answers the
// canonical statement of the authenticated member's approval of a
// progression (its subject the evaluation's content hash: these findings
// and no others), to sign in member-signed mode and post as {"envelope": …}
// to …/approve.
func (s *Server) evaluationApprovalStatement(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	member, err := s.member(p)
	if err != nil {
		return err
	}
	ev, err := s.store.Evaluation(r.Context(), id)
	if err != nil {
		return err
	}
	payload, err := ev.ApprovalPayload(member)
	if err != nil {
		return err
	}
	writeStatement(w, payload)
	return nil
}

// approveEvaluation: POST /api/v1/maturity/evaluations/{id}/approve: the
// authenticated CAB member approves a ready progression, with no body
// (service-attested mode) or {"envelope": …} (the member's signature over
// …/approval-statement; required in member-signed mode). The progression
// applies once distinct members reach the keyring's quorum (2 by default:
// one member alone never raises the level); until then the answer says
// applied false with the count. Approving an applied one is 409
// EVALUATION_DECIDED, one member approving twice 409 CONFLICT.
func (s *Server) approveEvaluation(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body envelopeDTO
	if err := decodeOptionalJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	env, signed, err := s.memberEnvelope(p, body.Envelope)
	if err != nil {
		return err
	}
	var got maturity.Approved
	if signed {
		got, err = s.engine.ApproveSigned(r.Context(), id, env)
	} else {
		got, err = s.engine.Approve(r.Context(), id, p.Name)
		err = withStatementHint(err, "/api/v1/maturity/evaluations/"+id.String()+"/approval-statement")
	}
	s.metrics.approved("evaluation", err)
	if err != nil {
		return err
	}
	out := evaluationApprovalDTO{Approvals: got.Approvals, Quorum: got.Quorum, Applied: got.Transition != nil}
	// Read back what was stored: the evaluation with its approvals (and
	// decision), and the new, now active, model.
	ev, err := s.store.Evaluation(r.Context(), id)
	if err != nil {
		return err
	}
	out.Evaluation = ev
	if tr := got.Transition; tr != nil {
		model, err := s.store.RiskModel(r.Context(), tr.Model.Version)
		if err != nil {
			return err
		}
		out.Transition = &transitionDTO{Kind: tr.Kind, From: tr.From, To: tr.To, Actor: tr.Actor, At: tr.At.UTC(),
			State: s.toStatusDTO(tr.State), RiskModel: s.toRiskModelDTO(model)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
