package jcs

// A Canonicalizer is [Canonicalize], [CanonicalizeObject] and
// [CanonicalizeObjectVisit] with scratch space of its own, kept from one
// call to the next: the parser's state and its room for the members of
// open objects, escaped names and an object being reordered. The one-shot
// functions allocate that (about 1.7 KB) on every call; a Canonicalizer
// allocates nothing once its space has grown to the documents it is given,
// which is what a loop over many small documents (the events of an audit
// log) wants.
//
// The output and the errors are exactly those of the one-shot functions
// for the same input. The zero value is ready to use. A Canonicalizer is
// not safe for concurrent use: give each goroutine its own (a worker owns
// one, as it owns its buffers) and do not copy one that has been used. It keeps the largest scratch space a
// document needed, and nothing of the documents themselves: it holds no
// reference to src or to a Visitor after a call returns.
type Canonicalizer struct {
	p parser
}

// Canonicalize is [Canonicalize], on c's scratch space.
func (c *Canonicalizer) Canonicalize(dst, src []byte) ([]byte, error) {
	return c.p.canonicalize(dst, src, false, nil, 0)
}

// CanonicalizeObject is [CanonicalizeObject], on c's scratch space.
func (c *Canonicalizer) CanonicalizeObject(dst, src []byte) ([]byte, error) {
	return c.p.canonicalize(dst, src, true, nil, 0)
}

// CanonicalizeObjectVisit is [CanonicalizeObjectVisit], on c's scratch
// space.
func (c *Canonicalizer) CanonicalizeObjectVisit(dst, src []byte, v Visitor, root int) ([]byte, error) {
	return c.p.canonicalize(dst, src, true, v, root)
}

// ownOr returns s if it has outgrown room (a heap slice a document needed,
// not the array of another parser it was copied from), else room.
func ownOr[T any](s, room []T) []T {
	if cap(s) > cap(room) {
		return s
	}
	return room
}
