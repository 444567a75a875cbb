package memstore

import "slices"

// omap is an immutable ordered map from keys (tuples of column values) to
// values: the storage of one table's rows, or of one of its unique keys.
// Set returns a new map that shares everything it did not change, so a
// transaction can write to its own version while readers keep the one
// they started with.
//
// It is a two-level B-tree: a sorted list of chunks, each a sorted list of
// at most maxChunk entries. A set copies the chunk list and the one chunk it
// changes: O(n/maxChunk + maxChunk), which for the tables of a governance
// store (thousands to a million rows) is a few microseconds.
type omap struct {
	chunks []*chunk
	size   int
}

// maxChunk is the most entries a chunk holds before a set splits it.
const maxChunk = 512

// chunk is a sorted run of entries. A chunk in a published omap is never
// changed.
type chunk struct {
	entries []entry
}

// entry is one key and its value: a row for a table, the primary key of a
// row for a unique key.
type entry struct {
	key []any
	val []any
}

// pos is the position of an entry: chunk c, entry e.
type pos struct{ c, e int }

// lowerBound returns the position of the first entry whose key's first
// len(key) values are ≥ key, or the end.
func (m *omap) lowerBound(key []any) pos {
	c, _ := slices.BinarySearchFunc(m.chunks, key, func(ch *chunk, k []any) int {
		return compareKeys(ch.entries[len(ch.entries)-1].key, k)
	})
	if c == len(m.chunks) {
		return pos{c: c}
	}
	e, _ := slices.BinarySearchFunc(m.chunks[c].entries, key, func(en entry, k []any) int {
		return compareKeys(en.key, k)
	})
	return pos{c, e}
}

// upperBound returns the position of the first entry whose key's first
// len(key) values are > key, or the end.
func (m *omap) upperBound(key []any) pos {
	c, _ := slices.BinarySearchFunc(m.chunks, key, func(ch *chunk, k []any) int {
		if compareKeys(ch.entries[len(ch.entries)-1].key, k) <= 0 {
			return -1
		}
		return 1
	})
	if c == len(m.chunks) {
		return pos{c: c}
	}
	e, _ := slices.BinarySearchFunc(m.chunks[c].entries, key, func(en entry, k []any) int {
		if compareKeys(en.key, k) <= 0 {
			return -1
		}
		return 1
	})
	return pos{c, e}
}

// get returns the value stored under key.
func (m *omap) get(key []any) ([]any, bool) {
	p := m.lowerBound(key)
	if p.c == len(m.chunks) {
		return nil, false
	}
	en := m.chunks[p.c].entries[p.e]
	if len(en.key) != len(key) || compareKeys(en.key, key) != 0 {
		return nil, false
	}
	return en.val, true
}

// set returns a map holding val under key, and everything else m holds.
func (m *omap) set(key, val []any) *omap {
	out := &omap{chunks: slices.Clone(m.chunks), size: m.size}
	if len(out.chunks) == 0 {
		out.chunks = []*chunk{{entries: []entry{{key, val}}}}
		out.size = 1
		return out
	}
	p := m.lowerBound(key)
	if p.c == len(m.chunks) { // after every key: append to the last chunk
		p = pos{c: len(m.chunks) - 1, e: len(m.chunks[len(m.chunks)-1].entries)}
	}
	old := m.chunks[p.c].entries
	var entries []entry
	if p.e < len(old) && compareKeys(old[p.e].key, key) == 0 && len(old[p.e].key) == len(key) {
		entries = slices.Clone(old)
		entries[p.e] = entry{key, val}
	} else {
		entries = make([]entry, 0, len(old)+1)
		entries = append(entries, old[:p.e]...)
		entries = append(entries, entry{key, val})
		entries = append(entries, old[p.e:]...)
		out.size++
	}
	if len(entries) <= maxChunk {
		out.chunks[p.c] = &chunk{entries: entries}
		return out
	}
	half := len(entries) / 2
	out.chunks = slices.Replace(out.chunks, p.c, p.c+1,
		&chunk{entries: entries[:half:half]}, &chunk{entries: entries[half:]})
	return out
}

// ascend calls fn with each entry from p to the end, in key order, until
// fn returns false.
func (m *omap) ascend(p pos, fn func(en *entry) bool) {
	for c := p.c; c < len(m.chunks); c++ {
		es := m.chunks[c].entries
		e := 0
		if c == p.c {
			e = p.e
		}
		for ; e < len(es); e++ {
			if !fn(&es[e]) {
				return
			}
		}
	}
}

// descend calls fn with each entry before p, in reverse key order, until
// fn returns false.
func (m *omap) descend(p pos, fn func(en *entry) bool) {
	for c := min(p.c, len(m.chunks)-1); c >= 0; c-- {
		es := m.chunks[c].entries
		e := len(es) - 1
		if c == p.c {
			e = p.e - 1
		}
		for ; e >= 0; e-- {
			if !fn(&es[e]) {
				return
			}
		}
	}
}

// end is the position after the last entry.
func (m *omap) end() pos { return pos{c: len(m.chunks)} }
