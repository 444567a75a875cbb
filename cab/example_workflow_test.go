package cab_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// factorsAt returns every default factor at value.
func factorsAt(value int64) map[riskmodel.Factor]decimal.Decimal {
	out := map[riskmodel.Factor]decimal.Decimal{}
	for f := range riskmodel.DefaultWeights() {
		out[f] = decimal.NewFromInt(value)
	}
	return out
}

func ExampleWorkflow_Submit() {
	ctx := context.Background()
	// The service key and the CAB are configuration, held outside the
	// database. In service-attested mode (the default) the service key
	// countersigns the approval of each member the caller authenticated.
	servicePub, serviceKey, _ := ed25519.GenerateKey(nil)
	keys, _ := attest.NewKeyring(attest.Config{Service: servicePub,
		Members: map[string][]crypto.PublicKey{"alice": nil, "bob": nil}})
	svc, _ := attest.NewService(serviceKey, keys)

	s, _ := store.New(memstore.New(memstore.Options{}), store.Options{})
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	_ = store.Seed(ctx, s, svc, now) // model 1.1: every threshold 0
	ev, _ := security.NewEvidence(uuid.New(), "build-sap-8.0",
		[]byte(`{"artifacts":[{"name":"sapgui.msi","sha256":"`+hexSHA(artifactBytes)+`"}]}`), now)
	_ = ev.Attest(svc, dsse.Envelope{}) // the service key signs the package at upload
	ev, _ = s.CreateEvidence(ctx, ev, "pipeline")

	w, _ := cab.NewWorkflow(s, cab.Options{Service: svc})
	// The submission gives facts: trustgate classifies them and scores the
	// factor values with the active model.
	req, _ := w.Submit(ctx, cab.Submission{
		EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-1001",
		Classify: &blastradius.Input{AppName: "SAP GUI", TargetUsers: 800},
		Factors:  factorsAt(42), Submitter: "sam",
	})
	fmt.Println(req.Decision.Class, req.Decision.Score, req.Decision.Outcome, req.Decision.Reason.Code, "quorum", req.Decision.Quorum)

	_, err := w.Approve(ctx, req.ID, "sam", "")
	fmt.Println(errors.Is(err, cab.ErrNotMember)) // and could not approve their own request
	_, _ = w.Approve(ctx, req.ID, "alice", "")
	req, _ = w.Approve(ctx, req.ID, "bob", "")
	fmt.Println(req.Status)
	auth, err := w.Authorize(ctx, req.ID, req.ArtifactDigest)
	fmt.Println("authorised:", err == nil, auth.Approvals, "of", auth.Quorum, "verified approvals")
	// Output:
	// BUSINESS_CRITICAL 42 manual_review AUTO_APPROVAL_NOT_EARNED quorum 2
	// true
	// approved
	// authorised: true 2 of 2 verified approvals
}

func ExampleWorkflow_ApproveSigned() {
	ctx := context.Background()
	// In member-signed mode each CAB member signs with a key of their own;
	// the server holds only the public halves.
	servicePub, serviceKey, _ := ed25519.GenerateKey(nil)
	alicePub, aliceKey, _ := ed25519.GenerateKey(nil)
	keys, _ := attest.NewKeyring(attest.Config{Service: servicePub, Mode: attest.MemberSigned,
		Members: map[string][]crypto.PublicKey{"alice": {alicePub}}})
	svc, _ := attest.NewService(serviceKey, keys)

	s, _ := store.New(memstore.New(memstore.Options{}), store.Options{})
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	_ = store.Seed(ctx, s, svc, now)
	ev, _ := security.NewEvidence(uuid.New(), "build-zoom-6.1",
		[]byte(`{"artifacts":[{"name":"zoom.msi","sha256":"`+hexSHA(artifactBytes)+`"}]}`), now)
	_ = ev.Attest(svc, dsse.Envelope{})
	ev, _ = s.CreateEvidence(ctx, ev, "pipeline")
	w, _ := cab.NewWorkflow(s, cab.Options{Service: svc})
	req, _ := w.Submit(ctx, cab.Submission{
		EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-1002",
		Classify: &blastradius.Input{AppName: "Zoom Workplace", TargetUsers: 4000},
		Factors:  factorsAt(12), Submitter: "sam",
	})
	fmt.Println(req.Decision.Class, req.Decision.Outcome, "quorum", req.Decision.Quorum)

	_, err := w.Approve(ctx, req.ID, "alice", "")
	fmt.Println(errors.Is(err, cab.ErrMemberSignature)) // the service key approves for no one

	// What alice signs, on her own machine.
	statement, _ := req.ApprovalPayload(cab.KindApproval, "alice", "change window agreed")
	signer, _ := dsse.NewSigner(aliceKey)
	env, _ := dsse.Seal(attest.PayloadType, statement, signer)

	req, err = w.ApproveSigned(ctx, req.ID, env)
	fmt.Println(req.Status, err)
	_, err = w.Authorize(ctx, req.ID, req.ArtifactDigest)
	fmt.Println("authorised:", err == nil)
	// Output:
	// PRODUCTIVITY_TOOLS manual_review quorum 1
	// true
	// approved <nil>
	// authorised: true
}
