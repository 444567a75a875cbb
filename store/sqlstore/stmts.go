package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements. The driver's statements are few and fixed in shape
// (one insert per table, one update per set of columns, one select per kind
// of query), so each is prepared once per pool and reused: database/sql
// prepares it on each connection the first time it runs there and keeps
// it, and a transaction reuses the connection's (sql.Tx.StmtContext). On
// SQLite this takes the parser off every call, which was a third of a
// write's time.
//
// PostgreSQL needs none of this: pgx, the driver the tests use, already
// prepares and caches each statement per connection (its default query
// mode), and preparing them through database/sql as well only costs
// allocations. So the cache is SQLite's.
//
// Preparing on a pool takes one of its connections, which a write
// transaction on SQLite's one-connection writer pool holds. So a write
// transaction never prepares: a statement it has not met before runs
// unprepared, and is prepared by the next Begin, before that transaction
// takes the connection.

// maxPrepared bounds the statements kept per pool.
const maxPrepared = 256

// stmtCache keeps one pool's prepared statements.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	// pending are the statements write transactions ran unprepared, to
	// prepare at the next Begin.
	pending map[string]bool
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the statement prepared for query, if there is one.
func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[query]
	return s, ok
}

// want records query for preparing at the next prepareWanted.
func (c *stmtCache) want(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[query]; !ok && len(c.m)+len(c.pending) < maxPrepared {
		c.pending[query] = true
	}
}

// prepare returns query prepared on the pool, preparing and keeping it if
// it is not yet (and there is room; otherwise the caller gets it to close,
// owned set). The caller must hold no connection of the pool.
func (c *stmtCache) prepare(ctx context.Context, query string) (s *sql.Stmt, owned bool, err error) {
	if s, ok := c.lookup(query); ok {
		return s, false, nil
	}
	if s, err = c.pool.PrepareContext(ctx, query); err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok { // prepared meanwhile
		_ = s.Close()
		return old, false, nil
	}
	if len(c.m) >= maxPrepared {
		return s, true, nil
	}
	c.m[query] = s
	delete(c.pending, query)
	return s, false, nil
}

// prepareWanted prepares the statements write transactions asked for. The
// caller must hold no connection of the pool. A statement that fails to
// prepare is forgotten: it will run unprepared and be asked for again.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var queries []string
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range queries {
		if s, owned, err := c.prepare(ctx, q); err == nil && owned {
			_ = s.Close()
		}
	}
}

// stmt returns query as a statement of the transaction, or nil when it is
// to run unprepared; done releases it.
func (t *tx) stmt(ctx context.Context, query string) (s *sql.Stmt, done func(), err error) {
	if t.d.dialect != SQLite {
		return nil, func() {}, nil
	}
	if t.sqlTx == nil {
		ps, owned, err := t.d.readStmts.prepare(ctx, query)
		if err != nil {
			return nil, nil, err
		}
		if owned {
			return ps, func() { _ = ps.Close() }, nil
		}
		return ps, func() {}, nil
	}
	ps, ok := t.d.writeStmts.lookup(query)
	if !ok {
		t.d.writeStmts.want(query)
		return nil, func() {}, nil
	}
	ts := t.sqlTx.StmtContext(ctx, ps)
	return ts, func() { _ = ts.Close() }, nil
}
