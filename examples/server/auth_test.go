package main

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "tokens.json")
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestLoadTokenFile(t *testing.T) {
	path := writeFile(t, `{"principals": [
		{"name": "alice", "roles": ["submitter"], "token_sha256": "`+hashToken("s3cret-a")+`"},
		{"name": "carol", "roles": ["cab", "incident_reporter"], "token_sha256": "`+strings.ToUpper(hashToken("s3cret-c"))+`"}
	]}`)
	ps, err := loadTokenFile(path)
	require.NoError(t, err)
	a, err := newAuthenticator(ps)
	require.NoError(t, err)

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer s3cret-c")
	p, err := a.authenticate(req)
	require.NoError(t, err)
	assert.Equal(t, "carol", p.Name)
	assert.True(t, p.has(roleIncidentReporter))
	assert.False(t, p.has(roleSubmitter))
	assert.Equal(t, []string{"carol"}, cabNames(ps), "the principals who act for the CAB")
}

func TestLoadTokenFileRefusesBadFiles(t *testing.T) {
	h := hashToken("x")
	for name, content := range map[string]string{
		"not JSON":      `{`,
		"unknown field": `{"principals": [], "tokens": []}`,
		"short hash":    `{"principals": [{"name": "a", "roles": ["cab"], "token_sha256": "abcd"}]}`,
		"plain token":   `{"principals": [{"name": "a", "roles": ["cab"], "token": "x", "token_sha256": "` + h + `"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadTokenFile(writeFile(t, content))
			assert.Error(t, err)
		})
	}
	_, err := loadTokenFile(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)
}

func TestNewAuthenticatorRefusesBadPrincipals(t *testing.T) {
	ok := principal{Name: "a", Roles: []role{roleCAB}, hash: [32]byte{1}}
	for name, ps := range map[string][]principal{
		"none":                 nil,
		"no name":              {{Roles: []role{roleCAB}, hash: [32]byte{1}}},
		"multi-line":           {{Name: "a\nb", Roles: []role{roleCAB}, hash: [32]byte{1}}},
		"no role":              {{Name: "a", hash: [32]byte{1}}},
		"unknown role":         {{Name: "a", Roles: []role{"root"}, hash: [32]byte{1}}},
		"no hash":              {{Name: "a", Roles: []role{roleCAB}}},
		"duplicate name":       {ok, {Name: "a", Roles: []role{roleCAB}, hash: [32]byte{2}}},
		"one name spelt twice": {{Name: "Alice ", Roles: []role{roleCAB}, hash: [32]byte{1}}, {Name: "ALICE", Roles: []role{roleCAB}, hash: [32]byte{2}}},
		"shared token":         {ok, {Name: "b", Roles: []role{roleCAB}, hash: [32]byte{1}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newAuthenticator(ps)
			assert.Error(t, err)
		})
	}
}

func TestDevPrincipals(t *testing.T) {
	ps, tokens, err := devPrincipals(rand.Reader)
	require.NoError(t, err)
	require.Len(t, ps, 5)
	a, err := newAuthenticator(ps)
	require.NoError(t, err)
	for _, want := range []struct {
		name string
		role role
	}{{"dev-submitter", roleSubmitter}, {"dev-cab", roleCAB}, {"dev-cab-2", roleCAB}, {"dev-incident-reporter", roleIncidentReporter}, {"dev-admin", roleAdmin}} {
		tok := tokens[want.name]
		require.NotEmpty(t, tok)
		assert.True(t, strings.HasPrefix(tok, "tg_"))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		p, err := a.authenticate(req)
		require.NoError(t, err)
		assert.Equal(t, want.name, p.Name)
		assert.Equal(t, []role{want.role}, p.Roles)
	}
	// Only hashes are kept.
	for _, p := range ps {
		assert.NotContains(t, string(p.hash[:]), tokens[p.Name])
	}
	_, _, err = devPrincipals(bytes.NewReader(nil))
	assert.Error(t, err)
}

func TestAuthenticateRejects(t *testing.T) {
	a, err := newAuthenticator(testPrincipals())
	require.NoError(t, err)
	for name, header := range map[string]string{
		"no header":      "",
		"no token":       "Bearer ",
		"other scheme":   "Basic " + tokCAB,
		"unknown token":  "Bearer " + tokUnknown,
		"token prefix":   "Bearer " + tokCAB[:len(tokCAB)-1],
		"just the token": tokCAB,
	} {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			_, err := a.authenticate(req)
			p := toProblem(err)
			assert.Equal(t, http.StatusUnauthorized, p.Status)
			assert.Contains(t, p.headers["WWW-Authenticate"], "Bearer")
		})
	}
}
