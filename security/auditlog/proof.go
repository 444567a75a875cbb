package auditlog

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/buildworksai/trustgate"
	"golang.org/x/mod/sumdb/tlog"
)

// The first lines of the proof formats.
const (
	// InclusionHeader begins a c2sp.org/tlog-proof@v1 inclusion proof.
	InclusionHeader = "c2sp.org/tlog-proof@v1"
	// ConsistencyHeader begins trustgate's consistency proof text.
	ConsistencyHeader = "github.com/buildworksai/trustgate/consistency-proof@v1"
	// MaxProofHashes bounds the hashes of a proof: a tree of 2⁶³ leaves
	// needs at most 63 for inclusion and 126 for consistency.
	MaxProofHashes = 128
)

// InclusionProof is a c2sp.org/tlog-proof@v1 proof that a leaf is in the
// tree a checkpoint signed: the leaf's zero-based index, its RFC 6962 audit
// path (from the leaf's sibling up to the root's child), and the signed
// checkpoint, verbatim. trustgate puts the leaf's data (an audit event's
// canonical bytes) in Extra, so the proof carries what it proves.
type InclusionProof struct {
	Index      int64
	Hashes     []tlog.Hash
	Checkpoint []byte // the signed checkpoint note
	Extra      []byte // the leaf data; nil when absent
}

// Marshal returns the proof's c2sp.org/tlog-proof@v1 text.
func (p InclusionProof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(InclusionHeader + "\n")
	if p.Extra != nil {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	b.WriteString("index " + strconv.FormatInt(p.Index, 10) + "\n")
	writeHashes(&b, p.Hashes)
	b.WriteByte('\n')
	b.Write(p.Checkpoint)
	return b.Bytes()
}

// ParseInclusionProof parses c2sp.org/tlog-proof@v1 text strictly: the
// header, an optional extra line of canonical base64, "index N", at most
// [MaxProofHashes] hash lines, an empty line, and a checkpoint (parsed, not
// verified: [VerifyInclusion] verifies). Anything else is a
// [*FormatError] naming the line.
func ParseInclusionProof(text []byte) (InclusionProof, error) {
	const what = "inclusion proof"
	if len(text) > MaxNoteSize+MaxProofHashes*45+64+4*MaxNoteSize {
		return InclusionProof{}, malformed(what, 0, "too long")
	}
	head, cp, ok := bytes.Cut(text, []byte("\n\n"))
	if !ok {
		return InclusionProof{}, malformed(what, 0, "no empty line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != InclusionHeader {
		return InclusionProof{}, malformed(what, 1, "the first line must be %q", InclusionHeader)
	}
	var p InclusionProof
	i := 1
	if i < len(lines) && strings.HasPrefix(lines[i], "extra ") {
		extra, err := decodeBase64(strings.TrimPrefix(lines[i], "extra "))
		if err != nil {
			return InclusionProof{}, malformed(what, i+1, "extra: %v", err)
		}
		p.Extra = extra
		i++
	}
	if i >= len(lines) || !strings.HasPrefix(lines[i], "index ") {
		return InclusionProof{}, malformed(what, i+1, `an "index N" line is required`)
	}
	index, err := parseSize(strings.TrimPrefix(lines[i], "index "))
	if err != nil {
		return InclusionProof{}, malformed(what, i+1, "index: %v", err)
	}
	p.Index = index
	if p.Hashes, err = parseHashes(what, lines[i+1:], i+2); err != nil {
		return InclusionProof{}, err
	}
	if _, err := splitCheckpoint(cp); err != nil {
		return InclusionProof{}, err
	}
	p.Checkpoint = slices.Clone(cp)
	return p, nil
}

// splitCheckpoint parses a signed note's checkpoint body without verifying
// any signature.
func splitCheckpoint(msg []byte) (Checkpoint, error) {
	n, err := parseNote(msg)
	if err != nil {
		return Checkpoint{}, err
	}
	return ParseCheckpoint([]byte(n.Text))
}

// ProveInclusion returns the audit path of leaf index in the tree of size
// leaves, reading stored hashes from r (tlog.ProveRecord).
func ProveInclusion(r tlog.HashReader, size, index int64) ([]tlog.Hash, error) {
	if index < 0 || index >= size {
		return nil, &trustgate.Error{Code: trustgate.Invalid, Field: "index", Err: ErrMalformed,
			Message: fmt.Sprintf("auditlog: leaf %d is not in a tree of %d leaves", index, size)}
	}
	p, err := tlog.ProveRecord(size, index, r)
	if err != nil {
		return nil, fmt.Errorf("auditlog: proving leaf %d in tree %d: %w", index, size, err)
	}
	return p, nil
}

// VerifyInclusion checks p against t: its checkpoint must [Open], its index
// lie inside the checkpoint's tree, and its audit path lead from the hash
// of its Extra data (the leaf) to the checkpoint's root. It returns the
// verified checkpoint and the leaf data, which only now can be trusted. A
// proof without extra data, or whose path does not verify, is a
// [*ProofError].
func VerifyInclusion(p InclusionProof, t Trust) (Verified, []byte, error) {
	if p.Extra == nil {
		return Verified{}, nil, &ProofError{Kind: "inclusion", Reason: "the proof carries no leaf data (no extra line)"}
	}
	v, err := VerifyInclusionHash(p, tlog.RecordHash(p.Extra), t)
	if err != nil {
		return Verified{}, nil, err
	}
	return v, slices.Clone(p.Extra), nil
}

// VerifyInclusionHash is [VerifyInclusion] for a leaf known by its RFC 6962
// leaf hash.
func VerifyInclusionHash(p InclusionProof, leaf tlog.Hash, t Trust) (Verified, error) {
	v, err := Open(p.Checkpoint, t)
	if err != nil {
		return Verified{}, err
	}
	if p.Index < 0 || p.Index >= v.Size {
		return Verified{}, &ProofError{Kind: "inclusion", Reason: fmt.Sprintf("index %d is outside the checkpoint's tree of %d leaves", p.Index, v.Size)}
	}
	if len(p.Hashes) > MaxProofHashes {
		return Verified{}, &ProofError{Kind: "inclusion", Reason: fmt.Sprintf("%d hashes, more than any tree needs", len(p.Hashes))}
	}
	if err := tlog.CheckRecord(p.Hashes, v.Size, v.Hash, p.Index, leaf); err != nil {
		return Verified{}, &ProofError{Kind: "inclusion", Reason: fmt.Sprintf("leaf %d is not in the tree of %d leaves the checkpoint signed: %v", p.Index, v.Size, err)}
	}
	return v, nil
}

// ConsistencyProof shows that the tree of Old leaves is a prefix of the
// tree of New leaves: the RFC 6962 consistency proof, in trustgate's text
// form (see the package documentation).
type ConsistencyProof struct {
	Old, New int64
	Hashes   []tlog.Hash
}

// Marshal returns the proof's text: the header, "old N", "new M", one
// base64 hash per line.
func (p ConsistencyProof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(ConsistencyHeader + "\n")
	b.WriteString("old " + strconv.FormatInt(p.Old, 10) + "\n")
	b.WriteString("new " + strconv.FormatInt(p.New, 10) + "\n")
	writeHashes(&b, p.Hashes)
	return b.Bytes()
}

// ParseConsistencyProof parses the text [ConsistencyProof.Marshal] writes,
// strictly; anything else is a [*FormatError].
func ParseConsistencyProof(text []byte) (ConsistencyProof, error) {
	const what = "consistency proof"
	if len(text) > MaxProofHashes*45+256 {
		return ConsistencyProof{}, malformed(what, 0, "too long")
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return ConsistencyProof{}, malformed(what, 0, "the proof must end with a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if lines[0] != ConsistencyHeader {
		return ConsistencyProof{}, malformed(what, 1, "the first line must be %q", ConsistencyHeader)
	}
	if len(lines) < 3 {
		return ConsistencyProof{}, malformed(what, len(lines)+1, `"old N" and "new M" lines are required`)
	}
	var p ConsistencyProof
	var err error
	for i, f := range []struct {
		key string
		dst *int64
	}{{"old ", &p.Old}, {"new ", &p.New}} {
		s, ok := strings.CutPrefix(lines[1+i], f.key)
		if !ok {
			return ConsistencyProof{}, malformed(what, 2+i, "a %q line is required", strings.TrimSpace(f.key)+" N")
		}
		if *f.dst, err = parseSize(s); err != nil {
			return ConsistencyProof{}, malformed(what, 2+i, "%s: %v", strings.TrimSpace(f.key), err)
		}
	}
	if p.Old > p.New {
		return ConsistencyProof{}, malformed(what, 2, "old size %d is larger than new size %d", p.Old, p.New)
	}
	if p.Hashes, err = parseHashes(what, lines[3:], 4); err != nil {
		return ConsistencyProof{}, err
	}
	return p, nil
}

// ProveConsistency returns the consistency proof from the tree of old
// leaves to the tree of new leaves, reading stored hashes from r
// (tlog.ProveTree).
func ProveConsistency(r tlog.HashReader, old, new int64) (ConsistencyProof, error) {
	if old < 0 || old > new {
		return ConsistencyProof{}, &trustgate.Error{Code: trustgate.Invalid, Field: "old", Err: ErrMalformed,
			Message: fmt.Sprintf("auditlog: a tree of %d leaves cannot be a prefix of one of %d", old, new)}
	}
	p := ConsistencyProof{Old: old, New: new}
	if old == 0 || old == new {
		return p, nil // RFC 6962: the empty proof
	}
	h, err := tlog.ProveTree(new, old, r)
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("auditlog: proving tree %d is a prefix of tree %d: %w", old, new, err)
	}
	p.Hashes = h
	return p, nil
}

// VerifyConsistency checks that the log was only appended to between two
// signed checkpoints: both must [Open] against t, their sizes be those of
// p, and p prove the older tree a prefix of the newer. A checkpoint of the
// same size with another root (a fork) fails too. It returns both
// verified checkpoints. A proof that does not verify is a [*ProofError].
func VerifyConsistency(p ConsistencyProof, oldNote, newNote []byte, t Trust) (old, new Verified, err error) {
	if old, err = Open(oldNote, t); err != nil {
		return Verified{}, Verified{}, err
	}
	if new, err = Open(newNote, t); err != nil {
		return Verified{}, Verified{}, err
	}
	if err := CheckConsistency(p, old.Checkpoint, new.Checkpoint); err != nil {
		return Verified{}, Verified{}, err
	}
	return old, new, nil
}

// CheckConsistency checks p between two checkpoints already verified.
func CheckConsistency(p ConsistencyProof, old, new Checkpoint) error {
	switch {
	case old.Size != p.Old || new.Size != p.New:
		return &ProofError{Kind: "consistency", Reason: fmt.Sprintf("the proof is for sizes %d→%d, the checkpoints are %d→%d", p.Old, p.New, old.Size, new.Size)}
	case old.Size > new.Size:
		return &ProofError{Kind: "consistency", Reason: fmt.Sprintf("the old checkpoint (%d) is larger than the new (%d)", old.Size, new.Size)}
	case len(p.Hashes) > MaxProofHashes:
		return &ProofError{Kind: "consistency", Reason: fmt.Sprintf("%d hashes, more than any tree needs", len(p.Hashes))}
	case old.Size == new.Size:
		if len(p.Hashes) != 0 || old.Hash != new.Hash {
			return &ProofError{Kind: "consistency", Reason: fmt.Sprintf("two trees of %d leaves with different roots: the log forked", old.Size)}
		}
		return nil
	case old.Size == 0:
		if len(p.Hashes) != 0 {
			return &ProofError{Kind: "consistency", Reason: "a proof from the empty tree has no hashes"}
		}
		return nil
	}
	if err := tlog.CheckTree(p.Hashes, new.Size, new.Hash, old.Size, old.Hash); err != nil {
		return &ProofError{Kind: "consistency", Reason: fmt.Sprintf("the tree of %d leaves is not a prefix of the tree of %d: %v", old.Size, new.Size, err)}
	}
	return nil
}

func writeHashes(b *bytes.Buffer, hs []tlog.Hash) {
	for _, h := range hs {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
}

// parseHashes parses one base64 hash per line; first is the 1-based line
// number of lines[0].
func parseHashes(what string, lines []string, first int) ([]tlog.Hash, error) {
	if len(lines) > MaxProofHashes {
		return nil, malformed(what, first+MaxProofHashes, "more than %d hashes", MaxProofHashes)
	}
	var out []tlog.Hash
	for i, l := range lines {
		h, err := parseHash(l)
		if err != nil {
			return nil, malformed(what, first+i, "hash: %v", err)
		}
		out = append(out, h)
	}
	return out, nil
}

// decodeBase64 decodes canonical standard base64. The empty string is the
// empty data, non-nil: Marshal writes an empty leaf that way.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, fmt.Errorf("not canonical standard base64")
	}
	return b, nil
}
