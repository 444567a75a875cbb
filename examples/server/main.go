// Command server is the reference HTTP API of trustgate: net/http only,
// JSON in and out, on an embedded SQLite database by default or on
// PostgreSQL by DSN.
//
//	go run ./examples/server -dev-tokens                      # SQLite file trustgate.db, printed dev tokens and keys
//	go run ./examples/server -token-file tokens.json -service-key service.pem -keyring keyring.json -db /var/lib/trustgate/trustgate.db
//	go run ./examples/server -token-file tokens.json -service-key service.pem -keyring keyring.json -postgres 'postgres://…'
//	echo -n "$TOKEN" | go run ./examples/server -hash-token   # the token_sha256 of a token
//
// The store is migrated and seeded (store.Seed, signed by the service key)
// at start.
//
// # Keys
//
// Keys are configuration held outside the database, which nobody who can
// write the database can change. The service key (-service-key, a PEM
// PKCS #8 Ed25519 or ECDSA P-256 private key, used through crypto.Signer,
// so it could as well live in a KMS) signs every decision, exception,
// evidence package and seed, and in service-attested mode countersigns the
// approvals of authenticated CAB members. The keyring (-keyring) says who
// the CAB is and which keys it trusts:
//
//	{"mode": "member-signed", "model_quorum": 2,
//	 "members":   {"alice": ["-----BEGIN PUBLIC KEY-----\n…"], "bob": ["…"], "carol": ["…"]},
//	 "producers": {"packaging-pipeline": ["-----BEGIN PUBLIC KEY-----\n…"]}}
//
// Public keys are PEM SubjectPublicKeyInfo (what go run ./examples/sign
// -keygen and openssl pkey -pubout print); the service's public key is
// taken from the service key. mode is "service-attested" (the default:
// the service key countersigns the approval of the member the bearer token
// authenticated, which already defeats an attacker who can write the
// database but holds no key) or "member-signed" (the strongest: an
// approval counts only when the member signed it with a key of their own,
// and the server never holds one). model_quorum is how many members other
// than its creator must approve a risk model (2 by default, never fewer).
// When the keyring names producers, an evidence upload must carry a
// producer's signature. Without -keyring the keyring is service-attested
// and its members are the CAB principals of the token file, without keys
// of their own.
//
// Every principal with role cab or admin must be a member of the keyring
// (names compare normalised: case folded, trimmed, NFC); the server
// refuses to start otherwise, naming them.
//
// -dev-tokens also makes development keys in -dev-keys DIR (default a new
// temporary directory), printing where: service.pem, a key per CAB
// principal (dev-cab.pem, dev-cab-2.pem, dev-admin.pem) and keyring.json,
// their public keys in keyring form. Keys already in DIR are used again,
// so a server restarted with the same -dev-keys verifies what it signed
// before; keyring.json (set its mode to member-signed) can be passed as
// -keyring. A member signs from a terminal with go run ./examples/sign -key
// DIR/dev-cab.pem.
//
// # Signed approvals
//
// In member-signed mode a member approving (a CAB request, its exception,
// a risk model version, a maturity progression) first fetches the
// canonical statement to sign (GET …/approval-statement: an in-toto
// Statement v1 in RFC 8785 JSON, the exact bytes to sign), signs it (go
// run ./examples/sign -key alice.pem < statement.json > envelope.json) and
// posts {"envelope": <the DSSE envelope>} to the approve endpoint. In
// service-attested mode the approve endpoints take {"comment": …} (CAB
// requests) or no body, and a member's own envelope counts too. The
// statement must name the authenticated member.
//
// # Authentication and roles
//
// Every endpoint of /api/v1 needs "Authorization: Bearer <token>" (the
// probes, /metrics and /openapi.json do not; see Operation). Tokens come from a
// JSON token file (-token-file) that holds only their SHA-256:
//
//	{"principals": [
//	  {"name": "alice", "roles": ["submitter"], "token_sha256": "<64 hex digits>"},
//	  {"name": "carol", "roles": ["cab"],       "token_sha256": "…"}
//	]}
//
// or, for local use, from -dev-tokens, which makes a random token for
// each of the principals dev-submitter, dev-cab, dev-cab-2,
// dev-incident-reporter and dev-admin, prints them once to stdout and keeps
// only their hashes. A presented token is hashed and compared with every
// configured hash in constant time, with no early exit. The roles are
// submitter, cab, incident_reporter and admin; an admin may do everything.
// The principals with role cab or admin may act for the CAB, and must be
// members of the keyring, which is the CAB. The actor of every action
// (submitter, approver, requester, uploader) is the authenticated
// principal's name, never a body field.
//
// No or an unknown token is 401 with a WWW-Authenticate: Bearer challenge;
// a known token without the endpoint's role is 403.
//
// # Endpoints
//
//	method  path                                              roles                 success
//	POST    /api/v1/incidents                                 incident_reporter     201 (200 on repeat)
//	GET     /api/v1/incidents                                 incident_reporter,cab 200
//	GET     /api/v1/incidents/{id}                            incident_reporter,cab 200
//	PATCH   /api/v1/incidents/{id}                            incident_reporter     200
//	GET     /api/v1/maturity/status                           cab                   200
//	POST    /api/v1/maturity/evaluate                         cab                   201
//	GET     /api/v1/maturity/evaluations                      cab                   200
//	GET     /api/v1/maturity/evaluations/{id}                 cab                   200
//	GET     /api/v1/maturity/evaluations/{id}/approval-statement cab                200
//	POST    /api/v1/maturity/evaluations/{id}/approve         cab                   200
//	POST    /api/v1/blast-radius/classify                     submitter,cab         200
//	GET     /api/v1/blast-radius/classes                      submitter,cab         200
//	GET     /api/v1/risk-models                               submitter,cab         200
//	POST    /api/v1/risk-models                               cab                   201
//	GET     /api/v1/risk-models/active                        submitter,cab         200
//	GET     /api/v1/risk-models/{version}                     submitter,cab         200
//	GET     /api/v1/risk-models/{version}/approval-statement  cab                   200
//	POST    /api/v1/risk-models/{version}/approve             cab                   200
//	POST    /api/v1/risk-models/{version}/activate            cab                   200
//	POST    /api/v1/evidence                                  submitter             201 (200 on repeat)
//	GET     /api/v1/evidence/{correlation_id}                 submitter,cab         200
//	POST    /api/v1/evidence/{id}/validate                    submitter             200
//	POST    /api/v1/cab/requests                              submitter             201 (200 on repeat)
//	GET     /api/v1/cab/requests/{id}                         submitter,cab         200
//	GET     /api/v1/cab/requests/{id}/approval-statement      cab                   200
//	POST    /api/v1/cab/requests/{id}/approve                 cab                   200
//	POST    /api/v1/cab/requests/{id}/reject                  cab                   200
//	POST    /api/v1/cab/requests/{id}/exception               submitter             200
//	POST    /api/v1/cab/requests/{id}/exception/approve       cab                   200
//	POST    /api/v1/cab/requests/{id}/deployments             submitter             201 (200 on repeat)
//	GET     /api/v1/cab/requests/{id}/receipt                 submitter,cab         200 (409 NOT_IN_CHECKPOINT before a checkpoint holds its event)
//	GET     /api/v1/audit/checkpoint                          cab                   200 text/plain
//	GET     /api/v1/audit/events/{seq}/proof                  cab                   200 text/plain (409 NOT_IN_CHECKPOINT)
//	GET     /api/v1/audit/events/{seq}/receipt                submitter,cab         200 (a validation event's receipt)
//	POST    /api/v1/audit/consistency                         cab                   200 text/plain
//	GET     /healthz                                          (none)                200
//	GET     /readyz                                           (none)                200, 503 NOT_READY
//	GET     /metrics                                          (none; any with -metrics-token) 200
//	GET     /openapi.json                                     (none)                200
//
// Admins may call every endpoint. /openapi.json is the OpenAPI 3.1
// description of all of them (openapi.json, embedded; a test keeps it and
// the routes in step both ways). A risk model version named "active" is
// shadowed by /risk-models/active.
//
// A submission (POST /cab/requests) gives facts: classify, the classifier
// input, and factors, the risk factor values, which the active model
// scores; a declared class may only be as severe or more (422
// CLASS_BELOW_CLASSIFIED), and a bare score is refused (422 SCORE_SUPPLIED)
// unless the server runs with -allow-supplied-score. A risk model version
// needs the approval of -keyring's model_quorum members other than its
// creator, and activates only when it verifies and its thresholds are no
// looser than the maturity level in force allows (409 MODEL_UNVERIFIED);
// a maturity progression applies once two members approved it (the answer
// says applied, with the count and the quorum).
//
// # Idempotency and correlation
//
// Every request carries or gets an X-Correlation-ID: a client's value is
// kept if it is 1 to 128 visible ASCII characters, otherwise the server
// makes a UUID; the response always carries it, problem bodies repeat it,
// and every log record written while serving the request (the library's
// included) has it. The gates' audit events record it.
//
// Evidence uploads, incident reports and CAB submissions are idempotent on
// their correlation_id (the body member, or else the X-Correlation-ID the
// client sent; a server-made id is never used): the same body again answers
// 200 with the stored record, a different one under the same key 409.
// Approving twice is 409; recording the same deployment twice answers 200
// with the stored record; classification is a pure function; each
// maturity evaluation is a new record.
//
// # Bodies and formats
//
// Request bodies must be application/json (PATCH also takes
// application/merge-patch+json), 415 otherwise; at most 1 MiB (-max-body),
// evidence uploads security.MaxEvidenceSize plus 64 KiB, 413 beyond; exactly
// one JSON value with no unknown members, 400 otherwise. Decimals (scores,
// thresholds, weights, money) travel as JSON strings such as "42.50" and are
// parsed exactly (riskmodel.ParseDecimal); times are RFC 3339. Classifier
// enumerations are strings (privilege "user", criticality "HIGH", tier
// "Tier1"); RTO and RPO are whole minutes.
//
// # Wire format
//
// Where a library type has a JSON form (its package doc's JSON section,
// pinned by golden files) and the answer is that value, the server writes
// the form as it is, so a client reads it with the library's
// UnmarshalJSON and openapi.json describes one shape:
//
//	security.Report       POST /evidence/{id}/validate, and the validation of POST …/deployments
//	security.Check        a blocked deployment's failed_checks
//	cab.Decision          a CAB request's decision
//	incident.Deployment   the deployment of POST …/deployments
//	incident.Incident     the incident routes, and each incident of GET /incidents (one object,
//	                      its resolution inline, with the service key's attestation envelope)
//	maturity.Evaluation   POST /maturity/evaluate, GET /maturity/evaluations[/{id}], and the
//	                      evaluation in the answer of …/approve
//
// Decimals in these forms are exact ("18.5", never padded to "18.50").
// The audit sink's lines are security.Event's form, and a risk model's
// body (POST /risk-models) is the numbers of riskmodel.Version's form,
// the candidate file trustgate shadow reads (the server refuses the members
// only it sets: approval, signoffs, created_by, created_at, active).
//
// The other answers are the server's own shapes, because no one library
// value holds what they show: a CAB request (its decision, approvals,
// rejection and exception together) adds reasons, cab.Decision.Reasons
// (every reason that applies, the deciding one first), which the library
// derives and so leaves out of the decision's form; a classification adds
// the class's quorum and whether it may ever auto-approve to
// blastradius.Result; the maturity status (and a transition's state) adds
// the level's name; a risk model version adds to riskmodel.Version's
// form the approvers whose signoffs verify and the quorum; the answer of an evaluation's approval wraps the
// evaluation with the count, the quorum and the transition; an evidence
// package shows its canonical data and its producer. Request bodies (an
// incident report and its update, a submission, a deployment) stay the
// server's own too: they hold what a client may say, not the record the
// server makes of it.
//
// # Artifact digests
//
// Over HTTP the server never sees artifact bytes: the client hashes the
// artifact and SBOM it deploys and sends their SHA-256 (artifact_sha256,
// sbom_sha256) to POST /evidence/{id}/validate or POST
// /cab/requests/{id}/deployments. The server runs the evidence, artifact,
// SBOM-digest and blast-radius gates on them with the library's reason
// codes and audits the outcome. SBOM signatures are not checked over HTTP.
// The in-process security.Validator, which hashes the bytes it is given
// and checks signatures, is the connector path: a connector that can embed
// Go should use it.
//
// # Errors
//
// Errors are RFC 9457 problem details (application/problem+json) with
// type "https://trustgate.dev/problems/<code in lower kebab case>" (an
// identifier; it need not resolve), title, status, detail, instance (the
// request path), and the extension members code, correlation_id, field
// (for a field error), and for a blocked deployment evidence_id and
// failed_checks.
//
// Problems of the HTTP layer come first, each with its own status:
//
//	malformed JSON, trailing data, wrong JSON type     400 MALFORMED_JSON (a wrong type names the field path and the JSON type wanted)
//	a DSSE envelope that cannot be parsed              400 ENVELOPE_MALFORMED (+ field, "envelope.signatures[0].sig")
//	unknown JSON member                                400 UNKNOWN_FIELD
//	malformed query parameter                          400 INVALID_PARAMETER
//	no or unknown bearer token                         401 UNAUTHENTICATED
//	role missing                                       403 FORBIDDEN
//	unknown path, malformed path id                    404 NOT_FOUND
//	method not allowed                                 405 METHOD_NOT_ALLOWED
//	body too large                                     413 PAYLOAD_TOO_LARGE
//	wrong Content-Type                                 415 UNSUPPORTED_MEDIA_TYPE
//	missing evidence or deployment named in a body     422 EVIDENCE_NOT_FOUND / VALIDATION_FAILED
//	event after the latest saved checkpoint            409 NOT_IN_CHECKPOINT (proofs and receipts)
//	not ready (GET /readyz)                            503 NOT_READY
//
// Every library error carries a trustgate.Code (trustgate.AsError), and
// one table maps the code to the status; the problem's code is the error's
// reason when it has one, else the table's, and field is the field it
// names:
//
//	code       status  problem code without a reason   reasons the library gives
//	invalid    422     VALIDATION_FAILED (+ field)     EXCEPTION_EXPIRY_OUT_OF_RANGE (+ expires_at), EVIDENCE_UNUSABLE,
//	                                                   CLASS_BELOW_CLASSIFIED (+ class), SCORE_SUPPLIED (+ score),
//	                                                   STATEMENT_MISMATCH (+ the statement's field), KEY_UNSUPPORTED,
//	                                                   PRODUCER_SIGNATURE_MISSING (+ producer)
//	not_found  404     NOT_FOUND                       EVIDENCE_NOT_FOUND (+ evidence_id, failed_checks)
//	conflict   409     CONFLICT                        MODEL_NOT_APPROVED (+ active), NOT_PENDING, DUPLICATE_APPROVAL,
//	                                                   ARTIFACT_DIGEST_MISMATCH (+ artifact_sha256), DEPLOYMENT_NOT_AUTHORIZED,
//	                                                   EVALUATION_NOT_READY, EVALUATION_DECIDED, EVALUATION_STALE
//	forbidden  403     FORBIDDEN                       NOT_CAB_MEMBER, SEPARATION_OF_DUTIES, MEMBER_SIGNATURE_REQUIRED,
//	                                                   UNKNOWN_KEY, SIGNATURE_INVALID
//	blocked    422     (always a reason)               the gate's reason code, e.g. EVIDENCE_TAMPERED, EVIDENCE_UNATTESTED,
//	                                                   ARTIFACT_HASH_MISMATCH (+ evidence_id, failed_checks)
//	expired    409     EXCEPTION_EXPIRED               EXCEPTION_EXPIRED
//	tampered   409     TAMPERED                        MODEL_UNVERIFIED (a model that does not verify, or is looser than the
//	                                                   maturity level allows, decides and activates nothing), RECORD_TAMPERED
//	                                                   (a stored record does not match what was signed: it authorises
//	                                                   nothing), AUDIT_CHAIN_BROKEN, CHECKPOINT_INVALID
//	canceled   503     TIMEOUT                         (generic detail: the request took too long or was cancelled)
//	internal   500     INTERNAL                        (generic detail; the error is logged)
//
// So 400 means the request could not be read, 422 that it was read and a
// value in it is wrong.
//
// # Operation
//
// The server sets ReadHeaderTimeout, ReadTimeout, WriteTimeout and
// IdleTimeout, bounds each request's work with -request-timeout, logs JSON
// with log/slog to stderr (the library's records included), and shuts down
// gracefully on SIGINT or SIGTERM.
//
// GET /healthz answers 200 {"status":"ok"} while the process serves. GET
// /readyz answers 200 {"status":"ready","log_size":N,"checkpoint":"M"|"none"}
// only when the store answers, its schema is current, and the audit log
// verified at start, and 503 NOT_READY naming what is not otherwise. The
// SQL drivers have no "are migrations current" question: sqlite.Open and
// postgres.Open apply every migration of this build or fail, so the
// schema is current when the store opened. At start, while it already
// serves, the server runs store.VerifyLog (the chain, every event's hash,
// the stored Merkle tree) against the latest saved checkpoint, opened with
// the service key under the checkpoint's origin (go run
// ./examples/trustgate checkpoint signs them so); until it passed /readyz
// is 503, and a log that fails is logged, and the server serves on (the
// audit routes are what an auditor needs then) but is never ready.
//
// GET /metrics is the Prometheus text format, from a registry the server
// owns: trustgate_decisions_total{outcome,class},
// trustgate_validations_total{reason} (PASSED, or each failed check's
// reason code), trustgate_approvals_total{kind} (request, exception,
// model, evaluation), trustgate_http_request_duration_seconds{route,status}
// labelled by the route pattern, never the raw path, and the Go and
// process collectors. It needs no token, as scrapers expect, unless the
// server runs with -metrics-token (then any principal's token).
//
// The audit routes serve what the database holds for checking with
// standard tools; the server signs no checkpoint itself. The checkpoint is
// the signed note (c2sp.org/tlog-checkpoint); an event's proof is a
// c2sp.org/tlog-proof@v1 text against the latest saved checkpoint, the
// event's canonical bytes as its extra data; POST /audit/consistency
// takes {"old": note, "new": note} (new defaults to the latest saved) and
// answers the consistency proof (auditlog.ConsistencyProof's text); a
// request's receipt is the security/receipt JSON (the authorisation
// statement signed by the service key, and its event's inclusion proof),
// which receipt.Verify checks; GET /audit/events/{seq}/receipt is the
// same for the validation event seq (a validation answer's audit_seq),
// under the risk model in force when it ran.
//
// -audit-sink PATH (appended to; "-" for stdout) streams every committed
// audit event as a JSON line (the shape of trustgate export -log), in
// sequence order, each once per run, from the event after
// -audit-sink-after N (0: the whole log; the last seq shipped, to
// resume). It tails the log (every second, and at once after each write
// request), so events other writers of the database append are shipped
// too, and on shutdown it ships what is committed and flushes before the
// server exits.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/postgres"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// config is the command line.
type config struct {
	addr           string
	dbPath         string
	dsn            string
	tokenFile      string
	devTokens      bool
	devKeys        string
	serviceKey     string
	keyring        string
	hashToken      bool
	sbomOptional   bool
	suppliedScore  bool
	maxBody        int64
	requestTimeout time.Duration
	auditSink      string
	auditAfter     int64
	metricsToken   bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.dbPath, "db", "trustgate.db", "SQLite database file")
	fs.StringVar(&c.dsn, "postgres", "", "PostgreSQL DSN; when set, used instead of SQLite")
	fs.StringVar(&c.tokenFile, "token-file", "", "JSON file of principals: name, roles, token_sha256")
	fs.BoolVar(&c.devTokens, "dev-tokens", false, "make and print random tokens for development principals, and development keys (local use)")
	fs.StringVar(&c.devKeys, "dev-keys", "", "with -dev-tokens: directory of the development keys, made if missing (default: a new temporary directory)")
	fs.StringVar(&c.serviceKey, "service-key", "", "the service key: PEM PKCS #8 Ed25519 or ECDSA P-256 private key file")
	fs.StringVar(&c.keyring, "keyring", "", "JSON keyring file: mode, model_quorum, members' and producers' public keys (default: service-attested, the CAB principals)")
	fs.BoolVar(&c.suppliedScore, "allow-supplied-score", false, "accept CAB submissions that give a bare score instead of factor values")
	fs.BoolVar(&c.hashToken, "hash-token", false, "read a token on stdin, print its token_sha256 and exit")
	fs.BoolVar(&c.sbomOptional, "sbom-optional", false, "let deployments through without an SBOM when the evidence declares none")
	fs.Int64Var(&c.maxBody, "max-body", defaultMaxBody, "largest request body in bytes (evidence uploads excepted)")
	fs.DurationVar(&c.requestTimeout, "request-timeout", defaultRequestTimeout, "longest a request may work")
	fs.StringVar(&c.auditSink, "audit-sink", "", "stream every committed audit event as JSON lines to this file (appended to; - for stdout)")
	fs.Int64Var(&c.auditAfter, "audit-sink-after", 0, "with -audit-sink: stream the events after this sequence number (the last one shipped, to resume)")
	fs.BoolVar(&c.metricsToken, "metrics-token", false, "make /metrics need the bearer token of any principal")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.auditAfter < 0 {
		return c, fmt.Errorf("-audit-sink-after: %d is not a sequence number (0 or more)", c.auditAfter)
	}
	return c, nil
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.hashToken {
		b, err := io.ReadAll(io.LimitReader(stdin, 4096))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, hashToken(strings.TrimRight(string(b), "\r\n")))
		return nil
	}
	// One logger for the store, the library and the server; records
	// logged while serving a request carry its correlation id.
	log := slog.New(contextHandler{slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})})

	principals, devTokens, err := loadPrincipals(cfg)
	if err != nil {
		return err
	}
	keys, err := setupKeys(cfg, principals)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, closeStore, err := openStore(ctx, cfg, keys.service, log)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := store.Seed(ctx, st, keys.service, time.Now()); err != nil {
		return fmt.Errorf("seeding the store: %w", err)
	}

	srv, err := newServer(deps{
		Store: st, Principals: principals, Service: keys.service, Logger: log, SBOMOptional: cfg.sbomOptional,
		AllowSuppliedScore: cfg.suppliedScore, MaxBody: cfg.maxBody, RequestTimeout: cfg.requestTimeout,
		Migrated: true, LogKey: keys.public, MetricsAuth: cfg.metricsToken, // openStore migrated the schema
	})
	if err != nil {
		return err
	}
	var sinkOut io.Writer
	if cfg.auditSink != "" {
		w, closeSink, err := openSink(cfg.auditSink, stdout)
		if err != nil {
			return err
		}
		defer closeSink()
		sinkOut = w
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	if len(devTokens) > 0 {
		fmt.Fprintln(stdout, "development tokens (shown once; only their hashes are kept):")
		for _, p := range principals {
			if tok, ok := devTokens[p.Name]; ok {
				fmt.Fprintf(stdout, "  %-22s %-18s %s\n", p.Name, p.Roles[0], tok)
			}
		}
	}
	if keys.devDir != "" {
		fmt.Fprintf(stdout, "development keys (%s approvals) in %s:\n", keys.service.Keys().Mode(), keys.devDir)
		for _, f := range keys.devKeys {
			fmt.Fprintf(stdout, "  %s\n", filepath.Join(keys.devDir, f))
		}
		fmt.Fprintf(stdout, "sign a statement as a member: go run ./examples/sign -key %s < statement.json\n",
			filepath.Join(keys.devDir, "dev-cab.pem"))
	}
	// The log's check at start runs while the server serves: /healthz
	// answers at once, /readyz 503 until the check passed. A log that
	// fails it is logged, and the server serves on (an auditor needs the
	// audit routes most then) but is never ready.
	var verifying sync.WaitGroup
	defer verifying.Wait() // before the store closes; ctx's end stops it
	verifying.Go(func() {
		start := time.Now()
		if err := srv.verifyLog(ctx); err != nil {
			log.Error("the audit log does not verify", slog.String("error", err.Error()))
			return
		}
		log.Info("audit log verified", slog.Duration("took", time.Since(start)))
	})
	// The sink starts last, so that on stdout its lines follow what was
	// printed above.
	if sinkOut != nil {
		sinkCtx, stopSink := context.WithCancel(context.WithoutCancel(ctx))
		wait := srv.startSink(sinkCtx, sinkOut, cfg.auditAfter)
		defer func() {
			stopSink()
			if err := wait(); err != nil {
				log.Error(err.Error())
			}
		}()
	}
	return serve(ctx, ln, srv, cfg.requestTimeout, log)
}

// loadPrincipals reads the token file and adds development principals.
func loadPrincipals(cfg config) ([]principal, map[string]string, error) {
	var ps []principal
	if cfg.tokenFile != "" {
		fromFile, err := loadTokenFile(cfg.tokenFile)
		if err != nil {
			return nil, nil, err
		}
		ps = append(ps, fromFile...)
	}
	var tokens map[string]string
	if cfg.devTokens {
		dev, toks, err := devPrincipals(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		ps, tokens = append(ps, dev...), toks
	}
	if len(ps) == 0 {
		return nil, nil, errors.New("no principals: give -token-file or -dev-tokens")
	}
	return ps, tokens, nil
}

// openStore opens PostgreSQL when a DSN is given and the SQLite file
// otherwise, migrated, and the store over it, signing with svc.
func openStore(ctx context.Context, cfg config, svc *attest.Service, log *slog.Logger) (*store.Store, func(), error) {
	opts := sqlstore.Options{Logger: log}
	var (
		d       driver.Driver
		closeDB func() error
	)
	if cfg.dsn != "" {
		db, err := sql.Open("pgx", cfg.dsn)
		if err != nil {
			return nil, nil, err
		}
		pd, err := postgres.Open(ctx, db, opts)
		if err != nil {
			_ = db.Close()
			return nil, nil, fmt.Errorf("postgres: %w", err)
		}
		d, closeDB = pd, db.Close
		log.Info("store opened", slog.String("dialect", "postgresql"))
	} else {
		db, err := sqlite.Open(ctx, cfg.dbPath, opts)
		if err != nil {
			return nil, nil, err
		}
		d, closeDB = db, db.Close
		log.Info("store opened", slog.String("dialect", "sqlite"), slog.String("path", cfg.dbPath))
	}
	// The store signs what it completes itself (an incident's inferred
	// deployment) with the service key.
	s, err := store.New(d, store.Options{Logger: log, Service: svc})
	if err != nil {
		_ = closeDB()
		return nil, nil, err
	}
	return s, func() { _ = closeDB() }, nil
}

// openSink opens the audit sink's file for appending, or stdout for "-".
func openSink(path string, stdout io.Writer) (io.Writer, func(), error) {
	if path == "-" {
		return stdout, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("-audit-sink: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// serve runs srv on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler, requestTimeout time.Duration, log *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      requestTimeout + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
