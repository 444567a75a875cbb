package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorMapping checks the mapping of every library error the server
// can meet, as the library returns and wraps them.
func TestErrorMapping(t *testing.T) {
	wf := func(sentinel error) error {
		return fmt.Errorf("handler: %w", &cab.WorkflowError{RequestID: uuid.New(), Reason: "r", Err: sentinel})
	}
	tr := func(sentinel error) error {
		return &maturity.TransitionError{EvaluationID: "e", Reason: "r", Err: sentinel}
	}
	seed := riskmodel.Seed(epoch)
	unsigned := riskmodel.Seed(epoch)
	unsigned.Version, unsigned.Approval, unsigned.Signoffs, unsigned.CreatedBy = "2.0", riskmodel.Approval{}, nil, "carol"
	badWeights := func() error {
		v := riskmodel.Seed(epoch)
		v.Weights[riskmodel.SupplyChain] = decimal.NewFromInt(1)
		return v.Validate()
	}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		field  string
	}{
		{"not found", fmt.Errorf("x: %w", store.ErrNotFound), http.StatusNotFound, codeNotFound, ""},
		{"conflict", fmt.Errorf("x: %w", store.ErrConflict), http.StatusConflict, codeConflict, ""},
		{"store invalid", second(memoryStore(t).ListAuditEvents(t.Context(), 0, 0)), http.StatusUnprocessableEntity, codeValidationFailed, "limit"},
		{"riskmodel field", badWeights(), http.StatusUnprocessableEntity, codeValidationFailed, "weights"},
		{"not approved", fmt.Errorf("x: %w", riskmodel.ErrNotApproved), http.StatusConflict, codeModelNotApproved, ""},
		{"not approved, activating", unapprovedActivation(t), http.StatusConflict, codeModelNotApproved, "active"},
		{"incident field", second(incident.ParseSeverity("P9")), http.StatusUnprocessableEntity, codeValidationFailed, "severity"},
		{"security field", second(security.NewEvidence(uuid.New(), "", nil, time.Time{})), http.StatusUnprocessableEntity, codeValidationFailed, "correlation_id"},
		{"blastradius field", second(blastradius.ParseTier("Tier9")), http.StatusUnprocessableEntity, codeValidationFailed, "cmdb.service_tier"},
		{"class", second(blastradius.Parse("X")), http.StatusUnprocessableEntity, codeValidationFailed, "class"},
		{"cab input", second(cab.Decide(decimal.NewFromInt(101), blastradius.NonCritical, &seed)), http.StatusUnprocessableEntity, codeValidationFailed, "score"},
		{"not member", wf(cab.ErrNotMember), http.StatusForbidden, codeNotCABMember, ""},
		{"separation", wf(cab.ErrSeparationOfDuties), http.StatusForbidden, codeSeparation, ""},
		{"not pending", wf(cab.ErrNotPending), http.StatusConflict, codeNotPending, ""},
		{"duplicate", wf(cab.ErrDuplicateApproval), http.StatusConflict, codeDuplicateApproval, ""},
		{"expiry", wf(cab.ErrExpiry), http.StatusUnprocessableEntity, codeExpiryOutOfRange, "expires_at"},
		{"expired", wf(cab.ErrExpired), http.StatusConflict, codeExceptionExpired, ""},
		{"digest", wf(cab.ErrDigestMismatch), http.StatusConflict, codeDigestMismatch, "artifact_sha256"},
		{"not authorised", wf(cab.ErrNotAuthorized), http.StatusConflict, codeNotAuthorized, ""},
		{"workflow input", second(cab.Approve(cab.Request{}, testService(t, attest.ServiceAttested).Keys(), cab.Approval{}, time.Time{})), http.StatusUnprocessableEntity, codeValidationFailed, "approver"},
		{"class below classified", fmt.Errorf("x: %w", cab.ErrClassBelowClassified), http.StatusUnprocessableEntity, codeClassBelowClassified, "class"},
		{"score supplied", fmt.Errorf("x: %w", cab.ErrScoreSupplied), http.StatusUnprocessableEntity, codeScoreSupplied, "score"},
		{"member signature required", wf(cab.ErrMemberSignature), http.StatusForbidden, codeMemberSignature, ""},
		{"member signature required, maturity", tr(maturity.ErrMemberSignature), http.StatusForbidden, codeMemberSignature, ""},
		{"unknown key", wf(attest.UnknownKey("no valid signature by a key of carol")), http.StatusForbidden, codeUnknownKey, "envelope.signatures"},
		{"signature invalid", dsse.Verify(&dsse.Envelope{PayloadType: "t", Payload: []byte("p"), Signatures: []dsse.Signature{{Sig: []byte("x")}}}, testkeys.Public("k")),
			http.StatusForbidden, codeSignatureInvalid, ""},
		{"statement mismatch", wf(attest.StatementError("payload.predicate.request_id", "names another request")), http.StatusUnprocessableEntity, codeStatementMismatch, "payload.predicate.request_id"},
		{"envelope malformed, in a body", second(parseEnvelope("envelope", []byte(`{"payloadType":"t"}`))), http.StatusBadRequest, codeEnvelopeMalformed, "envelope.payload"},
		{"envelope malformed, in the producer member", second(parseEnvelope("producer", []byte(`{"payloadType":"t","payload":"","signatures":[{"sig":"*"}]}`))), http.StatusBadRequest, codeEnvelopeMalformed, "producer.signatures[0].sig"},
		{"producer signature missing", fmt.Errorf("x: %w", security.ErrProducerSignatureMissing), http.StatusUnprocessableEntity, "PRODUCER_SIGNATURE_MISSING", "producer"},
		{"model unverified", second(cab.VerifyModel(&unsigned, testService(t, attest.ServiceAttested).Keys(), maturity.Levels(), maturity.Baseline)), http.StatusConflict, codeModelUnverified, ""},
		{"record tampered", wf(&attest.RecordError{Record: "cab_requests/x", Part: "approvals[1]", Reason: "does not verify"}), http.StatusConflict, codeRecordTampered, ""},
		{"evidence unusable", fmt.Errorf("%w: tampered", cab.ErrEvidence), http.StatusUnprocessableEntity, codeEvidenceUnusable, ""},
		{"not ready", tr(maturity.ErrNotReady), http.StatusConflict, codeNotReady, ""},
		{"decided", tr(maturity.ErrDecided), http.StatusConflict, codeDecided, ""},
		{"stale", tr(maturity.ErrStale), http.StatusConflict, codeStale, ""},
		{"maturity invalid", second(maturity.Progress(nil, maturity.Evaluation{}, maturity.State{}, seed, " ", time.Time{})), http.StatusUnprocessableEntity, codeValidationFailed, "approver"},
		{"blocked", blockedValidation(t, true), http.StatusUnprocessableEntity, string(security.SBOMMissing), ""},
		{"blocked: no evidence", blockedValidation(t, false), http.StatusNotFound, string(security.EvidenceNotFound), ""},
		{"audit chain broken", &security.ChainError{Seq: 3, Reason: "edited"}, http.StatusConflict, "AUDIT_CHAIN_BROKEN", ""},
		{"timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), http.StatusServiceUnavailable, codeTimeout, ""},
		{"unexpected", errSecret, http.StatusInternalServerError, codeInternal, ""},
		{"a reason on a 5xx stays unsaid", fmt.Errorf("x: %w", store.ErrTxDone), http.StatusInternalServerError, codeInternal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := toProblem(tt.err)
			assert.Equal(t, tt.status, p.Status)
			assert.Equal(t, tt.code, p.Code)
			assert.Equal(t, tt.field, p.Field)
			assert.Equal(t, problemTypeURI(tt.code), p.Type)
			assert.NotEmpty(t, p.Title)
			if tt.status >= 500 {
				assert.NotContains(t, p.Detail, "hunter2")
			} else {
				assert.Equal(t, tt.err.Error(), p.Detail, "a 4xx says what the error says")
			}
		})
	}
}

func TestABlockedDeploymentListsItsChecks(t *testing.T) {
	err := blockedValidation(t, true)
	p := toProblem(err)
	assert.Equal(t, "Deployment blocked", p.Title)
	var ve *security.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, ve.EvidenceID.String(), p.EvidenceID)
	require.Len(t, p.FailedChecks, len(ve.Failed))
	assert.Equal(t, security.SBOMMissing, p.FailedChecks[0].Code)
}

// TestEveryCodeHasOneStatus maps one error of each trustgate code, with
// and without a reason, and checks the table covers every code.
func TestEveryCodeHasOneStatus(t *testing.T) {
	tests := map[trustgate.Code]struct {
		status int
		code   string
	}{
		trustgate.Invalid:   {http.StatusUnprocessableEntity, codeValidationFailed},
		trustgate.NotFound:  {http.StatusNotFound, codeNotFound},
		trustgate.Conflict:  {http.StatusConflict, codeConflict},
		trustgate.Forbidden: {http.StatusForbidden, codeForbidden},
		trustgate.Blocked:   {http.StatusUnprocessableEntity, codeBlocked},
		trustgate.Expired:   {http.StatusConflict, codeExceptionExpired},
		trustgate.Tampered:  {http.StatusConflict, codeTampered},
		trustgate.Canceled:  {http.StatusServiceUnavailable, codeTimeout},
		trustgate.Internal:  {http.StatusInternalServerError, codeInternal},
	}
	assert.Len(t, problemOf, len(tests), "one row per code")
	for c, want := range tests {
		t.Run(string(c), func(t *testing.T) {
			err := fmt.Errorf("outer: %w", &trustgate.Error{Code: c, Field: "f", Message: "inner"})
			p := toProblem(err)
			assert.Equal(t, want.status, p.Status)
			assert.Equal(t, want.code, p.Code)
			assert.Equal(t, "f", p.Field)

			err = fmt.Errorf("outer: %w", &trustgate.Error{Code: c, Reason: "SOME_RULE", Message: "inner"})
			p = toProblem(err)
			assert.Equal(t, want.status, p.Status)
			if want.status < 500 {
				assert.Equal(t, "SOME_RULE", p.Code, "the reason, when set, is the problem's code")
			} else {
				assert.Equal(t, want.code, p.Code, "a 5xx tells no more than its code")
			}
			assert.Empty(t, p.Field)
		})
	}
	p := toProblem(nil)
	assert.Equal(t, http.StatusInternalServerError, p.Status, "no error to report is a 500, not a panic")
	p = toProblem(&trustgate.Error{Code: "unheard_of"})
	assert.Equal(t, http.StatusInternalServerError, p.Status, "a code the server does not know is a 500")
	assert.Equal(t, codeInternal, p.Code)
}

// TestProblemCodesAreTheLibrarysReasons pins the wire codes to the
// library's: the problem code of a coded sentinel is its reason.
func TestProblemCodesAreTheLibrarysReasons(t *testing.T) {
	for code, sentinel := range map[string]*trustgate.Error{
		codeModelNotApproved: riskmodel.ErrNotApproved, codeEvidenceUnusable: cab.ErrEvidence,
		codeNotCABMember: cab.ErrNotMember, codeSeparation: cab.ErrSeparationOfDuties, codeNotPending: cab.ErrNotPending,
		codeDuplicateApproval: cab.ErrDuplicateApproval, codeExpiryOutOfRange: cab.ErrExpiry,
		codeExceptionExpired: cab.ErrExpired, codeDigestMismatch: cab.ErrDigestMismatch, codeNotAuthorized: cab.ErrNotAuthorized,
		codeNotReady: maturity.ErrNotReady, codeDecided: maturity.ErrDecided, codeStale: maturity.ErrStale,
		codeClassBelowClassified: cab.ErrClassBelowClassified, codeScoreSupplied: cab.ErrScoreSupplied,
		codeMemberSignature: cab.ErrMemberSignature, codeUnknownKey: attest.ErrUnknownKey, codeSignatureInvalid: dsse.ErrSignature,
		codeStatementMismatch: attest.ErrStatement, codeEnvelopeMalformed: dsse.ErrMalformed,
		codeModelUnverified: riskmodel.ErrUnverified, codeRecordTampered: attest.ErrTampered,
	} {
		assert.Equal(t, code, sentinel.Reason)
		assert.Equal(t, code, toProblem(sentinel).Code)
	}
}

// blockedValidation is the error a validation over the digests API
// returns: with stored evidence that declares no SBOM (SBOM_MISSING), or
// for evidence that is not stored (EVIDENCE_NOT_FOUND).
func blockedValidation(t *testing.T, stored bool) error {
	t.Helper()
	s := memoryStore(t)
	v, err := security.NewValidator(s, security.Options{})
	require.NoError(t, err)
	art := security.Digest(sha256.Sum256([]byte("artifact")))
	id := uuid.New()
	if stored {
		ev, err := security.NewEvidence(id, "c", []byte(`{"artifacts":[{"name":"a","sha256":"`+art.String()+`"}],"blast_radius_class":"NON_CRITICAL"}`), epoch)
		require.NoError(t, err)
		_, err = s.CreateEvidence(t.Context(), ev, "pipeline")
		require.NoError(t, err)
	}
	_, err = v.ValidateDigests(t.Context(), security.DigestRequest{EvidenceID: id, ArtifactDigest: art, Actor: "api"})
	require.Error(t, err)
	return err
}

// unapprovedActivation is the error a store returns for activating a
// version the CAB has not approved.
// memoryStore returns an empty store in memory.
func memoryStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{})
	require.NoError(t, err)
	return s
}

func unapprovedActivation(t *testing.T) error {
	t.Helper()
	s := memoryStore(t)
	v := riskmodel.Seed(epoch)
	v.Version, v.Approval, v.Active = "2.0", riskmodel.Approval{}, false
	require.NoError(t, s.CreateRiskModel(t.Context(), v, "cab-admin"))
	err := s.ActivateRiskModel(t.Context(), "2.0", "cab-admin")
	require.Error(t, err)
	return err
}

// second returns the error of a call that returns a value and an error.
func second[T any](_ T, err error) error { return err }

func TestContextHandlerKeepsTheCorrelationIDThroughWithAndGroups(t *testing.T) {
	buf := &syncBuffer{}
	log := slog.New(contextHandler{slog.NewJSONHandler(buf, nil)})
	ctx := context.WithValue(context.Background(), infoKey{}, &requestInfo{correlationID: "corr-with"})
	log.With("component", "x").WithGroup("g").InfoContext(ctx, "hello", "k", 1)
	assert.Contains(t, buf.String(), `"correlation_id":"corr-with"`)
	assert.Contains(t, buf.String(), `"component":"x"`)
}

func TestConfiguredClassifier(t *testing.T) {
	e := newTestEnv(t, func(d *deps) {
		c, err := blastradius.NewClassifier(nil, blastradius.Options{Default: blastradius.NonCritical})
		if err != nil {
			t.Fatal(err)
		}
		d.Classifier = c
	})
	r := e.do(call{method: "POST", path: "/api/v1/blast-radius/classify", token: tokSubmitter,
		body: map[string]any{"app_name": "Frobnicator", "privilege": "admin"}})
	got := ok[classificationDTO](t, r, http.StatusOK)
	assert.Equal(t, blastradius.ProductivityTools, got.Class)
	assert.Equal(t, blastradius.FloorPrivileged, got.Floor)
}
