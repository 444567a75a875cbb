package security_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// patternReader yields n bytes of a fixed pattern without holding them: a
// 1 GiB artifact costs no memory to produce.
type patternReader struct {
	pattern []byte
	off     int
	left    int64
}

// pattern is the 64 KiB the pattern readers repeat. It is never written
// after it is made, so readers share it.
var pattern = func() []byte {
	p := make([]byte, 64<<10)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}()

func newPatternReader(n int64) *patternReader { return &patternReader{pattern: pattern, left: n} }

func (r *patternReader) Read(b []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > r.left {
		b = b[:r.left]
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], r.pattern[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pattern)
	}
	r.left -= int64(n)
	return n, nil
}

func patternDigest(n int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, newPatternReader(n))
	return hex.EncodeToString(h.Sum(nil))
}

var sizes = []struct {
	name string
	n    int64
}{{"1MiB", 1 << 20}, {"64MiB", 64 << 20}, {"1GiB", 1 << 30}}

// BenchmarkRawSHA256 is the reference: crypto/sha256 over the same bytes,
// read the same way, with nothing else.
func BenchmarkRawSHA256(b *testing.B) {
	for _, s := range sizes {
		b.Run(s.name, func(b *testing.B) {
			buf := make([]byte, 1<<20)
			b.SetBytes(s.n)
			b.ReportAllocs()
			for b.Loop() {
				h := sha256.New()
				r := newPatternReader(s.n)
				for {
					k, err := r.Read(buf)
					h.Write(buf[:k])
					if err != nil {
						break
					}
				}
				h.Sum(nil)
			}
		})
	}
}

// BenchmarkValidateArtifact is the whole ValidateDeployment (evidence read,
// every gate, audit append) over an in-memory store, so it measures the
// streaming hash and shows that allocation does not grow with the artifact.
func BenchmarkValidateArtifact(b *testing.B) {
	for _, s := range sizes {
		b.Run(s.name, func(b *testing.B) {
			f := newFakeStore()
			e, err := security.NewEvidence(uuid.New(), "bench", []byte(evidenceJSON(patternDigest(s.n), "", `"NON_CRITICAL"`)), epoch)
			if err != nil {
				b.Fatal(err)
			}
			f.evidence[e.ID] = e
			v, err := security.NewValidator(f, security.Options{Policy: security.Policy{SBOMOptional: true}})
			if err != nil {
				b.Fatal(err)
			}
			req := func() security.Request {
				return security.Request{EvidenceID: e.ID, Artifact: newPatternReader(s.n), Actor: "bench"}
			}
			if _, err := v.ValidateDeployment(b.Context(), req()); err != nil { // warm the buffer list
				b.Fatal(err)
			}
			b.SetBytes(s.n)
			b.ReportAllocs()
			for b.Loop() {
				f.events = f.events[:0]
				if _, err := v.ValidateDeployment(b.Context(), req()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// evidence20KB returns a realistic evidence document of about 20 KB.
func evidence20KB() []byte {
	var b strings.Builder
	b.WriteString(`{"build":{"pipeline":"release","run":1842,"commit":"9f1c2e","started":"2026-02-10T09:00:00Z"},"blast_radius_class":"PRODUCTIVITY_TOOLS","artifacts":[`)
	for i := range 40 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"component-%03d.msi","sha256":"%s","size":%d,"signed":true,"signer":"CN=BuildWorks Release Signing, O=BuildWorks.AI"}`, i, strings.Repeat(fmt.Sprintf("%02x", i), 32), 1048576+i*4093)
	}
	b.WriteString(`],"sbom":{"format":"cyclonedx","sha256":"` + strings.Repeat("5a", 32) + `","components":[`)
	for i := range 90 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"purl":"pkg:generic/lib-%d@1.%d.%d","licenses":["Apache-2.0"],"hash":"%s"}`, i, i%7, i%13, strings.Repeat("c3", 16))
	}
	b.WriteString(`]},"tests":{"passed":1284,"failed":0,"coverage":0.873,"suites":["unit","integration","upgrade-from-6.0"]},"notes":"Zoom client 6.1 — Ünïcödé ✓ release notes"}`)
	return []byte(b.String())
}

// BenchmarkNewEvidence20KB canonicalises (RFC 8785), checks and hashes a
// 20 KB evidence package: the upload path.
func BenchmarkNewEvidence20KB(b *testing.B) {
	doc := evidence20KB()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := security.NewEvidence(uuid.Nil, "bench", doc, epoch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvidenceIntact20KB verifies a stored 20 KB package: one SHA-256
// over its canonical bytes and a constant-time compare.
func BenchmarkEvidenceIntact20KB(b *testing.B) {
	e, err := security.NewEvidence(uuid.Nil, "bench", evidence20KB(), epoch)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(e.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if !e.Intact() {
			b.Fatal("not intact")
		}
	}
}

func TestPatternReaderProducesExactlyNBytes(t *testing.T) {
	n, err := io.Copy(io.Discard, newPatternReader(3<<20+17))
	if err != nil || n != 3<<20+17 {
		t.Fatalf("read %d, %v", n, err)
	}
	var a, b bytes.Buffer
	_, _ = io.Copy(&a, newPatternReader(100000))
	_, _ = io.CopyBuffer(&b, newPatternReader(100000), make([]byte, 333))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("pattern depends on read sizes")
	}
}
