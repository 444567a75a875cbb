package jcs

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// sameResult checks that the present canonicaliser and the reference give
// in the same output for in, or the same error: offset, reason and class.
func sameResult(in []byte, wantObject bool) (string, bool) {
	var got, want []byte
	var gotErr, wantErr error
	if wantObject {
		got, gotErr = CanonicalizeObject(nil, in)
	} else {
		got, gotErr = Canonicalize(nil, in)
	}
	want, wantErr = refCanonicalize(nil, in, wantObject)
	if (gotErr == nil) != (wantErr == nil) {
		return "one of them failed: " + errString(gotErr) + " / " + errString(wantErr), false
	}
	if gotErr != nil {
		var g, w *SyntaxError
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || *g != *w {
			return "errors differ: " + errString(gotErr) + " / " + errString(wantErr), false
		}
		return "", true
	}
	if !bytes.Equal(got, want) {
		return "outputs differ:\n" + string(got) + "\n" + string(want), false
	}
	return "", true
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// everything is a Visitor that visits every value and checks, as each
// completes, that its canonical form is canonical.
type everything struct {
	bad  []string
	seen int
}

func (v *everything) Member(int, []byte) int { return 1 }
func (v *everything) Element(int, int) int   { return 1 }
func (v *everything) Value(_ int, c []byte) {
	v.seen++
	if again, err := Canonicalize(nil, c); err != nil || !bytes.Equal(again, c) {
		v.bad = append(v.bad, string(c))
	}
}

// TestMatchesReference compares the canonicaliser with the reference, the
// code it replaced, on random documents (gopter): byte-identical output,
// identical errors; and with a visitor looking at every value, the same
// again, every value it is shown canonical.
func TestMatchesReference(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 3000
	props := gopter.NewProperties(params)
	props.Property("same output and errors as the reference", prop.ForAll(func(seed uint64) string {
		in := randomJSON(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)))
		for _, obj := range []bool{false, true} {
			if msg, ok := sameResult(in, obj); !ok {
				return msg + "\ninput: " + string(in)
			}
		}
		v := &everything{}
		got, err := CanonicalizeObjectVisit(nil, in, v, 1)
		want, wantErr := CanonicalizeObject(nil, in)
		switch {
		case errString(err) != errString(wantErr) || !bytes.Equal(got, want):
			return "visiting changes the result: " + errString(err) + "\ninput: " + string(in)
		case err == nil && len(v.bad) > 0:
			return "a visited value is not canonical: " + v.bad[0]
		case err == nil && v.seen == 0:
			return "the visitor saw nothing"
		}
		return ""
	}, gen.UInt64()))
	props.TestingRun(t)
}

func FuzzMatchesReference(f *testing.F) {
	for _, s := range []string{rfcSample, rfcSorting, `{"b":1,"a":2,"c":{"z":[1,{"y":0,"x":1}]}}`, `{"a":1,"a":2}`,
		"{\"k\":\"\xff\"}", `[1e400]`, `{"m":1e21,"n":-0,"o":1e-7}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, obj := range []bool{false, true} {
			if msg, ok := sameResult(in, obj); !ok {
				t.Fatal(msg)
			}
		}
	})
}

// TestMatchesReferenceReordering takes the reordering paths the random
// documents seldom need: large members rotated past each other, an
// object whose rotations would move more than twice its bytes (rewritten
// through a copy instead), scratch space beyond the parser's own, and
// objects of more members than insertion sorts.
func TestMatchesReferenceReordering(t *testing.T) {
	big := func(c string, n int) string { return `"` + strings.Repeat(c, n) + `"` }
	var many strings.Builder
	many.WriteString("{")
	for i := 40; i > 0; i-- {
		fmt.Fprintf(&many, `"k%02d":%s,`, i, big("m", i*50))
	}
	many.WriteString(`"a":{"z":1,"y":2}}`)
	inputs := []string{
		`{"b":` + big("x", 3000) + `,"a":` + big("y", 3000) + `}`,
		`{"b":` + big("x", 10) + `,"a":` + big("y", 5000) + `}`,
		`{"b":` + big("x", 5000) + `,"a":` + big("y", 10) + `}`,
		`{"d":` + big("d", 1000) + `,"c":` + big("c", 1000) + `,"b":` + big("b", 1000) + `,"a":` + big("a", 1000) + `}`,
		`{"l":1,"k":2,"j":3,"i":4,"h":5,"g":6,"f":7,"e":8,"d":9,"c":10,"b":11,"a":12}`,
		`{"m":1,"l":1,"k":2,"j":3,"i":4,"h":5,"g":6,"f":7,"e":8,"d":9,"c":10,"b":11,"a":12}`,
		`{"m":1,"l":1,"k":2,"j":3,"i":4,"h":5,"g":6,"f":7,"e":8,"d":9,"c":10,"b":11,"m":12}`,
		many.String(),
		// Arrays of objects of one shape, whose order is remembered
		// from one to the next, with shapes changing, escaped names,
		// names past eight bytes and a duplicate among them.
		`[{"b":1,"a":2},{"b":3,"a":4},{"a":1,"b":2},{"b":1,"a":2},{"b":5,"b":6}]`,
		`[{"b":1,"a":2},{"\u0062":3,"a":4},{"b":1,"\u0061":2},{"b":1,"c":2},{"b":1,"a":2,"c":3}]`,
		`[{"bbbbbbbbbx":1,"bbbbbbbbba":2},{"bbbbbbbbbx":1,"bbbbbbbbba":2},{"bbbbbbbbbx":1,"bbbbbbbbbx":2}]`,
		`[{"y":{"b":1,"a":2},"x":{"b":1,"a":2}},{"y":{"b":1,"a":2},"x":{"b":1,"b":2}}]`,
		`[{"":1,"a":2},{"":1,"a":2},{"a":1,"":2},{"\u0000":1,"":2},{"\u0000":1,"\u0000":2}]`,
	}
	for _, in := range inputs {
		for _, obj := range []bool{false, true} {
			if msg, ok := sameResult([]byte(in), obj); !ok {
				t.Fatalf("%s\ninput: %.200s", msg, in)
			}
		}
	}
}

// TestSkipPlainMatchesByteLoop checks the eight-bytes-at-a-time scan
// against the plain definition, on random bytes biased to the ones it
// must stop at and their neighbours.
func TestSkipPlainMatchesByteLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const interesting = "\x00\x1f\x20\x21\x22\x23\x5b\x5c\x5d\x7e\x7f\x80\xc3\xff"
	for range 200000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = 'a' + byte(r.IntN(26))
			if r.IntN(12) == 0 {
				b[i] = interesting[r.IntN(len(interesting))]
			}
		}
		from := 0
		if len(b) > 0 {
			from = r.IntN(len(b) + 1)
		}
		want := from
		for want < len(b) && b[want] >= 0x20 && b[want] < 0x80 && b[want] != '"' && b[want] != '\\' {
			want++
		}
		if got := skipPlain(b, from); got != want {
			t.Fatalf("skipPlain(%q, %d) = %d, want %d", b, from, got, want)
		}
	}
}

// TestComparePrefixesMatchesUTF16 checks the comparison by eight-byte
// prefixes against compareUTF16 on random names, where the prefixes differ.
func TestComparePrefixesMatchesUTF16(t *testing.T) {
	parts := []string{"", "a", "b", "\x00", "\x7f", "é", "\ue000", "\uffff", "\U00010000", "\U0010ffff", "\u0800", "aaaaaaa"}
	r := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		var a, b strings.Builder
		for range r.IntN(4) {
			a.WriteString(parts[r.IntN(len(parts))])
		}
		for range r.IntN(4) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		ka, kb := []byte(a.String()), []byte(b.String())
		pa, pb := prefix8(ka), prefix8(kb)
		if pa == pb {
			continue
		}
		if got, want := comparePrefixes(pa, pb), compareUTF16(ka, kb); got != want {
			t.Fatalf("comparePrefixes(%q, %q) = %d, compareUTF16 %d", ka, kb, got, want)
		}
	}
}
