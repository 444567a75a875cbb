package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/ncruces/go-sqlite3/driver" // the "sqlite3" database/sql driver
)

// dbFlags are the flags every subcommand has: the database and the output
// form.
type dbFlags struct {
	path string // -db: a SQLite file
	dsn  string // -postgres: a PostgreSQL DSN
	json bool
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "db", "", "the SQLite database `file` (it must exist)")
	fs.StringVar(&f.dsn, "postgres", "", "the PostgreSQL `DSN` (the schema is the first of its search_path)")
	fs.BoolVar(&f.json, "json", false, "write one JSON document to stdout instead of text for people")
}

// check refuses no database or two.
func (f *dbFlags) check(fs *flag.FlagSet) error {
	switch {
	case f.path == "" && f.dsn == "":
		return usageError("give the database: -db FILE or -postgres DSN (run trustgate %s -h)", fs.Name())
	case f.path != "" && f.dsn != "":
		return usageError("give -db or -postgres, not both")
	}
	return nil
}

// db is an open store and what closes it.
type db struct {
	*store.Store
	close func()
}

// open opens the store on the database, read-only unless write is set,
// after checking that it is a trustgate database whose schema this
// program knows. It never creates a database nor changes its schema.
func (f *dbFlags) open(ctx context.Context, write bool, opts store.Options) (*db, error) {
	opts.Logger = slog.New(slog.DiscardHandler)
	dopts := sqlstore.Options{Logger: opts.Logger}
	var (
		pools   []*sql.DB
		d       *sqlstore.Driver
		err     error
		dialect sqlstore.Dialect
		name    string
	)
	closeAll := func() {
		for _, p := range pools {
			_ = p.Close()
		}
	}
	switch {
	case f.path != "":
		dialect, name = sqlstore.SQLite, f.path
		st, err := os.Stat(f.path)
		if err != nil {
			return nil, cannotRun(fmt.Errorf("-db: %w", err))
		}
		if !st.Mode().IsRegular() {
			return nil, cannotRun(fmt.Errorf("-db %s: not a file", f.path))
		}
		r, err := sql.Open("sqlite3", sqlite.DSN(f.path, false))
		if err != nil {
			return nil, cannotRun(fmt.Errorf("-db %s: %w", f.path, err))
		}
		pools = append(pools, r)
		w := r
		if write {
			if w, err = sql.Open("sqlite3", sqlite.DSN(f.path, true)); err != nil {
				closeAll()
				return nil, cannotRun(fmt.Errorf("-db %s: %w", f.path, err))
			}
			w.SetMaxOpenConns(1)
			pools = append(pools, w)
		}
		dopts.ReadDB = r
		if err := checkSchema(ctx, r, dialect, name); err != nil {
			closeAll()
			return nil, err
		}
		d, err = sqlstore.New(w, dialect, dopts)
		if err != nil {
			closeAll()
			return nil, cannotRun(err)
		}
	default:
		dialect, name = sqlstore.PostgreSQL, "-postgres"
		cfg, err := pgx.ParseConfig(f.dsn)
		if err != nil {
			return nil, usageError("-postgres: %v", err)
		}
		if !write {
			cfg.RuntimeParams["default_transaction_read_only"] = "on"
		}
		p := stdlib.OpenDB(*cfg)
		pools = append(pools, p)
		if err := checkSchema(ctx, p, dialect, name); err != nil {
			closeAll()
			return nil, err
		}
		if d, err = sqlstore.New(p, dialect, dopts); err != nil {
			closeAll()
			return nil, cannotRun(err)
		}
	}
	s, err := store.New(d, opts)
	if err != nil {
		closeAll()
		return nil, cannotRun(err)
	}
	return &db{Store: s, close: closeAll}, nil
}

// checkSchema checks that the database holds a trustgate schema with
// exactly the migrations this program knows: none missing (an older
// database: migrate it by starting the server) and none unknown (a newer
// one).
func checkSchema(ctx context.Context, p *sql.DB, dialect sqlstore.Dialect, name string) error {
	if err := p.PingContext(ctx); err != nil {
		return cannotRun(fmt.Errorf("%s: cannot open the database: %w", name, err))
	}
	rows, err := p.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return cannotRun(err)
		}
		return cannotRun(fmt.Errorf("%s is not a trustgate database (no schema_migrations table readable: %v)", name, err))
	}
	defer func() { _ = rows.Close() }()
	var have []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return cannotRun(fmt.Errorf("%s: reading schema_migrations: %w", name, err))
		}
		have = append(have, v)
	}
	if err := rows.Err(); err != nil {
		return cannotRun(fmt.Errorf("%s: reading schema_migrations: %w", name, err))
	}
	ms, err := sqlstore.Migrations(dialect)
	if err != nil {
		return cannotRun(err)
	}
	var missing []string
	for _, m := range ms {
		if !slices.Contains(have, m.Version) {
			missing = append(missing, m.Version)
		}
	}
	var unknown []string
	for _, v := range have {
		if !slices.ContainsFunc(ms, func(m sqlstore.Migration) bool { return m.Version == v }) {
			unknown = append(unknown, v)
		}
	}
	switch {
	case len(have) == 0:
		return cannotRun(fmt.Errorf("%s is not a trustgate database (schema_migrations is empty)", name))
	case len(unknown) > 0:
		return cannotRun(fmt.Errorf("%s was migrated by a newer trustgate (migrations %s): use a trustgate command of that version",
			name, strings.Join(unknown, ", ")))
	case len(missing) > 0:
		return cannotRun(fmt.Errorf("%s lacks migrations %s: migrate it first (start the server on it); trustgate never changes a schema",
			name, strings.Join(missing, ", ")))
	}
	return nil
}
