// Package jcs implements the JSON Canonicalization Scheme (JCS) of RFC 8785.
//
// JCS defines one byte-exact serialisation of a JSON value, so that a
// document can be hashed or signed and later verified regardless of how the
// producer formatted it. The canonical form is:
//
//   - no insignificant whitespace;
//   - object members sorted recursively by member name, compared as arrays
//     of UTF-16 code units (so a character above U+FFFF sorts by its
//     surrogate pair, before U+E000..U+FFFF);
//   - strings serialised as ECMAScript's JSON.stringify does: only '"', '\'
//     and the control characters U+0000..U+001F are escaped (\b \t \n \f \r
//     where available, otherwise \u00xx with lowercase hex); everything else,
//     including U+007F and U+2028/U+2029, is written literally as UTF-8;
//   - numbers parsed as IEEE-754 doubles and serialised as ECMAScript's
//     Number.prototype.toString does: the shortest digits that round-trip,
//     in plain decimal notation when 1e-6 <= |x| < 1e21 and in exponent
//     notation (such as 1e+21 or 1.5e-7) otherwise; -0 becomes 0;
//   - the literals true, false and null unchanged.
//
// [Canonicalize] accepts any JSON value; [CanonicalizeObject] additionally
// requires the top-level value to be an object, as evidence data must be.
// Both append to a caller-supplied buffer and make few allocations.
// [CanonicalizeObjectVisit] also shows a [Visitor] the values it asks for
// as they are canonicalised, so that a caller reads what it needs out of a
// document in the same pass.
//
// # What is rejected
//
// RFC 8785 requires its input to be I-JSON (RFC 7493), so beyond plain
// RFC 8259 syntax errors ([ErrInvalidJSON]) the canonicaliser rejects:
//
//   - objects with two members of the same name, compared after unescaping,
//     so "a" and "\u0061" collide ([ErrDuplicateKey]): the meaning of such a
//     document differs between parsers, so it cannot have one canonical form;
//   - strings containing invalid UTF-8 or an unpaired surrogate escape such
//     as "\ud800" ([ErrInvalidUTF8]): they have no UTF-16 ordering and no
//     faithful UTF-8 serialisation;
//   - numbers whose magnitude exceeds the largest finite double, such as
//     1e400 ([ErrNumberRange]): IEEE-754 has no finite value for them.
//     Numbers too small to represent round to zero, as in ECMAScript;
//   - values nested more than [MaxDepth] arrays and objects deep
//     ([ErrTooDeep]), so hostile input cannot exhaust the stack.
//
// The number grammar is applied strictly: leading zeros (01), a leading plus
// sign, a bare or trailing decimal point (.5, 1.), hexadecimal and the
// NaN/Infinity literals are all [ErrInvalidJSON]. A byte order mark is not
// accepted either.
//
// # Cost
//
// Canonicalisation is a single pass over the input that writes the output
// directly, copying in runs what is canonical as it stands (names and
// strings without escapes, integers, literals, punctuation) and writing
// only what changes: a 20 KB document takes tens of microseconds and,
// given an output buffer with room, one or two allocations (the parser and
// its first scratch space; no pools, no state kept between calls). A
// [Canonicalizer] keeps that scratch space from one call to the next, for
// a caller that canonicalises many documents on one goroutine (a worker
// checking an audit log's events owns one): once its space has grown it
// allocates nothing, and its output and errors are the functions'. An
// object whose members are out of order is put in order when it closes, by
// rotating each member to its place or, when that would move more than
// twice the object's bytes, by rewriting it once, so the worst case is a
// few times the input size times the nesting depth of such objects (at
// most [MaxDepth]); callers taking untrusted input should bound
// its size. The functions are safe for concurrent use; a Canonicalizer is
// not.
//
// Every rejection is reported as a [*SyntaxError] carrying the byte offset
// of the problem and a reason; it wraps one of the sentinel errors above for
// use with [errors.Is]. No input makes the package panic.
package jcs
