// Package receipttest builds the fixtures of the receipt tests without a
// database: a service keyring of development keys, an in-memory audit log
// with its Merkle tree, signed checkpoints and inclusion proofs, CAB
// requests in every state built with the cab package's pure rules, and
// validation reports. It is for tests only.
package receipttest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"golang.org/x/mod/sumdb/tlog"
)

// Origin names the test log; OtherOrigin another log.
const (
	Origin      = "example.com/trustgate/log"
	OtherOrigin = "example.com/other/log"
)

// Epoch is when the test logs start; event n occurs n minutes later.
var Epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Team is the CAB of the tests; Submitter submits and is not a member.
var Team = []string{"alice", "bob", "carol", "dave", "erin"}

// Submitter submits the test requests.
const Submitter = "sam"

// Service returns the development service key over a service-attested
// keyring of Team.
func Service(t testing.TB) *attest.Service {
	t.Helper()
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, Team...))
	if err != nil {
		t.Fatalf("testkeys.Service: %v", err)
	}
	return svc
}

// Log is an in-memory audit log: its events, the stored hashes of its
// tree (built with auditlog.Tree) and the key that signs its checkpoints.
type Log struct {
	// Trust is the trust policy that names the log.
	Trust  auditlog.Trust
	signer *auditlog.Signer
	tree   auditlog.Tree
	head   security.Head
	events []security.Event
	hashes hashSlice
}

// NewLog returns an empty log named origin, signed with the development
// key named keyName.
func NewLog(t testing.TB, origin, keyName string) *Log {
	t.Helper()
	s, err := auditlog.NewSigner(origin, testkeys.Key(keyName))
	if err != nil {
		t.Fatalf("auditlog.NewSigner: %v", err)
	}
	v, err := auditlog.NewVerifier(s.VerifierKey())
	if err != nil {
		t.Fatalf("auditlog.NewVerifier: %v", err)
	}
	return &Log{signer: s, Trust: auditlog.Trust{Origin: origin, Log: v}}
}

// Append appends the event in, at Epoch plus a minute per event, and
// returns it.
func (l *Log) Append(t testing.TB, in security.EventInput) security.Event {
	t.Helper()
	return l.AppendAt(t, in, Epoch.Add(time.Duration(l.head.Size+1)*time.Minute))
}

// AppendAt appends the event in at the time at, with an id derived from
// its sequence number, and returns it.
func (l *Log) AppendAt(t testing.TB, in security.EventInput, at time.Time) security.Event {
	t.Helper()
	seq := l.head.Size + 1
	id := uuid.NewSHA1(uuid.NameSpaceOID, binary.BigEndian.AppendUint64(nil, uint64(seq)))
	e, err := security.NewEvent(l.head, in, id, at)
	if err != nil {
		t.Fatalf("security.NewEvent(%+v): %v", in, err)
	}
	return l.AppendEvent(t, e)
}

// AppendEvent appends e as it is, whatever its sequence number: how a
// test builds a log that is not what its events say.
func (l *Log) AppendEvent(t testing.TB, e security.Event) security.Event {
	t.Helper()
	leaf, err := e.Canonical()
	if err != nil {
		t.Fatalf("Canonical: %v", err)
	}
	hs, err := l.tree.Append(leaf)
	if err != nil {
		t.Fatalf("Tree.Append: %v", err)
	}
	l.hashes = append(l.hashes, hs...)
	l.head = security.Head{Size: l.head.Size + 1, Hash: e.Hash}
	l.events = append(l.events, e)
	return e
}

// Head returns the log's checkpoint now, unsigned.
func (l *Log) Head(t testing.TB) auditlog.Checkpoint {
	t.Helper()
	root, err := l.tree.Root()
	if err != nil {
		t.Fatalf("Tree.Root: %v", err)
	}
	return auditlog.Checkpoint{Origin: l.signer.Name(), Size: l.tree.Size(), Hash: root}
}

// Checkpoint returns the log's checkpoint now, signed.
func (l *Log) Checkpoint(t testing.TB) []byte {
	t.Helper()
	return l.Sign(t, l.Head(t))
}

// Sign signs c with the log's key, whatever it says.
func (l *Log) Sign(t testing.TB, c auditlog.Checkpoint) []byte {
	t.Helper()
	note, err := auditlog.Sign(c, l.signer)
	if err != nil {
		t.Fatalf("auditlog.Sign: %v", err)
	}
	return note
}

// Prove returns the inclusion proof of event seq in the log's tree now,
// carrying the event's canonical bytes, as a store's ProveEvent does.
func (l *Log) Prove(t testing.TB, seq int64) auditlog.InclusionProof {
	t.Helper()
	size := l.tree.Size()
	hashes, err := auditlog.ProveInclusion(l.hashes, size, seq-1)
	if err != nil {
		t.Fatalf("ProveInclusion(%d of %d): %v", seq, size, err)
	}
	leaf, err := l.events[seq-1].Canonical()
	if err != nil {
		t.Fatalf("Canonical: %v", err)
	}
	return auditlog.InclusionProof{Index: seq - 1, Hashes: hashes, Checkpoint: l.Checkpoint(t), Extra: leaf}
}

// Fill appends n unrelated events, so that proofs have paths to check.
func (l *Log) Fill(t testing.TB, n int) {
	t.Helper()
	for i := range n {
		l.Append(t, security.EventInput{Type: "test.filler", Actor: "test", Subject: fmt.Sprintf("filler:%d", i)})
	}
}

// hashSlice is a tlog.HashReader over every stored hash of a tree.
type hashSlice []tlog.Hash

func (s hashSlice) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s)) {
			return nil, fmt.Errorf("hash %d not stored (%d stored)", x, len(s))
		}
		out[i] = s[x]
	}
	return out, nil
}

// Model returns the test risk model 2.0: thresholds 30 (business
// critical), 50 (productivity tools) and 60 (non-critical), exception
// threshold 80.
func Model() *riskmodel.Version {
	m := riskmodel.Seed(Epoch)
	m.Version = "2.0"
	m.Thresholds[blastradius.BusinessCritical] = decimal.NewFromInt(30)
	m.Thresholds[blastradius.ProductivityTools] = decimal.NewFromInt(50)
	m.Thresholds[blastradius.NonCritical] = decimal.NewFromInt(60)
	return &m
}

// ArtifactDigest is the digest of the artifact every fixture is about.
var ArtifactDigest = security.Digest(sha256.Sum256([]byte("sapgui-8.0.msi")))

// Request returns a request for a deployment of class with the score,
// decided under [Model] (its content hash in the decision) and signed by
// svc, as cab.Workflow.Submit makes one.
func Request(t testing.TB, svc *attest.Service, score int64, class blastradius.Class) cab.Request {
	t.Helper()
	m := Model()
	dec, err := cab.Decide(decimal.NewFromInt(score), class, m)
	if err != nil {
		t.Fatalf("cab.Decide: %v", err)
	}
	if dec.ModelHash, err = m.ContentHash(); err != nil {
		t.Fatalf("ContentHash: %v", err)
	}
	id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "request %d %s", score, class))
	r := cab.Request{
		ID: id, CorrelationID: "chg-" + id.String()[:8], EvidenceID: uuid.NewSHA1(uuid.NameSpaceOID, id[:]),
		DeploymentIntentID: uuid.NewSHA1(uuid.NameSpaceURL, id[:]), Application: "SAP GUI", Submitter: Submitter,
		ArtifactDigest: ArtifactDigest, Decision: dec, Status: cab.StatusFor(dec), CreatedAt: Epoch, UpdatedAt: Epoch,
	}
	payload, err := r.DecisionPayload()
	if err != nil {
		t.Fatalf("DecisionPayload: %v", err)
	}
	if r.Attestation, err = svc.Seal(payload); err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return r
}

// Approve records member's service-attested approval of r at now.
func Approve(t testing.TB, svc *attest.Service, r cab.Request, member string, now time.Time) cab.Request {
	t.Helper()
	a, err := cab.Attest(svc, &r, cab.KindApproval, member, "")
	if err != nil {
		t.Fatalf("cab.Attest: %v", err)
	}
	next, err := cab.Approve(r, svc.Keys(), a, now)
	if err != nil {
		t.Fatalf("cab.Approve(%s): %v", member, err)
	}
	return next
}

// Reject records member's service-signed rejection of r at now.
func Reject(t testing.TB, svc *attest.Service, r cab.Request, member, reason string, now time.Time) cab.Request {
	t.Helper()
	a, err := cab.Attest(svc, &r, cab.KindRejection, member, reason)
	if err != nil {
		t.Fatalf("cab.Attest: %v", err)
	}
	next, err := cab.Reject(r, svc.Keys(), cab.Rejection{By: a.By, Reason: reason, Envelope: a.Envelope}, now)
	if err != nil {
		t.Fatalf("cab.Reject: %v", err)
	}
	return next
}

// Exception asks, as requester, for an exception of r expiring at
// expires, signed by svc, and has each of approvers approve it, all at
// now.
func Exception(t testing.TB, svc *attest.Service, r cab.Request, requester string, expires, now time.Time, approvers ...string) cab.Request {
	t.Helper()
	x, err := cab.NewException(r, requester, "quarter-end freeze fix", expires, now)
	if err != nil {
		t.Fatalf("cab.NewException: %v", err)
	}
	payload, err := r.ExceptionPayload(x)
	if err != nil {
		t.Fatalf("ExceptionPayload: %v", err)
	}
	if x.Attestation, err = svc.Seal(payload); err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if r, err = cab.RequestException(r, svc.Keys(), x, now); err != nil {
		t.Fatalf("cab.RequestException: %v", err)
	}
	for _, m := range approvers {
		a, err := cab.Attest(svc, &r, cab.KindExceptionApproval, m, "")
		if err != nil {
			t.Fatalf("cab.Attest: %v", err)
		}
		if r, err = cab.ApproveException(r, svc.Keys(), a, now); err != nil {
			t.Fatalf("cab.ApproveException(%s): %v", m, err)
		}
	}
	return r
}

// StepEvent is the audit event the workflow appends for a step of type
// typ on r by actor: r's id and the status the step left it in.
func StepEvent(r cab.Request, typ security.EventType, actor string) security.EventInput {
	data, _ := json.Marshal(map[string]string{"request_id": r.ID.String(), "status": string(r.Status)}) // strings: cannot fail
	return security.EventInput{Type: typ, Actor: actor, Subject: "cab-request:" + r.ID.String(),
		CorrelationID: r.CorrelationID, Data: data}
}

// EvidenceID is the evidence package the test reports validate.
var EvidenceID = uuid.MustParse("0190f5a4-7c1e-7000-8000-000000000001")

// PassedReport is a validation whose every gate passed.
func PassedReport() security.Report {
	return security.Report{EvidenceID: EvidenceID, CorrelationID: "chg-1001", ArtifactName: "sapgui.msi",
		ArtifactDigest: ArtifactDigest, Checks: []security.Check{
			{Gate: security.GateEvidence, Passed: true}, {Gate: security.GateArtifact, Passed: true},
			{Gate: security.GateSBOM, Passed: true}, {Gate: security.GateSBOMSignature, Passed: true},
			{Gate: security.GateBlastRadius, Passed: true},
		}}
}

// FailedReport is a validation whose artifact hash and SBOM failed and
// whose signature gate was skipped.
func FailedReport() security.Report {
	return security.Report{EvidenceID: EvidenceID, CorrelationID: "chg-1001", ArtifactName: "sapgui.msi",
		ArtifactDigest: ArtifactDigest, Checks: []security.Check{
			{Gate: security.GateEvidence, Passed: true},
			{Gate: security.GateArtifact, Code: security.ArtifactHashMismatch},
			{Gate: security.GateSBOM, Code: security.SBOMHashMismatch},
			{Gate: security.GateSBOMSignature, Skipped: true},
			{Gate: security.GateBlastRadius, Passed: true},
		}}
}

// ValidationEvent is the audit event the validator appends for rep.
func ValidationEvent(rep security.Report) security.EventInput {
	typ := security.EventValidationPassed
	if !rep.Passed() {
		typ = security.EventValidationFailed
	}
	data, _ := json.Marshal(map[string]any{"evidence_id": rep.EvidenceID.String(), "artifact": rep.ArtifactName}) // cannot fail
	return security.EventInput{Type: typ, Actor: "pipeline", Subject: "evidence:" + rep.EvidenceID.String(),
		CorrelationID: rep.CorrelationID, Data: data}
}
