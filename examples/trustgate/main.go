// Command trustgate is what operators and auditors run against a
// trustgate database: it verifies the audit log and every governance
// record, signs and prints checkpoints, proves that an event, a request or
// a validation is in the log (and that the log only grew between two
// checkpoints), exports evidence, the log and receipts, and lets a CAB
// member sign an approval with their own key.
//
//	trustgate <subcommand> [flags]
//
//	trustgate verify     -db trustgate.db -keyring keyring.json -service-pub service.pub.pem [-checkpoint cp.txt -verifier log.vkey]
//	trustgate checkpoint -db trustgate.db -service-key service.pem [-origin NAME] [-o cp.txt]
//	trustgate checkpoint -db trustgate.db -latest
//	trustgate prove      -db trustgate.db -event SEQ | -request ID | -validation ID [-checkpoint cp.txt] [-check -verifier log.vkey]
//	trustgate prove      -db trustgate.db -consistency OLD.txt NEW.txt [-check -verifier log.vkey]
//	trustgate prove      -check -verifier log.vkey -proof proof.txt [-consistency OLD.txt NEW.txt]
//	trustgate export     -db trustgate.db -evidence ID | -log | -receipts DIR -service-key service.pem -keyring keyring.json [-o FILE]
//	trustgate sign       -key alice.pem -db trustgate.db -member alice (-request ID [-comment TEXT] | -model VERSION) [-body]
//	trustgate sign       -key alice.pem < statement.json
//	trustgate report     -db trustgate.db [-from 2026-02-01] [-to 2026-03-01] [-html report.html]
//	trustgate evaluate   -db trustgate.db -service-key service.pem -keyring keyring.json
//	trustgate evaluate   -db trustgate.db -dry-run [-now 2026-03-01]
//	trustgate shadow     -db trustgate.db -model candidate.json [-from 2026-02-01] [-to 2026-03-01]
//
// Every subcommand takes the database as -db PATH (an existing SQLite
// file) or -postgres DSN (the first schema of the DSN's search_path; sign
// and prove -check -proof need none), and -h, which prints its usage to
// stdout with every flag. trustgate never creates a database and never
// migrates one: a file or schema that is not a trustgate database at the
// schema version this program knows is refused before anything is read.
// Subcommands that only read (verify, prove, export, sign, report,
// shadow, evaluate -dry-run, checkpoint -latest) open the database read-only
// (SQLite's query_only, PostgreSQL's default_transaction_read_only), so
// they write nothing even by mistake; checkpoint adds one row, the
// checkpoint it signs, and evaluate the evaluation (and a regression's
// transition).
//
// # Output
//
// Output is for people by default. With -json it is one JSON document on
// stdout, keys in snake case, for every outcome but the usage errors and
// the failures to run (exit status 2 and 3), which print one line to
// stderr only. Where the output is a document of its own (a checkpoint
// note, a proof, an export), it goes to stdout, or to the file -o names,
// which is written whole or not at all.
//
// # Exit status
//
// The same for every subcommand:
//
//	0  ok: everything checked verified, or what was asked is written
//	1  the check failed: a record or the log does not verify, a proof
//	   does not check, a checkpoint is of another log or is not signed by
//	   its key, what was asked to be proved is not in the log or the
//	   database
//	2  usage: an unknown flag, a missing or contradictory one, a malformed
//	   argument
//	3  could not run: the database cannot be opened or is not a trustgate
//	   database at this version, a file cannot be read or does not hold
//	   what its flag says (a key, a keyring, a checkpoint), or the
//	   database failed while being read
//
// # Keys
//
// Keys are files held outside the database: the service key (-service-key,
// a PEM PKCS #8 Ed25519 private key, see examples/internal/pemkey) or its
// public half (-service-pub, PEM), the keyring (-keyring, the reference
// server's JSON file of CAB members' and producers' public keys, see
// examples/internal/keyring) and the log's verifier key (-verifier, the
// note verifier key <name>+<hash>+<key> of the log's checkpoints). The log
// signs its checkpoints with the service key under its origin, the name
// of the log; a checkpoint's origin is its first line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// The exit statuses (see the package documentation).
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	exitRun    = 3
)

// env is what a subcommand reads and writes.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"verify", "verify the audit log and every governance record", runVerify},
		{"checkpoint", "sign and save a checkpoint of the audit log, or print the latest", runCheckpoint},
		{"prove", "prove an event, a request or a validation in the log, or two checkpoints consistent", runProve},
		{"export", "export evidence, the log as JSON lines, or receipts", runExport},
		{"sign", "sign an approval or a model approval with a CAB member's own key", runSign},
		{"report", "print the calibration report: incident rates by class and risk band (-html: a page with charts)", runReport},
		{"evaluate", "run a trust maturity evaluation now, or a dry run", runEvaluate},
		{"shadow", "replay the submissions through a candidate risk model: the decisions that would change", runShadow},
	}
}

// run runs the subcommand args name and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout, cmds)
		return exitOK
	}
	i := slices.IndexFunc(cmds, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "trustgate: unknown subcommand %q (run trustgate -h)\n", args[0])
		return exitUsage
	}
	err := cmds[i].run(ctx, e, args[1:])
	code := exitCode(err)
	if err != nil && !errors.Is(err, errReported) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "trustgate %s: %v\n", cmds[i].name, err)
	}
	return code
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "usage: trustgate <subcommand> [flags]")
	fmt.Fprintln(w)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run trustgate <subcommand> -h for its flags. Exit status: 0 ok, 1 the check failed, 2 usage, 3 could not run.")
}

// exitError carries the exit status of a failure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errReported marks a failure whose output the subcommand wrote itself:
// run prints nothing more.
var errReported = errors.New("reported")

// usageError is a failure of exit status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// cannotRun is a failure of exit status 3.
func cannotRun(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitRun, err: err}
}

// checkFailed is a failure of exit status 1, its output written.
func checkFailed() error { return &exitError{code: exitFailed, err: errReported} }

// exitCode maps a subcommand's error to its exit status: an error without
// an exit status is one of running (3).
func exitCode(err error) int {
	var x *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &x):
		return x.code
	}
	return exitRun
}

// flagSet returns a subcommand's flag set: it prints nothing itself (the
// dispatcher does), and -h prints the usage to stdout.
func flagSet(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "usage: trustgate %s %s\n\n%s\n\nflags:\n", name, synopsis, strings.TrimSpace(about))
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprintln(e.stdout, "\nexit status: 0 ok, 1 the check failed, 2 usage, 3 could not run")
	}
	return fs
}

// parse parses args with fs, flags and positional arguments in any order,
// and returns the positional ones. -h prints the usage and returns
// flag.ErrHelp; a bad flag is a usage error.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on every error
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, err
			}
			return nil, usageError("%v (run trustgate %s -h)", err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// noArgs refuses positional arguments.
func noArgs(fs *flag.FlagSet, pos []string) error {
	if len(pos) > 0 {
		return usageError("unexpected arguments: %s (run trustgate %s -h)", strings.Join(pos, " "), fs.Name())
	}
	return nil
}
