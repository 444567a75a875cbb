package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// TestErrorMapping checks the mapping of every library error the server
// can meet, wrapped as the library wraps them.
func TestErrorMapping(t *testing.T) {
	wf := func(sentinel error) error {
		return fmt.Errorf("handler: %w", &cab.WorkflowError{RequestID: uuid.New(), Reason: "r", Err: sentinel})
	}
	tr := func(sentinel error) error {
		return &maturity.TransitionError{EvaluationID: "e", Reason: "r", Err: sentinel}
	}
	seed := riskmodel.Seed(epoch)
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
		{"store invalid", fmt.Errorf("x: %w", store.ErrInvalid), http.StatusUnprocessableEntity, codeValidationFailed, ""},
		{"riskmodel field", badWeights(), http.StatusUnprocessableEntity, codeValidationFailed, "weights"},
		{"not approved", fmt.Errorf("x: %w", riskmodel.ErrNotApproved), http.StatusConflict, codeModelNotApproved, ""},
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
		{"workflow input", second(cab.Approve(cab.Request{}, nil, "", "", time.Time{})), http.StatusUnprocessableEntity, codeValidationFailed, "approver"},
		{"evidence unusable", fmt.Errorf("%w: tampered", cab.ErrEvidence), http.StatusUnprocessableEntity, codeEvidenceUnusable, ""},
		{"not ready", tr(maturity.ErrNotReady), http.StatusConflict, codeNotReady, ""},
		{"decided", tr(maturity.ErrDecided), http.StatusConflict, codeDecided, ""},
		{"stale", tr(maturity.ErrStale), http.StatusConflict, codeStale, ""},
		{"maturity invalid", second(maturity.Progress(nil, maturity.Evaluation{}, maturity.State{}, seed, " ", time.Time{})), http.StatusUnprocessableEntity, codeValidationFailed, "approver"},
		{"blocked", &security.ValidationError{Code: security.SBOMMissing}, http.StatusUnprocessableEntity, string(security.SBOMMissing), ""},
		{"blocked: no evidence", &security.ValidationError{Code: security.EvidenceNotFound}, http.StatusNotFound, string(security.EvidenceNotFound), ""},
		{"timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), http.StatusServiceUnavailable, codeTimeout, ""},
		{"unexpected", errSecret, http.StatusInternalServerError, codeInternal, ""},
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
			}
		})
	}
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
