// Command quickstart walks one week of a managed fleet through trustgate, on
// an embedded SQLite database, and prints what happened and why.
//
//	go run ./examples/quickstart                 # a temporary database, removed afterwards
//	go run ./examples/quickstart -db fleet.db    # keep the database
//	go run ./examples/quickstart -postgres 'postgres://…'   # the same on PostgreSQL
//
// The story: a new installation starts at trust maturity level 0, where
// every deployment goes to the change advisory board. Four weeks of history
// show a low incident rate; the engine finds level 1 earned and the CAB
// approves it. Then a week of deployments: utilities and productivity
// tools within their new thresholds are approved automatically, a business
// system is reviewed to quorum, a critical security update is reviewed by
// three, an emergency hotfix needs a time-boxed exception, and a build whose
// bytes were swapped after its evidence was made is blocked before it
// reaches a device. An incident is reported and attributed, maturity is
// evaluated again, and the audit chain is verified against a signed
// checkpoint.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/postgres"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	dbPath := flag.String("db", "", "SQLite database file to keep (default: a temporary one)")
	dsn := flag.String("postgres", "", "PostgreSQL DSN to run on instead of SQLite")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dbPath, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// fleetClock is the simulated time of the walk-through.
type fleetClock struct{ now time.Time }

func (c *fleetClock) Now() time.Time          { return c.now }
func (c *fleetClock) advance(d time.Duration) { c.now = c.now.Add(d) }

func run(ctx context.Context, out io.Writer, dbPath, dsn string) error {
	clock := &fleetClock{now: time.Date(2026, 2, 9, 8, 0, 0, 0, time.UTC)}
	opts := sqlstore.Options{Logger: slog.New(slog.DiscardHandler)}

	var d driver.Driver
	switch {
	case dsn != "":
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		if d, err = postgres.Open(ctx, db, opts); err != nil {
			return err
		}
		fmt.Fprintln(out, "store: PostgreSQL")
	default:
		if dbPath == "" {
			dir, err := os.MkdirTemp("", "trustgate-quickstart-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			dbPath = filepath.Join(dir, "trustgate.db")
		}
		db, err := sqlite.Open(ctx, dbPath, opts)
		if err != nil {
			return err
		}
		defer db.Close()
		d = db
		fmt.Fprintln(out, "store: SQLite at", dbPath)
	}
	s, err := store.New(d, store.Options{Now: clock.Now})
	if err != nil {
		return err
	}
	return newWalk(s, clock, out).run(ctx)
}
