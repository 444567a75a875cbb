package jcs

import (
	"errors"
	"math"
	"strconv"
)

// maxExactDigits is the most digits a plain integer literal may have and
// still be known to be exactly representable as a double (< 2^53), so that
// its canonical form is its own text.
const maxExactDigits = 15

// number validates the number at p.pos against the strict JSON grammar and
// writes its canonical (ECMAScript) form: an integer of up to 15 digits
// other than -0 is canonical as it stands, and stays in the pending run.
//
//	number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
func (p *parser) number(out []byte) ([]byte, error) {
	src := p.src
	start := p.pos
	i := start
	if src[i] == '-' {
		i++
	}
	intStart := i
	switch {
	case i >= len(src) || !isDigit(src[i]):
		return out, p.numberError(i, "expecting a digit")
	case src[i] == '0':
		i++
		if i < len(src) && isDigit(src[i]) {
			return out, newError(ErrInvalidJSON, intStart, "invalid number: leading zero")
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
			return out, p.numberError(i, "expecting a digit after the decimal point")
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
			return out, p.numberError(i, "expecting a digit in the exponent")
		}
		i = skipDigits(src, i)
	}
	p.pos = i

	if plainInt && intDigits <= maxExactDigits {
		// Canonical as it stands, but for -0.
		if src[intStart] == '0' && intStart != start {
			out = append(out, src[p.run:start]...)
			out = append(out, '0')
			p.run = i
		}
		return out, nil
	}
	f, err := strconv.ParseFloat(string(src[start:i]), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return out, newError(ErrNumberRange, start, "number is not a finite IEEE-754 double")
		}
		return out, newError(ErrInvalidJSON, start, "invalid number")
	}
	extended, err := appendNumber(append(out, src[p.run:start]...), f)
	if err != nil {
		return out, newError(ErrNumberRange, start, "number is not a finite IEEE-754 double")
	}
	p.run = i
	return extended, nil
}

func (p *parser) numberError(i int, expecting string) error {
	if i >= len(p.src) {
		return newError(ErrInvalidJSON, i, "invalid number: unexpected end of input, "+expecting)
	}
	return newError(ErrInvalidJSON, i, "invalid number: invalid character "+quoteByte(p.src[i])+", "+expecting)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func skipDigits(src []byte, i int) int {
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	return i
}

// appendNumber appends f to dst formatted as ECMAScript's
// Number.prototype.toString does: the shortest digits that round-trip, in
// plain decimal notation when 1e-6 <= |f| < 1e21 and in exponent notation
// otherwise, with -0 written as 0. NaN and the infinities, which JSON
// cannot express, yield ErrNumberRange and leave dst unchanged.
func appendNumber(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, ErrNumberRange
	}
	if f == 0 {
		return append(dst, '0'), nil
	}
	format := byte('f')
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// strconv writes at least two exponent digits (1e-07); ECMAScript
		// writes no leading zeros (1e-7). Positive exponents here are >= 21.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}
