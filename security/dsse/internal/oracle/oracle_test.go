// Package oracle_test checks trustgate's DSSE envelopes against
// go-securesystemslib's. It lives in a package of its own, which no
// trustgate package imports, so that the oracle (and golang.org/x/crypto
// with it) is downloaded by trustgate's own tests only, never by a program
// that imports trustgate.
package oracle_test

// The oracle: go-securesystemslib's DSSE implementation (the reference Go
// implementation, used by in-toto and sigstore) must accept what this
// package seals, and this package must accept what it signs.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	ssl "github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/dsse"
)

// sslEd25519 adapts an Ed25519 key to go-securesystemslib's Signer and
// Verifier: it signs and verifies the PAE itself. id is the key id it
// reports (empty: none).
type sslEd25519 struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

func (k sslEd25519) Sign(_ context.Context, data []byte) ([]byte, error) {
	return ed25519.Sign(k.priv, data), nil
}

func (k sslEd25519) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(k.pub, data, sig) {
		return errors.New("ed25519: invalid signature")
	}
	return nil
}

func (k sslEd25519) KeyID() (string, error) { return k.id, nil }

func (k sslEd25519) Public() crypto.PublicKey { return k.pub }

// sslP256 adapts an ECDSA P-256 key the same way: SHA-256 of the PAE,
// ASN.1 signatures.
type sslP256 struct {
	priv *ecdsa.PrivateKey
	pub  *ecdsa.PublicKey
	id   string
}

func (k sslP256) Sign(_ context.Context, data []byte) ([]byte, error) {
	d := sha256.Sum256(data)
	return ecdsa.SignASN1(nil, k.priv, d[:])
}

func (k sslP256) Verify(_ context.Context, data, sig []byte) error {
	d := sha256.Sum256(data)
	if !ecdsa.VerifyASN1(k.pub, d[:], sig) {
		return errors.New("ecdsa: invalid signature")
	}
	return nil
}

func (k sslP256) KeyID() (string, error) { return k.id, nil }

func (k sslP256) Public() crypto.PublicKey { return k.pub }

func TestOraclePAE(t *testing.T) {
	for _, tc := range []struct{ typ, body string }{
		{"http://example.com/HelloWorld", "hello world"},
		{"", ""},
		{testType, string(testPayload)},
		{"ü € 😀", "\x00\xff binary"},
	} {
		if got, want := dsse.PAE(tc.typ, []byte(tc.body)), ssl.PAE(tc.typ, []byte(tc.body)); string(got) != string(want) {
			t.Errorf("PAE(%q, %q) = %q, the oracle's %q", tc.typ, tc.body, got, want)
		}
	}
}

// TestOracleVerifiesOurs: envelopes Seal makes, marshalled, are accepted by
// the oracle's EnvelopeVerifier. A verifier that reports no key id gets
// one from the oracle, an SSH fingerprint ("SHA256:..."), which matches no
// trustgate key id, so it skips our signatures unless their keyid is blank:
// the oracle's key-id policy, not a difference in signatures.
func TestOracleVerifiesOurs(t *testing.T) {
	ed, ec := edKey(1), ecKey(t)
	edID, _ := dsse.KeyID(ed.Public())
	ecID, _ := dsse.KeyID(ec.Public())
	ours := []*dsse.Signer{mustSigner(t, ed), mustSigner(t, ec)}
	for _, tc := range []struct {
		name     string
		verifier ssl.Verifier
		blank    bool // clear the envelope's key ids
		ok       bool
	}{
		{"ed25519 with key id", sslEd25519{pub: ed.Public().(ed25519.PublicKey), id: edID}, false, true},
		{"ed25519 with key id, blank keyids", sslEd25519{pub: ed.Public().(ed25519.PublicKey), id: edID}, true, true},
		{"ed25519 without key id, blank keyids", sslEd25519{pub: ed.Public().(ed25519.PublicKey)}, true, true},
		{"ed25519 without key id", sslEd25519{pub: ed.Public().(ed25519.PublicKey)}, false, false},
		{"ecdsa with key id", sslP256{pub: &ec.PublicKey, id: ecID}, false, true},
		{"ecdsa without key id, blank keyids", sslP256{pub: &ec.PublicKey}, true, true},
		{"another key", sslEd25519{pub: edKey(2).Public().(ed25519.PublicKey)}, true, false},
		{"another key claiming our key id", sslEd25519{pub: edKey(2).Public().(ed25519.PublicKey), id: edID}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := mustSeal(t, testType, testPayload, ours...)
			if tc.blank {
				for i := range env.Signatures {
					env.Signatures[i].KeyID = ""
				}
			}
			b, err := env.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var theirs ssl.Envelope
			if err := json.Unmarshal(b, &theirs); err != nil {
				t.Fatal(err)
			}
			v, err := ssl.NewEnvelopeVerifier(tc.verifier)
			if err != nil {
				t.Fatal(err)
			}
			accepted, err := v.Verify(context.Background(), &theirs)
			if !tc.ok {
				if err == nil {
					t.Fatalf("the oracle accepted %+v", accepted)
				}
				return
			}
			if err != nil || len(accepted) != 1 {
				t.Fatalf("the oracle rejects our envelope: %v (accepted %+v)\n%s", err, accepted, b)
			}
			// Tampered, the oracle rejects it too.
			theirs.PayloadType += "x"
			if _, err := v.Verify(context.Background(), &theirs); err == nil {
				t.Fatal("the oracle accepts a tampered payloadType")
			}
		})
	}
}

// TestOursVerifiesOracle: envelopes the oracle's EnvelopeSigner makes
// parse and verify here, whether it gives a key id or not.
func TestOursVerifiesOracle(t *testing.T) {
	ed, ed2, ec := edKey(1), edKey(2), ecKey(t)
	edID, _ := dsse.KeyID(ed.Public())
	ecID, _ := dsse.KeyID(ec.Public())
	for _, tc := range []struct {
		name    string
		signers []ssl.Signer
		pub     crypto.PublicKey
		ok      bool
	}{
		{"ed25519 with key id", []ssl.Signer{sslEd25519{priv: ed, id: edID}}, ed.Public(), true},
		{"ed25519 without key id", []ssl.Signer{sslEd25519{priv: ed}}, ed.Public(), true},
		{"ecdsa with key id", []ssl.Signer{sslP256{priv: ec, id: ecID}}, ec.Public(), true},
		{"ecdsa without key id", []ssl.Signer{sslP256{priv: ec}}, ec.Public(), true},
		{"two signers", []ssl.Signer{sslEd25519{priv: ed2}, sslP256{priv: ec, id: ecID}}, ec.Public(), true},
		{"another key", []ssl.Signer{sslEd25519{priv: ed2}}, ed.Public(), false},
		{"a foreign key id", []ssl.Signer{sslEd25519{priv: ed, id: "SHA256:not-ours"}}, ed.Public(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ssl.NewEnvelopeSigner(tc.signers...)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := s.SignPayload(context.Background(), testType, testPayload)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(theirs)
			if err != nil {
				t.Fatal(err)
			}
			env, err := dsse.Parse(b)
			if err != nil {
				t.Fatalf("Parse of the oracle's envelope: %v\n%s", err, b)
			}
			if env.PayloadType != testType || string(env.Payload) != string(testPayload) {
				t.Fatalf("Parse = %+v", env)
			}
			err = dsse.Verify(&env, tc.pub)
			if !tc.ok {
				checkErr(t, err, dsse.ErrSignature, "")
				return
			}
			if err != nil {
				t.Fatalf("Verify of the oracle's envelope: %v\n%s", err, b)
			}
			// Every signature it made verifies with its key, keyid aside.
			last := env.Signatures[len(env.Signatures)-1]
			if err := dsse.VerifySignature(tc.pub, &env, last); err != nil {
				t.Fatalf("VerifySignature: %v", err)
			}
		})
	}
}

func edKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b
	}
	return ed25519.NewKeyFromSeed(seed)
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

// checkErr fails unless err wraps sentinel with its code and reason.
func checkErr(t *testing.T, err error, sentinel *trustgate.Error, _ string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	if e := trustgate.AsError(err); e.Code != sentinel.Code || e.Reason != sentinel.Reason {
		t.Fatalf("error %v: code %q reason %q, want %q %q", err, e.Code, e.Reason, sentinel.Code, sentinel.Reason)
	}
}

const testType = "application/vnd.in-toto+json"

var testPayload = []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.pkg","digest":{"sha256":"` +
	strings.Repeat("ab", 32) + `"}}],"predicateType":"https://trustgate.dev/approval/v1","predicate":{"member":"alice"}}`)
