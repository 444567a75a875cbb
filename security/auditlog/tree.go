package auditlog

import (
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree appends leaves in memory and keeps only what later appends and the
// root need: one stored hash per level, O(log n) in all. It computes, with
// tlog, the stored hashes a store writes for each leaf, so a store can
// build or check its tree in one pass over its log, and it is how
// verification recomputes the root of a million-event log without holding
// it. The zero value is an empty tree.
type Tree struct {
	size     int64
	frontier [64]frontierNode // per level: the last node completed there
}

type frontierNode struct {
	index int64 // the node's index at its level
	hash  tlog.Hash
	ok    bool
}

// ResumeTree returns the tree of size leaves whose stored hashes r reads:
// it reads the O(log n) hashes later appends need.
func ResumeTree(size int64, r tlog.HashReader) (*Tree, error) {
	t := &Tree{size: size}
	if size <= 0 {
		if size < 0 {
			return nil, fmt.Errorf("auditlog: a tree cannot have %d leaves", size)
		}
		return t, nil
	}
	var indexes []int64
	var levels []int
	for l := 0; l < 64 && size>>uint(l) > 0; l++ {
		levels = append(levels, l)
		indexes = append(indexes, tlog.StoredHashIndex(l, size>>uint(l)-1))
	}
	hashes, err := r.ReadHashes(indexes)
	if err != nil {
		return nil, fmt.Errorf("auditlog: reading the tree's frontier at %d leaves: %w", size, err)
	}
	if len(hashes) != len(indexes) {
		return nil, fmt.Errorf("auditlog: reading the tree's frontier: %d hashes for %d indexes", len(hashes), len(indexes))
	}
	for i, l := range levels {
		t.frontier[l] = frontierNode{index: size>>uint(l) - 1, hash: hashes[i], ok: true}
	}
	return t, nil
}

// Size returns the number of leaves.
func (t *Tree) Size() int64 { return t.size }

// Append adds the leaf with the given data and returns the hashes a store
// keeps for it (tlog.StoredHashes), starting at
// tlog.StoredHashIndex(0, index of the leaf).
func (t *Tree) Append(data []byte) ([]tlog.Hash, error) {
	return t.AppendHash(tlog.RecordHash(data))
}

// AppendHash is [Tree.Append] for a leaf given by its leaf hash.
func (t *Tree) AppendHash(leaf tlog.Hash) ([]tlog.Hash, error) {
	n := t.size
	hashes, err := tlog.StoredHashesForRecordHash(n, leaf, t)
	if err != nil {
		return nil, err
	}
	for l, h := range hashes {
		t.frontier[l] = frontierNode{index: (n+1)>>uint(l) - 1, hash: h, ok: true}
	}
	t.size++
	return hashes, nil
}

// Root returns the RFC 6962 root hash of the tree (tlog.TreeHash).
func (t *Tree) Root() (tlog.Hash, error) { return tlog.TreeHash(t.size, t) }

// ReadHashes implements tlog.HashReader over the frontier: the hashes an
// append or the root needs, and no others.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 { // tlog.SplitStoredHashIndex panics on it
			return nil, fmt.Errorf("auditlog: hash index %d is negative", idx)
		}
		l, n := tlog.SplitStoredHashIndex(idx)
		if l >= len(t.frontier) || !t.frontier[l].ok || t.frontier[l].index != n {
			return nil, fmt.Errorf("auditlog: hash %d (level %d, node %d) is not on the frontier of a tree of %d leaves", idx, l, n, t.size)
		}
		out[i] = t.frontier[l].hash
	}
	return out, nil
}

// StoredRecord returns the zero-based leaf whose append stores the hash at
// the given stored-hash index, and the hash's position among that leaf's
// stored hashes (its level): how a store that keeps each leaf's stored
// hashes together finds one.
func StoredRecord(index int64) (leaf int64, position int) {
	l, n := tlog.SplitStoredHashIndex(index)
	return (n+1)<<uint(l) - 1, l
}

// StoredCount returns how many hashes leaf (zero-based) stores:
// 1 + the number of subtrees its append completes.
func StoredCount(leaf int64) int { return 1 + bits.TrailingZeros64(uint64(leaf+1)) }
