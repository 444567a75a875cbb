package security_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

func FuzzParseEvidenceDigest(f *testing.F) {
	hex := strings.Repeat("ab", 32)
	for _, s := range []string{hex, strings.ToUpper(hex), "sha256:" + hex, "sha256:" + strings.ToUpper(hex), "sha512:" + hex, "SHA256:" + hex, ":", "sha256:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := security.ParseEvidenceDigest("f", s)
		if err != nil {
			if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field != "f" {
				t.Fatalf("ParseEvidenceDigest(%q): error %v is not an invalid f", s, err)
			}
			return
		}
		if s != "sha256:"+d.String() && strings.ToLower(s) != d.String() {
			t.Fatalf("ParseEvidenceDigest(%q) = %s", s, d)
		}
	})
}

// FuzzStatementEvidence feeds in-toto statements, bare and wrapped, to the
// evidence parser: no panic, typed errors naming a field, and an accepted
// package's artifacts are exactly what an independent decoding of its data
// (encoding/json, exact member names) finds: the subjects' names and sha256
// digests, or the artifacts' names and digests.
func FuzzStatementEvidence(f *testing.F) {
	hex := strings.Repeat("ab", 32)
	sub := `{"name":"a.msi","digest":{"sha256":"` + hex + `","sha512":"00"}}`
	f.Add(statement(security.PredicateManifest, `{"blast_radius_class":"NON_CRITICAL","sbom":{"sha256":"sha256:`+hex+`"}}`, sub))
	f.Add(statement(slsaProvenance, `{"buildDefinition":{}}`, sub, `{"name":"b","digest":{"sha256":"`+hex+`"}}`))
	f.Add(`{"in_toto_statement":` + statement("x", `{}`, sub) + `,"blast_radius_class":"NON_CRITICAL"}`)
	f.Add(statement("x", `{}`, sub, sub))
	f.Add(statement("x", `{}`))
	f.Add(statement("x", `[]`, `{"name":"a","digest":{"sha1":"00"}}`))
	f.Add(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[` + sub + `],"predicateType":"x"}`)
	f.Add(`{"artifacts":[{"name":"a","sha256":"sha256:` + hex + `"}]}`)
	f.Fuzz(func(t *testing.T, data string) {
		e, err := security.NewEvidence(uuid.Nil, "c", []byte(data), epoch)
		if err != nil {
			if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field == "" {
				t.Fatalf("error %v is not an invalid-input error naming a field", err)
			}
			return
		}
		m, err := e.Manifest()
		if err != nil {
			t.Fatalf("an accepted package has no manifest: %v", err)
		}
		want, ok := independentArtifacts(e.Data)
		if !ok {
			t.Fatalf("accepted evidence the independent decoding cannot read: %s", e.Data)
		}
		if len(want) != len(m.Artifacts) {
			t.Fatalf("%d artifacts, the independent decoding finds %d: %s", len(m.Artifacts), len(want), e.Data)
		}
		for i, a := range m.Artifacts {
			if a.Name != want[i][0] || a.SHA256.String() != want[i][1] {
				t.Fatalf("artifact %d is %q %s, the independent decoding finds %q: %s", i, a.Name, a.SHA256, want[i], e.Data)
			}
		}
	})
}

// independentArtifacts decodes evidence data with encoding/json and returns
// each artifact's name and lower-case hex sha256.
func independentArtifacts(data []byte) ([][2]string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil, false
	}
	if _, ok := top["_type"]; !ok {
		wrapped, ok := top["in_toto_statement"]
		if !ok {
			return plainArtifacts(top["artifacts"])
		}
		if json.Unmarshal(wrapped, &top) != nil {
			return nil, false
		}
	}
	var subjects []map[string]json.RawMessage
	if json.Unmarshal(top["subject"], &subjects) != nil {
		return nil, false
	}
	var out [][2]string
	for _, s := range subjects {
		var name string
		var digests map[string]json.RawMessage
		var sum string
		if json.Unmarshal(s["name"], &name) != nil || json.Unmarshal(s["digest"], &digests) != nil || json.Unmarshal(digests["sha256"], &sum) != nil {
			return nil, false
		}
		out = append(out, [2]string{name, sum})
	}
	return out, true
}

func plainArtifacts(raw json.RawMessage) ([][2]string, bool) {
	var arts []map[string]json.RawMessage
	if json.Unmarshal(raw, &arts) != nil {
		return nil, false
	}
	var out [][2]string
	for _, a := range arts {
		var name, sum string
		if json.Unmarshal(a["name"], &name) != nil || json.Unmarshal(a["sha256"], &sum) != nil {
			return nil, false
		}
		out = append(out, [2]string{name, strings.ToLower(strings.TrimPrefix(sum, "sha256:"))})
	}
	return out, true
}
