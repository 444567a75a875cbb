package sqlstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	"github.com/google/uuid"
)

// The validation benchmarks measure one whole security.Validator
// ValidateDeployment on a SQL store, everything but the artifact's bytes:
// the evidence read (a realistic ~20 KB package), its integrity check, the
// manifest, every gate, and the commit of the validation.passed audit event.
// The artifact is 64 bytes and the SBOM 63, so hashing them costs next to
// nothing (security's BenchmarkValidateDeployment measures the streaming
// hash). The product goal is under 1 ms per validation.
//
//	go test -run '^$' -bench ValidateDeployment -benchmem ./store/sqlstore
//
// The PostgreSQL variant runs when TRUSTGATE_TEST_POSTGRES_DSN is set.

var (
	benchArtifact = bytes.Repeat([]byte("MZ\x90\x00"), 16) // 64 bytes
	benchSBOM     = []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}`)
)

// benchEvidenceData returns an evidence document of about 20 KB, as a
// release pipeline uploads it: the artifact and SBOM digests, the declared
// class, build provenance, test and scan results, and the resolved
// dependency list that makes up most of its size.
func benchEvidenceData() []byte {
	sum := func(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }
	type dep struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		License string `json:"license"`
		PURL    string `json:"purl"`
		SHA256  string `json:"sha256"`
	}
	deps := make([]dep, 108)
	for i := range deps {
		name := fmt.Sprintf("component-%03d", i)
		deps[i] = dep{Name: name, Version: fmt.Sprintf("%d.%d.%d", 1+i%4, i%13, i%7), License: []string{"MIT", "Apache-2.0", "BSD-3-Clause"}[i%3],
			PURL: "pkg:generic/acme/" + name, SHA256: sum([]byte(name))}
	}
	doc := map[string]any{
		"blast_radius_class": "PRODUCTIVITY_TOOLS",
		"artifacts":          []any{map[string]any{"name": "acme-agent-7.2.1.msi", "sha256": sum(benchArtifact), "size": len(benchArtifact)}},
		"sbom":               map[string]any{"format": "cyclonedx", "spec_version": "1.5", "sha256": sum(benchSBOM)},
		"build": map[string]any{"pipeline": "release", "run": 18342, "commit": sum([]byte("commit"))[:40],
			"branch": "release/7.2", "builder": "ci-runner-windows-2022-04", "started_at": "2026-02-10T08:41:07Z",
			"finished_at": "2026-02-10T08:52:31Z"},
		"tests": map[string]any{"unit": map[string]int{"passed": 4182, "failed": 0, "skipped": 12},
			"integration": map[string]int{"passed": 311, "failed": 0, "skipped": 3}, "coverage": "81.4"},
		"scans": []any{
			map[string]any{"tool": "trivy", "version": "0.58.1", "critical": 0, "high": 0, "medium": 2, "low": 9},
			map[string]any{"tool": "semgrep", "version": "1.99.0", "findings": 0},
		},
		"dependencies": deps,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// benchmarkValidateDeployment stores the evidence in s and validates a
// deployment against it in a loop.
func benchmarkValidateDeployment(b *testing.B, s store.Store) {
	ctx := context.Background()
	data := benchEvidenceData()
	ev, err := security.NewEvidence(uuid.New(), "build-7.2.1", data, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if ev, err = s.CreateEvidence(ctx, ev, "release-pipeline"); err != nil {
		b.Fatal(err)
	}
	v, err := security.NewValidator(s, security.Options{})
	if err != nil {
		b.Fatal(err)
	}
	artifact, sbom := bytes.NewReader(benchArtifact), bytes.NewReader(benchSBOM)
	b.ReportAllocs()
	for b.Loop() {
		artifact.Reset(benchArtifact)
		sbom.Reset(benchSBOM)
		rep, err := v.ValidateDeployment(ctx, security.Request{EvidenceID: ev.ID, Artifact: artifact, SBOM: sbom,
			Actor: "intune-connector", CorrelationID: "chg-4711"})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Passed() {
			b.Fatalf("validation did not pass: %+v", rep.Checks)
		}
	}
	b.ReportMetric(float64(len(ev.Data)), "evidence-bytes")
}

// BenchmarkValidateDeploymentSQLite validates on a SQLite file opened as
// installations open it (sqlite.Open: WAL, synchronous=NORMAL, one writer
// connection, a read-only pool).
func BenchmarkValidateDeploymentSQLite(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "trustgate.db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	benchmarkValidateDeployment(b, db)
}

// BenchmarkValidateDeploymentPostgres validates on a fresh schema of the
// PostgreSQL server in TRUSTGATE_TEST_POSTGRES_DSN.
func BenchmarkValidateDeploymentPostgres(b *testing.B) {
	if os.Getenv(postgresEnv) == "" {
		b.Skip(postgresEnv + " not set: skipping PostgreSQL (source .ci/postgres.sh to start a server)")
	}
	s, err := sqlstore.New(openPostgres(b, freshSchema(b)), sqlstore.PostgreSQL, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	benchmarkValidateDeployment(b, s)
}
