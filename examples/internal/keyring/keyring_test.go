package keyring_test

import (
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/examples/internal/keyring"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newKey(t testing.TB) (crypto.Signer, string) {
	t.Helper()
	k, err := pemkey.GenerateEd25519()
	require.NoError(t, err)
	pub, err := pemkey.MarshalPublicKey(k.Public())
	require.NoError(t, err)
	return k, string(pub)
}

func jsonString(s string) string { return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"` }

func TestParseReadsEveryPartOfTheFile(t *testing.T) {
	svc, _ := newKey(t)
	carol, carolPub := newKey(t)
	_, pipePub := newKey(t)
	c, err := keyring.Parse([]byte(`{"mode": "member-signed", "model_quorum": 3,
		"members": {"carol": [`+jsonString(carolPub)+`], "dave": []},
		"producers": {"pipeline": [`+jsonString(pipePub)+`]}}`), svc.Public())
	require.NoError(t, err)
	assert.Equal(t, attest.MemberSigned, c.Mode)
	assert.Equal(t, 3, c.ModelQuorum)
	assert.Equal(t, svc.Public(), c.Service)
	require.Len(t, c.Members["carol"], 1)
	assert.Equal(t, carol.Public(), c.Members["carol"][0])
	assert.Empty(t, c.Members["dave"])
	assert.Len(t, c.Producers["pipeline"], 1)
}

func TestParseRefusesBadFilesNamingTheField(t *testing.T) {
	svc, _ := newKey(t)
	for name, tt := range map[string]struct{ file, field, text string }{
		"not JSON":          {`{`, "", "not a keyring file"},
		"an unknown member": {`{"members": {}, "quorum": 1}`, "", `"quorum"`},
		"trailing data":     {`{"members": {"carol": []}} {}`, "", "trailing data"},
		"not a PEM key":     {`{"members": {"carol": ["ssh-ed25519 AAAA"]}}`, "members[carol][0]", "no PEM block"},
		"a bad producer":    {`{"members": {}, "producers": {"p": ["x"]}}`, "producers[p][0]", "not a public key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := keyring.Parse([]byte(tt.file), svc.Public())
			e := trustgate.AsError(err)
			require.NotNil(t, e)
			assert.Equal(t, trustgate.Invalid, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, err.Error(), tt.text)
		})
	}
}

func TestMarshalWritesWhatParseReads(t *testing.T) {
	svc, _ := newKey(t)
	alice, _ := newKey(t)
	pipe, _ := newKey(t)
	in := attest.Config{Service: svc.Public(), Mode: attest.MemberSigned, ModelQuorum: 2,
		Members:   map[string][]crypto.PublicKey{"alice": {alice.Public()}, "bob": nil},
		Producers: map[string][]crypto.PublicKey{"pipeline": {pipe.Public()}}}
	b, err := keyring.Marshal(in)
	require.NoError(t, err)
	out, err := keyring.Parse(b, svc.Public())
	require.NoError(t, err)
	assert.Equal(t, in.Mode, out.Mode)
	assert.Equal(t, in.ModelQuorum, out.ModelQuorum)
	assert.Equal(t, in.Members["alice"], out.Members["alice"])
	assert.Contains(t, out.Members, "bob")
	assert.Empty(t, out.Members["bob"])
	assert.Equal(t, in.Producers, out.Producers)
	assert.NotContains(t, string(b), "service", "the service key is not the file's")
}

func TestLoadBuildsTheKeyring(t *testing.T) {
	svc, _ := newKey(t)
	_, pub := newKey(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"mode": "member-signed", "members": {"Carol": [`+jsonString(pub)+`]}}`), 0o600))
	k, err := keyring.Load(path, svc.Public())
	require.NoError(t, err)
	assert.Equal(t, []string{"carol"}, k.Members())
	assert.Equal(t, attest.MemberSigned, k.Mode())

	t.Run("a configuration attest refuses", func(t *testing.T) {
		p := filepath.Join(dir, "one.json")
		require.NoError(t, os.WriteFile(p, []byte(`{"model_quorum": 1, "members": {}}`), 0o600))
		_, err := keyring.Load(p, svc.Public())
		assert.Equal(t, "model_quorum", trustgate.AsError(err).Field)
	})
	t.Run("a missing file", func(t *testing.T) {
		_, err := keyring.Load(filepath.Join(dir, "none.json"), svc.Public())
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("a file too large", func(t *testing.T) {
		p := filepath.Join(dir, "big.json")
		require.NoError(t, os.WriteFile(p, []byte(`{"members": {}}`+strings.Repeat(" ", keyring.MaxSize)), 0o600))
		_, err := keyring.Load(p, svc.Public())
		assert.ErrorContains(t, err, "larger than")
	})
}

func FuzzParse(f *testing.F) {
	_, pub := newKey(f)
	f.Add([]byte(`{"mode": "member-signed", "members": {"carol": [` + jsonString(pub) + `]}}`))
	f.Add([]byte(`{"members": {}} {}`))
	f.Add([]byte(`{"members": {"a": ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := keyring.Parse(b, nil)
		if err != nil {
			if trustgate.AsError(err).Code != trustgate.Invalid {
				t.Fatalf("a refusal that is not Invalid: %v", err)
			}
			return
		}
		again, err := keyring.Marshal(c)
		if err != nil {
			t.Fatalf("a parsed keyring does not marshal: %v", err)
		}
		if _, err := keyring.Parse(again, nil); err != nil {
			t.Fatalf("a marshalled keyring does not parse: %v\n%s", err, again)
		}
	})
}
