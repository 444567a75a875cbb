package jcs

import "cmp"

// compareUTF16 compares two valid UTF-8 strings as sequences of UTF-16 code
// units, the member order RFC 8785 prescribes. It returns -1, 0 or +1.
//
// Byte order of UTF-8 equals code point order, and code point order equals
// UTF-16 order except when a character in U+E000..U+FFFF meets one at or
// above U+10000: UTF-16 encodes the latter with a leading surrogate in
// U+D800..U+DBFF, so it sorts first. Only the first differing byte decides.
// If it is a continuation byte, both characters there share their lead byte
// and so their length, and byte order is exact. If it is a lead byte, the
// exception is exactly a 3-byte lead EE or EF (U+E000..U+FFFF) against a
// 4-byte lead F0..F4 (U+10000 and up). Continuation bytes are below 0xC0, so
// a byte >= 0xEE is always a lead byte.
func compareUTF16(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		return cmp.Compare(len(a), len(b))
	}
	ca, cb := a[i], b[i]
	if ca >= 0xEE && cb >= 0xEE && (ca >= 0xF0) != (cb >= 0xF0) {
		if ca >= 0xF0 {
			return -1
		}
		return 1
	}
	return cmp.Compare(ca, cb)
}
