// Package security makes trustgate's records provable: evidence packages
// hashed over a canonical form, the pre-deployment validator a connector
// calls right before it pushes an artifact, and the append-only,
// hash-chained audit log.
//
// # Evidence
//
// An [Evidence] package is what a build says it produced: a JSON object
// holding at least "artifacts" (name and sha256 of each file), optionally an
// "sbom" with its sha256, and the "blast_radius_class". [NewEvidence]
// canonicalises it with RFC 8785 (the JSON Canonicalization Scheme: sorted
// members, ECMAScript number formatting, minimal escaping), so the content
// hash, SHA-256 over the canonical bytes, is the same whichever language
// produced the package. Duplicate member names, invalid UTF-8, lone
// surrogates, numbers beyond the double range, malformed digests and
// packages over [MaxEvidenceSize] are rejected with an invalid-input error
// that names the field and wraps the cause ([ErrDuplicateKey], …). Stores keep
// the canonical bytes, so checking a stored package ([Evidence.Intact]) is
// one SHA-256 and a constant-time compare.
//
// Evidence comes in the forms tools produce. A digest may be 64 hex digits
// or, as OCI and in-toto write it, "sha256:" and 64 lower-case hex digits
// ([ParseEvidenceDigest]); a digest of another algorithm is refused, naming
// the field and wrapping [ErrDigestAlgorithm]. And the data may be an
// in-toto Statement v1, whose subjects (name, and the sha256 of the digest
// set) are the artifacts: with trustgate's predicate type
// [PredicateManifest] its predicate carries the SBOM and the class; a
// statement of another type (a SLSA provenance) is wrapped, as
// "in_toto_statement", in an object that carries them beside it.
// [Manifest] describes the three forms.
//
// A digest is stored in one form, the [Digest] parsed out of the data: the
// manifest, the service statement's subjects, validation reports, audit
// events and CAB requests all hold it, written as 64 lower-case hex
// digits. The data itself is never rewritten, only canonicalised, because
// its bytes are what the content hash covers, what a package hashed in
// another language must match and what a producer signs: rewriting a
// "sha256:" digest would break all three. Two uploads that differ only in
// how a digest is written are therefore two documents with two content
// hashes (under one correlation id, a conflict), naming the same artifact.
//
// # Validation
//
// [Validator.ValidateDeployment] runs every gate and blocks the deployment
// if any fails, returning a [*ValidationError] with the first reason code,
// every failed check, the evidence package id and the correlation id:
//
//	EVIDENCE_NOT_FOUND         no package with that id
//	EVIDENCE_TAMPERED          the stored package no longer matches its content hash
//	EVIDENCE_UNATTESTED        with Options.Keys: the package is not what the service key signed, or lacks a required producer signature
//	ARTIFACT_NOT_IN_EVIDENCE   the named artifact is not in the package
//	ARTIFACT_HASH_MISMATCH     the artifact bytes do not hash to the evidence's digest
//	SBOM_MISSING               an SBOM is required (or declared) and none is given
//	SBOM_HASH_MISMATCH         the SBOM bytes do not hash to the evidence's digest
//	SBOM_SIGNATURE_INVALID     a trusted key is configured and no valid signature is given
//	BLAST_RADIUS_MISSING       the package names no blast radius class
//	BLAST_RADIUS_INVALID       the package names an unknown class
//
// The artifact arrives as an io.Reader of any size and is hashed once,
// streaming, in constant memory. Pass and fail both append an audit event
// before the call returns; an I/O error part-way is returned as it is and
// records no pass.
//
// The [Policy] zero value is the safe default: an SBOM is required and must
// match; signatures (Ed25519 over the SBOM's SHA-256 digest) are required as
// soon as a trusted key is configured. SBOMOptional relaxes the first for
// fleets whose packages carry no SBOM; an SBOM the evidence declares is
// always checked.
//
// # Attestation
//
// A content hash protects a package against accidents only: someone who can
// write the database can replace an artifact digest in the data and
// recompute the hash, and the evidence gate passes the attacker's build. So
// at upload [Evidence.Attest] has the service key (an attest.Service, keys
// held outside the database) sign an in-toto Statement v1 of the package
// ([PredicateEvidence]: its artifacts as subjects; its id, correlation id,
// content hash, creation time and producer as predicate) in a DSSE
// envelope. When the keyring names trusted evidence producers, the package
// must also carry a producer's DSSE signature over [ProducerPayload] of its
// data ([PredicateProducer]), so that the evidence generator is not the
// artifact packager; without one the upload fails
// (PRODUCER_SIGNATURE_MISSING, a statement mismatch or an unknown key).
//
// [Evidence.Verify] encodes the service statement again from the package as
// stored, compares bytes and checks the signatures; a failure is an
// attest.RecordError naming "evidence_packages/<id>" and the part
// ("content", "attestation", "producer"). With [Options.Keys] set the
// validator runs it as the attestation gate, EVIDENCE_UNATTESTED, right
// after the evidence gate. An embedding that sets no keys gets no
// protection against edits of the database: the gate does not run.
//
// # Audit log
//
// Every governance action (a model created, approved or activated, a
// validation, a CAB decision, approval or exception, a maturity change) is
// recorded as an [Event]. Each stores the previous event's hash and its own,
// SHA-256 over (previous hash ‖ the RFC 8785 form of the event), so any
// edit, deletion, insertion or reordering of stored events breaks the chain
// at that point. [VerifyChain] walks a log through the [EventReader] every
// store implements and reports the first broken link as a [*ChainError].
//
// The events are also the leaves of an RFC 6962 Merkle tree (each leaf an
// event's canonical form; package auditlog). A chain alone cannot see its
// tail cut off: verifying against checkpoints of the tree (C2SP
// tlog-checkpoint signed notes, [VerifyOptions].Checkpoints, opened under
// [VerifyOptions].Trust) kept where the log's writers cannot rewrite them
// detects truncation and rewriting too, the approach of transparency logs
// such as Go's checksum database. [ChainVerifier] does the same one event
// at a time, for a store that checks its stored tree in the same pass. The
// package trusts the keys it is given.
//
// The canonical form of an event is pinned by a test against an independent
// computation: changing it would make every stored chain fail to verify.
//
// # JSON
//
// [Report] and [Check] marshal to one stable form, pinned by golden files
// in testdata: snake_case members (evidence_id, correlation_id,
// artifact_name, artifact_sha256, passed, checks, audit_seq; a check's gate,
// passed, skipped, code, detail), the evidence id in the 36-character UUID
// form, the digest as 64 hex digits (omitted while zero), gates and reason
// codes as their string values, skipped omitted while false and code while
// empty. passed is [Report.Passed], written for readers; on reading it must
// agree with the checks. Unmarshal validates: an unknown member, gate or
// reason code, a missing required member, a malformed UUID or digest, a
// member of the wrong JSON type or a null document is an invalid-input
// error whose Field is the member's path ("checks[2].gate").
//
// An [Event] marshals to the line an audit log export or sink writes: seq,
// id, type, actor, subject and correlation_id (omitted while empty),
// occurred_at, data (its canonical JSON object) and prev_hash and hash as
// hex. Reading one back checks the form (text rules as for an
// [EventInput], data a JSON object, put back into canonical form so a
// reformatted or HTML-escaped line reads back to the bytes its hash covers), not the hash: a
// [ChainVerifier] does that.
//
// # Errors
//
// Every error is a *trustgate.Error or wraps one; trustgate.AsError gives
// its code, reason and field in one call:
//
//   - Invalid input (evidence, audit events, requests, keys) is
//     trustgate.Invalid with a Field in the names of the JSON form
//     ("correlation_id", "artifacts[0].sha256", "sbom.sha256",
//     "blast_radius_class", "data", "policy.trusted_keys[k1]") and, as Err,
//     the cause when there is one ([ErrDuplicateKey], [ErrInvalidUTF8], …,
//     for errors.Is).
//   - A blocked deployment is trustgate.Blocked with the first failing
//     reason code as its reason (trustgate.NotFound for EVIDENCE_NOT_FOUND),
//     wrapping the [*ValidationError] with every failed check (errors.As)
//     and, through it, [ErrBlocked].
//   - A package that does not verify against what was signed for it is an
//     attest.RecordError (errors.As) wrapping attest.ErrTampered:
//     trustgate.Tampered, reason RECORD_TAMPERED. [Evidence.Attest] refuses
//     a missing producer signature with reason PRODUCER_SIGNATURE_MISSING
//     ([ErrProducerSignatureMissing]), another statement with
//     attest.ErrStatement and an untrusted key with attest.ErrUnknownKey.
//   - A broken audit chain is a [*ChainError] naming the first bad event
//     (errors.As), wrapping [ErrChainBroken]: trustgate.Tampered, reason
//     AUDIT_CHAIN_BROKEN. A checkpoint that does not open under the trust
//     policy is auditlog's error (auditlog.ErrSignature, ErrOrigin,
//     ErrWitness: trustgate.Tampered; ErrMalformed, ErrKey:
//     trustgate.Invalid).
//   - Errors of the store, the readers and the context come back wrapped,
//     with their own code (a cancelled context: trustgate.Canceled).
package security
