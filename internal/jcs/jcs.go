package jcs

import (
	"encoding/binary"
	"slices"
)

// MaxDepth is the deepest nesting of arrays and objects accepted. A value
// nested deeper is rejected with [ErrTooDeep]; a top-level array or object
// is at depth 1.
const MaxDepth = 1000

// Canonicalize appends the RFC 8785 canonical form of the JSON text src to
// dst and returns the extended buffer. src must hold exactly one JSON value,
// optionally surrounded by whitespace.
//
// On error Canonicalize returns dst unchanged and a [*SyntaxError] wrapping
// [ErrInvalidJSON], [ErrDuplicateKey], [ErrInvalidUTF8], [ErrNumberRange] or
// [ErrTooDeep]; bytes of dst's spare capacity may have been overwritten.
func Canonicalize(dst, src []byte) ([]byte, error) {
	return canonicalize(dst, src, false, nil, 0)
}

// CanonicalizeObject is like [Canonicalize] but also requires the top-level
// value to be a JSON object; any other value is rejected with
// [ErrNotObject].
func CanonicalizeObject(dst, src []byte) ([]byte, error) {
	return canonicalize(dst, src, true, nil, 0)
}

// member records one parsed object member while its object is being sorted.
type member struct {
	keyOff   int  // offset in src of the name's opening quote, for errors
	srcEnd   int  // offset in src just past the value
	kStart   int  // start of the unescaped name, in src or in parser.keys
	kEnd     int  // end of the unescaped name
	kScratch bool // name lives in parser.keys (it had escapes) not in src
	start    int  // start in the output of the canonical `"name":value`
	end      int  // end in the output of the canonical `"name":value`
	// The name's first eight bytes, big-endian, zero-padded: what orders
	// most names (see order).
	prefix uint64
}

// parser holds the state and scratch space of one canonicalisation. The
// output is not one of its fields: every method takes the output buffer and
// returns it extended, so the hot path keeps it in registers and stores no
// pointer to the heap (which would cost a write barrier while the garbage
// collector is marking).
type parser struct {
	src     []byte
	pos     int
	run     int // where the input not yet written out begins
	depth   int
	members []member // stack of members of the objects being parsed
	keys    []byte   // unescaped strings that contained escapes
	tmp     []byte   // members of an object while they are reordered

	// The visitor told about the values it selects (nil: none), and its
	// state for the value being parsed (0: not visited).
	v     Visitor
	state int

	last lastOrder // the order of the last object's members

	// The first room for members, keys and tmp, allocated with the parser
	// so that most documents need no other allocation: the members of the
	// objects open at once, escaped names, and an object being reordered.
	membersSpace [16]member
	keysSpace    [128]byte
	tmpSpace     [512]byte
}

func canonicalize(dst, src []byte, wantObject bool, v Visitor, root int) ([]byte, error) {
	var p parser
	return p.canonicalize(dst, src, wantObject, v, root)
}

// canonicalize runs one canonicalisation on p, from any state a previous
// one left it in: every field but the scratch space is reset, and the
// scratch space is kept (see [Canonicalizer]). It lets go of src and v
// when it returns.
func (p *parser) canonicalize(dst, src []byte, wantObject bool, v Visitor, root int) ([]byte, error) {
	p.src, p.pos, p.run, p.depth, p.v, p.state = src, 0, 0, 0, v, 0
	defer func() { p.src, p.v = nil, nil }()
	// The scratch space is the parser's own arrays unless a document has
	// outgrown them; a parser copied by value gets its own back here.
	p.members, p.keys, p.tmp = ownOr(p.members[:0], p.membersSpace[:0]), ownOr(p.keys[:0], p.keysSpace[:0]),
		ownOr(p.tmp[:0], p.tmpSpace[:0])
	if v != nil {
		p.state = root
	}
	// The canonical form is rarely longer than the input, so one up-front
	// reservation usually spares growing the output buffer.
	out := slices.Grow(dst, len(src))

	out = p.space(out)
	if wantObject && p.pos < len(src) && src[p.pos] != '{' {
		return dst, newError(ErrNotObject, p.pos, "top-level value is not an object")
	}
	out, err := p.value(out)
	if err != nil {
		return dst, err
	}
	out = p.flush(out)
	p.skipSpace()
	if p.pos < len(src) {
		return dst, newError(ErrInvalidJSON, p.pos, "unexpected data after top-level value")
	}
	return out, nil
}

// The input is copied to the output in runs: what the parser has read
// since p.run is canonical as it stands (names and strings without
// escapes, integers, literals, punctuation), and is written out in one
// piece only when something else must be written (whitespace dropped, a
// string re-escaped, a number reformatted, members reordered, a value
// shown to the visitor) or at the end. Offsets in the output are of the
// output as if the run were written: see olen.

// olen is the length of the output with the pending run written.
func (p *parser) olen(out []byte) int { return len(out) + p.pos - p.run }

// flush writes out the pending run, up to p.pos.
func (p *parser) flush(out []byte) []byte {
	out = append(out, p.src[p.run:p.pos]...)
	p.run = p.pos
	return out
}

// space skips the whitespace at p.pos, if any, which the canonical form
// drops: the pending run is written out first and the next one starts
// after the whitespace.
func (p *parser) space(out []byte) []byte {
	if p.pos < len(p.src) && p.src[p.pos] <= ' ' {
		return p.spaceSlow(out)
	}
	return out
}

func (p *parser) spaceSlow(out []byte) []byte {
	from := p.pos
	p.skipSpace()
	if p.pos > from {
		out = append(out, p.src[p.run:from]...)
		p.run = p.pos
	}
	return out
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value canonicalises the JSON value starting at p.pos (whitespace already
// skipped) into out, telling the visitor when it selected the value.
func (p *parser) value(out []byte) ([]byte, error) {
	if p.state == 0 {
		return p.plainValue(out)
	}
	return p.visitedValue(out)
}

func (p *parser) visitedValue(out []byte) ([]byte, error) {
	start := p.olen(out)
	out, err := p.plainValue(out)
	if err == nil {
		out = p.flush(out)
		p.v.Value(p.state, out[start:])
	}
	return out, err
}

func (p *parser) plainValue(out []byte) ([]byte, error) {
	if p.pos >= len(p.src) {
		return out, p.unexpected("expecting a value")
	}
	switch c := p.src[p.pos]; c {
	case '{':
		return p.object(out)
	case '[':
		return p.array(out)
	case '"':
		if i := skipPlain(p.src, p.pos+1); i < len(p.src) && p.src[i] == '"' {
			// Printable ASCII without escapes: already canonical.
			p.pos = i + 1
			return out, nil
		}
		return p.stringValue(out)
	case 't':
		return out, p.literal("true")
	case 'f':
		return out, p.literal("false")
	case 'n':
		return out, p.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return p.number(out)
		}
		return out, p.unexpected("expecting a value")
	}
}

func (p *parser) literal(lit string) error {
	if len(p.src)-p.pos < len(lit) || string(p.src[p.pos:p.pos+len(lit)]) != lit {
		return newError(ErrInvalidJSON, p.pos, "invalid literal, expecting "+lit)
	}
	p.pos += len(lit)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return newError(ErrTooDeep, p.pos, "nesting deeper than the limit of 1000")
	}
	return nil
}

func (p *parser) array(out []byte) ([]byte, error) {
	if err := p.enter(); err != nil {
		return out, err
	}
	p.pos++ // '['
	out = p.space(out)
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		p.depth--
		return out, nil
	}
	state := p.state
	for i := 0; ; i++ {
		var err error
		if state != 0 {
			p.state = p.v.Element(state, i)
		}
		if p.state == 0 { // value's test, here to spare a call per element
			out, err = p.plainValue(out)
		} else {
			out, err = p.visitedValue(out)
		}
		if err != nil {
			return out, err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' && p.src[p.pos] != ']' { // whitespace first, or an error
			out = p.space(out)
		}
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
			p.depth--
			p.state = state
			return out, nil
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return out, p.unexpected("expecting ',' or ']' after array element")
		}
		p.pos++
		out = p.space(out)
	}
}

func (p *parser) object(out []byte) ([]byte, error) {
	if err := p.enter(); err != nil {
		return out, err
	}
	open := p.pos
	p.pos++ // '{'
	base, keysBase := len(p.members), len(p.keys)
	out = p.space(out)
	objStart := p.olen(out)
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		p.depth--
		return out, nil
	}
	state := p.state
	for {
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return out, p.unexpected("expecting a string member name")
		}
		start, keyOff := p.olen(out), p.pos
		var (
			s   strSpan
			err error
		)
		if i := skipPlain(p.src, p.pos+1); i < len(p.src) && p.src[i] == '"' {
			// Printable ASCII without escapes, as names nearly always
			// are: already canonical.
			s = strSpan{start: p.pos + 1, end: i}
			p.pos = i + 1
			if state != 0 {
				p.state = p.v.Member(state, p.src[s.start:s.end])
			}
		} else {
			if s, err = p.str(); err != nil {
				return out, err
			}
			if s.scratch {
				out = append(out, p.src[p.run:keyOff]...)
				out = appendQuoted(out, p.keys[s.start:s.end])
				p.run = p.pos
			}
			if state != 0 {
				// The name as the canonical form writes it, between its
				// quotes.
				out = p.flush(out)
				p.state = p.v.Member(state, out[start+1:len(out)-1])
			}
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ':' { // whitespace first, or an error
			out = p.space(out)
			if p.pos >= len(p.src) || p.src[p.pos] != ':' {
				return out, p.unexpected("expecting ':' after member name")
			}
		}
		p.pos++
		out = p.space(out)
		if p.state == 0 { // value's test, here to spare a call per member
			out, err = p.plainValue(out)
		} else {
			out, err = p.visitedValue(out)
		}
		if err != nil {
			return out, err
		}
		// Filled in place, every field: a member built on the stack and
		// then copied stalls on store forwarding.
		if n := len(p.members); n < cap(p.members) {
			p.members = p.members[:n+1]
		} else {
			p.members = append(p.members, member{})
		}
		m := &p.members[len(p.members)-1]
		m.keyOff, m.kStart, m.kEnd, m.kScratch, m.start, m.end, m.srcEnd = keyOff, s.start, s.end, s.scratch, start, p.olen(out), p.pos
		if n := s.end - s.start; !s.scratch && s.start+8 <= len(p.src) {
			// The eight bytes from the name's start are in the input.
			m.prefix = binary.BigEndian.Uint64(p.src[s.start:s.start+8]) & (^uint64(0) << (8 * max(8-n, 0)))
		} else {
			m.prefix = prefix8(p.key(m))
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' && p.src[p.pos] != '}' { // whitespace first, or an error
			out = p.space(out)
		}
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			break
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return out, p.unexpected("expecting ',' or '}' after object member")
		}
		p.pos++
		out = p.space(out)
	}
	p.state = state
	ms := p.members[base:]
	var ord [insertionSortMax]uint8
	moved, err := p.order(ms, &ord)
	if err != nil {
		return out, err
	}
	switch {
	case !moved:
	case p.run <= open && len(ms) <= insertionSortMax:
		// The whole object is in the run, canonical as it stands but for
		// the order of its members: write the run up to the first member
		// out of place, then the members from there on in order.
		k := 0
		for int(ord[k]) == k {
			k++
		}
		out = append(out, p.src[p.run:ms[k].keyOff]...)
		for _, i := range ord[k:len(ms)] {
			out = append(out, p.src[ms[i].keyOff:ms[i].srcEnd]...)
			out = append(out, ',')
		}
		out[len(out)-1] = '}'
		p.run = p.pos + 1
	default:
		// Write the members out, and a comma after the last so that each
		// is a `"name":value,` block to move; once they are in order the
		// closing brace goes over that comma.
		out = p.flush(out)
		out = append(out, ',')
		p.reorder(out[objStart:], ms, &ord, objStart)
		out[len(out)-1] = '}'
		p.run = p.pos + 1
	}
	p.pos++ // '}'
	p.members, p.keys = p.members[:base], p.keys[:keysBase]
	p.depth--
	return out, nil
}

// duplicate reports the later (in input order) of two equal member names.
func (p *parser) duplicate(a, b *member) error {
	off := max(a.keyOff, b.keyOff)
	return newError(ErrDuplicateKey, off, "duplicate member name "+quoteKey(p.key(b)))
}

// key returns the unescaped name of m.
func (p *parser) key(m *member) []byte {
	if m.kScratch {
		return p.keys[m.kStart:m.kEnd]
	}
	return p.src[m.kStart:m.kEnd]
}

func (p *parser) compareKeys(a, b *member) int {
	return compareUTF16(p.key(a), p.key(b))
}

// unexpected reports the byte at p.pos (or the end of input) as invalid.
func (p *parser) unexpected(expecting string) error {
	if p.pos >= len(p.src) {
		return newError(ErrInvalidJSON, p.pos, "unexpected end of input, "+expecting)
	}
	return newError(ErrInvalidJSON, p.pos, "invalid character "+quoteByte(p.src[p.pos])+", "+expecting)
}
