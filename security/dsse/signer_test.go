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
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/dsse"
)

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
