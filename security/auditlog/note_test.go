package auditlog_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// tamperSig returns msg with byte i of the decoded signature by name
// flipped.
func tamperSig(t testing.TB, msg []byte, name string, i int) []byte {
	t.Helper()
	sig := sigLine(t, msg, name)
	old := base64.StdEncoding.EncodeToString(sig)
	sig[i] ^= 1
	out := bytes.Replace(msg, []byte(" "+old+"\n"), []byte(" "+base64.StdEncoding.EncodeToString(sig)+"\n"), 1)
	if bytes.Equal(out, msg) {
		t.Fatalf("signature by %s not replaced", name)
	}
	return out
}

func TestOpen(t *testing.T) {
	log := mustSigner(t, testOrigin, edKey(1))
	w1 := mustCosigner(t, witness1, edKey(2))
	w2 := mustCosigner(t, witness2, edKey(3))
	w9 := mustCosigner(t, witness9, edKey(9))
	c := auditlog.Checkpoint{Origin: testOrigin, Size: 7, Hash: testHash}
	signed := mustSign(t, c, log)
	cosigned := mustCosign(t, signed, w1)
	both := mustCosign(t, cosigned, w2)
	unknown := mustCosign(t, signed, w9)

	trust := func(quorum int) auditlog.Trust {
		tr := testTrust(t, log)
		tr.WitnessQuorum = quorum
		return tr
	}
	for _, tc := range []struct {
		name      string
		msg       []byte
		trust     auditlog.Trust
		witnesses []string
		unknown   []string
	}{
		{"signed by the log, no quorum", signed, trust(0), nil, nil},
		{"cosigned by a trusted witness, quorum 1", cosigned, trust(1), []string{witness1}, nil},
		{"cosigned by two trusted witnesses, quorum 2", both, trust(2), []string{witness1, witness2}, nil},
		{"cosigned by an unknown witness, no quorum", unknown, trust(0), nil, []string{witness9}},
		{"cosigned by trusted and unknown witnesses, quorum 1", mustCosign(t, cosigned, w9), trust(1), []string{witness1}, []string{witness9}},
		{"witnesses listed in name order", mustCosign(t, mustCosign(t, signed, w2), w1), trust(2), []string{witness1, witness2}, nil},
		{"signed by log and witness in one Sign", mustSign(t, c, log, w1), trust(1), []string{witness1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := auditlog.Open(tc.msg, tc.trust)
			if err != nil {
				t.Fatalf("Open: %v\n%s", err, tc.msg)
			}
			if !reflect.DeepEqual(v.Checkpoint, c) {
				t.Errorf("checkpoint %+v, want %+v", v.Checkpoint, c)
			}
			if !bytes.Equal(v.Note, tc.msg) {
				t.Errorf("Note is not the note given")
			}
			if !slices.Equal(v.Witnesses, tc.witnesses) || !slices.Equal(v.Unknown, tc.unknown) {
				t.Errorf("Witnesses %q, Unknown %q; want %q, %q", v.Witnesses, v.Unknown, tc.witnesses, tc.unknown)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	log := mustSigner(t, testOrigin, edKey(1))
	impostor := mustSigner(t, testOrigin, edKey(7)) // the log's name, another key
	other := mustSigner(t, otherOrigin, edKey(8))
	w1 := mustCosigner(t, witness1, edKey(2))
	w9 := mustCosigner(t, witness9, edKey(9))
	c := auditlog.Checkpoint{Origin: testOrigin, Size: 7, Hash: testHash}
	signed := mustSign(t, c, log)
	cosigned := mustCosign(t, signed, w1)
	trust := func(quorum int) auditlog.Trust {
		tr := testTrust(t, log)
		tr.WitnessQuorum = quorum
		return tr
	}
	tamperedBody := bytes.Replace(signed, []byte("\n7\n"), []byte("\n8\n"), 1)

	for _, tc := range []struct {
		name  string
		msg   []byte
		trust auditlog.Trust
		want  error
		code  trustgate.Code
	}{
		{"a checkpoint for another origin, signed by the log's key", mustSign(t, auditlog.Checkpoint{Origin: otherOrigin, Size: 7, Hash: testHash}, log), trust(0), auditlog.ErrOrigin, trustgate.Tampered},
		{"another log's checkpoint", mustSign(t, auditlog.Checkpoint{Origin: otherOrigin, Size: 7, Hash: testHash}, other), trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"signed by another key under the log's name", mustSign(t, c, impostor), trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"the log's signature altered", tamperSig(t, signed, testOrigin, 10), trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"the body altered", tamperedBody, trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"signed by a trusted witness only", mustSign(t, c, w1), trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"signed by an unknown witness only", mustSign(t, c, w9), trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"a cosignature's timestamp altered", tamperSig(t, cosigned, witness1, 4+7), trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"a cosignature's Ed25519 part altered", tamperSig(t, cosigned, witness1, 4+8+3), trust(0), auditlog.ErrSignature, trustgate.Tampered},
		{"a cosignature's key ID altered", tamperSig(t, cosigned, witness1, 0), trust(1), auditlog.ErrWitness, trustgate.Tampered},
		{"quorum 1, no cosignature", signed, trust(1), auditlog.ErrWitness, trustgate.Tampered},
		{"quorum 2, one cosignature", cosigned, trust(2), auditlog.ErrWitness, trustgate.Tampered},
		{"quorum 1, only an unknown witness", mustCosign(t, signed, w9), trust(1), auditlog.ErrWitness, trustgate.Tampered},
		{"no log verifier", signed, auditlog.Trust{Origin: testOrigin}, auditlog.ErrKey, trustgate.Invalid},
		{"a nil witness verifier", signed, auditlog.Trust{Origin: testOrigin, Log: log.Verifier(), Witnesses: []note.Verifier{nil}}, auditlog.ErrKey, trustgate.Invalid},
		{"not a note", []byte("example.com/trustgate/log\n7\n"), trust(0), auditlog.ErrMalformed, trustgate.Invalid},
		{"longer than MaxNoteSize", append(bytes.Repeat([]byte("x"), auditlog.MaxNoteSize), signed...), trust(0), auditlog.ErrMalformed, trustgate.Invalid},
		{"a note whose text is no checkpoint", noteOf(t, "example.com/trustgate/log\n7\n", log), trust(0), auditlog.ErrMalformed, trustgate.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := auditlog.Open(tc.msg, tc.trust)
			if err == nil {
				t.Fatalf("Open = %+v, want an error", v)
			}
			wantIs(t, err, tc.want, tc.code)
		})
	}
}

// noteOf signs text as a note, whatever it is.
func noteOf(t testing.TB, text string, s note.Signer) []byte {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// A quorum that is not met says which witnesses did cosign, how many were
// needed, and which signatures were by keys the policy does not hold.
func TestOpenWitnessErrorNamesTheWitnesses(t *testing.T) {
	log := mustSigner(t, testOrigin, edKey(1))
	msg := mustSign(t, auditlog.Checkpoint{Origin: testOrigin, Size: 7, Hash: testHash}, log)
	msg = mustCosign(t, msg, mustCosigner(t, witness1, edKey(2)))
	msg = mustCosign(t, msg, mustCosigner(t, witness9, edKey(9)))
	tr := testTrust(t, log)
	tr.WitnessQuorum = 2
	_, err := auditlog.Open(msg, tr)
	var we *auditlog.WitnessError
	if !errors.As(err, &we) {
		t.Fatalf("Open = %v, want a *WitnessError", err)
	}
	if we.Required != 2 || !slices.Equal(we.Verified, []string{witness1}) || !slices.Equal(we.Unknown, []string{witness9}) {
		t.Errorf("WitnessError %+v", we)
	}
	for _, s := range []string{"2", witness1, witness9} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the message %q does not name %s", err, s)
		}
	}
	if e := trustgate.AsError(err); e.Reason != "CHECKPOINT_WITNESS_QUORUM" {
		t.Errorf("reason %q", e.Reason)
	}
}

// Cosign adds a signature line and changes nothing else: the body and the
// signatures already there stay as they were.
func TestCosignAddsASignatureOnly(t *testing.T) {
	log := mustSigner(t, testOrigin, edKey(1))
	c := auditlog.Checkpoint{Origin: testOrigin, Size: 7, Hash: testHash, Extensions: []string{"ext"}}
	signed := mustSign(t, c, log)
	cosigned := mustCosign(t, signed, mustCosigner(t, witness1, edKey(2)))
	if !bytes.HasPrefix(cosigned, signed) {
		t.Fatalf("the cosigned note does not begin with the note:\n%s\n%s", signed, cosigned)
	}
	added := string(cosigned[len(signed):])
	if !strings.HasPrefix(added, "— "+witness1+" ") || strings.Count(added, "\n") != 1 || !strings.HasSuffix(added, "\n") {
		t.Errorf("Cosign added %q, want one signature line by %s", added, witness1)
	}
	got, sigs, err := auditlog.ParseNote(cosigned)
	if err != nil || sigs != 2 || !reflect.DeepEqual(got, c) {
		t.Errorf("ParseNote(cosigned) = %+v, %d, %v", got, sigs, err)
	}
	// Cosigning again with the same witness replaces its signature.
	again := mustCosign(t, cosigned, mustCosigner(t, witness1, edKey(2)))
	if _, sigs, err := auditlog.ParseNote(again); err != nil || sigs != 2 {
		t.Errorf("cosigned twice by one witness: %d signatures, %v", sigs, err)
	}
	// An unknown signature is carried over too.
	three := mustCosign(t, cosigned, mustCosigner(t, witness9, edKey(9)))
	if !bytes.HasPrefix(three, cosigned) {
		t.Errorf("a second cosignature dropped or moved the first")
	}

	for name, msg := range map[string][]byte{
		"not a note":                   []byte("example.com/log\n"),
		"a note that is no checkpoint": noteOf(t, "hello\n", log),
		"longer than MaxNoteSize":      append(bytes.Repeat([]byte("x"), auditlog.MaxNoteSize), signed...),
	} {
		if out, err := auditlog.Cosign(msg, mustCosigner(t, witness1, edKey(2))); !errors.Is(err, auditlog.ErrMalformed) {
			t.Errorf("Cosign(%s) = %q, %v; want ErrMalformed", name, out, err)
		}
	}
}

func TestParseNote(t *testing.T) {
	log := mustSigner(t, testOrigin, edKey(1))
	c := auditlog.Checkpoint{Origin: testOrigin, Size: 7, Hash: testHash}
	msg := mustSign(t, c, log, mustCosigner(t, witness9, edKey(9)))
	got, sigs, err := auditlog.ParseNote(msg)
	if err != nil || sigs != 2 || !reflect.DeepEqual(got, c) {
		t.Errorf("ParseNote = %+v, %d, %v; want %+v, 2", got, sigs, err, c)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		what string
	}{
		{"no signature", []byte(string(c.Body()) + "\n"), "note"},
		{"no blank line", c.Body(), "note"},
		{"a signature line without the dash", bytes.Replace(msg, []byte("— "), []byte("- "), 1), "note"},
		{"a note of a body that is no checkpoint", noteOf(t, "a\nb\n", log), "checkpoint"},
		{"too long", append(bytes.Repeat([]byte("x"), auditlog.MaxNoteSize), msg...), "note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n, err := auditlog.ParseNote(tc.msg)
			if err == nil {
				t.Fatalf("ParseNote = %+v, %d, want an error", c, n)
			}
			var fe *auditlog.FormatError
			if !errors.As(err, &fe) || fe.What != tc.what {
				t.Errorf("error %v, want a FormatError about the %s", err, tc.what)
			}
			wantIs(t, err, auditlog.ErrMalformed, trustgate.Invalid)
		})
	}
}
