package auditlog_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The log and witnesses of the tests. Keys come from fixed seeds, so every
// signature (Ed25519 is deterministic) and every note is the same on every
// run.
const (
	testOrigin  = "example.com/trustgate/log"
	otherOrigin = "example.com/other/log"
	witness1    = "witness1.example"
	witness2    = "witness2.example"
	witness9    = "witness9.example" // a witness no trust policy of the tests holds
)

// testTime is when the test witnesses cosign.
var testTime = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// edKey returns the Ed25519 key with the seed filled with b.
func edKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func mustSigner(t testing.TB, origin string, key ed25519.PrivateKey) *auditlog.Signer {
	t.Helper()
	s, err := auditlog.NewSigner(origin, key)
	if err != nil {
		t.Fatalf("NewSigner(%q): %v", origin, err)
	}
	return s
}

func mustCosigner(t testing.TB, name string, key ed25519.PrivateKey) *auditlog.Cosigner {
	t.Helper()
	c, err := auditlog.NewCosigner(name, key, func() time.Time { return testTime })
	if err != nil {
		t.Fatalf("NewCosigner(%q): %v", name, err)
	}
	return c
}

func mustWitnessVerifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := auditlog.NewWitnessVerifier(vkey)
	if err != nil {
		t.Fatalf("NewWitnessVerifier(%q): %v", vkey, err)
	}
	return v
}

func mustSign(t testing.TB, c auditlog.Checkpoint, signers ...note.Signer) []byte {
	t.Helper()
	msg, err := auditlog.Sign(c, signers...)
	if err != nil {
		t.Fatalf("Sign(%+v): %v", c, err)
	}
	return msg
}

func mustCosign(t testing.TB, msg []byte, signer note.Signer) []byte {
	t.Helper()
	out, err := auditlog.Cosign(msg, signer)
	if err != nil {
		t.Fatalf("Cosign: %v", err)
	}
	return out
}

// hashSlice is a tlog.HashReader over all the stored hashes of a tree,
// built here with tlog alone (see buildHashes), independently of
// auditlog.Tree.
type hashSlice []tlog.Hash

func (s hashSlice) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s)) {
			return nil, fmt.Errorf("hash %d not stored (%d stored)", x, len(s))
		}
		out[i] = s[x]
	}
	return out, nil
}

// leafData is the data of leaf i of the test logs.
func leafData(i int64) []byte { return fmt.Appendf(nil, "event %d", i) }

// buildHashes returns the stored hashes of the tree of the given leaves,
// computed by tlog.StoredHashes alone.
func buildHashes(t testing.TB, leaves [][]byte) hashSlice {
	t.Helper()
	var hs hashSlice
	for i, d := range leaves {
		h, err := tlog.StoredHashes(int64(i), d, hs)
		if err != nil {
			t.Fatalf("tlog.StoredHashes(%d): %v", i, err)
		}
		hs = append(hs, h...)
	}
	return hs
}

// testLog is a log of n leaves, leafData(0…n-1), signed by the log key,
// with the trust policy that names it and both trusted witnesses.
type testLog struct {
	signer *auditlog.Signer
	trust  auditlog.Trust
	leaves [][]byte
	hashes hashSlice
}

func newTestLog(t testing.TB, n int64) *testLog {
	t.Helper()
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = leafData(int64(i))
	}
	return newTestLogOf(t, leaves)
}

func newTestLogOf(t testing.TB, leaves [][]byte) *testLog {
	t.Helper()
	s := mustSigner(t, testOrigin, edKey(1))
	return &testLog{
		signer: s,
		trust:  testTrust(t, s),
		leaves: leaves,
		hashes: buildHashes(t, leaves),
	}
}

// testTrust trusts the log of s and the witnesses witness1 and witness2,
// with no quorum.
func testTrust(t testing.TB, s *auditlog.Signer) auditlog.Trust {
	t.Helper()
	v, err := auditlog.NewVerifier(s.VerifierKey())
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return auditlog.Trust{
		Origin: testOrigin,
		Log:    v,
		Witnesses: []note.Verifier{
			mustWitnessVerifier(t, mustCosigner(t, witness1, edKey(2)).VerifierKey()),
			mustWitnessVerifier(t, mustCosigner(t, witness2, edKey(3)).VerifierKey()),
		},
	}
}

// checkpoint returns the checkpoint of the first size leaves, its root
// computed by tlog.TreeHash over the stored hashes.
func (l *testLog) checkpoint(t testing.TB, size int64) auditlog.Checkpoint {
	t.Helper()
	h, err := tlog.TreeHash(size, l.hashes)
	if err != nil {
		t.Fatalf("tlog.TreeHash(%d): %v", size, err)
	}
	return auditlog.Checkpoint{Origin: testOrigin, Size: size, Hash: h}
}

// note returns the checkpoint of size leaves signed by the log.
func (l *testLog) note(t testing.TB, size int64) []byte {
	t.Helper()
	return mustSign(t, l.checkpoint(t, size), l.signer)
}

// wantFormatError checks that err is a *auditlog.FormatError about what at
// line, wrapping ErrMalformed, with code Invalid.
func wantFormatError(t testing.TB, err error, what string, line int) {
	t.Helper()
	var fe *auditlog.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
	if fe.What != what || fe.Line != line {
		t.Errorf("FormatError{What: %q, Line: %d} (%v), want What %q, Line %d", fe.What, fe.Line, err, what, line)
	}
	if !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("errors.Is(%v, ErrMalformed) = false", err)
	}
	if got := trustgate.ErrorCode(err); got != trustgate.Invalid {
		t.Errorf("code %q, want %q", got, trustgate.Invalid)
	}
}

// wantProofError checks that err is a *auditlog.ProofError of the kind,
// wrapping ErrProof, with code Tampered.
func wantProofError(t testing.TB, err error, kind string) {
	t.Helper()
	var pe *auditlog.ProofError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ProofError", err, err)
	}
	if pe.Kind != kind {
		t.Errorf("ProofError.Kind %q, want %q (%v)", pe.Kind, kind, err)
	}
	if !errors.Is(err, auditlog.ErrProof) {
		t.Errorf("errors.Is(%v, ErrProof) = false", err)
	}
	if got := trustgate.ErrorCode(err); got != trustgate.Tampered {
		t.Errorf("code %q, want %q", got, trustgate.Tampered)
	}
}

// wantIs checks errors.Is(err, target) and the code the error carries.
func wantIs(t testing.TB, err, target error, code trustgate.Code) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want one wrapping %v", err, target)
	}
	if got := trustgate.ErrorCode(err); got != code {
		t.Errorf("code %q, want %q (%v)", got, code, err)
	}
}
