package auditlog_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// benchSize is the log of the bars: a million events.
const benchSize = 1 << 20

// benchLog builds a log of n leaves in memory with Tree, its stored
// hashes in a slice (about 2n of them), and the leaf data of each: the
// setup of the benchmarks, outside their timers.
func benchLog(b *testing.B, n int64) (*testLog, hashSlice) {
	b.Helper()
	start := time.Now()
	var tr auditlog.Tree
	stored := make(hashSlice, 0, 2*n)
	leaves := make([][]byte, n)
	for i := range n {
		leaves[i] = binary.BigEndian.AppendUint64([]byte("event "), uint64(i))
		hs, err := tr.Append(leaves[i])
		if err != nil {
			b.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	if d := time.Since(start); d > 5*time.Second {
		b.Fatalf("building a tree of %d leaves took %v, more than 5 s", n, d)
	}
	s := mustSigner(b, testOrigin, edKey(1))
	return &testLog{signer: s, trust: testTrust(b, s), leaves: leaves, hashes: stored}, stored
}

func BenchmarkTreeAppend(b *testing.B) {
	data := []byte("an audit event's canonical bytes, about this long or longer")
	var tr auditlog.Tree
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Append(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProveVerifyInclusion proves a leaf of a million-leaf tree from
// the stored hashes, writes the proof as text, parses it and verifies it
// against the signed checkpoint: what one inclusion check costs, less the
// store's reads.
func BenchmarkProveVerifyInclusion(b *testing.B) {
	l, stored := benchLog(b, benchSize)
	root, err := tlog.TreeHash(benchSize, stored)
	if err != nil {
		b.Fatal(err)
	}
	cp := mustSign(b, auditlog.Checkpoint{Origin: testOrigin, Size: benchSize, Hash: root}, l.signer)
	index := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		index = (index + 7919) % benchSize
		hs, err := auditlog.ProveInclusion(stored, benchSize, index)
		if err != nil {
			b.Fatal(err)
		}
		text := auditlog.InclusionProof{Index: index, Hashes: hs, Checkpoint: cp, Extra: l.leaves[index]}.Marshal()
		p, err := auditlog.ParseInclusionProof(text)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := auditlog.VerifyInclusion(p, l.trust); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyConsistency verifies, with both signed checkpoints, the
// consistency proof between the tree of one leaf and the tree of a
// million.
func BenchmarkVerifyConsistency(b *testing.B) {
	l, stored := benchLog(b, benchSize)
	oldNote, newNote := l.note(b, 1), l.note(b, benchSize)
	p, err := auditlog.ProveConsistency(stored, 1, benchSize)
	if err != nil {
		b.Fatal(err)
	}
	text := p.Marshal()
	b.ReportAllocs()
	for b.Loop() {
		p, err := auditlog.ParseConsistencyProof(text)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := auditlog.VerifyConsistency(p, oldNote, newNote, l.trust); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProveConsistency reads the proof between the tree of one leaf
// and the tree of a million from the stored hashes.
func BenchmarkProveConsistency(b *testing.B) {
	_, stored := benchLog(b, benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auditlog.ProveConsistency(stored, 1, benchSize); err != nil {
			b.Fatal(err)
		}
	}
}
