package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

const exportAbout = `
Exports what the database holds, for tools and people outside it:

  -evidence ID   one evidence package, by id or correlation id: its data
                 (the canonical JSON that was hashed), content hash,
                 creation time, and the service's and the producer's DSSE
                 envelopes, as one JSON document
  -log           every audit event, oldest first, one JSON object a line
                 (seq, id, type, actor, subject, correlation_id,
                 occurred_at, data, prev_hash, hash)
  -receipts DIR  a signed receipt of every validation (passed or failed)
                 and every CAB request's authorisation, with the inclusion
                 proof of its audit event, into DIR (see below)

The export goes to stdout, or to the -o file (written whole or not at all)
with a summary on stdout; the export is JSON whatever -json says, which
changes the summary only. Exit status 1 when the evidence asked for is not
in the database.

Receipts are made as the quickstart's -receipts makes them (package
receipt: an in-toto statement carrying a SLSA verification summary, in a
DSSE envelope signed by the service key, -service-key) and proved against
the -checkpoint file or the latest checkpoint saved; each is checked as a
reader would (receipt.Verify, with the service key, the -keyring and the
-verifier key or, without it, the service key under the checkpoint's
origin) before anything is written. A validation's receipt is rebuilt from
its audit event and the risk model in force at the time; one that never
hashed the artifact (it failed before) has no receipt. Verdicts recorded
after the checkpoint are left out and counted: sign a newer checkpoint to
export them. The records are not verified first: run trustgate verify.`

// exportResult is the summary of an export.
type exportResult struct {
	OK       bool     `json:"ok"`
	Kind     string   `json:"kind"` // "evidence", "log" or "receipts"
	Path     string   `json:"path,omitempty"`
	Events   int64    `json:"events,omitempty"`
	Receipts int      `json:"receipts,omitempty"`
	Passed   int      `json:"passed,omitempty"`
	Skipped  []string `json:"skipped,omitempty"` // verdicts without a receipt, and why
	Files    []string `json:"files,omitempty"`
	Error    string   `json:"error,omitempty"`
}

type exportFlags struct {
	db         dbFlags
	evidence   string
	log        bool
	receipts   string
	serviceKey string
	keyring    string
	checkpoint string
	verifier   string
	out        string
}

func runExport(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "export", "-db FILE|-postgres DSN (-evidence ID | -log | -receipts DIR -service-key FILE -keyring FILE [-checkpoint FILE] [-verifier FILE]) [-o FILE] [-json]", exportAbout)
	var f exportFlags
	f.db.register(fs)
	fs.StringVar(&f.evidence, "evidence", "", "export the evidence package with this `id` or correlation id")
	fs.BoolVar(&f.log, "log", false, "export every audit event as JSON lines")
	fs.StringVar(&f.receipts, "receipts", "", "write a receipt of every verdict into this `directory`")
	fs.StringVar(&f.serviceKey, "service-key", "", "with -receipts: the service's private key `file` (PEM PKCS #8) that signs them")
	fs.StringVar(&f.keyring, "keyring", "", "with -receipts: the keyring `file` that verifies the requests they record")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "with -receipts: prove against this checkpoint `file` (default: the latest saved)")
	fs.StringVar(&f.verifier, "verifier", "", "with -receipts: the log's verifier key `file` (default: the service key under the checkpoint's origin)")
	fs.StringVar(&f.out, "o", "", "with -evidence or -log: write the export to this `file` instead of stdout")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	if err := f.db.check(fs); err != nil {
		return err
	}
	n := 0
	for _, set := range []bool{f.evidence != "", f.log, f.receipts != ""} {
		if set {
			n++
		}
	}
	receiptOnly := f.serviceKey != "" || f.keyring != "" || f.checkpoint != "" || f.verifier != ""
	switch {
	case n != 1:
		return usageError("give one of -evidence ID, -log and -receipts DIR (run trustgate export -h)")
	case f.receipts == "" && receiptOnly:
		return usageError("-service-key, -keyring, -checkpoint and -verifier are for -receipts")
	case f.receipts != "" && (f.serviceKey == "" || f.keyring == ""):
		return usageError("-receipts needs -service-key FILE (to sign them) and -keyring FILE (to verify the requests they record)")
	case f.receipts != "" && f.out != "":
		return usageError("-receipts writes into its directory: it takes no -o")
	}
	if f.receipts != "" {
		return exportReceipts(ctx, e, &f)
	}
	s, err := f.db.open(ctx, false, store.Options{})
	if err != nil {
		return err
	}
	defer s.close()
	if f.log {
		return exportLog(ctx, e, s, &f)
	}
	return exportEvidence(ctx, e, s, &f)
}

// evidenceDoc is the JSON form of an exported evidence package.
type evidenceDoc struct {
	ID            uuid.UUID       `json:"id"`
	CorrelationID string          `json:"correlation_id"`
	ContentSHA256 string          `json:"content_sha256"`
	CreatedAt     time.Time       `json:"created_at"`
	Data          json.RawMessage `json:"data"`
	Attestation   json.RawMessage `json:"attestation"` // the service key's DSSE envelope, or null
	Producer      json.RawMessage `json:"producer"`    // the producer's DSSE envelope, or null
}

func envelopeJSON(env dsse.Envelope) (json.RawMessage, error) {
	if len(env.Signatures) == 0 && len(env.Payload) == 0 && env.PayloadType == "" {
		return json.RawMessage("null"), nil
	}
	return env.Marshal()
}

func exportEvidence(ctx context.Context, e *env, s *db, f *exportFlags) error {
	res := exportResult{Kind: "evidence", Path: f.out}
	var ev security.Evidence
	var err error
	if id, perr := uuid.Parse(f.evidence); perr == nil {
		ev, err = s.EvidenceByID(ctx, id)
	} else {
		ev, err = s.EvidenceByCorrelationID(ctx, f.evidence)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return exportFailed(e, f.db.json, res, fmt.Errorf("-evidence %s: no such evidence package", f.evidence))
	case err != nil:
		return cannotRun(err)
	}
	doc := evidenceDoc{ID: ev.ID, CorrelationID: ev.CorrelationID, ContentSHA256: ev.ContentHash.String(), CreatedAt: ev.CreatedAt.UTC(), Data: ev.Data}
	if doc.Attestation, err = envelopeJSON(ev.Attestation); err != nil {
		return cannotRun(err)
	}
	if doc.Producer, err = envelopeJSON(ev.Producer); err != nil {
		return cannotRun(err)
	}
	var b bytes.Buffer
	if err := writeJSON(&b, doc); err != nil {
		return cannotRun(err)
	}
	return exportDone(e, f, res, b.Bytes(), fmt.Sprintf("evidence %s (%s) written to %s", ev.ID, ev.CorrelationID, f.out))
}

func exportLog(ctx context.Context, e *env, s *db, f *exportFlags) error {
	res := exportResult{Kind: "log", Path: f.out}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	var after int64
	for {
		page, err := s.ListAuditEvents(ctx, after, store.MaxAuditPage)
		if err != nil {
			return cannotRun(err)
		}
		for _, ev := range page {
			if err := enc.Encode(ev); err != nil { // security.Event's JSON form
				return cannotRun(err)
			}
			after = ev.Seq
		}
		if len(page) < store.MaxAuditPage {
			break
		}
	}
	res.Events = after
	return exportDone(e, f, res, b.Bytes(), fmt.Sprintf("%d audit events written to %s", after, f.out))
}

// exportDone writes an export to -o or stdout.
func exportDone(e *env, f *exportFlags, res exportResult, b []byte, summary string) error {
	res.OK = true
	if f.out == "" {
		_, err := e.stdout.Write(b)
		return err
	}
	if err := writeOutput(f.out, b); err != nil {
		return err
	}
	if f.db.json {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintln(e.stdout, summary)
	return nil
}

// exportFailed writes the failure and returns exit status 1.
func exportFailed(e *env, asJSON bool, res exportResult, err error) error {
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
