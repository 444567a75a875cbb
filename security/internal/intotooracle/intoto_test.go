// Package intotooracle_test checks trustgate's in-toto evidence against the in-toto
// attestation Go bindings. It lives in a package of its own, with tests only, so
// that programs importing security never download the bindings or protobuf.
package intotooracle_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// The in-toto project's own Go definitions are the oracle: a statement
// they write is evidence here, and the statements these tests accept are
// statements to them.

func TestAStatementTheInTotoLibraryWritesIsEvidence(t *testing.T) {
	predicate, err := structpb.NewStruct(map[string]any{
		"blast_radius_class": "NON_CRITICAL",
		"sbom":               map[string]any{"sha256": "sha256:" + hexSum(sbom)},
	})
	require.NoError(t, err)
	annotations, err := structpb.NewStruct(map[string]any{"arch": "x64"})
	require.NoError(t, err)
	st := &intoto.Statement{
		Type: intoto.StatementTypeUri,
		Subject: []*intoto.ResourceDescriptor{
			{Name: "zoom-6.1.msi", Digest: map[string]string{"sha256": hexSum(artifact), "sha512": strings.Repeat("ab", 64)},
				Uri: "https://example.com/zoom-6.1.msi", Annotations: annotations},
			{Name: "zoom-6.1.msi.sig", Digest: map[string]string{"sha256": hexSum([]byte("sig"))}},
		},
		PredicateType: security.PredicateManifest,
		Predicate:     predicate,
	}
	require.NoError(t, st.Validate())
	data, err := protojson.Marshal(st)
	require.NoError(t, err)

	e, err := security.NewEvidence(uuid.New(), "c", data, epoch)
	require.NoError(t, err, "%s", data)
	m, err := e.Manifest()
	require.NoError(t, err)
	assert.Equal(t, []security.Artifact{
		{Name: "zoom-6.1.msi", SHA256: sha256.Sum256(artifact)},
		{Name: "zoom-6.1.msi.sig", SHA256: sha256.Sum256([]byte("sig"))},
	}, m.Artifacts)
	require.NotNil(t, m.SBOM)
	assert.Equal(t, security.Digest(sha256.Sum256(sbom)), m.SBOM.SHA256)
	class, err := m.Class()
	require.NoError(t, err)
	assert.Equal(t, blastradius.NonCritical, class)
}

func TestTheStatementsTrustgateAcceptsAreStatementsToInToto(t *testing.T) {
	for name, data := range evidenceForms() {
		e, err := security.NewEvidence(uuid.New(), "c", []byte(data), epoch)
		require.NoError(t, err)
		m, err := e.Manifest()
		require.NoError(t, err)
		raw := data
		if strings.HasPrefix(name, "a wrapped") {
			raw = data[len(`{"in_toto_statement":`):strings.Index(data, `,"blast_radius_class"`)]
		} else if m.PredicateType == "" {
			continue
		}
		var st intoto.Statement
		require.NoError(t, protojson.Unmarshal([]byte(raw), &st), name)
		require.NoError(t, st.Validate(), name)
		require.Len(t, st.GetSubject(), len(m.Artifacts), name)
		for i, s := range st.GetSubject() {
			assert.Equal(t, m.Artifacts[i].Name, s.GetName())
			assert.Equal(t, m.Artifacts[i].SHA256.String(), s.GetDigest()["sha256"])
		}
		assert.Equal(t, m.PredicateType, st.GetPredicateType())
	}
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// What the tests hash and when, as in the security package's tests.
var (
	artifact = []byte("MZ\x90\x00zoom-6.1 installer bytes")
	sbom     = []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5"}`)
	epoch    = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
)

// evidenceForms are the in-toto forms of evidence trustgate accepts: a
// statement as the data, and one wrapped with the fields it lacks.
func evidenceForms() map[string]string {
	subject := `[{"name":"zoom-6.1.msi","digest":{"sha256":"` + hexSum(artifact) + `"}}]`
	st := func(predicateType, predicate string) string {
		return `{"_type":"https://in-toto.io/Statement/v1","subject":` + subject +
			`,"predicateType":"` + predicateType + `","predicate":` + predicate + `}`
	}
	return map[string]string{
		"a statement": st(security.PredicateManifest,
			`{"blast_radius_class":"PRODUCTIVITY_TOOLS","sbom":{"sha256":"sha256:`+hexSum(sbom)+`"}}`),
		"a wrapped statement": `{"in_toto_statement":` + st("https://slsa.dev/provenance/v1", `{"runDetails":{}}`) +
			`,"blast_radius_class":"PRODUCTIVITY_TOOLS","sbom":{"sha256":"` + hexSum(sbom) + `"}}`,
	}
}
