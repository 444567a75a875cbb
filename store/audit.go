package store

import (
	"context"
	"encoding/json"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store/driver"
)

// The audit log: events in sequence order, hash-chained. Its Merkle tree
// is in tree.go, its checkpoints in notes.go.

func eventTable() *driver.Table {
	return &driver.Table{
		Name: "audit_events",
		Columns: []driver.Column{
			col("seq", driver.Int), col("id", driver.UUID), col("type", driver.Text), col("actor", driver.Text),
			col("subject", driver.Text), col("correlation_id", driver.Text), col("occurred_at", driver.Time),
			// The canonical JSON the hash covers, kept as text so that it
			// reads back byte for byte.
			col("data", driver.Text), col("prev_hash", driver.Text), col("hash", driver.Text),
		},
		Key:    []string{"seq"},
		Unique: [][]string{{"id"}},
		Append: true,
	}
}

func eventRow(e security.Event) []any {
	return []any{e.Seq, e.ID, string(e.Type), e.Actor, e.Subject, e.CorrelationID, e.OccurredAt, string(e.Data),
		e.PrevHash.String(), e.Hash.String()}
}

func decodeEvent(t *driver.Table, row []any) (security.Event, error) {
	r := newReader(t, row)
	e := security.Event{Seq: r.int(), ID: r.uuid(), Type: security.EventType(r.text()), Actor: r.text(),
		Subject: r.text(), CorrelationID: r.text(), OccurredAt: r.time(), Data: json.RawMessage(r.text()),
		PrevHash: r.digest(), Hash: r.digest()}
	return e, r.done()
}

// MaxAuditPage is the largest limit ListAuditEvents accepts.
const MaxAuditPage = 10000

// AppendAudit appends an event after the current head, with a new id and
// the store's current time, and returns it with its hash. Appends are
// serialised: the chain never forks, whatever the number of writers.
// Invalid input is the security package's error, and nothing is written.
func (h *ops) AppendAudit(ctx context.Context, in security.EventInput) (security.Event, error) {
	return write(ctx, h, func(o *op) (security.Event, error) {
		es, err := o.apply(nil, in)
		if err != nil {
			return security.Event{}, err
		}
		return es[0], nil
	})
}

// ListAuditEvents returns up to limit events with Seq > after, in
// ascending order: fewer than limit only at the end of the log. A limit
// outside [1, MaxAuditPage] is [trustgate.Invalid]. It implements
// security.EventReader.
func (h *ops) ListAuditEvents(ctx context.Context, after int64, limit int) ([]security.Event, error) {
	if limit <= 0 || limit > MaxAuditPage {
		return nil, invalid("limit", "store: audit page limit %d is outside [1, %d]", limit, MaxAuditPage)
	}
	return read(ctx, h, func(o *op) ([]security.Event, error) {
		out := make([]security.Event, 0, min(limit, 256))
		err := o.query(&driver.Query{Table: o.t.events, Where: []driver.Cond{driver.Where("seq", driver.Gt, after)},
			Order: []driver.Order{{Column: "seq"}}, Limit: limit}, func(row []any) error {
			e, err := decodeEvent(o.t.events, row)
			out = append(out, e)
			return err
		})
		return out, err
	})
}

// AuditHead returns the number of events and the last event's hash: the
// last stored event's sequence number (the size of an intact log) and
// hash, or the zero Head for an empty log.
func (h *ops) AuditHead(ctx context.Context) (security.Head, error) {
	return read(ctx, h, func(o *op) (security.Head, error) { return o.head() })
}

// head reads the head of the log: the last event's sequence number and
// hash, and nothing else of it.
func (o *op) head() (security.Head, error) {
	cols := []string{"seq", "hash"}
	row, ok, err := o.first(&driver.Query{Table: o.t.events, Columns: cols, Order: []driver.Order{{Column: "seq", Desc: true}}})
	if err != nil || !ok {
		return security.Head{}, err
	}
	r := newProjected(o.t.events, cols, row)
	h := security.Head{Size: r.int(), Hash: r.digest()}
	return h, r.done()
}

// audit_checkpoints holds the checkpoints of trustgate before the Merkle
// tree: the signed head of the hash chain, in a format of its own. It is
// kept, read by nothing, so that no signed record of an existing database
// is lost; checkpoints are now signed notes in audit_notes (notes.go).
func checkpointTable() *driver.Table {
	return &driver.Table{
		Name: "audit_checkpoints",
		Columns: []driver.Column{
			col("size", driver.Int), col("key_id", driver.Text), col("head", driver.Text),
			col("signed_at", driver.Text), col("signature", driver.Text),
		},
		Key: []string{"size", "key_id"},
	}
}
