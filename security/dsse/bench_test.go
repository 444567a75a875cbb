package dsse_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/buildworksai/trustgate/security/dsse"
)

// The benchmarks sign and verify testPayload, a 250-byte in-toto
// statement, with one Ed25519 key. BenchmarkRawEd25519Verify is the floor:
// ed25519.Verify over the same PAE, computed once outside the loop; the
// overhead of Verify is its ratio to it.

func BenchmarkSealEd25519(b *testing.B) {
	s := mustSigner(b, edKey(1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dsse.Seal(testType, testPayload, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyEd25519(b *testing.B) {
	key := edKey(1)
	env := mustSeal(b, testType, testPayload, mustSigner(b, key))
	pub := key.Public()
	b.ReportAllocs()
	for b.Loop() {
		if err := dsse.Verify(&env, pub); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawEd25519Verify(b *testing.B) {
	key := edKey(1)
	pae := dsse.PAE(testType, testPayload)
	sig := ed25519.Sign(key, pae)
	pub := key.Public().(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, pae, sig) {
			b.Fatal("does not verify")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	env := mustSeal(b, testType, testPayload, mustSigner(b, edKey(1)))
	data, err := env.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dsse.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
