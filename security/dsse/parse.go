package dsse

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/buildworksai/trustgate"
)

// maxName bounds the member names Parse reads; every name it accepts is
// shorter.
const maxName = 64

// Parse decodes the JSON form of an envelope strictly: an object with
// exactly the members payloadType (a non-empty string of at most 256
// bytes), payload (valid standard base64, padding required, as
// encoding/json produces; at most [MaxPayload] bytes decoded) and
// signatures (a non-empty array of at most [MaxSignatures] objects, each
// with sig, non-empty valid base64 of at most 1024 bytes decoded, and
// keyid, a string of at most 256 bytes, which may be empty or, as DSSE
// allows, absent, which is the same).
//
// Unknown members, duplicate member names, trailing data, null where a
// value is required, invalid UTF-8 and lone surrogate escapes are errors;
// member names match exactly (not case-insensitively, as encoding/json
// does), base64 may not contain line breaks and its padding bits must be
// zero, so an envelope has one JSON form up to whitespace and string
// escapes.
//
// Each error is a *trustgate.Error with code trustgate.Invalid, reason
// ENVELOPE_MALFORMED, Err [ErrMalformed] and Field the JSON path of the
// problem: "envelope", "envelope.payloadType", "envelope.payload",
// "envelope.signatures", "envelope.signatures[2]",
// "envelope.signatures[2].sig", … For an unknown member Field is the object
// that holds it and the message names it. The envelope Parse returns owns
// its memory; none of b is retained.
func Parse(b []byte) (Envelope, error) {
	p := parser{b: b}
	env, err := p.envelope()
	if err != nil {
		return Envelope{}, err
	}
	return env, nil
}

// Marshal returns the envelope's JSON form: compact, members in the order
// payloadType, payload, signatures, base64 standard and padded. A nil
// Payload is written as "" (the empty payload), not null.
func (e Envelope) Marshal() ([]byte, error) {
	if e.Payload == nil {
		e.Payload = []byte{}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, &trustgate.Error{Code: trustgate.Internal, Message: "dsse: encoding the envelope: " + err.Error(), Err: err}
	}
	return b, nil
}

// parser reads one envelope from b.
type parser struct {
	b []byte
	i int
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) eof() bool { return p.i >= len(p.b) }

// kind names the JSON value starting at p.i, for messages.
func (p *parser) kind() string {
	if p.eof() {
		return "nothing"
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return "not JSON"
}

func (p *parser) envelope() (Envelope, error) {
	const field = "envelope"
	p.ws()
	if p.eof() {
		return Envelope{}, malformed(field, "empty input")
	}
	if p.b[p.i] != '{' {
		return Envelope{}, malformed(field, "must be a JSON object, not "+p.kind())
	}
	var (
		env                          Envelope
		hasType, hasPayload, hasSigs bool
	)
	err := p.object(field, func(name []byte) error {
		switch string(name) {
		case "payloadType":
			const f = field + ".payloadType"
			if hasType {
				return malformed(f, "duplicate member")
			}
			hasType = true
			s, err := p.stringValue(f, maxPayloadType)
			if err != nil {
				return err
			}
			if len(s) == 0 {
				return malformed(f, "required, a non-empty string")
			}
			env.PayloadType = string(s)
		case "payload":
			const f = field + ".payload"
			if hasPayload {
				return malformed(f, "duplicate member")
			}
			hasPayload = true
			s, err := p.stringValue(f, base64.StdEncoding.EncodedLen(MaxPayload))
			if err != nil {
				return err
			}
			if env.Payload, err = decodeBase64(f, s, MaxPayload); err != nil {
				return err
			}
		case "signatures":
			if hasSigs {
				return malformed(field+".signatures", "duplicate member")
			}
			hasSigs = true
			var err error
			if env.Signatures, err = p.signatures(); err != nil {
				return err
			}
		default:
			return unknownMember(field, name)
		}
		return nil
	})
	if err != nil {
		return Envelope{}, err
	}
	switch {
	case !hasType:
		return Envelope{}, malformed(field+".payloadType", "required")
	case !hasPayload:
		return Envelope{}, malformed(field+".payload", "required")
	case !hasSigs:
		return Envelope{}, malformed(field+".signatures", "required")
	}
	p.ws()
	if !p.eof() {
		return Envelope{}, malformed(field, "data after the envelope")
	}
	return env, nil
}

func (p *parser) signatures() ([]Signature, error) {
	const field = "envelope.signatures"
	if p.eof() {
		return nil, malformed(field, "unexpected end of input")
	}
	if p.b[p.i] != '[' {
		return nil, malformed(field, "must be an array of signatures, not "+p.kind())
	}
	p.i++
	p.ws()
	if !p.eof() && p.b[p.i] == ']' {
		return nil, malformed(field, "at least one signature is required")
	}
	var sigs []Signature
	for {
		p.ws()
		if len(sigs) == MaxSignatures {
			return nil, malformed(field, "more than "+strconv.Itoa(MaxSignatures)+" signatures")
		}
		f := field + "[" + strconv.Itoa(len(sigs)) + "]"
		if p.eof() {
			return nil, malformed(f, "unexpected end of input")
		}
		if p.b[p.i] != '{' {
			return nil, malformed(f, "must be an object with keyid and sig, not "+p.kind())
		}
		s, err := p.signature(f)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, s)
		p.ws()
		if p.eof() {
			return nil, malformed(field, "unexpected end of input")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return sigs, nil
		default:
			return nil, malformed(field, "expected ',' or ']' after a signature")
		}
	}
}

func (p *parser) signature(field string) (Signature, error) {
	var (
		sig           Signature
		hasID, hasSig bool
	)
	err := p.object(field, func(name []byte) error {
		switch string(name) {
		case "keyid":
			f := field + ".keyid"
			if hasID {
				return malformed(f, "duplicate member")
			}
			hasID = true
			s, err := p.stringValue(f, maxKeyID)
			if err != nil {
				return err
			}
			sig.KeyID = string(s)
		case "sig":
			f := field + ".sig"
			if hasSig {
				return malformed(f, "duplicate member")
			}
			hasSig = true
			s, err := p.stringValue(f, base64.StdEncoding.EncodedLen(maxSig))
			if err != nil {
				return err
			}
			if sig.Sig, err = decodeBase64(f, s, maxSig); err != nil {
				return err
			}
			if len(sig.Sig) == 0 {
				return malformed(f, "required, a non-empty signature")
			}
		default:
			return unknownMember(field, name)
		}
		return nil
	})
	if err != nil {
		return Signature{}, err
	}
	if !hasSig {
		return Signature{}, malformed(field+".sig", "required")
	}
	return sig, nil
}

// object reads the object at p.i (a '{'), calling member for each member
// with p.i at its value; member reads the value.
func (p *parser) object(field string, member func(name []byte) error) error {
	p.i++
	p.ws()
	if !p.eof() && p.b[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if p.eof() {
			return malformed(field, "unexpected end of input")
		}
		if p.b[p.i] != '"' {
			return malformed(field, "expected a member name")
		}
		name, problem := p.str(maxName)
		if problem != "" {
			return malformed(field, "member name: "+problem)
		}
		p.ws()
		if p.eof() || p.b[p.i] != ':' {
			return malformed(field, "expected ':' after member name")
		}
		p.i++
		p.ws()
		if err := member(name); err != nil {
			return err
		}
		p.ws()
		if p.eof() {
			return malformed(field, "unexpected end of input")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return malformed(field, "expected ',' or '}' after a member")
		}
	}
}

// unknownMember is the error for a member named name in the object at
// field.
func unknownMember(field string, name []byte) error {
	s := string(name)
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return malformed(field, "unknown member "+strconv.Quote(s))
}

// stringValue reads the string value at p.i for field: at most max bytes
// once unescaped. The result may alias p.b.
func (p *parser) stringValue(field string, max int) ([]byte, error) {
	if p.eof() {
		return nil, malformed(field, "unexpected end of input")
	}
	if p.b[p.i] != '"' {
		return nil, malformed(field, "must be a string, not "+p.kind())
	}
	s, problem := p.str(max)
	if problem != "" {
		return nil, malformed(field, problem)
	}
	return s, nil
}

// str reads the string at p.i (a '"'), unescaped, or says what is wrong
// with it. Strings longer than max bytes unescaped, with control
// characters, invalid UTF-8, invalid escapes or lone surrogates are wrong.
// The result aliases p.b unless the string holds escapes.
func (p *parser) str(max int) ([]byte, string) {
	p.i++
	var out []byte // nil until the first escape
	seg := p.i     // start of the run not yet in out
	for {
		if len(out)+p.i-seg > max {
			return nil, "longer than " + strconv.Itoa(max) + " bytes"
		}
		if p.eof() {
			return nil, "unterminated string"
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[seg:p.i]
			if out != nil {
				s = append(out, s...)
			}
			p.i++
			return s, ""
		case c == '\\':
			out = append(out, p.b[seg:p.i]...)
			var problem string
			if out, problem = p.escape(out); problem != "" {
				return nil, problem
			}
			seg = p.i
		case c < 0x20:
			return nil, "control character in a string"
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, "not valid UTF-8"
			}
			p.i += size
		}
	}
}

// escape decodes the escape at p.i (a '\\') onto out.
func (p *parser) escape(out []byte) ([]byte, string) {
	p.i++
	if p.eof() {
		return nil, "unterminated string"
	}
	c := p.b[p.i]
	p.i++
	switch c {
	case '"', '\\', '/':
		return append(out, c), ""
	case 'b':
		return append(out, '\b'), ""
	case 'f':
		return append(out, '\f'), ""
	case 'n':
		return append(out, '\n'), ""
	case 'r':
		return append(out, '\r'), ""
	case 't':
		return append(out, '\t'), ""
	case 'u':
		r, ok := hex4(p.b[p.i:])
		if !ok {
			return nil, `invalid \u escape`
		}
		p.i += 4
		if utf16.IsSurrogate(r) {
			lo := rune(-1)
			if r < 0xdc00 && len(p.b)-p.i >= 6 && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
				lo, _ = hex4(p.b[p.i+2:])
			}
			if lo < 0xdc00 || lo > 0xdfff {
				return nil, "lone surrogate in a string"
			}
			p.i += 6
			r = utf16.DecodeRune(r, lo)
		}
		return utf8.AppendRune(out, r), ""
	}
	return nil, "invalid escape in a string"
}

// hex4 decodes the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// decodeBase64 decodes s, standard padded base64 without line breaks and
// with zero padding bits, into a new slice of at most max bytes.
func decodeBase64(field string, s []byte, max int) ([]byte, error) {
	const want = "not valid standard base64 (RFC 4648 section 4, padded, no line breaks)"
	if bytes.ContainsAny(s, "\r\n") {
		return nil, malformed(field, want)
	}
	enc := base64.StdEncoding.Strict()
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	if err != nil {
		return nil, malformed(field, want)
	}
	if n > max {
		return nil, malformed(field, "larger than "+strconv.Itoa(max)+" bytes decoded")
	}
	return out[:n], nil
}
