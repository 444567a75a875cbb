package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/google/uuid"
)

func Example() {
	// The service key signs receipts and the audit log's checkpoints.
	serviceKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	keys, _ := attest.NewKeyring(attest.Config{Service: serviceKey.Public()})
	svc, _ := attest.NewService(serviceKey, keys)
	const origin = "example.com/trustgate/log"
	logSigner, _ := auditlog.NewSigner(origin, serviceKey)

	// A validation failed, and the validator recorded it as the log's
	// first event.
	evidence := uuid.MustParse("0190f5a4-7c1e-7000-8000-000000000001")
	rep := security.Report{EvidenceID: evidence, ArtifactName: "sapgui.msi",
		ArtifactDigest: sha256.Sum256([]byte("sapgui-8.0.msi")), AuditSeq: 1, Checks: []security.Check{
			{Gate: security.GateEvidence, Passed: true},
			{Gate: security.GateArtifact, Code: security.ArtifactHashMismatch},
			{Gate: security.GateBlastRadius, Code: security.BlastRadiusMissing},
		}}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	event, _ := security.NewEvent(security.Head{}, security.EventInput{Type: security.EventValidationFailed,
		Actor: "pipeline", Subject: "evidence:" + evidence.String()}, uuid.NewSHA1(uuid.NameSpaceOID, []byte("1")), at)

	// The log's tree and checkpoint, and the event's inclusion proof (a
	// tree of one leaf: the audit path is empty), as a store gives them.
	leaf, _ := event.Canonical()
	var tree auditlog.Tree
	_, _ = tree.Append(leaf)
	root, _ := tree.Root()
	checkpoint, _ := auditlog.Sign(auditlog.Checkpoint{Origin: origin, Size: tree.Size(), Hash: root}, logSigner)
	proof := auditlog.InclusionProof{Index: event.Seq - 1, Checkpoint: checkpoint, Extra: leaf}

	// The receipt, under the active risk model.
	model := riskmodel.Seed(at)
	policy, _ := receipt.ModelPolicy(&model)
	env, _ := receipt.Validation(svc, rep, policy, event, receipt.Options{})
	b, _ := json.Marshal(receipt.Receipt{Envelope: env, Proof: proof})

	// Whoever holds it checks it with the service key and the log's
	// verifier key, and no database.
	verifier, _ := auditlog.NewVerifier(logSigner.VerifierKey())
	r, _ := receipt.ParseReceipt(b)
	s, err := receipt.Verify(r, keys, auditlog.Trust{Origin: origin, Log: verifier})
	fmt.Println(err)
	fmt.Println(s.Result, s.Name, s.ResourceURI)
	fmt.Println(s.Levels)
	fmt.Println(s.Policy.URI, "event", s.EventSeq, s.EventType, s.TimeVerified.Format(time.RFC3339))
	// Output:
	// <nil>
	// FAILED sapgui.msi trustgate:evidence/0190f5a4-7c1e-7000-8000-000000000001
	// [FAILED TRUSTGATE_REASON_ARTIFACT_HASH_MISMATCH TRUSTGATE_REASON_BLAST_RADIUS_MISSING]
	// trustgate:riskmodel/1.1 event 1 validation.failed 2026-03-02T09:00:00Z
}
