package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
)

const checkpointAbout = `
Signs a checkpoint of the audit log as it stands with the service key
(-service-key, an Ed25519 PEM PKCS #8 key: note verifier keys carry Ed25519
only), saves it in the database, and prints it, a C2SP signed note; with -o
it is written to that file instead (whole or not at all), which is what
publishing it outside the database means. The log's origin is -origin, or
the origin of the latest checkpoint saved; the first checkpoint needs
-origin.

Before it signs, it verifies the log (its chain and stored tree) and that
the log still holds the tree of the latest checkpoint saved, opened with
the same key and origin: the service key never vouches for a log that does
not verify (exit status 1, nothing signed).

With -latest it prints the latest checkpoint saved in the database (the one
of the largest tree) and needs no key; exit status 1 when there is none.

Human output is the note itself (on stdout, or in -o, with a summary on
stdout); -json gives {"ok", "origin", "size", "root", "note",
"verifier_key", "path"}.`

// checkpointResult is the -json document of checkpoint.
type checkpointResult struct {
	OK          bool   `json:"ok"`
	Origin      string `json:"origin,omitempty"`
	Size        int64  `json:"size"`
	Root        string `json:"root,omitempty"`
	Note        string `json:"note,omitempty"`
	VerifierKey string `json:"verifier_key,omitempty"` // the log's, when a key signed the note
	Path        string `json:"path,omitempty"`         // -o
	Signed      bool   `json:"signed"`                 // a new checkpoint was signed and saved
	Error       string `json:"error,omitempty"`
}

func runCheckpoint(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "checkpoint", "-db FILE|-postgres DSN (-service-key FILE [-origin NAME] | -latest) [-o FILE] [-json]", checkpointAbout)
	var f dbFlags
	f.register(fs)
	keyPath := fs.String("service-key", "", "the service's private key `file` (PEM PKCS #8, Ed25519) to sign with")
	origin := fs.String("origin", "", "the log's `name`, the checkpoint's first line (default: the latest saved checkpoint's)")
	latest := fs.Bool("latest", false, "print the latest checkpoint saved in the database; no key needed")
	out := fs.String("o", "", "write the checkpoint to this `file` instead of stdout")
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
	case *latest && (*keyPath != "" || *origin != ""):
		return usageError("-latest prints what is saved: it takes no -service-key or -origin")
	case !*latest && *keyPath == "":
		return usageError("give -service-key FILE to sign a checkpoint, or -latest to print the latest saved")
	}
	if *latest {
		return latestCheckpoint(ctx, e, f, *out)
	}
	key, err := loadServiceKey(*keyPath)
	if err != nil {
		return err
	}

	// The origin comes from the flag or the latest checkpoint, which a
	// read-only look finds before anything is opened for writing.
	var prev []byte
	{
		s, err := f.open(ctx, false, store.Options{})
		if err != nil {
			return err
		}
		prev, err = s.LatestCheckpoint(ctx)
		s.close()
		switch {
		case errors.Is(err, store.ErrNotFound):
			prev = nil
		case err != nil:
			return cannotRun(err)
		}
	}
	name := *origin
	if name == "" {
		if prev == nil {
			return usageError("-origin NAME is required for the log's first checkpoint (the name verifiers know the log by)")
		}
		c, _, err := auditlog.ParseNote(prev)
		if err != nil {
			return checkpointFailed(e, f.json, fmt.Errorf("the latest saved checkpoint does not parse: %w", err))
		}
		name = c.Origin
	}
	signer, err := auditlog.NewSigner(name, key)
	if err != nil {
		return cannotRun(fmt.Errorf("-service-key, -origin: %w", err))
	}
	trust := auditlog.Trust{Origin: name, Log: signer.Verifier()}
	opts := store.LogOptions{Signer: signer}
	if *out != "" {
		opts.Publisher = auditlog.PublishFunc(func(_ context.Context, note []byte) error { return writeOutput(*out, note) })
	}
	s, err := f.open(ctx, true, store.Options{Log: opts})
	if err != nil {
		return err
	}
	defer s.close()

	var chain security.VerifyOptions
	if prev != nil {
		if _, err := auditlog.Open(prev, trust); err != nil {
			return checkpointFailed(e, f.json, fmt.Errorf("the latest saved checkpoint is not this key's under origin %q (%w): refusing to sign", name, err))
		}
		chain = security.VerifyOptions{Checkpoints: [][]byte{prev}, Trust: trust}
	}
	if _, _, err := s.VerifyLog(ctx, chain); err != nil {
		if _, ok := classify(err); ok {
			return checkpointFailed(e, f.json, fmt.Errorf("the log does not verify, nothing signed: %w", err))
		}
		return cannotRun(err)
	}
	msg, err := s.SignCheckpoint(ctx)
	if err != nil {
		return cannotRun(err)
	}
	c, _, err := auditlog.ParseNote(msg)
	if err != nil {
		return cannotRun(err)
	}
	res := checkpointResult{OK: true, Origin: c.Origin, Size: c.Size, Root: c.Hash.String(), Note: string(msg),
		VerifierKey: signer.VerifierKey(), Path: *out, Signed: true}
	switch {
	case f.json:
		return writeJSON(e.stdout, res)
	case *out != "":
		fmt.Fprintf(e.stdout, "signed a checkpoint of %d events (origin %s, root %s), saved it in the database and wrote it to %s\nverifier key: %s\n",
			c.Size, c.Origin, c.Hash, *out, res.VerifierKey)
		return nil
	}
	_, err = e.stdout.Write(msg)
	return err
}

// latestCheckpoint prints the latest checkpoint saved.
func latestCheckpoint(ctx context.Context, e *env, f dbFlags, out string) error {
	s, err := f.open(ctx, false, store.Options{})
	if err != nil {
		return err
	}
	defer s.close()
	msg, err := s.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return checkpointFailed(e, f.json, errors.New("no checkpoint is saved in the database: sign one with -service-key"))
	case err != nil:
		return cannotRun(err)
	}
	c, _, err := auditlog.ParseNote(msg)
	if err != nil {
		return checkpointFailed(e, f.json, fmt.Errorf("the latest saved checkpoint does not parse: %w", err))
	}
	if out != "" {
		if err := writeOutput(out, msg); err != nil {
			return err
		}
	}
	res := checkpointResult{OK: true, Origin: c.Origin, Size: c.Size, Root: c.Hash.String(), Note: string(msg), Path: out}
	switch {
	case f.json:
		return writeJSON(e.stdout, res)
	case out != "":
		fmt.Fprintf(e.stdout, "the latest saved checkpoint, of %d events (origin %s, root %s), written to %s\n", c.Size, c.Origin, c.Hash, out)
		return nil
	}
	_, err = e.stdout.Write(msg)
	return err
}

// checkpointFailed writes the failure and returns exit status 1.
func checkpointFailed(e *env, asJSON bool, err error) error {
	if asJSON {
		if werr := writeJSON(e.stdout, checkpointResult{Error: err.Error()}); werr != nil {
			return cannotRun(werr)
		}
	} else {
		fmt.Fprintf(e.stdout, "FAILED: %v\n", err)
	}
	return checkFailed()
}
