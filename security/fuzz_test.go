package security_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

func FuzzParseDigest(f *testing.F) {
	for _, s := range []string{strings.Repeat("ab", 32), strings.Repeat("AB", 32), "", "zz", strings.Repeat("0", 63) + "g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := security.ParseDigest("sha256", s)
		if err != nil {
			if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field != "sha256" {
				t.Fatalf("ParseDigest(%q): error %v is not an invalid sha256", s, err)
			}
			return
		}
		if d.String() != strings.ToLower(s) {
			t.Fatalf("ParseDigest(%q) = %s", s, d)
		}
	})
}

// FuzzNewEvent feeds arbitrary input to the audit log's event builder: it
// must reject bad input as invalid and, when it accepts, produce an
// event whose hash recomputes and whose data is canonical.
func FuzzNewEvent(f *testing.F) {
	f.Add("t", "alice", "subject", `{"a":1}`)
	f.Add("t", "a\nb", "", `{"a":1,"a":2}`)
	f.Add("", "x", "y", `[]`)
	f.Add("t", "x", "y", `{"\ud800":1}`)
	f.Fuzz(func(t *testing.T, typ, actor, subject, data string) {
		in := security.EventInput{Type: security.EventType(typ), Actor: actor, Subject: subject, Data: json.RawMessage(data)}
		e, err := security.NewEvent(security.Head{Size: 41}, in, uuid.Nil, epoch)
		if err != nil {
			if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field == "" {
				t.Fatalf("error %v is not an invalid-input error naming a field", err)
			}
			return
		}
		h, err := e.ComputeHash()
		if err != nil || !h.Equal(e.Hash) || e.Seq != 42 {
			t.Fatalf("accepted event does not verify: %v", err)
		}
		if !json.Valid(e.Data) {
			t.Fatalf("stored data is not JSON: %q", e.Data)
		}
	})
}

// FuzzNewEvidence checks the evidence parser: no panic, typed errors only,
// and an accepted package is intact, canonical and parses again identically.
func FuzzNewEvidence(f *testing.F) {
	sha := strings.Repeat("ab", 32)
	f.Add(`{"artifacts":[{"name":"a.msi","sha256":"` + sha + `"}],"blast_radius_class":"NON_CRITICAL"}`)
	f.Add(`{"artifacts":[{"name":"a","sha256":"` + sha + `"}],"sbom":{"sha256":"` + sha + `"},"x":[1e-7,{"z":null,"a":true}]}`)
	f.Add(`{"artifacts":[]}`)
	f.Add(`{"artifacts":[{"name":"a","sha256":"` + sha + `"}],"a":1,"a":2}`)
	f.Add(`[]`)
	f.Add("{\"artifacts\":[{\"name\":\"\xff\",\"sha256\":\"" + sha + "\"}]}")
	f.Fuzz(func(t *testing.T, data string) {
		e, err := security.NewEvidence(uuid.Nil, "c", []byte(data), epoch)
		if err != nil {
			if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field == "" {
				t.Fatalf("error %v is not an invalid-input error naming a field", err)
			}
			return
		}
		if !e.Intact() {
			t.Fatal("a new package is not intact")
		}
		again, err := security.NewEvidence(uuid.Nil, "c", e.Data, epoch)
		if err != nil || !again.ContentHash.Equal(e.ContentHash) {
			t.Fatalf("canonical data does not re-canonicalise to itself: %v", err)
		}
		if !json.Valid(e.Data) {
			t.Fatal("stored data is not JSON")
		}
	})
}
