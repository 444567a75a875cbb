// Package trustgate is an embeddable library for evidence-first deployment
// governance of enterprise endpoint software: packages pushed to managed
// devices through Intune, Jamf and similar tools.
//
// It decides whether a deployment may go ahead automatically, needs change
// advisory board (CAB) review, or needs a time-boxed exception, and it
// records enough to prove afterwards that nothing was swapped or rewritten on
// the way. Automation is earned: the score below which a deployment is
// approved automatically rises only as the measured incident rate stays low,
// one trust maturity level at a time, each step signed off by the CAB.
//
// This package holds the error vocabulary every package shares ([Error],
// its [Code] and [AsError]; see Errors below) and is otherwise the map: the
// work is done by the packages below, in the order a reader meets them.
//
// # Packages
//
//   - [github.com/buildworksai/trustgate/blastradius]: the four blast
//     radius classes (CRITICAL_INFRASTRUCTURE, BUSINESS_CRITICAL,
//     PRODUCTIVITY_TOOLS, NON_CRITICAL), their CAB quorums, and a classifier
//     whose rule set is data and which explains every answer.
//   - [github.com/buildworksai/trustgate/riskmodel]: risk model versions:
//     factor weights, per-class auto-approve thresholds, the exception
//     threshold, validation and scoring, and the seed version 1.1.
//   - [github.com/buildworksai/trustgate/cab]: the decision function, pure
//     and allocation-free, and the approval workflow: quorum, separation of
//     duties, time-boxed exceptions pinned to an artifact digest,
//     authorisation, shadow evaluation of candidate models.
//   - [github.com/buildworksai/trustgate/security]: evidence packages
//     hashed over their RFC 8785 canonical form, the pre-deployment
//     validator, and the hash-chained audit log with signed checkpoints;
//     with security/dsse (DSSE envelopes, signing through crypto.Signer)
//     and security/attest (the keyring, the service key, in-toto
//     statements, name normalisation).
//   - [github.com/buildworksai/trustgate/incident]: deployment records,
//     incidents, and calibration rates.
//   - [github.com/buildworksai/trustgate/maturity]: the trust maturity
//     levels and the engine that evaluates, progresses and regresses them.
//   - [github.com/buildworksai/trustgate/store]: the storage contract, with
//     the memstore and sqlstore (SQLite, PostgreSQL) adapters and the
//     storetest conformance suite.
//
// The programs under examples/ show them together: a quickstart, a
// connector, and a reference HTTP server.
//
// # A deployment, end to end
//
// A connector about to push "Zoom 6.1" to 4,000 laptops classifies it
// (PRODUCTIVITY_TOOLS: it matched the productivity keyword "Zoom"), scores
// its risk factors under the active model (say 18.50 under version 1.2,
// whose PRODUCTIVITY_TOOLS threshold is 20), and asks for a decision:
// auto_approved, with reason SCORE_WITHIN_THRESHOLD. Under the seed model
// 1.1, whose thresholds are all 0, the same request would go to manual
// review with reason AUTO_APPROVAL_NOT_EARNED; a Windows security update
// would go to review by three CAB members at any score below the exception
// threshold, because critical infrastructure never auto-approves.
//
// # Nobody alone authorises a deployment
//
// Nothing that can authorise or cap a decision is taken from storage
// unverified. Keys live outside the database: a service key trustgate signs
// with (through crypto.Signer: a KMS, an HSM, an agent), CAB members' keys,
// optionally evidence producers' keys, named in a keyring the embedding
// program loads ([github.com/buildworksai/trustgate/security/attest]).
// Every decision, approval, exception, evidence hash, incident report,
// risk model approval and maturity level is a DSSE envelope over a
// canonical in-toto Statement v1, so standard tools check it. The paths
// that authorise recompute from what was signed: cab.Authorize recounts
// distinct verified approvals against the signed decision's quorum; a risk
// model decides only when at least two CAB members other than its creator
// signed its content and its thresholds are within those of the signed
// maturity level in force; a submission gives facts and factor values, and
// trustgate classifies and scores them. Stored status fields are caches.
// store.Store.Verify checks every such record in one call and names the
// first that does not match what was signed. SECURITY.md says who holds
// which key and what each kind of attacker can and cannot do.
//
// # Errors
//
// Every error a trustgate package returns is an [*Error] or wraps one, so
// one call, errors.As with a *trustgate.Error or [AsError], gives a caller
// what kind of failure it is ([Invalid], [NotFound], [Conflict],
// [Forbidden], [Blocked], [Expired], [Tampered], [Canceled], [Internal]),
// the rule's reason where the code alone does not say (NOT_CAB_MEMBER,
// EVIDENCE_TAMPERED) and the field at fault, in one path style across
// packages: "weights[blast_radius]", "cmdb.service_tier",
// "rules[2].keywords[0]". Each package's documentation lists the codes and
// reasons it returns and the detail types (security.ValidationError,
// cab.WorkflowError, …) that errors.As still reaches. The reference
// server maps the codes to HTTP statuses with one table.
package trustgate
