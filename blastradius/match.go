package blastradius

import (
	"strings"
	"unicode"
)

// Keyword matching works on words: maximal runs of Unicode letters and
// digits. Everything else (spaces, punctuation, symbols, invalid UTF-8)
// separates words. Words compare with strings.EqualFold, that is under
// Unicode simple case folding.

// span is the byte range of one word in a string.
type span struct{ start, end int }

// isWordRune reports whether r belongs to a word.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// appendWords appends the spans of the words of s to dst and returns it.
func appendWords(dst []span, s string) []span {
	start := -1
	for i, r := range s {
		switch {
		case isWordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			dst = append(dst, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, span{start, len(s)})
	}
	return dst
}

// splitWords returns the words of s.
func splitWords(s string) []string {
	spans := appendWords(nil, s)
	words := make([]string, len(spans))
	for i, sp := range spans {
		words[i] = s[sp.start:sp.end]
	}
	return words
}

// text is a string split into words.
type text struct {
	s     string
	words []span
}

// contains reports whether the words of phrase occur in t consecutively,
// ignoring case.
func (t text) contains(phrase []string) bool {
	n := len(phrase)
outer:
	for i := 0; i+n <= len(t.words); i++ {
		for j, p := range phrase {
			w := t.words[i+j]
			if !strings.EqualFold(t.s[w.start:w.end], p) {
				continue outer
			}
		}
		return true
	}
	return false
}
