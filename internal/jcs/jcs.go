package jcs

import (
	"slices"
	"sync"
)

// MaxDepth is the deepest nesting of arrays and objects accepted. A value
// nested deeper is rejected with [ErrTooDeep]; a top-level array or object
// is at depth 1.
const MaxDepth = 1000

// maxPooledScratch bounds the scratch capacity (in bytes or members) kept in
// the pool, so one huge input does not pin its buffers in memory forever.
const maxPooledScratch = 1 << 20

// Canonicalize appends the RFC 8785 canonical form of the JSON text src to
// dst and returns the extended buffer. src must hold exactly one JSON value,
// optionally surrounded by whitespace.
//
// On error Canonicalize returns dst unchanged and a [*SyntaxError] wrapping
// [ErrInvalidJSON], [ErrDuplicateKey], [ErrInvalidUTF8], [ErrNumberRange] or
// [ErrTooDeep]; bytes of dst's spare capacity may have been overwritten.
func Canonicalize(dst, src []byte) ([]byte, error) {
	return canonicalize(dst, src, false)
}

// CanonicalizeObject is like [Canonicalize] but also requires the top-level
// value to be a JSON object; any other value is rejected with
// [ErrNotObject].
func CanonicalizeObject(dst, src []byte) ([]byte, error) {
	return canonicalize(dst, src, true)
}

// member records one parsed object member while its object is being sorted.
type member struct {
	keyOff   int  // offset in src of the name's opening quote, for errors
	kStart   int  // start of the unescaped name, in src or in parser.keys
	kEnd     int  // end of the unescaped name
	kScratch bool // name lives in parser.keys (it had escapes) not in src
	start    int  // start in parser.out of the canonical `"name":value`
	end      int  // end in parser.out of the canonical `"name":value`
}

// parser holds the state and reusable scratch space of one canonicalisation.
type parser struct {
	src     []byte
	pos     int
	depth   int
	out     []byte
	members []member // stack of members of the objects being parsed
	keys    []byte   // unescaped strings that contained escapes
	tmp     []byte   // copy of an object's members while they are reordered
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

func canonicalize(dst, src []byte, wantObject bool) ([]byte, error) {
	p := parserPool.Get().(*parser)
	defer p.release()
	// The canonical form is rarely longer than the input, so one up-front
	// reservation usually spares growing the output buffer.
	p.src, p.pos, p.depth, p.out = src, 0, 0, slices.Grow(dst, len(src))

	p.skipSpace()
	if wantObject && p.pos < len(src) && src[p.pos] != '{' {
		return dst, newError(ErrNotObject, p.pos, "top-level value is not an object")
	}
	if err := p.value(); err != nil {
		return dst, err
	}
	p.skipSpace()
	if p.pos < len(src) {
		return dst, newError(ErrInvalidJSON, p.pos, "unexpected data after top-level value")
	}
	return p.out, nil
}

// release drops references to caller memory and returns p to the pool
// unless its scratch buffers have grown too large to keep.
func (p *parser) release() {
	p.src, p.out = nil, nil
	if cap(p.keys) > maxPooledScratch || cap(p.tmp) > maxPooledScratch ||
		cap(p.members) > maxPooledScratch/64 {
		return
	}
	p.members, p.keys, p.tmp = p.members[:0], p.keys[:0], p.tmp[:0]
	parserPool.Put(p)
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
// skipped) and appends it to p.out.
func (p *parser) value() error {
	if p.pos >= len(p.src) {
		return p.unexpected("expecting a value")
	}
	switch c := p.src[p.pos]; c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		return p.stringValue()
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return p.number()
		}
		return p.unexpected("expecting a value")
	}
}

func (p *parser) literal(lit string) error {
	if len(p.src)-p.pos < len(lit) || string(p.src[p.pos:p.pos+len(lit)]) != lit {
		return newError(ErrInvalidJSON, p.pos, "invalid literal, expecting "+lit)
	}
	p.pos += len(lit)
	p.out = append(p.out, lit...)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return newError(ErrTooDeep, p.pos, "nesting deeper than the limit of 1000")
	}
	return nil
}

func (p *parser) array() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '['
	p.out = append(p.out, '[')
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		p.out = append(p.out, ']')
		p.depth--
		return nil
	}
	for {
		if err := p.value(); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
			p.out = append(p.out, ']')
			p.depth--
			return nil
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return p.unexpected("expecting ',' or ']' after array element")
		}
		p.pos++
		p.out = append(p.out, ',')
		p.skipSpace()
	}
}

func (p *parser) object() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '{'
	p.out = append(p.out, '{')
	base, keysBase, objStart := len(p.members), len(p.keys), len(p.out)
	defer func() { p.members, p.keys = p.members[:base], p.keys[:keysBase] }()

	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		p.out = append(p.out, '}')
		p.depth--
		return nil
	}
	for {
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return p.unexpected("expecting a string member name")
		}
		m := member{keyOff: p.pos, start: len(p.out)}
		s, err := p.str()
		if err != nil {
			return err
		}
		m.kStart, m.kEnd, m.kScratch = s.start, s.end, s.scratch
		p.emitString(s)
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return p.unexpected("expecting ':' after member name")
		}
		p.pos++
		p.out = append(p.out, ':')
		p.skipSpace()
		if err := p.value(); err != nil {
			return err
		}
		m.end = len(p.out)
		p.members = append(p.members, m)
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			break
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return p.unexpected("expecting ',' or '}' after object member")
		}
		p.pos++
		p.out = append(p.out, ',')
		p.skipSpace()
	}
	if err := p.sortMembers(p.members[base:], objStart); err != nil {
		return err
	}
	p.out = append(p.out, '}')
	p.depth--
	return nil
}

// insertionSortMax is the member count up to which objects are sorted by
// insertion sort, which also finds duplicates as it goes.
const insertionSortMax = 12

// sortMembers checks the members written at p.out[objStart:] for duplicate
// names and rewrites them in canonical order if they are not already in it.
func (p *parser) sortMembers(ms []member, objStart int) error {
	moved := false
	if len(ms) <= insertionSortMax {
		// Inserting into a strictly increasing prefix, the first element
		// not greater than the new one is equal to it if any element is.
		for i := 1; i < len(ms); i++ {
			j := i
			for ; j > 0; j-- {
				c := p.compareKeys(&ms[j-1], &ms[j])
				if c == 0 {
					return p.duplicate(&ms[j-1], &ms[j])
				}
				if c < 0 {
					break
				}
				ms[j-1], ms[j] = ms[j], ms[j-1]
				moved = true
			}
		}
	} else {
		for i := 1; i < len(ms) && !moved; i++ {
			moved = p.compareKeys(&ms[i-1], &ms[i]) >= 0
		}
		if moved {
			slices.SortFunc(ms, func(a, b member) int { return p.compareKeys(&a, &b) })
		}
		for i := 1; i < len(ms); i++ {
			if p.compareKeys(&ms[i-1], &ms[i]) == 0 {
				return p.duplicate(&ms[i-1], &ms[i])
			}
		}
	}
	if !moved {
		return nil
	}
	p.tmp = append(p.tmp[:0], p.out[objStart:]...)
	p.out = p.out[:objStart]
	for i := range ms {
		if i > 0 {
			p.out = append(p.out, ',')
		}
		p.out = append(p.out, p.tmp[ms[i].start-objStart:ms[i].end-objStart]...)
	}
	return nil
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
