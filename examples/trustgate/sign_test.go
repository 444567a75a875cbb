package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envelope parses the envelope sign wrote.
func envelope(t *testing.T, b []byte) dsse.Envelope {
	t.Helper()
	env, err := dsse.Parse(bytes.TrimSpace(b))
	require.NoError(t, err, string(b))
	return env
}

func TestSignAnApprovalFromTheDatabase(t *testing.T) {
	fx := newSQLiteFixture(t)
	req := fx.requests[1]
	for _, id := range []string{req.ID.String(), req.CorrelationID} {
		r := tg(t, fx.with("sign", "-key", filepath.Join(fx.dir, "carol.pem"), "-member", "carol", "-request", id, "-comment", "looks fine")...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		env := envelope(t, []byte(r.stdout))
		want, err := req.ApprovalPayload(cab.KindApproval, "carol", "looks fine")
		require.NoError(t, err)
		assert.Equal(t, want, env.Payload, "the statement the server asks for")
		assert.True(t, fx.svc.Keys().MemberSigned(&env, "carol"), "signed with carol's key")
		assert.False(t, fx.svc.Keys().MemberSigned(&env, "alice"))
		assert.Contains(t, r.stderr, "signing with key ")
		assert.Contains(t, r.stderr, "looks fine", "what is signed is shown first")
	}
	t.Run("a model approval, as the approve body, with -json", func(t *testing.T) {
		r := tg(t, fx.with("sign", "-key", filepath.Join(fx.dir, "alice.pem"), "-member", "alice", "-model", riskmodel.SeedVersion, "-body", "-json")...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		var doc struct {
			OK            bool   `json:"ok"`
			PredicateType string `json:"predicate_type"`
			Envelope      struct {
				Envelope json.RawMessage `json:"envelope"`
			} `json:"envelope"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
		assert.True(t, doc.OK)
		assert.Equal(t, riskmodel.PredicateApproval, doc.PredicateType)
		env := envelope(t, doc.Envelope.Envelope)
		assert.True(t, fx.svc.Keys().MemberSigned(&env, "alice"))
	})
	t.Run("a request the database lacks", func(t *testing.T) {
		r := tg(t, fx.with("sign", "-key", filepath.Join(fx.dir, "alice.pem"), "-member", "alice", "-request", "chg-none")...)
		assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
		assert.Empty(t, r.stderr, "nothing shown, nothing signed")
	})
}

func TestSignTheStatementOnStdin(t *testing.T) {
	fx := newSQLiteFixture(t)
	payload, err := fx.requests[0].ApprovalPayload(cab.KindApproval, "bob", "")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "approval.json")
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"sign", "-key", filepath.Join(fx.dir, "bob.pem"), "-o", out}, bytes.NewReader(append(payload, '\n')), &stdout, &stderr)
	require.Equal(t, exitOK, code, "%s%s", stdout.String(), stderr.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	env := envelope(t, b)
	assert.Equal(t, payload, env.Payload)
	assert.True(t, fx.svc.Keys().MemberSigned(&env, "bob"))

	stdout.Reset()
	code = run(t.Context(), []string{"sign", "-key", filepath.Join(fx.dir, "bob.pem")}, strings.NewReader(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://example.com/x"}`), &stdout, &stderr)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stdout.String(), "refusing to sign")
}

func TestSignUsage(t *testing.T) {
	fx := newSQLiteFixture(t)
	key := filepath.Join(fx.dir, "alice.pem")
	for name, args := range map[string][]string{
		"no key":                       {"-db", fx.db, "-member", "alice", "-request", "x"},
		"a database and nothing to do": {"-key", key, "-db", fx.db, "-member", "alice"},
		"both a request and a model":   {"-key", key, "-db", fx.db, "-member", "alice", "-request", "x", "-model", "y"},
		"no member":                    {"-key", key, "-db", fx.db, "-request", "x"},
		"a request without a database": {"-key", key, "-request", "x"},
		"a model with a comment":       {"-key", key, "-db", fx.db, "-member", "alice", "-model", "y", "-comment", "c"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, append([]string{"sign"}, args...)...)
			assert.Equal(t, exitUsage, r.code, "%s%s", r.stdout, r.stderr)
		})
	}
	r := tg(t, "sign", "-key", fx.servicePub)
	assert.Equal(t, exitRun, r.code, "a public key cannot sign")
}
