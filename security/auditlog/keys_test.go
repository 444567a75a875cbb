package auditlog_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// The oracle is Go's own note package: what Sign writes, note.Open
// verifies with the verifier key, and the key is the one note derives.
func TestSignedCheckpointOpensWithGoNotePackage(t *testing.T) {
	key := edKey(1)
	s := mustSigner(t, testOrigin, key)
	want, err := note.NewEd25519VerifierKey(testOrigin, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if s.VerifierKey() != want {
		t.Errorf("VerifierKey() = %q, want note's %q", s.VerifierKey(), want)
	}
	if vk, err := auditlog.VerifierKey(testOrigin, key.Public()); err != nil || vk != want {
		t.Errorf("VerifierKey(origin, pub) = %q, %v; want %q", vk, err, want)
	}
	v, err := note.NewVerifier(s.VerifierKey())
	if err != nil {
		t.Fatalf("note.NewVerifier(%q): %v", s.VerifierKey(), err)
	}
	if s.Name() != testOrigin || s.KeyHash() != v.KeyHash() {
		t.Errorf("signer %s+%08x, note's verifier %s+%08x", s.Name(), s.KeyHash(), v.Name(), v.KeyHash())
	}
	if sv := s.Verifier(); sv.Name() != v.Name() || sv.KeyHash() != v.KeyHash() {
		t.Errorf("Verifier() is %s+%08x, want %s+%08x", sv.Name(), sv.KeyHash(), v.Name(), v.KeyHash())
	}

	c := auditlog.Checkpoint{Origin: testOrigin, Size: 5, Hash: testHash, Extensions: []string{"an extension"}}
	msg := mustSign(t, c, s)
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v\n%s", err, msg)
	}
	if n.Text != string(c.Body()) {
		t.Errorf("note text %q, want the checkpoint body %q", n.Text, c.Body())
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != testOrigin || len(n.UnverifiedSigs) != 0 {
		t.Errorf("signatures %+v, unverified %+v", n.Sigs, n.UnverifiedSigs)
	}
	// And the other way round: a note note.Sign writes with the signer opens.
	msg2, err := note.Sign(&note.Note{Text: string(c.Body())}, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(msg, msg2) {
		t.Errorf("Sign and note.Sign differ:\n%s\n%s", msg, msg2)
	}
	// A note signed by a signer from note's own private key format opens.
	skey, _, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(mustSign(t, c, ns), note.VerifierList(v)); err == nil {
		t.Error("a note signed by another key of the same name opened")
	}
}

func TestNewSignerRejects(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		origin string
		key    crypto.Signer
		want   error
		field  string
	}{
		{"an ECDSA key", testOrigin, ec, auditlog.ErrKey, "key"},
		{"no key", testOrigin, nil, auditlog.ErrKey, "key"},
		{"a short Ed25519 public key", testOrigin, shortKey{edKey(1)}, auditlog.ErrKey, "key"},
		{"an empty origin", "", edKey(1), auditlog.ErrMalformed, "origin"},
		{"an origin with a space", "example.com/a log", edKey(1), auditlog.ErrMalformed, "origin"},
		{"an origin with a tab", "example.com/a\tlog", edKey(1), auditlog.ErrMalformed, "origin"},
		{"an origin with a newline", "example.com/log\n", edKey(1), auditlog.ErrMalformed, "origin"},
		{"an origin with a plus", "example.com/a+log", edKey(1), auditlog.ErrMalformed, "origin"},
		{"an origin not UTF-8", "example.com/\xff", edKey(1), auditlog.ErrMalformed, "origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := auditlog.NewSigner(tc.origin, tc.key)
			if err == nil {
				t.Fatalf("NewSigner = %v, want an error", s)
			}
			wantIs(t, err, tc.want, trustgate.Invalid)
			if e := trustgate.AsError(err); e.Field != tc.field {
				t.Errorf("field %q, want %q", e.Field, tc.field)
			}
			if tc.key == nil || tc.want == auditlog.ErrMalformed {
				c, err := auditlog.NewCosigner(tc.origin, tc.key, nil)
				if err == nil {
					t.Fatalf("NewCosigner = %v, want an error", c)
				}
				wantIs(t, err, tc.want, trustgate.Invalid)
			}
			if tc.key != nil {
				vk, err := auditlog.VerifierKey(tc.origin, tc.key.Public())
				if err == nil {
					t.Fatalf("VerifierKey = %q, want an error", vk)
				}
				wantIs(t, err, tc.want, trustgate.Invalid)
			}
		})
	}
	if c, err := auditlog.NewCosigner(witness1, ec, nil); !errors.Is(err, auditlog.ErrKey) {
		t.Errorf("NewCosigner(ECDSA) = %v, %v; want ErrKey", c, err)
	}
}

// shortKey is an Ed25519 signer whose public key is truncated.
type shortKey struct{ ed25519.PrivateKey }

func (k shortKey) Public() crypto.PublicKey {
	return k.PrivateKey.Public().(ed25519.PublicKey)[:31]
}

// badSigner wraps an Ed25519 key and fails or corrupts its signatures.
type badSigner struct {
	ed25519.PrivateKey
	fail    bool
	corrupt bool
}

func (b badSigner) Sign(r io.Reader, msg []byte, o crypto.SignerOpts) ([]byte, error) {
	if b.fail {
		return nil, errors.New("the HSM is unplugged")
	}
	sig, err := b.PrivateKey.Sign(r, msg, o)
	if b.corrupt {
		sig[0] ^= 1
	}
	return sig, err
}

func TestSignerReportsAFailingKey(t *testing.T) {
	c := auditlog.Checkpoint{Origin: testOrigin, Size: 1, Hash: testHash}
	failing, err := auditlog.NewSigner(testOrigin, badSigner{PrivateKey: edKey(1), fail: true})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := auditlog.Sign(c, failing); err == nil || !strings.Contains(err.Error(), "the HSM is unplugged") {
		t.Errorf("Sign with a failing key = %q, %v; want its error", msg, err)
	}
	corrupt, err := auditlog.NewSigner(testOrigin, badSigner{PrivateKey: edKey(1), corrupt: true})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := auditlog.Sign(c, corrupt); !errors.Is(err, auditlog.ErrKey) {
		t.Errorf("Sign with a key that signs wrong = %q, %v; want ErrKey", msg, err)
	}
	if sig, err := corrupt.Sign([]byte("m")); !errors.Is(err, auditlog.ErrKey) {
		t.Errorf("Signer.Sign with a key that signs wrong = %x, %v; want ErrKey", sig, err)
	}
	cos, err := auditlog.NewCosigner(witness1, badSigner{PrivateKey: edKey(2), fail: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sig, err := cos.Sign(c.Body()); err == nil {
		t.Errorf("Cosigner.Sign with a failing key = %x, want an error", sig)
	}
}

func TestNewVerifierRejectsWhatIsNotAKey(t *testing.T) {
	good := mustSigner(t, testOrigin, edKey(1)).VerifierKey()
	if v, err := auditlog.NewVerifier("  " + good + "\n"); err != nil || v.Name() != testOrigin {
		t.Errorf("NewVerifier with surrounding space = %v, %v", v, err)
	}
	for _, vkey := range []string{
		"",
		"example.com/log",
		strings.Replace(good, "+", "+0", 1),
		good[:len(good)-4],
		mustCosigner(t, witness1, edKey(2)).VerifierKey(), // a cosignature key is not a log key
	} {
		v, err := auditlog.NewVerifier(vkey)
		if err == nil {
			t.Errorf("NewVerifier(%q) = %v, want an error", vkey, v)
			continue
		}
		wantFormatError(t, err, "verifier key", 0)
	}
}

// cosignatureKeyHash is the C2SP tlog-cosignature key ID, computed here
// from the spec: SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4].
func cosignatureKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.Sum256(append(append([]byte(name+"\n"), 0x04), pub...))
	return binary.BigEndian.Uint32(h[:4])
}

// sigLine returns the decoded signature of the note signature line by
// name.
func sigLine(t testing.TB, msg []byte, name string) []byte {
	t.Helper()
	_, sigs, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		t.Fatalf("no signatures in %q", msg)
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		if rest, ok := strings.CutPrefix(l, "— "+name+" "); ok {
			b, err := base64.StdEncoding.DecodeString(rest)
			if err != nil {
				t.Fatalf("signature line %q: %v", l, err)
			}
			return b
		}
	}
	t.Fatalf("no signature by %s in %q", name, msg)
	return nil
}

// The cosignature is checked against the C2SP tlog-cosignature v1 text
// with crypto/ed25519 alone: key ID with algorithm 0x04, then an 8-byte
// big-endian timestamp and an Ed25519 signature over
// "cosignature/v1\ntime <ts>\n" and the checkpoint body.
func TestCosignatureIsC2SPCosignatureV1(t *testing.T) {
	key := edKey(2)
	pub := key.Public().(ed25519.PublicKey)
	w := mustCosigner(t, witness1, key)
	c := auditlog.Checkpoint{Origin: testOrigin, Size: 20852163, Hash: testHash}
	msg := mustCosign(t, mustSign(t, c, mustSigner(t, testOrigin, edKey(1))), w)

	sig := sigLine(t, msg, witness1)
	if len(sig) != 4+8+ed25519.SignatureSize {
		t.Fatalf("cosignature of %d bytes, want 4+8+64", len(sig))
	}
	if got, want := binary.BigEndian.Uint32(sig[:4]), cosignatureKeyHash(witness1, pub); got != want || w.KeyHash() != want {
		t.Errorf("key ID %08x, KeyHash %08x, want %08x", got, w.KeyHash(), want)
	}
	ts := binary.BigEndian.Uint64(sig[4:12])
	if ts != uint64(testTime.Unix()) {
		t.Errorf("timestamp %d, want %d", ts, testTime.Unix())
	}
	signed := "cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + string(c.Body())
	if !ed25519.Verify(pub, []byte(signed), sig[12:]) {
		t.Errorf("the Ed25519 signature does not verify over %q", signed)
	}
	if ed25519.Verify(pub, c.Body(), sig[12:]) {
		t.Error("the cosignature verifies over the bare body: no domain separation")
	}

	// The verifier key is <name>+<hex key ID>+base64(0x04 ‖ key).
	wantKey := fmt.Sprintf("%s+%08x+%s", witness1, cosignatureKeyHash(witness1, pub),
		base64.StdEncoding.EncodeToString(append([]byte{0x04}, pub...)))
	if w.VerifierKey() != wantKey {
		t.Errorf("VerifierKey() = %q, want %q", w.VerifierKey(), wantKey)
	}
	if w.Name() != witness1 {
		t.Errorf("Name() = %q", w.Name())
	}
}

// A cosignature made here by hand, from the spec, verifies with the
// package's witness verifier; so does one whose timestamp is 0.
func TestWitnessVerifierVerifiesSpecCosignatures(t *testing.T) {
	key := edKey(2)
	body := (auditlog.Checkpoint{Origin: testOrigin, Size: 3, Hash: testHash}).Body()
	v := mustWitnessVerifier(t, mustCosigner(t, witness1, key).VerifierKey())
	handmade := func(ts uint64, signed []byte) []byte {
		msg := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), signed...)
		return append(binary.BigEndian.AppendUint64(nil, ts), ed25519.Sign(key, msg)...)
	}
	for _, ts := range []uint64{0, 1, uint64(testTime.Unix()), 1<<63 - 1} {
		if !v.Verify(body, handmade(ts, body)) {
			t.Errorf("a cosignature at time %d does not verify", ts)
		}
	}
	good := handmade(42, body)
	for name, sig := range map[string][]byte{
		"another timestamp":       append(binary.BigEndian.AppendUint64(nil, 43), good[8:]...),
		"another body":            handmade(42, append(bytes.Clone(body), 'x')),
		"no timestamp":            good[8:],
		"a truncated signature":   good[:len(good)-1],
		"a longer signature":      append(bytes.Clone(good), 0),
		"a timestamp beyond 2^63": handmade(1<<63, body),
		"a plain note signature":  ed25519.Sign(key, body),
	} {
		if v.Verify(body, sig) {
			t.Errorf("%s verifies", name)
		}
	}
}

func TestNewWitnessVerifier(t *testing.T) {
	key := edKey(2)
	pub := key.Public().(ed25519.PublicKey)
	w := mustCosigner(t, witness1, key)
	plain, err := note.NewEd25519VerifierKey(witness1, pub) // how transparency-dev witnesses publish their keys
	if err != nil {
		t.Fatal(err)
	}
	msg := mustCosign(t, mustSign(t, auditlog.Checkpoint{Origin: testOrigin, Size: 1, Hash: testHash}, mustSigner(t, testOrigin, edKey(1))), w)
	for _, vkey := range []string{w.VerifierKey(), plain, " " + w.VerifierKey() + "\n"} {
		v, err := auditlog.NewWitnessVerifier(vkey)
		if err != nil {
			t.Errorf("NewWitnessVerifier(%q): %v", vkey, err)
			continue
		}
		if v.Name() != witness1 || v.KeyHash() != cosignatureKeyHash(witness1, pub) {
			t.Errorf("NewWitnessVerifier(%q) is %s+%08x, want the cosignature key ID %08x", vkey, v.Name(), v.KeyHash(), cosignatureKeyHash(witness1, pub))
		}
		n, err := note.Open(msg, note.VerifierList(v))
		if err != nil || len(n.Sigs) != 1 || n.Sigs[0].Name != witness1 {
			t.Errorf("note.Open with the witness verifier of %q: %+v, %v", vkey, n, err)
		}
	}

	name, rest, _ := strings.Cut(w.VerifierKey(), "+")
	hash, key64, _ := strings.Cut(rest, "+")
	keyWithAlg := func(alg byte) string {
		return base64.StdEncoding.EncodeToString(append([]byte{alg}, pub...))
	}
	for _, tc := range []struct{ name, vkey string }{
		{"empty", ""},
		{"no key", name + "+" + hash},
		{"another name", "witness9.example+" + hash + "+" + key64},
		{"a name with a space", "a b+" + hash + "+" + key64},
		{"a key hash that does not match", name + "+" + fmt.Sprintf("%08x", cosignatureKeyHash(name, pub)+1) + "+" + key64},
		{"a key hash of 7 digits", name + "+" + hash[1:] + "+" + key64},
		{"a key hash of 9 digits", name + "+0" + hash + "+" + key64},
		{"a key hash not hex", name + "+zzzzzzzz+" + key64},
		{"a key not base64", name + "+" + hash + "+!!!!"},
		{"a key of 31 bytes", name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{4}, pub[:31]...))},
		{"a key without its algorithm", name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(pub)},
		{"algorithm 0x02", name + "+" + fmt.Sprintf("%08x", keyHashWith(name, 0x02, pub)) + "+" + keyWithAlg(0x02)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := auditlog.NewWitnessVerifier(tc.vkey)
			if err == nil {
				t.Fatalf("NewWitnessVerifier(%q) = %v, want an error", tc.vkey, v)
			}
			wantFormatError(t, err, "verifier key", 0)
		})
	}
}

func keyHashWith(name string, alg byte, pub ed25519.PublicKey) uint32 {
	h := sha256.Sum256(append(append([]byte(name+"\n"), alg), pub...))
	return binary.BigEndian.Uint32(h[:4])
}

func TestCosignerUsesTheClock(t *testing.T) {
	for _, tc := range []struct {
		now  time.Time
		want uint64
	}{
		{time.Unix(1679315147, 999), 1679315147},
		{time.Unix(0, 0), 0},
	} {
		w, err := auditlog.NewCosigner(witness1, edKey(2), func() time.Time { return tc.now })
		if err != nil {
			t.Fatal(err)
		}
		sig, err := w.Sign([]byte("body\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.BigEndian.Uint64(sig); got != tc.want {
			t.Errorf("timestamp %d, want %d", got, tc.want)
		}
	}
	w, err := auditlog.NewCosigner(witness1, edKey(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Unix()
	sig, err := w.Sign([]byte("body\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := int64(binary.BigEndian.Uint64(sig)); got < before || got > time.Now().Unix() {
		t.Errorf("with no clock, timestamp %d, want now (%d)", got, before)
	}
}
