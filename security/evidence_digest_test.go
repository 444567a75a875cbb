package security_test

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseEvidenceDigestReadsBothForms(t *testing.T) {
	want := security.Digest(sha256.Sum256([]byte("x")))
	lower := want.String()
	for name, s := range map[string]string{
		"64 hex digits":            lower,
		"64 upper-case hex digits": strings.ToUpper(lower),
		"the OCI form":             "sha256:" + lower,
	} {
		t.Run(name, func(t *testing.T) {
			d, err := security.ParseEvidenceDigest("f", s)
			require.NoError(t, err)
			assert.Equal(t, want, d)
			assert.Equal(t, lower, d.String(), "one text form")
		})
	}
}

func TestParseEvidenceDigestRejects(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	tests := []struct {
		name, s   string
		algorithm bool // wraps ErrDigestAlgorithm
	}{
		{"empty", "", false},
		{"too short", "abc", false},
		{"not hex", strings.Repeat("zz", 32), false},
		{"the prefix alone", "sha256:", false},
		{"upper-case hex after the prefix", "sha256:" + strings.ToUpper(hex), false},
		{"short hex after the prefix", "sha256:" + hex[:63], false},
		{"long hex after the prefix", "sha256:" + hex + "0", false},
		{"the prefix twice", "sha256:sha256:" + hex, false},
		{"a space before the prefix", " sha256:" + hex, true},
		{"an upper-case prefix", "SHA256:" + hex, true},
		{"sha512", "sha512:" + strings.Repeat("ab", 64), true},
		{"sha1", "sha1:" + strings.Repeat("ab", 20), true},
		{"an empty algorithm", ":" + hex, true},
		{"a long algorithm", strings.Repeat("a", 1000) + ":" + hex, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.ParseEvidenceDigest("artifacts[0].sha256", tt.s)
			requireInvalid(t, err, "artifacts[0].sha256")
			assert.Equal(t, tt.algorithm, errors.Is(err, security.ErrDigestAlgorithm), err)
			if tt.algorithm {
				assert.Contains(t, err.Error(), "only sha256 is supported")
				assert.Equal(t, "DIGEST_ALGORITHM_UNSUPPORTED", trustgate.AsError(security.ErrDigestAlgorithm).Reason)
			}
			assert.Less(t, len(err.Error()), 300, "the message quotes the input short")
		})
	}
}

func TestParseDigestStillReadsOnlyHex(t *testing.T) {
	_, err := security.ParseDigest("content_hash", "sha256:"+strings.Repeat("ab", 32))
	requireInvalid(t, err, "content_hash")
}

// evidenceIn returns evidence data naming the artifact and SBOM digests as
// written (either form).
func evidenceIn(art, sb string) string {
	return `{"artifacts":[{"name":"zoom-6.1.msi","sha256":"` + art + `"}],"sbom":{"sha256":"` + sb + `"},"blast_radius_class":"PRODUCTIVITY_TOOLS"}`
}

func TestEvidenceDigestsInEitherFormAreOneDigest(t *testing.T) {
	art, sb := security.Digest(sha256.Sum256(artifact)), security.Digest(sha256.Sum256(sbom))
	forms := map[string]string{
		"hex":             evidenceIn(art.String(), sb.String()),
		"upper-case hex":  evidenceIn(strings.ToUpper(art.String()), strings.ToUpper(sb.String())),
		"OCI":             evidenceIn("sha256:"+art.String(), "sha256:"+sb.String()),
		"mixed":           evidenceIn("sha256:"+art.String(), sb.String()),
		"escaped in JSON": evidenceIn(`sha256\u003a`+art.String(), sb.String()),
	}
	svc := service(t)
	var subjects []string
	for name, data := range forms {
		t.Run(name, func(t *testing.T) {
			e, err := security.NewEvidence(uuid.New(), "c-"+name, []byte(data), attestedAt)
			require.NoError(t, err)
			m, err := e.Manifest()
			require.NoError(t, err)
			require.Len(t, m.Artifacts, 1)
			assert.Equal(t, art, m.Artifacts[0].SHA256)
			require.NotNil(t, m.SBOM)
			assert.Equal(t, sb, m.SBOM.SHA256)

			// What trustgate writes from the manifest is in the one form.
			payload, err := e.AttestationPayload("")
			require.NoError(t, err)
			subject := string(payload[strings.Index(string(payload), `"subject":`):])
			assert.Equal(t, `"subject":[{"digest":{"sha256":"`+art.String()+`"},"name":"zoom-6.1.msi"}]}`, subject)
			subjects = append(subjects, subject)
			producer, err := security.ProducerPayload([]byte(data))
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(string(producer), subject), "the producer statement's subjects too")

			// The data itself is kept as given, only canonicalised, so the
			// content hash is what any RFC 8785 implementation computes.
			assert.Equal(t, security.Digest(sha256.Sum256(e.Data)), e.ContentHash)
			require.NoError(t, e.Attest(svc, dsse.Envelope{}))
			require.NoError(t, e.Verify(svc.Keys()))
		})
	}
	assert.Len(t, subjects, len(forms))
}

func TestNewEvidenceRejectsOtherDigestAlgorithms(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	art := `"artifacts":[{"name":"a","sha256":"` + hex + `"}]`
	tests := []struct {
		name, data, field string
		algorithm         bool
	}{
		{"sha512 artifact", `{"artifacts":[{"name":"a","sha256":"sha512:` + strings.Repeat("ab", 64) + `"}]}`, "artifacts[0].sha256", true},
		{"sha512 sbom", `{` + art + `,"sbom":{"sha256":"sha512:` + strings.Repeat("ab", 64) + `"}}`, "sbom.sha256", true},
		{"second artifact's algorithm", `{"artifacts":[{"name":"a","sha256":"` + hex + `"},{"name":"b","sha256":"md5:` + hex[:32] + `"}]}`, "artifacts[1].sha256", true},
		{"upper-case OCI hex", `{"artifacts":[{"name":"a","sha256":"sha256:` + strings.ToUpper(hex) + `"}]}`, "artifacts[0].sha256", false},
		{"OCI prefix without hex", `{` + art + `,"sbom":{"sha256":"sha256:"}}`, "sbom.sha256", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.NewEvidence(uuid.New(), "c", []byte(tt.data), epoch)
			requireInvalid(t, err, tt.field)
			assert.Equal(t, tt.algorithm, errors.Is(err, security.ErrDigestAlgorithm), err)
		})
	}
}
