package security_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// BenchmarkCheckEvent measures what a log verifier spends on one event
// besides reading it: security.CheckEvent on a validation event of the
// kind the million-event log holds (a few hundred bytes of data: evidence,
// artifact, digest and five gates), the canonical form rebuilt and checked
// and two SHA-256 sums. Compare with BenchmarkVerifyLogSQLite's ns/event
// and BenchmarkReadLogSQLite's (store/sqlstore/sqlite).
func BenchmarkCheckEvent(b *testing.B) {
	events := benchEvents(b)
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var c security.CheckedEvent
		c, buf = security.CheckEvent(&events[i%len(events)], buf)
		i++
		if c == (security.CheckedEvent{}) {
			b.Fatal("no checked event")
		}
	}
}

// BenchmarkEventChecker is BenchmarkCheckEvent on one reused
// security.EventChecker, as each of a verifier's workers holds.
func BenchmarkEventChecker(b *testing.B) {
	events := benchEvents(b)
	var c security.EventChecker
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if c.Check(&events[i%len(events)]) == (security.CheckedEvent{}) {
			b.Fatal("no checked event")
		}
		i++
	}
}

// benchEvents is a log of 64 validation events as the million-event
// benchmark log holds, every one verified.
func benchEvents(b *testing.B) []security.Event {
	events := make([]security.Event, 64)
	head := security.Head{}
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	for i := range events {
		seq := int64(i + 1)
		type check struct {
			Gate   string `json:"gate"`
			Passed bool   `json:"passed"`
		}
		evidence := fmt.Sprintf("00000000-0000-4000-8000-%012x", seq%500)
		data, err := json.Marshal(struct {
			EvidenceID     string  `json:"evidence_id"`
			Artifact       string  `json:"artifact"`
			ArtifactSHA256 string  `json:"artifact_sha256"`
			Checks         []check `json:"checks"`
		}{evidence, fmt.Sprintf("acme-agent-7.%d.%d.msi", seq%50, seq%7), fmt.Sprintf("%064x", uint64(seq)*0x9e3779b97f4a7c15),
			[]check{{"EVIDENCE_INTEGRITY", true}, {"ARTIFACT_DIGEST", true}, {"SBOM_DIGEST", true}, {"SIGNATURE", true},
				{"BLAST_RADIUS_CLASS", true}}})
		if err != nil {
			b.Fatal(err)
		}
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[8:], uint64(seq))
		id[6], id[8] = 0x40, 0x80
		in := security.EventInput{Type: security.EventValidationPassed, Actor: "intune-connector",
			Subject: "evidence:" + evidence, CorrelationID: fmt.Sprintf("chg-%d", seq), Data: data}
		if events[i], err = security.NewEvent(head, in, id, at.Add(time.Duration(seq)*time.Second)); err != nil {
			b.Fatal(err)
		}
		head = security.Head{Size: seq, Hash: events[i].Hash}
	}
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range events { // every one verifies, as in a verification
		if _, err := v.Add(&events[i]); err != nil {
			b.Fatal(err)
		}
	}
	return events
}
