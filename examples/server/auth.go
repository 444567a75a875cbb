package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate/security/attest"
)

// role is what a principal may do.
type role string

// The roles. An admin may do everything.
const (
	roleSubmitter        role = "submitter"
	roleCAB              role = "cab"
	roleIncidentReporter role = "incident_reporter"
	roleAdmin            role = "admin"
)

func (r role) valid() bool {
	switch r {
	case roleSubmitter, roleCAB, roleIncidentReporter, roleAdmin:
		return true
	}
	return false
}

// principal is an authenticated caller. Only the SHA-256 of its token is
// kept.
type principal struct {
	Name  string
	Roles []role
	hash  [sha256.Size]byte
}

// has reports whether p holds any of roles, or is an admin.
func (p *principal) has(roles ...role) bool {
	for _, r := range p.Roles {
		if r == roleAdmin || slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// authenticator holds the configured principals.
type authenticator struct {
	principals []principal
}

// principalConfig is one entry of the token file.
type principalConfig struct {
	Name        string   `json:"name"`
	Roles       []string `json:"roles"`
	TokenSHA256 string   `json:"token_sha256"`
}

// tokenFile is the JSON token file given with -token-file.
type tokenFile struct {
	Principals []principalConfig `json:"principals"`
}

// newAuthenticator checks the configured principals: a unique single-line
// name, at least one known role, and a unique 64-hex-digit token hash.
func newAuthenticator(ps []principal) (*authenticator, error) {
	if len(ps) == 0 {
		return nil, errors.New("auth: no principals configured (use -token-file or -dev-tokens)")
	}
	names := map[string]bool{}
	hashes := map[[sha256.Size]byte]bool{}
	for i, p := range ps {
		switch {
		case strings.TrimSpace(p.Name) == "" || len(p.Name) > 256 || strings.ContainsFunc(p.Name, func(c rune) bool { return c < 0x20 || c == 0x7f }):
			return nil, fmt.Errorf("auth: principal %d: a single-line name is required", i)
		case names[attest.NormalizeName(p.Name)]:
			return nil, fmt.Errorf("auth: principal %q is configured twice (names compare case-folded, trimmed and NFC-normalised)", p.Name)
		case len(p.Roles) == 0:
			return nil, fmt.Errorf("auth: principal %q has no role", p.Name)
		case hashes[p.hash]:
			return nil, fmt.Errorf("auth: principal %q shares a token with another principal", p.Name)
		case p.hash == [sha256.Size]byte{}:
			return nil, fmt.Errorf("auth: principal %q has no token hash", p.Name)
		}
		for _, r := range p.Roles {
			if !r.valid() {
				return nil, fmt.Errorf("auth: principal %q: unknown role %q (want submitter, cab, incident_reporter or admin)", p.Name, r)
			}
		}
		names[attest.NormalizeName(p.Name)], hashes[p.hash] = true, true
	}
	return &authenticator{principals: slices.Clone(ps)}, nil
}

// loadTokenFile reads principals from a JSON token file.
func loadTokenFile(path string) ([]principal, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f tokenFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	out := make([]principal, 0, len(f.Principals))
	for _, c := range f.Principals {
		p := principal{Name: c.Name}
		for _, r := range c.Roles {
			p.Roles = append(p.Roles, role(r))
		}
		sum, err := hex.DecodeString(c.TokenSHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("auth: %s: principal %q: token_sha256 must be 64 hex digits", path, c.Name)
		}
		copy(p.hash[:], sum)
		out = append(out, p)
	}
	return out, nil
}

// devPrincipals makes the development principals, each with a random
// token: dev-submitter, dev-cab, dev-cab-2, dev-incident-reporter and
// dev-admin. With the admin the CAB has three members, so that a risk
// model one of them creates can be approved by the two others. It returns
// the tokens by principal name. Only the hashes are kept.
func devPrincipals(random io.Reader) ([]principal, map[string]string, error) {
	tokens := map[string]string{}
	var out []principal
	for _, d := range []struct {
		name string
		role role
	}{
		{"dev-submitter", roleSubmitter}, {"dev-cab", roleCAB}, {"dev-cab-2", roleCAB},
		{"dev-incident-reporter", roleIncidentReporter}, {"dev-admin", roleAdmin},
	} {
		raw := make([]byte, 32)
		if _, err := io.ReadFull(random, raw); err != nil {
			return nil, nil, err
		}
		tok := "tg_" + base64.RawURLEncoding.EncodeToString(raw)
		out = append(out, principal{Name: d.name, Roles: []role{d.role}, hash: sha256.Sum256([]byte(tok))})
		tokens[d.name] = tok
	}
	return out, tokens, nil
}

// hashToken returns the hex SHA-256 of a token, as the token file holds it.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// authenticate returns the principal whose token r presents as a bearer
// token. It hashes the token and compares the hash with every configured
// hash in constant time, without stopping at a match.
func (a *authenticator) authenticate(r *http.Request) (*principal, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" {
		return nil, unauthenticated("", "a bearer token is required")
	}
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, unauthenticated("invalid_request", "the Authorization header must be \"Bearer <token>\"")
	}
	sum := sha256.Sum256([]byte(tok))
	found := -1
	for i := range a.principals {
		eq := subtle.ConstantTimeCompare(sum[:], a.principals[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return nil, unauthenticated("invalid_token", "the bearer token is not valid")
	}
	return &a.principals[found], nil
}

// unauthenticated is a 401 with the RFC 6750 challenge.
func unauthenticated(errCode, detail string) error {
	challenge := `Bearer realm="trustgate"`
	if errCode != "" {
		challenge += `, error="` + errCode + `"`
	}
	e := newHTTPError(http.StatusUnauthorized, codeUnauthenticated, "", detail)
	e.header = map[string]string{"WWW-Authenticate": challenge}
	return e
}

func forbidden(p *principal, roles []role) error {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return newHTTPError(http.StatusForbidden, codeForbidden, "",
		fmt.Sprintf("%q may not do this: it needs one of the roles %s (or admin)", p.Name, strings.Join(names, ", ")))
}
