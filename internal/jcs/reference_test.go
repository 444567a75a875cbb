package jcs

// The canonicaliser as it was before it wrote its output through its
// methods' results and told a Visitor about values (commit df8c904),
// kept verbatim but for its names, as the reference the differential
// tests compare the present one with: the same output and the same
// errors, offsets and reasons for every input.

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// refMaxPooledScratch bounds the scratch capacity (in bytes or members) kept in
// the pool, so one huge input does not pin its buffers in memory forever.
const refMaxPooledScratch = 1 << 20

// refMember records one parsed object member while its object is being sorted.
type refMember struct {
	keyOff   int  // offset in src of the name's opening quote, for errors
	kStart   int  // start of the unescaped name, in src or in refParser.keys
	kEnd     int  // end of the unescaped name
	kScratch bool // name lives in refParser.keys (it had escapes) not in src
	start    int  // start in refParser.out of the canonical `"name":value`
	end      int  // end in refParser.out of the canonical `"name":value`
}

// refParser holds the state and reusable scratch space of one canonicalisation.
type refParser struct {
	src     []byte
	pos     int
	depth   int
	out     []byte
	members []refMember // stack of members of the objects being parsed
	keys    []byte      // unescaped strings that contained escapes
	tmp     []byte      // copy of an object's members while they are reordered
}

var refPool = sync.Pool{New: func() any { return new(refParser) }}

func refCanonicalize(dst, src []byte, wantObject bool) ([]byte, error) {
	p := refPool.Get().(*refParser)
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
func (p *refParser) release() {
	p.src, p.out = nil, nil
	if cap(p.keys) > refMaxPooledScratch || cap(p.tmp) > refMaxPooledScratch ||
		cap(p.members) > refMaxPooledScratch/64 {
		return
	}
	p.members, p.keys, p.tmp = p.members[:0], p.keys[:0], p.tmp[:0]
	refPool.Put(p)
}

func (p *refParser) skipSpace() {
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
func (p *refParser) value() error {
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

func (p *refParser) literal(lit string) error {
	if len(p.src)-p.pos < len(lit) || string(p.src[p.pos:p.pos+len(lit)]) != lit {
		return newError(ErrInvalidJSON, p.pos, "invalid literal, expecting "+lit)
	}
	p.pos += len(lit)
	p.out = append(p.out, lit...)
	return nil
}

func (p *refParser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return newError(ErrTooDeep, p.pos, "nesting deeper than the limit of 1000")
	}
	return nil
}

func (p *refParser) array() error {
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

func (p *refParser) object() error {
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
		m := refMember{keyOff: p.pos, start: len(p.out)}
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

// refInsertionSortMax is the refMember count up to which objects are sorted by
// insertion sort, which also finds duplicates as it goes.
const refInsertionSortMax = 12

// sortMembers checks the members written at p.out[objStart:] for duplicate
// names and rewrites them in canonical order if they are not already in it.
func (p *refParser) sortMembers(ms []refMember, objStart int) error {
	moved := false
	if len(ms) <= refInsertionSortMax {
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
			slices.SortFunc(ms, func(a, b refMember) int { return p.compareKeys(&a, &b) })
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
func (p *refParser) duplicate(a, b *refMember) error {
	off := max(a.keyOff, b.keyOff)
	return newError(ErrDuplicateKey, off, "duplicate member name "+quoteKey(p.key(b)))
}

// key returns the unescaped name of m.
func (p *refParser) key(m *refMember) []byte {
	if m.kScratch {
		return p.keys[m.kStart:m.kEnd]
	}
	return p.src[m.kStart:m.kEnd]
}

func (p *refParser) compareKeys(a, b *refMember) int {
	return compareUTF16(p.key(a), p.key(b))
}

// unexpected reports the byte at p.pos (or the end of input) as invalid.
func (p *refParser) unexpected(expecting string) error {
	if p.pos >= len(p.src) {
		return newError(ErrInvalidJSON, p.pos, "unexpected end of input, "+expecting)
	}
	return newError(ErrInvalidJSON, p.pos, "invalid character "+quoteByte(p.src[p.pos])+", "+expecting)
}

// str parses the string whose opening quote is at p.pos, validating its
// UTF-8 and escapes, and leaves p.pos just past the closing quote.
func (p *refParser) str() (strSpan, error) {
	src := p.src
	start := p.pos + 1
	for i := start; ; {
		i = skipPlain(src, i)
		if i >= len(src) {
			return strSpan{}, newError(ErrInvalidJSON, i, "unexpected end of input in string")
		}
		switch c := src[i]; {
		case c == '"':
			p.pos = i + 1
			return strSpan{start: start, end: i}, nil
		case c == '\\':
			return p.strEscaped(start, i)
		case c < 0x20:
			return strSpan{}, newError(ErrInvalidJSON, i, "unescaped control character in string")
		default: // c >= utf8.RuneSelf
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return strSpan{}, newError(ErrInvalidUTF8, i, "invalid UTF-8 in string")
			}
			i += size
		}
	}
}

// strEscaped continues str from the first backslash at i, decoding the
// string's contents into p.keys.
func (p *refParser) strEscaped(start, i int) (strSpan, error) {
	src := p.src
	kStart := len(p.keys)
	p.keys = append(p.keys, src[start:i]...)
	for {
		j := skipPlain(src, i)
		p.keys = append(p.keys, src[i:j]...)
		i = j
		if i >= len(src) {
			return strSpan{}, newError(ErrInvalidJSON, i, "unexpected end of input in string")
		}
		switch c := src[i]; {
		case c == '"':
			p.pos = i + 1
			return strSpan{start: kStart, end: len(p.keys), scratch: true}, nil
		case c == '\\':
			n, r, err := p.escape(i)
			if err != nil {
				return strSpan{}, err
			}
			p.keys = utf8.AppendRune(p.keys, r)
			i += n
		case c < 0x20:
			return strSpan{}, newError(ErrInvalidJSON, i, "unescaped control character in string")
		default: // c >= utf8.RuneSelf
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return strSpan{}, newError(ErrInvalidUTF8, i, "invalid UTF-8 in string")
			}
			p.keys = append(p.keys, src[i:i+size]...)
			i += size
		}
	}
}

// escape decodes the escape sequence whose backslash is at i, returning its
// length in bytes and the code point it denotes. A \u escape of a UTF-16
// high surrogate must be followed by one of a low surrogate.
func (p *refParser) escape(i int) (int, rune, error) {
	src := p.src
	if i+1 >= len(src) {
		return 0, 0, newError(ErrInvalidJSON, i+1, "unexpected end of input in string escape")
	}
	switch e := src[i+1]; e {
	case '"', '\\', '/':
		return 2, rune(e), nil
	case 'b':
		return 2, '\b', nil
	case 'f':
		return 2, '\f', nil
	case 'n':
		return 2, '\n', nil
	case 'r':
		return 2, '\r', nil
	case 't':
		return 2, '\t', nil
	case 'u':
	default:
		return 0, 0, newError(ErrInvalidJSON, i, "invalid escape sequence in string")
	}
	r1, ok := hex4(src, i+2)
	if !ok {
		return 0, 0, newError(ErrInvalidJSON, i, "invalid \\u escape in string")
	}
	switch {
	case r1 < 0xD800 || r1 > 0xDFFF:
		return 6, r1, nil
	case r1 >= 0xDC00:
		return 0, 0, newError(ErrInvalidUTF8, i, "unpaired low surrogate escape in string")
	}
	if i+7 >= len(src) || src[i+6] != '\\' || src[i+7] != 'u' {
		return 0, 0, newError(ErrInvalidUTF8, i, "unpaired high surrogate escape in string")
	}
	r2, ok := hex4(src, i+8)
	if !ok {
		return 0, 0, newError(ErrInvalidJSON, i+6, "invalid \\u escape in string")
	}
	if r2 < 0xDC00 || r2 > 0xDFFF {
		return 0, 0, newError(ErrInvalidUTF8, i, "unpaired high surrogate escape in string")
	}
	return 12, 0x10000 + (r1-0xD800)<<10 + (r2 - 0xDC00), nil
}

// stringValue canonicalises the string value at p.pos.
func (p *refParser) stringValue() error {
	s, err := p.str()
	if err != nil {
		return err
	}
	p.emitString(s)
	if s.scratch {
		p.keys = p.keys[:s.start]
	}
	return nil
}

// emitString appends the canonical serialisation of s to p.out.
func (p *refParser) emitString(s strSpan) {
	if !s.scratch {
		// Without escapes the input can hold no '"', '\' or control
		// character, so its bytes are already canonical.
		p.out = append(p.out, '"')
		p.out = append(p.out, p.src[s.start:s.end]...)
		p.out = append(p.out, '"')
		return
	}
	p.out = appendQuoted(p.out, p.keys[s.start:s.end])
}

// number validates the number at p.pos against the strict JSON grammar and
// appends its canonical (ECMAScript) form to p.out.
//
//	number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
func (p *refParser) number() error {
	src := p.src
	start := p.pos
	i := start
	if src[i] == '-' {
		i++
	}
	intStart := i
	switch {
	case i >= len(src) || !isDigit(src[i]):
		return p.numberError(i, "expecting a digit")
	case src[i] == '0':
		i++
		if i < len(src) && isDigit(src[i]) {
			return newError(ErrInvalidJSON, intStart, "invalid number: leading zero")
		}
	default:
		i = skipDigits(src, i)
	}
	intDigits := i - intStart
	plainInt := true
	if i < len(src) && src[i] == '.' {
		plainInt = false
		i++
		if i >= len(src) || !isDigit(src[i]) {
			return p.numberError(i, "expecting a digit after the decimal point")
		}
		i = skipDigits(src, i)
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		plainInt = false
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || !isDigit(src[i]) {
			return p.numberError(i, "expecting a digit in the exponent")
		}
		i = skipDigits(src, i)
	}
	p.pos = i

	if plainInt && intDigits <= maxExactDigits {
		if src[intStart] == '0' { // 0 or -0
			p.out = append(p.out, '0')
		} else {
			p.out = append(p.out, src[start:i]...)
		}
		return nil
	}
	f, err := strconv.ParseFloat(string(src[start:i]), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return newError(ErrNumberRange, start, "number is not a finite IEEE-754 double")
		}
		return newError(ErrInvalidJSON, start, "invalid number")
	}
	out, err := appendNumber(p.out, f)
	if err != nil {
		return newError(ErrNumberRange, start, "number is not a finite IEEE-754 double")
	}
	p.out = out
	return nil
}

func (p *refParser) numberError(i int, expecting string) error {
	if i >= len(p.src) {
		return newError(ErrInvalidJSON, i, "invalid number: unexpected end of input, "+expecting)
	}
	return newError(ErrInvalidJSON, i, "invalid number: invalid character "+quoteByte(p.src[i])+", "+expecting)
}
