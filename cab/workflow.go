package cab

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Store is what the workflow needs from storage; every trustgate store
// satisfies it. Lookups that find nothing return an error matching
// store.ErrNotFound; a different submission under a used correlation id is
// store.ErrConflict.
type Store interface {
	ActiveRiskModel(ctx context.Context) (riskmodel.Version, error)
	EvidenceByID(ctx context.Context, id uuid.UUID) (security.Evidence, error)
	CreateRequest(ctx context.Context, r Request) (Request, error)
	Request(ctx context.Context, id uuid.UUID) (Request, error)
	UpdateRequest(ctx context.Context, id uuid.UUID, fn func(Request) (Request, security.EventInput, error)) (Request, error)
	ListRequests(ctx context.Context, f RequestFilter) ([]Request, error)
	RecordDeployment(ctx context.Context, d incident.Deployment) (incident.Deployment, error)
	ListIncidents(ctx context.Context, f incident.Filter) (incident.Page, error)
}

// RequestFilter selects requests created in [From, To), oldest first,
// starting after the request with id After (keyset; zero for the first
// page), at most Limit (1 to 1,000).
type RequestFilter struct {
	From, To time.Time
	After    uuid.UUID
	Limit    int
}

// Audit event types the workflow writes (through the store).
const (
	EventSubmitted         security.EventType = "cab.submitted"
	EventApproved          security.EventType = "cab.approved"
	EventRejected          security.EventType = "cab.rejected"
	EventExceptionRequest  security.EventType = "cab.exception_requested"
	EventExceptionApproved security.EventType = "cab.exception_approved"
)

// ErrEvidence: the evidence package cannot back a submission (tampered, or
// the artifact is not in it). Code [trustgate.Invalid], reason
// EVIDENCE_UNUSABLE; the error wrapping it says why.
var ErrEvidence = &trustgate.Error{Code: trustgate.Invalid, Reason: "EVIDENCE_UNUSABLE", Message: "cab: evidence unusable"}

// Options configures a [Workflow].
type Options struct {
	// Members is the CAB. Only members approve, reject and approve
	// exceptions; with none configured, nothing can be approved.
	Members Members
	// Classifier classifies submissions that give classifier input instead
	// of a class; nil means the default rules.
	Classifier *blastradius.Classifier
	Now        func() time.Time
	NewID      func() uuid.UUID
	Logger     *slog.Logger
}

// Workflow is the CAB approval workflow over a store: submission with a
// decision, approvals to quorum, rejection, time-boxed exceptions,
// authorisation of a deployment and its record, and shadow evaluation of
// candidate models. It is safe for concurrent use: each state change is a
// read-modify-write inside one store transaction.
type Workflow struct {
	store      Store
	members    Members
	classifier *blastradius.Classifier
	now        func() time.Time
	newID      func() uuid.UUID
	log        *slog.Logger
}

// NewWorkflow returns a workflow over s.
func NewWorkflow(s Store, opts Options) (*Workflow, error) {
	if s == nil {
		return nil, inputErr("store", "required", nil)
	}
	w := &Workflow{store: s, members: Members{}, classifier: opts.Classifier, now: opts.Now, newID: opts.NewID, log: opts.Logger}
	for m, ok := range opts.Members {
		if ok {
			w.members[m] = true
		}
	}
	if w.classifier == nil {
		c, err := blastradius.NewClassifier(blastradius.DefaultRules(), blastradius.Options{})
		if err != nil {
			return nil, err
		}
		w.classifier = c
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.newID == nil {
		w.newID = func() uuid.UUID {
			if id, err := uuid.NewV7(); err == nil {
				return id
			}
			return uuid.New()
		}
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w, nil
}

// clock returns the workflow's time. The store keeps times at its own
// precision and returns what it keeps.
func (w *Workflow) clock() time.Time { return w.now().UTC() }

// Submission is a deployment put to the CAB. Give either Score or Factors
// (scored with the active model), and either Class or Classify (classified
// with the workflow's classifier).
type Submission struct {
	EvidenceID         uuid.UUID
	DeploymentIntentID uuid.UUID
	CorrelationID      string
	// Application names what is deployed; defaults to Classify.AppName.
	Application string
	// ArtifactName picks the evidence's artifact; empty when it has one.
	ArtifactName string
	Score        *decimal.Decimal
	Factors      map[riskmodel.Factor]decimal.Decimal
	Class        blastradius.Class
	Classify     *blastradius.Input
	Submitter    string
}

// Submit decides a submission with the active model and stores the request
// with an audit event. It is idempotent on the correlation id: the same
// submission again returns the stored request; a different one under the
// same id is store.ErrConflict. The artifact digest of the evidence is
// pinned on the request: only that build can ever be authorised.
func (w *Workflow) Submit(ctx context.Context, s Submission) (Request, error) {
	if err := s.check(); err != nil {
		return Request{}, err
	}
	model, err := w.store.ActiveRiskModel(ctx)
	if err != nil {
		return Request{}, fmt.Errorf("cab: reading the active model: %w", err)
	}
	score, err := s.score(&model)
	if err != nil {
		return Request{}, err
	}
	class, app, err := w.class(s)
	if err != nil {
		return Request{}, err
	}
	ev, err := w.store.EvidenceByID(ctx, s.EvidenceID)
	if err != nil {
		return Request{}, fmt.Errorf("cab: evidence %s: %w", s.EvidenceID, err)
	}
	if !ev.Intact() {
		return Request{}, fmt.Errorf("%w: evidence %s no longer matches its content hash", ErrEvidence, ev.ID)
	}
	m, err := ev.Manifest()
	if err != nil {
		return Request{}, fmt.Errorf("%w: %w", ErrEvidence, err)
	}
	art, ok := m.Artifact(s.ArtifactName)
	if !ok {
		return Request{}, fmt.Errorf("%w: evidence %s has no artifact %q", ErrEvidence, ev.ID, s.ArtifactName)
	}
	dec, err := Decide(score, class, &model)
	if err != nil {
		return Request{}, err
	}
	now := w.clock()
	r := Request{
		ID: w.newID(), CorrelationID: s.CorrelationID, EvidenceID: s.EvidenceID, DeploymentIntentID: s.DeploymentIntentID,
		Application: app, ArtifactDigest: art.SHA256, Submitter: s.Submitter, SubmissionHash: s.hash(score, class, app),
		Decision: dec, Status: StatusFor(dec), CreatedAt: now, UpdatedAt: now,
	}
	stored, err := w.store.CreateRequest(ctx, r)
	if err != nil {
		return Request{}, err
	}
	w.log.LogAttrs(ctx, slog.LevelInfo, "cab request submitted", slog.String("request_id", stored.ID.String()),
		slog.String("correlation_id", stored.CorrelationID), slog.String("outcome", string(stored.Decision.Outcome)),
		slog.String("reason", string(stored.Decision.Reason.Code)))
	return stored, nil
}

func (s *Submission) check() error {
	switch {
	case s.EvidenceID == uuid.Nil:
		return inputErr("evidence_id", "required", nil)
	case s.DeploymentIntentID == uuid.Nil:
		return inputErr("deployment_intent_id", "required", nil)
	case strings.TrimSpace(s.CorrelationID) == "" || len(s.CorrelationID) > 256:
		return inputErr("correlation_id", "required, at most 256 bytes", nil)
	case strings.TrimSpace(s.Submitter) == "" || len(s.Submitter) > 256:
		return inputErr("submitter", "required, at most 256 bytes", nil)
	case (s.Score == nil) == (s.Factors == nil):
		return inputErr("score", "give either a score or factor values", nil)
	case (s.Class == "") == (s.Classify == nil):
		return inputErr("class", "give either a class or classifier input", nil)
	}
	return nil
}

func (s *Submission) score(model *riskmodel.Version) (decimal.Decimal, error) {
	if s.Score != nil {
		return *s.Score, nil
	}
	sc, err := model.Score(s.Factors)
	if err != nil {
		return decimal.Decimal{}, inputErr("factors", err.Error(), err)
	}
	return sc.Value, nil
}

func (w *Workflow) class(s Submission) (blastradius.Class, string, error) {
	app := s.Application
	if s.Classify != nil && app == "" {
		app = s.Classify.AppName
	}
	if strings.TrimSpace(app) == "" || len(app) > 256 {
		return "", "", inputErr("application", "required (or classifier input with an application name), at most 256 bytes", nil)
	}
	if s.Class != "" {
		return s.Class, app, nil // Decide validates it
	}
	res, err := w.classifier.Classify(*s.Classify)
	if err != nil {
		return "", "", inputErr("classify", err.Error(), err)
	}
	return res.Class, app, nil
}

// hash fingerprints what the submission asks for, after scoring and
// classification.
func (s *Submission) hash(score decimal.Decimal, class blastradius.Class, app string) security.Digest {
	b, _ := json.Marshal([]string{s.EvidenceID.String(), s.DeploymentIntentID.String(), s.CorrelationID,
		app, s.ArtifactName, score.String(), string(class), s.Submitter})
	return sha256.Sum256(b)
}

// SubmittedEvent is the audit event that records a request's submission
// and decision. Stores append it, in the same transaction, when they create
// a request, so that every adapter records the same thing.
func SubmittedEvent(r Request) security.EventInput {
	d := r.Decision
	data, _ := json.Marshal(map[string]string{ // strings only: cannot fail
		"request_id":          r.ID.String(),
		"outcome":             string(d.Outcome),
		"reason":              string(d.Reason.Code),
		"score":               d.Score.String(),
		"class":               string(d.Class),
		"threshold":           d.Threshold.String(),
		"exception_threshold": d.ExceptionThreshold.String(),
		"model_version":       d.ModelVersion,
		"quorum":              strconv.Itoa(d.Quorum),
		"status":              string(r.Status),
		"artifact_sha256":     r.ArtifactDigest.String(),
	})
	return security.EventInput{Type: EventSubmitted, Actor: r.Submitter, Subject: "cab-request:" + r.ID.String(),
		CorrelationID: r.CorrelationID, Data: data}
}
