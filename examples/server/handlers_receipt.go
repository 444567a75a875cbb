package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/store"
)

// validationReceipt: GET /api/v1/audit/events/{seq}/receipt, the receipt
// of the validation event seq records (the audit_seq of a validation's
// answer): its report rebuilt from the event, under the risk model in
// force when it ran (the last activation the log records before it),
// signed by the service key, with the event's inclusion proof against the
// latest saved checkpoint. An event that is not a validation, or one that
// failed before the artifact was hashed (it names no digest to vouch for),
// has none: 404. Finding the model reads the log up to the event.
func (s *Server) validationReceipt(w http.ResponseWriter, r *http.Request, _ *principal) error {
	seq, err := pathSeq(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	noReceipt := func(why string) error {
		return newHTTPError(http.StatusNotFound, codeNotFound, "", "no receipt for event "+strconv.FormatInt(seq, 10)+": "+why)
	}
	evs, err := s.store.ListAuditEvents(ctx, seq-1, 1)
	if err != nil {
		return err
	}
	if len(evs) != 1 || evs[0].Seq != seq {
		return noReceipt("the log holds no such event")
	}
	ev := evs[0]
	if ev.Type != security.EventValidationPassed && ev.Type != security.EventValidationFailed {
		return noReceipt("it is a " + strconv.Quote(string(ev.Type)) + " event, not a validation")
	}
	rep, err := security.RecordedReport(ev)
	if err != nil {
		return err
	}
	if rep.ArtifactDigest.IsZero() {
		return noReceipt("the validation failed before the artifact was hashed")
	}
	version, err := s.modelAt(ctx, seq)
	if err != nil {
		return err
	}
	if version == "" {
		return noReceipt("no risk model was active when it ran")
	}
	m, err := s.store.RiskModel(ctx, version)
	if err != nil {
		return err
	}
	policy, err := receipt.ModelPolicy(&m)
	if err != nil {
		return err
	}
	env, err := receipt.Validation(s.service, rep, policy, ev, receipt.Options{})
	if err != nil {
		return err
	}
	proof, err := s.proveAgainstLatest(ctx, seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, receipt.Receipt{Envelope: env, Proof: proof})
	return nil
}

// pathSeq parses the {seq} path wildcard: a sequence number, from 1,
// written without a sign or leading zeros. Anything else names no event:
// 404.
func pathSeq(r *http.Request) (int64, error) {
	raw := r.PathValue("seq")
	seq, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || seq < 1 || strconv.FormatInt(seq, 10) != raw {
		return 0, newHTTPError(http.StatusNotFound, codeNotFound, "", "no event with sequence number "+strconv.Quote(raw))
	}
	return seq, nil
}

// modelAt returns the version the last risk model activation before event
// seq named, "" for none.
func (s *Server) modelAt(ctx context.Context, seq int64) (string, error) {
	var version string
	for after := int64(0); after < seq-1; {
		page, err := s.store.ListAuditEvents(ctx, after, int(min(int64(store.MaxAuditPage), seq-1-after)))
		if err != nil {
			return "", err
		}
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			if ev.Type == security.EventRiskModelActivated {
				var d struct {
					Version string `json:"version"`
				}
				if json.Unmarshal(ev.Data, &d) == nil && d.Version != "" {
					version = d.Version
				}
			}
		}
		after = page[len(page)-1].Seq
	}
	return version, nil
}
