// Command quickstart walks one week of a managed fleet through trustgate, on
// an embedded SQLite database, and prints what happened and why.
//
//	go run ./examples/quickstart                 # a temporary database, removed afterwards
//	go run ./examples/quickstart -db fleet.db    # keep the database
//	go run ./examples/quickstart -postgres 'postgres://…'   # the same on PostgreSQL
//	go run ./examples/quickstart -checkpoint cp.txt -verifier log.vkey  # write what it proves
//	go run ./examples/quickstart -receipts receipts/  # and a signed receipt of every verdict
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
// evaluated again, and the audit log is verified against a checkpoint of
// its Merkle tree, a C2SP signed note, and one event is proved included
// with nothing but the proof, the checkpoint and the verifier key, which
// -checkpoint and -verifier write out for other tools to check. With
// -receipts every validation (passed or failed) and every authorisation
// (granted or refused) is also written out as a receipt: a SLSA
// verification summary in an in-toto statement, in a DSSE envelope signed
// by the service key, on its own and with the inclusion proof of its
// audit event against the final checkpoint.
//
// The keys are made at start and held in memory, outside the database: an
// ephemeral Ed25519 service key, which signs every decision, and a key for
// each CAB member, who signs their own approvals (member-signed mode). One
// attempt to get round them is shown: a business system has one of the
// two approvals it needs when someone with write access to the database
// sets its status to approved with SQL, as an attacker with the file
// would; Authorize recounts the signed approvals and refuses, and the
// store's verification names the edited record.
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

	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/postgres"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/ncruces/go-sqlite3/driver" // the "sqlite3" database/sql driver, for the attacker's connection
)

func main() {
	dbPath := flag.String("db", "", "SQLite database file to keep (default: a temporary one)")
	dsn := flag.String("postgres", "", "PostgreSQL DSN to run on instead of SQLite")
	var f outputs
	flag.StringVar(&f.checkpoint, "checkpoint", "", "write the audit log's final checkpoint (a C2SP signed note) to this file")
	flag.StringVar(&f.verifier, "verifier", "", "write the log's verifier key (<name>+<hash>+<key>) to this file")
	flag.StringVar(&f.receipts, "receipts", "", "write a signed receipt of every validation and authorisation into this directory")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dbPath, *dsn, f); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// fleetClock is the simulated time of the walk-through.
type fleetClock struct{ now time.Time }

func (c *fleetClock) Now() time.Time          { return c.now }
func (c *fleetClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// outputs are the files the walk writes what it proves to; empty means
// none.
type outputs struct {
	checkpoint string // the final checkpoint, signed-note text
	verifier   string // the verifier key of the log's checkpoints
	receipts   string // the directory of the verdicts' receipts
}

func run(ctx context.Context, out io.Writer, dbPath, dsn string, files outputs) error {
	clock := &fleetClock{now: time.Date(2026, 2, 9, 8, 0, 0, 0, time.UTC)}
	opts := sqlstore.Options{Logger: slog.New(slog.DiscardHandler)}

	var (
		d driver.Driver
		// raw is a connection to the same database outside the store:
		// what an attacker with write access to it holds.
		raw *sql.DB
		sq  = "?" // its placeholder
	)
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
		raw, sq = db, "$1"
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
		if raw, err = sql.Open("sqlite3", sqlite.DSN(dbPath, true)); err != nil {
			return err
		}
		defer raw.Close()
		fmt.Fprintln(out, "store: SQLite at", dbPath)
	}
	keys, err := newKeys()
	if err != nil {
		return err
	}
	// The store signs what it completes itself (an incident's inferred
	// link to its deployment) with the service key too.
	// It signs the audit log's checkpoints with the same key and, with
	// -checkpoint, publishes each to that file, outside the database.
	logOpts := store.LogOptions{Signer: keys.log}
	if files.checkpoint != "" {
		logOpts.Publisher = auditlog.FilePublisher(files.checkpoint)
	}
	if files.verifier != "" {
		if err := os.WriteFile(files.verifier, []byte(keys.log.VerifierKey()+"\n"), 0o644); err != nil {
			return err
		}
	}
	s, err := store.New(d, store.Options{Now: clock.Now, Service: keys.svc, Log: logOpts})
	if err != nil {
		return err
	}
	w := newWalk(s, clock, out, keys)
	w.raw, w.placeholder = raw, sq
	w.receiptDir = files.receipts
	return w.run(ctx)
}
