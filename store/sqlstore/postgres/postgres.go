// Package postgres opens a trustgate storage driver ([sqlstore.Driver]) on
// PostgreSQL, for fleets of processes sharing one database. It imports no
// SQL driver: the caller opens the pool with the one they choose (pgx's
// database/sql driver, github.com/jackc/pgx/v5/stdlib, is the one tested),
// and only this package's tests import pgx, so a program that stores its
// records in SQLite neither compiles nor downloads it.
//
//	import _ "github.com/jackc/pgx/v5/stdlib"
//
//	pool, err := sql.Open("pgx", "postgres://trustgate@db.internal/trustgate")
//	if err != nil { … }
//	defer pool.Close()
//	d, err := postgres.Open(ctx, pool, sqlstore.Options{}) // migrates
//	if err != nil { … }
//	s, err := store.New(d, store.Options{})
//
// The schema lives in the first schema of the connections' search_path, so
// several installations can share a database, one schema each. Write
// transactions are serialised across every process by a transaction-scoped
// advisory lock (pg_advisory_xact_lock); migrations by a session advisory
// lock, so processes starting at once apply each migration once.
package postgres

import (
	"context"
	"database/sql"

	"github.com/buildworksai/trustgate/store/sqlstore"
)

// Open returns a driver over pool, a PostgreSQL pool the caller opened and
// will close, after applying the schema's migrations ([sqlstore.Driver.Migrate]).
func Open(ctx context.Context, pool *sql.DB, opts sqlstore.Options) (*sqlstore.Driver, error) {
	d, err := sqlstore.New(pool, sqlstore.PostgreSQL, opts)
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		return nil, err
	}
	return d, nil
}
