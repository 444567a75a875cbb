package security

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestDigestValidMatchesDigestFast checks the check against the decoder on
// random digest members: digits of either case, with and without the
// sha256: prefix, now and then a byte of anything or a length off.
func TestDigestValidMatchesDigestFast(t *testing.T) {
	const digits = "0123456789abcdefABCDEF"
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 200000 {
		var b strings.Builder
		if i%2 == 0 {
			b.WriteString("sha256:")
		}
		for range 64 {
			b.WriteByte(digits[r.IntN(len(digits))])
		}
		s := []byte(b.String())
		switch i % 5 {
		case 0:
			s[r.IntN(len(s))] = byte(r.IntN(256))
		case 1:
			s = s[:r.IntN(len(s)+1)]
		}
		raw := append(append([]byte{'"'}, s...), '"')
		if i%11 == 0 {
			raw = raw[:len(raw)-1]
		}
		_, want := digestFast(raw)
		if got := digestValid(raw); got != want {
			t.Fatalf("digestValid(%q) = %v, digestFast %v", raw, got, want)
		}
	}
}
