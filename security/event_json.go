package security

import (
	"encoding/json"
	"time"

	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/internal/wire"
)

// The JSON form of [Event]; see the package doc's JSON section. It is the
// line an audit log export or sink writes, one event a line.

type eventJSON struct {
	Seq           int64           `json:"seq"`
	ID            string          `json:"id"`
	Type          EventType       `json:"type"`
	Actor         string          `json:"actor"`
	Subject       string          `json:"subject,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	OccurredAt    string          `json:"occurred_at"`
	Data          json.RawMessage `json:"data,omitempty"`
	PrevHash      string          `json:"prev_hash"`
	Hash          string          `json:"hash"`
}

// MarshalJSON writes e as one JSON object: seq, id, type, actor, subject
// and correlation_id (omitted while empty), occurred_at (RFC 3339, UTC),
// data (the event's canonical JSON object as it is, omitted while empty),
// and prev_hash and hash as 64 hex digits. It writes what e holds and
// does not check its hash: [CheckEvent] does.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventJSON{
		Seq: e.Seq, ID: e.ID.String(), Type: e.Type, Actor: e.Actor, Subject: e.Subject,
		CorrelationID: e.CorrelationID, OccurredAt: wire.Time(e.OccurredAt), Data: e.Data,
		PrevHash: e.PrevHash.String(), Hash: e.Hash.String(),
	})
}

// UnmarshalJSON reads the form [Event.MarshalJSON] writes. seq (1 or
// more), id, type, actor, occurred_at, prev_hash and hash are required;
// type, actor, subject and correlation_id follow [EventInput.Validate]'s
// rules for text; data, when present, is a JSON object, put back into its
// canonical form (RFC 8785), so that a line reformatted by a pretty-printer,
// or written by an encoder that escapes "<", ">" and "&" as encoding/json
// does, reads back to the bytes the event's hash covers. A malformed UUID, time or digest, a member of the
// wrong JSON type, any other member or a null document is an
// invalid-input *trustgate.Error naming the member. On error e is
// unchanged.
//
// Reading an event checks its form, not its integrity: pass it to
// [CheckEvent] or a [ChainVerifier] to know that its hash is the hash of
// what it says and that it follows the event before it.
func (e *Event) UnmarshalJSON(data []byte) error {
	o, err := wire.Read("security", data, "", "seq", "id", "type", "actor", "subject",
		"correlation_id", "occurred_at", "data", "prev_hash", "hash")
	if err != nil {
		return err
	}
	var v Event
	if v.Seq = o.Int("seq"); o.Err() == nil && v.Seq < 1 {
		o.Fail("seq", "a sequence number starts at 1", nil)
	}
	v.ID = o.UUID("id")
	v.Type = EventType(o.String("type"))
	v.Actor = o.String("actor")
	v.Subject = o.OptString("subject")
	v.CorrelationID = o.OptString("correlation_id")
	if o.Err() == nil {
		for _, t := range []struct {
			field, s string
			required bool
		}{{"type", string(v.Type), true}, {"actor", v.Actor, true}, {"subject", v.Subject, false},
			{"correlation_id", v.CorrelationID, false}} {
			o.FailWith(checkText(t.field, t.s, t.required))
		}
	}
	v.OccurredAt = o.Time("occurred_at").UTC()
	if raw := o.Raw("data", false); raw != nil {
		if raw[0] != '{' {
			o.Fail("data", "want a JSON object", nil)
		} else if c, err := jcs.CanonicalizeObject(nil, raw); err != nil {
			o.Fail("data", err.Error(), err)
		} else {
			v.Data = c
		}
	}
	v.PrevHash = readDigest(o, "prev_hash")
	v.Hash = readDigest(o, "hash")
	if err := o.Err(); err != nil {
		return err
	}
	if v.OccurredAt.Equal(time.Time{}) {
		return wire.Err("security", "occurred_at", "required", nil)
	}
	*e = v
	return nil
}

// readDigest reads the required digest member key of o.
func readDigest(o *wire.Object, key string) Digest {
	s := o.String(key)
	if o.Err() != nil {
		return Digest{}
	}
	d, err := ParseDigest(o.Path(key), s)
	if err != nil {
		o.Fail(key, "malformed SHA-256 digest (want 64 hex digits)", err)
	}
	return d
}
