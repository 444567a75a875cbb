package auditlog_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// fuzzNotes are signed notes for the seed corpora: the log's, cosigned by
// a trusted witness and by an unknown one, with an extension, another
// origin's, and one by another key.
func fuzzNotes(t testing.TB, l *testLog) [][]byte {
	t.Helper()
	c := l.checkpoint(t, 5)
	signed := l.note(t, 5)
	ext := c
	ext.Extensions = []string{"extension line"}
	return [][]byte{
		signed,
		l.note(t, 0),
		mustCosign(t, signed, mustCosigner(t, witness1, edKey(2))),
		mustCosign(t, mustCosign(t, signed, mustCosigner(t, witness2, edKey(3))), mustCosigner(t, witness9, edKey(9))),
		mustSign(t, ext, l.signer),
		mustSign(t, auditlog.Checkpoint{Origin: otherOrigin, Size: 5, Hash: c.Hash}, l.signer),
		mustSign(t, c, mustSigner(t, testOrigin, edKey(7))),
	}
}

// Anything ParseCheckpoint accepts is the Body of what it returns, and
// can be signed and opened as itself.
func FuzzParseCheckpoint(f *testing.F) {
	l := newTestLog(f, 5)
	for _, msg := range fuzzNotes(f, l) {
		body, _, _ := bytes.Cut(msg, []byte("\n\n"))
		f.Add(append(body, '\n'))
	}
	f.Add([]byte("o\n01\n" + testHash64 + "\n"))
	f.Add([]byte("o\n1\n" + testHash64 + "\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := auditlog.ParseCheckpoint(body)
		if err != nil {
			if fe := (*auditlog.FormatError)(nil); !errors.As(err, &fe) || fe.What != "checkpoint" {
				t.Fatalf("error %v is not a checkpoint *FormatError", err)
			}
			return
		}
		if got := c.Body(); !bytes.Equal(got, body) {
			t.Fatalf("Body() = %q, input %q", got, body)
		}
		msg, err := auditlog.Sign(c, l.signer)
		if err != nil {
			t.Fatalf("Sign(a parsed checkpoint): %v", err)
		}
		tr := l.trust
		tr.Origin = c.Origin
		v, err := auditlog.Open(msg, tr)
		if err != nil {
			t.Fatalf("Open(signed %q): %v", body, err)
		}
		if !reflect.DeepEqual(v.Checkpoint, c) {
			t.Fatalf("opened %+v, signed %+v", v.Checkpoint, c)
		}
	})
}

// ParseNote and Open never panic; a note that parses begins with the Body
// of its checkpoint; what Open verifies is what ParseNote parses, and the
// log's signature on it verifies with Go's note package too.
func FuzzParseNote(f *testing.F) {
	l := newTestLog(f, 5)
	for _, msg := range fuzzNotes(f, l) {
		f.Add(msg)
	}
	f.Add([]byte("not a note\n"))
	logKey, err := note.NewVerifier(l.signer.VerifierKey())
	if err != nil {
		f.Fatal(err)
	}
	w1 := mustCosigner(f, witness1, edKey(2))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, sigs, perr := auditlog.ParseNote(msg)
		if perr == nil {
			body := c.Body()
			if !bytes.HasPrefix(msg, body) || len(msg) <= len(body) || msg[len(body)] != '\n' {
				t.Fatalf("the note %q does not begin with the Body %q and an empty line", msg, body)
			}
			if sigs < 1 {
				t.Fatalf("a parsed note with %d signatures", sigs)
			}
			out, err := auditlog.Cosign(msg, w1)
			if err != nil {
				t.Fatalf("Cosign(a parsed note): %v", err)
			}
			if len(out) <= auditlog.MaxNoteSize {
				c2, sigs2, err := auditlog.ParseNote(out)
				if err != nil || !reflect.DeepEqual(c2, c) || (sigs2 != sigs && sigs2 != sigs+1) {
					t.Fatalf("ParseNote(Cosign(msg)) = %+v, %d, %v; had %+v, %d", c2, sigs2, err, c, sigs)
				}
			}
		}
		for quorum := range 2 {
			tr := l.trust
			tr.WitnessQuorum = quorum
			v, err := auditlog.Open(msg, tr)
			if err != nil {
				continue
			}
			if perr != nil {
				t.Fatalf("Open verified a note ParseNote rejects (%v)", perr)
			}
			if !reflect.DeepEqual(v.Checkpoint, c) || !bytes.Equal(v.Note, msg) || v.Origin != testOrigin {
				t.Fatalf("Open = %+v, ParseNote = %+v", v.Checkpoint, c)
			}
			if len(v.Witnesses) < quorum {
				t.Fatalf("quorum %d met by %q", quorum, v.Witnesses)
			}
			if _, err := note.Open(msg, note.VerifierList(logKey)); err != nil {
				t.Fatalf("Open verified a note note.Open rejects: %v", err)
			}
		}
	})
}

// Anything ParseInclusionProof accepts marshals back to the same bytes.
func FuzzParseInclusionProof(f *testing.F) {
	l := newTestLog(f, 5)
	for _, cp := range fuzzNotes(f, l) {
		f.Add(mustProveInclusion(f, l, 5, 3, cp).Marshal())
	}
	p := mustProveInclusion(f, l, 5, 0, l.note(f, 5))
	p.Extra = nil
	f.Add(p.Marshal())
	p.Extra = []byte{}
	f.Add(p.Marshal())
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := auditlog.ParseInclusionProof(text)
		if err != nil {
			var fe *auditlog.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		if got := p.Marshal(); !bytes.Equal(got, text) {
			t.Fatalf("Marshal() =\n%q\ninput\n%q", got, text)
		}
		v, leaf, err := auditlog.VerifyInclusion(p, l.trust)
		if err == nil && (v.Size <= p.Index || !bytes.Equal(leaf, p.Extra)) {
			t.Fatalf("verified leaf %d of a tree of %d: %q", p.Index, v.Size, leaf)
		}
	})
}

// Anything ParseConsistencyProof accepts marshals back to the same bytes.
func FuzzParseConsistencyProof(f *testing.F) {
	l := newTestLog(f, 9)
	for _, sizes := range [][2]int64{{0, 0}, {0, 9}, {3, 9}, {4, 8}, {9, 9}, {1, 9}} {
		f.Add(mustProveConsistency(f, l.hashes, sizes[0], sizes[1]).Marshal())
	}
	cps := make([]auditlog.Checkpoint, 10)
	for i := range cps {
		cps[i] = l.checkpoint(f, int64(i))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := auditlog.ParseConsistencyProof(text)
		if err != nil {
			var fe *auditlog.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		if got := p.Marshal(); !bytes.Equal(got, text) {
			t.Fatalf("Marshal() =\n%q\ninput\n%q", got, text)
		}
		if p.Old > p.New {
			t.Fatalf("parsed a proof from %d to %d", p.Old, p.New)
		}
		if p.New < int64(len(cps)) {
			err := auditlog.CheckConsistency(p, cps[p.Old], cps[p.New])
			want := mustProveConsistency(t, l.hashes, p.Old, p.New)
			if (err == nil) != slices.Equal(p.Hashes, want.Hashes) {
				t.Fatalf("CheckConsistency(%d→%d, %x) = %v; the proof is %x", p.Old, p.New, p.Hashes, err, want.Hashes)
			}
		}
	})
}
