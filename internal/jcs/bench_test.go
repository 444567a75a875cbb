package jcs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
)

// Types of a realistic evidence document. Fields are declared in an order
// that is not the canonical one, as producers usually do.
type benchArtifact struct {
	Name      string            `json:"name"`
	SHA256    string            `json:"sha256"`
	Size      int64             `json:"size"`
	MediaType string            `json:"mediaType"`
	Signed    bool              `json:"signed"`
	Labels    map[string]string `json:"labels,omitempty"`
}

type benchComponent struct {
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	PURL     string   `json:"purl"`
	Licenses []string `json:"licenses"`
	Score    float64  `json:"score"`
}

type benchEvidence struct {
	SchemaVersion string           `json:"schemaVersion"`
	Kind          string           `json:"kind"`
	Subject       map[string]any   `json:"subject"`
	Artifacts     []benchArtifact  `json:"artifacts"`
	SBOM          map[string]any   `json:"sbom"`
	Metadata      map[string]any   `json:"metadata"`
	Risk          []float64        `json:"risk"`
	Notes         []string         `json:"notes"`
	Components    []benchComponent `json:"components"`
}

// benchDocument returns a deterministic evidence document of about 20 KB.
func benchDocument(tb testing.TB) string {
	tb.Helper()
	build := func(n int) []byte {
		ev := benchEvidence{
			SchemaVersion: "1.2.0",
			Kind:          "build-provenance",
			Subject: map[string]any{
				"repository": "github.com/example/trustgate-demo",
				"commit":     "9f1c2e3d4b5a69788796a5b4c3d2e1f00112233",
				"branch":     "release/2026.1",
				"author":     "Zoë Ångström <zoe@example.com>",
			},
			SBOM: map[string]any{
				"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
				"tools": []any{map[string]any{"vendor": "example", "name": "sbomgen", "version": "0.9.1"}},
			},
			Metadata: map[string]any{
				"pipeline": map[string]any{"id": 48213, "attempt": 2, "durationSeconds": 312.457, "cached": true,
					"runner": map[string]any{"os": "linux", "arch": "amd64", "cpus": 2, "memoryGiB": 24}},
				"approvals":  []any{"ops-team", "sécurité", "品質保証"},
				"thresholds": map[string]any{"maxCritical": 0, "maxHigh": 3, "minCoverage": 0.85, "epsilon": 1e-9},
				"message":    "Released \u2014 all checks passed \u2705 <ok> & \"quoted\"\n",
			},
			Notes: []string{"naïve café", "emoji \U0001F680 rocket", "tab\tand\\backslash", "Ελληνικά", "\ufb33 dalet"},
		}
		for i := range n {
			name := fmt.Sprintf("dist/trustgate_%d_linux_amd64.tar.gz", i)
			sum := sha256.Sum256([]byte(name))
			a := benchArtifact{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(1000003 * (i + 1)),
				MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Signed: i%3 != 0}
			if i%4 == 0 {
				a.Labels = map[string]string{"stage": "release", "région": "eu-west-1"}
			}
			ev.Artifacts = append(ev.Artifacts, a)
			ev.Risk = append(ev.Risk, float64(i)*0.137+1e-7, -float64(i)*1234.5)
			ev.Components = append(ev.Components, benchComponent{Type: "library",
				Name: fmt.Sprintf("github.com/lib/ünicode-%d", i), Version: fmt.Sprintf("v1.%d.%d", i, i*7),
				PURL: fmt.Sprintf("pkg:golang/github.com/lib/unicode-%d@v1.%d.%d", i, i, i*7), Licenses: []string{"MIT", "Apache-2.0"},
				Score: 9.8 - float64(i)/10})
		}
		out, err := json.MarshalIndent(ev, "", "  ")
		if err != nil {
			tb.Fatal(err)
		}
		return out
	}
	n := 1
	doc := build(n)
	for len(doc) < 20*1024 {
		n++
		doc = build(n)
	}
	return string(doc)
}

func BenchmarkCanonicalize20KB(b *testing.B) {
	src := []byte(benchDocument(b))
	dst, err := CanonicalizeObject(nil, src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst, err = CanonicalizeObject(dst[:0], src)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonicalize20KBNilDst measures the cost including growing a
// fresh output buffer on every call.
func BenchmarkCanonicalize20KBNilDst(b *testing.B) {
	src := []byte(benchDocument(b))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CanonicalizeObject(nil, src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonicalizeAndHash20KB measures the product path: canonicalise
// then SHA-256.
func BenchmarkCanonicalizeAndHash20KB(b *testing.B) {
	src := []byte(benchDocument(b))
	dst, err := CanonicalizeObject(nil, src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		dst, err = CanonicalizeObject(dst[:0], src)
		if err != nil {
			b.Fatal(err)
		}
		_ = sha256.Sum256(dst)
	}
}
