package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/examples/internal/receiptdir"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

func exportReceipts(ctx context.Context, e *env, f *exportFlags) error {
	res := exportResult{Kind: "receipts", Path: f.receipts}
	key, err := loadServiceKey(f.serviceKey)
	if err != nil {
		return err
	}
	keys, err := loadKeyring(f.keyring, key.Public())
	if err != nil {
		return err
	}
	svc, err := attest.NewService(key, keys)
	if err != nil {
		return cannotRun(fmt.Errorf("-service-key: %w", err))
	}
	var trust auditlog.Trust
	if f.verifier != "" {
		if trust, err = loadTrust(f.verifier); err != nil {
			return err
		}
	}
	var cp []byte
	if f.checkpoint != "" {
		if cp, err = readFile("checkpoint", f.checkpoint); err != nil {
			return err
		}
	}
	s, err := f.db.open(ctx, false, store.Options{})
	if err != nil {
		return err
	}
	defer s.close()
	if cp == nil {
		switch cp, err = s.LatestCheckpoint(ctx); {
		case errors.Is(err, store.ErrNotFound):
			return exportFailed(e, f.db.json, res, errors.New("no checkpoint is saved in the database: give -checkpoint FILE, or sign one with trustgate checkpoint"))
		case err != nil:
			return cannotRun(err)
		}
	}
	c, _, err := auditlog.ParseNote(cp)
	if err != nil {
		return cannotRun(fmt.Errorf("the checkpoint does not parse: %w", err))
	}
	if trust.Log == nil {
		if trust, _, err = serviceTrust(c.Origin, key.Public()); err != nil {
			return cannotRun(fmt.Errorf("-service-key: the log's checkpoints are signed with an Ed25519 service key: %w", err))
		}
	}
	if _, err := auditlog.Open(cp, trust); err != nil {
		return exportFailed(e, f.db.json, res, fmt.Errorf("the checkpoint does not verify: %w", err))
	}

	pending, skipped, err := collectReceipts(ctx, s, svc, c.Size)
	if err != nil {
		if trustgate.ErrorCode(err) == trustgate.Tampered {
			return exportFailed(e, f.db.json, res, fmt.Errorf("%w (run trustgate verify)", err))
		}
		return cannotRun(err)
	}
	res.Skipped = skipped
	sum, err := receiptdir.Write(ctx, s, f.receipts, pending, cp, keys, trust)
	if err != nil {
		if code := trustgate.ErrorCode(err); code == trustgate.Tampered || code == trustgate.Conflict {
			return exportFailed(e, f.db.json, res, err)
		}
		return cannotRun(err)
	}
	res.OK, res.Receipts, res.Passed, res.Files = true, sum.Receipts, sum.Passed, sum.Files
	if f.db.json {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "receipts: %d (%d PASSED, %d FAILED), proved against the checkpoint of %d events (origin %s), written to %s\n",
		sum.Receipts, sum.Passed, sum.Receipts-sum.Passed, c.Size, c.Origin, f.receipts)
	for _, s := range skipped {
		fmt.Fprintf(e.stdout, "  no receipt: %s\n", s)
	}
	return nil
}

// collectReceipts reads the log and makes the receipt of every validation
// and every CAB request's authorisation recorded in its first size
// events, in log order; skipped says which verdicts have none, and why.
func collectReceipts(ctx context.Context, s *db, svc *attest.Service, size int64) ([]receiptdir.Pending, []string, error) {
	var (
		pending  []receiptdir.Pending
		skipped  []string
		requests []uuid.UUID // in the order of their submission
		seen     = map[uuid.UUID]bool{}
		model    string // the version the last activation named
		after    int64
		policies = map[string]receipt.Policy{}
	)
	policyOf := func(version string) (receipt.Policy, error) {
		if p, ok := policies[version]; ok {
			return p, nil
		}
		v, err := s.RiskModel(ctx, version)
		if err != nil {
			return receipt.Policy{}, err
		}
		p, err := receipt.ModelPolicy(&v)
		policies[version] = p
		return p, err
	}
	for {
		page, err := s.ListAuditEvents(ctx, after, store.MaxAuditPage)
		if err != nil {
			return nil, nil, err
		}
		for _, ev := range page {
			after = ev.Seq
			switch ev.Type {
			case security.EventRiskModelActivated:
				var d struct{ Version string }
				if json.Unmarshal(ev.Data, &d) == nil {
					model = d.Version
				}
			case cab.EventSubmitted:
				var d struct {
					RequestID string `json:"request_id"`
				}
				if json.Unmarshal(ev.Data, &d) != nil {
					continue
				}
				if id, err := uuid.Parse(d.RequestID); err == nil && !seen[id] {
					seen[id] = true
					requests = append(requests, id)
				}
			case security.EventValidationPassed, security.EventValidationFailed:
				if ev.Seq > size {
					skipped = append(skipped, fmt.Sprintf("validation of event %d: after the checkpoint", ev.Seq))
					continue
				}
				rep, err := security.RecordedReport(ev)
				if err != nil {
					return nil, nil, err
				}
				if rep.ArtifactDigest.IsZero() {
					skipped = append(skipped, fmt.Sprintf("validation of event %d (%s): it failed before the artifact was hashed", ev.Seq, rep.CorrelationID))
					continue
				}
				if model == "" {
					return nil, nil, fmt.Errorf("event %d: a validation before any risk model was activated", ev.Seq)
				}
				policy, err := policyOf(model)
				if err != nil {
					return nil, nil, err
				}
				env, err := receipt.Validation(svc, rep, policy, ev, receipt.Options{})
				if err != nil {
					return nil, nil, fmt.Errorf("the receipt of the validation of event %d: %w", ev.Seq, err)
				}
				pending = append(pending, receiptdir.Pending{Kind: receiptdir.KindValidation, Name: rep.ArtifactName, Envelope: env, Seq: ev.Seq})
			}
		}
		if len(page) < store.MaxAuditPage {
			break
		}
	}
	for _, id := range requests {
		req, err := s.Request(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		ev, err := s.LatestEvent(ctx, "cab-request:"+id.String())
		if err != nil {
			return nil, nil, err
		}
		if ev.Seq > size {
			skipped = append(skipped, fmt.Sprintf("authorization of request %s: its latest event, %d, is after the checkpoint", id, ev.Seq))
			continue
		}
		env, err := receipt.Authorization(svc, &req, ev, receipt.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("the receipt of request %s: %w", id, err)
		}
		pending = append(pending, receiptdir.Pending{Kind: receiptdir.KindAuthorization, Name: req.Application, Envelope: env, Seq: ev.Seq})
	}
	slices.SortStableFunc(pending, func(a, b receiptdir.Pending) int { return cmp.Compare(a.Seq, b.Seq) })
	return pending, skipped, nil
}
