package jcs

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// sameReused fails t unless the reused canonicaliser's output and error
// are those of the one-shot function: byte for byte, and the same error
// at the same offset.
func sameReused(t *testing.T, in, want, got []byte, wantErr, gotErr error) {
	t.Helper()
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: one-shot error %v, reused %v", in, wantErr, gotErr)
	}
	if wantErr != nil {
		var a, b *SyntaxError
		if !errors.As(wantErr, &a) || !errors.As(gotErr, &b) || a.Offset != b.Offset ||
			wantErr.Error() != gotErr.Error() || !errors.Is(gotErr, errors.Unwrap(wantErr)) {
			t.Fatalf("%q: one-shot error %v, reused %v", in, wantErr, gotErr)
		}
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("%q: one-shot %q, reused %q", in, want, got)
	}
}

// checkReused runs in through c (already used for other documents) and
// through the one-shot functions, each after the same prefix in dst, and
// compares.
func checkReused(t *testing.T, c *Canonicalizer, in []byte) {
	t.Helper()
	prefix := []byte("prefix:")
	want, wantErr := Canonicalize(bytes.Clone(prefix), in)
	got, gotErr := c.Canonicalize(bytes.Clone(prefix), in)
	sameReused(t, in, want, got, wantErr, gotErr)
	want, wantErr = CanonicalizeObject(nil, in)
	got, gotErr = c.CanonicalizeObject(nil, in)
	sameReused(t, in, want, got, wantErr, gotErr)
	var vWant, vGot recorder
	want, wantErr = CanonicalizeObjectVisit(nil, in, &vWant, 1)
	got, gotErr = c.CanonicalizeObjectVisit(nil, in, &vGot, 1)
	sameReused(t, in, want, got, wantErr, gotErr)
	if wantErr == nil && !bytes.Equal(vWant.b, vGot.b) {
		t.Fatalf("%q: the visitor saw %q one-shot, %q reused", in, vWant.b, vGot.b)
	}
	if c.p.src != nil || c.p.v != nil {
		t.Fatalf("%q: the canonicaliser kept the document or the visitor", in)
	}
}

// recorder is a Visitor that visits every value and writes down what it
// was shown.
type recorder struct{ b []byte }

func (r *recorder) Member(_ int, name []byte) int {
	r.b = append(append(append(r.b, 'm'), name...), 0)
	return 1
}
func (r *recorder) Element(_, i int) int { r.b = append(r.b, 'e', byte(i)); return 1 }
func (r *recorder) Value(_ int, canonical []byte) {
	r.b = append(append(append(r.b, 'v'), canonical...), 0)
}

// One Canonicalizer, given thousands of random documents one after the
// other (valid and not, deep and shallow, with members out of order and
// names that repeat from one document to the next), gives for each exactly
// the output and the error of the one-shot functions: nothing one call
// leaves in it (grown scratch space, the order of the last object's
// members, the state of a failed parse) changes the next.
func TestCanonicalizerIsTheOneShotFunctions(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2026))
	var c Canonicalizer
	for _, s := range fuzzSeeds() {
		checkReused(t, &c, []byte(s))
	}
	for range 5000 {
		checkReused(t, &c, randomJSON(r))
	}
}

// The same, for the fuzzer's inputs: each is run through a Canonicalizer
// already used for the previous ones.
func FuzzCanonicalizer(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	var c Canonicalizer
	f.Fuzz(func(t *testing.T, in []byte) {
		checkReused(t, &c, in)
	})
}

// A reused Canonicalizer allocates nothing once its space has grown.
func TestCanonicalizerReusesItsSpace(t *testing.T) {
	in := []byte(`{"evidence_id":"e-1","checks":[{"passed":true,"gate":"A"},{"passed":true,"gate":"B"}],"artifact":"x.msi"}`)
	var c Canonicalizer
	out, err := c.CanonicalizeObject(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { out, err = c.CanonicalizeObject(out[:0], in) }); n != 0 || err != nil {
		t.Fatalf("%v allocations a call, error %v", n, err)
	}
}
