package security

import "encoding/binary"

// digestValid reports what digestFast's ok would be for raw, without
// decoding the digest: checking a package needs only that its artifacts'
// digests are digests, and testing eight digits at once is quicker than
// decoding them.
func digestValid(raw []byte) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	inner := raw[1 : len(raw)-1]
	if len(inner) == len(ociPrefix)+64 && string(inner[:len(ociPrefix)]) == ociPrefix {
		return hexDigits64(inner[len(ociPrefix):], true)
	}
	return len(inner) == 64 && hexDigits64(inner, false)
}

// hexDigits64 reports whether b is 64 hex digits, lower case only when
// lowerOnly is set. For eight bytes x under 0x80, the high bit of each
// byte of x + (0x80-lo)*ones is set when the byte is lo or more, and that
// of x + (0x7f-hi)*ones when it is more than hi; neither sum carries from
// one byte to the next.
func hexDigits64(b []byte, lowerOnly bool) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	if len(b) != 64 {
		return false
	}
	for i := 0; i < 64; i += 8 {
		x := binary.LittleEndian.Uint64(b[i : i+8])
		if x&high != 0 {
			return false
		}
		in := func(lo, hi uint64) uint64 { return (x + ones*(0x80-lo)) &^ (x + ones*(0x7f-hi)) & high }
		ok := in('0', '9') | in('a', 'f')
		if !lowerOnly {
			ok |= in('A', 'F')
		}
		if ok != high {
			return false
		}
	}
	return true
}
