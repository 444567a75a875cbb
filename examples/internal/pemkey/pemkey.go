// Package pemkey reads and writes the key files of the example programs:
// private keys as PEM "PRIVATE KEY" blocks (PKCS #8), public keys as PEM
// "PUBLIC KEY" blocks (PKIX SubjectPublicKeyInfo), Ed25519 or ECDSA on
// P-256 (the two key types trustgate signs with, see package dsse). The
// same files work with openssl:
//
//	openssl genpkey -algorithm ed25519 -out alice.pem
//	openssl pkey -in alice.pem -pubout
package pemkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// PEM block types.
const (
	privateType = "PRIVATE KEY"
	publicType  = "PUBLIC KEY"
)

// ParsePrivateKey reads the first PEM block of b, which must be a PKCS #8
// "PRIVATE KEY" holding an Ed25519 key or an ECDSA key on P-256, and
// returns it as a crypto.Signer.
func ParsePrivateKey(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	switch {
	case block == nil:
		return nil, errors.New("no PEM block: want a PEM \"PRIVATE KEY\" (PKCS #8)")
	case block.Type != privateType:
		return nil, fmt.Errorf("a PEM %q block: want \"PRIVATE KEY\" (PKCS #8; convert with openssl pkcs8 -topk8 -nocrypt)", block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PKCS #8: %w", err)
	}
	switch k := k.(type) {
	case ed25519.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("an ECDSA key on %s: only P-256 is supported", k.Curve.Params().Name)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("a %T: only Ed25519 and ECDSA P-256 keys are supported", k)
	}
}

// LoadPrivateKey reads the private key file at path (see ParsePrivateKey).
func LoadPrivateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// MarshalPrivateKey returns k as a PEM "PRIVATE KEY" block (PKCS #8).
func MarshalPrivateKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: privateType, Bytes: der}), nil
}

// ParsePublicKey reads the first PEM block of b, which must be a "PUBLIC
// KEY" (PKIX SubjectPublicKeyInfo) holding an Ed25519 key or an ECDSA key
// on P-256.
func ParsePublicKey(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	switch {
	case block == nil:
		return nil, errors.New("no PEM block: want a PEM \"PUBLIC KEY\"")
	case block.Type != publicType:
		return nil, fmt.Errorf("a PEM %q block: want \"PUBLIC KEY\"", block.Type)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	switch k := k.(type) {
	case ed25519.PublicKey:
		return k, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("an ECDSA key on %s: only P-256 is supported", k.Curve.Params().Name)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("a %T: only Ed25519 and ECDSA P-256 keys are supported", k)
	}
}

// MarshalPublicKey returns pub as a PEM "PUBLIC KEY" block.
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: publicType, Bytes: der}), nil
}

// GenerateEd25519 returns a new random Ed25519 key.
func GenerateEd25519() (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	return k, err
}

// WritePrivateKey writes k to a new file at path, readable by its owner
// only (mode 0600). An existing file is never overwritten.
func WritePrivateKey(path string, k crypto.Signer) error {
	b, err := MarshalPrivateKey(k)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	return f.Close()
}
