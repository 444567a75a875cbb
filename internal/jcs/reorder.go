package jcs

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// insertionSortMax is the member count up to which objects are sorted by
// insertion sort, which also finds duplicates as it goes.
const insertionSortMax = 12

// order checks the members ms of the object just read for duplicate
// names and works out their canonical order: in *ord, when there are up to
// insertionSortMax of them (ms stay in input order), or else by sorting ms.
// moved reports whether that order differs from the input's.
func (p *parser) order(ms []member, ord *[insertionSortMax]uint8) (moved bool, err error) {
	if len(ms) <= insertionSortMax {
		if p.last.sameNames(ms) {
			*ord = p.last.ord
			return p.last.moved, nil
		}
		// Sort the members' indices. Inserting into a strictly increasing
		// prefix, the first element not greater than the new one is equal
		// to it if any element is.
		for i := range ms {
			ord[i] = uint8(i)
		}
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0; j-- {
				a, b := &ms[ord[j-1]], &ms[ord[j]]
				var c int
				if a.prefix != b.prefix {
					c = comparePrefixes(a.prefix, b.prefix)
				} else {
					c = compareUTF16(p.key(a), p.key(b))
				}
				if c == 0 {
					return false, p.duplicate(a, b)
				}
				if c < 0 {
					break
				}
				ord[j-1], ord[j] = ord[j], ord[j-1]
				moved = true
			}
		}
		p.last.remember(ms, ord, moved)
		return moved, nil
	}
	for i := 1; i < len(ms) && !moved; i++ {
		moved = p.compareKeys(&ms[i-1], &ms[i]) >= 0
	}
	if moved {
		slices.SortFunc(ms, func(a, b member) int { return p.compareKeys(&a, &b) })
	}
	for i := 1; i < len(ms); i++ {
		if p.compareKeys(&ms[i-1], &ms[i]) == 0 {
			return false, p.duplicate(&ms[i-1], &ms[i])
		}
	}
	return moved, nil
}

// reorder rewrites blocks, the output from the object's first member on,
// each member written as `"name":value,`, in the order order worked out.
// ms hold offsets in the output, where blocks begin at objStart.
func (p *parser) reorder(blocks []byte, ms []member, ord *[insertionSortMax]uint8, objStart int) {
	switch {
	case len(ms) > insertionSortMax:
		p.rewrite(blocks, ms, objStart)
	case len(blocks) <= len(p.tmpSpace):
		// Small, as most objects are: copying it aside and back, from the
		// first member out of place on, costs less than working out the
		// rotations.
		k := 0
		for int(ord[k]) == k {
			k++
		}
		from := ms[k].start - objStart
		tmp := append(p.scratch(len(blocks)-from), blocks[from:]...)
		w := from
		for _, i := range ord[k:len(ms)] {
			w += copy(blocks[w:], tmp[ms[i].start-objStart-from:ms[i].end+1-objStart-from])
		}
		p.tmp = tmp
	default:
		p.permute(blocks, ms, ord[:len(ms)], objStart)
	}
}

// rewrite copies blocks aside and writes them back in the order of ms.
func (p *parser) rewrite(blocks []byte, ms []member, objStart int) {
	tmp := p.scratch(len(blocks))
	tmp = append(tmp, blocks...)
	w := 0
	for i := range ms {
		w += copy(blocks[w:], tmp[ms[i].start-objStart:ms[i].end+1-objStart])
	}
	p.tmp = tmp
}

// permute puts the blocks of ms, now in input order, in the order ord by
// rotating each, in turn, to the front of those not yet placed. That moves
// only the bytes between a block and its place, and needs scratch space the
// size of the shorter of the two, where rewriting a large object (the whole
// document, often) would need its size; an object whose rotations would
// move more than twice its bytes is rewritten through a copy instead.
func (p *parser) permute(blocks []byte, ms []member, ord []uint8, objStart int) {
	var cur [insertionSortMax]uint8 // block indices in their present order
	size := func(i uint8) int { return ms[i].end + 1 - ms[i].start }
	for pass := range 2 {
		for i := range ms {
			cur[i] = uint8(i)
		}
		moved, cursor := 0, 0
		for k, t := range ord {
			j, left := k, 0
			for cur[j] != t {
				left += size(cur[j])
				j++
			}
			right := size(t)
			if left > 0 {
				if pass == 0 {
					moved += left + right
				} else {
					p.rotate(blocks[cursor:cursor+left+right], left)
				}
				copy(cur[k+1:j+1], cur[k:j])
				cur[k] = t
			}
			cursor += right
		}
		if pass == 0 && moved > 2*len(blocks) {
			var sorted [insertionSortMax]member
			for k, i := range ord {
				sorted[k] = ms[i]
			}
			p.rewrite(blocks, sorted[:len(ord)], objStart)
			return
		}
	}
}

// rotate turns b, made of left bytes and then the rest, into the rest and
// then the left bytes.
func (p *parser) rotate(b []byte, left int) {
	right := len(b) - left
	if right <= left {
		tmp := append(p.scratch(right), b[left:]...)
		copy(b[right:], b[:left])
		copy(b, tmp)
		p.tmp = tmp
		return
	}
	tmp := append(p.scratch(left), b[:left]...)
	copy(b, b[left:])
	copy(b[right:], tmp)
	p.tmp = tmp
}

// scratch returns p.tmp emptied, with room for n bytes.
func (p *parser) scratch(n int) []byte {
	if cap(p.tmp) < n {
		p.tmp = make([]byte, 0, max(n, 4<<10))
	}
	return p.tmp[:0]
}

// comparePrefixes compares two names by their first eight bytes,
// big-endian and zero-padded, which differ: as compareUTF16 compares the
// names (a name that ends there is shorter than the other, and sorts
// first, as the zero padding does).
func comparePrefixes(a, b uint64) int {
	shift := 56 - bits.LeadingZeros64(a^b)&^7 // to the first byte that differs
	if ca, cb := byte(a>>shift), byte(b>>shift); ca >= 0xEE && cb >= 0xEE && (ca >= 0xF0) != (cb >= 0xF0) {
		if ca >= 0xF0 {
			return -1
		}
		return 1
	}
	if a < b {
		return -1
	}
	return 1
}

// prefix8 is a name's first eight bytes, big-endian, zero-padded.
func prefix8(k []byte) uint64 {
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
}

// lastOrder remembers the names of the last object ordered, when they are
// all short enough for their prefixes to be the whole names, and the order
// worked out: the objects of an array mostly have the same names in the
// same order, and comparing names for equality is cheaper than sorting
// them. (Names equal to another object's have no duplicates either.)
type lastOrder struct {
	n        int // 0: nothing remembered
	prefixes [insertionSortMax]uint64
	lengths  [insertionSortMax]int
	ord      [insertionSortMax]uint8
	moved    bool
}

func (l *lastOrder) sameNames(ms []member) bool {
	if l.n != len(ms) {
		return false
	}
	for i := range ms {
		if ms[i].prefix != l.prefixes[i] || ms[i].kEnd-ms[i].kStart != l.lengths[i] {
			return false
		}
	}
	return true
}

func (l *lastOrder) remember(ms []member, ord *[insertionSortMax]uint8, moved bool) {
	l.n = 0
	for i := range ms {
		n := ms[i].kEnd - ms[i].kStart
		if n > 8 {
			return
		}
		l.prefixes[i], l.lengths[i] = ms[i].prefix, n
	}
	l.n, l.ord, l.moved = len(ms), *ord, moved
}
