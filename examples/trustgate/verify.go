package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
)

const verifyAbout = `
Verifies the audit log (its hash chain, its Merkle tree as stored, and that
it still holds the tree a checkpoint signed) and every governance record
against what was signed for it (store.Store.Verify: the maturity state,
every risk model, CAB request, approval, exception, evidence package and
incident), and names the first that does not verify.

The checkpoint is the -checkpoint file, a C2SP signed note, opened with the
-verifier key: a checkpoint published outside the database, which whoever
can rewrite the database cannot rewrite. Without -checkpoint it is the
latest checkpoint saved in the database, checked with -verifier or, without
it, with the service key (-service-pub) under the checkpoint's own origin;
the output says which, and that such a checkpoint does not detect a log cut
short by someone who can also rewrite the checkpoints. With no checkpoint at
all the log is checked alone.

Exit status 1 when anything does not verify; with -json the document says
{"ok": false, "failed": "log" or "records", "record": ..., "part": ...,
"error": ...}.`

// verifyResult is the -json document of verify.
type verifyResult struct {
	OK         bool            `json:"ok"`
	Checkpoint *checkpointInfo `json:"checkpoint"`              // nil: none
	Events     int64           `json:"events,omitempty"`        // the log's size, when it verified
	Head       string          `json:"head,omitempty"`          // the hash of its last event
	Failed     string          `json:"failed,omitempty"`        // "log" or "records"
	Record     string          `json:"record,omitempty"`        // "cab_requests/<id>", "audit_events/<seq>", …
	Part       string          `json:"part,omitempty"`          // the part of the record at fault
	Error      string          `json:"error,omitempty"`         // the whole story
	Reason     string          `json:"reason,omitempty"`        // the error's stable reason, when it has one
	Verifier   string          `json:"verified_with,omitempty"` // what opened the checkpoint
	Warning    string          `json:"warning,omitempty"`       // what the check could not see
	Records    bool            `json:"records_verified"`        // every governance record verified
	Chain      bool            `json:"log_verified"`            // the log verified
	Members    []string        `json:"keyring_members"`         // whose approvals count
	Mode       attest.Mode     `json:"keyring_mode"`            // how approvals are signed
	KeyID      string          `json:"service_key_id"`          // the service key's id
	Origin     string          `json:"log_origin,omitempty"`    // the log's name
}

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "verify", "-db FILE|-postgres DSN -keyring FILE -service-pub FILE [-checkpoint FILE -verifier FILE] [-json]", verifyAbout)
	var f dbFlags
	f.register(fs)
	keyringPath := fs.String("keyring", "", "the keyring `file` (JSON, the reference server's -keyring): the CAB members' and producers' public keys")
	servicePub := fs.String("service-pub", "", "the service's public key `file` (PEM)")
	cpPath := fs.String("checkpoint", "", "a checkpoint `file` (C2SP signed note) published outside the database; default: the latest saved in it")
	verifierPath := fs.String("verifier", "", "the log's verifier key `file` (<name>+<hash>+<key>); required with -checkpoint")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	switch {
	case *keyringPath == "":
		return usageError("-keyring FILE is required: the records are verified against the keys it lists")
	case *servicePub == "":
		return usageError("-service-pub FILE is required: the service key signs decisions, evidence and the maturity state")
	case *cpPath != "" && *verifierPath == "":
		return usageError("-checkpoint needs -verifier FILE: a checkpoint is worth what the key that signed it is")
	}
	pub, err := loadServicePub(*servicePub)
	if err != nil {
		return err
	}
	keys, err := loadKeyring(*keyringPath, pub)
	if err != nil {
		return err
	}
	res := verifyResult{Members: keys.Members(), Mode: keys.Mode(), KeyID: keys.ServiceKeyID()}
	var trust auditlog.Trust
	var cp []byte
	if *verifierPath != "" {
		if trust, err = loadTrust(*verifierPath); err != nil {
			return err
		}
		res.Verifier = "the verifier key " + *verifierPath
	}
	if *cpPath != "" {
		if cp, err = readFile("checkpoint", *cpPath); err != nil {
			return err
		}
	}

	s, err := f.open(ctx, false, store.Options{})
	if err != nil {
		return err
	}
	defer s.close()

	if cp == nil {
		switch cp, err = s.LatestCheckpoint(ctx); {
		case errors.Is(err, store.ErrNotFound):
			cp = nil
			res.Warning = "no checkpoint: the log is checked alone, which cannot see its tail cut off"
		case err != nil:
			return cannotRun(err)
		}
	}
	var opts store.VerifyOptions
	if cp != nil {
		c, _, err := auditlog.ParseNote(cp)
		switch {
		case err != nil && *cpPath != "":
			return cannotRun(fmt.Errorf("-checkpoint %s does not hold a checkpoint: %w", *cpPath, err))
		case err != nil:
			return verifyFailed(e, f.json, res, "log", fmt.Errorf("the latest checkpoint saved in the database does not parse: %w", err))
		}
		source := "file"
		if *cpPath == "" {
			source = "database"
			res.Warning = "the checkpoint is the database's own: it does not detect a log rewritten by someone who can also rewrite the saved checkpoints; pass -checkpoint with one published elsewhere"
			if trust.Log == nil {
				var vkey string
				if trust, vkey, err = serviceTrust(c.Origin, pub); err != nil {
					return cannotRun(fmt.Errorf("-service-pub: the log's checkpoints are signed with an Ed25519 service key: %w", err))
				}
				res.Verifier = "the service key as the log " + vkey
			}
		}
		res.Checkpoint = describeCheckpoint(source, *cpPath, c)
		res.Origin = trust.Origin
		if _, err := auditlog.Open(cp, trust); err != nil {
			return verifyFailed(e, f.json, res, "log", fmt.Errorf("the checkpoint does not verify: %w", err))
		}
		opts.Chain = security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: trust}
	}
	if err := s.Verify(ctx, keys, opts); err != nil {
		what, ok := classify(err)
		if !ok {
			return cannotRun(fmt.Errorf("verifying: %w", err))
		}
		if what == "records" {
			res.Chain = true
		}
		return verifyFailed(e, f.json, res, what, err)
	}
	head, err := s.AuditHead(ctx)
	if err != nil {
		return cannotRun(err)
	}
	res.OK, res.Chain, res.Records = true, true, true
	res.Events, res.Head = head.Size, head.Hash.String()
	if f.json {
		return writeJSON(e.stdout, res)
	}
	w := e.stdout
	printCheckpoint(w, res)
	fmt.Fprintf(w, "log: verified, %d events, head %s\n", head.Size, head.Hash)
	fmt.Fprintf(w, "records: every governance record verified against its signatures (service key %s, %s, members %s)\n",
		short(res.KeyID), res.Mode, strings.Join(res.Members, ", "))
	if res.Warning != "" {
		fmt.Fprintf(w, "note: %s\n", res.Warning)
	}
	fmt.Fprintln(w, "OK")
	return nil
}

func printCheckpoint(w interface{ Write([]byte) (int, error) }, res verifyResult) {
	c := res.Checkpoint
	switch {
	case c == nil:
		fmt.Fprintln(w, "checkpoint: none")
	case c.Source == "file":
		fmt.Fprintf(w, "checkpoint: %s (origin %s, %d events), opened with %s\n", c.Path, c.Origin, c.Size, res.Verifier)
	default:
		fmt.Fprintf(w, "checkpoint: the latest saved in the database (origin %s, %d events), opened with %s\n", c.Origin, c.Size, res.Verifier)
	}
}

// classify says whether err, from Store.Verify, is the log's ("log") or a
// record's ("records"); ok is false for an error that is neither (the
// database failing).
func classify(err error) (what string, ok bool) {
	var chain *security.ChainError
	var rec *attest.RecordError
	switch {
	case errors.As(err, &chain), errors.Is(err, security.ErrChainBroken):
		return "log", true
	case errors.As(err, &rec):
		if strings.HasPrefix(rec.Record, "audit_tree/") || strings.HasPrefix(rec.Record, "audit_events/") {
			return "log", true
		}
		return "records", true
	case errors.Is(err, auditlog.ErrSignature), errors.Is(err, auditlog.ErrOrigin), errors.Is(err, auditlog.ErrMalformed),
		errors.Is(err, auditlog.ErrProof), errors.Is(err, auditlog.ErrWitness):
		return "log", true
	case trustgate.ErrorCode(err) == trustgate.Tampered:
		return "records", true
	}
	return "", false
}

// verifyFailed writes the failure and returns exit status 1.
func verifyFailed(e *env, asJSON bool, res verifyResult, what string, err error) error {
	res.OK, res.Failed, res.Error = false, what, err.Error()
	var chain *security.ChainError
	var rec *attest.RecordError
	switch {
	case errors.As(err, &rec):
		res.Record, res.Part = rec.Record, rec.Part
	case errors.As(err, &chain):
		res.Record = "audit_events/" + strconv.FormatInt(chain.Seq, 10)
	}
	if te := trustgate.AsError(err); te != nil {
		res.Reason = te.Reason
	}
	if asJSON {
		if werr := writeJSON(e.stdout, res); werr != nil {
			return cannotRun(werr)
		}
		return checkFailed()
	}
	w := e.stdout
	printCheckpoint(w, res)
	if what == "records" {
		fmt.Fprintln(w, "log: verified")
	}
	if res.Record != "" {
		fmt.Fprintf(w, "FAILED %s: %s", what, res.Record)
		if res.Part != "" {
			fmt.Fprintf(w, ": %s", res.Part)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "FAILED %s\n", what)
	}
	fmt.Fprintf(w, "  %v\n", err)
	return checkFailed()
}

// short is the first 12 characters of an id, for people.
func short(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}
