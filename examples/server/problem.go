package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
)

// problemTypeBase prefixes every problem type URI: the type of a problem
// with code EVIDENCE_TAMPERED is problemTypeBase + "evidence-tampered".
// The URIs identify problem types; they need not resolve.
const problemTypeBase = "https://trustgate.dev/problems/"

// Codes of the problems the server itself raises. Library reason codes
// (security.ReasonCode) are passed through verbatim.
const (
	codeMalformedJSON     = "MALFORMED_JSON"
	codeUnknownField      = "UNKNOWN_FIELD"
	codeInvalidParameter  = "INVALID_PARAMETER"
	codePayloadTooLarge   = "PAYLOAD_TOO_LARGE"
	codeUnsupportedMedia  = "UNSUPPORTED_MEDIA_TYPE"
	codeUnauthenticated   = "UNAUTHENTICATED"
	codeForbidden         = "FORBIDDEN"
	codeNotFound          = "NOT_FOUND"
	codeMethodNotAllowed  = "METHOD_NOT_ALLOWED"
	codeConflict          = "CONFLICT"
	codeValidationFailed  = "VALIDATION_FAILED"
	codeModelNotApproved  = "MODEL_NOT_APPROVED"
	codeEvidenceUnusable  = "EVIDENCE_UNUSABLE"
	codeNotCABMember      = "NOT_CAB_MEMBER"
	codeSeparation        = "SEPARATION_OF_DUTIES"
	codeNotPending        = "NOT_PENDING"
	codeDuplicateApproval = "DUPLICATE_APPROVAL"
	codeExpiryOutOfRange  = "EXCEPTION_EXPIRY_OUT_OF_RANGE"
	codeExceptionExpired  = "EXCEPTION_EXPIRED"
	codeDigestMismatch    = "ARTIFACT_DIGEST_MISMATCH"
	codeNotAuthorized     = "DEPLOYMENT_NOT_AUTHORIZED"
	codeNotReady          = "EVALUATION_NOT_READY"
	codeDecided           = "EVALUATION_DECIDED"
	codeStale             = "EVALUATION_STALE"
	codeTimeout           = "TIMEOUT"
	codeInternal          = "INTERNAL"
)

// problem is an RFC 9457 problem details object with trustgate's extension
// members.
type problem struct {
	Type          string            `json:"type"`
	Title         string            `json:"title"`
	Status        int               `json:"status"`
	Detail        string            `json:"detail,omitempty"`
	Instance      string            `json:"instance,omitempty"`
	Code          string            `json:"code"`
	CorrelationID string            `json:"correlation_id,omitempty"`
	Field         string            `json:"field,omitempty"`
	EvidenceID    string            `json:"evidence_id,omitempty"`
	FailedChecks  []checkDTO        `json:"failed_checks,omitempty"`
	headers       map[string]string // response headers to add, not serialised
	cause         error             // logged for 5xx, never serialised
}

// httpError is an error the server raises itself, already shaped as a
// problem (body decoding, authentication, path and query parameters).
type httpError struct {
	status int
	code   string
	field  string
	detail string
	header map[string]string
}

func (e *httpError) Error() string { return e.detail }

func newHTTPError(status int, code, field, detail string) *httpError {
	return &httpError{status: status, code: code, field: field, detail: detail}
}

// problemTypeURI returns the type URI of code: EVIDENCE_TAMPERED becomes
// https://trustgate.dev/problems/evidence-tampered.
func problemTypeURI(code string) string {
	return problemTypeBase + strings.ReplaceAll(strings.ToLower(code), "_", "-")
}

// toProblem maps an error to a problem, with errors.Is and errors.As only.
// Unexpected errors become a 500 with a generic detail; the cause is kept
// for the log.
func toProblem(err error) problem {
	p := problemFor(err)
	if p.Type == "" {
		p.Type = problemTypeURI(p.Code)
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Status >= 500 {
		p.cause = err
	}
	return p
}

// problemFor is the status, code and detail of err.
func problemFor(err error) problem {
	mk := func(status int, code string) problem {
		return problem{Status: status, Code: code, Detail: err.Error()}
	}
	withField := func(p problem, field string) problem { p.Field = field; return p }

	var (
		he *httpError
		ve *security.ValidationError
		we *cab.WorkflowError
		te *maturity.TransitionError
	)
	invalid := trustgate.ErrorCode(err) == trustgate.Invalid
	switch {
	case errors.As(err, &he):
		p := problem{Status: he.status, Code: he.code, Field: he.field, Detail: he.detail, headers: he.header}
		return p

	// Verdicts of the pre-deployment gates.
	case errors.As(err, &ve):
		status := http.StatusUnprocessableEntity
		if ve.Code == security.EvidenceNotFound {
			status = http.StatusNotFound // the evidence the request addresses does not exist
		}
		p := mk(status, string(ve.Code))
		p.Title = "Deployment blocked"
		p.EvidenceID = ve.EvidenceID.String()
		for _, c := range ve.Failed {
			p.FailedChecks = append(p.FailedChecks, toCheckDTO(c))
		}
		return p

	// The CAB workflow's refusals.
	case errors.As(err, &we):
		switch {
		case errors.Is(err, cab.ErrNotMember):
			return mk(http.StatusForbidden, codeNotCABMember)
		case errors.Is(err, cab.ErrSeparationOfDuties):
			return mk(http.StatusForbidden, codeSeparation)
		case errors.Is(err, cab.ErrNotPending):
			return mk(http.StatusConflict, codeNotPending)
		case errors.Is(err, cab.ErrDuplicateApproval):
			return mk(http.StatusConflict, codeDuplicateApproval)
		case errors.Is(err, cab.ErrExpiry):
			return withField(mk(http.StatusUnprocessableEntity, codeExpiryOutOfRange), "expires_at")
		case errors.Is(err, cab.ErrExpired):
			return mk(http.StatusConflict, codeExceptionExpired)
		case errors.Is(err, cab.ErrDigestMismatch):
			return withField(mk(http.StatusConflict, codeDigestMismatch), "artifact_sha256")
		case errors.Is(err, cab.ErrNotAuthorized):
			return mk(http.StatusConflict, codeNotAuthorized)
		case invalid:
			return withField(mk(http.StatusUnprocessableEntity, codeValidationFailed), trustgate.AsError(err).Field)
		}
	case errors.Is(err, cab.ErrEvidence):
		return mk(http.StatusUnprocessableEntity, codeEvidenceUnusable)

	// Maturity transitions.
	case errors.As(err, &te):
		switch {
		case errors.Is(err, maturity.ErrNotReady):
			return mk(http.StatusConflict, codeNotReady)
		case errors.Is(err, maturity.ErrDecided):
			return mk(http.StatusConflict, codeDecided)
		case errors.Is(err, maturity.ErrStale):
			return mk(http.StatusConflict, codeStale)
		case invalid:
			return withField(mk(http.StatusUnprocessableEntity, codeValidationFailed), trustgate.AsError(err).Field)
		}

	// Only an approved model can be active.
	case errors.Is(err, riskmodel.ErrNotApproved):
		return mk(http.StatusConflict, codeModelNotApproved)
	}

	// Storage outcomes, then domain field errors (422).
	switch {
	case errors.Is(err, store.ErrNotFound):
		return mk(http.StatusNotFound, codeNotFound)
	case errors.Is(err, store.ErrConflict):
		return mk(http.StatusConflict, codeConflict)
	case invalid:
		return withField(mk(http.StatusUnprocessableEntity, codeValidationFailed), trustgate.AsError(err).Field)
	case errors.Is(err, store.ErrInvalid):
		return mk(http.StatusUnprocessableEntity, codeValidationFailed)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return problem{Status: http.StatusServiceUnavailable, Code: codeTimeout, Detail: "the request took too long or was cancelled, and was abandoned"}
	}
	return problem{Status: http.StatusInternalServerError, Code: codeInternal, Detail: "an unexpected error occurred; quote the correlation id when reporting it"}
}

// writeProblem writes err as application/problem+json. 5xx causes are
// logged with the correlation id; their text never reaches the client.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := toProblem(err)
	p.Instance = r.URL.Path
	info := infoFrom(r.Context())
	if info != nil {
		p.CorrelationID = info.correlationID
	} else {
		p.CorrelationID = w.Header().Get(correlationHeader)
	}
	if p.cause != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", p.cause.Error()))
	}
	for k, v := range p.headers {
		w.Header().Set(k, v)
	}
	writeBody(w, p.Status, "application/problem+json", p)
}
