package security_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const slsaProvenance = "https://slsa.dev/provenance/v1"

// subjectJSON is one subject with the given digest set.
func subjectJSON(name, digestSet string) string {
	return fmt.Sprintf(`{"name":%q,"digest":%s}`, name, digestSet)
}

// statement is an in-toto Statement v1 of predicateType about subjects.
func statement(predicateType, predicate string, subjects ...string) string {
	return `{"_type":"https://in-toto.io/Statement/v1","subject":[` + strings.Join(subjects, ",") +
		`],"predicateType":"` + predicateType + `","predicate":` + predicate + `}`
}

func sha256Set(b []byte) string { return `{"sha256":"` + hexSum(b) + `"}` }

func mustManifest(t *testing.T, data string) security.Manifest {
	t.Helper()
	e, err := security.NewEvidence(uuid.New(), "c", []byte(data), epoch)
	require.NoError(t, err)
	m, err := e.Manifest()
	require.NoError(t, err)
	return m
}

func TestAStatementOfTrustgatesPredicateIsEvidence(t *testing.T) {
	data := statement(security.PredicateManifest,
		`{"blast_radius_class":"PRODUCTIVITY_TOOLS","sbom":{"format":"cyclonedx","sha256":"sha256:`+hexSum(sbom)+`"},"build":{"run":7}}`,
		subjectJSON("zoom-6.1.msi", `{"sha256":"`+hexSum(artifact)+`","sha512":"`+strings.Repeat("cd", 64)+`"}`),
		subjectJSON("zoom-6.1.msi.sig", sha256Set([]byte("sig"))))
	m := mustManifest(t, data)
	assert.Equal(t, []security.Artifact{
		{Name: "zoom-6.1.msi", SHA256: sha256.Sum256(artifact)},
		{Name: "zoom-6.1.msi.sig", SHA256: sha256.Sum256([]byte("sig"))},
	}, m.Artifacts, "the subjects, in order, by their sha256")
	require.NotNil(t, m.SBOM)
	assert.Equal(t, security.Digest(sha256.Sum256(sbom)), m.SBOM.SHA256)
	class, err := m.Class()
	require.NoError(t, err)
	assert.Equal(t, blastradius.ProductivityTools, class)
	assert.Equal(t, security.PredicateManifest, m.PredicateType)
}

func TestAStatementOfAnotherPredicateDeclaresNoClassOrSBOM(t *testing.T) {
	// A predicate that happens to hold trustgate's member names: another
	// type's members are not trustgate's to read.
	m := mustManifest(t, statement(slsaProvenance, `{"blast_radius_class":"NON_CRITICAL","sbom":{"sha256":"`+hexSum(sbom)+`"}}`,
		subjectJSON("zoom-6.1.msi", sha256Set(artifact))))
	assert.Equal(t, []security.Artifact{{Name: "zoom-6.1.msi", SHA256: sha256.Sum256(artifact)}}, m.Artifacts)
	assert.Nil(t, m.SBOM)
	assert.False(t, m.HasBlastRadius)
	assert.Equal(t, slsaProvenance, m.PredicateType)
	_, err := m.Class()
	requireInvalid(t, err, "blast_radius_class")
	assert.Contains(t, err.Error(), "in_toto_statement", "the error says how to give a class")

	// No predicate at all is a statement too.
	m = mustManifest(t, `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[`+subjectJSON("a", sha256Set(artifact))+`]}`)
	assert.Len(t, m.Artifacts, 1)
}

func TestAWrappedStatementGetsItsClassAndSBOMBesideIt(t *testing.T) {
	st := statement(slsaProvenance, `{"buildDefinition":{"buildType":"https://actions.github.io/buildtypes/workflow/v1"}}`,
		subjectJSON("zoom-6.1.msi", sha256Set(artifact)))
	m := mustManifest(t, `{"in_toto_statement":`+st+`,"blast_radius_class":"BUSINESS_CRITICAL","sbom":{"sha256":"`+hexSum(sbom)+`"}}`)
	assert.Equal(t, []security.Artifact{{Name: "zoom-6.1.msi", SHA256: sha256.Sum256(artifact)}}, m.Artifacts)
	require.NotNil(t, m.SBOM)
	assert.Equal(t, security.Digest(sha256.Sum256(sbom)), m.SBOM.SHA256)
	class, err := m.Class()
	require.NoError(t, err)
	assert.Equal(t, blastradius.BusinessCritical, class)
	assert.Equal(t, slsaProvenance, m.PredicateType)

	// A wrapped statement's own predicate is not read, whatever its type.
	m = mustManifest(t, `{"in_toto_statement":`+statement(security.PredicateManifest, `{"blast_radius_class":"NON_CRITICAL"}`,
		subjectJSON("a", sha256Set(artifact)))+`}`)
	assert.False(t, m.HasBlastRadius)
}

func TestStatementEvidenceRejects(t *testing.T) {
	good := subjectJSON("a", sha256Set(artifact))
	hex := hexSum(artifact)
	wrap := func(st string) string { return `{"in_toto_statement":` + st + `,"blast_radius_class":"NON_CRITICAL"}` }
	tests := []struct {
		name, data, field string
		algorithm         bool
	}{
		{"a wrong _type", strings.Replace(statement("x", `{}`, good), "Statement/v1", "Statement/v0.1", 1), "_type", false},
		{"a _type that is not a string", `{"_type":1,"subject":[` + good + `],"predicateType":"x"}`, "_type", false},
		{"an empty subject list", statement("x", `{}`), "subject", false},
		{"no subject", `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x"}`, "subject", false},
		{"a subject that is not a list", `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":{"name":"a"}}`, "subject", false},
		{"a subject that is not an object", statement("x", `{}`, good, `"b"`), "subject[1]", false},
		{"a subject without a name", statement("x", `{}`, `{"digest":`+sha256Set(artifact)+`}`), "subject[0].name", false},
		{"a subject named by a number", statement("x", `{}`, `{"name":1,"digest":`+sha256Set(artifact)+`}`), "subject[0].name", false},
		{"a subject with a control character", statement("x", `{}`, subjectJSON("a\n", sha256Set(artifact))), "subject[0].name", false},
		{"duplicate names", statement("x", `{}`, good, subjectJSON("b", sha256Set(sbom)), subjectJSON("a", sha256Set(sbom))), "subject[2].name", false},
		{"a subject without a digest", statement("x", `{}`, good, `{"name":"b"}`), "subject[1].digest", false},
		{"an empty digest set", statement("x", `{}`, good, subjectJSON("b", `{}`), subjectJSON("c", `{}`)), "subject[1].digest", false},
		{"a digest set that is a string", statement("x", `{}`, subjectJSON("a", `"`+hex+`"`)), "subject[0].digest", false},
		{"no sha256 in the digest set", statement("x", `{}`, good, subjectJSON("b", sha256Set(sbom)),
			subjectJSON("c", `{"sha512":"`+strings.Repeat("ab", 64)+`","gitCommit":"abc"}`)), "subject[2].digest", true},
		{"upper-case hex in the digest set", statement("x", `{}`, subjectJSON("a", `{"sha256":"`+strings.ToUpper(hex)+`"}`)), "subject[0].digest.sha256", false},
		{"the OCI form in the digest set", statement("x", `{}`, subjectJSON("a", `{"sha256":"sha256:`+hex+`"}`)), "subject[0].digest.sha256", false},
		{"a short sha256", statement("x", `{}`, subjectJSON("a", `{"sha256":"abc"}`)), "subject[0].digest.sha256", false},
		{"no predicateType", `{"_type":"https://in-toto.io/Statement/v1","subject":[` + good + `]}`, "predicateType", false},
		{"an empty predicateType", statement("", `{}`, good), "predicateType", false},
		{"a predicate that is not an object", statement("x", `[1]`, good), "predicate", false},
		{"artifacts beside the subjects", `{"_type":"https://in-toto.io/Statement/v1","artifacts":[],"predicateType":"x","subject":[` + good + `]}`, "artifacts", false},
		{"a class beside the subjects", `{"_type":"https://in-toto.io/Statement/v1","blast_radius_class":"NON_CRITICAL","predicateType":"x","subject":[` + good + `]}`, "blast_radius_class", false},
		{"an SBOM beside the subjects", `{"_type":"https://in-toto.io/Statement/v1","sbom":{},"predicateType":"x","subject":[` + good + `]}`, "sbom", false},
		{"artifacts in trustgate's predicate", statement(security.PredicateManifest, `{"artifacts":[{"name":"a","sha256":"`+hex+`"}]}`, good), "predicate.artifacts", false},
		{"a bad SBOM digest in trustgate's predicate", statement(security.PredicateManifest, `{"sbom":{"sha256":"sha512:`+hex+`"}}`, good), "predicate.sbom.sha256", true},
		{"an SBOM without a digest in trustgate's predicate", statement(security.PredicateManifest, `{"sbom":{}}`, good), "predicate.sbom.sha256", false},
		{"a wrapped statement and artifacts", `{"artifacts":[{"name":"a","sha256":"` + hex + `"}],"in_toto_statement":` + statement("x", `{}`, good) + `}`, "in_toto_statement", false},
		{"a wrapped statement that is not an object", wrap(`"` + hex + `"`), "in_toto_statement", false},
		{"a wrapped statement without _type", wrap(`{"predicateType":"x","subject":[` + good + `]}`), "in_toto_statement._type", false},
		{"a wrapped statement's subjects", wrap(statement("x", `{}`, good, subjectJSON("b", `{"sha1":"`+hex[:40]+`"}`))), "in_toto_statement.subject[1].digest", true},
		{"a wrapped statement's duplicate name", wrap(statement("x", `{}`, good, good)), "in_toto_statement.subject[1].name", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.NewEvidence(uuid.New(), "c", []byte(tt.data), epoch)
			requireInvalid(t, err, tt.field)
			assert.Equal(t, tt.algorithm, errors.Is(err, security.ErrDigestAlgorithm), err)
			_, err = security.ProducerPayload([]byte(tt.data))
			requireInvalid(t, err, tt.field)
		})
	}
}
