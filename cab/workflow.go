package cab

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Store is what the workflow needs from storage; every trustgate store
// satisfies it. Lookups that find nothing return an error matching
// store.ErrNotFound; a different submission under a used correlation id is
// store.ErrConflict.
type Store interface {
	ActiveRiskModel(ctx context.Context) (riskmodel.Version, error)
	RiskModel(ctx context.Context, version string) (riskmodel.Version, error)
	ApproveRiskModel(ctx context.Context, version string, s riskmodel.Signoff, approved bool) error
	ActivateRiskModel(ctx context.Context, version, actor string) error
	MaturityState(ctx context.Context) (maturity.State, error)
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

// Errors of a submission that tries to choose its own decision.
var (
	// ErrClassBelowClassified: the submission declares a blast radius class
	// less severe than the one its facts classify as. Code
	// [trustgate.Invalid], reason CLASS_BELOW_CLASSIFIED, field class; the
	// message names both classes.
	ErrClassBelowClassified = &trustgate.Error{Code: trustgate.Invalid, Reason: "CLASS_BELOW_CLASSIFIED", Field: "class",
		Message: "cab: declared class is less severe than the classified class"}
	// ErrScoreSupplied: the submission gives a bare score, and the workflow
	// does not accept one ([Options.AllowSuppliedScore]). Code
	// [trustgate.Invalid], reason SCORE_SUPPLIED, field score.
	ErrScoreSupplied = &trustgate.Error{Code: trustgate.Invalid, Reason: "SCORE_SUPPLIED", Field: "score",
		Message: "cab: a bare score is not accepted: give factor values"}
)

// Options configures a [Workflow].
type Options struct {
	// Service signs decisions, exceptions and, in service-attested mode,
	// the approvals of members the caller authenticated; its keyring says
	// who the CAB is and which keys are trusted. Required.
	Service *attest.Service
	// Classifier classifies the facts of submissions; nil means the
	// default rules.
	Classifier *blastradius.Classifier
	// HigherClassWins makes a declared class less severe than the
	// classified one give way to the classified class (the higher of the
	// two, as ServiceNow does) instead of refusing the submission.
	HigherClassWins bool
	// AllowSuppliedScore accepts submissions that give a bare score
	// instead of factor values. The decision and its audit event then say
	// the score was supplied.
	AllowSuppliedScore bool
	// Levels is the maturity ladder whose thresholds cap every model; nil
	// means maturity.Levels().
	Levels []maturity.Definition
	Now    func() time.Time
	NewID  func() uuid.UUID
	Logger *slog.Logger
}

// Workflow is the CAB approval workflow over a store: submission with a
// decision, approvals to quorum, rejection, time-boxed exceptions,
// authorisation of a deployment and its record, and shadow evaluation of
// candidate models. It is safe for concurrent use: each state change is a
// read-modify-write inside one store transaction.
type Workflow struct {
	store      Store
	service    *attest.Service
	keys       *attest.Keyring
	classifier *blastradius.Classifier
	opts       Options
	levels     []maturity.Definition
	verified   sync.Map // modelKey, stateKey → struct{}, evidenceKey → verifiedEvidence: what verified
	lastModel  atomic.Pointer[verifiedModel]
	now        func() time.Time
	newID      func() uuid.UUID
	log        *slog.Logger
}

// NewWorkflow returns a workflow over s.
func NewWorkflow(s Store, opts Options) (*Workflow, error) {
	if s == nil {
		return nil, inputErr("store", "required", nil)
	}
	if opts.Service == nil {
		return nil, inputErr("service", "a service signer and keyring are required (attest.NewService)", nil)
	}
	w := &Workflow{store: s, service: opts.Service, keys: opts.Service.Keys(), classifier: opts.Classifier, opts: opts,
		levels: opts.Levels, now: opts.Now, newID: opts.NewID, log: opts.Logger}
	if w.levels == nil {
		w.levels = maturity.Levels()
	}
	if err := maturity.ValidateLevels(w.levels); err != nil {
		return nil, err
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

// Keys returns the keyring the workflow verifies with.
func (w *Workflow) Keys() *attest.Keyring { return w.keys }

// clock returns the workflow's time. The store keeps times at its own
// precision and returns what it keeps.
func (w *Workflow) clock() time.Time { return w.now().UTC() }

// Submission is a deployment put to the CAB. It gives facts, and trustgate
// decides: Classify (what is deployed) is classified with the workflow's
// classifier, and Factors (the risk factor values) are scored with the
// active model.
type Submission struct {
	EvidenceID         uuid.UUID
	DeploymentIntentID uuid.UUID
	CorrelationID      string
	// Application names what is deployed; defaults to Classify.AppName.
	Application string
	// ArtifactName picks the evidence's artifact; empty when it has one.
	ArtifactName string
	// Classify holds the facts the class is decided from. Required.
	Classify *blastradius.Input
	// Class, if set, is the class the submitter declares. A class more
	// severe than the classified one is used; a less severe one is refused
	// ([ErrClassBelowClassified]) unless [Options.HigherClassWins].
	Class blastradius.Class
	// Factors are the risk factor values, scored by the active model and
	// recorded with the request. Required unless the workflow accepts a
	// supplied Score ([Options.AllowSuppliedScore]).
	Factors map[riskmodel.Factor]decimal.Decimal
	Score   *decimal.Decimal
	// Submitter is who submits; stored normalised.
	Submitter string
}

// Submit decides a submission with the active model and stores the request
// with an audit event. It is idempotent on the correlation id: the same
// submission again returns the stored request; a different one under the
// same id is store.ErrConflict. The artifact digest of the evidence is
// pinned on the request: only that build can ever be authorised. The
// decision, with everything it was decided from, is signed by the service
// key.
func (w *Workflow) Submit(ctx context.Context, s Submission) (Request, error) {
	submitter, err := s.check(&w.opts)
	if err != nil {
		return Request{}, err
	}
	verified, err := w.activeModel(ctx)
	if err != nil {
		return Request{}, err
	}
	model, modelHash := &verified.model, verified.hash
	score, err := s.score(model)
	if err != nil {
		return Request{}, err
	}
	class, rule, app, err := w.class(s)
	if err != nil {
		return Request{}, err
	}
	ev, err := w.store.EvidenceByID(ctx, s.EvidenceID)
	if err != nil {
		return Request{}, fmt.Errorf("cab: evidence %s: %w", s.EvidenceID, err)
	}
	m, err := w.verifyEvidence(&ev)
	var merr *manifestError
	switch {
	case errors.As(err, &merr):
		return Request{}, fmt.Errorf("%w: %w", ErrEvidence, merr.err)
	case err != nil:
		// The record error first: its code (tampered) is the one callers see;
		// errors.Is(err, ErrEvidence) holds too.
		return Request{}, fmt.Errorf("cab: evidence %s does not match what was signed: %w (%w)", ev.ID, err, ErrEvidence)
	}
	art, ok := m.Artifact(s.ArtifactName)
	if !ok {
		return Request{}, fmt.Errorf("%w: evidence %s has no artifact %q", ErrEvidence, ev.ID, s.ArtifactName)
	}
	dec, err := verified.rules.Decide(score, class)
	if err != nil {
		return Request{}, err
	}
	dec.ModelHash = modelHash
	now := w.clock()
	r := Request{
		ID: w.newID(), CorrelationID: s.CorrelationID, EvidenceID: s.EvidenceID, DeploymentIntentID: s.DeploymentIntentID,
		Application: app, ArtifactDigest: art.SHA256, Submitter: submitter, Factors: maps.Clone(s.Factors),
		ScoreSupplied: s.Score != nil, DeclaredClass: s.Class, ClassRule: rule,
		Decision: dec, Status: StatusFor(dec), CreatedAt: now, UpdatedAt: now,
	}
	r.SubmissionHash = s.hash(submitter, score, class, app)
	payload, err := r.DecisionPayload()
	if err != nil {
		return Request{}, err
	}
	if r.Attestation, err = w.service.Seal(payload); err != nil {
		return Request{}, fmt.Errorf("cab: signing the decision: %w", err)
	}
	stored, err := w.store.CreateRequest(ctx, r)
	if err != nil {
		return Request{}, err
	}
	w.log.LogAttrs(ctx, slog.LevelInfo, "cab request submitted", slog.String("request_id", stored.ID.String()),
		slog.String("correlation_id", stored.CorrelationID), slog.String("outcome", string(stored.Decision.Outcome)),
		slog.String("reason", string(stored.Decision.Reason.Code)), slog.Bool("score_supplied", stored.ScoreSupplied))
	return stored, nil
}

// activeModel reads the active model and the maturity level in force,
// verifies the model under that level ([VerifyModel]) and returns it
// verified, with its content hash and its decision rules prepared
// ([NewRules]). A model that does not verify decides nothing: the error
// wraps riskmodel.ErrUnverified. The verification of signatures is cached
// by the model's content hash, its signoffs and the level, so a
// submission under an unchanged model costs one comparison.
func (w *Workflow) activeModel(ctx context.Context) (*verifiedModel, error) {
	model, err := w.store.ActiveRiskModel(ctx)
	if err != nil {
		return nil, fmt.Errorf("cab: reading the active model: %w", err)
	}
	state, err := w.store.MaturityState(ctx)
	if err != nil {
		return nil, fmt.Errorf("cab: reading the maturity level: %w", err)
	}
	if err := w.verifyState(&state); err != nil {
		return nil, err
	}
	return w.verifyModel(&model, state.Level)
}

// verifyState is maturity.VerifyState with the workflow's keys and levels,
// cached by everything it depends on. A level that does not verify caps
// nothing, so nothing is decided: the error wraps riskmodel.ErrUnverified
// as well as naming the record.
func (w *Workflow) verifyState(s *maturity.State) error {
	h := sha256.New()
	frame(h, binary.BigEndian.AppendUint64(nil, uint64(s.Level)))
	frame(h, []byte(attest.Time(s.Since)))
	frame(h, []byte(s.ModelVersion))
	frame(h, []byte(s.Reason))
	frame(h, []byte(s.Kind))
	frame(h, s.Evaluation[:])
	frame(h, s.EvaluationHash[:])
	frame(h, s.Attestation.Payload)
	writeSigs(h, s.Attestation.Signatures)
	for _, a := range s.Approvals {
		frame(h, []byte(a.By))
		frame(h, a.Envelope.Payload)
		writeSigs(h, a.Envelope.Signatures)
	}
	var key stateKey
	h.Sum(key[:0])
	if _, ok := w.verified.Load(key); ok {
		return nil
	}
	if err := maturity.VerifyState(s, w.keys, len(w.levels)); err != nil {
		return &trustgate.Error{Code: trustgate.Tampered, Reason: riskmodel.ErrUnverified.Reason,
			Message: "cab: the maturity level in force does not verify, so no model decides: " + err.Error(),
			Err:     errors.Join(riskmodel.ErrUnverified, err)}
	}
	w.verified.Store(key, struct{}{})
	return nil
}

// verifyEvidence is security.Evidence.Verify with the workflow's keys,
// followed by its manifest, both cached by everything they depend on: a
// package is never updated, so the same bytes verify the same way and hold
// the same manifest, and a repeat submission of one build costs a hash of
// the package instead of a signature check and a parse. A manifest that
// does not parse is a *manifestError.
func (w *Workflow) verifyEvidence(e *security.Evidence) (security.Manifest, error) {
	h := sha256.New()
	frame(h, e.ID[:])
	frame(h, []byte(e.CorrelationID))
	frame(h, []byte(attest.Time(e.CreatedAt)))
	frame(h, e.ContentHash[:])
	frame(h, e.Data)
	for _, env := range []*dsse.Envelope{&e.Attestation, &e.Producer} {
		frame(h, []byte(env.PayloadType))
		frame(h, env.Payload)
		writeSigs(h, env.Signatures)
	}
	var key evidenceKey
	h.Sum(key[:0])
	if m, ok := w.verified.Load(key); ok {
		return m.(verifiedEvidence).manifest.clone(), nil
	}
	if err := e.Verify(w.keys); err != nil {
		return security.Manifest{}, err
	}
	m, err := e.Manifest()
	if err != nil {
		return security.Manifest{}, &manifestError{err}
	}
	w.verified.Store(key, verifiedEvidence{manifest: manifest(m)})
	return m, nil
}

// evidenceKey is what an evidence verification depends on.
type evidenceKey [32]byte

// verifiedEvidence is what is cached for a package that verified: its
// manifest.
type verifiedEvidence struct{ manifest manifest }

// manifest is a security.Manifest kept in the cache, handed out as copies.
type manifest security.Manifest

func (m manifest) clone() security.Manifest {
	c := security.Manifest(m)
	c.Artifacts = slices.Clone(m.Artifacts)
	if m.SBOM != nil {
		sbom := *m.SBOM
		c.SBOM = &sbom
	}
	return c
}

// manifestError is a verified package's manifest that does not parse.
type manifestError struct{ err error }

func (e *manifestError) Error() string { return e.err.Error() }
func (e *manifestError) Unwrap() error { return e.err }

// stateKey is what a state verification depends on.
type stateKey [32]byte

func writeSigs(h hash.Hash, sigs []dsse.Signature) {
	frame(h, binary.BigEndian.AppendUint64(nil, uint64(len(sigs))))
	for _, sig := range sigs {
		frame(h, []byte(sig.KeyID))
		frame(h, sig.Sig)
	}
}

// frame writes b to h after its length, so that the fields of a cache key
// cannot run into one another: two different records never share a key.
func frame(h hash.Hash, b []byte) {
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	h.Write(b)
}

// verifyModel is [VerifyModel] with the workflow's keys and levels, cached
// twice: the model that last verified is kept whole, with its content hash
// and the level it verified under, and a model equal to it in every field
// under the same level has that content hash and those signoffs, so it
// costs a comparison; any other model is hashed, and its signatures are
// checked unless that content hash, with those signoffs and that level,
// verified before. The model returned is the workflow's own copy, with
// its rules prepared once: it must not be changed.
func (w *Workflow) verifyModel(v *riskmodel.Version, level maturity.Level) (*verifiedModel, error) {
	if last := w.lastModel.Load(); last != nil && last.level == level && reflect.DeepEqual(&last.model, v) {
		return last, nil
	}
	d, err := w.verifyModelHashed(v, level)
	if err != nil {
		return nil, err
	}
	m := &verifiedModel{model: v.Clone(), level: level, hash: d}
	if m.rules, err = NewRules(&m.model); err != nil {
		return nil, err
	}
	w.lastModel.Store(m)
	return m, nil
}

// verifiedModel is a model that verified, whole, with what it verified
// under, its content hash, and its decision rules, prepared from it.
type verifiedModel struct {
	model riskmodel.Version
	level maturity.Level
	hash  security.Digest
	rules Rules
}

// verifyModelHashed is verifyModel's second cache, by content hash,
// signoffs and level.
func (w *Workflow) verifyModelHashed(v *riskmodel.Version, level maturity.Level) (security.Digest, error) {
	h, err := v.ContentHash()
	if err != nil {
		return VerifyModel(v, w.keys, w.levels, level)
	}
	sigs := sha256.New()
	for _, s := range v.Signoffs {
		frame(sigs, []byte(s.By))
		frame(sigs, s.Envelope.Payload)
		writeSigs(sigs, s.Envelope.Signatures)
	}
	key := modelKey{hash: h, level: level}
	sigs.Sum(key.signoffs[:0])
	if _, ok := w.verified.Load(key); ok {
		return security.Digest(h), nil
	}
	d, err := VerifyModel(v, w.keys, w.levels, level)
	if err == nil {
		w.verified.Store(key, struct{}{})
	}
	return d, err
}

// modelKey is what a model verification depends on.
type modelKey struct {
	hash     [32]byte
	level    maturity.Level
	signoffs [32]byte
}

func (s *Submission) check(opts *Options) (string, error) {
	switch {
	case s.EvidenceID == uuid.Nil:
		return "", inputErr("evidence_id", "required", nil)
	case s.DeploymentIntentID == uuid.Nil:
		return "", inputErr("deployment_intent_id", "required", nil)
	case strings.TrimSpace(s.CorrelationID) == "" || len(s.CorrelationID) > 256:
		return "", inputErr("correlation_id", "required, at most 256 bytes", nil)
	case s.Classify == nil:
		return "", inputErr("classify", "the facts to classify are required: trustgate decides the class", nil)
	case s.Score != nil && s.Factors != nil:
		return "", inputErr("score", "give factor values or a score, not both", nil)
	case s.Score != nil && !opts.AllowSuppliedScore:
		return "", ErrScoreSupplied
	case s.Score == nil && s.Factors == nil:
		return "", inputErr("factors", "the risk factor values are required", nil)
	}
	submitter, err := attest.CheckName("submitter", s.Submitter)
	if err != nil {
		return "", inputErr("submitter", "required (a single-line name of at most 256 bytes)", err)
	}
	return submitter, nil
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

// class classifies the submission's facts and reconciles the declared
// class with the classified one.
func (w *Workflow) class(s Submission) (blastradius.Class, string, string, error) {
	app := s.Application
	if app == "" {
		app = s.Classify.AppName
	}
	if strings.TrimSpace(app) == "" || len(app) > 256 {
		return "", "", "", inputErr("application", "required (or classifier input with an application name), at most 256 bytes", nil)
	}
	res, err := w.classifier.Classify(*s.Classify)
	if err != nil {
		return "", "", "", inputErr("classify", err.Error(), err)
	}
	switch {
	case s.Class == "" || s.Class == res.Class:
		return res.Class, res.Rule, app, nil
	case !s.Class.Valid():
		return "", "", "", inputErr("class", "not a blast radius class", &blastradius.ClassError{Value: string(s.Class)})
	case s.Class.MoreSevereThan(res.Class):
		return s.Class, "declared", app, nil
	case w.opts.HigherClassWins:
		return res.Class, res.Rule, app, nil
	}
	return "", "", "", &trustgate.Error{Code: trustgate.Invalid, Reason: ErrClassBelowClassified.Reason, Field: "class",
		Message: fmt.Sprintf("cab: class: declared %s is less severe than %s, which the facts classify as (rule %s)", s.Class, res.Class, res.Rule),
		Err:     ErrClassBelowClassified}
}

// hash fingerprints what the submission asks for, after scoring and
// classification.
func (s *Submission) hash(submitter string, score decimal.Decimal, class blastradius.Class, app string) security.Digest {
	parts := []string{s.EvidenceID.String(), s.DeploymentIntentID.String(), s.CorrelationID,
		app, s.ArtifactName, score.String(), string(class), string(s.Class), submitter, strconv.FormatBool(s.Score != nil)}
	for _, f := range slices.Sorted(maps.Keys(s.Factors)) {
		parts = append(parts, string(f)+"="+s.Factors[f].String())
	}
	b, _ := json.Marshal(parts) // strings only: cannot fail
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
		"model_sha256":        d.ModelHash.String(),
		"score_supplied":      strconv.FormatBool(r.ScoreSupplied),
		"declared_class":      string(r.DeclaredClass),
		"quorum":              strconv.Itoa(d.Quorum),
		"status":              string(r.Status),
		"artifact_sha256":     r.ArtifactDigest.String(),
	})
	return security.EventInput{Type: EventSubmitted, Actor: r.Submitter, Subject: "cab-request:" + r.ID.String(),
		CorrelationID: r.CorrelationID, Data: data}
}
