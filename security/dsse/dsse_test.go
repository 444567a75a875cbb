package dsse_test

import (
	"bytes"
	"context"
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
	"io"
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

func TestNewSignerRejects(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mismatched := append(ed25519.PrivateKey(nil), edKey(1)...)
	copy(mismatched[32:], edKey(2)[32:])
	short := edKey(1)[:63]
	var nilIface crypto.Signer
	for name, s := range map[string]crypto.Signer{
		"nil":                         nilIface,
		"typed nil ecdsa":             (*ecdsa.PrivateKey)(nil),
		"nil ed25519":                 ed25519.PrivateKey(nil),
		"typed nil ed25519 pointer":   (*ed25519.PrivateKey)(nil),
		"short ed25519":               short,
		"short ed25519 pointer":       &short,
		"ed25519 mismatched halves":   mismatched,
		"zero ecdsa":                  &ecdsa.PrivateKey{},
		"ecdsa P-384":                 p384,
		"rsa":                         rsaKey,
		"public key nil":              &fakeSigner{},
		"public key typed nil":        &fakeSigner{pub: (*ecdsa.PublicKey)(nil)},
		"public key is a private key": &fakeSigner{pub: edKey(1)},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := dsse.NewSigner(s)
			if got != nil {
				t.Fatalf("NewSigner returned a signer")
			}
			checkErr(t, err, dsse.ErrUnsupportedKey, "")
		})
	}
}

// fakeSigner is a crypto.Signer with a chosen public key that signs with
// sign (or fails with err).
type fakeSigner struct {
	pub  crypto.PublicKey
	sign func(digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

func (f *fakeSigner) Public() crypto.PublicKey { return f.pub }

func (f *fakeSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if f.sign == nil {
		return nil, errors.New("no signing function")
	}
	return f.sign(digest, opts)
}

func TestFailingSigner(t *testing.T) {
	ed, ed2, ec := edKey(1), edKey(2), ecKey(t)
	kmsDown := errors.New("kms: connection refused")
	for _, tc := range []struct {
		name   string
		signer crypto.Signer
		code   trustgate.Code
		is     error
	}{
		{"error", &fakeSigner{pub: ed.Public(), sign: func([]byte, crypto.SignerOpts) ([]byte, error) { return nil, kmsDown }},
			trustgate.Internal, kmsDown},
		{"deadline", &fakeSigner{pub: ec.Public(), sign: func([]byte, crypto.SignerOpts) ([]byte, error) {
			return nil, context.DeadlineExceeded
		}}, trustgate.Canceled, context.DeadlineExceeded},
		{"error with a result", &fakeSigner{pub: ed.Public(), sign: func([]byte, crypto.SignerOpts) ([]byte, error) {
			return make([]byte, 64), kmsDown
		}}, trustgate.Internal, kmsDown},
		{"another key's signature", &fakeSigner{pub: ed.Public(), sign: func(d []byte, o crypto.SignerOpts) ([]byte, error) {
			return ed2.Sign(nil, d, o)
		}}, trustgate.Internal, dsse.ErrSignature},
		{"empty signature", &fakeSigner{pub: ed.Public(), sign: func([]byte, crypto.SignerOpts) ([]byte, error) { return nil, nil }},
			trustgate.Internal, dsse.ErrSignature},
		{"garbage", &fakeSigner{pub: ec.Public(), sign: func([]byte, crypto.SignerOpts) ([]byte, error) {
			return []byte("not a signature"), nil
		}}, trustgate.Internal, dsse.ErrSignature},
		{"raw r||s instead of ASN.1", &fakeSigner{pub: ec.Public(), sign: func(d []byte, _ crypto.SignerOpts) ([]byte, error) {
			return make([]byte, 64), nil
		}}, trustgate.Internal, dsse.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSigner(t, tc.signer)
			_, err := s.Sign(nil, testType, testPayload)
			checkSigningFailed(t, err, tc.code, tc.is)
			env, err := dsse.Seal(testType, testPayload, mustSigner(t, edKey(3)), s)
			checkSigningFailed(t, err, tc.code, tc.is)
			if env.Signatures != nil || env.Payload != nil {
				t.Fatalf("Seal returned a partial envelope %+v", env)
			}
		})
	}
}

func checkSigningFailed(t *testing.T, err error, code trustgate.Code, is error) {
	t.Helper()
	if !errors.Is(err, is) {
		t.Fatalf("error %v does not wrap %v", err, is)
	}
	if e := trustgate.AsError(err); e.Code != code || e.Reason != "SIGNING_FAILED" || !strings.HasPrefix(e.Message, "dsse: ") {
		t.Fatalf("error %v: code %q reason %q, want %q SIGNING_FAILED", err, e.Code, e.Reason, code)
	}
}

// TestSignerOpts checks what the crypto.Signer is asked to sign: the PAE
// itself with crypto.Hash(0) for Ed25519, SHA-256(PAE) with crypto.SHA256
// for ECDSA.
func TestSignerOpts(t *testing.T) {
	ed, ec := edKey(1), ecKey(t)
	pae := dsse.PAE(testType, testPayload)
	sum := sha256.Sum256(pae)
	for _, tc := range []struct {
		name   string
		inner  crypto.Signer
		digest []byte
		hash   crypto.Hash
	}{
		{"ed25519", ed, pae, crypto.Hash(0)},
		{"ecdsa", ec, sum[:], crypto.SHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			s := mustSigner(t, &fakeSigner{pub: tc.inner.Public(), sign: func(d []byte, o crypto.SignerOpts) ([]byte, error) {
				called = true
				if !bytes.Equal(d, tc.digest) || o.HashFunc() != tc.hash {
					t.Errorf("asked to sign %q with %v", d, o.HashFunc())
				}
				return tc.inner.Sign(rand.Reader, d, o)
			}})
			if _, err := s.Sign(nil, testType, testPayload); err != nil || !called {
				t.Fatalf("Sign: %v (called %v)", err, called)
			}
		})
	}
}

func TestSignerZero(t *testing.T) {
	var nilSigner *dsse.Signer
	if nilSigner.KeyID() != "" || nilSigner.Public() != nil {
		t.Fatal("nil Signer has a key")
	}
	_, err := nilSigner.Sign(nil, testType, testPayload)
	checkErr(t, err, dsse.ErrUnsupportedKey, "")
	_, err = (&dsse.Signer{}).Sign(nil, testType, testPayload)
	checkErr(t, err, dsse.ErrUnsupportedKey, "")
	_, err = dsse.Seal(testType, testPayload, &dsse.Signer{})
	checkErr(t, err, dsse.ErrUnsupportedKey, "")
}

// TestSignerPublicIsACopy: changing the key Public returns does not change
// the signer.
func TestSignerPublicIsACopy(t *testing.T) {
	key := edKey(1)
	s := mustSigner(t, key)
	pub := s.Public().(ed25519.PublicKey)
	pub[0] ^= 1
	env := mustSeal(t, testType, testPayload, s)
	if err := dsse.Verify(&env, key.Public()); err != nil {
		t.Fatal(err)
	}
}

func TestSealRejects(t *testing.T) {
	s := mustSigner(t, edKey(1))
	many := make([]*dsse.Signer, dsse.MaxSignatures+1)
	for i := range many {
		many[i] = s
	}
	for _, tc := range []struct {
		name     string
		typ      string
		payload  []byte
		signers  []*dsse.Signer
		sentinel *trustgate.Error
		field    string
	}{
		{"no signers", testType, testPayload, nil, dsse.ErrMalformed, "envelope.signatures"},
		{"too many signers", testType, testPayload, many, dsse.ErrMalformed, "envelope.signatures"},
		{"nil signer", testType, testPayload, []*dsse.Signer{s, nil}, dsse.ErrUnsupportedKey, ""},
		{"empty type", "", testPayload, []*dsse.Signer{s}, dsse.ErrMalformed, "envelope.payloadType"},
		{"long type", strings.Repeat("t", 257), testPayload, []*dsse.Signer{s}, dsse.ErrMalformed, "envelope.payloadType"},
		{"type not UTF-8", "application/\xff", testPayload, []*dsse.Signer{s}, dsse.ErrMalformed, "envelope.payloadType"},
		{"payload too large", testType, make([]byte, dsse.MaxPayload+1), []*dsse.Signer{s}, dsse.ErrMalformed, "envelope.payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dsse.Seal(tc.typ, tc.payload, tc.signers...)
			checkErr(t, err, tc.sentinel, tc.field)
		})
	}
	// At the limits, Seal works and Parse accepts the result.
	env := mustSeal(t, strings.Repeat("t", 256), make([]byte, dsse.MaxPayload), many[:dsse.MaxSignatures]...)
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dsse.Parse(b); err != nil {
		t.Fatalf("Parse of an envelope at the limits: %v", err)
	}
}

// valid is an envelope Parse accepts; the rejection cases edit it.
const valid = `{"payloadType":"t","payload":"aGVsbG8=","signatures":[{"keyid":"k","sig":"AQID"}]}`

func TestParseRejects(t *testing.T) {
	sigs := func(n int) string {
		return strings.TrimSuffix(strings.Repeat(`{"sig":"AQ=="},`, n), ",")
	}
	for _, tc := range []struct {
		name, in, field string
	}{
		{"empty", ``, "envelope"},
		{"whitespace only", " \n\t", "envelope"},
		{"null", `null`, "envelope"},
		{"array", `[]`, "envelope"},
		{"string", `"x"`, "envelope"},
		{"not JSON", `hello`, "envelope"},
		{"BOM", "\ufeff" + valid, "envelope"},
		{"empty object", `{}`, "envelope.payloadType"},
		{"trailing data", valid + `{}`, "envelope"},
		{"trailing garbage", valid + ` x`, "envelope"},
		{"two envelopes", valid + valid, "envelope"},
		{"unterminated", valid[:len(valid)-1], "envelope"},
		{"truncated in name", `{"payl`, "envelope"},
		{"truncated after name", `{"payloadType"`, "envelope"},
		{"truncated after colon", `{"payloadType":`, "envelope.payloadType"},
		{"truncated in signatures", `{"payloadType":"t","payload":"","signatures":[`, "envelope.signatures[0]"},
		{"truncated after signature", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}`, "envelope.signatures"},
		{"trailing comma", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}],}`, "envelope"},
		{"trailing comma in array", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},]}`, "envelope.signatures[1]"},
		{"missing colon", `{"payloadType" "t"}`, "envelope"},
		{"missing comma", `{"payloadType":"t" "payload":""}`, "envelope"},
		{"unquoted name", `{payloadType:"t"}`, "envelope"},
		{"single quotes", `{'payloadType':'t'}`, "envelope"},
		{"unknown member", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}],"extra":1}`, "envelope"},
		{"unknown member first", `{"x":null,"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope"},
		{"long unknown member", `{"` + strings.Repeat("x", 100) + `":1}`, "envelope"},
		{"member name case", `{"payloadtype":"t","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope"},
		{"unknown signature member", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ==","alg":"x"}]}`, "envelope.signatures[0]"},
		{"signature member case", `{"payloadType":"t","payload":"","signatures":[{"Sig":"AQ=="}]}`, "envelope.signatures[0]"},
		{"duplicate payloadType", `{"payloadType":"t","payloadType":"u","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"duplicate by escape", `{"payloadType":"t","payload\u0054ype":"u","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"duplicate payload", `{"payloadType":"t","payload":"","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"duplicate signatures", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}],"signatures":[{"sig":"AQ=="}]}`, "envelope.signatures"},
		{"duplicate keyid", `{"payloadType":"t","payload":"","signatures":[{"keyid":"a","keyid":"b","sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"duplicate sig", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ==","sig":"AQ=="}]}`, "envelope.signatures[0].sig"},
		{"missing payloadType", `{"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"missing payload", `{"payloadType":"t","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"missing signatures", `{"payloadType":"t","payload":""}`, "envelope.signatures"},
		{"missing sig", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},{"keyid":"k"}]}`, "envelope.signatures[1].sig"},
		{"null payloadType", `{"payloadType":null,"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"null payload", `{"payloadType":"t","payload":null,"signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"null signatures", `{"payloadType":"t","payload":"","signatures":null}`, "envelope.signatures"},
		{"null signature", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},null]}`, "envelope.signatures[1]"},
		{"null keyid", `{"payloadType":"t","payload":"","signatures":[{"keyid":null,"sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"null sig", `{"payloadType":"t","payload":"","signatures":[{"sig":null}]}`, "envelope.signatures[0].sig"},
		{"empty payloadType", `{"payloadType":"","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"long payloadType", `{"payloadType":"` + strings.Repeat("t", 257) + `","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType number", `{"payloadType":1,"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType object", `{"payloadType":{},"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType invalid UTF-8", "{\"payloadType\":\"\xff\",\"payload\":\"\",\"signatures\":[{\"sig\":\"AQ==\"}]}", "envelope.payloadType"},
		{"payloadType encoded surrogate", "{\"payloadType\":\"\xed\xa0\x80\",\"payload\":\"\",\"signatures\":[{\"sig\":\"AQ==\"}]}", "envelope.payloadType"},
		{"payloadType lone surrogate", `{"payloadType":"\ud800","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType lone low surrogate", `{"payloadType":"\udc00","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType two high surrogates", `{"payloadType":"\ud800\ud800","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType control character", "{\"payloadType\":\"a\nb\",\"payload\":\"\",\"signatures\":[{\"sig\":\"AQ==\"}]}", "envelope.payloadType"},
		{"payloadType bad escape", `{"payloadType":"\x41","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType short unicode escape", `{"payloadType":"\u41","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType unterminated", `{"payloadType":"t`, "envelope.payloadType"},
		{"payload not base64", `{"payloadType":"t","payload":"!!!!","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload unpadded", `{"payloadType":"t","payload":"aGVsbG8","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload URL-safe", `{"payloadType":"t","payload":"-_-_","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload with line break", `{"payloadType":"t","payload":"aGVs\nbG8=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload with CR", `{"payloadType":"t","payload":"aGVs\rbG8=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload with space", `{"payloadType":"t","payload":"aGVs bG8=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload nonzero padding bits", `{"payloadType":"t","payload":"aGVsbG9=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload number", `{"payloadType":"t","payload":0,"signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload array", `{"payloadType":"t","payload":[104,105],"signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload too large", `{"payloadType":"t","payload":"` + strings.Repeat("AAAA", dsse.MaxPayload/3+1) + `","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"signatures empty", `{"payloadType":"t","payload":"","signatures":[]}`, "envelope.signatures"},
		{"signatures object", `{"payloadType":"t","payload":"","signatures":{"sig":"AQ=="}}`, "envelope.signatures"},
		{"signatures string", `{"payloadType":"t","payload":"","signatures":"AQ=="}`, "envelope.signatures"},
		{"too many signatures", `{"payloadType":"t","payload":"","signatures":[` + sigs(dsse.MaxSignatures+1) + `]}`, "envelope.signatures"},
		{"signature array", `{"payloadType":"t","payload":"","signatures":[["AQ=="]]}`, "envelope.signatures[0]"},
		{"signature string", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},"AQ=="]}`, "envelope.signatures[1]"},
		{"keyid number", `{"payloadType":"t","payload":"","signatures":[{"keyid":7,"sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"keyid too long", `{"payloadType":"t","payload":"","signatures":[{"keyid":"` + strings.Repeat("k", 257) + `","sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"keyid invalid UTF-8", "{\"payloadType\":\"t\",\"payload\":\"\",\"signatures\":[{\"keyid\":\"\xc3\",\"sig\":\"AQ==\"}]}", "envelope.signatures[0].keyid"},
		{"sig empty", `{"payloadType":"t","payload":"","signatures":[{"sig":""}]}`, "envelope.signatures[0].sig"},
		{"sig not base64", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},{"sig":"A"}]}`, "envelope.signatures[1].sig"},
		{"sig unpadded", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ"}]}`, "envelope.signatures[0].sig"},
		{"sig too large", `{"payloadType":"t","payload":"","signatures":[{"sig":"` + strings.Repeat("AAAA", 1024/3+1) + `"}]}`, "envelope.signatures[0].sig"},
		{"sig boolean", `{"payloadType":"t","payload":"","signatures":[{"sig":true}]}`, "envelope.signatures[0].sig"},
		{"third sig bad", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},{"sig":"AQ=="},{"keyid":"","sig":"**"}]}`, "envelope.signatures[2].sig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := dsse.Parse([]byte(tc.in))
			checkErr(t, err, dsse.ErrMalformed, tc.field)
			if !equal(env, dsse.Envelope{}) || env.Payload != nil || env.Signatures != nil {
				t.Fatalf("Parse returned %+v with its error", env)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     dsse.Envelope
	}{
		{"compact", valid, dsse.Envelope{PayloadType: "t", Payload: []byte("hello"),
			Signatures: []dsse.Signature{{KeyID: "k", Sig: []byte{1, 2, 3}}}}},
		{"whitespace and order", " \r\n\t{ \"signatures\" : [ { \"sig\" : \"AQID\" , \"keyid\" : \"k\" } ] ,\n \"payload\":\"aGVsbG8=\", \"payloadType\" : \"t\" }\n ",
			dsse.Envelope{PayloadType: "t", Payload: []byte("hello"), Signatures: []dsse.Signature{{KeyID: "k", Sig: []byte{1, 2, 3}}}}},
		{"keyid absent", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"keyid empty", `{"payloadType":"t","payload":"","signatures":[{"keyid":"","sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"escapes", `{"payloadType":"a\"\\\/\b\f\n\r\t\u00fc\u20AC\ud83d\ude00","payload":"","signatures":[{"keyid":"\u006b","sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "a\"\\/\b\f\n\r\t\u00fc\u20ac\U0001f600", Payload: []byte{},
				Signatures: []dsse.Signature{{KeyID: "k", Sig: []byte{1}}}}},
		{"escaped member names", `{"\u0070ayloadType":"t","payload":"","signatures":[{"\u0073ig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"escaped base64", `{"payloadType":"t","payload":"aGVs\u0062G8=","signatures":[{"sig":"A\/8="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte("hello"), Signatures: []dsse.Signature{{Sig: []byte{3, 255}}}}},
		{"UTF-8", `{"payloadType":"application/ü€😀","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "application/ü€😀", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"U+FFFD itself", `{"payloadType":"\ufffd�","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "\ufffd\ufffd", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"NUL escape", `{"payloadType":"\u0000","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "\x00", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"limits", `{"payloadType":"` + strings.Repeat("t", 256) + `","payload":"","signatures":[{"keyid":"` +
			strings.Repeat("k", 256) + `","sig":"` + strings.Repeat("AAAA", 1023/3) + `AA=="}]}`,
			dsse.Envelope{PayloadType: strings.Repeat("t", 256), Payload: []byte{},
				Signatures: []dsse.Signature{{KeyID: strings.Repeat("k", 256), Sig: make([]byte, 1024)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dsse.Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !equal(got, tc.want) {
				t.Fatalf("Parse = %+v, want %+v", got, tc.want)
			}
			if got.Payload == nil {
				t.Fatal("Parse returned a nil payload")
			}
			b, err := got.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			again, err := dsse.Parse(b)
			if err != nil || !equal(again, got) {
				t.Fatalf("Parse(Marshal()) = %+v, %v", again, err)
			}
		})
	}
}

// TestParseDoesNotRetainInput: the parsed envelope does not alias its
// input.
func TestParseDoesNotRetainInput(t *testing.T) {
	in := []byte(valid)
	env, err := dsse.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'x'
	}
	if env.PayloadType != "t" || string(env.Payload) != "hello" || env.Signatures[0].KeyID != "k" {
		t.Fatalf("envelope changed with its input: %+v", env)
	}
}

func TestMarshalForm(t *testing.T) {
	env := dsse.Envelope{PayloadType: "http://example.com/HelloWorld", Payload: []byte("hello world"),
		Signatures: []dsse.Signature{{KeyID: "a", Sig: []byte{0xfb, 0xff}}, {Sig: []byte{0}}}}
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"payloadType":"http://example.com/HelloWorld","payload":"aGVsbG8gd29ybGQ=",` +
		`"signatures":[{"keyid":"a","sig":"+/8="},{"keyid":"","sig":"AA=="}]}`
	if string(b) != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", b, want)
	}
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
