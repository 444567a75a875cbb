package main

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
)

// problemTypeBase prefixes every problem type URI: the type of a problem
// with code EVIDENCE_TAMPERED is problemTypeBase + "evidence-tampered".
// The URIs identify problem types; they need not resolve.
const problemTypeBase = "https://trustgate.dev/problems/"

// Problem codes. The server raises some itself (MALFORMED_JSON,
// UNAUTHENTICATED, …); the library's errors give the rest: their reason
// when they have one (NOT_CAB_MEMBER, EVIDENCE_TAMPERED, passed through
// verbatim), else the code problemOf lists for their trustgate code.
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
	codeBlocked           = "DEPLOYMENT_BLOCKED"
	codeTampered          = "TAMPERED"

	// Of submissions that try to choose their own decision.
	codeClassBelowClassified = "CLASS_BELOW_CLASSIFIED"
	codeScoreSupplied        = "SCORE_SUPPLIED"
	// Of signed statements: approvals, evidence, models, records.
	codeMemberSignature   = "MEMBER_SIGNATURE_REQUIRED"
	codeUnknownKey        = "UNKNOWN_KEY"
	codeSignatureInvalid  = "SIGNATURE_INVALID"
	codeStatementMismatch = "STATEMENT_MISMATCH"
	codeEnvelopeMalformed = "ENVELOPE_MALFORMED"
	codeModelUnverified   = "MODEL_UNVERIFIED"
	codeRecordTampered    = "RECORD_TAMPERED"
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
	FailedChecks  []security.Check  `json:"failed_checks,omitempty"`
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

// toProblem maps an error to a problem (see problemFor). Unexpected errors
// become a 500 with a generic detail; the cause is kept for the log.
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

// problemOf maps each trustgate code to the status of its problem and the
// problem code used when the error names no reason. It is the one place a
// library error's status is decided: the code says what kind of failure it
// is, wherever in the chain of wrapping it was set, so nothing here depends
// on the order errors are tested in.
var problemOf = map[trustgate.Code]struct {
	status int
	code   string
}{
	trustgate.Invalid:   {http.StatusUnprocessableEntity, codeValidationFailed},
	trustgate.NotFound:  {http.StatusNotFound, codeNotFound},
	trustgate.Conflict:  {http.StatusConflict, codeConflict},
	trustgate.Forbidden: {http.StatusForbidden, codeForbidden},
	trustgate.Blocked:   {http.StatusUnprocessableEntity, codeBlocked}, // the reason (a security.ReasonCode) is always set
	trustgate.Expired:   {http.StatusConflict, codeExceptionExpired},
	trustgate.Tampered:  {http.StatusConflict, codeTampered}, // what is stored does not match what was signed: it authorises nothing
	trustgate.Canceled:  {http.StatusServiceUnavailable, codeTimeout},
	trustgate.Internal:  {http.StatusInternalServerError, codeInternal},
}

// Details of the 5xx problems: the cause is logged, never sent.
const (
	detailTimeout  = "the request took too long or was cancelled, and was abandoned"
	detailInternal = "an unexpected error occurred; quote the correlation id when reporting it"
)

// problemFor is the status, code, field and detail of err. The server's
// own *httpError (body decoding, authentication, routing) carries its
// problem; any other error is mapped by its trustgate code (see
// problemOf), with the reason, when it has one (and the problem is not a
// 5xx, which tells the client no more than its code), as the problem's code
// and the field it names. A blocked deployment adds its evidence id and every
// failed check.
func problemFor(err error) problem {
	var he *httpError
	if errors.As(err, &he) {
		return problem{Status: he.status, Code: he.code, Field: he.field, Detail: he.detail, headers: he.header}
	}
	e := trustgate.AsError(err)
	if e == nil { // no error to report is a bug in the handler
		m := problemOf[trustgate.Internal]
		return problem{Status: m.status, Code: m.code, Detail: detailInternal}
	}
	m, ok := problemOf[e.Code]
	if !ok {
		m = problemOf[trustgate.Internal] // a code this server does not know is a bug somewhere
	}
	p := problem{Status: m.status, Code: m.code, Field: e.Field, Detail: err.Error()}
	if e.Reason != "" && m.status < 500 { // a 5xx says no more than the table's code
		p.Code = e.Reason
	}
	var ve *security.ValidationError
	if errors.As(err, &ve) {
		p.Title = "Deployment blocked"
		p.EvidenceID = ve.EvidenceID.String()
		p.FailedChecks = ve.Failed
	}
	switch {
	case p.Status == http.StatusServiceUnavailable:
		p.Detail = detailTimeout
	case p.Status >= 500:
		p.Detail = detailInternal
	}
	return p
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
