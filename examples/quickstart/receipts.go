package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/google/uuid"
)

// With -receipts DIR the walk keeps a receipt of every validation, passed
// or failed, and every authorisation, granted or refused: a SLSA
// verification summary in an in-toto statement, signed by the service key
// in a DSSE envelope (package receipt). Once the final checkpoint is
// signed, each gets the inclusion proof of its audit event against that
// checkpoint, and two files go into DIR:
//
//	NN-<kind>-<name>.dsse.json     the bare DSSE envelope, what cosign and in-toto tools read
//	NN-<kind>-<name>.receipt.json  the envelope and the proof (receipt.ParseReceipt reads it)
//
// NN counts the receipts in walk order, kind is "validation" or
// "authorization", name the application's.

// pendingReceipt is a signed statement waiting for the final checkpoint
// to prove its event against.
type pendingReceipt struct {
	kind, name string
	env        dsse.Envelope
	seq        int64 // the audit event it records
}

// validationReceipt keeps the receipt of the validation rep reports, which
// recorded its outcome in event rep.AuditSeq, under the risk model now in
// force. Without -receipts it does nothing.
func (w *walk) validationReceipt(ctx context.Context, app string, rep security.Report) error {
	if w.receiptDir == "" {
		return nil
	}
	evs, err := w.s.ListAuditEvents(ctx, rep.AuditSeq-1, 1)
	if err != nil {
		return err
	}
	if len(evs) != 1 || evs[0].Seq != rep.AuditSeq {
		return fmt.Errorf("receipt: the validation's audit event %d is not in the log", rep.AuditSeq)
	}
	m, err := w.s.ActiveRiskModel(ctx)
	if err != nil {
		return err
	}
	policy, err := receipt.ModelPolicy(&m)
	if err != nil {
		return err
	}
	env, err := receipt.Validation(w.svc, rep, policy, evs[0], receipt.Options{})
	if err != nil {
		return err
	}
	w.pending = append(w.pending, pendingReceipt{kind: "validation", name: app, env: env, seq: evs[0].Seq})
	return nil
}

// authorizationReceipt keeps the receipt of what request id authorises:
// the request as its signed records give it, and its latest audit event,
// which records its current status. Without -receipts it does nothing.
func (w *walk) authorizationReceipt(ctx context.Context, id uuid.UUID) error {
	if w.receiptDir == "" {
		return nil
	}
	req, err := w.s.Request(ctx, id)
	if err != nil {
		return err
	}
	ev, err := w.s.LatestEvent(ctx, "cab-request:"+id.String())
	if err != nil {
		return err
	}
	env, err := receipt.Authorization(w.svc, &req, ev, receipt.Options{})
	if err != nil {
		return err
	}
	w.pending = append(w.pending, pendingReceipt{kind: "authorization", name: req.Application, env: env, seq: ev.Seq})
	return nil
}

// writeReceipts proves each kept receipt's event against checkpoint,
// checks the receipt as a reader would (receipt.Verify, with the service
// key and trust), and writes its two files into the receipt directory,
// which it makes if it is missing. Without -receipts it does nothing.
func (w *walk) writeReceipts(ctx context.Context, checkpoint []byte, trust auditlog.Trust) error {
	if w.receiptDir == "" {
		return nil
	}
	if err := os.MkdirAll(w.receiptDir, 0o755); err != nil {
		return err
	}
	passed := 0
	for i, p := range w.pending {
		proof, err := w.s.ProveEvent(ctx, p.seq, checkpoint)
		if err != nil {
			return err
		}
		r := receipt.Receipt{Envelope: p.env, Proof: proof}
		sum, err := receipt.Verify(r, w.svc.Keys(), trust)
		if err != nil {
			return fmt.Errorf("receipt of %s %s: %w", p.kind, p.name, err)
		}
		if sum.Passed() {
			passed++
		}
		env, err := p.env.Marshal()
		if err != nil {
			return err
		}
		full, err := json.Marshal(r)
		if err != nil {
			return err
		}
		base := filepath.Join(w.receiptDir, fmt.Sprintf("%02d-%s-%s", i+1, p.kind, fileName(p.name)))
		if err := os.WriteFile(base+".dsse.json", append(env, '\n'), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(base+".receipt.json", append(full, '\n'), 0o644); err != nil {
			return err
		}
	}
	w.printf("receipts: %d (%d PASSED, %d FAILED), each a DSSE envelope and the inclusion proof of its event, written to %s\n",
		len(w.pending), passed, len(w.pending)-passed, w.receiptDir)
	return nil
}

// fileName turns a name into a file name's part: lower case letters,
// digits and dots, every other run of characters one hyphen.
func fileName(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' {
			b.WriteRune(r)
			hyphen = false
			continue
		}
		if !hyphen && b.Len() > 0 {
			b.WriteByte('-')
			hyphen = true
		}
	}
	s := strings.Trim(b.String(), "-.")
	if s == "" {
		return "unnamed"
	}
	return s
}
