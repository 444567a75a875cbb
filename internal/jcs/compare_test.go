package jcs

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
)

// refCompare is the reference order: compare UTF-16 encodings.
func refCompare(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func TestCompareUTF16(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "a", -1},
		{"a", "b", -1},
		{"ab", "a", 1},
		{"\uffff", "\U00010000", 1},
		{"\ue000", "\U0010FFFF", 1},
		{"\ud7ff", "\U00010000", -1},
		{"\U0001F600", "\uFB33", -1},
		{"\U0001F600", "\U0001F601", -1},
		{"x\U0001F600", "x\u20ac", 1},
		{"\u00e9", "\u00e8", 1},
		{"\u20ac", "\u20ac", 0},
	}
	for _, tt := range tests {
		got := compareUTF16([]byte(tt.a), []byte(tt.b))
		assert.Equal(t, tt.want, got, "%q vs %q", tt.a, tt.b)
		assert.Equal(t, tt.want, refCompare(tt.a, tt.b), "reference %q vs %q", tt.a, tt.b)
	}
}

func TestCompareUTF16Random(t *testing.T) {
	alphabet := []rune{'a', 'b', 0x7f, 0x80, 0xe9, 0x20ac, 0xd7ff, 0xe000, 0xfb33, 0xfffd, 0xffff,
		0x10000, 0x1f600, 0x1f601, 0x10ffff}
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		rs := make([]rune, rng.IntN(5))
		for i := range rs {
			rs[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(rs)
	}
	for range 50000 {
		a, b := gen(), gen()
		got := compareUTF16([]byte(a), []byte(b))
		if want := refCompare(a, b); got != want {
			t.Fatalf("compareUTF16(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
}
