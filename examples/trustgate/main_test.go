package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEverySubcommandPrintsItsUsageWithH(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			r := tg(t, c.name, "-h")
			assert.Equal(t, exitOK, r.code)
			assert.True(t, strings.HasPrefix(r.stdout, "usage: trustgate "+c.name+" "), r.stdout)
			assert.Contains(t, r.stdout, "-json")
			assert.Contains(t, r.stdout, "-db file")
			assert.Contains(t, r.stdout, "exit status: 0 ok, 1 the check failed, 2 usage, 3 could not run")
			assert.Empty(t, r.stderr)
		})
	}
	r := tg(t, "-h")
	assert.Equal(t, exitOK, r.code)
	for _, c := range commands() {
		assert.Contains(t, r.stdout, c.name)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for name, args := range map[string][]string{
		"no subcommand":      nil,
		"unknown subcommand": {"frobnicate"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Empty(t, r.stdout)
			assert.NotEmpty(t, r.stderr)
		})
	}
	for _, c := range commands() {
		t.Run(c.name+" with an unknown flag", func(t *testing.T) {
			r := tg(t, c.name, "-db", "x.db", "-no-such-flag")
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, "flag provided but not defined: -no-such-flag")
			assert.Contains(t, r.stderr, "trustgate "+c.name+" -h")
			assert.Empty(t, r.stdout)
		})
		t.Run(c.name+" without a database", func(t *testing.T) {
			if c.name == "sign" { // signs stdin without one
				return
			}
			r := tg(t, c.name)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, "-db FILE or -postgres DSN")
		})
		t.Run(c.name+" with two databases", func(t *testing.T) {
			r := tg(t, c.name, "-db", "x.db", "-postgres", "postgres://x")
			assert.Equal(t, exitUsage, r.code)
		})
	}
}

// TestADatabaseThatIsNotTrustgatesIsRefusedUntouched runs every
// subcommand on a missing file, an empty SQLite database and a file that
// is not a database: each exits 3, says why, and leaves the file as it was
// (a missing one is not created).
func TestADatabaseThatIsNotTrustgatesIsRefusedUntouched(t *testing.T) {
	fx := newSQLiteFixture(t) // for the key files
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	empty := filepath.Join(dir, "empty.db")
	db, err := sql.Open("sqlite3", "file:"+empty)
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(), `CREATE TABLE notes (body TEXT)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	text := filepath.Join(dir, "text.db")
	require.NoError(t, os.WriteFile(text, []byte("just some text, not a database\n"), 0o644))

	argsOf := map[string][]string{
		"verify":     {"-keyring", fx.keyring, "-service-pub", fx.servicePub},
		"checkpoint": {"-service-key", fx.serviceKey, "-origin", testOrigin},
		"prove":      {"-event", "1"},
		"export":     {"-log"},
		"sign":       {"-key", filepath.Join(fx.dir, "alice.pem"), "-member", "alice", "-request", "chg-1"},
		"evaluate":   {"-dry-run"},
		"shadow":     {"-model", writeTemp(t, candidateJSON(t))},
	}
	for _, c := range commands() {
		for name, want := range map[string]string{missing: "no such file", empty: "not a trustgate database", text: "not a trustgate database"} {
			t.Run(c.name+" "+filepath.Base(name), func(t *testing.T) {
				before, _ := os.ReadFile(name)
				r := tg(t, append([]string{c.name, "-db", name}, argsOf[c.name]...)...)
				assert.Equal(t, exitRun, r.code, "%s%s", r.stdout, r.stderr)
				assert.Contains(t, r.stderr, want)
				assert.Empty(t, r.stdout)
				after, err := os.ReadFile(name)
				if name == missing {
					assert.ErrorIs(t, err, os.ErrNotExist, "the missing database was created")
					return
				}
				assert.Equal(t, before, after, "the file was changed")
			})
		}
	}
}

// writeTemp writes b to a new file and returns its path.
func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// TestTheReadingSubcommandsStoreCannotWrite opens the store as verify,
// prove and export do and tries to write through it: the database refuses.
func TestTheReadingSubcommandsStoreCannotWrite(t *testing.T) {
	fx := newSQLiteFixture(t)
	checkReadOnly(t, fx)
}

func checkReadOnly(t *testing.T, fx *fixture) {
	t.Helper()
	f := dbFlags{path: fx.db, dsn: fx.dsn}
	s, err := f.open(t.Context(), false, store.Options{})
	require.NoError(t, err)
	defer s.close()
	before, err := s.AuditHead(t.Context())
	require.NoError(t, err)
	_, err = s.AppendAudit(t.Context(), security.EventInput{Type: "test.note", Actor: "mallory", Subject: "note:x"})
	assert.Error(t, err, "a write through the read-only store")
	after, err := s.AuditHead(t.Context())
	require.NoError(t, err)
	assert.Equal(t, before, after)
}
