package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store/driver"
)

// VerifyOptions configures [Store.Verify].
type VerifyOptions struct {
	// Levels is the maturity ladder that caps models; nil means
	// maturity.Levels().
	Levels []maturity.Definition
	// Chain configures the audit log's verification: pass checkpoints
	// published outside the database, and the trust to open them, to
	// detect a truncated or rewritten log too.
	Chain security.VerifyOptions
}

// Verify checks, in one call, the audit log and every stored record that
// can authorise or cap a decision against what was signed for it, and
// returns nil or an error naming the first record that does not match:
//
//   - the audit log: its hash chain, its Merkle tree as stored, and the
//     checkpoints given ([Store.VerifyLog]);
//   - the maturity state: its service-signed statement and, for a
//     progression, the quorum of members' approvals (maturity.VerifyState);
//     and it must be the level the log's last maturity event entered;
//   - every risk model version: each signoff must be a valid statement
//     about the version as stored (its content hash), a version marked
//     approved must have the quorum's signatures or a ladder statement, and
//     the active version must verify under the level in force
//     (cab.VerifyModel) and be the one the log's last activation named;
//   - every CAB request: its signed decision, every approval, the
//     rejection and the exception with its approvals (cab.Request.Verify),
//     and its status must be the one its last audit event recorded (so a
//     rejection deleted from the row is found);
//   - every evidence package: its content hash and the service key's
//     statement of it (security.Evidence.Verify);
//   - every incident: its report as the store's service key signed it
//     (incident.Incident.Verify): an incident stored by a store without
//     [Options].Service is reported unsigned.
//
// A record that does not match is a [*attest.RecordError] naming it
// ("cab_requests/<id>", "risk_model_versions/<version>",
// "maturity_state/1", "evidence_packages/<id>", "incidents/<id>") and the
// part that fails;
// errors.Is(err, attest.ErrTampered) holds for all of them. It reads in
// one snapshot where the driver offers one per transaction; the log is
// read first, in pages.
func (s *Store) Verify(ctx context.Context, keys *attest.Keyring, opts VerifyOptions) error {
	if keys == nil {
		return invalid("keys", "store: verifying needs the keyring")
	}
	levels := opts.Levels
	if levels == nil {
		levels = maturity.Levels()
	}
	if err := maturity.ValidateLevels(levels); err != nil {
		return err
	}
	if _, _, err := s.VerifyLog(ctx, opts.Chain); err != nil {
		return err
	}
	last, err := s.lastGovernanceEvents(ctx)
	if err != nil {
		return err
	}
	_, err = read(ctx, &s.ops, func(o *op) (struct{}, error) {
		return struct{}{}, o.verify(keys, levels, last)
	})
	return err
}

// governanceEvents are what the audit log last said about the state that
// caps decisions.
type governanceEvents struct {
	activated       string // the version the last riskmodel.activated event named
	maturity        bool   // whether any maturity transition is logged
	level           int    // the level the last one entered
	maturityVersion string // and the model it activated
	// requests holds, for each CAB request, the status its last event
	// recorded: a rejection deleted from the row, or an approval removed,
	// leaves the row disagreeing with its log.
	requests map[string]string
}

func (s *Store) lastGovernanceEvents(ctx context.Context) (governanceEvents, error) {
	g := governanceEvents{requests: map[string]string{}}
	var after int64
	for {
		page, err := s.ListAuditEvents(ctx, after, 1000)
		if err != nil {
			return g, err
		}
		for _, e := range page {
			switch e.Type {
			case security.EventRiskModelActivated:
				var d struct{ Version string }
				if json.Unmarshal(e.Data, &d) == nil {
					g.activated = d.Version
				}
			case cab.EventSubmitted, cab.EventApproved, cab.EventRejected, cab.EventExceptionRequest, cab.EventExceptionApproved:
				var d struct {
					RequestID string `json:"request_id"`
					Status    string `json:"status"`
				}
				if json.Unmarshal(e.Data, &d) == nil && d.RequestID != "" {
					g.requests[d.RequestID] = d.Status
				}
			case security.EventMaturityProgressed, security.EventMaturityRegressed:
				var d struct {
					To           string `json:"to"`
					ModelVersion string `json:"model_version"`
				}
				if json.Unmarshal(e.Data, &d) == nil {
					g.maturity = true
					g.level, _ = strconv.Atoi(d.To)
					g.maturityVersion = d.ModelVersion
				}
			}
			after = e.Seq
		}
		if len(page) < 1000 {
			return g, nil
		}
	}
}

func (o *op) verify(keys *attest.Keyring, levels []maturity.Definition, last governanceEvents) error {
	state, ok, err := o.state()
	if err != nil {
		return err
	}
	if !ok {
		return attest.Tampered("maturity_state/1", "row", "no maturity state: the store is not seeded, or it was deleted")
	}
	if err := maturity.VerifyState(&state, keys, len(levels)); err != nil {
		return err
	}
	switch {
	case last.maturity && (int(state.Level) != last.level || state.ModelVersion != last.maturityVersion):
		return attest.Tampered("maturity_state/1", "level", "the audit log's last transition entered level "+
			strconv.Itoa(last.level)+" with model "+last.maturityVersion+"; the state is level "+strconv.Itoa(int(state.Level))+
			" with model "+state.ModelVersion)
	case !last.maturity && (state.Level != maturity.Baseline || state.Kind != ""):
		return attest.Tampered("maturity_state/1", "level", "the audit log records no transition, but the state is level "+
			strconv.Itoa(int(state.Level)))
	}
	models, err := o.models(&driver.Query{Table: o.t.models, Order: []driver.Order{{Column: "created_at"}, {Column: "version"}}})
	if err != nil {
		return err
	}
	for i := range models {
		v := &models[i]
		if err := verifyModelRecord(v, keys, levels, state.Level); err != nil {
			return err
		}
		if v.Active && v.Version != last.activated {
			return attest.Tampered("risk_model_versions/"+v.Version, "active", "the audit log's last activation named "+
				strconv.Quote(last.activated)+", not this version")
		}
	}
	err = o.query(&driver.Query{Table: o.t.requests, Order: []driver.Order{{Column: "created_at"}, {Column: "id"}}},
		func(row []any) error {
			r, err := decodeRequest(o.t.requests, row)
			if err != nil {
				return unreadable(o.t.requests, row, err)
			}
			if err := r.Verify(keys); err != nil {
				return err
			}
			if logged, ok := last.requests[r.ID.String()]; !ok || logged != string(r.Status) {
				return attest.Tampered("cab_requests/"+r.ID.String(), "status", "is "+string(r.Status)+
					", but the audit log's last event for it recorded "+strconv.Quote(logged))
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = o.query(&driver.Query{Table: o.t.evidence, Order: []driver.Order{{Column: "created_at"}, {Column: "id"}}},
		func(row []any) error {
			e, err := decodeEvidence(o.t.evidence, row)
			if err != nil {
				return unreadable(o.t.evidence, row, err)
			}
			return e.Verify(keys)
		})
	if err != nil {
		return err
	}
	return o.query(&driver.Query{Table: o.t.incidents, Order: []driver.Order{{Column: "created_at"}, {Column: "id"}}},
		func(row []any) error {
			in, _, err := decodeIncident(o.t.incidents, row)
			if err != nil {
				return unreadable(o.t.incidents, row, err)
			}
			return in.Verify(keys)
		})
}

// unreadable reports a row that does not decode (a column edited into
// something the store never writes, such as an envelope that is not
// DSSE), naming the row by its primary key so the report points at the
// record, as every other failure does.
func unreadable(t *driver.Table, row []any, err error) error {
	record := t.Name
	for _, k := range t.Key {
		if i := t.Column(k); i >= 0 && i < len(row) {
			switch v := row[i].(type) {
			case string:
				record += "/" + v
			case []byte:
				record += "/" + string(v)
			case int64:
				record += "/" + strconv.FormatInt(v, 10)
			case fmt.Stringer: // a uuid.UUID
				record += "/" + v.String()
			}
		}
	}
	return attest.Tampered(record, "row", err.Error())
}

// verifyModelRecord checks one stored version: every signoff is a valid
// statement about its content as stored, a version marked approved is
// approved by its signatures, and the active one verifies under the level
// in force.
func verifyModelRecord(v *riskmodel.Version, keys *attest.Keyring, levels []maturity.Definition, level maturity.Level) error {
	record := "risk_model_versions/" + v.Version
	approvers := v.Approvers(keys)
	_, ladder := v.Ladder(keys)
	for i, s := range v.Signoffs {
		ok := s.By == riskmodel.LadderSigner && ladder || slices.Contains(approvers, s.By)
		if !ok {
			return attest.Tampered(record, "signoffs["+strconv.Itoa(i)+"]", "not a valid signed statement by "+
				strconv.Quote(s.By)+" about this version's content as stored")
		}
	}
	if v.Approval.Approved && len(approvers) < keys.ModelQuorum() && !ladder {
		return attest.Tampered(record, "approved", "marked approved with "+strconv.Itoa(len(approvers))+" of "+
			strconv.Itoa(keys.ModelQuorum())+" valid approvals")
	}
	if v.Active {
		if _, err := cab.VerifyModel(v, keys, levels, level); err != nil {
			var te *trustgate.Error
			if errors.As(err, &te) {
				return attest.Tampered(record, "active", te.Message)
			}
			return err
		}
	}
	return nil
}
