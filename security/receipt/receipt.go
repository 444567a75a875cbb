package receipt

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
)

// MediaType names the JSON form of a [Receipt].
const MediaType = "application/vnd.trustgate.receipt.v1+json"

// MaxReceiptSize bounds the JSON form [ParseReceipt] reads: an envelope
// with the largest payload and an inclusion proof with the largest
// checkpoint, with room to spare.
const MaxReceiptSize = 4 << 20

// Receipt is what a receipt's holder keeps and hands on: the signed
// statement and the proof that its audit event is in the log. Its JSON
// form ([Receipt.MarshalJSON]) is
//
//	{"mediaType": "application/vnd.trustgate.receipt.v1+json",
//	 "dsseEnvelope": {"payloadType": …, "payload": …, "signatures": […]},
//	 "inclusionProof": "c2sp.org/tlog-proof@v1\nextra …\nindex …\n…"}
//
// with the envelope in its DSSE JSON form and the proof in its
// c2sp.org/tlog-proof@v1 text, so each can be handed to the tools that
// read those formats.
type Receipt struct {
	Envelope dsse.Envelope
	Proof    auditlog.InclusionProof
}

// wire is the JSON form of a receipt, in the order it is written.
type wire struct {
	MediaType      string          `json:"mediaType"`
	DSSEEnvelope   json.RawMessage `json:"dsseEnvelope"`
	InclusionProof string          `json:"inclusionProof"`
}

// MarshalJSON returns the receipt's JSON form, compact, members in the
// order mediaType, dsseEnvelope, inclusionProof.
func (r Receipt) MarshalJSON() ([]byte, error) {
	env, err := r.Envelope.Marshal()
	if err != nil {
		return nil, err
	}
	return json.Marshal(wire{MediaType: MediaType, DSSEEnvelope: env, InclusionProof: string(r.Proof.Marshal())})
}

// UnmarshalJSON reads a receipt's JSON form with [ParseReceipt].
func (r *Receipt) UnmarshalJSON(data []byte) error {
	p, err := ParseReceipt(data)
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// ParseReceipt reads a receipt's JSON form strictly: at most
// [MaxReceiptSize] bytes of I-JSON (no duplicate members, valid UTF-8),
// an object of exactly the members mediaType (the string [MediaType]),
// dsseEnvelope (an envelope [dsse.Parse] accepts) and inclusionProof (a
// string [auditlog.ParseInclusionProof] accepts), names matched exactly.
// Nothing is verified: [Verify] does. Each error is a *trustgate.Error
// with code trustgate.Invalid wrapping [ErrMalformed] (and the dsse or
// auditlog error beneath, if any), its Field the member at fault:
// "receipt", "receipt.mediaType", "receipt.dsseEnvelope",
// "receipt.inclusionProof".
func ParseReceipt(data []byte) (Receipt, error) {
	const field = "receipt"
	if len(data) > MaxReceiptSize {
		return Receipt{}, fail(ErrMalformed, field, "longer than "+strconv.Itoa(MaxReceiptSize)+" bytes")
	}
	if _, err := jcs.CanonicalizeObject(nil, data); err != nil {
		return Receipt{}, wrap(ErrMalformed, field, "not a JSON object", err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return Receipt{}, wrap(ErrMalformed, field, "not a JSON object", err)
	}
	for name := range members {
		switch name {
		case "mediaType", "dsseEnvelope", "inclusionProof":
		default:
			return Receipt{}, fail(ErrMalformed, field, "unknown member "+quote(name))
		}
	}
	var r Receipt
	mt, err := stringMember(members, "mediaType")
	if err != nil {
		return Receipt{}, err
	}
	if mt != MediaType {
		return Receipt{}, fail(ErrMalformed, field+".mediaType", "is "+quote(mt)+", not "+MediaType)
	}
	env, ok := members["dsseEnvelope"]
	if !ok {
		return Receipt{}, fail(ErrMalformed, field+".dsseEnvelope", "required")
	}
	if r.Envelope, err = dsse.Parse(env); err != nil {
		return Receipt{}, wrap(ErrMalformed, field+".dsseEnvelope", "not a DSSE envelope", err)
	}
	proof, err := stringMember(members, "inclusionProof")
	if err != nil {
		return Receipt{}, err
	}
	if r.Proof, err = auditlog.ParseInclusionProof([]byte(proof)); err != nil {
		return Receipt{}, wrap(ErrMalformed, field+".inclusionProof", "not an inclusion proof", err)
	}
	return r, nil
}

// stringMember returns the string value of the member name.
func stringMember(members map[string]json.RawMessage, name string) (string, error) {
	field := "receipt." + name
	raw, ok := members[name]
	if !ok {
		return "", fail(ErrMalformed, field, "required")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", fail(ErrMalformed, field, "must be a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", wrap(ErrMalformed, field, "must be a string", err)
	}
	return s, nil
}
