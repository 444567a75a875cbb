// Package cab decides whether a deployment may go ahead automatically, needs
// change advisory board (CAB) review, or needs a time-boxed exception.
//
// [Decide] is a pure function of a risk score, a blast radius class and a
// risk model version: no I/O, no clock, no allocation. Its rules, the first
// that applies deciding:
//
//	rule                                         outcome             reason code
//	score ≥ the model's exception threshold      exception_required  SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD
//	class never auto-approves (CRITICAL_INFRA…)   manual_review       CLASS_NEVER_AUTO_APPROVES
//	class threshold is 0                         manual_review       AUTO_APPROVAL_NOT_EARNED
//	score ≤ class threshold                      auto_approved       SCORE_WITHIN_THRESHOLD
//	otherwise                                    manual_review       SCORE_ABOVE_THRESHOLD
//
// A [Decision] carries the outcome, the deciding [Reason] (a stable
// [ReasonCode] and its text), the threshold and model version used and the
// quorum of distinct CAB approvals the class requires; [Decision.Reasons]
// lists every rule that applies, for people.
//
// # Exact, and fast
//
// Decisions compare decimals exactly: no float64 anywhere. The comparisons
// run on int64s in fixed-point form (9 decimal places) whenever the score
// and both thresholds have that form, as every real score and threshold
// does, and on the decimals themselves otherwise; the two paths give the
// same answer for every input, which a property test checks on random
// decimals of every kind (many digits, negative, equal to a threshold,
// beyond the fixed-point form) against shopspring's own Cmp.
//
// Decide holds no cache. A [riskmodel.Version] is a value with a public,
// mutable Thresholds map, copied freely and shared between goroutines: a
// cache written into it would be a data race under concurrent use, would
// make equal models compare unequal (reflect.DeepEqual), and could not
// tell that the map changed without reading it anyway. So Decide reads
// the class's threshold from the map and converts the two thresholds and
// the score on every call, and always sees the model as it is. A caller
// that decides many times under one model prepares it once with
// [NewRules]: [Rules] is an immutable snapshot, each class's threshold
// converted once and held in an array indexed by class, and
// [Rules.Decide] returns what Decide returns for that model, decision or
// error, converting only the score. BENCHMARKS.md gives both costs
// against the same rule written over float64.
//
// # Signatures, not status fields
//
// A [Workflow] holds an attest.Service: the service key signs each
// decision ([Request.DecisionPayload]) with everything it was decided
// from (the recorded factor values, the declared and classified class, the
// model's content hash), each exception, and, in service-attested mode,
// the approvals of the members its caller authenticated; in member-signed
// mode members sign their approvals themselves ([Request.ApprovalPayload],
// [Workflow.ApproveSigned]). [Authorize], on every path that authorises
// (Workflow.Authorize, RecordDeployment), believes only what verifies: the
// decision's signature, distinct verified approvals by members other than
// the submitter counted against the signed quorum, the signed exception's
// digest and expiry. A model decides only once [VerifyModel] accepts it
// under the signed maturity level in force; the verification is cached by
// the model's content hash, so Decide itself stays pure. Names are
// compared normalised (attest.NormalizeName).
//
// Decide does not trust the model to have been validated: the critical
// infrastructure veto holds even if a model carries a non-zero threshold for
// that class, and a missing or out-of-range threshold is an invalid-input
// error naming the field, as are a score outside [0, 100] and an unknown
// class (see Errors below).
//
// # JSON
//
// [Decision] and [Reason] marshal to one stable form, pinned by golden
// files in testdata: snake_case members (outcome, reason {code, text},
// score, class, threshold, exception_threshold, model_version,
// model_sha256, quorum); the score and thresholds as decimal strings
// ("12.5", never a JSON number, whatever shopspring's
// MarshalJSONWithoutQuotes says); outcomes, reason codes and classes as
// their string values; the model hash as 64 hex digits, omitted while zero.
// [Decision.Reasons] is derived, so it is not part of the form. Unmarshal
// validates: every member but model_sha256 is required, and an unknown
// member, an unknown enum value, a decimal that is not plain digits with an
// optional sign and fraction, a member of the wrong JSON type or a null
// document is an invalid-input error whose Field is the member's path
// ("reason.code"); an unknown class also wraps a *blastradius.ClassError.
// A *Decision member that is null stays nil, as encoding/json does.
//
// # Errors
//
// Every error is a *trustgate.Error or wraps one; trustgate.AsError gives
// its code, reason and field in one call:
//
//	code       reason                         sentinel                 when
//	invalid    —                              —                        an argument breaks a rule; Field names it ("score",
//	                                                                   "class", "model.thresholds[NON_CRITICAL]", "factors",
//	                                                                   "correlation_id", "approver", "justification", …)
//	invalid    EXCEPTION_EXPIRY_OUT_OF_RANGE  ErrExpiry              an expiry not 1 to 90 days ahead; Field "expires_at"
//	invalid    EVIDENCE_UNUSABLE              ErrEvidence            the evidence is tampered or lacks the artifact
//	forbidden  NOT_CAB_MEMBER                 ErrNotMember           the actor is not in the CAB
//	forbidden  SEPARATION_OF_DUTIES           ErrSeparationOfDuties  the submitter or requester approving
//	conflict   NOT_PENDING                    ErrNotPending          the request is not waiting for this step
//	conflict   DUPLICATE_APPROVAL             ErrDuplicateApproval   a second approval by one member
//	conflict   ARTIFACT_DIGEST_MISMATCH       ErrDigestMismatch      not the pinned build; Field "artifact_sha256"
//	conflict   DEPLOYMENT_NOT_AUTHORIZED      ErrNotAuthorized       not approved (yet): too few verified approvals
//	expired    EXCEPTION_EXPIRED              ErrExpired             the exception has lapsed
//	invalid    CLASS_BELOW_CLASSIFIED         ErrClassBelowClassified a declared class less severe than the classified one
//	invalid    SCORE_SUPPLIED                 ErrScoreSupplied       a bare score where factor values are required
//	forbidden  MEMBER_SIGNATURE_REQUIRED      ErrMemberSignature     member-signed mode: the service key approves for no one
//	invalid    STATEMENT_MISMATCH             attest.ErrStatement    a signed statement for another request, digest, decision
//	forbidden  UNKNOWN_KEY                    attest.ErrUnknownKey   no valid signature by a key of the member named
//	tampered   RECORD_TAMPERED                attest.ErrTampered     a stored record no longer matches what was signed
//	tampered   MODEL_UNVERIFIED               riskmodel.ErrUnverified the active model or level does not verify: nothing decides
//
// and the store's, passed through: not_found for an unknown request or
// evidence package, conflict for a different submission under a used
// correlation id. A refused workflow step is a [*WorkflowError] naming the
// request (errors.As), wrapping the sentinel (errors.Is) or, for a blank
// actor, reason or justification, an invalid-input error naming it. An
// unknown class wraps a *blastradius.ClassError, and factors that cannot be
// scored wrap riskmodel's error (errors.Is(err, riskmodel.ErrUnknownFactor)).
package cab
