package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pragma(t *testing.T, c *sql.Conn, name string) string {
	t.Helper()
	var v string
	require.NoError(t, c.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v))
	return v
}

func TestOpenSetsThePragmasOnBothPools(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "trustgate.db"), sqlstore.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, db.Close()) }()

	assert.Equal(t, 1, db.write.Stats().MaxOpenConnections, "one writer connection")
	for name, pool := range map[string]*sql.DB{"writer": db.write, "reader": db.read} {
		c, err := pool.Conn(t.Context())
		require.NoError(t, err, name)
		assert.Equal(t, "wal", pragma(t, c, "journal_mode"), name)
		assert.Equal(t, "10000", pragma(t, c, "busy_timeout"), name)
		assert.Equal(t, "1", pragma(t, c, "foreign_keys"), name)
		if name == "writer" {
			assert.Equal(t, "1", pragma(t, c, "synchronous"), name+": NORMAL")
			assert.Equal(t, "0", pragma(t, c, "query_only"), name)
		} else {
			assert.Equal(t, "1", pragma(t, c, "query_only"), name)
			_, err := c.ExecContext(t.Context(), `CREATE TABLE nope (x)`)
			assert.Error(t, err, "a read connection cannot write")
		}
		require.NoError(t, c.Close())
	}
}

func TestWriterTransactionsBeginImmediate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trustgate.db")
	db, err := Open(t.Context(), path, sqlstore.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, db.Close()) }()
	tx, err := db.write.BeginTx(t.Context(), nil)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	// An IMMEDIATE transaction holds the write lock from BEGIN on, before
	// it writes anything: another writer cannot start one.
	other, err := sql.Open("sqlite3", "file:"+path+"?_pragma=busy_timeout(0)&_txlock=immediate")
	require.NoError(t, err)
	defer func() { _ = other.Close() }()
	_, err = other.BeginTx(t.Context(), nil)
	require.Error(t, err, "the write lock is taken at BEGIN")
}

func TestConcurrentOpenOfANewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trustgate.db")
	const n = 8
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), path, sqlstore.Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err)
		defer func() { require.NoError(t, dbs[i].Close()) }()
	}
	ms, err := sqlstore.Migrations(sqlstore.SQLite)
	require.NoError(t, err)
	var applied int
	require.NoError(t, dbs[0].read.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&applied))
	assert.Equal(t, len(ms), applied)
	// Every process appends to one chain.
	stores := make([]*store.Store, n)
	for i := range n {
		stores[i], err = store.New(dbs[i], store.Options{})
		require.NoError(t, err)
	}
	for i := range n {
		wg.Go(func() {
			_, err := stores[i].AppendAudit(t.Context(), security.EventInput{Type: "t", Actor: "a"})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	head, err := security.VerifyChain(t.Context(), stores[0], security.VerifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(n), head.Size)
}

func TestDSN(t *testing.T) {
	assert.Equal(t,
		"file:/tmp/a%20b%3F%23.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)&_pragma=foreign_keys(1)&_txlock=immediate",
		DSN("/tmp/a b?#.db", true))
	assert.Equal(t, "file:x.db?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)", DSN("x.db", false))

	// A path that needs escaping opens the file it names.
	path := filepath.Join(t.TempDir(), "odd name?#%.db")
	db, err := Open(t.Context(), path, sqlstore.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	assert.FileExists(t, path)
}

func TestOpenRejectsWhatIsNotAFilePath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db"} {
		_, err := Open(context.Background(), p, sqlstore.Options{})
		assert.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err), p)
		assert.Equal(t, "path", trustgate.AsError(err).Field, p)
	}
}

func TestCloseClosesBothPools(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "trustgate.db"), sqlstore.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	assert.Error(t, db.write.PingContext(t.Context()))
	assert.Error(t, db.read.PingContext(t.Context()))
}
