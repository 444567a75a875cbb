package security

import (
	"bytes"
	"strconv"
)

// NewEvidence reads the manifest out of the evidence data while it is
// canonicalised: a scan, a jcs.Visitor, records the members parseManifest
// reads (and, inside them, what it reads of each artifact, subject and SBOM)
// as the canonicaliser passes them, so the document is read once. Each
// element of an artifact or subject list is checked as it completes, as
// parseArtifacts and parseSubjects check it; scan.manifest then judges the
// rest of what was recorded exactly as parseManifest judges the canonical
// bytes, with the same errors. The differential tests hold the two to that.

// A scan state is a context (which object's members) and a role (what the
// value is to that object); 0, the zero state, skips a value.
const (
	ctxShift     = 5
	ctxRoot      = 1 << ctxShift // the evidence object
	ctxPredicate = 2 << ctxShift // the root's "predicate"
	ctxStatement = 3 << ctxShift // the root's "in_toto_statement"
	ctxMask      = 3 << ctxShift
)

const (
	roleObject        = iota + 1 // the context's object itself
	roleArtifacts                // "artifacts"
	roleArtifact                 // one of its elements
	roleArtifactName             // the element's "name"
	roleArtifactSHA              // the element's "sha256"
	roleSBOM                     // "sbom"
	roleSBOMSHA                  // its "sha256"
	roleClass                    // "blast_radius_class"
	roleStatement                // "in_toto_statement" below the root
	roleType                     // "_type"
	roleSubjects                 // "subject"
	roleSubject                  // one of its elements
	roleSubjectName              // the element's "name"
	roleSubjectDigest            // the element's "digest"
	rolePredicateType            // "predicateType"
	rolePredicate                // "predicate" below the root
	roleMask          = 1<<ctxShift - 1
)

// span locates bytes a scan kept in scan.raw; the zero span is an absent
// value (no canonical form is empty).
type span struct{ start, end int }

// listSeen is an artifact or subject list: the array's first byte (0:
// absent), and its elements checked as they complete, as parseArtifacts
// and parseSubjects check them. After the first element with an error, err
// holds it and the rest are skipped.
type listSeen struct {
	kind     byte
	arts     []Artifact // the elements accepted, when the scan keeps them, without their names
	artNames []span     // and their names, in scan.names
	n        int        // how many were accepted
	names    nameSet    // the names of the elements accepted
	err      error

	// The element being read: its first byte, its name decoded (hasName:
	// present and a string), and its digest: an artifact's "sha256" parsed
	// when it is a digest, and otherwise (and a subject's "digest" set
	// always) its canonical form.
	elKind   byte
	hasName  bool
	digestOK bool
	name     span // in scan.names
	digest   Digest
	sum      span
}

// objectSeen is what the manifest reads of an object's members, like
// evidenceMembers: containers by their first byte (0: absent), with what it
// reads inside them, and leaves by their canonical forms.
type objectSeen struct {
	kind                          byte // the object's own, for the root's predicate and statement
	sbom, statement, predicate    byte
	artifacts, subject            listSeen
	sbomSHA, class, typ, predType span
}

// scan is the jcs.Visitor NewEvidence canonicalises with.
type scan struct {
	obj   [4]objectSeen // by context >> ctxShift
	raw   []byte        // the canonical forms of the leaves kept
	names []byte        // the names of artifacts and subjects, decoded
	keep  bool          // keep the accepted artifacts, for the manifest

	rawSpace   [256]byte // raw's first room
	namesSpace [1024]byte
}

// newScan returns a scan that builds the manifest's artifact list when keep
// is set, and otherwise only checks the data.
func newScan(keep bool) *scan {
	s := &scan{keep: keep}
	s.raw, s.names = s.rawSpace[:0], s.namesSpace[:0]
	return s
}

func (s *scan) at(state int) *objectSeen { return &s.obj[(state&ctxMask)>>ctxShift] }

// list is the list of the element being read in state.
func (s *scan) list(state int) *listSeen {
	o := s.at(state)
	switch state & roleMask {
	case roleArtifacts, roleArtifact, roleArtifactName, roleArtifactSHA:
		return &o.artifacts
	}
	return &o.subject
}

// Member implements jcs.Visitor.
func (s *scan) Member(object int, name []byte) int {
	ctx := object & ctxMask
	switch object & roleMask {
	case roleObject:
		switch string(name) {
		case "artifacts":
			return ctx | roleArtifacts
		case "sbom":
			return ctx | roleSBOM
		case "blast_radius_class":
			return ctx | roleClass
		case "in_toto_statement":
			if ctx == ctxRoot {
				return ctxStatement | roleObject
			}
			return ctx | roleStatement
		case "_type":
			return ctx | roleType
		case "subject":
			return ctx | roleSubjects
		case "predicateType":
			return ctx | rolePredicateType
		case "predicate":
			if ctx == ctxRoot {
				return ctxPredicate | roleObject
			}
			return ctx | rolePredicate
		}
	case roleArtifact:
		switch string(name) {
		case "name":
			return ctx | roleArtifactName
		case "sha256":
			return ctx | roleArtifactSHA
		}
	case roleSubject:
		switch string(name) {
		case "name":
			return ctx | roleSubjectName
		case "digest":
			return ctx | roleSubjectDigest
		}
	case roleSBOM:
		if string(name) == "sha256" {
			return ctx | roleSBOMSHA
		}
	}
	return 0
}

// Element implements jcs.Visitor. Only the lists the manifest can read are
// checked: the root's artifacts, and the subjects of the root and of a
// wrapped statement; of the others only the kind is read.
func (s *scan) Element(array, _ int) int {
	ctx, role := array&ctxMask, array&roleMask
	switch {
	case role == roleArtifacts && ctx == ctxRoot:
		if l := s.list(array); l.err == nil {
			l.startElement(s)
			return ctx | roleArtifact
		}
	case role == roleSubjects && ctx != ctxPredicate:
		if l := s.list(array); l.err == nil {
			l.startElement(s)
			return ctx | roleSubject
		}
	}
	return 0
}

// Value implements jcs.Visitor.
func (s *scan) Value(state int, canonical []byte) {
	o, kind := s.at(state), canonical[0]
	switch state & roleMask {
	case roleObject:
		o.kind = kind
		switch state & ctxMask {
		case ctxPredicate:
			s.obj[ctxRoot>>ctxShift].predicate = kind
		case ctxStatement:
			s.obj[ctxRoot>>ctxShift].statement = kind
		}
	case roleArtifacts:
		o.artifacts.kind = kind
	case roleArtifact:
		o.artifacts.elKind = kind
		s.artifactDone(&o.artifacts)
	case roleArtifactName, roleSubjectName:
		s.keepName(s.list(state), canonical)
	case roleArtifactSHA:
		l := &o.artifacts
		if s.keep {
			l.digest, l.digestOK = digestFast(canonical)
		} else {
			l.digestOK = digestValid(canonical) // the digest itself is not kept
		}
		if !l.digestOK {
			l.sum = s.keepRaw(canonical)
		}
	case roleSBOM:
		o.sbom = kind
	case roleSBOMSHA:
		o.sbomSHA = s.keepRaw(canonical)
	case roleClass:
		o.class = s.keepRaw(canonical)
	case roleStatement:
		o.statement = kind
	case roleType:
		o.typ = s.keepRaw(canonical)
	case roleSubjects:
		o.subject.kind = kind
	case roleSubject:
		o.subject.elKind = kind
		s.subjectDone(&o.subject, state&ctxMask)
	case roleSubjectDigest:
		o.subject.sum = s.keepRaw(canonical)
	case rolePredicateType:
		o.predType = s.keepRaw(canonical)
	case rolePredicate:
		o.predicate = kind
	}
}

// startElement forgets the previous element's members.
func (l *listSeen) startElement(s *scan) {
	if l.sum.end == len(s.raw) {
		s.raw = s.raw[:l.sum.start] // the previous element's, no longer needed
	}
	l.elKind, l.hasName, l.digestOK, l.name, l.sum = 0, false, false, span{}, span{}
}

// artifactDone checks the artifact just read, as parseArtifacts does.
func (s *scan) artifactDone(l *listSeen) {
	idx := l.n
	field := func() string { return "artifacts[" + strconv.Itoa(idx) + "]" }
	if l.elKind != '{' {
		l.err = fieldErr(field(), "must be an object with name and sha256", nil)
		return
	}
	if !s.checkName(l, field) {
		return
	}
	if !l.digestOK {
		// parseArtifacts returns digestMember's error, and goes on to the
		// next element, unlisted, if there is none.
		_, l.err = digestMember(field()+".sha256", s.bytes(l.sum))
		return
	}
	s.accept(l, l.digest)
}

// subjectDone checks the subject just read, as parseSubjects does, for the
// statement in context ctx.
func (s *scan) subjectDone(l *listSeen, ctx int) {
	idx := l.n
	at := func() string {
		prefix := "subject["
		if ctx == ctxStatement {
			prefix = "in_toto_statement.subject["
		}
		return prefix + strconv.Itoa(idx) + "]"
	}
	if l.elKind != '{' {
		l.err = fieldErr(at(), "must be an object with name and digest", nil)
		return
	}
	if !s.checkName(l, at) {
		return
	}
	d, err := subjectDigest(at()+".digest", s.bytes(l.sum))
	if err != nil {
		l.err = err
		return
	}
	s.accept(l, d)
}

// checkName is checkArtifactName of the name of the element just read,
// setting l.err when the name is wrong.
func (s *scan) checkName(l *listSeen, field func() string) bool {
	name := s.names[l.name.start:l.name.end]
	if reason := nameProblem(name, l.hasName); reason != "" {
		l.err = nameErr(field, reason)
		return false
	}
	if !l.names.add(s.names, l.name) {
		l.err = duplicateNameErr(field, string(name))
		return false
	}
	return true
}

func (s *scan) accept(l *listSeen, d Digest) {
	l.n++
	if s.keep {
		l.arts = append(l.arts, Artifact{SHA256: d})
		l.artNames = append(l.artNames, l.name)
	}
}

// keepName decodes the canonical form of the name of l's element into
// s.names.
func (s *scan) keepName(l *listSeen, canonical []byte) {
	start := len(s.names)
	if canonical[0] == '"' && bytes.IndexByte(canonical, '\\') < 0 {
		// What jsonString gives: a canonical string is valid UTF-8 and
		// holds a quote only escaped.
		s.names = append(s.names, canonical[1:len(canonical)-1]...)
		l.hasName = true
	} else if n, ok := jsonString(canonical); ok {
		s.names = append(s.names, n...)
		l.hasName = true
	}
	l.name = span{start, len(s.names)}
}

// keepRaw copies a leaf's canonical form, which the canonicaliser may yet
// move.
func (s *scan) keepRaw(canonical []byte) span {
	start := len(s.raw)
	s.raw = append(s.raw, canonical...)
	return span{start, len(s.raw)}
}

// bytes returns the canonical form at sp, nil when it is absent.
func (s *scan) bytes(sp span) []byte {
	if sp.end == 0 {
		return nil
	}
	return s.raw[sp.start:sp.end]
}
