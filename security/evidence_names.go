package security

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"strings"
	"unicode/utf8"
)

// nameProblem is what is wrong with n as the name of an artifact or
// subject, "" when nothing is, duplicates aside; ok is false when the name
// is absent or not a string. ASCII names, nearly all, are judged byte by
// byte, the others as strings: the same judgement either way.
func nameProblem[S ~string | ~[]byte](n S, ok bool) string {
	if !ok {
		return nameRequired
	}
	blank, control := true, false
	for i := range len(n) {
		c := n[i]
		if c >= utf8.RuneSelf {
			return nameProblemString(string(n))
		}
		blank = blank && (c == ' ' || '\t' <= c && c <= '\r')
		control = control || c < 0x20 || c == 0x7f
	}
	switch {
	case blank:
		return nameRequired
	case len(n) > MaxArtifactNameLength:
		return nameTooLong
	case control:
		return nameControl
	}
	return ""
}

// nameProblemString is nameProblem for any name.
func nameProblemString(n string) string {
	switch {
	case strings.TrimSpace(n) == "":
		return nameRequired
	case len(n) > MaxArtifactNameLength:
		return nameTooLong
	case strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }):
		return nameControl
	}
	return ""
}

const (
	nameRequired = "required, a non-empty string"
	nameControl  = "must be valid UTF-8 without control characters"
)

var nameTooLong = fmt.Sprintf("longer than %d bytes", MaxArtifactNameLength)

// nameErr is the error for the name of the artifact or subject at field().
func nameErr(field func() string, reason string) error {
	return fieldErr(field()+".name", reason, nil)
}

// duplicateNameErr is the error for a name listed twice.
func duplicateNameErr(field func() string, n string) error {
	return nameErr(field, fmt.Sprintf("artifact %q is listed twice", n))
}

// nameSet is the set of the names a list has accepted, kept as spans of a
// scan's names: a hash table of indexes into spans, with a seed of its own.
type nameSet struct {
	seed  maphash.Seed
	slots []int32 // 1 + an index into spans, 0 for an empty slot; a power of two long
	spans []span
}

// add adds the name at sp in names, reporting false, and adding nothing,
// when the set holds it already.
func (ns *nameSet) add(names []byte, sp span) bool {
	if 2*(len(ns.spans)+1) > len(ns.slots) {
		ns.grow(names)
	}
	name := names[sp.start:sp.end]
	mask := len(ns.slots) - 1
	for i := int(maphash.Bytes(ns.seed, name)) & mask; ; i = (i + 1) & mask {
		j := ns.slots[i]
		if j == 0 {
			ns.spans = append(ns.spans, sp)
			ns.slots[i] = int32(len(ns.spans))
			return true
		}
		if o := ns.spans[j-1]; bytes.Equal(names[o.start:o.end], name) {
			return false
		}
	}
}

func (ns *nameSet) grow(names []byte) {
	if ns.slots == nil {
		ns.seed = maphash.MakeSeed()
		ns.slots = make([]int32, 128)
		ns.spans = make([]span, 0, 64)
		return
	}
	ns.slots = make([]int32, 2*len(ns.slots))
	mask := len(ns.slots) - 1
	for j, sp := range ns.spans {
		i := int(maphash.Bytes(ns.seed, names[sp.start:sp.end])) & mask
		for ns.slots[i] != 0 {
			i = (i + 1) & mask
		}
		ns.slots[i] = int32(j + 1)
	}
}
