package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statement is an approval statement as the server's approval-statement
// endpoint returns it.
func statement(t *testing.T) []byte {
	t.Helper()
	b, err := attest.Encode(cab.PredicateApproval, cab.ApprovalStatement{
		Kind: cab.KindApproval, RequestID: "0195a3e0-0000-7000-8000-000000000001", Decision: strings.Repeat("a", 64),
		ModelHash: strings.Repeat("b", 64), Member: "alice", Comment: "tested on the pilot ring",
	}, attest.DigestSubject("Zoom", sha256.Sum256([]byte("zoom"))))
	require.NoError(t, err)
	return b
}

func TestKeygenThenSign(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "alice.pem")
	var pubOut, log bytes.Buffer
	require.NoError(t, run([]string{"-keygen", keyPath}, nil, &pubOut, &log))

	st, err := os.Stat(keyPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the private key is its owner's alone")
	assert.Contains(t, log.String(), keyPath)
	pub, err := pemkey.ParsePublicKey(pubOut.Bytes())
	require.NoError(t, err, "stdout is the public key PEM: %s", pubOut.String())
	assert.Error(t, run([]string{"-keygen", keyPath}, nil, &bytes.Buffer{}, &bytes.Buffer{}), "an existing key is never overwritten")

	payload := statement(t)
	for name, in := range map[string][]byte{
		"as served":             payload,
		"with a line break too": append(append([]byte{}, payload...), '\n'),
	} {
		t.Run(name, func(t *testing.T) {
			var out, shown bytes.Buffer
			require.NoError(t, run([]string{"-key", keyPath}, bytes.NewReader(in), &out, &shown))
			env, err := dsse.Parse(bytes.TrimSpace(out.Bytes()))
			require.NoError(t, err, "stdout is a DSSE envelope: %s", out.String())
			assert.Equal(t, attest.PayloadType, env.PayloadType)
			assert.Equal(t, payload, env.Payload, "the exact canonical statement is signed")
			require.NoError(t, dsse.Verify(&env, pub))
			other, err := pemkey.GenerateEd25519()
			require.NoError(t, err)
			assert.ErrorIs(t, dsse.Verify(&env, other.Public()), dsse.ErrSignature)
			assert.Contains(t, shown.String(), `"member":"alice"`, "what is signed is shown")
		})
	}

	t.Run("-body writes the approve endpoints' body", func(t *testing.T) {
		var out bytes.Buffer
		require.NoError(t, run([]string{"-key", keyPath, "-body"}, bytes.NewReader(payload), &out, &bytes.Buffer{}))
		var body struct {
			Envelope json.RawMessage `json:"envelope"`
		}
		dec := json.NewDecoder(&out)
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&body))
		env, err := dsse.Parse(body.Envelope)
		require.NoError(t, err)
		require.NoError(t, dsse.Verify(&env, pub))
	})
}

func TestSignRefuses(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), "k.pem")
	require.NoError(t, run([]string{"-keygen", keyPath}, nil, &bytes.Buffer{}, &bytes.Buffer{}))
	payload := statement(t)
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, payload, "", "  "))
	foreign, err := attest.Encode("https://slsa.dev/provenance/v1", map[string]string{"builder": "x"}, attest.DigestSubject("a", sha256.Sum256(nil)))
	require.NoError(t, err)
	notInToto := bytes.Replace(payload, []byte(attest.StatementType), []byte("https://in-toto.io/Statement/v0.1"), 1)
	noSubject, err := attest.Encode(cab.PredicateApproval, cab.ApprovalStatement{Member: "alice"})
	require.NoError(t, err)

	for name, tt := range map[string]struct {
		args []string
		in   []byte
		want string
	}{
		"not JSON":                {[]string{"-key", keyPath}, []byte("approve please"), "not a JSON statement"},
		"not canonical":           {[]string{"-key", keyPath}, indented.Bytes(), "canonical"},
		"not an in-toto v1 type":  {[]string{"-key", keyPath}, notInToto, "_type"},
		"another predicate type":  {[]string{"-key", keyPath}, foreign, "not trustgate's"},
		"no subject":              {[]string{"-key", keyPath}, noSubject, "subject"},
		"no key":                  {nil, payload, "-key"},
		"both -key and -keygen":   {[]string{"-key", keyPath, "-keygen", keyPath + "2"}, payload, "not both"},
		"a key file that is none": {[]string{"-key", filepath.Join(t.TempDir(), "missing.pem")}, payload, "missing.pem"},
		"stray arguments":         {[]string{"-key", keyPath, "extra"}, payload, "unexpected"},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(tt.args, bytes.NewReader(tt.in), &out, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, out.String(), "nothing signed")
		})
	}
}
