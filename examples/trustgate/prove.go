package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

const proveAbout = `
Proves that one audit event is in the log, or that the log only grew
between two checkpoints, with a proof anyone can check offline.

  -event SEQ        the event at that sequence number
  -request ID       the latest event of a CAB request (its current status),
                    by id or correlation id
  -validation ID    the latest validation (passed or failed) of an evidence
                    package, by evidence id or correlation id

An inclusion is proved against the -checkpoint file or, without it, the latest
checkpoint saved in the database; the proof is c2sp.org/tlog-proof@v1 text
with the event's canonical bytes as its extra data (package auditlog), so
the proof, the checkpoint and the log's verifier key are all a reader
needs.

  -consistency OLD NEW   the consistency proof between two checkpoint files
                         (trustgate's consistency-proof@v1 text)

With -check the proof is also verified with the -verifier key, as a reader
would; with -check -proof FILE a proof already made is verified offline,
with no database (give -consistency OLD NEW for a consistency proof).

The proof goes to stdout, or to the -o file (whole or not at all) with a
summary on stdout; the result of -check goes to stderr while the proof is
on stdout. Exit status 1 when the proof cannot be made (the checkpoint is
another log's, the event is not in it, the record is not in the database)
or does not check; -json gives {"ok", "kind", "proof", "checked", ...}.`

// proveResult is the -json document of prove.
type proveResult struct {
	OK         bool            `json:"ok"`
	Kind       string          `json:"kind"` // "inclusion" or "consistency"
	Event      *eventInfo      `json:"event,omitempty"`
	Checkpoint *checkpointInfo `json:"checkpoint,omitempty"` // of an inclusion
	Old        *checkpointInfo `json:"old,omitempty"`        // of a consistency proof
	New        *checkpointInfo `json:"new,omitempty"`
	Proof      string          `json:"proof,omitempty"`
	Path       string          `json:"path,omitempty"`
	Checked    bool            `json:"checked"`
	Error      string          `json:"error,omitempty"`
}

// eventInfo names an audit event in the output.
type eventInfo struct {
	Seq        int64     `json:"seq"`
	Type       string    `json:"type"`
	Subject    string    `json:"subject"`
	OccurredAt time.Time `json:"occurred_at"`
	Hash       string    `json:"hash"`
}

func describeEvent(e security.Event) *eventInfo {
	return &eventInfo{Seq: e.Seq, Type: string(e.Type), Subject: e.Subject, OccurredAt: e.OccurredAt.UTC(), Hash: e.Hash.String()}
}

type proveFlags struct {
	db           dbFlags
	event        int64
	request      string
	validation   string
	consistency  bool
	checkpoint   string
	check        bool
	verifier     string
	proof        string
	out          string
	old, new     []byte // the checkpoints of -consistency
	oldP, newP   string
	trust        auditlog.Trust
	inclusionArg int // how many of -event, -request and -validation
}

func runProve(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "prove", "-db FILE|-postgres DSN (-event SEQ | -request ID | -validation ID) [-checkpoint FILE] [-check -verifier FILE] [-o FILE] [-json]\n"+
		"       trustgate prove -db FILE|-postgres DSN -consistency OLD NEW [-check -verifier FILE] [-o FILE] [-json]\n"+
		"       trustgate prove -check -verifier FILE -proof FILE [-consistency OLD NEW] [-json]", proveAbout)
	var f proveFlags
	f.db.register(fs)
	fs.Int64Var(&f.event, "event", 0, "prove the audit event at this sequence `number`")
	fs.StringVar(&f.request, "request", "", "prove the latest event of the CAB request with this `id` or correlation id")
	fs.StringVar(&f.validation, "validation", "", "prove the latest validation of the evidence with this `id` or correlation id")
	fs.BoolVar(&f.consistency, "consistency", false, "prove (or check) the log consistent between the checkpoint files OLD and NEW, the two arguments")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "prove the inclusion against this checkpoint `file` (default: the latest saved)")
	fs.BoolVar(&f.check, "check", false, "verify the proof with -verifier, as a reader would")
	fs.StringVar(&f.verifier, "verifier", "", "the log's verifier key `file`, for -check")
	fs.StringVar(&f.proof, "proof", "", "with -check: verify this proof `file` offline, without a database")
	fs.StringVar(&f.out, "o", "", "write the proof to this `file` instead of stdout")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := f.validate(fs, pos); err != nil {
		return err
	}
	if f.check {
		if f.trust, err = loadTrust(f.verifier); err != nil {
			return err
		}
	}
	if f.consistency {
		if f.old, err = readFile("consistency (OLD)", f.oldP); err != nil {
			return err
		}
		if f.new, err = readFile("consistency (NEW)", f.newP); err != nil {
			return err
		}
	}
	if f.proof != "" {
		return checkProofFile(e, &f)
	}
	s, err := f.db.open(ctx, false, store.Options{})
	if err != nil {
		return err
	}
	defer s.close()
	if f.consistency {
		return proveConsistency(ctx, e, s, &f)
	}
	return proveInclusion(ctx, e, s, &f)
}

// validate checks the flags' combination.
func (f *proveFlags) validate(fs *flag.FlagSet, pos []string) error {
	if f.proof == "" {
		if err := f.db.check(fs); err != nil {
			return err
		}
	}
	for _, set := range []bool{f.event != 0, f.request != "", f.validation != ""} {
		if set {
			f.inclusionArg++
		}
	}
	switch {
	case f.event < 0:
		return usageError("-event %d: sequence numbers start at 1", f.event)
	case f.inclusionArg > 1 || f.inclusionArg == 1 && f.consistency:
		return usageError("give one of -event, -request, -validation and -consistency")
	case f.consistency && len(pos) != 2:
		return usageError("-consistency takes two checkpoint files, OLD and NEW (%d arguments given)", len(pos))
	case !f.consistency && len(pos) > 0:
		return usageError("unexpected arguments: %q (run trustgate prove -h)", pos)
	case f.check && f.verifier == "":
		return usageError("-check needs -verifier FILE: the log's verifier key")
	case f.proof != "" && !f.check:
		return usageError("-proof FILE is checked offline: give -check -verifier FILE")
	case f.proof != "" && (f.db.path != "" || f.db.dsn != ""):
		return usageError("-proof is checked offline: it takes no database")
	case f.proof != "" && f.inclusionArg > 0:
		return usageError("-proof is checked as it is: it takes no -event, -request or -validation")
	case f.proof != "" && f.checkpoint != "":
		return usageError("-proof carries its checkpoint: it takes no -checkpoint")
	case f.consistency && f.checkpoint != "":
		return usageError("-consistency takes its checkpoints as arguments, not -checkpoint")
	case f.proof == "" && !f.consistency && f.inclusionArg == 0:
		return usageError("give what to prove: -event SEQ, -request ID, -validation ID or -consistency OLD NEW (run trustgate prove -h)")
	}
	if f.consistency {
		f.oldP, f.newP = pos[0], pos[1]
	}
	return nil
}

func proveInclusion(ctx context.Context, e *env, s *db, f *proveFlags) error {
	res := proveResult{Kind: "inclusion", Path: f.out}
	seq, err := f.resolve(ctx, s)
	if err != nil {
		return proveFailed(e, f.db.json, res, err)
	}
	var cp []byte
	source := "file"
	if f.checkpoint != "" {
		if cp, err = readFile("checkpoint", f.checkpoint); err != nil {
			return err
		}
	} else {
		source = "database"
		switch cp, err = s.LatestCheckpoint(ctx); {
		case errors.Is(err, store.ErrNotFound):
			return proveFailed(e, f.db.json, res, errors.New("no checkpoint is saved in the database: give -checkpoint FILE, or sign one with trustgate checkpoint"))
		case err != nil:
			return cannotRun(err)
		}
	}
	c, _, err := auditlog.ParseNote(cp)
	switch {
	case err != nil && f.checkpoint != "":
		return cannotRun(fmt.Errorf("-checkpoint %s does not hold a checkpoint: %w", f.checkpoint, err))
	case err != nil:
		return proveFailed(e, f.db.json, res, fmt.Errorf("the latest checkpoint saved in the database does not parse: %w", err))
	}
	res.Checkpoint = describeCheckpoint(source, f.checkpoint, c)
	evs, err := s.ListAuditEvents(ctx, seq-1, 1)
	if err != nil {
		return cannotRun(err)
	}
	if len(evs) != 1 || evs[0].Seq != seq {
		return proveFailed(e, f.db.json, res, fmt.Errorf("the log holds no event %d", seq))
	}
	res.Event = describeEvent(evs[0])
	p, err := s.ProveEvent(ctx, seq, cp)
	if err != nil {
		if code := trustgate.ErrorCode(err); code == trustgate.Conflict || code == trustgate.Invalid {
			return proveFailed(e, f.db.json, res, err)
		}
		return cannotRun(err)
	}
	text := p.Marshal()
	res.Proof = string(text)
	if f.check {
		if err := checkInclusion(text, f.trust); err != nil {
			return proveFailed(e, f.db.json, res, err)
		}
		res.Checked = true
	}
	return proveDone(e, f, res, text, fmt.Sprintf("event %d (%s, %s) is in the checkpoint of %d events (origin %s)",
		seq, evs[0].Type, evs[0].Subject, c.Size, c.Origin))
}

// resolve returns the sequence number of the event the flags name.
func (f *proveFlags) resolve(ctx context.Context, s *db) (int64, error) {
	switch {
	case f.event > 0:
		return f.event, nil
	case f.request != "":
		id, err := uuid.Parse(f.request)
		if err != nil {
			r, err := s.RequestByCorrelationID(ctx, f.request)
			if err != nil {
				return 0, fmt.Errorf("-request %s: %w", f.request, err)
			}
			id = r.ID
		}
		ev, err := s.LatestEvent(ctx, "cab-request:"+id.String())
		if err != nil {
			return 0, fmt.Errorf("-request %s: %w", f.request, err)
		}
		return ev.Seq, nil
	}
	id, err := uuid.Parse(f.validation)
	if err != nil {
		ev, err := s.EvidenceByCorrelationID(ctx, f.validation)
		if err != nil {
			return 0, fmt.Errorf("-validation %s: %w", f.validation, err)
		}
		id = ev.ID
	}
	var seq, after int64
	for {
		page, err := s.ListSubjectEvents(ctx, "evidence:"+id.String(), after, store.MaxAuditPage)
		if err != nil {
			return 0, err
		}
		for _, e := range page {
			if e.Type == security.EventValidationPassed || e.Type == security.EventValidationFailed {
				seq = e.Seq
			}
			after = e.Seq
		}
		if len(page) < store.MaxAuditPage {
			break
		}
	}
	if seq == 0 {
		return 0, fmt.Errorf("-validation %s: the log records no validation of evidence %s", f.validation, id)
	}
	return seq, nil
}

func proveConsistency(ctx context.Context, e *env, s *db, f *proveFlags) error {
	res := proveResult{Kind: "consistency", Path: f.out}
	co, _, err := auditlog.ParseNote(f.old)
	if err != nil {
		return cannotRun(fmt.Errorf("%s does not hold a checkpoint: %w", f.oldP, err))
	}
	cn, _, err := auditlog.ParseNote(f.new)
	if err != nil {
		return cannotRun(fmt.Errorf("%s does not hold a checkpoint: %w", f.newP, err))
	}
	res.Old, res.New = describeCheckpoint("file", f.oldP, co), describeCheckpoint("file", f.newP, cn)
	p, err := s.ProveConsistency(ctx, f.old, f.new)
	if err != nil {
		if code := trustgate.ErrorCode(err); code == trustgate.Conflict || code == trustgate.Invalid {
			return proveFailed(e, f.db.json, res, err)
		}
		return cannotRun(err)
	}
	text := p.Marshal()
	res.Proof = string(text)
	if f.check {
		if err := checkConsistency(text, f.old, f.new, f.trust); err != nil {
			return proveFailed(e, f.db.json, res, err)
		}
		res.Checked = true
	}
	return proveDone(e, f, res, text, fmt.Sprintf("the checkpoint of %d events is a prefix of the checkpoint of %d events (origin %s)",
		co.Size, cn.Size, cn.Origin))
}

// proveDone writes a proof made: to -o or stdout, and what it proves.
func proveDone(e *env, f *proveFlags, res proveResult, text []byte, what string) error {
	res.OK = true
	if f.out != "" {
		if err := writeOutput(f.out, text); err != nil {
			return err
		}
	}
	if f.db.json {
		return writeJSON(e.stdout, res)
	}
	verdict := "proof: " + what
	if res.Checked {
		verdict += "; checked with the verifier key " + f.verifier
	}
	if f.out != "" {
		fmt.Fprintf(e.stdout, "%s\nwritten to %s\n", verdict, f.out)
		return nil
	}
	if _, err := e.stdout.Write(text); err != nil {
		return err
	}
	if res.Checked {
		fmt.Fprintln(e.stderr, verdict)
	}
	return nil
}

// report writes the result of an offline check.
func report(e *env, asJSON bool, res proveResult, line string) error {
	if asJSON {
		return writeJSON(e.stdout, res)
	}
	_, err := io.WriteString(e.stdout, line+"\n")
	return err
}

// proveFailed writes the failure and returns exit status 1.
func proveFailed(e *env, asJSON bool, res proveResult, err error) error {
	res.OK, res.Error = false, err.Error()
	if asJSON {
		if werr := writeJSON(e.stdout, res); werr != nil {
			return cannotRun(werr)
		}
		return checkFailed()
	}
	fmt.Fprintf(e.stdout, "FAILED: %v\n", err)
	return checkFailed()
}
