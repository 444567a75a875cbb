package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// walk holds the library's services over one store, and the keys.
type walk struct {
	s          *store.Store
	clock      *fleetClock
	out        io.Writer
	svc        *attest.Service
	log        *auditlog.Signer        // signs the audit log's checkpoints
	members    map[string]*dsse.Signer // each CAB member's own key
	cab        *cab.Workflow
	engine     *maturity.Engine
	validator  *security.Validator
	classifier *blastradius.Classifier

	// raw is a connection to the database outside the store, and
	// placeholder its parameter marker: what someone with write access to
	// the database holds.
	raw         *sql.DB
	placeholder string

	lastValidation int64 // the audit event of the last validation that passed

	// receiptDir is where -receipts writes them, empty for none; pending
	// holds those made so far (receipts.go).
	receiptDir string
	pending    []pendingReceipt
}

// cabMembers are the change advisory board.
var cabMembers = []string{"alice", "bob", "carol"}

// fleetKeys are the walk's keys: the service and each member's signer.
type fleetKeys struct {
	svc     *attest.Service
	log     *auditlog.Signer // the service key again, signing the audit log's checkpoints
	members map[string]*dsse.Signer
}

// newKeys makes the keys, held in memory and never in the database: an
// ephemeral service key and one key per CAB member, in member-signed
// mode (an approval counts only with the member's own signature).
func newKeys() (fleetKeys, error) {
	w := fleetKeys{members: map[string]*dsse.Signer{}}
	_, serviceKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return w, err
	}
	c := attest.Config{Service: serviceKey.Public(), Members: map[string][]crypto.PublicKey{}, Mode: attest.MemberSigned}
	for _, m := range cabMembers {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return w, err
		}
		if w.members[m], err = dsse.NewSigner(k); err != nil {
			return w, err
		}
		c.Members[m] = []crypto.PublicKey{k.Public()}
	}
	keys, err := attest.NewKeyring(c)
	if err != nil {
		return w, err
	}
	if w.svc, err = attest.NewService(serviceKey, keys); err != nil {
		return w, err
	}
	w.log, err = auditlog.NewSigner(logOrigin, serviceKey)
	return w, err
}

// logOrigin names the quickstart's audit log in its checkpoints.
const logOrigin = "quickstart.trustgate.example/audit"

func newWalk(s *store.Store, clock *fleetClock, out io.Writer, keys fleetKeys) *walk {
	return &walk{s: s, clock: clock, out: out, svc: keys.svc, log: keys.log, members: keys.members}
}

// sign is member signing payload, a statement, with their own key: in a
// real installation, in their terminal (go run ./examples/sign).
func (w *walk) sign(member string, payload []byte) (dsse.Envelope, error) {
	return dsse.Seal(attest.PayloadType, payload, w.members[member])
}

// approve is member's signed approval of request id (kind approval or
// exception_approval).
func (w *walk) approve(ctx context.Context, id uuid.UUID, kind cab.ApprovalKind, member string) (cab.Request, error) {
	r, err := w.s.Request(ctx, id)
	if err != nil {
		return r, err
	}
	payload, err := r.ApprovalPayload(kind, member, "")
	if err != nil {
		return r, err
	}
	env, err := w.sign(member, payload)
	if err != nil {
		return r, err
	}
	if kind == cab.KindExceptionApproval {
		return w.cab.ApproveExceptionSigned(ctx, id, env)
	}
	return w.cab.ApproveSigned(ctx, id, env)
}

func (w *walk) printf(format string, args ...any) { fmt.Fprintf(w.out, format, args...) }

func (w *walk) run(ctx context.Context) error {
	if head, err := w.s.AuditHead(ctx); err != nil {
		return err
	} else if head.Size > 0 {
		return errors.New("the database already holds data: run the walk-through on a new -db file or an empty PostgreSQL database")
	}
	var err error
	keys := w.svc.Keys()
	if w.cab, err = cab.NewWorkflow(w.s, cab.Options{Service: w.svc, Now: w.clock.Now}); err != nil {
		return err
	}
	if w.engine, err = maturity.NewEngine(w.s, maturity.Options{Service: w.svc, Now: w.clock.Now}); err != nil {
		return err
	}
	if w.validator, err = security.NewValidator(w.s, security.Options{Keys: keys}); err != nil {
		return err
	}
	if w.classifier, err = blastradius.NewClassifier(blastradius.DefaultRules(), blastradius.Options{}); err != nil {
		return err
	}
	w.printf("keys: made an ephemeral Ed25519 service key (%s…) and a key for each CAB member (%s), held in memory, never in the database; approvals are %s\n",
		keys.ServiceKeyID()[:12], strings.Join(keys.Members(), ", "), keys.Mode())

	if err := store.Seed(ctx, w.s, w.svc, w.clock.Now()); err != nil {
		return err
	}
	m, err := w.s.ActiveRiskModel(ctx)
	if err != nil {
		return err
	}
	w.printf("seeded: risk model %s (%s), every auto-approve threshold 0, trust maturity level 0\n\n", m.Version, m.Mode)

	if err := w.history(ctx); err != nil {
		return err
	}
	if err := w.earnLevelOne(ctx); err != nil {
		return err
	}
	w.printf("\n== the week of %s ==\n", w.clock.Now().Format("2 January 2006"))
	for _, d := range week() {
		if err := w.deploy(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", d.app, err)
		}
		w.clock.advance(7 * time.Hour)
	}
	if err := w.incident(ctx); err != nil {
		return err
	}
	if err := w.reevaluate(ctx); err != nil {
		return err
	}
	return w.verify(ctx)
}

// history records four weeks of deployments and a few minor incidents.
func (w *walk) history(ctx context.Context) error {
	apps := []string{"Notepad++", "Zoom Workplace", "Microsoft Teams", "Adobe Acrobat PDF Reader", "Google Chrome"}
	start := w.clock.Now()
	for i := range 400 {
		at := start.Add(time.Duration(i) * 4 * maturity.Week / 400)
		w.clock.now = at
		if _, err := w.s.RecordDeployment(ctx, incident.Deployment{
			ID: uuid.New(), Application: apps[i%len(apps)], Class: blastradius.ProductivityTools,
			RiskScore: decimal.NewFromInt(int64(5 + i%30)), ModelVersion: riskmodel.SeedVersion, FinishedAt: at,
		}); err != nil {
			return err
		}
		if i%130 == 65 {
			if _, err := w.s.CreateIncident(ctx, incident.Incident{CorrelationID: fmt.Sprintf("INC-%04d", i), Severity: incident.P4,
				OccurredAt: at, Application: apps[i%len(apps)]}); err != nil {
				return err
			}
		}
	}
	w.clock.now = start.Add(4 * maturity.Week)
	w.printf("history: 400 deployments over four weeks, every one reviewed by the CAB; 3 minor (P4) incidents\n")
	return nil
}

func (w *walk) earnLevelOne(ctx context.Context) error {
	ev, err := w.engine.Evaluate(ctx)
	if err != nil {
		return err
	}
	w.printf("maturity evaluation: level %d → %d, %s\n", ev.Level, ev.Target, ev.Reason)
	w.criteria(ev)
	if !ev.Ready {
		return errors.New("the history was meant to earn level 1")
	}
	// Each member signs the evaluation's findings; one member alone never
	// raises the level.
	var got maturity.Approved
	for _, m := range []string{"alice", "bob"} {
		payload, err := ev.ApprovalPayload(m)
		if err != nil {
			return err
		}
		env, err := w.sign(m, payload)
		if err != nil {
			return err
		}
		if got, err = w.engine.ApproveSigned(ctx, ev.ID, env); err != nil {
			return err
		}
		if got.Transition == nil {
			w.printf("CAB (%s) signed: %d of %d approvals, level unchanged\n", m, got.Approvals, got.Quorum)
		}
	}
	tr := got.Transition
	if tr == nil {
		return errors.New("two approvals were meant to apply level 1")
	}
	th := tr.Model.Thresholds
	w.printf("CAB (alice, bob) approved: level 1 (%s), risk model %s active, thresholds CRIT/BUS/PROD/NON %s/%s/%s/%s\n",
		tr.Model.Mode, tr.Model.Version, th[blastradius.CriticalInfrastructure], th[blastradius.BusinessCritical],
		th[blastradius.ProductivityTools], th[blastradius.NonCritical])
	return nil
}

func (w *walk) criteria(ev maturity.Evaluation) {
	for _, c := range ev.Criteria {
		op, req := "≤", c.Required.String()
		if c.AtLeast {
			op = "≥"
		}
		if c.Unlimited {
			req = "unlimited"
		}
		mark := "pass"
		if !c.Passed {
			mark = "FAIL"
		}
		w.printf("  %-24s %-6s required %s %-9s actual %s\n", c.Name, mark, op, req, c.Actual)
	}
}

// deployment is one package going out this week.
type deployment struct {
	app, publisher string
	privilege      blastradius.Privilege
	users          int
	criticality    blastradius.Criticality
	risk           int64 // every factor's value: the score, for a readable story
	approvers      []string
	exceptionDays  int
	swapped        bool // the bytes were changed after the evidence was made
	tampered       bool // its status is set to approved in the database, with one of two approvals
}

func week() []deployment {
	return []deployment{
		{app: "Adobe Acrobat PDF Reader 24.1", publisher: "Adobe", users: 300, risk: 12},
		{app: "Zoom Workplace 6.3", publisher: "Zoom", users: 4000, risk: 16},
		{app: "SAP GUI 8.0 patch 7", publisher: "SAP", users: 2500, criticality: blastradius.CriticalityHigh, risk: 42, approvers: []string{"alice", "bob"}},
		{app: "Salesforce for Outlook 2.3", publisher: "Salesforce", users: 1800, risk: 30, approvers: []string{"carol"}, tampered: true},
		{app: "Windows Security Update KB5034441", publisher: "Microsoft", privilege: blastradius.PrivilegeAdmin, users: 50000,
			criticality: blastradius.CriticalityHigh, risk: 35, approvers: []string{"alice", "bob", "carol"}},
		{app: "CrowdStrike Falcon EDR sensor hotfix", publisher: "CrowdStrike", privilege: blastradius.PrivilegeSystem, users: 50000,
			risk: 86, approvers: []string{"alice", "bob", "carol"}, exceptionDays: 7},
		{app: "Slack 4.41", publisher: "Slack Technologies", users: 3500, risk: 18, swapped: true},
	}
}

func sha(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }

func (w *walk) deploy(ctx context.Context, d deployment) error {
	w.printf("\n%s\n", d.app)
	artifact := []byte(strings.Repeat("MZ "+d.app+" ", 2000))
	sbom := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":` + fmt.Sprintf("%q", d.app) + `}}}`)
	in := blastradius.Input{AppName: d.app, Publisher: d.publisher, Privilege: d.privilege, TargetUsers: d.users, Criticality: d.criticality}
	cls, err := w.classifier.Classify(in)
	if err != nil {
		return err
	}
	w.printf("  classified %s by rule %q: %s\n", cls.Class, cls.Rule, cls.Reason)

	corr := "build-" + strings.ToLower(strings.ReplaceAll(strings.Fields(d.app)[0], " ", "-")) + "-" + w.clock.Now().Format("20060102")
	data := fmt.Sprintf(`{"artifacts":[{"name":%q,"sha256":%q}],"sbom":{"format":"cyclonedx","sha256":%q},"blast_radius_class":%q,"build":{"pipeline":"packaging","at":%q}}`,
		d.app+".msi", sha(artifact), sha(sbom), cls.Class, w.clock.Now().Format(time.RFC3339))
	ev, err := security.NewEvidence(uuid.New(), corr, []byte(data), w.clock.Now())
	if err != nil {
		return err
	}
	// The service key signs the package's content hash at upload.
	if err := ev.Attest(w.svc, dsse.Envelope{}); err != nil {
		return err
	}
	if ev, err = w.s.CreateEvidence(ctx, ev, "packaging-pipeline"); err != nil {
		return err
	}

	// The submission gives facts, which trustgate classifies, and factor
	// values, which the active model scores: the submitter chooses
	// neither the class nor the score.
	factors := map[riskmodel.Factor]decimal.Decimal{}
	for f := range riskmodel.DefaultWeights() {
		factors[f] = decimal.NewFromInt(d.risk)
	}
	req, err := w.cab.Submit(ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-" + corr,
		Application: d.app, Classify: &in, Factors: factors, Submitter: "sam"})
	if err != nil {
		return err
	}
	dec := req.Decision
	w.printf("  risk score %s under model %s → %s (%s: %s)\n", dec.Score.StringFixed(2), dec.ModelVersion, dec.Outcome, dec.Reason.Code, dec.Reason.Text)

	switch dec.Outcome {
	case cab.ManualReview:
		for _, m := range d.approvers {
			if req, err = w.approve(ctx, req.ID, cab.KindApproval, m); err != nil {
				return err
			}
			w.clock.advance(20 * time.Minute)
		}
		w.printf("  reviewed: %d of %d CAB approvals (%s, each signed with the member's key) → %s\n", len(req.Approvals), dec.Quorum, strings.Join(d.approvers, ", "), req.Status)
		if d.tampered {
			return w.tamper(ctx, req)
		}
	case cab.ExceptionRequired:
		expires := w.clock.Now().AddDate(0, 0, d.exceptionDays)
		if req, err = w.cab.RequestException(ctx, req.ID, "sam", "vendor hotfix for an actively exploited sensor crash", expires); err != nil {
			return err
		}
		for _, m := range d.approvers {
			if req, err = w.approve(ctx, req.ID, cab.KindExceptionApproval, m); err != nil {
				return err
			}
		}
		w.printf("  exception approved by %s, pinned to sha256 %s…, expires %s\n", strings.Join(d.approvers, ", "),
			req.Exception.ArtifactDigest.String()[:12], expires.Format("2 Jan 15:04"))
	}

	bytesOut := artifact
	if d.swapped {
		bytesOut = append([]byte("INJECTED"), artifact...)
	}
	rep, err := w.validator.ValidateDeployment(ctx, security.Request{EvidenceID: ev.ID, Artifact: bytes.NewReader(bytesOut),
		SBOM: bytes.NewReader(sbom), Actor: "intune-connector", CorrelationID: req.CorrelationID})
	var blocked *security.ValidationError
	if errors.As(err, &blocked) {
		if err := w.validationReceipt(ctx, d.app, rep); err != nil {
			return err
		}
		w.printf("  BLOCKED before any device: %s (%s)\n", blocked.Code, blocked.Failed[0].Detail)
		return nil
	}
	if err != nil {
		return err
	}
	w.lastValidation = rep.AuditSeq
	if err := w.validationReceipt(ctx, d.app, rep); err != nil {
		return err
	}
	auth, err := w.cab.Authorize(ctx, req.ID, rep.ArtifactDigest)
	if err != nil {
		return err
	}
	if err := w.authorizationReceipt(ctx, req.ID); err != nil {
		return err
	}
	if _, err := w.cab.RecordDeployment(ctx, req.ID, rep.ArtifactDigest, w.clock.Now()); err != nil {
		return err
	}
	until := ""
	if !auth.Until.IsZero() {
		until = ", authorised until " + auth.Until.Format("2 Jan 15:04")
	}
	w.printf("  validated (%d gates passed), authorised (%s%s), deployed\n", len(rep.Checks), auth.Status, until)
	return nil
}

// tamper is the attempt the walk shows refused: with one of the two
// approvals a business system needs, someone with write access to the
// database sets its status to approved, as an attacker with the file
// would. Authorize never reads the stored status: it recounts the signed
// approvals and refuses; the store's verification names the edited record.
// The status is then put back.
func (w *walk) tamper(ctx context.Context, req cab.Request) error {
	set := func(status cab.Status) (string, error) {
		q := "UPDATE cab_requests SET status = '" + string(status) + "' WHERE id = " + w.placeholder
		_, err := w.raw.ExecContext(ctx, q, req.ID.String())
		return strings.Replace(q, w.placeholder, "'"+req.ID.String()[:8]+"…'", 1), err
	}
	q, err := set(cab.StatusApproved)
	if err != nil {
		return err
	}
	w.printf("  ATTACK with write access to the database, no key: %s\n", q)
	stored, err := w.s.Request(ctx, req.ID)
	if err != nil {
		return err
	}
	w.printf("  the stored status now says %s\n", stored.Status)
	_, err = w.cab.Authorize(ctx, req.ID, req.ArtifactDigest)
	if err == nil {
		return errors.New("an edited status was authorised")
	}
	e := trustgate.AsError(err)
	w.printf("  Authorize: REFUSED %s: %v\n", e.Reason, err)
	var rec *attest.RecordError
	verr := w.s.Verify(ctx, w.svc.Keys(), store.VerifyOptions{})
	if !errors.As(verr, &rec) {
		return fmt.Errorf("the edited status was not detected: %v", verr)
	}
	w.printf("  verify: %s %s: %s\n", rec.Record[:len("cab_requests/")+8]+"…", rec.Part, rec.Reason)
	if _, err := set(cab.StatusPendingReview); err != nil {
		return err
	}
	w.printf("  the status is put back to %s; the request waits for a second signed approval\n", cab.StatusPendingReview)
	// The receipt of the refusal is made from what was signed, so only
	// once the status is the signed records' again: FAILED, not authorised.
	return w.authorizationReceipt(ctx, req.ID)
}

func (w *walk) incident(ctx context.Context) error {
	w.clock.advance(26 * time.Hour)
	inc, err := w.s.CreateIncident(ctx, incident.Incident{CorrelationID: "INC-2207", Severity: incident.P3,
		OccurredAt: w.clock.Now().Add(-2 * time.Hour), Application: "Zoom Workplace 6.3", AffectedUsers: 140, DowntimeMinutes: 35,
		BusinessImpactUSD: decimal.RequireFromString("1850.00")})
	if err != nil {
		return err
	}
	w.printf("\nincident %s (%s): attributed (%s) to deployment %s, auto-approved %t at score %s\n", inc.CorrelationID, inc.Severity,
		inc.Attribution, inc.DeploymentID.String()[:8], inc.WasAutoApproved, inc.RiskScoreAtApproval.StringFixed(2))
	return nil
}

func (w *walk) reevaluate(ctx context.Context) error {
	ev, err := w.engine.Evaluate(ctx)
	if err != nil {
		return err
	}
	w.printf("\nend-of-week maturity evaluation: level %d → %d: %s\n", ev.Level, ev.Target, ev.Reason)
	w.criteria(ev)
	return nil
}

func (w *walk) verify(ctx context.Context) error {
	// The store signs a checkpoint of its Merkle tree with the service key
	// and publishes it (with -checkpoint, to that file).
	cp, err := w.s.SignCheckpoint(ctx)
	if err != nil {
		return err
	}
	trust := auditlog.Trust{Origin: w.log.Name(), Log: w.log.Verifier()}
	chain := security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: trust}
	verified, err := security.VerifyChain(ctx, w.s, chain)
	if err != nil {
		return err
	}
	w.printf("\naudit chain verified: %d events, head %s…, signed checkpoint checked\n", verified.Size, verified.Hash.String()[:16])
	// One event proved without the database: the proof, the checkpoint and
	// the verifier key are all it takes.
	proof, err := w.s.ProveEvent(ctx, w.lastValidation, cp)
	if err != nil {
		return err
	}
	parsed, err := auditlog.ParseInclusionProof(proof.Marshal())
	if err != nil {
		return err
	}
	if _, _, err := auditlog.VerifyInclusion(parsed, trust); err != nil {
		return err
	}
	w.printf("inclusion proof of event %d (the last validation that passed) checked offline: %d hashes against the checkpoint of %d events\n",
		w.lastValidation, len(proof.Hashes), verified.Size)
	if err := w.s.Verify(ctx, w.svc.Keys(), store.VerifyOptions{Chain: chain}); err != nil {
		return err
	}
	w.printf("every governance record verified against its signatures: risk models, maturity level, requests, approvals, exceptions, evidence\n")
	return w.writeReceipts(ctx, cp, trust)
}
