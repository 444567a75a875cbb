package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// Default limits.
const (
	defaultMaxBody        = 1 << 20                           // 1 MiB
	evidenceMaxBody       = security.MaxEvidenceSize + 64<<10 // the evidence plus its envelope
	defaultRequestTimeout = 15 * time.Second                  // per request, for the library calls
	defaultListLimit      = 50                                // evaluations per page
)

// storage is what the server needs of a store: what the workflow, the
// engine and the validator need, and the reads and writes its handlers make
// themselves. *store.Store has it all; the tests wrap one to make it
// misbehave.
type storage interface {
	cab.Store
	maturity.Store
	security.Store
	ListRiskModels(ctx context.Context) ([]riskmodel.Version, error)
	RiskModel(ctx context.Context, version string) (riskmodel.Version, error)
	CreateRiskModel(ctx context.Context, v riskmodel.Version, actor string) error
	ListClassDefinitions(ctx context.Context) ([]blastradius.Definition, error)
	CreateEvidence(ctx context.Context, e security.Evidence, actor string) (security.Evidence, error)
	EvidenceByCorrelationID(ctx context.Context, correlationID string) (security.Evidence, error)
	Deployment(ctx context.Context, id uuid.UUID) (incident.Deployment, error)
	CreateIncident(ctx context.Context, in incident.Incident) (incident.Incident, error)
	Incident(ctx context.Context, id uuid.UUID) (incident.Incident, error)
	UpdateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (incident.Incident, error)
	ListEvaluations(ctx context.Context, limit int) ([]maturity.Evaluation, error)
	RequestByCorrelationID(ctx context.Context, correlationID string) (cab.Request, error)
	auditStorage
}

var _ storage = (*store.Store)(nil)

// deps are the Server's dependencies. Store, Principals and Service are
// required; the rest have defaults.
type deps struct {
	Store      storage
	Principals []principal
	// Service signs decisions, exceptions, evidence and, in
	// service-attested mode, the approvals of authenticated members; its
	// keyring is the CAB. Every principal with role cab or admin must be a
	// member of it.
	Service *attest.Service
	// Now is the clock of the workflow, the engine and the handlers;
	// default time.Now. Give the store the same clock.
	Now func() time.Time
	// NewID makes evidence, incident and request ids; default UUIDv7.
	NewID func() uuid.UUID
	// Logger receives the access log and the library's records; default
	// discards.
	Logger *slog.Logger
	// Classifier classifies inputs; default: the default rules.
	Classifier *blastradius.Classifier
	// Maturity configures the engine (levels, policy).
	Maturity maturity.Options
	// SBOMOptional lets a deployment through the digest gates without an
	// SBOM when its evidence declares none.
	SBOMOptional bool
	// AllowSuppliedScore accepts submissions that give a bare score
	// instead of factor values (cab.Options.AllowSuppliedScore).
	AllowSuppliedScore bool
	// MaxBody bounds request bodies other than evidence; default 1 MiB.
	MaxBody int64
	// RequestTimeout bounds each request's work; default 15s.
	RequestTimeout time.Duration
	// Migrated reports that the store's schema was migrated to this
	// build's migrations when it was opened (sqlite.Open and
	// postgres.Open do, or fail); /readyz is 503 without it.
	Migrated bool
	// LogKey is the public key the log's checkpoints are signed with (the
	// service key's, as go run ./examples/trustgate checkpoint signs):
	// it opens the latest saved checkpoint at start. Without it a saved
	// checkpoint fails the check, and /readyz is 503.
	LogKey crypto.PublicKey
	// MetricsAuth makes /metrics need the bearer token of any principal.
	MetricsAuth bool
}

// Server is the HTTP API over one trustgate store.
type Server struct {
	store      storage
	service    *attest.Service
	keys       *attest.Keyring
	workflow   *cab.Workflow
	engine     *maturity.Engine
	validator  *security.Validator
	levels     []maturity.Definition // the engine's levels, for their names
	classifier *blastradius.Classifier
	auth       *authenticator
	now        func() time.Time
	newID      func() uuid.UUID
	log        *slog.Logger

	sbomOptional bool
	maxBody      int64
	timeout      time.Duration

	migrated    bool
	logKey      crypto.PublicKey
	logState    logCheck
	metrics     *metrics
	metricsAuth bool
	sinkNudge   chan struct{} // set by startSink
	openapi     []byte        // the OpenAPI description, served as is

	mux     *http.ServeMux
	handler http.Handler
}

// newServer wires the library over d.Store.
func newServer(d deps) (*Server, error) {
	if d.Store == nil {
		return nil, errors.New("server: a store is required")
	}
	if d.Service == nil {
		return nil, errors.New("server: a service (the service key and the keyring) is required")
	}
	auth, err := newAuthenticator(d.Principals)
	if err != nil {
		return nil, err
	}
	if err := checkCABMembers(d.Principals, d.Service.Keys()); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		store: d.Store, service: d.Service, keys: d.Service.Keys(), auth: auth, now: d.Now, newID: d.NewID, classifier: d.Classifier,
		sbomOptional: d.SBOMOptional, maxBody: d.MaxBody, timeout: d.RequestTimeout,
		migrated: d.Migrated, logKey: d.LogKey, metrics: newMetrics(), metricsAuth: d.MetricsAuth, openapi: openAPIDocument,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = func() uuid.UUID {
			if id, err := uuid.NewV7(); err == nil {
				return id
			}
			return uuid.New()
		}
	}
	base := d.Logger
	if base == nil {
		base = slog.New(slog.DiscardHandler)
	}
	if _, ok := base.Handler().(contextHandler); ok {
		s.log = base
	} else {
		s.log = slog.New(contextHandler{base.Handler()})
	}
	if s.maxBody <= 0 {
		s.maxBody = defaultMaxBody
	}
	if s.timeout <= 0 {
		s.timeout = defaultRequestTimeout
	}
	if s.classifier == nil {
		if s.classifier, err = blastradius.NewClassifier(blastradius.DefaultRules(), blastradius.Options{}); err != nil {
			return nil, err
		}
	}
	mopts := d.Maturity
	mopts.Service, mopts.Now, mopts.NewID, mopts.Logger = d.Service, s.now, s.newID, s.log
	s.levels = mopts.Levels
	if s.levels == nil {
		s.levels = maturity.Levels()
	}
	s.workflow, err = cab.NewWorkflow(d.Store, cab.Options{
		Service: d.Service, Classifier: s.classifier, AllowSuppliedScore: d.AllowSuppliedScore, Levels: s.levels,
		Now: s.now, NewID: s.newID, Logger: s.log,
	})
	if err != nil {
		return nil, err
	}
	if s.engine, err = maturity.NewEngine(d.Store, mopts); err != nil {
		return nil, err
	}
	// With the keyring the validator runs the attestation gate: a package
	// must be what the service key signed at upload (and carry a trusted
	// producer's signature when the keyring names producers).
	if s.validator, err = security.NewValidator(d.Store, security.Options{
		Policy: security.Policy{SBOMOptional: s.sbomOptional}, Logger: s.log, Keys: s.keys,
	}); err != nil {
		return nil, err
	}
	s.routes()
	s.handler = s.recoverer(s.correlate(s.accessLog(s.withTimeout(s.mux))))
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// apiHandler handles one endpoint for an authenticated principal. A
// returned error is written as a problem.
type apiHandler func(w http.ResponseWriter, r *http.Request, p *principal) error

// route is one endpoint: its pattern, its handler, and the roles that may
// call it (admins always may).
type route struct {
	pattern string
	handler apiHandler
	roles   []role
}

// routeTable lists every endpoint of the API.
func (s *Server) routeTable() []route {
	const v1 = "/api/v1"
	sub, cabR, rep := roleSubmitter, roleCAB, roleIncidentReporter
	r := func(pattern string, h apiHandler, roles ...role) route {
		return route{pattern: pattern, handler: h, roles: roles}
	}
	return []route{
		// Incidents.
		r("POST "+v1+"/incidents", s.createIncident, rep),
		r("GET "+v1+"/incidents", s.listIncidents, rep, cabR),
		r("GET "+v1+"/incidents/{id}", s.getIncident, rep, cabR),
		r("PATCH "+v1+"/incidents/{id}", s.updateIncident, rep),

		// Maturity.
		r("GET "+v1+"/maturity/status", s.maturityStatus, cabR),
		r("POST "+v1+"/maturity/evaluate", s.evaluateMaturity, cabR),
		r("GET "+v1+"/maturity/evaluations", s.listEvaluations, cabR),
		r("GET "+v1+"/maturity/evaluations/{id}", s.getEvaluation, cabR),
		r("GET "+v1+"/maturity/evaluations/{id}/approval-statement", s.evaluationApprovalStatement, cabR),
		r("POST "+v1+"/maturity/evaluations/{id}/approve", s.approveEvaluation, cabR),

		// Blast radius.
		r("POST "+v1+"/blast-radius/classify", s.classify, sub, cabR),
		r("GET "+v1+"/blast-radius/classes", s.listClasses, sub, cabR),

		// Risk models.
		r("GET "+v1+"/risk-models", s.listRiskModels, sub, cabR),
		r("POST "+v1+"/risk-models", s.createRiskModel, cabR),
		r("GET "+v1+"/risk-models/active", s.activeRiskModel, sub, cabR),
		r("GET "+v1+"/risk-models/{version}", s.getRiskModel, sub, cabR),
		r("GET "+v1+"/risk-models/{version}/approval-statement", s.modelApprovalStatement, cabR),
		r("POST "+v1+"/risk-models/{version}/approve", s.approveRiskModel, cabR),
		r("POST "+v1+"/risk-models/{version}/activate", s.activateRiskModel, cabR),

		// Evidence.
		r("POST "+v1+"/evidence", s.createEvidence, sub),
		r("GET "+v1+"/evidence/{correlation_id}", s.getEvidence, sub, cabR),
		r("POST "+v1+"/evidence/{id}/validate", s.validateEvidence, sub),

		// The CAB flow.
		r("POST "+v1+"/cab/requests", s.submitRequest, sub),
		r("GET "+v1+"/cab/requests/{id}", s.getRequest, sub, cabR),
		r("GET "+v1+"/cab/requests/{id}/approval-statement", s.requestApprovalStatement, cabR),
		r("POST "+v1+"/cab/requests/{id}/approve", s.approveRequest, cabR),
		r("POST "+v1+"/cab/requests/{id}/reject", s.rejectRequest, cabR),
		r("POST "+v1+"/cab/requests/{id}/exception", s.requestException, sub),
		r("POST "+v1+"/cab/requests/{id}/exception/approve", s.approveException, cabR),
		r("POST "+v1+"/cab/requests/{id}/deployments", s.recordDeployment, sub),
		r("GET "+v1+"/cab/requests/{id}/receipt", s.requestReceipt, sub, cabR),

		// The audit log.
		r("GET "+v1+"/audit/checkpoint", s.getCheckpoint, cabR),
		r("GET "+v1+"/audit/events/{seq}/proof", s.proveEvent, cabR),
		r("GET "+v1+"/audit/events/{seq}/receipt", s.validationReceipt, sub, cabR),
		r("POST "+v1+"/audit/consistency", s.proveConsistency, cabR),
	}
}

// publicRoutes are the endpoints outside the API, which need no token
// (/metrics, unless deps.MetricsAuth).
func (s *Server) publicRoutes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /healthz":      http.HandlerFunc(s.healthz),
		"GET /readyz":       http.HandlerFunc(s.readyz),
		"GET /metrics":      s.metricsHandler(),
		"GET /openapi.json": http.HandlerFunc(s.serveOpenAPI),
	}
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	for _, rt := range s.routeTable() {
		s.mux.Handle(rt.pattern, s.endpoint(rt))
	}
	for pattern, h := range s.publicRoutes() {
		s.mux.Handle(pattern, h)
	}
	// Everything else: 404, or 405 when the path exists for other methods.
	s.mux.HandleFunc("/", s.notFound)
}

// endpoint authenticates the caller, checks its roles, and runs the
// handler, writing any error as a problem.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.authenticate(r)
		if err == nil {
			if info := infoFrom(r.Context()); info != nil {
				info.principal = p.Name
			}
			if !p.has(rt.roles...) {
				err = forbidden(p, rt.roles)
			}
		}
		if err == nil {
			err = rt.handler(w, r, p)
			if r.Method != http.MethodGet {
				s.nudgeSink() // it may have appended audit events
			}
		}
		if err != nil {
			s.writeProblem(w, r, err)
		}
	})
}

// notFound answers requests no endpoint matches.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		e := newHTTPError(http.StatusMethodNotAllowed, codeMethodNotAllowed, "", r.Method+" is not allowed here")
		e.header = map[string]string{"Allow": strings.Join(allow, ", ")}
		s.writeProblem(w, r, e)
		return
	}
	s.writeProblem(w, r, newHTTPError(http.StatusNotFound, codeNotFound, "", "no endpoint at "+r.URL.Path))
}
