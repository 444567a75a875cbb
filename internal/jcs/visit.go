package jcs

// A Visitor is told, during [CanonicalizeObjectVisit], about the values it
// selects, so that a caller can read what it needs out of a document while
// it is canonicalised instead of scanning the canonical form again.
//
// The visitor chooses values by state: a non-zero int it gives the value
// (the top-level object has the state passed to CanonicalizeObjectVisit).
// For each member of an object in a non-zero state Member is called, and
// for each element of such an array Element, to choose the state of the
// member's or element's value; 0 skips the value and everything in it,
// which then costs nothing more. When a value in a non-zero state is
// complete, Value is called with that state and the value's canonical form.
//
// The byte slices passed are only valid during the call (later sorting
// moves them in the output) and must not be modified. Calls come in input
// order, which for object members is not the canonical order. When
// canonicalisation fails, the calls made so far describe a prefix of the
// input and should be discarded.
type Visitor interface {
	// Member chooses the state of the value of the member of the object in
	// state object, whose name is given as the canonical form writes it,
	// between its quotes (escaped only where RFC 8785 escapes).
	Member(object int, name []byte) int
	// Element chooses the state of the element at index of the array in
	// state array.
	Element(array, index int) int
	// Value is called when the value in state is complete, with its
	// canonical form.
	Value(state int, canonical []byte)
}

// CanonicalizeObjectVisit is [CanonicalizeObject], telling v about the
// values it selects as it goes, starting from the top-level object in state
// root (which must be non-zero for v to be called at all). The output and
// the errors are those of CanonicalizeObject for the same input; a nil v
// makes it CanonicalizeObject.
func CanonicalizeObjectVisit(dst, src []byte, v Visitor, root int) ([]byte, error) {
	return canonicalize(dst, src, true, v, root)
}
