package dsse_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/dsse"
)

const testType = "application/vnd.in-toto+json"

var testPayload = []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.pkg","digest":{"sha256":"` +
	strings.Repeat("ab", 32) + `"}}],"predicateType":"https://trustgate.dev/approval/v1","predicate":{"member":"alice"}}`)

// edKey returns the Ed25519 key with the seed filled with b.
func edKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSigner(t testing.TB, s crypto.Signer) *dsse.Signer {
	t.Helper()
	signer, err := dsse.NewSigner(s)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return signer
}

func mustSeal(t testing.TB, payloadType string, payload []byte, signers ...*dsse.Signer) dsse.Envelope {
	t.Helper()
	env, err := dsse.Seal(payloadType, payload, signers...)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return env
}

// checkErr fails unless err wraps sentinel and trustgate.AsError gives the
// sentinel's code and reason and the field want (when want is not "-").
func checkErr(t *testing.T, err error, sentinel *trustgate.Error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q does not wrap %q", err, sentinel)
	}
	e := trustgate.AsError(err)
	if e.Code != sentinel.Code || e.Reason != sentinel.Reason {
		t.Fatalf("error %q: code %q reason %q, want %q %q", err, e.Code, e.Reason, sentinel.Code, sentinel.Reason)
	}
	if field != "-" && e.Field != field {
		t.Fatalf("error %q: field %q, want %q", err, e.Field, field)
	}
	if e == sentinel || !strings.HasPrefix(err.Error(), "dsse: ") {
		t.Fatalf("error %q is the sentinel itself or lacks the dsse: prefix", err)
	}
}

func TestPAE(t *testing.T) {
	for _, tc := range []struct {
		typ, body, want string
	}{
		// The known answer of the DSSE protocol specification.
		{"http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"", "", "DSSEv1 0  0 "},
		{"t", "a b", "DSSEv1 1 t 3 a b"},
		{"ü", strings.Repeat("x", 1234), "DSSEv1 2 ü 1234 " + strings.Repeat("x", 1234)},
	} {
		if got := string(dsse.PAE(tc.typ, []byte(tc.body))); got != tc.want {
			t.Errorf("PAE(%q, %q) = %q, want %q", tc.typ, tc.body, got, tc.want)
		}
	}
}

func TestKeyIDMatchesPKIX(t *testing.T) {
	for name, pub := range map[string]crypto.PublicKey{
		"ed25519":    edKey(1).Public(),
		"ecdsa-p256": ecKey(t).Public(),
	} {
		t.Run(name, func(t *testing.T) {
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(der)
			got, err := dsse.KeyID(pub)
			if err != nil {
				t.Fatal(err)
			}
			if want := hex.EncodeToString(sum[:]); got != want {
				t.Fatalf("KeyID = %s, want %s", got, want)
			}
		})
	}
}

func TestUnsupportedKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := ecKey(t)
	generic := good.PublicKey // the same point on the generic, non-constant-time P-256
	generic.Curve = elliptic.P256().Params()
	//lint:ignore SA1019 an off-curve point can only be built from coordinates
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(2)}
	edPub := edKey(1).Public().(ed25519.PublicKey)
	for name, pub := range map[string]crypto.PublicKey{
		"nil":                     nil,
		"typed nil ecdsa":         (*ecdsa.PublicKey)(nil),
		"nil ed25519":             ed25519.PublicKey(nil),
		"short ed25519":           edPub[:31],
		"long ed25519":            append(append(ed25519.PublicKey{}, edPub...), 0),
		"ed25519 private key":     edKey(1),
		"ed25519 pointer":         &edPub,
		"ecdsa by value":          good.PublicKey,
		"ecdsa private key":       good,
		"zero ecdsa":              &ecdsa.PublicKey{},
		"ecdsa without point":     &ecdsa.PublicKey{Curve: elliptic.P256()},
		"ecdsa off curve":         offCurve,
		"ecdsa generic P-256":     &generic,
		"ecdsa P-384":             &p384.PublicKey,
		"rsa":                     &rsaKey.PublicKey,
		"string":                  "not a key",
		"bytes":                   []byte{1, 2, 3},
		"ecdh":                    mustECDH(t, good),
		"raw ed25519 as []byte":   []byte(edPub),
		"ed25519 key as a string": string(edPub),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := dsse.KeyID(pub)
			checkErr(t, err, dsse.ErrUnsupportedKey, "")
			env := mustSeal(t, testType, testPayload, mustSigner(t, edKey(1)))
			checkErr(t, dsse.Verify(&env, pub), dsse.ErrUnsupportedKey, "")
			checkErr(t, dsse.VerifySignature(pub, &env, env.Signatures[0]), dsse.ErrUnsupportedKey, "")
		})
	}
}

func mustECDH(t *testing.T, k *ecdsa.PrivateKey) crypto.PublicKey {
	t.Helper()
	e, err := k.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRoundTrip(t *testing.T) {
	for name, key := range map[string]crypto.Signer{
		"ed25519":    edKey(1),
		"ecdsa-p256": ecKey(t),
	} {
		t.Run(name, func(t *testing.T) {
			s := mustSigner(t, key)
			wantID, _ := dsse.KeyID(key.Public())
			if s.KeyID() != wantID {
				t.Fatalf("Signer.KeyID = %s, want %s", s.KeyID(), wantID)
			}
			if id, _ := dsse.KeyID(s.Public()); id != wantID {
				t.Fatalf("KeyID(Signer.Public()) = %s, want %s", id, wantID)
			}
			env := mustSeal(t, testType, testPayload, s)
			if env.PayloadType != testType || !bytes.Equal(env.Payload, testPayload) || len(env.Signatures) != 1 ||
				env.Signatures[0].KeyID != wantID {
				t.Fatalf("Seal = %+v", env)
			}
			b, err := env.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := dsse.Parse(b)
			if err != nil {
				t.Fatalf("Parse(Marshal()): %v\n%s", err, b)
			}
			if !equal(got, env) {
				t.Fatalf("Parse(Marshal(env)) = %+v, want %+v", got, env)
			}
			if err := dsse.Verify(&got, key.Public()); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := dsse.VerifySignature(key.Public(), &got, got.Signatures[0]); err != nil {
				t.Fatalf("VerifySignature: %v", err)
			}
			// A signature made directly verifies the same way.
			sig, err := s.Sign(nil, testType, testPayload)
			if err != nil {
				t.Fatal(err)
			}
			if err := dsse.VerifySignature(s.Public(), &env, sig); err != nil {
				t.Fatalf("VerifySignature(Sign): %v", err)
			}
		})
	}
}

// TestSealCopiesPayload: the envelope does not share the caller's payload.
func TestSealCopiesPayload(t *testing.T) {
	payload := append([]byte(nil), testPayload...)
	key := edKey(1)
	env := mustSeal(t, testType, payload, mustSigner(t, key))
	payload[0] = 'X'
	if err := dsse.Verify(&env, key.Public()); err != nil {
		t.Fatalf("changing the caller's payload broke the envelope: %v", err)
	}
}

func TestEmptyPayload(t *testing.T) {
	key := edKey(1)
	for _, payload := range [][]byte{nil, {}} {
		env := mustSeal(t, testType, payload, mustSigner(t, key))
		b, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"payload":""`)) {
			t.Fatalf("empty payload marshals as %s", b)
		}
		got, err := dsse.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := dsse.Verify(&got, key.Public()); err != nil {
			t.Fatal(err)
		}
	}
	// Marshal writes a nil payload as "", not null, whoever built the envelope.
	b, err := dsse.Envelope{PayloadType: "t", Signatures: []dsse.Signature{{Sig: []byte{1}}}}.Marshal()
	if err != nil || string(b) != `{"payloadType":"t","payload":"","signatures":[{"keyid":"","sig":"AQ=="}]}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
}

func TestVerify(t *testing.T) {
	ed, ed2, ec := edKey(1), edKey(2), ecKey(t)
	sEd, sEd2, sEc := mustSigner(t, ed), mustSigner(t, ed2), mustSigner(t, ec)
	other := mustSeal(t, testType, []byte("another payload"), sEd)

	for _, tc := range []struct {
		name    string
		signers []*dsse.Signer
		change  func(e *dsse.Envelope)
		pub     crypto.PublicKey
		ok      bool
	}{
		{name: "ed25519", signers: []*dsse.Signer{sEd}, pub: ed.Public(), ok: true},
		{name: "ecdsa", signers: []*dsse.Signer{sEc}, pub: ec.Public(), ok: true},
		{name: "tampered payload", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.Payload[10] ^= 1 }},
		{name: "tampered payload ecdsa", signers: []*dsse.Signer{sEc}, pub: ec.Public(),
			change: func(e *dsse.Envelope) { e.Payload = append(e.Payload, ' ') }},
		{name: "tampered payloadType", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.PayloadType = "application/vnd.in-toto+jsoN" }},
		{name: "tampered payloadType ecdsa", signers: []*dsse.Signer{sEc}, pub: ec.Public(),
			change: func(e *dsse.Envelope) { e.PayloadType = "" }},
		{name: "length moved between type and payload", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) {
				e.Payload = append([]byte(e.PayloadType[len(e.PayloadType)-1:]), e.Payload...)
				e.PayloadType = e.PayloadType[:len(e.PayloadType)-1]
			}},
		{name: "swapped signature", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].Sig = other.Signatures[0].Sig }},
		{name: "wrong key", signers: []*dsse.Signer{sEd}, pub: ed2.Public()},
		{name: "wrong key, empty keyid", signers: []*dsse.Signer{sEd}, pub: ed2.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].KeyID = "" }},
		{name: "wrong algorithm", signers: []*dsse.Signer{sEd}, pub: ec.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].KeyID = "" }},
		{name: "empty keyid accepted", signers: []*dsse.Signer{sEd}, pub: ed.Public(), ok: true,
			change: func(e *dsse.Envelope) { e.Signatures[0].KeyID = "" }},
		{name: "empty keyid accepted ecdsa", signers: []*dsse.Signer{sEc}, pub: ec.Public(), ok: true,
			change: func(e *dsse.Envelope) { e.Signatures[0].KeyID = "" }},
		{name: "keyid mismatch skipped", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].KeyID = sEd2.KeyID() }},
		{name: "keyid in upper case skipped", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].KeyID = strings.ToUpper(e.Signatures[0].KeyID) }},
		{name: "mismatched keyid skipped, next verifies", signers: []*dsse.Signer{sEd}, pub: ed.Public(), ok: true,
			change: func(e *dsse.Envelope) {
				e.Signatures = append([]dsse.Signature{{KeyID: "elsewhere", Sig: []byte("junk")}}, e.Signatures...)
			}},
		{name: "bad signature then good one", signers: []*dsse.Signer{sEd}, pub: ed.Public(), ok: true,
			change: func(e *dsse.Envelope) {
				e.Signatures = append([]dsse.Signature{{KeyID: sEd.KeyID(), Sig: other.Signatures[0].Sig}}, e.Signatures...)
			}},
		{name: "multiple signers, first key", signers: []*dsse.Signer{sEd, sEc, sEd2}, pub: ed.Public(), ok: true},
		{name: "multiple signers, middle key", signers: []*dsse.Signer{sEd, sEc, sEd2}, pub: ec.Public(), ok: true},
		{name: "multiple signers, last key", signers: []*dsse.Signer{sEd, sEc, sEd2}, pub: ed2.Public(), ok: true},
		{name: "multiple signers, other key", signers: []*dsse.Signer{sEd, sEc}, pub: ed2.Public()},
		{name: "truncated signature", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].Sig = e.Signatures[0].Sig[:63] }},
		{name: "truncated ecdsa signature", signers: []*dsse.Signer{sEc}, pub: ec.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].Sig = e.Signatures[0].Sig[:len(e.Signatures[0].Sig)-1] }},
		{name: "nil signature", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.Signatures[0].Sig = nil }},
		{name: "no signatures", signers: []*dsse.Signer{sEd}, pub: ed.Public(),
			change: func(e *dsse.Envelope) { e.Signatures = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := mustSeal(t, testType, testPayload, tc.signers...)
			if tc.change != nil {
				tc.change(&env)
			}
			err := dsse.Verify(&env, tc.pub)
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkErr(t, err, dsse.ErrSignature, "")
			// The same through a parsed envelope.
			if b, err := env.Marshal(); err == nil {
				if parsed, err := dsse.Parse(b); err == nil {
					checkErr(t, dsse.Verify(&parsed, tc.pub), dsse.ErrSignature, "")
				}
			}
		})
	}
}

func TestVerifySignature(t *testing.T) {
	ed, ec := edKey(1), ecKey(t)
	sEd, sEc := mustSigner(t, ed), mustSigner(t, ec)
	env := mustSeal(t, testType, testPayload, sEd, sEc)
	pubs := []crypto.PublicKey{ed.Public(), ec.Public()}
	for i, sig := range env.Signatures {
		for j, pub := range pubs {
			err := dsse.VerifySignature(pub, &env, sig)
			if i == j {
				if err != nil {
					t.Errorf("signature %d, key %d: %v", i, j, err)
				}
				continue
			}
			checkErr(t, err, dsse.ErrSignature, "")
		}
		// The key id is ignored: the caller chose the key.
		sig.KeyID = "whatever"
		if err := dsse.VerifySignature(pubs[i], &env, sig); err != nil {
			t.Errorf("signature %d with another keyid: %v", i, err)
		}
	}
	checkErr(t, dsse.VerifySignature(ed.Public(), nil, env.Signatures[0]), dsse.ErrSignature, "")
	checkErr(t, dsse.Verify(nil, ed.Public()), dsse.ErrSignature, "")
}

// TestConcurrent signs and verifies from many goroutines with one Signer
// (run with -race).
func TestConcurrent(t *testing.T) {
	ed, ec := edKey(1), ecKey(t)
	signers := []*dsse.Signer{mustSigner(t, ed), mustSigner(t, ec)}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env, err := dsse.Seal(testType, testPayload, signers...)
			if err == nil {
				err = dsse.Verify(&env, []crypto.PublicKey{ed.Public(), ec.Public()}[i%2])
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// equal compares envelopes by value, nil and empty slices alike.
func equal(a, b dsse.Envelope) bool {
	if a.PayloadType != b.PayloadType || !bytes.Equal(a.Payload, b.Payload) || len(a.Signatures) != len(b.Signatures) {
		return false
	}
	for i := range a.Signatures {
		if a.Signatures[i].KeyID != b.Signatures[i].KeyID || !bytes.Equal(a.Signatures[i].Sig, b.Signatures[i].Sig) {
			return false
		}
	}
	return true
}
