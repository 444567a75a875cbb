package pemkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	ed, err := GenerateEd25519()
	require.NoError(t, err)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for name, k := range map[string]crypto.Signer{"ed25519": ed, "p256": p256} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k.pem")
			require.NoError(t, WritePrivateKey(path, k))
			st, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
			assert.Error(t, WritePrivateKey(path, k), "an existing file is never overwritten")

			back, err := LoadPrivateKey(path)
			require.NoError(t, err)
			assert.True(t, back.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()))

			pubPEM, err := MarshalPublicKey(k.Public())
			require.NoError(t, err)
			pub, err := ParsePublicKey(pubPEM)
			require.NoError(t, err)
			assert.True(t, pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()))
		})
	}
}

func TestRefusesOtherKeys(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for name, k := range map[string]any{"p384": p384, "rsa": rk} {
		t.Run(name, func(t *testing.T) {
			der, err := x509.MarshalPKCS8PrivateKey(k)
			require.NoError(t, err)
			_, err = ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
			assert.Error(t, err)
			pub, err := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
			require.NoError(t, err)
			_, err = ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
			assert.Error(t, err)
		})
	}
	for name, b := range map[string]string{
		"not PEM":     "hello",
		"public":      "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n",
		"bad PKCS #8": "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePrivateKey([]byte(b))
			assert.Error(t, err)
		})
	}
	_, err = ParsePublicKey([]byte("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"))
	assert.Error(t, err)
}
