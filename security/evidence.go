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
// The evidence data is a JSON object in one of three forms:
//
//   - trustgate's own: "artifacts", an array of objects with "name" and
//     "sha256"; optionally "sbom", an object with "sha256"; and optionally
//     "blast_radius_class", a class name.
//   - an in-toto Statement v1 ("_type" "https://in-toto.io/Statement/v1"):
//     its subjects are the artifacts (each subject's name, and the sha256
//     of its digest set; other algorithms in the set are ignored). When its
//     predicateType is [PredicateManifest], its predicate may hold "sbom"
//     and "blast_radius_class" as trustgate's own form does; a statement of
//     any other predicate type declares neither. See [PredicateManifest].
//     An object with a "_type" member is read as a statement, and
//     "artifacts", "sbom" or "blast_radius_class" beside its members is an
//     error naming that member.
//   - trustgate's own form with "in_toto_statement", an in-toto Statement
//     v1, in place of "artifacts": the statement's subjects are the
//     artifacts, and "sbom" and "blast_radius_class" sit beside it. This is
//     how a statement some other tool made (a SLSA provenance, say) is
//     given the class and SBOM trustgate needs without changing it.
//
// A digest in trustgate's own form ("sha256" members) is 64 hex digits or
// "sha256:" and 64 lower-case hex digits ([ParseEvidenceDigest]); in a
// statement's digest set it is 64 lower-case hex digits, as in-toto
// requires. Other members are kept, hashed and ignored.
//
// The data is stored as given, only canonicalised: the content hash, and a
// producer's signature, are over those bytes. Every digest trustgate reads
// from it is a [Digest], with one text form, 64 lower-case hex digits,
// whichever form the evidence used: the manifest, the service statement's
// subjects, validation reports and audit events, a CAB request's artifact
// digest.
type Manifest struct {
	Artifacts []Artifact
	SBOM      *SBOMRef // nil when the evidence declares no SBOM
	// BlastRadius is the declared class, verbatim; HasBlastRadius reports
	// whether the member is present at all. The validator's gates judge
	// both, so a package can be stored before it is complete.
	BlastRadius    string
	HasBlastRadius bool
	// PredicateType is the in-toto statement's predicate type when the
	// evidence is, or wraps, a statement; "" otherwise.
	PredicateType string
}

// Artifact is one deployable file named by the evidence.
type Artifact struct {
	Name   string
	SHA256 Digest // parsed: the same whichever form the evidence wrote it in
}

// SBOMRef is the evidence's reference to a software bill of materials.
type SBOMRef struct {
	SHA256 Digest
}

// NewEvidence canonicalises data (RFC 8785), checks that it is an evidence
// object in one of the forms [Manifest] describes (trustgate's own, or an
// in-toto Statement v1, bare or wrapped), and returns the package with its
// content hash. Malformed JSON, a value that is not an object, duplicate
// member names, invalid UTF-8, numbers out of range, a missing or malformed
// artifact or subject list, duplicate artifact names, a statement of
// another _type and malformed digests are each an invalid-input error
// naming the field; a digest of another algorithm than sha256 wraps
// [ErrDigestAlgorithm].
//
// Digests are not rewritten: Data is the canonical form of data as given,
// so the content hash is the SHA-256 any RFC 8785 implementation computes
// from it and a producer's signature over [ProducerPayload] of it holds.
// The one form of a digest is the [Digest] the manifest parses out of it.
//
// The data is read once: the manifest is picked out of it while it is
// canonicalised, not parsed again from the canonical form.
func NewEvidence(id uuid.UUID, correlationID string, data []byte, now time.Time) (Evidence, error) {
	e, _, err := newEvidence(id, correlationID, data, now, false)
	return e, err
}

// newEvidence is NewEvidence, also returning, when withManifest is set, the
// package's manifest: what [Evidence.Manifest] would parse out of its data.
// Without, the manifest's artifacts are checked but not kept.
func newEvidence(id uuid.UUID, correlationID string, data []byte, now time.Time, withManifest bool) (Evidence, Manifest, error) {
	if err := checkCorrelationID(correlationID); err != nil {
		return Evidence{}, Manifest{}, err
	}
	if len(data) > MaxEvidenceSize {
		return Evidence{}, Manifest{}, fieldErr("evidence", fmt.Sprintf("larger than %d bytes", MaxEvidenceSize), nil)
	}
	s := newScan(withManifest)
	canon, err := jcs.CanonicalizeObjectVisit(make([]byte, 0, len(data)), data, s, ctxRoot|roleObject)
	if err != nil {
		return Evidence{}, Manifest{}, fieldErr("evidence", err.Error(), err)
	}
	m, err := s.manifest()
	if err != nil {
		return Evidence{}, Manifest{}, err
	}
	return Evidence{
		ID:            id,
		CorrelationID: correlationID,
		Data:          canon,
		ContentHash:   sha256.Sum256(canon),
		CreatedAt:     now.UTC(), // a store keeps it at its own precision
	}, m, nil
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

// evidenceMembers are the raw values of the members of an evidence object
// (or of a [PredicateManifest] predicate) that trustgate reads; nil when
// absent.
type evidenceMembers struct {
	artifacts, sbom, class, statement []byte
	// An in-toto statement's.
	typ, subject, predicateType, predicate []byte
}

// readMembers picks the members trustgate reads out of the canonical
// object data, for the field prefix (either "" or "predicate.").
func readMembers(prefix string, data []byte) (evidenceMembers, error) {
	var mb evidenceMembers
	err := jcs.Members(data, func(name, value []byte) error {
		switch string(name) {
		case "artifacts":
			mb.artifacts = value
		case "sbom":
			mb.sbom = value
		case "blast_radius_class":
			mb.class = value
		case "in_toto_statement":
			mb.statement = value
		case "_type":
			mb.typ = value
		case "subject":
			mb.subject = value
		case "predicateType":
			mb.predicateType = value
		case "predicate":
			mb.predicate = value
		}
		return nil
	})
	if err != nil {
		field := strings.TrimSuffix(prefix, ".")
		if field == "" {
			field = "evidence"
		}
		return mb, fieldErr(field, err.Error(), ErrMalformedJSON)
	}
	return mb, nil
}

// parseManifest reads the members trustgate uses from canonical evidence
// data (what NewEvidence produces and stores keep), in any of the forms
// [Manifest] describes. It decodes only the strings it needs and skips the
// rest of a large package unparsed. Every problem is an invalid-input
// error whose Field is a path such as "artifacts[2].sha256" or
// "subject[2].digest".
func parseManifest(data []byte) (Manifest, error) {
	mb, err := readMembers("", data)
	if err != nil {
		return Manifest{}, err
	}
	if mb.typ != nil {
		return parseStatementEvidence(&mb)
	}
	var m Manifest
	switch {
	case mb.statement != nil && mb.artifacts != nil:
		return Manifest{}, fieldErr("in_toto_statement", "the evidence lists artifacts and wraps a statement whose subjects are its artifacts: give one of the two", nil)
	case mb.statement != nil:
		if err := m.parseWrapped(mb.statement); err != nil {
			return Manifest{}, err
		}
	default:
		if err := m.parseArtifacts(mb.artifacts); err != nil {
			return Manifest{}, err
		}
	}
	if err := m.parseDeclared("", &mb); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// parseDeclared reads the SBOM and the blast radius class out of mb, the
// members of an object at prefix ("" or "predicate.").
func (m *Manifest) parseDeclared(prefix string, mb *evidenceMembers) error {
	if mb.class != nil && string(mb.class) != "null" {
		m.HasBlastRadius = true
		if s, ok := jsonString(mb.class); ok {
			m.BlastRadius = s
		} else {
			m.BlastRadius = string(mb.class) // not a string: the gate reports it invalid
		}
	}
	if mb.sbom != nil && string(mb.sbom) != "null" {
		digest, err := pickDigest(prefix+"sbom", mb.sbom)
		if err != nil {
			return err
		}
		m.SBOM = &SBOMRef{SHA256: digest}
	}
	return nil
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
		n, err := artifactName(field, name, seen)
		if err != nil {
			return err
		}
		d, ok := digestFast(sum)
		if !ok {
			_, err := digestMember(field()+".sha256", sum)
			return err
		}
		m.Artifacts = append(m.Artifacts, Artifact{Name: n, SHA256: d})
		return nil
	})
	if err != nil {
		return elementsErr("artifacts", err)
	}
	if len(m.Artifacts) == 0 {
		return required
	}
	return nil
}

// artifactName checks the raw "name" member of the artifact (or subject)
// at field(), which no other artifact in seen may have, and adds it there.
func artifactName(field func() string, raw []byte, seen map[string]bool) (string, error) {
	n, ok := jsonString(raw)
	return checkArtifactName(field, n, ok, seen)
}

// checkArtifactName is artifactName of a name already decoded: n, and ok
// false when the member is absent or not a string.
func checkArtifactName(field func() string, n string, ok bool, seen map[string]bool) (string, error) {
	if reason := nameProblem(n, ok); reason != "" {
		return "", nameErr(field, reason)
	}
	if seen[n] {
		return "", duplicateNameErr(field, n)
	}
	seen[n] = true
	return n, nil
}

// elementsErr is the error of a walk over the array at field: the field
// error a callback returned, or the array's own syntax error.
func elementsErr(field string, err error) error {
	var fe *trustgate.Error
	if errors.As(err, &fe) {
		return fe
	}
	return fieldErr(field, err.Error(), ErrMalformedJSON)
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
	if d, ok := digestFast(sum); ok {
		return d, nil
	}
	return digestMember(field+".sha256", sum)
}

// digestMember parses the raw value of a "sha256" member of trustgate's
// own form: see [ParseEvidenceDigest].
func digestMember(field string, raw []byte) (Digest, error) {
	if raw == nil {
		return Digest{}, fieldErr(field, "required", nil)
	}
	s, ok := jsonString(raw)
	if !ok {
		return Digest{}, fieldErr(field, `must be a string: 64 hex digits, or "sha256:" and 64 lower-case hex digits`, nil)
	}
	return ParseEvidenceDigest(field, s)
}

// digestFast parses a digest member in either form [ParseEvidenceDigest]
// reads without building an error; the caller asks digestMember for the
// error when it fails.
func digestFast(raw []byte) (Digest, bool) {
	var d Digest
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return d, false
	}
	inner := raw[1 : len(raw)-1]
	if len(inner) == len(ociPrefix)+2*len(d) && string(inner[:len(ociPrefix)]) == ociPrefix {
		return lowerHexDigest(inner[len(ociPrefix):])
	}
	if len(inner) != 2*len(d) {
		return d, false
	}
	if _, err := hex.Decode(d[:], inner); err != nil {
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
		reason := "the evidence names no blast radius class"
		if m.PredicateType != "" {
			reason += ` (an in-toto statement names one in its predicate when its predicateType is ` + PredicateManifest +
				`, or beside it when the evidence wraps it in "in_toto_statement")`
		}
		return "", fieldErr("blast_radius_class", reason, nil)
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
