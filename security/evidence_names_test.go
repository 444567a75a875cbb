package security

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// The judgement of names before nameProblem's byte-by-byte path, as
// checkArtifactName made it.
func originalNameProblem(n string, ok bool) string {
	switch {
	case !ok || strings.TrimSpace(n) == "":
		return nameRequired
	case len(n) > MaxArtifactNameLength:
		return nameTooLong
	case strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }):
		return nameControl
	}
	return ""
}

// TestNameProblemMatchesOriginal checks the fast judgement of names, on
// strings and bytes, against the original on random names built of the
// bytes and runes either may stumble on.
func TestNameProblemMatchesOriginal(t *testing.T) {
	parts := []string{"a", "Z", "-", ".", " ", "\t", "\n", "\v", "\f", "\r", "\x00", "\x1f", "\x7f", "\x80", "\xff",
		"é", "\u00a0", "\u0085", "\u2028", "\u3000", "\ufeff", "\ufffd", "\U0001F600", "\xc3", "\xed\xa0\x80"}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 200000 {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		if i%50 == 0 {
			b.WriteString(strings.Repeat("n", MaxArtifactNameLength-4+r.IntN(8)))
		}
		n, ok := b.String(), i%97 != 0
		want := originalNameProblem(n, ok)
		if got := nameProblem(n, ok); got != want {
			t.Fatalf("nameProblem(%q, %v) = %q, want %q", n, ok, got, want)
		}
		if got := nameProblem([]byte(n), ok); got != want {
			t.Fatalf("nameProblem([]byte(%q), %v) = %q, want %q", n, ok, got, want)
		}
	}
}

// TestNameSetFindsEveryDuplicate adds names, some repeated, past the set's
// growth, and checks each answer against a map.
func TestNameSetFindsEveryDuplicate(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var (
		names []byte
		ns    nameSet
		seen  = map[string]bool{}
	)
	for range 5000 {
		n := []byte(strings.Repeat("x", r.IntN(3)) + string(rune('a'+r.IntN(26))) + strings.Repeat("é", r.IntN(2)))
		if r.IntN(3) == 0 {
			n = append(n, byte(r.IntN(256)))
		}
		start := len(names)
		names = append(names, n...)
		added := ns.add(names, span{start, len(names)})
		if added == seen[string(n)] {
			t.Fatalf("add(%q) = %v with the name seen: %v", n, added, seen[string(n)])
		}
		seen[string(n)] = true
	}
	if len(ns.spans) != len(seen) {
		t.Fatalf("%d names in the set, %d distinct", len(ns.spans), len(seen))
	}
}
