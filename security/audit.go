package security

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/google/uuid"
)

// EventType names a kind of governance action in the audit log. Types are
// dotted lower-case names, such as "riskmodel.activated".
type EventType string

// The event types trustgate writes. A user's own tooling may append others.
const (
	EventRiskModelCreated   EventType = "riskmodel.created"
	EventRiskModelApproved  EventType = "riskmodel.approved"
	EventRiskModelActivated EventType = "riskmodel.activated"
	EventSeeded             EventType = "store.seeded"
	EventEvidenceCreated    EventType = "evidence.created"
	EventDeploymentRecorded EventType = "deployment.recorded"
	EventIncidentReported   EventType = "incident.reported"
	EventIncidentUpdated    EventType = "incident.updated"
	EventMaturityProgressed EventType = "maturity.progressed"
	EventMaturityRegressed  EventType = "maturity.regressed"
	EventMaturityApproval   EventType = "maturity.approval"
)

// Limits on audit event fields. They keep a single event readable and the
// log bounded against hostile input.
const (
	MaxEventTextLength = 512      // actor, subject, correlation id, type
	MaxEventDataLength = 64 << 10 // canonical data, bytes
)

// EventInput is what a caller supplies to append an event. The store adds the
// sequence number, id, time and hashes.
type EventInput struct {
	Type          EventType
	Actor         string          // who acted: a user, a service, "trustgate-seed"
	Subject       string          // what the event is about, e.g. "riskmodel:1.2"
	CorrelationID string          // the request it belongs to, if any
	Data          json.RawMessage // details: nil or a JSON object
}

// Event is one entry of the append-only, hash-chained audit log.
//
// Hash is SHA-256(PrevHash ‖ canonical event), where the canonical event is
// the RFC 8785 form of the JSON object {"actor", "correlation_id", "data",
// "id", "occurred_at", "seq", "subject", "type"} with occurred_at in RFC 3339
// UTC with exactly six fractional digits. PrevHash is the previous event's
// Hash, and all zero for the first event. Any change to a stored event, and
// any deletion, insertion or reordering, breaks the chain at that point.
type Event struct {
	Seq           int64 // position in the log, from 1
	ID            uuid.UUID
	Type          EventType
	Actor         string
	Subject       string
	CorrelationID string
	OccurredAt    time.Time       // UTC, microsecond precision
	Data          json.RawMessage // canonical JSON object
	PrevHash      Digest
	Hash          Digest
}

// Head is the state of a log: how many events it holds and the hash of the
// last one (zero for an empty log).
type Head struct {
	Size int64
	Hash Digest
}

// Validate checks an event input: a type, an actor, texts that are valid
// UTF-8 without control characters and within [MaxEventTextLength], and data
// that is absent or a JSON object within [MaxEventDataLength].
func (in EventInput) Validate() error {
	if err := checkText("type", string(in.Type), true); err != nil {
		return err
	}
	if err := checkText("actor", in.Actor, true); err != nil {
		return err
	}
	if err := checkText("subject", in.Subject, false); err != nil {
		return err
	}
	if err := checkText("correlation_id", in.CorrelationID, false); err != nil {
		return err
	}
	if in.Data != nil {
		if len(in.Data) > MaxEventDataLength {
			return fieldErr("data", fmt.Sprintf("longer than %d bytes", MaxEventDataLength), nil)
		}
		if _, err := jcs.CanonicalizeObject(nil, in.Data); err != nil {
			return fieldErr("data", err.Error(), err)
		}
	}
	return nil
}

func checkText(field, s string, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return fieldErr(field, "required", nil)
	case len(s) > MaxEventTextLength:
		return fieldErr(field, fmt.Sprintf("longer than %d bytes", MaxEventTextLength), nil)
	case !utf8.ValidString(s):
		return fieldErr(field, "not valid UTF-8", nil)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fieldErr(field, "contains control characters", nil)
	}
	return nil
}

// NewEvent builds the event that follows head: sequence head.Size+1, the
// given id and time (truncated to microseconds, in UTC), data in canonical
// form, and its hash. It validates the input first.
func NewEvent(head Head, in EventInput, id uuid.UUID, at time.Time) (Event, error) {
	if err := in.Validate(); err != nil {
		return Event{}, err
	}
	data := []byte("{}")
	if in.Data != nil {
		c, err := jcs.CanonicalizeObject(nil, in.Data)
		if err != nil {
			return Event{}, fieldErr("data", err.Error(), err)
		}
		data = c
	}
	e := Event{
		Seq:           head.Size + 1,
		ID:            id,
		Type:          in.Type,
		Actor:         in.Actor,
		Subject:       in.Subject,
		CorrelationID: in.CorrelationID,
		OccurredAt:    at.UTC().Truncate(time.Microsecond), // the canonical form holds microseconds
		Data:          data,
		PrevHash:      head.Hash,
	}
	h, err := e.ComputeHash()
	if err != nil {
		return Event{}, err
	}
	e.Hash = h
	return e, nil
}

// timeLayout is the canonical time form in hashed events.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Canonical returns the RFC 8785 form of the event's hashed content: the
// leaf of the event in the audit log's Merkle tree, and, after PrevHash,
// what its chain hash covers.
func (e Event) Canonical() ([]byte, error) {
	return e.AppendCanonical(make([]byte, 0, 256+len(e.Data)))
}

// AppendCanonical appends [Event.Canonical] to dst. The event's data is
// kept canonical from the moment it is written, so the object is written
// field by field, in RFC 8785's key order, around the data's bytes as
// stored; only when those bytes are not canonical (an edited row, say)
// does it canonicalise the whole object, which yields the same bytes
// whenever the fast form is right.
func (e Event) AppendCanonical(dst []byte) ([]byte, error) {
	return e.appendCanonical(dst, nil)
}

// canonScratch is what writing events' canonical forms reuses from one
// event to the next: the canonicaliser that checks each event's data, and
// the buffer it writes the data's canonical form to, to compare.
type canonScratch struct {
	jcs  jcs.Canonicalizer
	data []byte
}

// appendCanonical is AppendCanonical on the scratch space of s; a nil s
// is a canonicaliser for this call alone.
func (e *Event) appendCanonical(dst []byte, s *canonScratch) ([]byte, error) {
	data := []byte(e.Data)
	if len(data) == 0 {
		data = []byte("{}")
	}
	start := len(dst)
	if out, ok := e.appendFast(dst, data, s); ok {
		return out, nil
	}
	return e.appendSlow(dst[:start], data)
}

// appendFast writes the canonical object directly. It gives up (false)
// on what it cannot write exactly as RFC 8785 would: text that is not
// valid UTF-8, a sequence number beyond 2⁵³, or data that is not already
// canonical.
func (e *Event) appendFast(dst []byte, data []byte, s *canonScratch) ([]byte, bool) {
	const maxExact = 1 << 53
	if e.Seq > maxExact || e.Seq < -maxExact || !isCanonicalObject(data, s) {
		return dst, false
	}
	var ok, good bool
	dst = append(dst, `{"actor":`...)
	dst, ok = jcs.AppendString(dst, e.Actor)
	dst = append(dst, `,"correlation_id":`...)
	dst, good = jcs.AppendString(dst, e.CorrelationID)
	ok = ok && good
	dst = append(dst, `,"data":`...)
	dst = append(dst, data...)
	var idBuf [36]byte
	hexID(idBuf[:], e.ID)
	dst = append(dst, `,"id":"`...)
	dst = append(dst, idBuf[:]...)
	dst = append(dst, `","occurred_at":"`...)
	dst = e.OccurredAt.UTC().AppendFormat(dst, timeLayout)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendInt(dst, e.Seq, 10)
	dst = append(dst, `,"subject":`...)
	dst, good = jcs.AppendString(dst, e.Subject)
	ok = ok && good
	dst = append(dst, `,"type":`...)
	dst, good = jcs.AppendString(dst, string(e.Type))
	ok = ok && good
	return append(dst, '}'), ok
}

// hexID writes id's canonical text form (as uuid.UUID.String does) into
// dst, which holds 36 bytes.
func hexID(dst []byte, id uuid.UUID) {
	const digits = "0123456789abcdef"
	j := 0
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = digits[b>>4], digits[b&0xF]
		j += 2
	}
}

// isCanonicalObject reports whether data is a JSON object already in its
// RFC 8785 form: it canonicalises data, on s's scratch space when s is not
// nil, and compares. Event data is short, so that is cheap next to
// canonicalising the whole event through encoding/json.
func isCanonicalObject(data []byte, s *canonScratch) bool {
	if len(data) == 2 && data[0] == '{' && data[1] == '}' {
		return true
	}
	if s == nil {
		var buf [512]byte
		c, err := jcs.CanonicalizeObject(buf[:0], data)
		return err == nil && bytes.Equal(c, data)
	}
	c, err := s.jcs.CanonicalizeObject(s.data[:0], data)
	if err != nil {
		return false
	}
	s.data = c
	return bytes.Equal(c, data)
}

// appendSlow canonicalises the whole object through encoding/json.
func (e *Event) appendSlow(dst []byte, data []byte) ([]byte, error) {
	obj := struct {
		Actor         string          `json:"actor"`
		CorrelationID string          `json:"correlation_id"`
		Data          json.RawMessage `json:"data"`
		ID            string          `json:"id"`
		OccurredAt    string          `json:"occurred_at"`
		Seq           int64           `json:"seq"`
		Subject       string          `json:"subject"`
		Type          EventType       `json:"type"`
	}{e.Actor, e.CorrelationID, data, e.ID.String(), e.OccurredAt.UTC().Format(timeLayout), e.Seq, e.Subject, e.Type}
	raw, err := json.Marshal(obj)
	if err != nil {
		return dst, fieldErr("data", err.Error(), err)
	}
	return jcs.Canonicalize(dst, raw)
}

// ComputeHash recomputes SHA-256(PrevHash ‖ canonical event) from the
// event's fields, ignoring its stored Hash.
func (e Event) ComputeHash() (Digest, error) {
	var buf [1024]byte
	c, err := e.AppendCanonical(buf[:0])
	if err != nil {
		return Digest{}, err
	}
	h := sha256.New()
	h.Write(e.PrevHash[:])
	h.Write(c)
	var d Digest
	h.Sum(d[:0])
	return d, nil
}
