package jcs

import "bytes"

// Members calls fn for each top-level member of src, a JSON object in
// canonical form (as produced by [Canonicalize]), with the member's raw name
// (the bytes between the quotes, still escaped) and the raw bytes of its
// value. It stops at the first error fn returns and returns it.
//
// Members is a fast way to pick a few members out of a large canonical
// document without decoding the rest. It relies on the canonical form (no
// whitespace) and does not validate what it skips, but it never reads out
// of bounds: input that is not a canonical object is an [ErrInvalidJSON]
// [*SyntaxError].
func Members(src []byte, fn func(name, value []byte) error) error {
	if len(src) < 2 || src[0] != '{' || src[len(src)-1] != '}' {
		return &SyntaxError{Offset: 0, Reason: "not a canonical JSON object", Err: ErrInvalidJSON}
	}
	i := 1
	if src[i] == '}' {
		if i+1 != len(src) {
			return &SyntaxError{Offset: int64(i + 1), Reason: "data after the object", Err: ErrInvalidJSON}
		}
		return nil
	}
	for {
		if src[i] != '"' {
			return &SyntaxError{Offset: int64(i), Reason: "expected a member name", Err: ErrInvalidJSON}
		}
		end, ok := skipString(src, i)
		if !ok || end >= len(src) || src[end] != ':' {
			return &SyntaxError{Offset: int64(i), Reason: "malformed member name", Err: ErrInvalidJSON}
		}
		name := src[i+1 : end-1]
		vstart := end + 1
		vend, ok := skipValue(src, vstart)
		if !ok || vend >= len(src) {
			return &SyntaxError{Offset: int64(vstart), Reason: "malformed member value", Err: ErrInvalidJSON}
		}
		if err := fn(name, src[vstart:vend]); err != nil {
			return err
		}
		switch src[vend] {
		case ',':
			i = vend + 1
			if i >= len(src)-1 {
				return &SyntaxError{Offset: int64(i), Reason: "trailing comma", Err: ErrInvalidJSON}
			}
		case '}':
			if vend != len(src)-1 {
				return &SyntaxError{Offset: int64(vend + 1), Reason: "data after the object", Err: ErrInvalidJSON}
			}
			return nil
		default:
			return &SyntaxError{Offset: int64(vend), Reason: "expected ',' or '}'", Err: ErrInvalidJSON}
		}
	}
}

// skipString returns the index just past the string starting at src[i]
// (which must be '"'). It jumps between quotes with bytes.IndexByte and
// counts the backslashes before each to tell an escaped quote.
func skipString(src []byte, i int) (int, bool) {
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		bs := 0
		for p := q - 1; p > i && src[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
}

// skipValue returns the index just past the value starting at src[i].
func skipValue(src []byte, i int) (int, bool) {
	if i >= len(src) {
		return 0, false
	}
	switch src[i] {
	case '"':
		return skipString(src, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(src); j++ {
			switch src[j] {
			case '"':
				end, ok := skipString(src, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	default:
		j := i
		for j < len(src) && src[j] != ',' && src[j] != '}' && src[j] != ']' {
			j++
		}
		return j, j > i
	}
}

// Elements calls fn with the raw bytes of each element of src, a JSON array
// in canonical form. Like [Members] it does not validate what it skips and
// never reads out of bounds; input that is not a canonical array is an
// [ErrInvalidJSON] [*SyntaxError].
func Elements(src []byte, fn func(value []byte) error) error {
	if len(src) < 2 || src[0] != '[' || src[len(src)-1] != ']' {
		return &SyntaxError{Offset: 0, Reason: "not a canonical JSON array", Err: ErrInvalidJSON}
	}
	if len(src) == 2 {
		return nil
	}
	i := 1
	for {
		end, ok := skipValue(src, i)
		if !ok || end >= len(src) {
			return &SyntaxError{Offset: int64(i), Reason: "malformed array element", Err: ErrInvalidJSON}
		}
		if err := fn(src[i:end]); err != nil {
			return err
		}
		switch src[end] {
		case ',':
			i = end + 1
			if i >= len(src)-1 {
				return &SyntaxError{Offset: int64(i), Reason: "trailing comma", Err: ErrInvalidJSON}
			}
		case ']':
			if end != len(src)-1 {
				return &SyntaxError{Offset: int64(end + 1), Reason: "data after the array", Err: ErrInvalidJSON}
			}
			return nil
		default:
			return &SyntaxError{Offset: int64(end), Reason: "expected ',' or ']'", Err: ErrInvalidJSON}
		}
	}
}
