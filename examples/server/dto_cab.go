package main

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/shopspring/decimal"
)

// submitDTO is the body of POST /api/v1/cab/requests. A submission gives
// facts and trustgate decides: classify (required) is classified with the
// server's classifier, and factors (required) are scored with the active
// model and recorded with the request. class, if given, is a declared
// class: a more severe one than the facts give is used, a less severe one
// refused (422 CLASS_BELOW_CLASSIFIED). A bare score instead of factors is
// accepted only when the server runs with -allow-supplied-score (422
// SCORE_SUPPLIED otherwise), and the decision then says it was supplied.
// The submitter is the authenticated principal.
type submitDTO struct {
	EvidenceID         string            `json:"evidence_id"`
	DeploymentIntentID string            `json:"deployment_intent_id"`
	CorrelationID      string            `json:"correlation_id,omitempty"`
	Application        string            `json:"application,omitempty"`
	ArtifactName       string            `json:"artifact_name,omitempty"`
	Score              *string           `json:"score,omitempty"`
	Factors            map[string]string `json:"factors,omitempty"`
	Class              string            `json:"class,omitempty"`
	Classify           *classifyInputDTO `json:"classify,omitempty"`
}

func (d *submitDTO) toSubmission(key, submitter string) (cab.Submission, error) {
	sub := cab.Submission{CorrelationID: key, Application: d.Application, ArtifactName: d.ArtifactName,
		Class: blastradius.Class(d.Class), Submitter: submitter}
	for _, f := range []struct{ name, v string }{{"correlation_id", key}, {"application", d.Application}, {"artifact_name", d.ArtifactName}} {
		if err := checkName(f.name, f.v); err != nil {
			return sub, err
		}
	}
	var err error
	if sub.EvidenceID, err = parseUUID("evidence_id", d.EvidenceID); err != nil {
		return sub, err
	}
	if sub.DeploymentIntentID, err = parseUUID("deployment_intent_id", d.DeploymentIntentID); err != nil {
		return sub, err
	}
	if d.Score != nil {
		sc, err := parseDecimal("score", *d.Score)
		if err != nil {
			return sub, err
		}
		sub.Score = &sc
	}
	if d.Factors != nil {
		sub.Factors = make(map[riskmodel.Factor]decimal.Decimal, len(d.Factors))
		for _, f := range slices.Sorted(maps.Keys(d.Factors)) {
			v, err := parseDecimal("factors["+f+"]", d.Factors[f])
			if err != nil {
				return sub, err
			}
			sub.Factors[riskmodel.Factor(f)] = v
		}
	}
	if d.Classify != nil {
		in, err := d.Classify.toInput()
		if err != nil {
			return sub, err
		}
		sub.Classify = &in
	}
	return sub, nil
}

type cabApprovalDTO struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

type rejectionDTO struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

type exceptionDTO struct {
	Justification  string           `json:"justification"`
	RequestedBy    string           `json:"requested_by"`
	RequestedAt    time.Time        `json:"requested_at"`
	ExpiresAt      time.Time        `json:"expires_at"`
	ArtifactSHA256 string           `json:"artifact_sha256"`
	Approvals      []cabApprovalDTO `json:"approvals"`
}

// requestDTO is a CAB request with everything that happened to it. The
// decision is cab.Decision's JSON form; reasons, the server's addition, is
// cab.Decision.Reasons: every reason that applies, the deciding one (the
// decision's reason) first.
type requestDTO struct {
	ID                 string            `json:"id"`
	CorrelationID      string            `json:"correlation_id"`
	EvidenceID         string            `json:"evidence_id"`
	DeploymentIntentID string            `json:"deployment_intent_id"`
	Application        string            `json:"application"`
	ArtifactSHA256     string            `json:"artifact_sha256"`
	Submitter          string            `json:"submitter"`
	Factors            map[string]string `json:"factors,omitempty"`
	ScoreSupplied      bool              `json:"score_supplied"`
	DeclaredClass      string            `json:"declared_class,omitempty"`
	ClassRule          string            `json:"class_rule"`
	Decision           cab.Decision      `json:"decision"`
	Reasons            []cab.Reason      `json:"reasons"`
	Status             cab.Status        `json:"status"`
	Approvals          []cabApprovalDTO  `json:"approvals"`
	Rejection          *rejectionDTO     `json:"rejection,omitempty"`
	Exception          *exceptionDTO     `json:"exception,omitempty"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

func toApprovalDTOs(as []cab.Approval) []cabApprovalDTO {
	out := make([]cabApprovalDTO, len(as))
	for i, a := range as {
		out[i] = cabApprovalDTO{By: a.By, At: a.At.UTC(), Comment: a.Comment}
	}
	return out
}

func toRequestDTO(r cab.Request) requestDTO {
	d := requestDTO{
		ID: r.ID.String(), CorrelationID: r.CorrelationID, EvidenceID: r.EvidenceID.String(),
		DeploymentIntentID: r.DeploymentIntentID.String(), Application: r.Application,
		ArtifactSHA256: r.ArtifactDigest.String(), Submitter: r.Submitter, Status: r.Status,
		Approvals: toApprovalDTOs(r.Approvals), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Decision: r.Decision, Reasons: r.Decision.Reasons(),
		ScoreSupplied: r.ScoreSupplied, DeclaredClass: string(r.DeclaredClass), ClassRule: r.ClassRule,
	}
	if r.Factors != nil {
		d.Factors = make(map[string]string, len(r.Factors))
		for f, v := range r.Factors {
			d.Factors[string(f)] = v.String()
		}
	}
	if r.Rejection != nil {
		d.Rejection = &rejectionDTO{By: r.Rejection.By, At: r.Rejection.At.UTC(), Reason: r.Rejection.Reason}
	}
	if x := r.Exception; x != nil {
		d.Exception = &exceptionDTO{Justification: x.Justification, RequestedBy: x.RequestedBy,
			RequestedAt: x.RequestedAt.UTC(), ExpiresAt: x.ExpiresAt.UTC(), ArtifactSHA256: x.ArtifactDigest.String(),
			Approvals: toApprovalDTOs(x.Approvals)}
	}
	return d
}

// rejectDTO is the body of a rejection.
type rejectDTO struct {
	Reason string `json:"reason"`
}

// exceptionRequestDTO is the body of POST …/exception.
type exceptionRequestDTO struct {
	Justification string    `json:"justification"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// deploymentRequestDTO is the body of POST …/deployments: the digests the
// client computed of what it deployed, and when the deployment finished.
type deploymentRequestDTO struct {
	digestsDTO
	FinishedAt time.Time `json:"finished_at"`
}

// recordedDeploymentDTO answers POST …/deployments: the deployment and
// its validation in the library's JSON forms.
type recordedDeploymentDTO struct {
	Deployment incident.Deployment `json:"deployment"`
	Validation security.Report     `json:"validation"`
}

// checkName refuses an identifier (a correlation id, an application or
// artifact name) that is not valid UTF-8 or holds control characters: it
// is stored, logged and shown, and cab.Workflow checks only its length.
func checkName(field, s string) error {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }) {
		return newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, field,
			field+": must be valid UTF-8 without control characters")
	}
	return nil
}
