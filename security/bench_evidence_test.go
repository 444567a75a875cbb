package security_test

import (
	"crypto/sha256"
	"testing"

	gowebpki "github.com/gowebpki/jcs"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// The references BenchmarkNewEvidence20KB is judged against, in the same
// binary and run: SHA-256 alone over the package's canonical bytes (the
// floor: NewEvidence must at least hash them), and another RFC 8785
// implementation, github.com/gowebpki/jcs, with SHA-256 over the same
// document (what NewEvidence would cost built on it, without a manifest).

// BenchmarkNewEvidenceRefSHA256 is crypto/sha256 over the canonical form
// of the 20 KB package, computed once outside the loop.
func BenchmarkNewEvidenceRefSHA256(b *testing.B) {
	e, err := security.NewEvidence(uuid.Nil, "bench", evidence20KB(), epoch)
	if err != nil {
		b.Fatal(err)
	}
	canon := []byte(e.Data)
	b.SetBytes(int64(len(evidence20KB())))
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(canon)
		if sum != e.ContentHash {
			b.Fatal("digest differs")
		}
	}
}

// BenchmarkNewEvidenceRefGowebpki is gowebpki/jcs.Transform of the 20 KB
// package and SHA-256 over its output.
func BenchmarkNewEvidenceRefGowebpki(b *testing.B) {
	doc := evidence20KB()
	e, err := security.NewEvidence(uuid.Nil, "bench", doc, epoch)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		out, err := gowebpki.Transform(doc)
		if err != nil {
			b.Fatal(err)
		}
		if sha256.Sum256(out) != e.ContentHash {
			b.Fatal("gowebpki/jcs's canonical form hashes differently")
		}
	}
}
