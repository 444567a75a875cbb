// Package receipt exports trustgate's verdicts as records anyone can
// check with standard supply-chain tools: every validation, passed or
// failed ([Validation]), and every authorisation of a CAB request
// ([Authorization]) becomes an in-toto Statement v1 carrying a SLSA
// Verification Summary v1 predicate ("https://slsa.dev/verification_summary/v1"),
// in a DSSE envelope signed by the service key. With the inclusion proof
// of the audit event that recorded the verdict it makes a [Receipt],
// which [Verify] checks with nothing but the service's public key and the
// log's verifier key.
//
// # The statement
//
//	{"_type": "https://in-toto.io/Statement/v1",
//	 "subject": [{"name": "sapgui.msi", "digest": {"sha256": "e041…"}}],
//	 "predicateType": "https://slsa.dev/verification_summary/v1",
//	 "predicate": {
//	   "verifier": {"id": "https://github.com/buildworksai/trustgate"},
//	   "timeVerified": "2026-03-02T09:04:00.000000Z",
//	   "resourceUri": "trustgate:evidence/0190f5a4-…",
//	   "policy": {"uri": "trustgate:riskmodel/2.0", "digest": {"sha256": "b044…"}},
//	   "inputAttestations": [{"uri": "trustgate:audit/4", "digest": {"sha256": "fca1…"}}],
//	   "verificationResult": "FAILED",
//	   "verifiedLevels": ["FAILED", "TRUSTGATE_REASON_ARTIFACT_HASH_MISMATCH"]}}
//
// The payload is the statement's RFC 8785 canonical form, so one receipt
// has one encoding, and the envelope's payloadType is
// "application/vnd.in-toto+json".
//
//   - subject: the artifact, by name and SHA-256. For a validation, the
//     report's artifact; for an authorisation, the application and the
//     digest the request pinned, as its signed decision names them.
//   - verifier.id: [DefaultVerifierID] unless [Options.VerifierID];
//     verifier.version (VSA 1.1) only when [Options.VerifierVersion] is
//     set, so that readers of VSA 1.0 that refuse unknown fields read the
//     default receipt.
//   - timeVerified: the audit event's time (OccurredAt), written as the
//     event's canonical form writes it. Not the clock: a receipt is a
//     function of what it records, so exporting it again gives the same
//     statement, and the time can be checked against the proven leaf.
//     Options has no clock for that reason.
//   - resourceUri: "trustgate:evidence/<evidence id>" for a validation,
//     "trustgate:cab-request/<request id>" for an authorisation. trustgate
//     does not know where the artifact is fetched from; these name what
//     was verified, and a consumer expects them by this rule.
//   - policy: the risk model in force, "trustgate:riskmodel/<version>",
//     with its content hash (riskmodel.Version.ContentHash) as the sha256
//     digest. For an authorisation both come from the request's signed
//     decision, never from the caller.
//   - inputAttestations: exactly one entry, the audit event that recorded
//     the verdict, "trustgate:audit/<seq>", with the SHA-256 of the
//     event's canonical bytes: the leaf of the log's Merkle tree that the
//     inclusion proof proves (the proof carries those bytes as its extra
//     data; see the auditlog package).
//   - verificationResult and verifiedLevels: PASSED or FAILED, and the
//     reason codes as custom levels, which VSA v1 allows (custom values
//     that do not begin with "SLSA_"). A FAILED summary lists "FAILED"
//     first, as the specification asks. No SLSA build level is claimed:
//     trustgate does not verify build provenance. See [Validation] and
//     [Authorization] for the levels of each.
//
// # The receipt
//
// A [Receipt] is the envelope and the inclusion proof; its JSON form
// holds the envelope in DSSE's JSON form and the proof in its
// c2sp.org/tlog-proof@v1 text, so either can be handed to the tools that
// read those formats ([ParseReceipt], [Receipt.MarshalJSON]). [Verify]
// checks, in order: the payload type, the service key's signature, the
// statement and predicate (strictly: exactly what this package writes),
// the inclusion proof under an auditlog.Trust, and that the proven leaf is
// the event the statement names (digest, position, sequence number and
// time). Each failure is a *trustgate.Error wrapping one of the package's
// sentinels and naming the field at fault.
//
// The inclusion proof comes from the store (its ProveEvent), against a
// checkpoint published outside the database; the receipt functions take
// the event only, and need no store.
package receipt
