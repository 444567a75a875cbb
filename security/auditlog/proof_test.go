package auditlog_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func mustProveInclusion(t testing.TB, l *testLog, size, index int64, cp []byte) auditlog.InclusionProof {
	t.Helper()
	hs, err := auditlog.ProveInclusion(l.hashes, size, index)
	if err != nil {
		t.Fatalf("ProveInclusion(%d, %d): %v", size, index, err)
	}
	return auditlog.InclusionProof{Index: index, Hashes: hs, Checkpoint: cp, Extra: l.leaves[index]}
}

func TestInclusionProofsVerifyForEveryLeaf(t *testing.T) {
	const maxSize = 40
	l := newTestLog(t, maxSize)
	for size := int64(1); size <= maxSize; size++ {
		cp := l.note(t, size)
		for i := range size {
			p := mustProveInclusion(t, l, size, i, cp)
			text := p.Marshal()
			parsed, err := auditlog.ParseInclusionProof(text)
			if err != nil {
				t.Fatalf("size %d, leaf %d: ParseInclusionProof: %v\n%s", size, i, err, text)
			}
			if parsed.Index != p.Index || !slices.Equal(parsed.Hashes, p.Hashes) || !bytes.Equal(parsed.Checkpoint, p.Checkpoint) || !bytes.Equal(parsed.Extra, p.Extra) {
				t.Fatalf("size %d, leaf %d: parsed %+v, want %+v", size, i, parsed, p)
			}
			v, leaf, err := auditlog.VerifyInclusion(parsed, l.trust)
			if err != nil {
				t.Fatalf("size %d, leaf %d: VerifyInclusion: %v", size, i, err)
			}
			if !bytes.Equal(leaf, leafData(i)) || v.Size != size || v.Origin != testOrigin || !bytes.Equal(v.Note, cp) {
				t.Fatalf("size %d, leaf %d: verified %q in %+v", size, i, leaf, v.Checkpoint)
			}
			if _, err := auditlog.VerifyInclusionHash(parsed, tlog.RecordHash(leafData(i)), l.trust); err != nil {
				t.Fatalf("size %d, leaf %d: VerifyInclusionHash: %v", size, i, err)
			}
		}
	}
}

// The returned leaf data is the caller's: changing it changes nothing in
// the proof.
func TestVerifyInclusionReturnsACopyOfTheLeaf(t *testing.T) {
	l := newTestLog(t, 3)
	p := mustProveInclusion(t, l, 3, 1, l.note(t, 3))
	_, leaf, err := auditlog.VerifyInclusion(p, l.trust)
	if err != nil {
		t.Fatal(err)
	}
	leaf[0] ^= 1
	if !bytes.Equal(p.Extra, leafData(1)) {
		t.Error("changing the returned leaf changed the proof's extra data")
	}
}

func TestInclusionProofRejects(t *testing.T) {
	const size = 37
	l := newTestLog(t, size)
	cp := l.note(t, size)
	otherSize := l.note(t, size-1)
	otherOriginCP := mustSign(t, auditlog.Checkpoint{Origin: otherOrigin, Size: size, Hash: l.checkpoint(t, size).Hash}, l.signer)
	impostor := mustSign(t, l.checkpoint(t, size), mustSigner(t, testOrigin, edKey(7)))
	quorum := l.trust
	quorum.WitnessQuorum = 1

	for i := range int64(size) {
		good := mustProveInclusion(t, l, size, i, cp)
		with := func(f func(p *auditlog.InclusionProof)) auditlog.InclusionProof {
			p := good
			p.Hashes = slices.Clone(good.Hashes)
			f(&p)
			return p
		}
		type tcase struct {
			name  string
			proof auditlog.InclusionProof
			trust auditlog.Trust
			want  error // a sentinel; ErrProof means a *ProofError of kind inclusion
		}
		cases := []tcase{
			{"a hash removed from the end (truncated)", with(func(p *auditlog.InclusionProof) { p.Hashes = p.Hashes[:len(p.Hashes)-1] }), l.trust, auditlog.ErrProof},
			{"a hash removed from the start", with(func(p *auditlog.InclusionProof) { p.Hashes = p.Hashes[1:] }), l.trust, auditlog.ErrProof},
			{"a hash added", with(func(p *auditlog.InclusionProof) { p.Hashes = append(p.Hashes, testHash) }), l.trust, auditlog.ErrProof},
			{"no hashes", with(func(p *auditlog.InclusionProof) { p.Hashes = nil }), l.trust, auditlog.ErrProof},
			{"more hashes than any tree needs", with(func(p *auditlog.InclusionProof) { p.Hashes = make([]tlog.Hash, auditlog.MaxProofHashes+1) }), l.trust, auditlog.ErrProof},
			{"the next index", with(func(p *auditlog.InclusionProof) { p.Index = (i + 1) % size }), l.trust, auditlog.ErrProof},
			{"an index outside the tree", with(func(p *auditlog.InclusionProof) { p.Index = size }), l.trust, auditlog.ErrProof},
			{"a negative index", with(func(p *auditlog.InclusionProof) { p.Index = -1 }), l.trust, auditlog.ErrProof},
			{"another leaf's data", with(func(p *auditlog.InclusionProof) { p.Extra = leafData((i + 1) % size) }), l.trust, auditlog.ErrProof},
			{"the leaf data altered", with(func(p *auditlog.InclusionProof) { p.Extra = append(slices.Clone(p.Extra), '!') }), l.trust, auditlog.ErrProof},
			{"no leaf data", with(func(p *auditlog.InclusionProof) { p.Extra = nil }), l.trust, auditlog.ErrProof},
			{"the checkpoint of another size", with(func(p *auditlog.InclusionProof) { p.Checkpoint = otherSize }), l.trust, auditlog.ErrProof},
			{"a checkpoint for another origin", with(func(p *auditlog.InclusionProof) { p.Checkpoint = otherOriginCP }), l.trust, auditlog.ErrOrigin},
			{"a checkpoint signed by another key", with(func(p *auditlog.InclusionProof) { p.Checkpoint = impostor }), l.trust, auditlog.ErrSignature},
			{"no witness quorum", good, quorum, auditlog.ErrWitness},
			{"no checkpoint", with(func(p *auditlog.InclusionProof) { p.Checkpoint = nil }), l.trust, auditlog.ErrMalformed},
		}
		for j := range good.Hashes {
			cases = append(cases, tcase{fmt.Sprintf("hash %d flipped", j), with(func(p *auditlog.InclusionProof) { p.Hashes[j][j%32] ^= 0x80 }), l.trust, auditlog.ErrProof})
			if j > 0 {
				cases = append(cases, tcase{fmt.Sprintf("hashes %d and %d swapped (reordered)", j-1, j), with(func(p *auditlog.InclusionProof) {
					p.Hashes[j-1], p.Hashes[j] = p.Hashes[j], p.Hashes[j-1]
				}), l.trust, auditlog.ErrProof})
			}
		}
		for _, tc := range cases {
			v, leaf, err := auditlog.VerifyInclusion(tc.proof, tc.trust)
			if err == nil {
				t.Fatalf("leaf %d, %s: VerifyInclusion = %+v, %q; want an error", i, tc.name, v, leaf)
			}
			if leaf != nil {
				t.Errorf("leaf %d, %s: a failed verification returned leaf data %q", i, tc.name, leaf)
			}
			switch tc.want {
			case auditlog.ErrProof:
				wantProofError(t, err, "inclusion")
			case auditlog.ErrMalformed:
				wantIs(t, err, tc.want, trustgate.Invalid)
			default:
				wantIs(t, err, tc.want, trustgate.Tampered)
			}
		}
	}
}

// The text layout of c2sp.org/tlog-proof@v1, written out by hand for leaf
// 1 of a tree of 3: its audit path is leaf 0's hash, then leaf 2's.
func TestInclusionProofTextIsC2SPTlogProof(t *testing.T) {
	l := newTestLog(t, 3)
	cp := l.note(t, 3)
	p := mustProveInclusion(t, l, 3, 1, cp)
	want := "c2sp.org/tlog-proof@v1\n" +
		"extra " + base64.StdEncoding.EncodeToString(leafData(1)) + "\n" +
		"index 1\n" +
		b64(tlog.RecordHash(leafData(0))) + "\n" +
		b64(tlog.RecordHash(leafData(2))) + "\n" +
		"\n" + string(cp)
	if got := string(p.Marshal()); got != want {
		t.Errorf("Marshal() =\n%s\nwant\n%s", got, want)
	}
	p.Extra = nil
	want = "c2sp.org/tlog-proof@v1\nindex 1\n" + b64(tlog.RecordHash(leafData(0))) + "\n" + b64(tlog.RecordHash(leafData(2))) + "\n\n" + string(cp)
	if got := string(p.Marshal()); got != want {
		t.Errorf("Marshal() without extra data =\n%s\nwant\n%s", got, want)
	}
	if !strings.HasSuffix(auditlog.InclusionHeader, "tlog-proof@v1") || auditlog.InclusionHeader != "c2sp.org/tlog-proof@v1" {
		t.Errorf("InclusionHeader %q", auditlog.InclusionHeader)
	}
	// A proof of leaf 0 of a tree of 1 has no hashes: the index line is
	// followed by the empty line.
	one := newTestLog(t, 1)
	cp1 := one.note(t, 1)
	p1 := mustProveInclusion(t, one, 1, 0, cp1)
	if got, want := string(p1.Marshal()), "c2sp.org/tlog-proof@v1\nextra "+base64.StdEncoding.EncodeToString(leafData(0))+"\nindex 0\n\n"+string(cp1); got != want {
		t.Errorf("Marshal() of a one-leaf proof =\n%s\nwant\n%s", got, want)
	}
}

// The example of the C2SP spec, with a checkpoint signed here in place of
// its elided signatures, parses and marshals back to itself.
func TestParseInclusionProofTakesTheSpecExample(t *testing.T) {
	s := mustSigner(t, "example.com/fancylog", edKey(1))
	root, _ := base64.StdEncoding.DecodeString("sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=")
	cp := mustSign(t, auditlog.Checkpoint{Origin: "example.com/fancylog", Size: 109482, Hash: tlog.Hash(root)}, s)
	head := "c2sp.org/tlog-proof@v1\n" +
		"extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n" +
		"index 73894\n" +
		"gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n" +
		"B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n" +
		"EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n" +
		"RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n" +
		"AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
	text := []byte(head + "\n" + string(cp))
	p, err := auditlog.ParseInclusionProof(text)
	if err != nil {
		t.Fatalf("ParseInclusionProof(spec example): %v", err)
	}
	if p.Index != 73894 || len(p.Hashes) != 5 || !bytes.HasPrefix(p.Extra, []byte("age-v1.2.1-darwin-arm64.tar.gz")) || !bytes.Equal(p.Checkpoint, cp) {
		t.Errorf("parsed %+v", p)
	}
	if b64(p.Hashes[0]) != "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=" || b64(p.Hashes[4]) != "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=" {
		t.Errorf("hashes out of order: %x", p.Hashes)
	}
	if got := p.Marshal(); !bytes.Equal(got, text) {
		t.Errorf("Marshal() =\n%s\nwant\n%s", got, text)
	}
}

// An empty leaf is a leaf: its proof's extra line holds the empty base64
// and parses back to empty, present data.
func TestInclusionProofOfAnEmptyLeaf(t *testing.T) {
	l := newTestLogOf(t, [][]byte{[]byte("a"), {}, []byte("c")})
	p := mustProveInclusion(t, l, 3, 1, l.note(t, 3))
	text := p.Marshal()
	if !bytes.Contains(text, []byte("\nextra \nindex 1\n")) {
		t.Fatalf("Marshal() =\n%s", text)
	}
	parsed, err := auditlog.ParseInclusionProof(text)
	if err != nil {
		t.Fatalf("ParseInclusionProof of what Marshal wrote: %v\n%s", err, text)
	}
	if parsed.Extra == nil || len(parsed.Extra) != 0 {
		t.Errorf("extra %q (nil: %v), want empty, present data", parsed.Extra, parsed.Extra == nil)
	}
	if _, leaf, err := auditlog.VerifyInclusion(parsed, l.trust); err != nil || len(leaf) != 0 {
		t.Errorf("VerifyInclusion = %q, %v", leaf, err)
	}
}

func TestParseInclusionProofRejects(t *testing.T) {
	l := newTestLog(t, 5)
	cp := string(l.note(t, 5))
	h := b64(testHash)
	extra := "extra " + base64.StdEncoding.EncodeToString([]byte("leaf")) + "\n"
	for _, tc := range []struct {
		name string
		text string
		what string
		line int
	}{
		{"empty", "", "inclusion proof", 0},
		{"no empty line", "c2sp.org/tlog-proof@v1\nindex 0\n" + h + "\n", "inclusion proof", 0},
		{"another header", "c2sp.org/tlog-proof@v2\nindex 0\n\n" + cp, "inclusion proof", 1},
		{"a header with a space", "c2sp.org/tlog-proof@v1 \nindex 0\n\n" + cp, "inclusion proof", 1},
		{"the empty line first", "\n\n" + cp, "inclusion proof", 1},
		{"no index", "c2sp.org/tlog-proof@v1\n\n" + cp, "inclusion proof", 2},
		{"no index after extra", "c2sp.org/tlog-proof@v1\n" + extra + "\n" + cp, "inclusion proof", 3},
		{"the index before extra", "c2sp.org/tlog-proof@v1\nindex 0\n" + extra + "\n" + cp, "inclusion proof", 3},
		{"two extra lines", "c2sp.org/tlog-proof@v1\n" + extra + extra + "index 0\n\n" + cp, "inclusion proof", 3},
		{"extra not base64", "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n" + cp, "inclusion proof", 2},
		{"extra not canonical", "c2sp.org/tlog-proof@v1\nextra YR==\nindex 0\n\n" + cp, "inclusion proof", 2},
		{"extra without padding", "c2sp.org/tlog-proof@v1\nextra YQ\nindex 0\n\n" + cp, "inclusion proof", 2},
		{"extra in URL base64", "c2sp.org/tlog-proof@v1\nextra -_8=\nindex 0\n\n" + cp, "inclusion proof", 2},
		{"an index with a leading zero", "c2sp.org/tlog-proof@v1\nindex 01\n\n" + cp, "inclusion proof", 2},
		{"a negative index", "c2sp.org/tlog-proof@v1\nindex -1\n\n" + cp, "inclusion proof", 2},
		{"an index with two spaces", "c2sp.org/tlog-proof@v1\nindex  1\n\n" + cp, "inclusion proof", 2},
		{"an index with a trailing space", "c2sp.org/tlog-proof@v1\nindex 1 \n\n" + cp, "inclusion proof", 2},
		{"index without a number", "c2sp.org/tlog-proof@v1\nindex \n\n" + cp, "inclusion proof", 2},
		{"INDEX", "c2sp.org/tlog-proof@v1\nINDEX 1\n\n" + cp, "inclusion proof", 2},
		{"a bad hash", "c2sp.org/tlog-proof@v1\nindex 1\n" + h + "\n" + h[:43] + "\n\n" + cp, "inclusion proof", 4},
		{"a hash after extra", "c2sp.org/tlog-proof@v1\n" + extra + "index 1\nnot-a-hash\n\n" + cp, "inclusion proof", 4},
		{"a hex hash", "c2sp.org/tlog-proof@v1\nindex 1\n" + strings.Repeat("00", 32) + "\n\n" + cp, "inclusion proof", 3},
		{"too many hashes", "c2sp.org/tlog-proof@v1\nindex 1\n" + strings.Repeat(h+"\n", auditlog.MaxProofHashes+1) + "\n" + cp, "inclusion proof", 3 + auditlog.MaxProofHashes},
		{"no checkpoint", "c2sp.org/tlog-proof@v1\nindex 1\n\n", "note", 0},
		{"an unsigned checkpoint", "c2sp.org/tlog-proof@v1\nindex 1\n\n" + string(l.checkpoint(t, 5).Body()), "note", 0},
		{"two empty lines before the checkpoint", "c2sp.org/tlog-proof@v1\nindex 1\n\n\n" + cp, "checkpoint", 1},
		{"a signed note that is no checkpoint", "c2sp.org/tlog-proof@v1\nindex 1\n\n" + string(noteOf(t, "hello\n", l.signer)), "checkpoint", 2},
		{"too long", "c2sp.org/tlog-proof@v1\nindex 1\n\n" + cp + strings.Repeat("x", 6*auditlog.MaxNoteSize), "inclusion proof", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := auditlog.ParseInclusionProof([]byte(tc.text))
			if err == nil {
				t.Fatalf("ParseInclusionProof = %+v, want an error", p)
			}
			wantFormatError(t, err, tc.what, tc.line)
		})
	}
}

func TestProveInclusionRejects(t *testing.T) {
	l := newTestLog(t, 5)
	for _, tc := range []struct{ size, index int64 }{{5, 5}, {5, -1}, {0, 0}, {5, 6}} {
		hs, err := auditlog.ProveInclusion(l.hashes, tc.size, tc.index)
		if err == nil {
			t.Errorf("ProveInclusion(%d, %d) = %x, want an error", tc.size, tc.index, hs)
			continue
		}
		wantIs(t, err, auditlog.ErrMalformed, trustgate.Invalid)
		if e := trustgate.AsError(err); e.Field != "index" {
			t.Errorf("field %q, want index", e.Field)
		}
	}
	if hs, err := auditlog.ProveInclusion(l.hashes, 9, 2); err == nil {
		t.Errorf("ProveInclusion in a tree larger than the store = %x, want an error", hs)
	}
	if hs, err := auditlog.ProveInclusion(failingReader{}, 5, 2); err == nil || !strings.Contains(err.Error(), "the disk is on fire") {
		t.Errorf("ProveInclusion with a failing reader = %x, %v; want its error", hs, err)
	}
}

func mustProveConsistency(t testing.TB, r tlog.HashReader, old, new int64) auditlog.ConsistencyProof {
	t.Helper()
	p, err := auditlog.ProveConsistency(r, old, new)
	if err != nil {
		t.Fatalf("ProveConsistency(%d, %d): %v", old, new, err)
	}
	return p
}

func TestConsistencyProofsVerifyForEveryPair(t *testing.T) {
	const maxSize = 40
	l := newTestLog(t, maxSize)
	notes := make([][]byte, maxSize+1)
	for size := range notes {
		notes[size] = l.note(t, int64(size))
	}
	for old := int64(0); old <= maxSize; old++ {
		for new := old; new <= maxSize; new++ {
			p := mustProveConsistency(t, l.hashes, old, new)
			if p.Old != old || p.New != new {
				t.Fatalf("ProveConsistency(%d, %d) is for %d→%d", old, new, p.Old, p.New)
			}
			if (old == 0 || old == new) != (len(p.Hashes) == 0) {
				t.Fatalf("%d→%d: %d hashes", old, new, len(p.Hashes))
			}
			text := p.Marshal()
			parsed, err := auditlog.ParseConsistencyProof(text)
			if err != nil {
				t.Fatalf("%d→%d: ParseConsistencyProof: %v\n%s", old, new, err, text)
			}
			if parsed.Old != p.Old || parsed.New != p.New || !slices.Equal(parsed.Hashes, p.Hashes) {
				t.Fatalf("%d→%d: parsed %+v, want %+v", old, new, parsed, p)
			}
			vo, vn, err := auditlog.VerifyConsistency(parsed, notes[old], notes[new], l.trust)
			if err != nil {
				t.Fatalf("%d→%d: VerifyConsistency: %v", old, new, err)
			}
			if vo.Size != old || vn.Size != new || !bytes.Equal(vo.Note, notes[old]) || !bytes.Equal(vn.Note, notes[new]) {
				t.Fatalf("%d→%d: verified %+v, %+v", old, new, vo.Checkpoint, vn.Checkpoint)
			}
			// tlog's own checker agrees.
			if old > 0 && old < new {
				if err := tlog.CheckTree(p.Hashes, new, vn.Hash, old, vo.Hash); err != nil {
					t.Fatalf("%d→%d: tlog.CheckTree: %v", old, new, err)
				}
			}
		}
	}
}

func TestConsistencyProofText(t *testing.T) {
	l := newTestLog(t, 3)
	p := mustProveConsistency(t, l.hashes, 2, 3)
	// From the tree of 2 to the tree of 3: the old root is a complete
	// subtree, so the proof is leaf 2's hash alone.
	want := "github.com/buildworksai/trustgate/consistency-proof@v1\nold 2\nnew 3\n" + b64(tlog.RecordHash(leafData(2))) + "\n"
	if got := string(p.Marshal()); got != want {
		t.Errorf("Marshal() =\n%s\nwant\n%s", got, want)
	}
	if got := string((auditlog.ConsistencyProof{Old: 0, New: 0}).Marshal()); got != "github.com/buildworksai/trustgate/consistency-proof@v1\nold 0\nnew 0\n" {
		t.Errorf("the empty proof is %q", got)
	}
}

func TestConsistencyProofRejectsTampering(t *testing.T) {
	const maxSize = 40
	l := newTestLog(t, maxSize)
	cps := make([]auditlog.Checkpoint, maxSize+1)
	for size := range cps {
		cps[size] = l.checkpoint(t, int64(size))
	}
	for old := int64(1); old < maxSize; old++ {
		for new := old + 1; new <= maxSize; new++ {
			good := mustProveConsistency(t, l.hashes, old, new)
			with := func(f func(p *auditlog.ConsistencyProof)) auditlog.ConsistencyProof {
				p := good
				p.Hashes = slices.Clone(good.Hashes)
				f(&p)
				return p
			}
			cases := map[string]auditlog.ConsistencyProof{
				"truncated":              with(func(p *auditlog.ConsistencyProof) { p.Hashes = p.Hashes[:len(p.Hashes)-1] }),
				"the first hash removed": with(func(p *auditlog.ConsistencyProof) { p.Hashes = p.Hashes[1:] }),
				"a hash added":           with(func(p *auditlog.ConsistencyProof) { p.Hashes = append(p.Hashes, testHash) }),
				"too many hashes":        with(func(p *auditlog.ConsistencyProof) { p.Hashes = make([]tlog.Hash, auditlog.MaxProofHashes+1) }),
			}
			for j := range good.Hashes {
				cases[fmt.Sprintf("hash %d flipped", j)] = with(func(p *auditlog.ConsistencyProof) { p.Hashes[j][31-j%32] ^= 1 })
				if j > 0 {
					cases[fmt.Sprintf("hashes %d and %d swapped", j-1, j)] = with(func(p *auditlog.ConsistencyProof) {
						p.Hashes[j-1], p.Hashes[j] = p.Hashes[j], p.Hashes[j-1]
					})
				}
			}
			for name, p := range cases {
				if err := auditlog.CheckConsistency(p, cps[old], cps[new]); err == nil {
					t.Fatalf("%d→%d, %s: CheckConsistency passed", old, new, name)
				} else {
					wantProofError(t, err, "consistency")
				}
			}
			// The proof and the checkpoints must agree on the sizes.
			for name, pair := range map[string][2]auditlog.Checkpoint{
				"an old checkpoint of another size": {cps[old-1], cps[new]},
				"a new checkpoint of another size":  {cps[old], cps[max(new-1, old)]},
				"the checkpoints swapped":           {cps[new], cps[old]},
			} {
				if err := auditlog.CheckConsistency(good, pair[0], pair[1]); err == nil {
					t.Fatalf("%d→%d, %s: CheckConsistency passed", old, new, name)
				} else {
					wantProofError(t, err, "consistency")
				}
			}
		}
	}
	// From the empty tree nothing needs proving, and a proof that says
	// otherwise is wrong.
	if err := auditlog.CheckConsistency(auditlog.ConsistencyProof{Old: 0, New: 5}, cps[0], cps[5]); err != nil {
		t.Errorf("0→5: %v", err)
	}
	err := auditlog.CheckConsistency(auditlog.ConsistencyProof{Old: 0, New: 5, Hashes: []tlog.Hash{testHash}}, cps[0], cps[5])
	wantProofError(t, err, "consistency")
	// A proof claiming old > new.
	err = auditlog.CheckConsistency(auditlog.ConsistencyProof{Old: 5, New: 3}, cps[5], cps[3])
	wantProofError(t, err, "consistency")
}

// Two trees that share a prefix and then differ: the log forked. Whatever
// proof the log offers, a checkpoint of one tree and one of the other do
// not verify as consistent.
func TestCheckConsistencyDetectsAFork(t *testing.T) {
	const n = 12
	a := newTestLog(t, n)
	forked := slices.Clone(a.leaves)
	forked[6] = []byte("event 6, rewritten")
	b := newTestLogOf(t, forked)

	// Same size, different roots.
	for size := int64(7); size <= n; size++ {
		ca, cb := a.checkpoint(t, size), b.checkpoint(t, size)
		if ca.Hash == cb.Hash {
			t.Fatalf("the forked trees of %d leaves have one root", size)
		}
		err := auditlog.CheckConsistency(auditlog.ConsistencyProof{Old: size, New: size}, ca, cb)
		wantProofError(t, err, "consistency")
		if !strings.Contains(err.Error(), "forked") {
			t.Errorf("the error %q does not say the log forked", err)
		}
		if err := auditlog.CheckConsistency(auditlog.ConsistencyProof{Old: size, New: size}, ca, ca); err != nil {
			t.Errorf("a checkpoint is not consistent with itself: %v", err)
		}
		err = auditlog.CheckConsistency(auditlog.ConsistencyProof{Old: size, New: size, Hashes: []tlog.Hash{testHash}}, ca, ca)
		wantProofError(t, err, "consistency")
	}
	// Different sizes: an old checkpoint of one tree, a new one of the
	// other, with the proof of either tree.
	for old := int64(7); old < n; old++ {
		for new := old + 1; new <= n; new++ {
			for name, tc := range map[string]struct {
				proof    auditlog.ConsistencyProof
				old, new auditlog.Checkpoint
			}{
				"a's proof, b's old checkpoint": {mustProveConsistency(t, a.hashes, old, new), b.checkpoint(t, old), a.checkpoint(t, new)},
				"a's proof, b's new checkpoint": {mustProveConsistency(t, a.hashes, old, new), a.checkpoint(t, old), b.checkpoint(t, new)},
				"b's proof, a's old checkpoint": {mustProveConsistency(t, b.hashes, old, new), a.checkpoint(t, old), b.checkpoint(t, new)},
			} {
				err := auditlog.CheckConsistency(tc.proof, tc.old, tc.new)
				if err == nil {
					t.Fatalf("%d→%d, %s: consistent", old, new, name)
				}
				wantProofError(t, err, "consistency")
			}
		}
	}
	// Before the fork the trees agree.
	if err := auditlog.CheckConsistency(mustProveConsistency(t, b.hashes, 6, n), a.checkpoint(t, 6), b.checkpoint(t, n)); err != nil {
		t.Errorf("the common prefix of 6 leaves: %v", err)
	}
	// And signed, through VerifyConsistency.
	_, _, err := auditlog.VerifyConsistency(mustProveConsistency(t, a.hashes, 8, n), b.note(t, 8), a.note(t, n), a.trust)
	wantProofError(t, err, "consistency")
}

func TestVerifyConsistencyChecksBothCheckpoints(t *testing.T) {
	l := newTestLog(t, 10)
	p := mustProveConsistency(t, l.hashes, 4, 10)
	old, new := l.note(t, 4), l.note(t, 10)
	other := mustSign(t, auditlog.Checkpoint{Origin: otherOrigin, Size: 4, Hash: l.checkpoint(t, 4).Hash}, l.signer)
	impostor := mustSign(t, l.checkpoint(t, 10), mustSigner(t, testOrigin, edKey(7)))
	for _, tc := range []struct {
		name     string
		old, new []byte
		want     error
	}{
		{"an old checkpoint for another origin", other, new, auditlog.ErrOrigin},
		{"a new checkpoint signed by another key", old, impostor, auditlog.ErrSignature},
		{"an old checkpoint that is no note", []byte("junk"), new, auditlog.ErrMalformed},
		{"the checkpoints swapped", new, old, auditlog.ErrProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vo, vn, err := auditlog.VerifyConsistency(p, tc.old, tc.new, l.trust)
			if err == nil {
				t.Fatalf("VerifyConsistency = %+v, %+v; want an error", vo, vn)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if vo.Note != nil || vn.Note != nil {
				t.Error("a failed verification returned checkpoints")
			}
		})
	}
}

func TestParseConsistencyProofRejects(t *testing.T) {
	const hdr = "github.com/buildworksai/trustgate/consistency-proof@v1\n"
	h := b64(testHash)
	for _, tc := range []struct {
		name string
		text string
		line int
	}{
		{"empty", "", 0},
		{"no final newline", hdr + "old 1\nnew 2\n" + h, 0},
		{"another header", "github.com/buildworksai/trustgate/consistency-proof@v2\nold 1\nnew 2\n", 1},
		{"the inclusion header", "c2sp.org/tlog-proof@v1\nold 1\nnew 2\n", 1},
		{"the header alone", hdr, 2},
		{"no new size", hdr + "old 1\n", 3},
		{"new before old", hdr + "new 2\nold 1\n", 2},
		{"no old size", hdr + "new 2\nnew 2\n", 2},
		{"old twice", hdr + "old 1\nold 2\n", 3},
		{"old with a leading zero", hdr + "old 01\nnew 2\n", 2},
		{"a negative new size", hdr + "old 1\nnew -2\n", 3},
		{"new not a number", hdr + "old 1\nnew two\n", 3},
		{"new with a trailing space", hdr + "old 1\nnew 2 \n", 3},
		{"old larger than new", hdr + "old 3\nnew 2\n", 2},
		{"a bad hash", hdr + "old 1\nnew 2\n" + h + "\nAAAA\n", 5},
		{"a blank line after the hashes", hdr + "old 1\nnew 2\n" + h + "\n\n", 5},
		{"a blank line before the hashes", hdr + "old 1\nnew 2\n\n" + h + "\n", 4},
		{"too many hashes", hdr + "old 1\nnew 2\n" + strings.Repeat(h+"\n", auditlog.MaxProofHashes+1), 4 + auditlog.MaxProofHashes},
		{"too long", hdr + "old 1\nnew 2\n" + strings.Repeat(h+"\n", 3*auditlog.MaxProofHashes), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := auditlog.ParseConsistencyProof([]byte(tc.text))
			if err == nil {
				t.Fatalf("ParseConsistencyProof = %+v, want an error", p)
			}
			wantFormatError(t, err, "consistency proof", tc.line)
		})
	}
}

func TestProveConsistencyRejects(t *testing.T) {
	l := newTestLog(t, 5)
	for _, tc := range []struct{ old, new int64 }{{-1, 3}, {4, 3}} {
		p, err := auditlog.ProveConsistency(l.hashes, tc.old, tc.new)
		if err == nil {
			t.Errorf("ProveConsistency(%d, %d) = %+v, want an error", tc.old, tc.new, p)
			continue
		}
		wantIs(t, err, auditlog.ErrMalformed, trustgate.Invalid)
		if e := trustgate.AsError(err); e.Field != "old" {
			t.Errorf("field %q, want old", e.Field)
		}
	}
	if p, err := auditlog.ProveConsistency(failingReader{}, 2, 5); err == nil || !strings.Contains(err.Error(), "the disk is on fire") {
		t.Errorf("ProveConsistency with a failing reader = %+v, %v; want its error", p, err)
	}
	// The empty proofs need no reader at all.
	for _, tc := range []struct{ old, new int64 }{{0, 5}, {5, 5}, {0, 0}} {
		if p, err := auditlog.ProveConsistency(failingReader{}, tc.old, tc.new); err != nil || len(p.Hashes) != 0 {
			t.Errorf("ProveConsistency(%d, %d) = %+v, %v; want the empty proof", tc.old, tc.new, p, err)
		}
	}
}
