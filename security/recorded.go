package security

import (
	"encoding/json"
	"strconv"

	"github.com/google/uuid"
)

// RecordedReport rebuilds the report of the validation ev recorded (a
// [EventValidationPassed] or [EventValidationFailed] event a [Validator]
// appended): its evidence, correlation id, artifact name and digest, each
// gate's check without its detail text (which the log does not keep), and
// AuditSeq ev.Seq. It is how a receipt or an audit route shows a past
// validation from the log alone. ev is taken as given: verify the log
// first to know it is the one recorded. Another type of event, or data
// that is not a validation's, is an invalid-input error naming the field
// ("data.evidence_id").
func RecordedReport(ev Event) (Report, error) {
	if ev.Type != EventValidationPassed && ev.Type != EventValidationFailed {
		return Report{}, fieldErr("type", "event "+strconv.FormatInt(ev.Seq, 10)+" is "+strconv.Quote(string(ev.Type))+", not a validation", nil)
	}
	var d validationRecord
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return Report{}, fieldErr("data", "not a validation's record: "+err.Error(), err)
	}
	id, err := uuid.Parse(d.EvidenceID)
	if err != nil {
		return Report{}, fieldErr("data.evidence_id", "malformed UUID "+strconv.Quote(d.EvidenceID), err)
	}
	rep := Report{EvidenceID: id, CorrelationID: ev.CorrelationID, ArtifactName: d.Artifact, AuditSeq: ev.Seq}
	if d.ArtifactSHA256 != "" {
		if rep.ArtifactDigest, err = ParseDigest("data.artifact_sha256", d.ArtifactSHA256); err != nil {
			return Report{}, err
		}
	}
	for i, c := range d.Checks {
		if !c.Gate.known() {
			return Report{}, fieldErr("data.checks["+strconv.Itoa(i)+"].gate", "unknown gate "+strconv.Quote(string(c.Gate)), nil)
		}
		rep.Checks = append(rep.Checks, Check{Gate: c.Gate, Passed: c.Passed, Skipped: c.Skipped, Code: c.Code})
	}
	if rep.Passed() != (ev.Type == EventValidationPassed) {
		return Report{}, fieldErr("data.checks", "the checks disagree with the event's type "+string(ev.Type), nil)
	}
	return rep, nil
}
