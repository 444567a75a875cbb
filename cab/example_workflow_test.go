package cab_test

import (
	"context"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func ExampleWorkflow_Submit() {
	ctx := context.Background()
	s, _ := store.New(memstore.New(memstore.Options{}), store.Options{})
	_ = store.Seed(ctx, s, time.Now()) // model 1.1: every threshold 0
	ev, _ := security.NewEvidence(uuid.New(), "build-sap-8.0",
		[]byte(`{"artifacts":[{"name":"sapgui.msi","sha256":"`+hexSHA(artifactBytes)+`"}]}`), time.Now())
	ev, _ = s.CreateEvidence(ctx, ev, "pipeline")

	w, _ := cab.NewWorkflow(s, cab.Options{Members: cab.Members{"alice": true, "bob": true}})
	score := decimal.NewFromInt(42)
	req, _ := w.Submit(ctx, cab.Submission{
		EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-1001",
		Application: "SAP GUI", Score: &score, Class: blastradius.BusinessCritical, Submitter: "sam",
	})
	fmt.Println(req.Decision.Outcome, req.Decision.Reason.Code, "quorum", req.Decision.Quorum)

	_, err := w.Approve(ctx, req.ID, "sam", "")
	fmt.Println(err != nil) // the submitter is not a member, and could not approve their own request
	_, _ = w.Approve(ctx, req.ID, "alice", "")
	req, _ = w.Approve(ctx, req.ID, "bob", "")
	fmt.Println(req.Status)
	_, err = w.Authorize(ctx, req.ID, req.ArtifactDigest)
	fmt.Println("authorised:", err == nil)
	// Output:
	// manual_review AUTO_APPROVAL_NOT_EARNED quorum 2
	// true
	// approved
	// authorised: true
}
