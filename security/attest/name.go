package attest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxNameLength bounds a member's or submitter's name, in bytes, after
// normalisation.
const MaxNameLength = 256

// NormalizeName returns the form of a person's name that trustgate stores
// and compares: surrounding white space trimmed, Unicode case folded (full
// folding, so "Straße" and "STRASSE" are one name) and then composed to
// NFC, so that "Alice ", "ALICE" and "alice" are one person and a name
// written with a combining accent equals the same name precomposed. Every
// separation-of-duties check and every count of distinct members compares
// these forms, never the bytes as typed.
//
// It does not judge the name: [CheckName] does.
func NormalizeName(s string) string {
	s = strings.TrimFunc(s, unicode.IsSpace)
	if isASCIILowerPrintable(s) {
		return s // already normal: the common case costs no allocation
	}
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(s)))
}

// isASCIILowerPrintable reports whether s holds only printable ASCII
// without upper-case letters, which folding and composition leave as it is.
func isASCIILowerPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}

// CheckName normalises s and checks that the result can name a person:
// not empty, valid UTF-8, one line without control characters, at most
// [MaxNameLength] bytes. It returns the normal form, or an error with code
// trustgate.Invalid naming field.
func CheckName(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fieldErr(field, "is not valid UTF-8")
	}
	n := NormalizeName(s)
	switch {
	case n == "":
		return "", fieldErr(field, "is required")
	case len(n) > MaxNameLength:
		return "", fieldErr(field, "is longer than 256 bytes")
	case strings.ContainsFunc(n, func(r rune) bool { return unicode.IsControl(r) }):
		return "", fieldErr(field, "must be a single line without control characters")
	}
	return n, nil
}
