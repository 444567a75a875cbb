package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/security/dsse"
)

// The in-toto Statement v1 framing (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md).
const (
	// StatementType is the _type of an in-toto Statement v1.
	StatementType = "https://in-toto.io/Statement/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// PredicatePrefix begins the predicate type of every statement
	// trustgate signs; each kind appends its name and version, as in
	// PredicatePrefix + "cab-decision/v1".
	PredicatePrefix = "https://github.com/buildworksai/trustgate/attestation/"
)

// Subject is what a statement is about: a name and its digests.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// DigestSubject is the subject named name with SHA-256 digest d.
func DigestSubject(name string, d [32]byte) Subject {
	return Subject{Name: name, Digest: map[string]string{"sha256": hex.EncodeToString(d[:])}}
}

// Statement is an in-toto Statement v1.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Encode returns the canonical payload of the statement about subject with
// the given predicate (encoded with encoding/json): its RFC 8785 form, so
// the same statement is the same bytes in any language, and a record can
// be checked by encoding it again and comparing bytes.
func Encode(predicateType string, predicate any, subject ...Subject) ([]byte, error) {
	p, err := json.Marshal(predicate)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(Statement{Type: StatementType, Subject: subject, PredicateType: predicateType, Predicate: p})
	if err != nil {
		return nil, err
	}
	return jcs.Canonicalize(make([]byte, 0, len(raw)), raw)
}

// Decode parses a payload as an in-toto Statement v1 of the given
// predicate type, decoding its predicate into predicate (a pointer, or nil
// to leave it undecoded), and returns the statement. The payload must be
// exactly the canonical form (as [Encode] makes it) of a statement with a
// subject, each subject with a digest, and — when predicate is given — of
// that predicate: member names are matched exactly, not case-insensitively
// as encoding/json would, and a member too many or too few is refused, so
// one statement has one encoding.
func Decode(payload []byte, predicateType string, predicate any) (Statement, error) {
	canon, err := jcs.Canonicalize(nil, payload)
	if err != nil || !bytes.Equal(canon, payload) {
		return Statement{}, statementErr("payload", "is not a canonical (RFC 8785) JSON statement")
	}
	var s Statement
	if err := json.Unmarshal(payload, &s); err != nil {
		return Statement{}, statementErr("payload", err.Error())
	}
	switch {
	case s.Type != StatementType:
		return Statement{}, statementErr("payload._type", "is not "+StatementType)
	case s.PredicateType != predicateType:
		return Statement{}, statementErr("payload.predicateType", "is "+s.PredicateType+", not "+predicateType)
	case len(s.Subject) == 0:
		return Statement{}, statementErr("payload.subject", "is empty")
	}
	for _, sub := range s.Subject {
		if len(sub.Digest) == 0 {
			return Statement{}, statementErr("payload.subject", "a subject has no digest")
		}
	}
	if again, err := Encode(s.PredicateType, s.Predicate, s.Subject...); err != nil || !bytes.Equal(again, payload) {
		return Statement{}, statementErr("payload", "holds members other than a statement's, or misspells one")
	}
	if predicate != nil {
		if err := json.Unmarshal(s.Predicate, predicate); err != nil {
			return Statement{}, statementErr("payload.predicate", err.Error())
		}
		again, err := json.Marshal(predicate)
		if err == nil {
			again, err = jcs.Canonicalize(nil, again)
		}
		if err != nil || !bytes.Equal(again, s.Predicate) {
			return Statement{}, statementErr("payload.predicate", "is not exactly a "+predicateType+" predicate")
		}
	}
	return s, nil
}

// Carries reports whether env holds exactly payload as an in-toto
// statement: what a record is checked with, after encoding it again.
func Carries(env *dsse.Envelope, payload []byte) bool {
	return env != nil && env.PayloadType == PayloadType && bytes.Equal(env.Payload, payload)
}

// PayloadDigest returns the SHA-256 of an envelope's payload: how one
// statement names another (an approval names the decision it approves).
func PayloadDigest(payload []byte) string {
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:])
}

// TimeLayout is how statements write times: UTC with milliseconds. Every
// store keeps at least milliseconds, so a time encoded before it is stored
// encodes the same after it is read back.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time formats t as statements write it; the zero time is "".
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Millisecond).Format(TimeLayout)
}
