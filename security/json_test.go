package security_test

import (
	"encoding/json"
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/security"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// jsonReports are realistic validation reports, by name.
func jsonReports() map[string]security.Report {
	id := uuid.MustParse("0f8e1c2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b")
	digest := security.Digest{0x2c, 0xf2, 0x4d, 0xba, 0x5f, 0xb0, 0xa3, 0x0e, 0x26, 0xe8, 0x3b, 0x2a, 0xc5, 0xb9, 0xe2, 0x9e}
	return map[string]security.Report{
		"report_passed": {EvidenceID: id, CorrelationID: "chg-1001", ArtifactName: "sapgui.msi", ArtifactDigest: digest,
			Checks: []security.Check{
				{Gate: security.GateEvidence, Passed: true, Detail: "evidence package found, content hash verified"},
				{Gate: security.GateAttestation, Passed: true, Detail: "signed by producer ci-release"},
				{Gate: security.GateArtifact, Passed: true, Detail: "artifact SHA-256 matches the manifest"},
				{Gate: security.GateSBOM, Passed: true, Detail: "SBOM matches the evidence's digest"},
				{Gate: security.GateSBOMSignature, Passed: true, Detail: "SBOM signature verified"},
				{Gate: security.GateBlastRadius, Passed: true, Detail: "BUSINESS_CRITICAL"},
			}, AuditSeq: 4211},
		"report_failed": {EvidenceID: id, CorrelationID: "chg-1002", ArtifactName: "sapgui.msi", ArtifactDigest: digest,
			Checks: []security.Check{
				{Gate: security.GateEvidence, Passed: true, Detail: "evidence package found, content hash verified"},
				{Gate: security.GateArtifact, Code: security.ArtifactHashMismatch, Detail: "the artifact's SHA-256 is not the manifest's"},
				{Gate: security.GateSBOM, Code: security.SBOMHashMismatch, Detail: "the SBOM's SHA-256 is not the evidence's"},
				{Gate: security.GateSBOMSignature, Skipped: true, Detail: "no trustworthy SBOM to check a signature over"},
				{Gate: security.GateBlastRadius, Passed: true, Detail: "NON_CRITICAL"},
			}, AuditSeq: 4212},
		"report_evidence_not_found": {EvidenceID: id, CorrelationID: "chg-1003", ArtifactName: "zoom.pkg",
			Checks: []security.Check{
				{Gate: security.GateEvidence, Code: security.EvidenceNotFound, Detail: "no evidence package with this id"},
			}, AuditSeq: 4213},
	}
}

func sameReport(a, b security.Report) bool {
	return a.EvidenceID == b.EvidenceID && a.CorrelationID == b.CorrelationID && a.ArtifactName == b.ArtifactName &&
		a.ArtifactDigest == b.ArtifactDigest && a.AuditSeq == b.AuditSeq && slices.Equal(a.Checks, b.Checks)
}

func TestReportJSONGolden(t *testing.T) {
	for name, want := range jsonReports() {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back security.Report
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if !sameReport(back, want) {
				t.Errorf("decoded %+v, want %+v", back, want)
			}
		})
	}
}

func TestReportJSONRoundTrips(t *testing.T) {
	reports := jsonReports()
	reports["no checks"] = security.Report{EvidenceID: uuid.Nil, CorrelationID: "", ArtifactName: ""}
	for name, want := range reports {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var back security.Report
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %s: %v", name, b, err)
		}
		if !sameReport(back, want) || back.Passed() != want.Passed() {
			t.Errorf("%s: decoded %+v, want %+v", name, back, want)
		}
	}
}

func TestReportJSONWritesPassedAndAnEmptyArrayOfChecks(t *testing.T) {
	b, err := json.Marshal(security.Report{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"passed":false,"checks":[]`) {
		t.Errorf("got %s", b)
	}
}

func TestReportJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonReports()["report_failed"])
	if err != nil {
		t.Fatal(err)
	}
	doc := string(good)
	edit := func(old, new string) string {
		if !strings.Contains(doc, old) {
			t.Fatalf("%q not in %s", old, doc)
		}
		return strings.Replace(doc, old, new, 1)
	}
	for _, c := range []struct {
		name, doc, field string
	}{
		{"null", `null`, ""},
		{"a string", `"report"`, ""},
		{"malformed JSON", `{"checks":[`, ""},
		{"an unknown member", edit(`"audit_seq"`, `"seq":1,"audit_seq"`), "seq"},
		{"an unknown member of a check", edit(`"code":"ARTIFACT_HASH_MISMATCH"`, `"code":"ARTIFACT_HASH_MISMATCH","why":""`), "checks[1].why"},
		{"an unknown gate", edit(`"gate":"sbom"`, `"gate":"SBOM"`), "checks[2].gate"},
		{"an unknown reason code", edit(`"ARTIFACT_HASH_MISMATCH"`, `"HASH_WRONG"`), "checks[1].code"},
		{"a check without detail", edit(`,"detail":"NON_CRITICAL"`, ``), "checks[4].detail"},
		{"a check that is not an object", edit(`"checks":[`, `"checks":[1,`), "checks[0]"},
		{"checks not an array", `{"evidence_id":"0f8e1c2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b","correlation_id":"","artifact_name":"","passed":false,"checks":{},"audit_seq":1}`, "checks"},
		{"missing checks", `{"evidence_id":"0f8e1c2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b","correlation_id":"","artifact_name":"","passed":false,"audit_seq":1}`, "checks"},
		{"a malformed evidence id", edit(`"0f8e1c2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b"`, `"0f8e1c2a"`), "evidence_id"},
		{"an evidence id as a URN", edit(`"0f8e1c2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b"`, `"urn:uuid:0f8e1c2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b"`), "evidence_id"},
		{"a short digest", edit(`"artifact_sha256":"2cf2`, `"artifact_sha256":"2c`), "artifact_sha256"},
		{"a passed that the checks contradict", edit(`"passed":false,"checks"`, `"passed":true,"checks"`), "passed"},
		{"a missing passed", edit(`"passed":false,`, ``), "passed"},
		{"a string for a boolean", edit(`"passed":false,"checks"`, `"passed":"false","checks"`), "passed"},
		{"a negative audit_seq", edit(`"audit_seq":4212`, `"audit_seq":-1`), "audit_seq"},
		{"an audit_seq beyond int64", edit(`"audit_seq":4212`, `"audit_seq":92233720368547758070`), "audit_seq"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonReports()["report_passed"]
			got := before
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			if !sameReport(got, before) {
				t.Errorf("a failed decode changed the report to %+v", got)
			}
		})
	}
}
