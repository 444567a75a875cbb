package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/postgres"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postgresDSNEnv names the variable that points the PostgreSQL tests at
// a server, as for store/sqlstore/postgres; .ci/run starts one and sets it.
const postgresDSNEnv = "TRUSTGATE_TEST_POSTGRES_DSN"

// newPostgresFixture makes the fixture in a new schema of the test
// server, dropped when the test ends; it skips the test without a server.
func newPostgresFixture(t *testing.T) *fixture {
	t.Helper()
	base := os.Getenv(postgresDSNEnv)
	if base == "" {
		t.Skip(postgresDSNEnv + " not set: skipping PostgreSQL (source .ci/postgres.sh to start a server)")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "tg_cmd_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	_, err = admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	fx := &fixture{dir: t.TempDir(), dsn: withSearchPath(t, base, schema)}
	pool, err := sql.Open("pgx", fx.dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pool.Close() })
	d, err := postgres.Open(t.Context(), pool, sqlstore.Options{})
	require.NoError(t, err)
	fx.build(t, d)
	return fx
}

// withSearchPath returns dsn with search_path set to schema.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") { // keyword/value form
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestVerifyOnPostgreSQL(t *testing.T) {
	fx := newPostgresFixture(t)
	args := fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", fx.checkpoint, "-verifier", fx.verifier, "-json")
	r := tg(t, args...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	// The other reading subcommands on the read-only connection.
	r = tg(t, fx.with("prove", "-request", fx.requests[0].CorrelationID, "-check", "-verifier", fx.verifier)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	r = tg(t, fx.with("export", "-log")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, `"type":"store.seeded"`)
	r = tg(t, fx.with("checkpoint", "-latest")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Equal(t, string(mustRead(t, fx.checkpoint)), r.stdout)
	checkReadOnly(t, fx)

	// The attacker, with the schema owner's rights, turns the guard
	// triggers off and rejects an approved request.
	raw, err := sql.Open("pgx", fx.dsn)
	require.NoError(t, err)
	defer func() { _ = raw.Close() }()
	_, err = raw.ExecContext(t.Context(), `ALTER TABLE cab_requests DISABLE TRIGGER USER`)
	require.NoError(t, err)
	res, err := raw.ExecContext(t.Context(), `UPDATE cab_requests SET status = 'rejected' WHERE id = $1`, fx.requests[0].ID.String())
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	r = tg(t, args...)
	require.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	var doc struct {
		Failed, Record, Part string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.Equal(t, "records", doc.Failed)
	assert.Equal(t, "cab_requests/"+fx.requests[0].ID.String(), doc.Record)
	assert.Equal(t, "status", doc.Part)
}

func TestAPostgreSQLSchemaThatIsNotTrustgatesIsRefused(t *testing.T) {
	base := os.Getenv(postgresDSNEnv)
	if base == "" {
		t.Skip(postgresDSNEnv + " not set: skipping PostgreSQL (source .ci/postgres.sh to start a server)")
	}
	r := tg(t, "verify", "-postgres", withSearchPath(t, base, "tg_no_such_schema"), "-keyring", "k", "-service-pub", "p")
	// The key files are read first: they do not exist.
	assert.Equal(t, exitRun, r.code)
	fx := newSQLiteFixture(t)
	r = tg(t, "verify", "-postgres", withSearchPath(t, base, "tg_no_such_schema"), "-keyring", fx.keyring, "-service-pub", fx.servicePub)
	assert.Equal(t, exitRun, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stderr, "not a trustgate database")
}
