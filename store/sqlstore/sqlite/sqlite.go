// Package sqlite opens a trustgate storage driver ([sqlstore.Driver]) on a
// SQLite database file, through the cgo-free driver
// github.com/ncruces/go-sqlite3. It is the only package of trustgate that
// imports a SQL driver, and its tests the only ones that open SQLite, so a
// program that stores its records in PostgreSQL neither compiles nor
// downloads SQLite.
//
//	db, err := sqlite.Open(ctx, "/var/lib/trustgate/trustgate.db", sqlstore.Options{})
//	if err != nil { … }
//	s, err := store.New(db, store.Options{})
//	if err != nil { … }
//	defer s.Close() // closes db's pools too
//
// [Open] sets the database up the way it holds up under concurrent writers:
// every pragma in the DSN, so that each new connection gets it; one writer
// connection whose transactions begin IMMEDIATE; and a separate pool of
// read-only connections, which WAL mode lets read while the writer writes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
)

// BusyTimeoutMillis is how long a connection waits for another's lock
// before it gives up with "database is locked".
const BusyTimeoutMillis = 10000

// DSN returns the data source name of the SQLite database file at path for
// the ncruces driver, with every pragma the store needs.
//
// With write set it is the writer's: busy_timeout first (the driver applies
// pragmas in order), WAL journal, synchronous=NORMAL (durable at every
// checkpoint, safe from corruption), foreign keys on, and transactions that
// begin IMMEDIATE, which take the write lock at BEGIN so that a transaction
// never fails on upgrading a read lock. Otherwise it is a reader's: the same
// busy timeout and foreign keys, and query_only, so a read connection cannot
// write. journal_mode persists in the file; the writer sets it.
func DSN(path string, write bool) string {
	var b strings.Builder
	b.WriteString("file:")
	b.WriteString(escapePath(path))
	fmt.Fprintf(&b, "?_pragma=busy_timeout(%d)", BusyTimeoutMillis)
	if write {
		b.WriteString("&_pragma=journal_mode(wal)&_pragma=synchronous(normal)&_pragma=foreign_keys(1)&_txlock=immediate")
	} else {
		b.WriteString("&_pragma=foreign_keys(1)&_pragma=query_only(1)")
	}
	return b.String()
}

// escapePath percent-encodes what a SQLite URI path cannot hold literally.
func escapePath(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' || c == '?' || c == '#' || c == '&' || c == '=' || c <= ' ' || c >= 0x7f:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// DB is a [sqlstore.Driver] on a SQLite file, with the two pools it
// opened. Close it when done (store.Store.Close does).
type DB struct {
	*sqlstore.Driver
	write, read *sql.DB
}

// Open opens (creating it if need be) the SQLite database file at path,
// migrates its schema, and returns the driver on it, for store.New. It opens a writer pool
// of one connection and a pool of read-only connections, both with
// [DSN]'s pragmas, and passes the read pool as opts.ReadDB (replacing any
// set there). path is a file path; an in-memory database cannot be shared
// by the two pools.
func Open(ctx context.Context, path string, opts sqlstore.Options) (*DB, error) {
	return open(ctx, path, opts, func(dsn string) (*sql.DB, error) { return driver.Open(dsn) })
}

// open is Open with the function that opens a pool on a DSN (the tests
// pass one that records the statements the pools run).
func open(ctx context.Context, path string, opts sqlstore.Options, pool func(dsn string) (*sql.DB, error)) (*DB, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, &trustgate.Error{Code: trustgate.Invalid, Field: "path", Message: fmt.Sprintf("sqlite: Open: %q: want the path of a database file", path)}
	}
	w, err := pool(DSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %v", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Connect the writer first: it creates the file and switches it to WAL.
	if err := connect(ctx, w); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := pool(DSN(path, false))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %v", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db := &DB{write: w, read: r}
	opts.ReadDB = r
	db.Driver, err = sqlstore.New(w, sqlstore.SQLite, opts)
	if err == nil {
		err = db.Migrate(ctx)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// connect makes db's first connection, which runs the DSN's pragmas. On a
// new file, switching to WAL takes an exclusive lock and fails at once with
// SQLITE_BUSY, without waiting out the busy timeout (SQLite's way of
// avoiding a deadlock), when another process is creating the same file at
// that moment; connect tries again until the busy timeout has passed.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeoutMillis * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sqlite3.BUSY) || time.Now().After(deadline) {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("%v", err) // the driver's message, not its error type
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// Close closes both pools. The store must not be used afterwards.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}
