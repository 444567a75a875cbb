package security

import "strings"

// The manifest from what a scan recorded. Each function here is its
// counterpart in evidence.go and intoto.go (parseManifest, parseDeclared,
// parseArtifacts, pickDigest, parseStatementEvidence, parseWrapped,
// parseStatement, parseSubjects) reading the recorded members instead of
// canonical bytes: the same checks in the same order, the same errors.
// The leaves (names, digests, the class, a subject's digest set) are the
// same canonical bytes either way and go through the same helpers.
// (parseArtifacts and parseSubjects' checks of each element are made as it
// completes: scan.artifactDone and scan.subjectDone.)

// manifest is parseManifest of the scanned document.
func (s *scan) manifest() (Manifest, error) {
	mb := &s.obj[ctxRoot>>ctxShift]
	if mb.typ.end != 0 {
		return s.statementEvidence(mb)
	}
	var m Manifest
	switch {
	case mb.statement != 0 && mb.artifacts.kind != 0:
		return Manifest{}, fieldErr("in_toto_statement", "the evidence lists artifacts and wraps a statement whose subjects are its artifacts: give one of the two", nil)
	case mb.statement != 0:
		if err := s.wrapped(&m); err != nil {
			return Manifest{}, err
		}
	default:
		if err := s.artifacts(&m, mb); err != nil {
			return Manifest{}, err
		}
	}
	if err := s.declared(&m, "", mb); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// declared is parseDeclared.
func (s *scan) declared(m *Manifest, prefix string, mb *objectSeen) error {
	if class := s.bytes(mb.class); class != nil && string(class) != "null" {
		m.HasBlastRadius = true
		if str, ok := jsonString(class); ok {
			m.BlastRadius = str
		} else {
			m.BlastRadius = string(class)
		}
	}
	if mb.sbom != 0 && mb.sbom != 'n' {
		field := prefix + "sbom"
		if mb.sbom != '{' {
			return fieldErr(field, "must be an object with sha256", nil)
		}
		sum := s.bytes(mb.sbomSHA)
		digest, ok := digestFast(sum)
		if !ok {
			var err error
			if digest, err = digestMember(field+".sha256", sum); err != nil {
				return err
			}
		}
		m.SBOM = &SBOMRef{SHA256: digest}
	}
	return nil
}

// artifacts is parseArtifacts, whose element checks artifactDone made.
func (s *scan) artifacts(m *Manifest, mb *objectSeen) error {
	required := fieldErr("artifacts", "at least one artifact (name, sha256) is required", nil)
	if mb.artifacts.kind != '[' {
		if mb.artifacts.kind == 0 || mb.artifacts.kind == 'n' {
			return required
		}
		return fieldErr("artifacts", "must be an array of objects with name and sha256", nil)
	}
	return s.accepted(m, &mb.artifacts, required)
}

// accepted ends the walk over the list l: its first element's error, the
// error required when it has no elements, or its elements as m's
// artifacts.
func (s *scan) accepted(m *Manifest, l *listSeen, required error) error {
	switch {
	case l.err != nil:
		return l.err
	case l.n == 0:
		return required
	}
	if s.keep {
		names := string(s.names) // one allocation for every name
		for i, sp := range l.artNames {
			l.arts[i].Name = names[sp.start:sp.end]
		}
	}
	m.Artifacts = l.arts
	return nil
}

// statementEvidence is parseStatementEvidence.
func (s *scan) statementEvidence(mb *objectSeen) (Manifest, error) {
	for _, own := range []struct {
		name    string
		present bool
	}{{"artifacts", mb.artifacts.kind != 0}, {"sbom", mb.sbom != 0}, {"blast_radius_class", mb.class.end != 0}} {
		if own.present {
			return Manifest{}, fieldErr(own.name, `is not a member of an in-toto statement: its subjects are its artifacts, and an SBOM and a class go in a predicate of type `+
				PredicateManifest+`, or beside the statement when the evidence wraps it in "in_toto_statement"`, nil)
		}
	}
	var m Manifest
	if err := s.statement(&m, "", mb); err != nil {
		return Manifest{}, err
	}
	if m.PredicateType != PredicateManifest || mb.predicate == 0 || mb.predicate == 'n' {
		return m, nil
	}
	pm := &s.obj[ctxPredicate>>ctxShift]
	if pm.artifacts.kind != 0 {
		return Manifest{}, fieldErr("predicate.artifacts", "the statement's subjects are its artifacts: list them there", nil)
	}
	if err := s.declared(&m, "predicate.", pm); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// wrapped is parseWrapped.
func (s *scan) wrapped(m *Manifest) error {
	if s.obj[ctxStatement>>ctxShift].kind != '{' {
		return fieldErr("in_toto_statement", "must be an in-toto Statement v1 object", nil)
	}
	return s.statement(m, "in_toto_statement.", &s.obj[ctxStatement>>ctxShift])
}

// statement is parseStatement.
func (s *scan) statement(m *Manifest, prefix string, mb *objectSeen) error {
	if err := checkStatementType(prefix, s.bytes(mb.typ)); err != nil {
		return err
	}
	pt, ok := jsonString(s.bytes(mb.predType))
	if !ok || strings.TrimSpace(pt) == "" {
		return fieldErr(prefix+"predicateType", "required, a non-empty string (a URI)", nil)
	}
	if p := mb.predicate; p != 0 && p != 'n' && p != '{' {
		return fieldErr(prefix+"predicate", "must be an object", nil)
	}
	if err := s.subjects(m, prefix+"subject", mb); err != nil {
		return err
	}
	m.PredicateType = pt
	return nil
}

// subjects is parseSubjects, whose element checks subjectDone made.
func (s *scan) subjects(m *Manifest, field string, mb *objectSeen) error {
	required := fieldErr(field, "at least one subject (name, digest with sha256) is required", nil)
	if mb.subject.kind != '[' {
		if mb.subject.kind == 0 || mb.subject.kind == 'n' {
			return required
		}
		return fieldErr(field, "must be an array of resource descriptors with name and digest", nil)
	}
	return s.accepted(m, &mb.subject, required)
}
