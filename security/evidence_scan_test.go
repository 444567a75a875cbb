package security

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	gowebpki "github.com/gowebpki/jcs"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/jcs"
)

// twoPassEvidence is NewEvidence as it was before it read the data once:
// canonicalise, then parse the manifest out of the canonical bytes.
func twoPassEvidence(data []byte) ([]byte, Manifest, error) {
	canon, err := jcs.CanonicalizeObject(make([]byte, 0, len(data)), data)
	if err != nil {
		return nil, Manifest{}, fieldErr("evidence", err.Error(), err)
	}
	m, err := parseManifest(canon)
	if err != nil {
		return nil, Manifest{}, err
	}
	return canon, m, nil
}

// errorClasses are the sentinels an evidence error can wrap.
var errorClasses = []error{ErrMalformedJSON, ErrNotObject, ErrDuplicateKey, ErrInvalidUTF8, ErrNumberRange, ErrTooDeep, ErrDigestAlgorithm}

// sameEvidence checks NewEvidence's one pass against the two passes on
// data: byte-identical canonical form and its hash, the same manifest, or
// the same error (code, field, message, the sentinels it wraps, and the
// canonicaliser's offset); and for accepted data, the canonical form
// github.com/gowebpki/jcs, another RFC 8785 implementation, makes of it.
func sameEvidence(data []byte) string {
	e, m, err := newEvidence(uuid.Nil, "c", data, time.Time{}, true)
	wantCanon, wantM, wantErr := twoPassEvidence(data)
	if checked, _, err2 := newEvidence(uuid.Nil, "c", data, time.Time{}, false); errString(err2) != errString(err) || !bytes.Equal(checked.Data, e.Data) {
		return fmt.Sprintf("checking without the manifest differs: %v / %v", err2, err)
	}
	if (err == nil) != (wantErr == nil) {
		return fmt.Sprintf("one pass: %v, two passes: %v", err, wantErr)
	}
	if err != nil {
		got, want := trustgate.AsError(err), trustgate.AsError(wantErr)
		if got == nil || want == nil || got.Code != want.Code || got.Field != want.Field || got.Reason != want.Reason || got.Error() != want.Error() {
			return fmt.Sprintf("errors differ:\n%v\n%v", err, wantErr)
		}
		for _, class := range errorClasses {
			if errors.Is(err, class) != errors.Is(wantErr, class) {
				return fmt.Sprintf("errors differ in wrapping %v:\n%v\n%v", class, err, wantErr)
			}
		}
		return ""
	}
	if !bytes.Equal(e.Data, wantCanon) || e.ContentHash != Digest(sha256.Sum256(wantCanon)) {
		return fmt.Sprintf("canonical forms differ:\n%s\n%s", e.Data, wantCanon)
	}
	if !reflect.DeepEqual(m, wantM) {
		return fmt.Sprintf("manifests differ:\n%+v\n%+v", m, wantM)
	}
	if stored, err := e.Manifest(); err != nil || !reflect.DeepEqual(stored, m) {
		return fmt.Sprintf("the stored package's manifest differs: %v\n%+v\n%+v", err, stored, m)
	}
	if other, err := gowebpki.Transform(data); err != nil || !bytes.Equal(other, e.Data) {
		return fmt.Sprintf("gowebpki/jcs differs (%v):\n%s\n%s", err, other, e.Data)
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestNewEvidenceOnePassMatchesTwoPasses is the property that reading the
// evidence once changes nothing: on random documents (randomEvidence),
// NewEvidence gives what canonicalising and then parsing the manifest
// gave, bytes, manifest and errors alike.
func TestNewEvidenceOnePassMatchesTwoPasses(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 4000
	props := gopter.NewProperties(params)
	props.Property("one pass = two passes", prop.ForAll(func(seed uint64) string {
		data := randomEvidence(rand.New(rand.NewPCG(seed, ^seed)))
		if msg := sameEvidence(data); msg != "" {
			return msg + "\ndata: " + string(data)
		}
		return ""
	}, gen.UInt64()))
	props.TestingRun(t)
}

// TestRandomEvidenceReachesEveryOutcome guards the property above against a
// generator that drifted into testing little: its documents must be
// accepted in each form and rejected for each kind of reason.
func TestRandomEvidenceReachesEveryOutcome(t *testing.T) {
	outcomes := map[string]int{}
	for seed := range uint64(4000) {
		data := randomEvidence(rand.New(rand.NewPCG(seed, ^seed)))
		_, m, err := newEvidence(uuid.Nil, "c", data, time.Time{}, true)
		switch e := trustgate.AsError(err); {
		case err == nil && m.PredicateType == "":
			outcomes["accepted, own form"]++
		case err == nil:
			outcomes["accepted, statement"]++
		default:
			class := "manifest"
			for _, c := range errorClasses {
				if errors.Is(err, c) {
					class = c.Error()
				}
			}
			field := e.Field
			if i := strings.IndexAny(field, "[."); i >= 0 {
				field = field[:i]
			}
			outcomes["rejected: "+class+" at "+field]++
		}
	}
	for _, want := range []string{
		"accepted, own form", "accepted, statement",
		"rejected: " + ErrMalformedJSON.Error() + " at evidence", "rejected: " + ErrDuplicateKey.Error() + " at evidence",
		"rejected: " + ErrInvalidUTF8.Error() + " at evidence", "rejected: " + ErrNumberRange.Error() + " at evidence",
		"rejected: " + ErrTooDeep.Error() + " at evidence", "rejected: " + ErrNotObject.Error() + " at evidence",
		"rejected: " + ErrDigestAlgorithm.Error() + " at artifacts", "rejected: " + ErrDigestAlgorithm.Error() + " at subject",
		"rejected: manifest at artifacts", "rejected: manifest at sbom", "rejected: manifest at subject",
		"rejected: manifest at in_toto_statement", "rejected: manifest at predicate", "rejected: manifest at _type",
		"rejected: manifest at predicateType", "rejected: manifest at blast_radius_class",
	} {
		if outcomes[want] < 5 {
			t.Errorf("%q: %d of 4000 documents", want, outcomes[want])
		}
	}
	t.Log(outcomes)
}

// FuzzNewEvidenceOnePass is the property above under the fuzzer.
func FuzzNewEvidenceOnePass(f *testing.F) {
	hex := strings.Repeat("ab", 32)
	for _, s := range []string{
		`{"artifacts":[{"name":"a.msi","sha256":"` + hex + `"}],"blast_radius_class":"NON_CRITICAL","sbom":{"sha256":"sha256:` + hex + `"}}`,
		`{"\u0061rtifacts":[{"n\u0061me":"a","sha256":"` + hex + `","x":1}],"artifacts":[]}`,
		`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha512":"00","q\"":"1"}}],"predicateType":"x"}`,
		`{"in_toto_statement":{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + hex + `"}}],"predicateType":"x","predicate":[]},"sbom":null}`,
		`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + hex + `"}}],"predicateType":"` + PredicateManifest + `","predicate":{"sbom":{"sha256":"` + hex + `"},"blast_radius_class":1e21}}`,
		`{"artifacts":[{"name":"a","sha256":"` + hex + `"},{"name":"a","sha256":"x"}],"n":[-0,1e-7,1E400]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if msg := sameEvidence(data); msg != "" {
			t.Fatal(msg)
		}
	})
}
