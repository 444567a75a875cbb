package trustgate_test

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// A risk model whose weights do not sum to 1: one call gives the code and
// the field, and the sentinel of the rule still matches with errors.Is.
func ExampleAsError() {
	v := riskmodel.Seed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	v.Weights[riskmodel.SupplyChain] = decimal.RequireFromString("0.30")

	err := v.Validate()
	e := trustgate.AsError(err)
	fmt.Println(e.Code, e.Field)
	fmt.Println(errors.Is(err, riskmodel.ErrWeightsSum))
	fmt.Println(err)

	// A refused workflow step: the code and reason come from the sentinel
	// the *cab.WorkflowError wraps, and the request it names is still there.
	r := cab.Request{ID: uuid.MustParse("0193e4b4-7c00-7000-8000-000000000001"), Submitter: "sam", Status: cab.StatusPendingReview}
	keys, _ := attest.NewKeyring(attest.Config{Service: ed25519.NewKeyFromSeed(make([]byte, 32)).Public(),
		Members: map[string][]crypto.PublicKey{"alice": nil}})
	_, err = cab.Approve(r, keys, cab.Approval{By: "mallory"}, time.Now())
	e = trustgate.AsError(err)
	var we *cab.WorkflowError
	fmt.Println(e.Code, e.Reason, errors.Is(err, cab.ErrNotMember), errors.As(err, &we) && we.RequestID == r.ID)
	// Output:
	// invalid weights
	// true
	// riskmodel: weights: weights sum to 1.15, not exactly 1
	// forbidden NOT_CAB_MEMBER true true
}

// The same with errors.As: the *trustgate.Error in the chain, and the
// domain detail beneath it.
func ExampleError() {
	_, err := blastradius.Parse("MISSION_CRITICAL")

	var e *trustgate.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Field)
	}
	var ce *blastradius.ClassError
	if errors.As(err, &ce) {
		fmt.Println(ce.Value)
	}
	// Output:
	// invalid class
	// MISSION_CRITICAL
}
