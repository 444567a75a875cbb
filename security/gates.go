package security

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/buildworksai/trustgate/internal/errs"
	"github.com/google/uuid"
)

// ValidateDeployment runs every gate against the evidence package the
// request names and blocks the deployment if any fails:
//
//	gate            reason codes
//	evidence        EVIDENCE_NOT_FOUND, EVIDENCE_TAMPERED
//	attestation     EVIDENCE_UNATTESTED (only with Options.Keys)
//	artifact        ARTIFACT_NOT_IN_EVIDENCE, ARTIFACT_HASH_MISMATCH
//	sbom            SBOM_MISSING, SBOM_HASH_MISMATCH
//	sbom_signature  SBOM_SIGNATURE_INVALID
//	blast_radius    BLAST_RADIUS_MISSING, BLAST_RADIUS_INVALID
//
// Every gate runs and is reported, except that when the evidence is missing,
// tampered or unattested the others have nothing trustworthy to check
// against and are reported as skipped; likewise the signature gate when the
// SBOM's own hash failed.
//
// The attestation gate runs when [Options.Keys] is set: the package must
// verify against what the service key signed for it at upload, and carry a
// trusted producer's signature when the keyring names producers
// ([Evidence.Verify], parts "attestation" and "producer"; the content part
// is EVIDENCE_TAMPERED's). Its detail is the record error. A package stored
// before trustgate signed evidence fails it ("unsigned"). Without Keys
// there is no such gate: the stored content hash is all the evidence gate
// checks, and someone who can write the database can replace both.
//
// The artifact (and SBOM) are read once, streaming, in constant memory;
// digests are compared in constant time.
//
// The outcome is appended to the audit log (validation.passed or
// validation.failed) before ValidateDeployment returns; if the event cannot
// be written the deployment does not pass. On a failed gate the error wraps
// a [*ValidationError] (code [trustgate.Blocked], or [trustgate.NotFound]
// for EVIDENCE_NOT_FOUND, with the first failing reason code as the
// reason) and the [Report] is returned as well.
//
// Errors that are not a verdict come back as they are, with no audit event
// and no pass: a request without an artifact or an actor (code
// [trustgate.Invalid]), a reader that fails part-way, a store that cannot
// be read, a cancelled context.
func (v *Validator) ValidateDeployment(ctx context.Context, req Request) (Report, error) {
	if req.Artifact == nil {
		return Report{}, fieldErr("artifact", "an artifact reader is required", nil)
	}
	return v.validate(ctx, req, streams{v: v, artifact: req.Artifact, sbom: req.SBOM})
}

// DigestRequest describes a deployment by the SHA-256 digests of its bytes,
// computed by the caller: a service that receives digests rather than files
// (the reference HTTP server), or a connector that has already hashed the
// package it is about to push. The fields mean what they mean in [Request].
type DigestRequest struct {
	EvidenceID     uuid.UUID
	ArtifactName   string
	ArtifactDigest Digest
	// SBOMDigest is nil when no SBOM is supplied.
	SBOMDigest    *Digest
	SBOMSignature []byte
	Actor         string
	CorrelationID string
}

// ValidateDigests runs the same gates as [Validator.ValidateDeployment],
// with the same reason codes and audit events, on digests the caller
// computed. It proves only that the digests match the evidence: the caller
// vouches that they are the digests of the bytes it will deploy, which is
// why a connector should stream the bytes through ValidateDeployment.
func (v *Validator) ValidateDigests(ctx context.Context, req DigestRequest) (Report, error) {
	if req.ArtifactDigest.IsZero() {
		return Report{}, fieldErr("artifact_sha256", "an artifact digest is required", nil)
	}
	return v.validate(ctx, Request{EvidenceID: req.EvidenceID, ArtifactName: req.ArtifactName, SBOMSignature: req.SBOMSignature,
		Actor: req.Actor, CorrelationID: req.CorrelationID}, digests{artifact: req.ArtifactDigest, sbom: req.SBOMDigest})
}

// material is where the digests of what is being deployed come from:
// readers streamed through SHA-256, or digests computed elsewhere.
type material interface {
	// artifactDigest returns the artifact's digest and size (-1: unknown).
	artifactDigest(ctx context.Context) (Digest, int64, error)
	// sbomDigest returns the SBOM's digest and size; ok is false when no
	// SBOM was supplied.
	sbomDigest(ctx context.Context) (d Digest, n int64, ok bool, err error)
}

type streams struct {
	v              *Validator
	artifact, sbom io.Reader
}

func (s streams) artifactDigest(ctx context.Context) (Digest, int64, error) {
	return s.v.digest(ctx, s.artifact)
}

func (s streams) sbomDigest(ctx context.Context) (Digest, int64, bool, error) {
	if s.sbom == nil {
		return Digest{}, 0, false, nil
	}
	d, n, err := s.v.digest(ctx, s.sbom)
	return d, n, true, err
}

type digests struct {
	artifact Digest
	sbom     *Digest
}

func (d digests) artifactDigest(context.Context) (Digest, int64, error) { return d.artifact, -1, nil }

func (d digests) sbomDigest(context.Context) (Digest, int64, bool, error) {
	if d.sbom == nil {
		return Digest{}, 0, false, nil
	}
	return *d.sbom, -1, true, nil
}

// size describes n bytes for a check's detail.
func size(n int64) string {
	if n < 0 {
		return "digest supplied by the caller"
	}
	return fmt.Sprintf("%d bytes", n)
}

// validate runs every gate; req supplies the identity fields, src the
// digests.
func (v *Validator) validate(ctx context.Context, req Request, src material) (Report, error) {
	if err := checkText("actor", req.Actor, true); err != nil {
		return Report{}, err
	}
	if req.CorrelationID != "" {
		if err := checkCorrelationID(req.CorrelationID); err != nil {
			return Report{}, err
		}
	}
	rep := Report{EvidenceID: req.EvidenceID, CorrelationID: req.CorrelationID, ArtifactName: req.ArtifactName}

	ev, err := v.store.EvidenceByID(ctx, req.EvidenceID)
	switch {
	case errors.Is(err, errs.ErrNotFound):
		rep.Checks = append(rep.Checks, fail(GateEvidence, EvidenceNotFound, fmt.Sprintf("no evidence package %s", req.EvidenceID)))
		rep.Checks = v.skipAfterEvidence(rep.Checks)
		return v.finish(ctx, req, rep)
	case err != nil:
		return Report{}, fmt.Errorf("security: reading evidence %s: %w", req.EvidenceID, err)
	}
	if rep.CorrelationID == "" {
		rep.CorrelationID = ev.CorrelationID
	}
	m, merr := ev.Manifest()
	if !ev.Intact() || merr != nil {
		rep.Checks = append(rep.Checks, fail(GateEvidence, EvidenceTampered,
			"the stored evidence no longer matches its content hash "+ev.ContentHash.String()))
		rep.Checks = v.skipAfterEvidence(rep.Checks)
		return v.finish(ctx, req, rep)
	}
	rep.Checks = append(rep.Checks, pass(GateEvidence, "content hash "+ev.ContentHash.String()+" verified"))

	// Attestation: the content hash is the one the service key signed.
	if v.keys != nil {
		producer, err := ev.verifySigned(v.keys, m)
		if err != nil {
			rep.Checks = append(rep.Checks, fail(GateAttestation, EvidenceUnattested, err.Error()))
			rep.Checks = skipRest(rep.Checks, GateArtifact, GateSBOM, GateSBOMSignature, GateBlastRadius)
			return v.finish(ctx, req, rep)
		}
		detail := "signed by the service key " + v.keys.ServiceKeyID()
		if v.keys.RequiresProducer() {
			detail += ", produced by " + producer
		}
		rep.Checks = append(rep.Checks, pass(GateAttestation, detail))
	}

	// Artifact.
	if art, ok := m.Artifact(req.ArtifactName); !ok {
		rep.Checks = append(rep.Checks, fail(GateArtifact, ArtifactNotInEvidence,
			fmt.Sprintf("the evidence lists no artifact %q (it lists %d)", req.ArtifactName, len(m.Artifacts))))
	} else {
		rep.ArtifactName = art.Name
		got, n, err := src.artifactDigest(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("security: reading artifact %q: %w", art.Name, err)
		}
		rep.ArtifactDigest = got
		if got.Equal(art.SHA256) {
			rep.Checks = append(rep.Checks, pass(GateArtifact, fmt.Sprintf("%s: %s, sha256 %s", art.Name, size(n), got)))
		} else {
			rep.Checks = append(rep.Checks, fail(GateArtifact, ArtifactHashMismatch,
				fmt.Sprintf("%s: sha256 %s (%s), the evidence says %s", art.Name, got, size(n), art.SHA256)))
		}
	}

	// SBOM and its signature.
	sbomCheck, sbomDigest, err := v.checkSBOM(ctx, m, src)
	if err != nil {
		return Report{}, err
	}
	rep.Checks = append(rep.Checks, sbomCheck)
	rep.Checks = append(rep.Checks, v.checkSignature(sbomCheck, sbomDigest, req.SBOMSignature))

	// Blast radius.
	if _, err := m.Class(); err != nil {
		code := BlastRadiusInvalid
		if !m.HasBlastRadius || m.BlastRadius == "" {
			code = BlastRadiusMissing
		}
		rep.Checks = append(rep.Checks, fail(GateBlastRadius, code, err.Error()))
	} else {
		rep.Checks = append(rep.Checks, pass(GateBlastRadius, m.BlastRadius))
	}
	return v.finish(ctx, req, rep)
}

func (v *Validator) checkSBOM(ctx context.Context, m Manifest, src material) (Check, Digest, error) {
	required := !v.policy.SBOMOptional || len(v.policy.TrustedKeys) > 0
	switch {
	case m.SBOM == nil && required:
		return fail(GateSBOM, SBOMMissing, "policy requires an SBOM and the evidence declares no SBOM digest"), Digest{}, nil
	case m.SBOM == nil:
		return pass(GateSBOM, "no SBOM declared; the policy does not require one"), Digest{}, nil
	}
	got, n, ok, err := src.sbomDigest(ctx)
	switch {
	case err != nil:
		return Check{}, Digest{}, fmt.Errorf("security: reading SBOM: %w", err)
	case !ok:
		return fail(GateSBOM, SBOMMissing, "the evidence declares an SBOM but none was supplied"), Digest{}, nil
	case !got.Equal(m.SBOM.SHA256):
		return fail(GateSBOM, SBOMHashMismatch, fmt.Sprintf("SBOM sha256 %s (%s), the evidence says %s", got, size(n), m.SBOM.SHA256)), got, nil
	}
	return pass(GateSBOM, fmt.Sprintf("%s, sha256 %s", size(n), got)), got, nil
}

func (v *Validator) checkSignature(sbom Check, digest Digest, sig []byte) Check {
	switch {
	case len(v.policy.TrustedKeys) == 0:
		return pass(GateSBOMSignature, "no trusted keys configured: signatures are not required")
	case !sbom.Passed:
		return Check{Gate: GateSBOMSignature, Skipped: true, Detail: "no verified SBOM digest to check a signature over"}
	case len(sig) != ed25519.SignatureSize:
		return fail(GateSBOMSignature, SBOMSignatureInvalid, fmt.Sprintf("an Ed25519 signature is %d bytes, got %d", ed25519.SignatureSize, len(sig)))
	}
	for id, k := range v.policy.TrustedKeys {
		if ed25519.Verify(k, digest[:], sig) {
			return pass(GateSBOMSignature, "signed by trusted key "+id)
		}
	}
	return fail(GateSBOMSignature, SBOMSignatureInvalid, "the signature does not verify under any trusted key")
}

// digest streams r through SHA-256 with a pooled buffer. It reads with a
// plain loop rather than io.CopyBuffer, which hands an *os.File to its
// WriterTo and reads 32 KiB at a time whatever buffer it was given.
func (v *Validator) digest(ctx context.Context, r io.Reader) (Digest, int64, error) {
	var buf []byte
	select {
	case buf = <-v.bufs:
	default:
		buf = make([]byte, v.size)
	}
	defer func() {
		select {
		case v.bufs <- buf:
		default: // enough idle buffers: let this one go
		}
	}()
	h := sha256.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Digest{}, n, err
		}
		k, err := r.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			n += int64(k)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return Digest{}, n, err
		}
	}
	var d Digest
	h.Sum(d[:0])
	return d, n, nil
}

// auditCheck is a check as recorded in the audit event.
type auditCheck struct {
	Gate    Gate       `json:"gate"`
	Passed  bool       `json:"passed"`
	Skipped bool       `json:"skipped,omitempty"`
	Code    ReasonCode `json:"code,omitempty"`
}

// validationRecord is the data of a validation's audit event.
type validationRecord struct {
	EvidenceID     string       `json:"evidence_id"`
	Artifact       string       `json:"artifact"`
	ArtifactSHA256 string       `json:"artifact_sha256,omitempty"`
	Checks         []auditCheck `json:"checks"`
}

// finish records the outcome and turns a failure into a ValidationError.
func (v *Validator) finish(ctx context.Context, req Request, rep Report) (Report, error) {
	passed := rep.Passed()
	checks := make([]auditCheck, len(rep.Checks))
	for i, c := range rep.Checks {
		checks[i] = auditCheck{c.Gate, c.Passed, c.Skipped, c.Code}
	}
	data, err := json.Marshal(validationRecord{rep.EvidenceID.String(), rep.ArtifactName, digestOrEmpty(rep.ArtifactDigest), checks})
	if err != nil {
		return Report{}, err
	}
	typ := EventValidationPassed
	if !passed {
		typ = EventValidationFailed
	}
	ev, err := v.store.AppendAudit(ctx, EventInput{
		Type: typ, Actor: req.Actor, Subject: "evidence:" + rep.EvidenceID.String(),
		CorrelationID: rep.CorrelationID, Data: data,
	})
	if err != nil {
		return Report{}, fmt.Errorf("security: recording the validation outcome: %w", err)
	}
	rep.AuditSeq = ev.Seq
	if passed {
		v.log.LogAttrs(ctx, slog.LevelInfo, "deployment validated",
			slog.String("evidence_id", rep.EvidenceID.String()), slog.String("artifact", rep.ArtifactName),
			slog.String("correlation_id", rep.CorrelationID), slog.Int64("audit_seq", ev.Seq))
		return rep, nil
	}
	verr := &ValidationError{EvidenceID: rep.EvidenceID, CorrelationID: rep.CorrelationID}
	for _, c := range rep.Checks {
		if c.Passed {
			continue
		}
		if verr.Code == "" && c.Code != "" {
			verr.Code = c.Code
		}
		verr.Failed = append(verr.Failed, c)
	}
	v.log.LogAttrs(ctx, slog.LevelWarn, "deployment blocked",
		slog.String("evidence_id", rep.EvidenceID.String()), slog.String("code", string(verr.Code)),
		slog.String("correlation_id", rep.CorrelationID), slog.Int64("audit_seq", ev.Seq))
	return rep, blocked(verr)
}

func digestOrEmpty(d Digest) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func pass(g Gate, detail string) Check { return Check{Gate: g, Passed: true, Detail: detail} }

func fail(g Gate, code ReasonCode, detail string) Check {
	return Check{Gate: g, Code: code, Detail: detail}
}

// skipAfterEvidence reports every gate after the evidence gate as skipped.
func (v *Validator) skipAfterEvidence(checks []Check) []Check {
	if v.keys != nil {
		checks = skipRest(checks, GateAttestation)
	}
	return skipRest(checks, GateArtifact, GateSBOM, GateSBOMSignature, GateBlastRadius)
}

func skipRest(checks []Check, gates ...Gate) []Check {
	for _, g := range gates {
		checks = append(checks, Check{Gate: g, Skipped: true, Detail: "skipped: no trustworthy evidence to check against"})
	}
	return checks
}
