package security

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
)

// Limits on evidence packages.
const (
	// MaxEvidenceSize bounds the evidence data as uploaded, in bytes.
	MaxEvidenceSize = 1 << 20
	// MaxCorrelationIDLength bounds correlation ids, in bytes.
	MaxCorrelationIDLength = 256
	// MaxArtifactNameLength bounds artifact names, in bytes.
	MaxArtifactNameLength = 1024
)

// Evidence is an evidence package: what a build says it produced (artifact
// and SBOM digests, the blast radius class), stored in canonical form with
// the SHA-256 of that form. Packages are never updated or deleted.
//
// An attested package ([Evidence.Attest]) also carries the service key's
// signed statement of its content hash, and when the keyring names trusted
// producers a producer's signed statement of its data;
// [Evidence.Verify] checks the package against both.
type Evidence struct {
	ID            uuid.UUID
	CorrelationID string          // unique: the idempotency key of the upload
	Data          json.RawMessage // the RFC 8785 canonical form of the evidence data
	ContentHash   Digest          // SHA-256 of Data
	CreatedAt     time.Time       // UTC, microsecond precision
	// Attestation is the service key's statement about the package
	// ([PredicateEvidence]): its id, correlation id, content hash,
	// creation time, producer and artifacts. Empty for a package stored
	// before trustgate signed evidence, which then verifies as unsigned.
	Attestation dsse.Envelope
	// Producer is the trusted producer's envelope over the evidence data
	// ([PredicateProducer], [ProducerPayload]); empty when the keyring
	// named no producers at upload.
	Producer dsse.Envelope
}

// Manifest is the part of the evidence data trustgate reads.
//
// The evidence data is a JSON object holding at least "artifacts", an array
// of objects with "name" and "sha256" (64 hex digits); optionally "sbom", an
// object with "sha256"; and optionally "blast_radius_class", a class name.
// Other members are kept, hashed and ignored.
type Manifest struct {
	Artifacts []Artifact
	SBOM      *SBOMRef // nil when the evidence declares no SBOM
	// BlastRadius is the declared class, verbatim; HasBlastRadius reports
	// whether the member is present at all. The validator's gates judge
	// both, so a package can be stored before it is complete.
	BlastRadius    string
	HasBlastRadius bool
}

// Artifact is one deployable file named by the evidence.
type Artifact struct {
	Name   string
	SHA256 Digest
}

// SBOMRef is the evidence's reference to a software bill of materials.
type SBOMRef struct {
	SHA256 Digest
}

// NewEvidence canonicalises data (RFC 8785), checks that it is an evidence
// object ([Manifest] says what that requires), and returns the package with
// its content hash. Malformed JSON, a value that is not an object, duplicate
// member names, invalid UTF-8, numbers out of range, a missing or malformed
// artifact list and malformed digests are each an invalid-input error
// naming the field.
func NewEvidence(id uuid.UUID, correlationID string, data []byte, now time.Time) (Evidence, error) {
	if err := checkCorrelationID(correlationID); err != nil {
		return Evidence{}, err
	}
	if len(data) > MaxEvidenceSize {
		return Evidence{}, fieldErr("evidence", fmt.Sprintf("larger than %d bytes", MaxEvidenceSize), nil)
	}
	canon, err := jcs.CanonicalizeObject(make([]byte, 0, len(data)), data)
	if err != nil {
		return Evidence{}, fieldErr("evidence", err.Error(), err)
	}
	if _, err := parseManifest(canon); err != nil {
		return Evidence{}, err
	}
	return Evidence{
		ID:            id,
		CorrelationID: correlationID,
		Data:          canon,
		ContentHash:   sha256.Sum256(canon),
		CreatedAt:     now.UTC(), // a store keeps it at its own precision
	}, nil
}

func checkCorrelationID(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fieldErr("correlation_id", "required", nil)
	case len(s) > MaxCorrelationIDLength:
		return fieldErr("correlation_id", fmt.Sprintf("longer than %d bytes", MaxCorrelationIDLength), nil)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fieldErr("correlation_id", "must be valid UTF-8 without control characters", nil)
	}
	return nil
}

// Intact reports whether the stored data still hashes to the content hash,
// comparing in constant time. A package read back from storage that is not
// intact was changed after it was written.
func (e Evidence) Intact() bool {
	sum := sha256.Sum256(e.Data)
	return Digest(sum).Equal(e.ContentHash)
}

// Manifest parses the package's data: see [Manifest] for what it reads.
//
// It assumes e.Data is canonical, as NewEvidence makes it: check
// [Evidence.Intact] before trusting the result of a package read back from
// storage (the validator does).
func (e Evidence) Manifest() (Manifest, error) { return parseManifest(e.Data) }

// parseManifest reads the members trustgate uses from canonical evidence
// data (what NewEvidence produces and stores keep). It decodes only the
// strings it needs and skips the rest of a large package unparsed. Every
// problem is an invalid-input error whose Field is a path such as
// "artifacts[2].sha256".
func parseManifest(data []byte) (Manifest, error) {
	var m Manifest
	var artifacts, sbom []byte
	err := jcs.Members(data, func(name, value []byte) error {
		switch string(name) {
		case "artifacts":
			artifacts = value
		case "sbom":
			sbom = value
		case "blast_radius_class":
			if string(value) == "null" {
				return nil
			}
			m.HasBlastRadius = true
			if s, ok := jsonString(value); ok {
				m.BlastRadius = s
			} else {
				m.BlastRadius = string(value) // not a string: the gate reports it invalid
			}
		}
		return nil
	})
	if err != nil {
		return Manifest{}, fieldErr("evidence", err.Error(), ErrMalformedJSON)
	}
	if err := m.parseArtifacts(artifacts); err != nil {
		return Manifest{}, err
	}
	if sbom != nil && string(sbom) != "null" {
		digest, err := pickDigest("sbom", sbom)
		if err != nil {
			return Manifest{}, err
		}
		m.SBOM = &SBOMRef{SHA256: digest}
	}
	return m, nil
}

func (m *Manifest) parseArtifacts(raw []byte) error {
	required := fieldErr("artifacts", "at least one artifact (name, sha256) is required", nil)
	if len(raw) == 0 || raw[0] != '[' {
		if len(raw) == 0 || string(raw) == "null" {
			return required
		}
		return fieldErr("artifacts", "must be an array of objects with name and sha256", nil)
	}
	seen := map[string]bool{}
	i := 0
	err := jcs.Elements(raw, func(el []byte) error {
		idx := i
		i++
		field := func() string { return "artifacts[" + strconv.Itoa(idx) + "]" }
		if len(el) == 0 || el[0] != '{' {
			return fieldErr(field(), "must be an object with name and sha256", nil)
		}
		var name, sum []byte
		if err := jcs.Members(el, func(k, v []byte) error {
			switch string(k) {
			case "name":
				name = v
			case "sha256":
				sum = v
			}
			return nil
		}); err != nil {
			return fieldErr(field(), err.Error(), ErrMalformedJSON)
		}
		n, ok := jsonString(name)
		switch {
		case !ok || strings.TrimSpace(n) == "":
			return fieldErr(field()+".name", "required, a non-empty string", nil)
		case len(n) > MaxArtifactNameLength:
			return fieldErr(field()+".name", fmt.Sprintf("longer than %d bytes", MaxArtifactNameLength), nil)
		case strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }):
			return fieldErr(field()+".name", "must be valid UTF-8 without control characters", nil)
		}
		if seen[n] {
			return fieldErr(field()+".name", fmt.Sprintf("artifact %q is listed twice", n), nil)
		}
		seen[n] = true
		d, ok := digestFast(sum)
		if !ok {
			_, err := digestMember(field()+".sha256", sum)
			return err
		}
		m.Artifacts = append(m.Artifacts, Artifact{Name: n, SHA256: d})
		return nil
	})
	if err != nil {
		var fe *trustgate.Error
		if errors.As(err, &fe) {
			return fe
		}
		return fieldErr("artifacts", err.Error(), ErrMalformedJSON)
	}
	if len(m.Artifacts) == 0 {
		return required
	}
	return nil
}

// pickDigest reads the "sha256" member of the object raw.
func pickDigest(field string, raw []byte) (Digest, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return Digest{}, fieldErr(field, "must be an object with sha256", nil)
	}
	var sum []byte
	if err := jcs.Members(raw, func(k, v []byte) error {
		if string(k) == "sha256" {
			sum = v
		}
		return nil
	}); err != nil {
		return Digest{}, fieldErr(field, err.Error(), ErrMalformedJSON)
	}
	return digestMember(field+".sha256", sum)
}

func digestMember(field string, raw []byte) (Digest, error) {
	if raw == nil {
		return Digest{}, fieldErr(field, "required", nil)
	}
	s, ok := jsonString(raw)
	if !ok {
		return Digest{}, fieldErr(field, "must be a string of 64 hex digits", nil)
	}
	return ParseDigest(field, s)
}

// digestFast parses a digest member without building an error; the caller
// asks digestMember for the error when it fails.
func digestFast(raw []byte) (Digest, bool) {
	var d Digest
	if len(raw) != 2+2*len(d) || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return d, false
	}
	if _, err := hex.Decode(d[:], raw[1:len(raw)-1]); err != nil {
		return d, false
	}
	return d, true
}

// jsonString decodes a JSON string value. Strings without escapes (names
// and digests, nearly always) are sliced, not parsed.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if !bytes.ContainsAny(inner, "\\\"") && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// Class returns the declared blast radius class, or an invalid-input error
// for the field "blast_radius_class" saying what is wrong with it: absent,
// or not one of the four classes (then wrapping a [*blastradius.ClassError]).
func (m Manifest) Class() (blastradius.Class, error) {
	if !m.HasBlastRadius || m.BlastRadius == "" {
		return "", fieldErr("blast_radius_class", "the evidence names no blast radius class", nil)
	}
	c, err := blastradius.Parse(m.BlastRadius)
	if err != nil {
		return "", fieldErr("blast_radius_class", fmt.Sprintf("unknown class %q (want one of CRITICAL_INFRASTRUCTURE, BUSINESS_CRITICAL, PRODUCTIVITY_TOOLS, NON_CRITICAL)", m.BlastRadius), err)
	}
	return c, nil
}

// Artifact returns the artifact called name, or the only artifact when name
// is empty and there is exactly one.
func (m Manifest) Artifact(name string) (Artifact, bool) {
	if name == "" {
		if len(m.Artifacts) == 1 {
			return m.Artifacts[0], true
		}
		return Artifact{}, false
	}
	for _, a := range m.Artifacts {
		if a.Name == name {
			return a, true
		}
	}
	return Artifact{}, false
}
