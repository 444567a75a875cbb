package security_test

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sha = strings.Repeat("ab", 32)

func TestEvidenceHashIsOverTheCanonicalForm(t *testing.T) {
	a := `{"artifacts":[{"name":"a.msi","sha256":"` + sha + `"}],"blast_radius_class":"NON_CRITICAL","n":1.50,"u":"\u00e9"}`
	b := "{\n  \"u\": \"é\",\n  \"n\": 15e-1,\n  \"blast_radius_class\": \"NON_CRITICAL\",\n  \"artifacts\": [ { \"sha256\": \"" + sha + "\", \"name\": \"a.msi\" } ]\n}"
	ea, err := security.NewEvidence(uuid.New(), "c1", []byte(a), epoch)
	require.NoError(t, err)
	eb, err := security.NewEvidence(uuid.New(), "c2", []byte(b), epoch)
	require.NoError(t, err)
	assert.Equal(t, ea.ContentHash, eb.ContentHash, "formatting and member order do not change the hash")
	assert.Equal(t, string(ea.Data), string(eb.Data))
	want := `{"artifacts":[{"name":"a.msi","sha256":"` + sha + `"}],"blast_radius_class":"NON_CRITICAL","n":1.5,"u":"é"}`
	assert.Equal(t, want, string(ea.Data))
	assert.Equal(t, security.Digest(sha256.Sum256([]byte(want))), ea.ContentHash)
	assert.True(t, ea.Intact())

	m, err := ea.Manifest()
	require.NoError(t, err)
	class, err := m.Class()
	require.NoError(t, err)
	assert.Equal(t, blastradius.NonCritical, class)
	art, ok := m.Artifact("")
	assert.True(t, ok)
	assert.Equal(t, "a.msi", art.Name)
}

func TestManifestClassNamesTheField(t *testing.T) {
	for data, unknown := range map[string]bool{
		`{"artifacts":[{"name":"a","sha256":"` + sha + `"}]}`:                                         false,
		`{"artifacts":[{"name":"a","sha256":"` + sha + `"}],"blast_radius_class":"MISSION_CRITICAL"}`: true,
	} {
		e, err := security.NewEvidence(uuid.New(), "c", []byte(data), epoch)
		require.NoError(t, err)
		m, err := e.Manifest()
		require.NoError(t, err)
		_, err = m.Class()
		requireInvalid(t, err, "blast_radius_class")
		assert.Equal(t, unknown, errors.Is(err, blastradius.ErrUnknownClass), data)
	}
}

func TestIntactDetectsAnyChangeToTheData(t *testing.T) {
	e, err := security.NewEvidence(uuid.New(), "c", []byte(`{"artifacts":[{"name":"a","sha256":"`+sha+`"}]}`), epoch)
	require.NoError(t, err)
	for i := range e.Data {
		changed := e
		changed.Data = append([]byte(nil), e.Data...)
		changed.Data[i] ^= 0x01
		assert.False(t, changed.Intact(), "flipping byte %d went unnoticed", i)
	}
}

func TestNewEvidenceRejectsBadInput(t *testing.T) {
	art := `"artifacts":[{"name":"a","sha256":"` + sha + `"}]`
	tests := []struct {
		name, data, field string
		jcsErr            error
	}{
		{"malformed JSON", `{"artifacts":`, "evidence", security.ErrMalformedJSON},
		{"not an object", `[{"name":"a"}]`, "evidence", security.ErrNotObject},
		{"a string", `"evidence"`, "evidence", security.ErrNotObject},
		{"duplicate keys", `{` + art + `,"x":1,"x":2}`, "evidence", security.ErrDuplicateKey},
		{"invalid UTF-8", "{" + art + ",\"x\":\"\xc3\x28\"}", "evidence", security.ErrInvalidUTF8},
		{"lone surrogate", `{` + art + `,"x":"\ud800"}`, "evidence", security.ErrInvalidUTF8},
		{"number out of range", `{` + art + `,"x":1e400}`, "evidence", security.ErrNumberRange},
		{"no artifacts", `{"sbom":{"sha256":"` + sha + `"}}`, "artifacts", nil},
		{"empty artifacts", `{"artifacts":[]}`, "artifacts", nil},
		{"artifacts not an array", `{"artifacts":{"name":"a"}}`, "artifacts", nil},
		{"artifact without a name", `{"artifacts":[{"sha256":"` + sha + `"}]}`, "artifacts[0].name", nil},
		{"artifact without a hash", `{"artifacts":[{"name":"a"}]}`, "artifacts[0].sha256", nil},
		{"hash too short", `{"artifacts":[{"name":"a","sha256":"abc"}]}`, "artifacts[0].sha256", nil},
		{"hash not hex", `{"artifacts":[{"name":"a","sha256":"` + strings.Repeat("zz", 32) + `"}]}`, "artifacts[0].sha256", nil},
		{"hash a number", `{"artifacts":[{"name":"a","sha256":12}]}`, "artifacts[0].sha256", nil},
		{"artifact that is not an object", `{"artifacts":["a.msi"]}`, "artifacts[0]", nil},
		{"sbom that is not an object", `{` + art + `,"sbom":"` + sha + `"}`, "sbom", nil},
		{"name with escapes is decoded", `{"artifacts":[{"name":"a\\u0000","sha256":"zz"}]}`, "artifacts[0].sha256", nil},
		{"artifact listed twice", `{"artifacts":[{"name":"a","sha256":"` + sha + `"},{"name":"a","sha256":"` + sha + `"}]}`, "artifacts[1].name", nil},
		{"artifact name with a control character", `{"artifacts":[{"name":"a\u0000.msi","sha256":"` + sha + `"}]}`, "artifacts[0].name", nil},
		{"artifact name too long", `{"artifacts":[{"name":"` + strings.Repeat("n", security.MaxArtifactNameLength+1) + `","sha256":"` + sha + `"}]}`, "artifacts[0].name", nil},
		{"sbom without a hash", `{` + art + `,"sbom":{"format":"spdx"}}`, "sbom.sha256", nil},
		{"sbom hash of the wrong length", `{` + art + `,"sbom":{"sha256":"` + sha + `00"}}`, "sbom.sha256", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.NewEvidence(uuid.New(), "c", []byte(tt.data), epoch)
			requireInvalid(t, err, tt.field)
			if tt.jcsErr != nil {
				assert.ErrorIs(t, err, tt.jcsErr)
			}
		})
	}
}

func TestNewEvidenceRejectsBadCorrelationIDsAndOversizedData(t *testing.T) {
	ok := []byte(`{"artifacts":[{"name":"a","sha256":"` + sha + `"}]}`)
	for _, c := range []string{"", "  ", "a\nb", strings.Repeat("x", security.MaxCorrelationIDLength+1), "bad\xff"} {
		_, err := security.NewEvidence(uuid.New(), c, ok, epoch)
		requireInvalid(t, err, "correlation_id")
	}
	big := []byte(`{"artifacts":[{"name":"a","sha256":"` + sha + `"}],"pad":"` + strings.Repeat("x", security.MaxEvidenceSize) + `"}`)
	_, err := security.NewEvidence(uuid.New(), "c", big, epoch)
	requireInvalid(t, err, "evidence")
}
