package main

import (
	"context"
	"fmt"

	"github.com/buildworksai/trustgate/examples/internal/receiptdir"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
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
type pendingReceipt = receiptdir.Pending

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
	w.pending = append(w.pending, receiptdir.Pending{Kind: receiptdir.KindValidation, Name: app, Envelope: env, Seq: evs[0].Seq})
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
	w.pending = append(w.pending, receiptdir.Pending{Kind: receiptdir.KindAuthorization, Name: req.Application, Envelope: env, Seq: ev.Seq})
	return nil
}

// writeReceipts proves each kept receipt's event against checkpoint,
// checks the receipt as a reader would (receipt.Verify, with the service
// key and trust), and writes its two files into the receipt directory,
// which it makes if it is missing (package receiptdir). Without -receipts
// it does nothing.
func (w *walk) writeReceipts(ctx context.Context, checkpoint []byte, trust auditlog.Trust) error {
	if w.receiptDir == "" {
		return nil
	}
	sum, err := receiptdir.Write(ctx, w.s, w.receiptDir, w.pending, checkpoint, w.svc.Keys(), trust)
	if err != nil {
		return err
	}
	w.printf("receipts: %d (%d PASSED, %d FAILED), each a DSSE envelope and the inclusion proof of its event, written to %s\n",
		sum.Receipts, sum.Passed, sum.Receipts-sum.Passed, w.receiptDir)
	return nil
}

// fileName is the file name's part of name (receiptdir.FileName).
func fileName(name string) string { return receiptdir.FileName(name) }
