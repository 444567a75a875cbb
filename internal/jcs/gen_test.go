package jcs

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// randomJSON writes a random JSON text, mostly valid, built to reach the
// canonicaliser's corners: names and strings with escapes (surrogate
// pairs, lone surrogates, controls), literal non-ASCII and invalid UTF-8,
// names that collide once unescaped, numbers in every form (exponents, -0,
// the 1e21 boundary, subnormals, out of range), whitespace, deep nesting,
// and now and then a corrupted byte or a cut.
func randomJSON(r *rand.Rand) []byte {
	var b strings.Builder
	g := jsonGen{r: r, b: &b}
	if r.IntN(40) == 0 {
		n := MaxDepth - 2 + r.IntN(5)
		b.WriteString(strings.Repeat(`{"d":[`, n/2))
		g.value(2)
		b.WriteString(strings.Repeat(`]}`, n/2))
	} else if r.IntN(4) == 0 {
		g.value(4)
	} else {
		g.object(4)
	}
	out := []byte(b.String())
	switch r.IntN(12) {
	case 0:
		if len(out) > 0 {
			out = out[:r.IntN(len(out))]
		}
	case 1:
		if len(out) > 0 {
			const bytes = "{}[]\",:\\ 0e-.\xff\x00"
			out[r.IntN(len(out))] = bytes[r.IntN(len(bytes))]
		}
	}
	return out
}

type jsonGen struct {
	r *rand.Rand
	b *strings.Builder
}

func (g *jsonGen) space() {
	if g.r.IntN(4) == 0 {
		g.b.WriteString([]string{" ", "\n", "\t", "\r\n  "}[g.r.IntN(4)])
	}
}

func (g *jsonGen) value(depth int) {
	g.space()
	switch n := g.r.IntN(10); {
	case depth > 0 && n < 2:
		g.object(depth - 1)
	case depth > 0 && n < 4:
		g.array(depth - 1)
	case n < 6:
		g.str()
	case n < 9:
		g.number()
	default:
		g.b.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	}
	g.space()
}

func (g *jsonGen) object(depth int) {
	g.b.WriteByte('{')
	n := g.r.IntN(16)
	if n > 6 {
		n = g.r.IntN(3) // mostly small objects, sometimes many members
		if g.r.IntN(3) == 0 {
			n = 13 + g.r.IntN(20)
		}
	}
	names := []string{"a", "b", `\u0061`, "artifacts", "name", "sha256", "sbom", "é", `\u00e9`,
		`\ud83d\ude00`, "\U0001F600", "\ue000", `\uffff`, "", `\"`, `\n`, `\u0000`, "A", "aa", "ab"}
	for i := range n {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.space()
		if g.r.IntN(3) == 0 {
			g.str()
		} else if n > 12 && g.r.IntN(8) != 0 {
			g.b.WriteString(`"k` + strconv.Itoa(g.r.IntN(4*n)) + `"`)
		} else {
			g.b.WriteString(`"` + names[g.r.IntN(len(names))] + `"`)
		}
		g.space()
		g.b.WriteByte(':')
		g.value(depth)
	}
	g.b.WriteByte('}')
}

func (g *jsonGen) array(depth int) {
	g.b.WriteByte('[')
	for i := range g.r.IntN(5) {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.value(depth)
	}
	g.b.WriteByte(']')
}

// Pieces of strings and numbers; the bad ones are used one time in six.
var (
	stringParts = []string{
		"x", "hello", "é", "\u2028", "\U0001F600", "\x7f", `\u0041`, `\u00E9`, `\ud83d\ude00`, `\uD83D\uDE00`,
		`\n`, `\t`, `\"`, `\\`, `\/`, `\b`, `\f`, `\r`, `\u0000`, `\u001F`, `\u007f`, `\u2028`, `\uffff`, `\ue000`,
	}
	badStringParts = []string{
		`\ud800`, `\udc00`, `\ud800\u0041`, "\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\t", `\x`, `\u12`,
	}
	numberForms = []string{
		"0", "-0", "0.0", "-0.0", "0e5", "1", "-1", "42", "1.0", "1.50", "-1.5e0", "1e2", "1E2", "1e+2", "1e-7",
		"1e-6", "0.000001", "0.0000001", "1e20", "1e21", "1e+21", "999999999999999999999", "1000000000000000000000",
		"100000000000000000000", "123456789012345678901234", "9007199254740993", "9007199254740992", "123456789012345",
		"1234567890123456", "0.1", "0.30000000000000004", "333333333.33333329", "1.7976931348623157e308",
		"5e-324", "-5e-324", "2e-324", "1e-400", "1e400", "-1e400", "4.9406564584124654e-324",
	}
	badNumberForms = []string{"01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "0x10", "NaN", "-Infinity"}
)

func (g *jsonGen) pick(good, bad []string) string {
	if g.r.IntN(6) == 0 {
		return bad[g.r.IntN(len(bad))]
	}
	return good[g.r.IntN(len(good))]
}

func (g *jsonGen) str() {
	g.b.WriteByte('"')
	for range g.r.IntN(5) {
		g.b.WriteString(g.pick(stringParts, badStringParts))
	}
	g.b.WriteByte('"')
}

func (g *jsonGen) number() {
	if g.r.IntN(5) == 0 {
		g.b.WriteString(strconv.FormatFloat(g.r.NormFloat64()*float64(int64(1)<<g.r.IntN(60)), "gGeEf"[g.r.IntN(5)], -1, 64))
		return
	}
	g.b.WriteString(g.pick(numberForms, badNumberForms))
}
