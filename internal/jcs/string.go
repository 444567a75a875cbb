package jcs

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// strSpan locates the unescaped contents of a parsed string: in the input
// when it contained no escapes, otherwise in parser.keys.
type strSpan struct {
	start, end int
	scratch    bool // contents are in parser.keys rather than parser.src
}

// str parses the string whose opening quote is at p.pos, validating its
// UTF-8 and escapes, and leaves p.pos just past the closing quote.
func (p *parser) str() (strSpan, error) {
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

const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// skipPlain returns the index of the first byte at or after i that is not
// printable ASCII other than '"' and '\\', or len(src). It tests eight
// bytes at a time: a byte's high bit in m is set if the byte is 0x80 or
// more, or if subtracting 0x20 from it, or 1 from it xor '"' or xor '\\',
// wraps around. A plain byte does neither and lends no borrow to the byte
// above, so the lowest byte flagged is the first special one (bytes above
// it may be flagged wrongly by its borrow, and do not matter).
func skipPlain(src []byte, i int) int {
	for ; len(src)-i >= 8; i += 8 {
		x := binary.LittleEndian.Uint64(src[i : i+8])
		q, b := x^(swarOnes*'"'), x^(swarOnes*'\\')
		if m := (x | (x - swarOnes*0x20) | (q - swarOnes) | (b - swarOnes)) & swarHigh; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(src); i++ {
		if c := src[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			break
		}
	}
	return i
}

// strEscaped continues str from the first backslash at i, decoding the
// string's contents into p.keys.
func (p *parser) strEscaped(start, i int) (strSpan, error) {
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
func (p *parser) escape(i int) (int, rune, error) {
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

// hex4 decodes the four hexadecimal digits at src[i:i+4].
func hex4(src []byte, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	var r rune
	for _, c := range src[i : i+4] {
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

// stringValue canonicalises the string value at p.pos. Only a string with
// escapes needs writing: without, it is canonical as it stands, and stays
// in the pending run.
func (p *parser) stringValue(out []byte) ([]byte, error) {
	start := p.pos
	s, err := p.str()
	if err != nil {
		return out, err
	}
	if s.scratch {
		out = append(out, p.src[p.run:start]...)
		out = appendQuoted(out, p.keys[s.start:s.end])
		p.run = p.pos
		p.keys = p.keys[:s.start]
	}
	return out, nil
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends the valid UTF-8 string s to dst as a JSON string
// serialised the way ECMAScript's JSON.stringify does.
func appendQuoted[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// quoteByte formats an offending input byte for an error message.
func quoteByte(c byte) string {
	if c >= 0x20 && c < utf8.RuneSelf {
		return strconv.QuoteRune(rune(c))
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// quoteKey formats a member name for an error message, shortened if long.
func quoteKey(k []byte) string {
	const limit = 64
	if len(k) > limit {
		n := limit
		for n > 0 && !utf8.RuneStart(k[n]) {
			n--
		}
		return strconv.Quote(string(k[:n])) + "..."
	}
	return strconv.Quote(string(k))
}

// AppendString appends s to dst as RFC 8785 serialises a string, and
// reports whether it could: false, with dst unchanged, when s is not valid
// UTF-8 (which canonical JSON cannot hold).
func AppendString(dst []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return dst, false
	}
	return appendQuoted(dst, s), true
}
