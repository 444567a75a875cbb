package main

import (
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyFile writes a new Ed25519 private key file and returns its path and
// the public key's PEM.
func keyFile(tb testing.TB, dir, name string) (string, crypto.Signer, string) {
	tb.Helper()
	k, err := pemkey.GenerateEd25519()
	require.NoError(tb, err)
	path := filepath.Join(dir, name)
	require.NoError(tb, pemkey.WritePrivateKey(path, k))
	pub, err := pemkey.MarshalPublicKey(k.Public())
	require.NoError(tb, err)
	return path, k, string(pub)
}

func jsonString(s string) string { return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"` }

func TestSetupKeysFromFiles(t *testing.T) {
	dir := t.TempDir()
	servicePath, service, _ := keyFile(t, dir, "service.pem")
	_, _, carolPub := keyFile(t, dir, "carol.pem")
	_, _, davePub := keyFile(t, dir, "dave.pem")
	ps := testPrincipals()[:3] // alice (submitter), carol and dave (cab)
	keyring := filepath.Join(dir, "keyring.json")
	require.NoError(t, os.WriteFile(keyring, []byte(`{"mode": "member-signed", "model_quorum": 2,
		"members": {"Carol": [`+jsonString(carolPub)+`], "dave": [`+jsonString(davePub)+`]}}`), 0o600))

	got, err := setupKeys(config{serviceKey: servicePath, keyring: keyring}, ps)
	require.NoError(t, err)
	keys := got.service.Keys()
	assert.Equal(t, attest.MemberSigned, keys.Mode())
	assert.Equal(t, []string{"carol", "dave"}, keys.Members(), "names are normalised")
	id, err := dsse.KeyID(service.Public())
	require.NoError(t, err)
	assert.Equal(t, id, keys.ServiceKeyID(), "the service's public key is the service key's")
	assert.Empty(t, got.devDir)

	t.Run("a CAB principal outside the keyring is refused", func(t *testing.T) {
		_, err := setupKeys(config{serviceKey: servicePath, keyring: keyring}, testPrincipals()) // with root, an admin
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"root"`)
		assert.Contains(t, err.Error(), "not members of the keyring")
	})
	t.Run("without a keyring: service-attested, the CAB principals", func(t *testing.T) {
		got, err := setupKeys(config{serviceKey: servicePath}, testPrincipals())
		require.NoError(t, err)
		assert.Equal(t, attest.ServiceAttested, got.service.Keys().Mode())
		assert.Equal(t, []string{"carol", "dave", "root"}, got.service.Keys().Members())
	})
	t.Run("no service key", func(t *testing.T) {
		_, err := setupKeys(config{keyring: keyring}, ps)
		assert.ErrorContains(t, err, "-service-key")
	})
}

func TestSetupKeysRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	servicePath, _, servicePub := keyFile(t, dir, "service.pem")
	_, _, pub := keyFile(t, dir, "carol.pem")
	ps := testPrincipals()[:2]
	for name, tt := range map[string]struct{ keyring, want string }{
		"not JSON":              {`{`, "-keyring"},
		"unknown member":        {`{"members": {}, "quorum": 1}`, "quorum"},
		"trailing data":         {`{"members": {"carol": []}} {}`, "trailing"},
		"not a PEM key":         {`{"members": {"carol": ["ssh-ed25519 AAAA"]}}`, "members[carol][0]"},
		"unknown mode":          {`{"mode": "anyone", "members": {"carol": []}}`, "mode"},
		"quorum of one":         {`{"model_quorum": 1, "members": {"carol": []}}`, "quorum"},
		"one key, two members":  {`{"members": {"carol": [` + jsonString(pub) + `], "dave": [` + jsonString(pub) + `]}}`, "keyring"},
		"the service's key":     {`{"members": {"carol": [` + jsonString(servicePub) + `]}}`, "keyring"},
		"one name spelt twice":  {`{"members": {"carol": [], "CAROL ": []}}`, "keyring"},
		"member-signed no keys": {`{"mode": "member-signed", "members": {"carol": []}}`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keyring.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.keyring), 0o600))
			_, err := setupKeys(config{serviceKey: servicePath, keyring: path}, ps)
			if tt.want == "" {
				// A member without keys is allowed by the keyring (it can
				// approve nothing in member-signed mode); the server
				// starts.
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	t.Run("a service key that is not one", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "service.pem")
		require.NoError(t, os.WriteFile(path, []byte(pub), 0o600))
		_, err := setupKeys(config{serviceKey: path}, ps)
		assert.ErrorContains(t, err, "-service-key")
	})
}

func TestSetupDevKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	ps, _, err := devPrincipals(strings.NewReader(strings.Repeat("x", 32*5)))
	require.NoError(t, err)
	first, err := setupKeys(config{devTokens: true, devKeys: dir}, ps)
	require.NoError(t, err)
	assert.Equal(t, dir, first.devDir)
	assert.ElementsMatch(t, []string{"service.pem", "dev-cab.pem", "dev-cab-2.pem", "dev-admin.pem", "keyring.json"}, first.devKeys)
	for _, f := range first.devKeys {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), f)
	}
	keys := first.service.Keys()
	assert.Equal(t, attest.ServiceAttested, keys.Mode())
	assert.Equal(t, []string{"dev-admin", "dev-cab", "dev-cab-2"}, keys.Members())
	// The member's development key is the one the keyring trusts.
	cabKey, err := pemkey.LoadPrivateKey(filepath.Join(dir, "dev-cab.pem"))
	require.NoError(t, err)
	s, err := dsse.NewSigner(cabKey)
	require.NoError(t, err)
	env, err := dsse.Seal(attest.PayloadType, []byte("{}"), s)
	require.NoError(t, err)
	assert.True(t, keys.MemberSigned(&env, "dev-cab"))

	// Started again over the same directory: the same keys.
	again, err := setupKeys(config{devTokens: true, devKeys: dir}, ps)
	require.NoError(t, err)
	assert.Equal(t, keys.ServiceKeyID(), again.service.Keys().ServiceKeyID())
	assert.True(t, again.service.Keys().MemberSigned(&env, "dev-cab"))

	// keyring.json, switched to member-signed, is a -keyring.
	path := filepath.Join(dir, "keyring.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), `"service-attested"`, `"member-signed"`, 1)), 0o600))
	signed, err := setupKeys(config{devTokens: true, devKeys: dir, keyring: path}, ps)
	require.NoError(t, err)
	assert.Equal(t, attest.MemberSigned, signed.service.Keys().Mode())
	assert.True(t, signed.service.Keys().MemberSigned(&env, "dev-cab"))
}
