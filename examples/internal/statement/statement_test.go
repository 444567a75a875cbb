package statement_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/examples/internal/statement"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func approval(t testing.TB) []byte {
	t.Helper()
	b, err := attest.Encode(cab.PredicateApproval, cab.ApprovalStatement{
		Kind: cab.KindApproval, RequestID: "0195a3e0-0000-7000-8000-000000000001", Decision: strings.Repeat("a", 64),
		ModelHash: strings.Repeat("b", 64), Member: "alice", Comment: "tested on the pilot ring",
	}, attest.DigestSubject("Zoom", sha256.Sum256([]byte("zoom"))))
	require.NoError(t, err)
	return b
}

func TestSignShowsAndSignsTheExactBytes(t *testing.T) {
	k, err := pemkey.GenerateEd25519()
	require.NoError(t, err)
	payload := approval(t)
	var show bytes.Buffer
	env, err := statement.Sign(k, statement.Trim(append(append([]byte(nil), payload...), " \r\n"...)), &show)
	require.NoError(t, err)
	assert.Equal(t, payload, env.Payload, "the canonical bytes, without the trailing line break")
	assert.Equal(t, attest.PayloadType, env.PayloadType)
	id, err := dsse.KeyID(k.Public())
	require.NoError(t, err)
	assert.Contains(t, show.String(), "signing with key "+id)
	assert.Contains(t, show.String(), "about Zoom sha256:")
	assert.Contains(t, show.String(), "tested on the pilot ring")
	assert.Equal(t, `{"envelope":{}}`, string(statement.Body([]byte(`{}`))))
}

func TestCheckRefusesWhatIsNotATrustgateStatement(t *testing.T) {
	good := approval(t)
	for name, tc := range map[string]struct {
		payload string
		field   string
	}{
		"not JSON":               {"{", "payload"},
		"another predicate type": {strings.Replace(string(good), cab.PredicateApproval, "https://example.com/other/v1", 1), "payload.predicateType"},
		"not canonical":          {strings.Replace(string(good), `{"_type"`, `{ "_type"`, 1), "payload"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := statement.Check([]byte(tc.payload))
			e := trustgate.AsError(err)
			require.NotNil(t, e)
			assert.Equal(t, trustgate.Invalid, e.Code)
			assert.Equal(t, tc.field, e.Field)
		})
	}
	k, err := pemkey.GenerateEd25519()
	require.NoError(t, err)
	_, err = statement.Sign(k, []byte(strings.Repeat(" ", dsse.MaxPayload+1)), &bytes.Buffer{})
	assert.ErrorContains(t, err, "larger than")
}

func FuzzCheck(f *testing.F) {
	f.Add(approval(f))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := statement.Check(b)
		if err != nil {
			if trustgate.AsError(err).Code != trustgate.Invalid {
				t.Fatalf("a refusal that is not Invalid: %v", err)
			}
			return
		}
		if !strings.HasPrefix(st.PredicateType, attest.PredicatePrefix) || len(st.Subject) == 0 {
			t.Fatalf("accepted a statement that is not trustgate's: %s", b)
		}
	})
}
