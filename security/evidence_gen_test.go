package security

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
)

// randomEvidence writes a random evidence document, in any of the three
// forms and mostly nearly valid, built to reach every check of the
// manifest and the canonicaliser's corners: member names spelled with
// escapes (so "\u0061rtifacts" is "artifacts") and colliding once
// unescaped, digests in every form and wrong ones, names that repeat or
// are empty, too long or hold controls, values of the wrong type, numbers
// in every form (exponents, -0, the 1e21 boundary, out of range), unicode
// escapes and invalid UTF-8, deep nesting, and now and then a corrupted
// byte or a cut.
func randomEvidence(r *rand.Rand) []byte {
	g := &evGen{r: r, dirty: r.IntN(2) == 0}
	switch r.IntN(7) {
	case 0, 5:
		g.object(g.ownMembers())
	case 1, 4:
		g.object(g.statementMembers(true))
	case 2, 3:
		wrap := g.ownMembers()
		if !g.one(10) { // without artifacts, mostly: the statement's subjects are
			wrap = append(wrap[:0], wrap[1:]...)
		}
		wrap = append(wrap, member{"in_toto_statement", func() { g.object(g.statementMembers(false)) }})
		g.object(wrap)
	default:
		g.value(3)
	}
	out := []byte(g.b.String())
	if !g.dirty {
		return out
	}
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

type evGen struct {
	r *rand.Rand
	b strings.Builder
	// dirty documents, half of them, have flaws: each flaw() is true one
	// time in n in them, never in the others.
	dirty bool
}

// member is one member to write: its name and a writer of its value.
type member struct {
	name  string
	value func()
}

func (g *evGen) one(n int) bool { return g.r.IntN(n) == 0 }

func (g *evGen) flaw(n int) bool { return g.dirty && g.one(n) }

func (g *evGen) pick(choices ...string) string { return choices[g.r.IntN(len(choices))] }

// name spells a member name, sometimes with escapes that mean the same.
func (g *evGen) name(n string) string {
	if n != "" && ('a' <= n[0] && n[0] <= 'z' || n[0] == '_') && g.one(8) {
		return `\u00` + strconv.FormatUint(uint64(n[0]), 16) + n[1:]
	}
	return n
}

// object writes members in a random order, sometimes with one repeated,
// sometimes with filler members around them.
func (g *evGen) object(ms []member) {
	for range g.r.IntN(3) {
		ms = append(ms, member{g.pick("build", "notes", "x", "é", `\ud83d\ude00`, "z", "tests"), func() { g.value(3) }})
	}
	g.r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	ms = distinct(ms)
	if len(ms) > 0 && g.flaw(30) {
		ms = append(ms, ms[g.r.IntN(len(ms))]) // a duplicate member
	}
	g.b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.space()
		g.b.WriteString(`"` + g.name(m.name) + `"`)
		g.space()
		g.b.WriteByte(':')
		g.space()
		m.value()
		g.space()
	}
	g.b.WriteByte('}')
}

// distinct drops the members whose names repeat an earlier one's once
// unescaped.
func distinct(ms []member) []member {
	seen := map[string]bool{}
	out := ms[:0]
	for _, m := range ms {
		var n string
		if json.Unmarshal([]byte(`"`+m.name+`"`), &n) != nil || !seen[n] {
			seen[n] = true
			out = append(out, m)
		}
	}
	return out
}

func (g *evGen) space() {
	if g.one(6) {
		g.b.WriteString(g.pick(" ", "\n", "\t", "\r\n  "))
	}
}

func (g *evGen) array(n int, el func(i int)) {
	g.b.WriteByte('[')
	for i := range n {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.space()
		el(i)
	}
	g.b.WriteByte(']')
}

// ownMembers are trustgate's own form's: artifacts, sbom, class.
func (g *evGen) ownMembers() []member {
	ms := []member{{"artifacts", g.artifacts}}
	if !g.one(4) {
		ms = append(ms, member{"sbom", g.sbom})
	}
	if !g.one(4) {
		ms = append(ms, member{"blast_radius_class", g.class})
	}
	if g.one(10) {
		ms = append(ms, member{g.pick("_type", "subject", "predicateType", "predicate"), func() { g.value(2) }})
	}
	return ms
}

// artifacts writes an evidence package's artifact list.
func (g *evGen) artifacts() {
	g.namedDigests("sha256", g.ownDigest, 3, "size", "signed", "signer", "mediaType")
}

// subjects writes an in-toto Statement's subject list.
func (g *evGen) subjects() {
	g.namedDigests("digest", g.digestSet, 4, "uri", "annotations", "mediaType")
}

// namedDigests writes a list of objects each with a name and a digest
// (under digestKey, written by digest), one time in extraOdds with one of
// extras as well; dirty documents lose members, elements or the whole list.
func (g *evGen) namedDigests(digestKey string, digest func(), extraOdds int, extras ...string) {
	if g.flaw(12) {
		g.value(2)
		return
	}
	names := g.names()
	g.array(len(names), func(i int) {
		if g.flaw(20) {
			g.value(1)
			return
		}
		ms := []member{}
		if !g.flaw(15) {
			ms = append(ms, member{"name", func() { g.str(names[i]) }})
		}
		if !g.flaw(15) {
			ms = append(ms, member{digestKey, digest})
		}
		if g.one(extraOdds) {
			ms = append(ms, member{g.pick(extras...), func() { g.value(1) }})
		}
		g.object(ms)
	})
}

// names are artifact names: mostly distinct, now and then repeated, empty,
// blank, too long, with controls or escapes.
func (g *evGen) names() []string {
	n := g.r.IntN(6)
	if g.one(4) {
		n = 1
	}
	if g.one(10) {
		n = 20 + g.r.IntN(40)
	}
	out := make([]string, n)
	for i := range out {
		switch {
		case g.flaw(25) && i > 0:
			out[i] = out[g.r.IntN(i)]
		case g.flaw(40):
			out[i] = g.pick("", " ", `\t`, `\u0001x`, "a\x7fb", strings.Repeat("n", 1025), strings.Repeat("é", 600))
		case g.one(15):
			out[i] = g.pick(`a\u0062c`, `caf\u00e9`, `q\"uote`, `back\\slash`, `\ud83d\ude00.bin`, "ü.msi", `x\/y`)
		default:
			out[i] = "component-" + strconv.Itoa(i) + ".msi"
		}
	}
	return out
}

func (g *evGen) hex(upper bool) string {
	const digits = "0123456789abcdef"
	var b [64]byte
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	if upper {
		return strings.ToUpper(string(b[:]))
	}
	return string(b[:])
}

// ownDigest is a "sha256" member's value in trustgate's own form.
func (g *evGen) ownDigest() {
	if !g.flaw(3) {
		switch g.r.IntN(4) {
		case 0:
			g.str("sha256:" + g.hex(false))
		case 1:
			g.str(g.hex(true))
		default:
			g.str(g.hex(false))
		}
		return
	}
	switch g.r.IntN(6) {
	case 0:
		g.str("sha256:" + g.hex(true))
	case 1:
		g.str(g.pick("sha512:", "SHA256:", "md5:", ":") + g.hex(false))
	case 2:
		g.str(g.hex(false)[:g.r.IntN(64)])
	case 3:
		g.str(g.hex(false)[:63] + g.pick("g", "Z", " ", `\u0041`))
	case 4:
		g.value(1)
	default:
		g.str(`\u0061` + g.hex(false)[1:])
	}
}

func (g *evGen) sbom() {
	switch {
	case g.one(10):
		g.b.WriteString("null")
	case g.flaw(10):
		g.value(1)
	default:
		ms := []member{{"format", func() { g.str("cyclonedx") }}}
		if !g.flaw(6) {
			ms = append(ms, member{"sha256", g.ownDigest})
		}
		if g.one(2) {
			ms = append(ms, member{"components", func() {
				g.array(g.r.IntN(6), func(int) { g.object([]member{{"sha256", g.ownDigest}, {"purl", func() { g.value(1) }}}) })
			}})
		}
		g.object(ms)
	}
}

func (g *evGen) class() {
	switch {
	case g.one(8):
		g.value(1)
	case g.one(8):
		g.b.WriteString("null")
	case g.one(8):
		g.str(g.pick("", "critical", "UNKNOWN", `NON\u005fCRITICAL`, "NON_CRITICAL "))
	default:
		g.str(g.pick("CRITICAL_INFRASTRUCTURE", "BUSINESS_CRITICAL", "PRODUCTIVITY_TOOLS", "NON_CRITICAL"))
	}
}

// statementMembers are an in-toto statement's; a bare one (the evidence
// itself) may have a predicate of trustgate's type, and now and then one
// of trustgate's own members beside it.
func (g *evGen) statementMembers(bare bool) []member {
	ms := []member{}
	if !g.flaw(12) {
		ms = append(ms, member{"_type", func() {
			switch {
			case g.flaw(6):
				g.value(1)
			case g.flaw(6):
				g.str("https://in-toto.io/Statement/v0.1")
			case g.one(6):
				g.str(`https:\/\/in-toto.io\/Statement\/v1`)
			default:
				g.str("https://in-toto.io/Statement/v1")
			}
		}})
	}
	if !g.flaw(10) {
		ms = append(ms, member{"subject", g.subjects})
	}
	if !g.flaw(12) {
		ms = append(ms, member{"predicateType", func() {
			switch {
			case g.flaw(6):
				g.value(1)
			case g.flaw(6):
				g.str(g.pick("", "  "))
			case g.one(3):
				g.str("https://slsa.dev/provenance/v1")
			default:
				g.str(PredicateManifest)
			}
		}})
	}
	if !g.one(6) {
		ms = append(ms, member{"predicate", func() {
			switch {
			case g.flaw(4):
				g.value(1)
			case g.one(8):
				g.b.WriteString("null")
			default:
				pm := []member{}
				if !g.one(3) {
					pm = append(pm, member{"blast_radius_class", g.class})
				}
				if !g.one(3) {
					pm = append(pm, member{"sbom", g.sbom})
				}
				if g.flaw(8) {
					pm = append(pm, member{"artifacts", g.artifacts})
				}
				g.object(pm)
			}
		}})
	}
	if bare && g.flaw(4) {
		ms = append(ms, member{g.pick("artifacts", "sbom", "blast_radius_class", "in_toto_statement"), func() { g.value(2) }})
	}
	return ms
}

func (g *evGen) digestSet() {
	switch {
	case g.flaw(10):
		g.value(1)
	case g.flaw(10):
		g.b.WriteString("null")
	default:
		ms := []member{}
		if !g.flaw(3) {
			ms = append(ms, member{"sha256", func() {
				switch {
				case g.flaw(8):
					g.str(g.hex(true))
				case g.flaw(8):
					g.str("sha256:" + g.hex(false))
				case g.flaw(8):
					g.value(1)
				default:
					g.str(g.hex(false))
				}
			}})
		}
		for range g.r.IntN(5) {
			ms = append(ms, member{g.pick("sha512", "sha1", "gitCommit", `q\"`, "dirHash", `a\u0000`), func() { g.str(g.hex(false)) }})
		}
		g.object(ms)
	}
}

var (
	numberForms = []string{
		"0", "-0", "0.0", "-0.0", "0e5", "1", "-1", "42", "1.0", "1.50", "-1.5e0", "1e2", "1E2", "1e+2", "1e-7",
		"1e-6", "0.000001", "0.0000001", "1e20", "1e21", "1e+21", "999999999999999999999", "1000000000000000000000",
		"100000000000000000000", "123456789012345678901234", "9007199254740993", "123456789012345", "1234567890123456",
		"0.1", "0.30000000000000004", "333333333.33333329", "1.7976931348623157e308", "5e-324", "2e-324", "1e-400",
	}
	badNumberForms = []string{"1e400", "-1e400", "01", "1.", ".5", "+1", "1e", "-", "0x10", "NaN", "-Infinity"}
	stringForms    = []string{
		"x", "hello", "é", "\u2028", "\U0001F600", "\x7f", `\u0041`, `\u00E9`, `\ud83d\ude00`, `\uD83D\uDE00`, `\n`,
		`\"`, `\\`, `\/`, `\b`, `\f`, `\r`, `\t`, `\u0000`, `\u001F`, `\u007f`, `\u2028`, `\uffff`, `\ue000`,
	}
	badStringForms = []string{`\ud800`, `\udc00`, `\ud800\u0041`, "\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\t", `\x`, `\u12`}
)

func (g *evGen) str(s string) { g.b.WriteString(`"` + s + `"`) }

// value writes a random JSON value nested at most depth deep; once in a
// while, nested past the canonicaliser's limit.
func (g *evGen) value(depth int) {
	switch n := g.r.IntN(12); {
	case n == 0 && g.flaw(20):
		k := 497 + g.r.IntN(6)
		g.b.WriteString(strings.Repeat(`[{"d":`, k) + "0" + strings.Repeat("}]", k))
	case depth > 0 && n < 2:
		ms := []member{}
		for range g.r.IntN(4) {
			ms = append(ms, member{g.pick("a", "b", "é", `\u0061`, "", `\ud83d\ude00`, "\ue000"), func() { g.value(depth - 1) }})
		}
		g.object(ms)
	case depth > 0 && n < 4:
		g.array(g.r.IntN(4), func(int) { g.value(depth - 1) })
	case n < 7:
		var b strings.Builder
		for range g.r.IntN(4) {
			if g.flaw(40) {
				b.WriteString(badStringForms[g.r.IntN(len(badStringForms))])
			} else {
				b.WriteString(stringForms[g.r.IntN(len(stringForms))])
			}
		}
		g.str(b.String())
	case n < 10:
		switch {
		case g.flaw(40):
			g.b.WriteString(badNumberForms[g.r.IntN(len(badNumberForms))])
		case g.one(4):
			g.b.WriteString(strconv.FormatFloat(g.r.NormFloat64()*float64(int64(1)<<g.r.IntN(62)), "gGeEf"[g.r.IntN(5)], -1, 64))
		default:
			g.b.WriteString(numberForms[g.r.IntN(len(numberForms))])
		}
	default:
		g.b.WriteString(g.pick("true", "false", "null"))
	}
}
