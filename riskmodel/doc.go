// Package riskmodel holds risk model versions: how a deployment's risk
// factors are weighed into a score, and, per blast radius class, the score at
// or below which a deployment may be approved without CAB review.
//
// A [Version] is a plain value. [Version.Validate] checks every invariant and
// names each field that breaks one (see Errors below); [Version.Score]
// computes a [Score] that carries the model version and every factor's
// contribution. [Seed] returns version 1.1, the greenfield baseline every
// installation starts from.
//
// # Numbers
//
// Every weight, threshold and score is a [decimal.Decimal]: weights must sum
// to exactly 1 with no tolerance, which floating point cannot promise.
// Scores are rounded half-up to 2 decimal places; contributions are kept
// exact. [ParseDecimal] reads decimals from text and refuses NaN, infinities,
// hexadecimal and stray spaces.
//
// # Invariants
//
//   - Weights are each in [0, 1] and sum to exactly 1.
//   - Thresholds are in [0, 100], one for each of the four classes and no
//     other; CRITICAL_INFRASTRUCTURE's is always 0.
//   - The review date is after the effective date.
//   - Only a CAB-approved version can be active.
//
// Activation, uniqueness of the version string and immutability once stored
// are the store's to enforce; this package only describes a version.
//
// # Factors
//
// A model weighs a set of named factors; the defaults ([DefaultWeights]) are
// this project's starting point, not calibrated figures: privilege_elevation
// 0.20, blast_radius 0.20, change_complexity 0.15, test_evidence 0.15,
// supply_chain 0.15, rollback_capability 0.10, vendor_history 0.05. A version
// may weigh other factors (lower-case identifiers). Scoring requires a value
// in [0, 100] for exactly the factors the version weighs: a missing or
// unknown factor is an error, never a silent 0.
//
// # JSON
//
// [Score] and [Contribution] marshal to one stable form, pinned by a golden
// file in testdata: {"value", "model_version", "contributions"}, each
// contribution {"factor", "value", "weight", "points"}, every number a
// decimal string (never a JSON number, whatever shopspring's
// MarshalJSONWithoutQuotes says). Unmarshal validates the form: every
// member is required, and an unknown member, a factor name that is not a
// lower-case identifier, a malformed decimal, a member of the wrong JSON
// type or a null document is an invalid-input error whose Field is the
// member's path ("contributions[2].weight"). It does not recompute the
// score.
//
// A [Version] marshals to {"version", "mode", "effective_at", "review_at",
// "thresholds", "weights", "exception_threshold", "approval", "signoffs",
// "calibration", "created_by", "created_at", "active"}, thresholds by class
// and weights by factor as decimal strings, each signoff {"by", "at",
// "envelope"} with its DSSE envelope (pinned by golden files). Reading one
// needs only the numbers (a candidate file a CAB member writes), reads
// envelopes as strictly as dsse.Parse, and holds the result to
// [Version.Validate], so its errors name the member
// ("thresholds[CRITICAL_INFRASTRUCTURE]"). A version read back has the
// content hash of the one written. The JSON form is for people and
// programs; what approvals sign is the canonical content
// ([Version.ContentHash]), and nothing read is believed until its signoffs
// verify.
//
// # Errors
//
// Every error is a *trustgate.Error; trustgate.AsError (or errors.As)
// gives its code and field in one call. Invalid versions and scoring input
// have code trustgate.Invalid, a Field in the names of the JSON form
// ("version", "weights[blast_radius]", "thresholds[CRITICAL_INFRASTRUCTURE]",
// "approval.by", "factors[supply_chain]") and, as Err, the sentinel of the
// rule broken: [ErrRequired], [ErrMalformed], [ErrOutOfRange],
// [ErrWeightsSum], [ErrMissingThreshold], [ErrCriticalThreshold],
// [ErrMissingFactor] or [ErrUnknownFactor], for errors.Is. [ErrNotApproved]
// is a coded error itself (trustgate.Conflict, reason MODEL_NOT_APPROVED):
// [Version.Validate] reports an active version without approval with it,
// field "active", and the stores refuse to activate one with it.
// [Version.Validate] joins every problem it finds; AsError and errors.As
// give the first.
package riskmodel
