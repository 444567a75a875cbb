package security

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/security/attest"
)

// Evidence as an in-toto Statement v1
// (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):
// what build tools and attestation services already produce. The
// statement's subjects are the package's artifacts; what else trustgate
// needs (an SBOM, a blast radius class) comes from a predicate of
// trustgate's own type or from members beside the statement. See
// [Manifest] for the three forms of evidence data.

// PredicateManifest is the predicate type of an in-toto statement made to
// be trustgate evidence. Its subjects are the artifacts; its predicate is
// an object that may hold
//
//	"sbom": {"sha256": …}            as in trustgate's own form
//	"blast_radius_class": "…"        as in trustgate's own form
//
// and any other members, which are kept, hashed and ignored. An "artifacts"
// member in the predicate is an error ("predicate.artifacts"): the subjects
// are the artifacts. A statement of any other predicate type declares no
// SBOM and no class; to give them, wrap it:
//
//	{"in_toto_statement": {…}, "blast_radius_class": "…", "sbom": {…}}
const PredicateManifest = attest.PredicatePrefix + "evidence-manifest/v1"

// parseStatementEvidence reads evidence data that is itself an in-toto
// statement, whose members mb holds.
func parseStatementEvidence(mb *evidenceMembers) (Manifest, error) {
	for _, own := range []struct {
		name string
		raw  []byte
	}{{"artifacts", mb.artifacts}, {"sbom", mb.sbom}, {"blast_radius_class", mb.class}} {
		if own.raw != nil {
			return Manifest{}, fieldErr(own.name, `is not a member of an in-toto statement: its subjects are its artifacts, and an SBOM and a class go in a predicate of type `+
				PredicateManifest+`, or beside the statement when the evidence wraps it in "in_toto_statement"`, nil)
		}
	}
	var m Manifest
	if err := m.parseStatement("", mb); err != nil {
		return Manifest{}, err
	}
	if m.PredicateType != PredicateManifest || mb.predicate == nil || string(mb.predicate) == "null" {
		return m, nil
	}
	pm, err := readMembers("predicate.", mb.predicate)
	if err != nil {
		return Manifest{}, err
	}
	if pm.artifacts != nil {
		return Manifest{}, fieldErr("predicate.artifacts", "the statement's subjects are its artifacts: list them there", nil)
	}
	if err := m.parseDeclared("predicate.", &pm); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// parseWrapped reads the artifacts of the statement raw, the value of the
// evidence's "in_toto_statement" member.
func (m *Manifest) parseWrapped(raw []byte) error {
	const prefix = "in_toto_statement."
	if len(raw) == 0 || raw[0] != '{' {
		return fieldErr("in_toto_statement", "must be an in-toto Statement v1 object", nil)
	}
	mb, err := readMembers(prefix, raw)
	if err != nil {
		return err
	}
	return m.parseStatement(prefix, &mb)
}

// parseStatement checks the statement whose members mb holds, at the field
// prefix, and takes its subjects as m's artifacts and its predicate type.
func (m *Manifest) parseStatement(prefix string, mb *evidenceMembers) error {
	if err := checkStatementType(prefix, mb.typ); err != nil {
		return err
	}
	pt, ok := jsonString(mb.predicateType)
	if !ok || strings.TrimSpace(pt) == "" {
		return fieldErr(prefix+"predicateType", "required, a non-empty string (a URI)", nil)
	}
	if p := mb.predicate; p != nil && string(p) != "null" && p[0] != '{' {
		return fieldErr(prefix+"predicate", "must be an object", nil)
	}
	if err := m.parseSubjects(prefix+"subject", mb.subject); err != nil {
		return err
	}
	m.PredicateType = pt
	return nil
}

// checkStatementType checks raw, the canonical form of a statement's
// "_type" member (nil when it has none), at the field prefix.
func checkStatementType(prefix string, raw []byte) error {
	switch typ, ok := jsonString(raw); {
	case raw == nil:
		return fieldErr(prefix+"_type", "required: "+attest.StatementType, nil)
	case !ok || typ != attest.StatementType:
		shown := string(raw)
		if ok {
			shown = quoteShort(typ)
		}
		return fieldErr(prefix+"_type", fmt.Sprintf("is %s: only in-toto statements of _type %q are read", shown, attest.StatementType), nil)
	}
	return nil
}

// parseSubjects takes the subjects in raw, the statement's field field, as
// m's artifacts: each subject's name and the sha256 of its digest set.
func (m *Manifest) parseSubjects(field string, raw []byte) error {
	required := fieldErr(field, "at least one subject (name, digest with sha256) is required", nil)
	if len(raw) == 0 || raw[0] != '[' {
		if len(raw) == 0 || string(raw) == "null" {
			return required
		}
		return fieldErr(field, "must be an array of resource descriptors with name and digest", nil)
	}
	seen := map[string]bool{}
	i := 0
	err := jcs.Elements(raw, func(el []byte) error {
		idx := i
		i++
		at := func() string { return field + "[" + strconv.Itoa(idx) + "]" }
		if len(el) == 0 || el[0] != '{' {
			return fieldErr(at(), "must be an object with name and digest", nil)
		}
		var name, digest []byte
		if err := jcs.Members(el, func(k, v []byte) error {
			switch string(k) {
			case "name":
				name = v
			case "digest":
				digest = v
			}
			return nil
		}); err != nil {
			return fieldErr(at(), err.Error(), ErrMalformedJSON)
		}
		n, err := artifactName(at, name, seen)
		if err != nil {
			return err
		}
		d, err := subjectDigest(at()+".digest", digest)
		if err != nil {
			return err
		}
		m.Artifacts = append(m.Artifacts, Artifact{Name: n, SHA256: d})
		return nil
	})
	if err != nil {
		return elementsErr(field, err)
	}
	if len(m.Artifacts) == 0 {
		return required
	}
	return nil
}

// subjectDigest reads the sha256 of raw, a subject's digest set at field.
// Other algorithms in the set are ignored, as in-toto asks of a consumer
// that does not accept them; a set without sha256 is an error wrapping
// [ErrDigestAlgorithm] when it names others.
func subjectDigest(field string, raw []byte) (Digest, error) {
	if raw == nil || string(raw) == "null" {
		return Digest{}, fieldErr(field, "required: a digest set with sha256", nil)
	}
	if raw[0] != '{' {
		return Digest{}, fieldErr(field, `must be a digest set, an object such as {"sha256": "<64 hex digits>"}`, nil)
	}
	var (
		sum    []byte
		others []string
	)
	if err := jcs.Members(raw, func(k, v []byte) error {
		if string(k) == "sha256" {
			sum = v
		} else if len(others) < 3 {
			others = append(others, quoteShort(string(k)))
		}
		return nil
	}); err != nil {
		return Digest{}, fieldErr(field, err.Error(), ErrMalformedJSON)
	}
	if sum == nil {
		if len(others) > 0 {
			return Digest{}, fieldErr(field, "has no sha256 digest (it has "+strings.Join(others, ", ")+"): only sha256 is supported", ErrDigestAlgorithm)
		}
		return Digest{}, fieldErr(field, "required: a digest set with sha256", nil)
	}
	if len(sum) >= 2 && sum[0] == '"' && sum[len(sum)-1] == '"' {
		if d, ok := lowerHexDigest(sum[1 : len(sum)-1]); ok {
			return d, nil
		}
	}
	return Digest{}, fieldErr(field+".sha256", "must be a string of 64 lower-case hex digits, as in an in-toto digest set", nil)
}
