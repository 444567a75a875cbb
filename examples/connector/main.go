// Command connector shows how an Intune or Jamf connector calls trustgate
// in-process, right before it pushes a package to devices: stream the file
// from disk through the validator, ask the CAB workflow whether this exact
// build may go out now, push, and record the deployment so maturity can
// count it. Then it shows how each failure reads.
//
//	go run ./examples/connector
//
// It creates its own package file, evidence and CAB request in a temporary
// SQLite database, and an ephemeral service key, so it runs anywhere. In a
// real connector the store is the one the governance service uses
// (PostgreSQL for a fleet of connectors), the keys are the service's (the
// service key through a crypto.Signer, perhaps in a KMS; the keyring from
// its configuration), and push is the call to Graph or the Jamf Pro API.
package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "connector:", err)
		os.Exit(1)
	}
}

// connector is what a connector holds: the validator and the workflow.
type connector struct {
	validator *security.Validator
	workflow  *cab.Workflow
	out       io.Writer
}

// push validates the package file in-process, checks authorisation for this
// build, "pushes" it and records the deployment. Any failure stops it before
// the push.
func (c *connector) push(ctx context.Context, requestID, evidenceID uuid.UUID, pkgPath string) error {
	f, err := os.Open(pkgPath)
	if err != nil {
		return err
	}
	defer f.Close()
	// The file is streamed through SHA-256 in constant memory, whatever its
	// size; the validator appends a pass or fail to the audit log.
	rep, err := c.validator.ValidateDeployment(ctx, security.Request{
		EvidenceID: evidenceID, Artifact: f, Actor: "intune-connector", CorrelationID: "push-" + requestID.String()[:8],
	})
	if err != nil {
		return err
	}
	// Authorisation is checked for the digest just computed: a request
	// approved for another build, or an exception that expired, stops here.
	if _, err := c.workflow.Authorize(ctx, requestID, rep.ArtifactDigest); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "  push %s (%s…) to the device group\n", filepath.Base(pkgPath), rep.ArtifactDigest.String()[:12])
	_, err = c.workflow.RecordDeployment(ctx, requestID, rep.ArtifactDigest, time.Now())
	return err
}

// explain prints how a failure reads, using only errors.As / errors.Is.
func explain(out io.Writer, err error) {
	var blocked *security.ValidationError
	var refused *cab.WorkflowError
	switch {
	case err == nil:
		fmt.Fprintln(out, "  deployed and recorded")
	case errors.As(err, &blocked):
		fmt.Fprintf(out, "  BLOCKED %s (evidence %s…)\n", blocked.Code, blocked.EvidenceID.String()[:8])
		for _, c := range blocked.Failed {
			if c.Code != "" {
				fmt.Fprintf(out, "    %-16s %s\n", c.Gate, c.Detail)
			}
		}
	case errors.As(err, &refused):
		fmt.Fprintf(out, "  NOT AUTHORISED: %v\n", refused)
	default:
		fmt.Fprintf(out, "  error: %v\n", err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "trustgate-connector-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The keys are configuration, held outside the database: here an
	// ephemeral service key and a CAB of two.
	_, serviceKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	keys, err := attest.NewKeyring(attest.Config{Service: serviceKey.Public(),
		Members: map[string][]crypto.PublicKey{"alice": nil, "bob": nil}})
	if err != nil {
		return err
	}
	svc, err := attest.NewService(serviceKey, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "service key: ephemeral Ed25519 %s…, approvals %s\n", keys.ServiceKeyID()[:12], keys.Mode())
	db, err := sqlite.Open(ctx, filepath.Join(dir, "trustgate.db"), sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	st, err := store.New(db, store.Options{Service: svc})
	if err != nil {
		_ = db.Close()
		return err
	}
	defer st.Close()
	if err := store.Seed(ctx, st, svc, time.Now()); err != nil {
		return err
	}

	// The packaging pipeline's side: a package file and its evidence.
	pkg := filepath.Join(dir, "zoom-6.3.msi")
	if err := os.WriteFile(pkg, makePackage(8<<20), 0o600); err != nil {
		return err
	}
	digest, err := fileSHA256(pkg)
	if err != nil {
		return err
	}
	ev, err := security.NewEvidence(uuid.New(), "build-zoom-6.3", []byte(fmt.Sprintf(
		`{"artifacts":[{"name":"zoom-6.3.msi","sha256":%q}],"blast_radius_class":"PRODUCTIVITY_TOOLS"}`, digest)), time.Now())
	if err != nil {
		return err
	}
	// The service key signs the package's content hash at upload.
	if err := ev.Attest(svc, dsse.Envelope{}); err != nil {
		return err
	}
	if ev, err = st.CreateEvidence(ctx, ev, "packaging-pipeline"); err != nil {
		return err
	}

	// The CAB's side: a request approved by one member (the class quorum).
	// The submission gives facts (trustgate classifies them) and factor
	// values (the active model scores them).
	workflow, err := cab.NewWorkflow(st, cab.Options{Service: svc})
	if err != nil {
		return err
	}
	submission := func(correlationID string) cab.Submission {
		factors := map[riskmodel.Factor]decimal.Decimal{}
		for f := range riskmodel.DefaultWeights() {
			factors[f] = decimal.NewFromInt(24)
		}
		return cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: correlationID,
			Classify: &blastradius.Input{AppName: "Zoom Workplace", Publisher: "Zoom", TargetUsers: 4000}, Factors: factors, Submitter: "sam"}
	}
	req, err := workflow.Submit(ctx, submission("chg-zoom-6.3"))
	if err != nil {
		return err
	}
	if req, err = workflow.Approve(ctx, req.ID, "alice", "standard change"); err != nil {
		return err
	}

	// SBOMs are optional for this fleet; a real one should keep the
	// default. With the keyring the validator also checks each package
	// against what the service key signed.
	validator, err := security.NewValidator(st, security.Options{Policy: security.Policy{SBOMOptional: true}, Keys: keys})
	if err != nil {
		return err
	}
	c := &connector{validator: validator, workflow: workflow, out: out}

	fmt.Fprintf(out, "1. the approved build, streamed from %s\n", filepath.Base(pkg))
	explain(out, c.push(ctx, req.ID, ev.ID, pkg))

	fmt.Fprintln(out, "2. the same file name, but the bytes were swapped on the distribution share")
	swapped := filepath.Join(dir, "swapped", "zoom-6.3.msi")
	if err := os.MkdirAll(filepath.Dir(swapped), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(swapped, append(makePackage(8<<20), "payload"...), 0o600); err != nil {
		return err
	}
	explain(out, c.push(ctx, req.ID, ev.ID, swapped))

	fmt.Fprintln(out, "3. evidence that was never uploaded")
	explain(out, c.push(ctx, req.ID, uuid.New(), pkg))

	fmt.Fprintln(out, "4. a request still waiting for the CAB")
	pending, err := workflow.Submit(ctx, submission("chg-zoom-6.3-rollout-2"))
	if err != nil {
		return err
	}
	explain(out, c.push(ctx, pending.ID, ev.ID, pkg))

	head, err := security.VerifyChain(ctx, st, security.VerifyOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "audit chain verified: %d events (every validation, pass or fail, is one)\n", head.Size)
	// One call checks the log and every record that can authorise or cap
	// against what was signed.
	if err := st.Verify(ctx, keys, store.VerifyOptions{}); err != nil {
		return err
	}
	fmt.Fprintln(out, "governance records verified against their signatures")
	return nil
}

// makePackage returns n bytes standing in for an installer.
func makePackage(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 31 >> 3)
	}
	return b
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
