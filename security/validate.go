package security

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/google/uuid"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/attest"
)

// ReasonCode names why a validation gate failed. Codes are stable.
type ReasonCode string

// The reason codes of [Validator.ValidateDeployment]'s gates.
const (
	EvidenceNotFound      ReasonCode = "EVIDENCE_NOT_FOUND"
	EvidenceTampered      ReasonCode = "EVIDENCE_TAMPERED"
	EvidenceUnattested    ReasonCode = "EVIDENCE_UNATTESTED" // only with Options.Keys: see Evidence.Verify
	ArtifactNotInEvidence ReasonCode = "ARTIFACT_NOT_IN_EVIDENCE"
	ArtifactHashMismatch  ReasonCode = "ARTIFACT_HASH_MISMATCH"
	SBOMMissing           ReasonCode = "SBOM_MISSING"
	SBOMHashMismatch      ReasonCode = "SBOM_HASH_MISMATCH"
	SBOMSignatureInvalid  ReasonCode = "SBOM_SIGNATURE_INVALID"
	BlastRadiusMissing    ReasonCode = "BLAST_RADIUS_MISSING"
	BlastRadiusInvalid    ReasonCode = "BLAST_RADIUS_INVALID"
)

// Gate names one check of the validator, in the order they run.
type Gate string

// The gates.
const (
	GateEvidence      Gate = "evidence"
	GateAttestation   Gate = "attestation" // only with Options.Keys
	GateArtifact      Gate = "artifact"
	GateSBOM          Gate = "sbom"
	GateSBOMSignature Gate = "sbom_signature"
	GateBlastRadius   Gate = "blast_radius"
)

// Audit event types written by the validator.
const (
	EventValidationPassed EventType = "validation.passed"
	EventValidationFailed EventType = "validation.failed"
)

// Check is the result of one gate.
type Check struct {
	Gate    Gate
	Passed  bool
	Skipped bool       // the gate had nothing trustworthy to check against
	Code    ReasonCode // set when the gate failed
	Detail  string     // for people
}

// Store is what the validator needs from storage. Every trustgate store
// satisfies it. EvidenceByID must return an error matching store.ErrNotFound
// (errors.Is) when there is no such package.
type Store interface {
	EvidenceByID(ctx context.Context, id uuid.UUID) (Evidence, error)
	AppendAudit(ctx context.Context, in EventInput) (Event, error)
}

// Policy says what a deployment must prove beyond the artifact's hash.
//
// The zero value is the safe default: an SBOM is required, and must match
// the evidence's SBOM digest; signatures are required as soon as a trusted
// key is configured.
type Policy struct {
	// SBOMOptional lets a deployment through without an SBOM when the
	// evidence declares none. When the evidence declares one, its bytes are
	// always required and checked.
	SBOMOptional bool
	// TrustedKeys are the Ed25519 public keys allowed to sign SBOM digests,
	// by key id. When any is configured, every deployment needs an SBOM and
	// a signature by one of them over the SBOM's SHA-256 digest.
	TrustedKeys map[string]ed25519.PublicKey
}

// Options configures a [Validator]. The zero value is valid.
type Options struct {
	Policy Policy
	// BufferSize is the read buffer for streaming hashes; 0 means 1 MiB,
	// which reaches ~93% of the raw SHA-256 rate on these machines.
	BufferSize int
	// Logger receives one record per validation; nil discards.
	Logger *slog.Logger
	// Keys, when set, adds the attestation gate (EVIDENCE_UNATTESTED): every
	// package must verify against the service key's signed statement of it
	// and, when the keyring names trusted producers, carry a producer's
	// signature ([Evidence.Verify]). Without Keys the validator trusts the
	// stored content hash, which protects against accidents only: whoever
	// can write the database can replace a package's data and recompute
	// its hash, and such a package passes.
	Keys *attest.Keyring
}

// maxIdleBuffers bounds the memory a validator keeps between calls.
const maxIdleBuffers = 4

// Validator runs the pre-deployment gates. It is safe for concurrent use.
type Validator struct {
	store  Store
	policy Policy
	keys   *attest.Keyring // nil: no attestation gate
	log    *slog.Logger
	size   int
	// bufs is a bounded free list of read buffers. Unlike a sync.Pool it is
	// not emptied by the garbage collector, so a steady stream of
	// validations reuses a few buffers instead of allocating 1 MiB each.
	bufs chan []byte
}

// NewValidator returns a validator over s. Each trusted key must be an
// Ed25519 public key (an invalid-input error naming it otherwise).
func NewValidator(s Store, opts Options) (*Validator, error) {
	if s == nil {
		return nil, fieldErr("store", "required", nil)
	}
	keys := make(map[string]ed25519.PublicKey, len(opts.Policy.TrustedKeys))
	for id, k := range opts.Policy.TrustedKeys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fieldErr("policy.trusted_keys["+id+"]", fmt.Sprintf("an Ed25519 public key is %d bytes, got %d", ed25519.PublicKeySize, len(k)), nil)
		}
		keys[id] = append(ed25519.PublicKey(nil), k...)
	}
	size := opts.BufferSize
	if size <= 0 {
		size = 1 << 20
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Validator{
		store:  s,
		policy: Policy{SBOMOptional: opts.Policy.SBOMOptional, TrustedKeys: keys},
		keys:   opts.Keys,
		log:    log,
		size:   size,
		bufs:   make(chan []byte, maxIdleBuffers),
	}, nil
}

// Request is one deployment to validate.
type Request struct {
	// EvidenceID is the evidence package the deployment claims.
	EvidenceID uuid.UUID
	// ArtifactName picks the artifact in the evidence; it may be empty when
	// the evidence lists exactly one.
	ArtifactName string
	// Artifact streams the bytes about to be deployed. Required.
	Artifact io.Reader
	// SBOM streams the software bill of materials, when there is one.
	SBOM io.Reader
	// SBOMSignature is an Ed25519 signature over the SBOM's SHA-256 digest.
	SBOMSignature []byte
	// Actor is who asks (a connector, a pipeline); recorded in the audit.
	Actor string
	// CorrelationID ties the audit event to the caller's request; it
	// defaults to the evidence package's correlation id.
	CorrelationID string
}

// Report is the result of a validation: every gate's check, and what was
// verified.
type Report struct {
	EvidenceID     uuid.UUID
	CorrelationID  string
	ArtifactName   string
	ArtifactDigest Digest // SHA-256 of the bytes read
	Checks         []Check
	AuditSeq       int64 // the audit event recording the outcome
}

// Passed reports whether every gate passed.
func (r Report) Passed() bool {
	for _, c := range r.Checks {
		if !c.Passed {
			return false
		}
	}
	return len(r.Checks) > 0
}

// ValidationError is returned when a deployment must not go ahead. Code is
// the first failing gate's reason; Failed lists every failed or skipped
// check. It comes wrapped in a *trustgate.Error with code
// [trustgate.Blocked] (or [trustgate.NotFound] when the first failure is
// EVIDENCE_NOT_FOUND) and reason Code; match it with errors.As.
// errors.Is(err, ErrBlocked) also holds.
type ValidationError struct {
	Code          ReasonCode
	Failed        []Check
	EvidenceID    uuid.UUID
	CorrelationID string
}

// ErrBlocked is wrapped by every [*ValidationError].
var ErrBlocked = errors.New("security: deployment blocked")

// blocked is the error a failed validation returns: ve, wrapped with the
// code its first failing check calls for.
func blocked(ve *ValidationError) error {
	code := trustgate.Blocked
	if ve.Code == EvidenceNotFound {
		code = trustgate.NotFound // the evidence the request addresses does not exist
	}
	return &trustgate.Error{Code: code, Reason: string(ve.Code), Err: ve}
}

func (e *ValidationError) Error() string {
	codes := make([]string, 0, len(e.Failed))
	for _, c := range e.Failed {
		if c.Code != "" {
			codes = append(codes, string(c.Code))
		}
	}
	return fmt.Sprintf("security: deployment blocked: %s (evidence %s, correlation %q; failed: %s)",
		e.Code, e.EvidenceID, e.CorrelationID, strings.Join(codes, ", "))
}

// Unwrap returns [ErrBlocked].
func (e *ValidationError) Unwrap() error { return ErrBlocked }
