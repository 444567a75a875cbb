package receipt

import (
	"slices"
	"strconv"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// Validation returns the receipt of a validation, passed or failed: an
// in-toto Statement v1 about the artifact (subject: rep.ArtifactName and
// rep.ArtifactDigest) carrying a SLSA Verification Summary v1, signed by
// svc's service key. event is the audit event the validator appended for
// rep (validation.passed or validation.failed); policy is the risk model
// in force ([ModelPolicy]).
//
// The summary says PASSED when every gate passed (rep.Passed), with
// verifiedLevels ["TRUSTGATE_VALIDATION_PASSED"]; otherwise FAILED, with
// verifiedLevels "FAILED" and then "TRUSTGATE_REASON_<code>" for the
// reason code of each failed gate, in the order the gates ran.
//
// A report that never hashed the artifact (the validation failed at the
// evidence, attestation or artifact gate: EVIDENCE_NOT_FOUND, say) has no
// ArtifactDigest, and a receipt names its artifact by digest: set
// rep.ArtifactDigest (and ArtifactName) to the artifact that was
// presented, or Validation refuses the report (field
// "report.artifact_sha256"). It also refuses, with an error wrapping
// [ErrInput] naming the field, a report without checks, an event that is
// not rep's (another type, subject or sequence number than rep.AuditSeq
// when that is set), an event whose fields do not give its hash, and an
// invalid policy.
func Validation(svc *attest.Service, rep security.Report, policy Policy, event security.Event, opts Options) (dsse.Envelope, error) {
	if rep.ArtifactDigest.IsZero() {
		return dsse.Envelope{}, fail(ErrInput, "report.artifact_sha256",
			"the validation never hashed the artifact: set the digest of the artifact presented to make its receipt")
	}
	if len(rep.Checks) == 0 {
		return dsse.Envelope{}, fail(ErrInput, "report.checks", "a report without checks records no validation")
	}
	if err := policy.check(); err != nil {
		return dsse.Envelope{}, err
	}
	passed := rep.Passed()
	wantType := security.EventValidationPassed
	if !passed {
		wantType = security.EventValidationFailed
	}
	switch {
	case event.Type != wantType:
		return dsse.Envelope{}, fail(ErrInput, "event.type", "the event is "+quote(string(event.Type))+"; the report's is "+string(wantType))
	case event.Subject != "evidence:"+rep.EvidenceID.String():
		return dsse.Envelope{}, fail(ErrInput, "event.subject", "the event is about "+quote(event.Subject)+", not evidence "+rep.EvidenceID.String())
	case rep.AuditSeq != 0 && event.Seq != rep.AuditSeq:
		return dsse.Envelope{}, fail(ErrInput, "event.seq", "the report was recorded by event "+strconv.FormatInt(rep.AuditSeq, 10)+
			", not "+strconv.FormatInt(event.Seq, 10))
	}
	leaf, err := leafOf(event)
	if err != nil {
		return dsse.Envelope{}, err
	}
	levels := []string{LevelValidationPassed}
	if !passed {
		levels = []string{LevelFailed}
		for i, c := range rep.Checks {
			if c.Passed || c.Code == "" {
				continue
			}
			l, err := codeLevel("report.checks["+strconv.Itoa(i)+"].code", string(c.Code))
			if err != nil {
				return dsse.Envelope{}, err
			}
			if !slices.Contains(levels, l) {
				levels = append(levels, l)
			}
		}
	}
	return seal(svc, attest.DigestSubject(rep.ArtifactName, rep.ArtifactDigest), EvidenceURIPrefix+rep.EvidenceID.String(),
		policy, leaf, passed, levels, opts)
}
