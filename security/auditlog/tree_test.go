package auditlog_test

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// mapReader is the oracle's store: every stored hash, by index, as
// tlog.StoredHashes computed them.
type mapReader map[int64]tlog.Hash

func (m mapReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := m[x]
		if !ok {
			return nil, errors.New("hash not stored")
		}
		out[i] = h
	}
	return out, nil
}

// oracle stores leaves 0…n-1 with tlog.StoredHashes alone.
func oracle(t testing.TB, n int64) mapReader {
	t.Helper()
	m := make(mapReader)
	for i := range n {
		hs, err := tlog.StoredHashes(i, leafData(i), m)
		if err != nil {
			t.Fatalf("tlog.StoredHashes(%d): %v", i, err)
		}
		for j, h := range hs {
			m[tlog.StoredHashIndex(0, i)+int64(j)] = h
		}
	}
	return m
}

func oracleRoot(t testing.TB, m mapReader, n int64) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, m)
	if err != nil {
		t.Fatalf("tlog.TreeHash(%d): %v", n, err)
	}
	return h
}

// appendChecked appends leaves from.to-1 to tr and checks, after each,
// the stored hashes Append returns and the root against the oracle.
func appendChecked(t *testing.T, tr *auditlog.Tree, m mapReader, from, to int64, everyRoot bool) {
	t.Helper()
	for i := from; i < to; i++ {
		got, err := tr.Append(leafData(i))
		if err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
		want, err := m.ReadHashes(storedRange(i))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Append(%d) stored %x, tlog.StoredHashes %x", i, got, want)
		}
		if tr.Size() != i+1 {
			t.Fatalf("Size() = %d after leaf %d", tr.Size(), i)
		}
		if everyRoot || i == to-1 {
			root, err := tr.Root()
			if err != nil {
				t.Fatalf("Root() at %d: %v", i+1, err)
			}
			if want := oracleRoot(t, m, i+1); root != want {
				t.Fatalf("Root() at %d leaves = %x, tlog.TreeHash %x", i+1, root, want)
			}
		}
	}
}

// storedRange is the indexes of leaf i's stored hashes.
func storedRange(i int64) []int64 {
	var out []int64
	for x := tlog.StoredHashIndex(0, i); x < tlog.StoredHashIndex(0, i+1); x++ {
		out = append(out, x)
	}
	return out
}

func TestTreeRootIsTlogTreeHash(t *testing.T) {
	const n = 70
	m := oracle(t, n)
	var tr auditlog.Tree
	root, err := tr.Root()
	if err != nil || root != oracleRoot(t, m, 0) {
		t.Errorf("the empty tree's root %x, %v; want %x", root, err, oracleRoot(t, m, 0))
	}
	appendChecked(t, &tr, m, 0, n, true)
}

func TestTreeRootAtRandomSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	sizes := []int64{127, 128, 129, 1023, 1024, 1025}
	for range 4 {
		sizes = append(sizes, 1+r.Int64N(3000))
	}
	m := oracle(t, slices.Max(sizes))
	for _, n := range sizes {
		var tr auditlog.Tree
		appendChecked(t, &tr, m, 0, n, false)
	}
}

func TestTreeAppendHashIsAppendOfTheRecordHash(t *testing.T) {
	var a, b auditlog.Tree
	for i := range int64(33) {
		ha, err := a.Append(leafData(i))
		if err != nil {
			t.Fatal(err)
		}
		hb, err := b.AppendHash(tlog.RecordHash(leafData(i)))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ha, hb) {
			t.Fatalf("leaf %d: Append %x, AppendHash %x", i, ha, hb)
		}
	}
	// The empty leaf is a leaf like another.
	var e auditlog.Tree
	if hs, err := e.Append(nil); err != nil || len(hs) != 1 || hs[0] != tlog.RecordHash(nil) {
		t.Errorf("Append(nil) = %x, %v", hs, err)
	}
}

// countingReader counts the hashes read from a reader.
type countingReader struct {
	r    tlog.HashReader
	read int
}

func (c *countingReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	c.read += len(indexes)
	return c.r.ReadHashes(indexes)
}

func TestResumeTreeContinuesTheTree(t *testing.T) {
	const n = 70
	m := oracle(t, n+10)
	for size := range int64(n + 1) {
		cr := &countingReader{r: m}
		tr, err := auditlog.ResumeTree(size, cr)
		if err != nil {
			t.Fatalf("ResumeTree(%d): %v", size, err)
		}
		if cr.read != bits.Len64(uint64(size)) {
			t.Errorf("ResumeTree(%d) read %d hashes, want one per level, %d", size, cr.read, bits.Len64(uint64(size)))
		}
		if tr.Size() != size {
			t.Errorf("Size() = %d, want %d", tr.Size(), size)
		}
		root, err := tr.Root()
		if err != nil || root != oracleRoot(t, m, size) {
			t.Fatalf("resumed at %d: Root() = %x, %v; want %x", size, root, err, oracleRoot(t, m, size))
		}
		appendChecked(t, tr, m, size, n+10, true)
	}
}

// ResumeTree at a large size reads only the frontier, so it needs a store
// of the frontier only.
func TestResumeTreeAtALargeSize(t *testing.T) {
	m := oracle(t, 1<<12+5)
	var want auditlog.Tree
	appendChecked(t, &want, m, 0, 1<<12, false)
	tr, err := auditlog.ResumeTree(1<<12, m)
	if err != nil {
		t.Fatal(err)
	}
	appendChecked(t, tr, m, 1<<12, 1<<12+5, true)
}

// failingReader returns an error, or the wrong number of hashes.
type failingReader struct{ short bool }

func (f failingReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if f.short {
		return make([]tlog.Hash, len(indexes)-1), nil
	}
	return nil, errors.New("the disk is on fire")
}

func TestResumeTreeRejects(t *testing.T) {
	if tr, err := auditlog.ResumeTree(-1, hashSlice(nil)); err == nil {
		t.Errorf("ResumeTree(-1) = %v, want an error", tr)
	}
	if tr, err := auditlog.ResumeTree(5, failingReader{}); err == nil {
		t.Errorf("ResumeTree with a failing reader = %v, want an error", tr)
	}
	if tr, err := auditlog.ResumeTree(5, failingReader{short: true}); err == nil {
		t.Errorf("ResumeTree with a reader returning too few hashes = %v, want an error", tr)
	}
	if tr, err := auditlog.ResumeTree(5, hashSlice(nil)); err == nil {
		t.Errorf("ResumeTree over an empty store = %v, want an error", tr)
	}
}

// The tree reads only its frontier: a hash it does not keep is an error,
// not a zero hash.
func TestTreeReadHashesOnlyTheFrontier(t *testing.T) {
	var tr auditlog.Tree
	for i := range int64(6) {
		if _, err := tr.Append(leafData(i)); err != nil {
			t.Fatal(err)
		}
	}
	m := oracle(t, 6)
	// The tree of 6 leaves keeps node 5 at level 0, 2 at level 1, 0 at level 2.
	frontier := []int64{tlog.StoredHashIndex(0, 5), tlog.StoredHashIndex(1, 2), tlog.StoredHashIndex(2, 0)}
	got, err := tr.ReadHashes(frontier)
	if err != nil {
		t.Fatalf("ReadHashes(frontier): %v", err)
	}
	want, _ := m.ReadHashes(frontier)
	if !slices.Equal(got, want) {
		t.Errorf("frontier %x, want %x", got, want)
	}
	for _, x := range []int64{tlog.StoredHashIndex(0, 4), tlog.StoredHashIndex(1, 1), tlog.StoredHashIndex(0, 6), tlog.StoredHashIndex(3, 0), tlog.StoredHashIndex(40, 0), -1, -1 << 63} {
		if hs, err := tr.ReadHashes([]int64{x}); err == nil {
			t.Errorf("ReadHashes([%d]) = %x, want an error", x, hs)
		}
	}
}

func TestStoredRecordAndStoredCountAgreeWithTlog(t *testing.T) {
	// Against tlog.StoredHashes itself for the first leaves.
	const n = 2100
	m := oracle(t, n)
	for leaf := range int64(n) {
		hs, err := tlog.StoredHashes(leaf, leafData(leaf), m)
		if err != nil {
			t.Fatal(err)
		}
		if got := auditlog.StoredCount(leaf); got != len(hs) {
			t.Fatalf("StoredCount(%d) = %d, len(tlog.StoredHashes) = %d", leaf, got, len(hs))
		}
		first := tlog.StoredHashIndex(0, leaf)
		for pos := range hs {
			if l, p := auditlog.StoredRecord(first + int64(pos)); l != leaf || p != pos {
				t.Fatalf("StoredRecord(%d) = %d, %d; want leaf %d, position %d", first+int64(pos), l, p, leaf, pos)
			}
		}
	}
	// Against tlog.StoredHashIndex for leaves and nodes anywhere.
	r := rand.New(rand.NewPCG(6962, 1))
	check := func(leaf int64) {
		t.Helper()
		first, next := tlog.StoredHashIndex(0, leaf), tlog.StoredHashIndex(0, leaf+1)
		if got := auditlog.StoredCount(leaf); int64(got) != next-first {
			t.Fatalf("StoredCount(%d) = %d, want %d", leaf, got, next-first)
		}
		for x := first; x < next; x++ {
			if l, p := auditlog.StoredRecord(x); l != leaf || int64(p) != x-first {
				t.Fatalf("StoredRecord(%d) = %d, %d; want %d, %d", x, l, p, leaf, x-first)
			}
		}
	}
	for range 5000 {
		check(r.Int64N(1 << 61))
	}
	for _, leaf := range []int64{1<<40 - 1, 1<<40 - 2, 1 << 40, 1<<61 - 1} {
		check(leaf)
	}
	// Every node (level, n) is stored by the leaf that completes it.
	for range 5000 {
		level := r.IntN(40)
		node := r.Int64N(1 << 20)
		l, p := auditlog.StoredRecord(tlog.StoredHashIndex(level, node))
		if p != level || l != (node+1)<<level-1 {
			t.Fatalf("StoredRecord(node %d at level %d) = %d, %d", node, level, l, p)
		}
	}
}
