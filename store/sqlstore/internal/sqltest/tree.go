package sqltest

import (
	"crypto/ed25519"
	"database/sql"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dropTreeGuards drops the triggers that keep audit_tree append-only, as
// an attacker with database access would (or, for a test, to make a
// database as it was before migration 0010 built no tree).
func dropTreeGuards(t *testing.T, b Backend, raw *sql.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_tree_no_update", "DROP TRIGGER audit_tree_no_delete"}
	if b.Dialect == sqlstore.PostgreSQL {
		stmts = []string{"DROP TRIGGER audit_tree_immutable ON audit_tree"}
	}
	for _, s := range stmts {
		_, err := raw.ExecContext(t.Context(), s)
		require.NoError(t, err, s)
	}
}

func appendEvents(t *testing.T, s *store.Store, n int) {
	t.Helper()
	for range n {
		_, err := s.AppendAudit(t.Context(), security.EventInput{Type: "test.event", Actor: "tester"})
		require.NoError(t, err)
	}
}

// treeBuiltLater: a log whose events have no tree rows (a database from
// before the tree) gets its tree on the first write, built from the
// events and verified against their chain; until then, proofs say why
// they cannot be made.
func treeBuiltLater(t *testing.T, b Backend) {
	ctx := t.Context()
	s, raw := newStore(t, b)
	appendEvents(t, s, 10)
	head, root, err := s.VerifyLog(ctx, security.VerifyOptions{})
	require.NoError(t, err)
	dropTreeGuards(t, b, raw)
	_, err = raw.ExecContext(ctx, "DELETE FROM audit_tree")
	require.NoError(t, err)

	// A new process: no tree in memory.
	fresh, err := store.New(s.Driver(), store.Options{})
	require.NoError(t, err)
	signer, err := auditlog.NewSigner("trustgate.test/audit", ed25519.NewKeyFromSeed(make([]byte, 32)))
	require.NoError(t, err)
	cp, err := auditlog.Sign(auditlog.Checkpoint{Origin: signer.Name(), Size: head.Size, Hash: root}, signer)
	require.NoError(t, err)
	_, err = fresh.ProveEvent(ctx, 3, cp)
	require.ErrorContains(t, err, "SyncTree")
	got, gotRoot, err := fresh.VerifyLog(ctx, security.VerifyOptions{})
	require.NoError(t, err, "a tree behind the log is not tampering")
	assert.Equal(t, head, got)
	assert.Equal(t, root, gotRoot)

	synced, err := fresh.SyncTree(ctx)
	require.NoError(t, err)
	assert.Equal(t, head, synced)
	var rows int
	require.NoError(t, raw.QueryRowContext(ctx, "SELECT count(*) FROM audit_tree").Scan(&rows))
	assert.Equal(t, 10, rows)
	p, err := fresh.ProveEvent(ctx, 3, cp)
	require.NoError(t, err)
	_, _, err = auditlog.VerifyInclusion(p, auditlog.Trust{Origin: signer.Name(), Log: signer.Verifier()})
	require.NoError(t, err)
	appendEvents(t, fresh, 2)
	_, _, err = fresh.VerifyLog(ctx, security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: auditlog.Trust{Origin: signer.Name(), Log: signer.Verifier()}})
	require.NoError(t, err)

	// Building it verifies the chain: an edited event is not built over.
	_, err = raw.ExecContext(ctx, "DELETE FROM audit_tree")
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, "DROP TRIGGER audit_events_no_update"+map[bool]string{true: " ON audit_events"}[b.Dialect == sqlstore.PostgreSQL])
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 5")
	require.NoError(t, err)
	again, err := store.New(s.Driver(), store.Options{})
	require.NoError(t, err)
	_, err = again.SyncTree(ctx)
	var ce *security.ChainError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, int64(5), ce.Seq)
	require.NoError(t, raw.QueryRowContext(ctx, "SELECT count(*) FROM audit_tree").Scan(&rows))
	assert.Zero(t, rows, "nothing of a failed build is kept")
}

// treeRowEdited: a stored tree row that is not the one its event makes is
// found by VerifyLog, named.
func treeRowEdited(t *testing.T, b Backend) {
	ctx := t.Context()
	s, raw := newStore(t, b)
	appendEvents(t, s, 6)
	dropTreeGuards(t, b, raw)
	stmt := "UPDATE audit_tree SET hashes = zeroblob(length(hashes)) WHERE seq = 4"
	if b.Dialect == sqlstore.PostgreSQL {
		stmt = "UPDATE audit_tree SET hashes = decode(repeat('00', length(hashes)), 'hex') WHERE seq = 4"
	}
	_, err := raw.ExecContext(ctx, stmt)
	require.NoError(t, err)
	_, _, err = s.VerifyLog(ctx, security.VerifyOptions{})
	require.ErrorIs(t, err, attest.ErrTampered)
	var re *attest.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "audit_tree/4", re.Record)
	_, err = raw.ExecContext(ctx, "DELETE FROM audit_tree WHERE seq = 6")
	require.NoError(t, err)
	_, _, err = s.VerifyLog(ctx, security.VerifyOptions{})
	require.ErrorIs(t, err, attest.ErrTampered, "still the edited row first")
}

// treeReadInPages: VerifyLog reads the events and their tree rows a page
// at a time, and gives the same head and root whatever the page size,
// including pages that end exactly at the log's end; a tree row left
// behind by an event deleted from the end of the log is found at any page
// size.
func treeReadInPages(t *testing.T, b Backend) {
	ctx := t.Context()
	s, raw := newStore(t, b)
	appendEvents(t, s, 21)
	head, root, err := s.VerifyLog(ctx, security.VerifyOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(21), head.Size)
	pages := []int{1, 2, 7, 10, 20, 21, 22}
	for _, page := range pages {
		h, r, err := s.VerifyLog(ctx, security.VerifyOptions{PageSize: page})
		require.NoError(t, err, "page %d", page)
		assert.Equal(t, head, h, "page %d", page)
		assert.Equal(t, root, r, "page %d", page)
	}
	_, err = raw.ExecContext(ctx, "DROP TRIGGER audit_events_no_delete"+map[bool]string{true: " ON audit_events"}[b.Dialect == sqlstore.PostgreSQL])
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, "DELETE FROM audit_events WHERE seq = 21")
	require.NoError(t, err)
	for _, page := range pages {
		_, _, err := s.VerifyLog(ctx, security.VerifyOptions{PageSize: page})
		var re *attest.RecordError
		require.ErrorAs(t, err, &re, "page %d", page)
		assert.Equal(t, "audit_tree/21", re.Record, "page %d", page)
	}
}
