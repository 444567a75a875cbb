package security

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// Signed evidence. A package's content hash alone protects it against
// nothing but accidents: whoever can write the database can change the
// data and recompute the hash. So at upload the service key signs a
// statement of the package (its id, correlation id, content hash, creation
// time and artifacts), and when the keyring names trusted producers the
// package must also carry a producer's signature over its data, so that
// the evidence generator is not the artifact packager. Verification
// encodes the statements again from the stored row and compares bytes: a
// row edited after upload no longer matches what was signed.

// Predicate types of the evidence statements.
const (
	// PredicateEvidence is the predicate type of the service key's
	// statement about a package: an in-toto Statement v1 whose subjects are
	// the package's artifacts (name and sha256, in the order of the
	// manifest) and whose predicate is
	//
	//	{"evidence_id", "correlation_id", "content_sha256",
	//	 "created_at" (UTC, milliseconds), "producer" (a producer's name, or "")}
	//
	// [Evidence.AttestationPayload] encodes it.
	PredicateEvidence = attest.PredicatePrefix + "evidence/v1"
	// PredicateProducer is the predicate type of what a trusted producer
	// signs: an in-toto Statement v1 whose subjects are the artifacts and
	// whose predicate is the evidence data object itself, so that
	// canonicalising the predicate gives the package's Data and its SHA-256
	// the content hash. [ProducerPayload] encodes it.
	PredicateProducer = attest.PredicatePrefix + "evidence-producer/v1"
)

// ErrProducerSignatureMissing: the keyring names trusted producers and the
// package carries no producer envelope. Code trustgate.Invalid, reason
// PRODUCER_SIGNATURE_MISSING; the error returned wraps it and has the field
// "producer".
var ErrProducerSignatureMissing = &trustgate.Error{Code: trustgate.Invalid, Reason: "PRODUCER_SIGNATURE_MISSING",
	Field: "producer", Message: "security: producer: a trusted producer's signature is required"}

// evidencePredicate is the predicate of [PredicateEvidence].
type evidencePredicate struct {
	EvidenceID    string `json:"evidence_id"`
	CorrelationID string `json:"correlation_id"`
	ContentSHA256 string `json:"content_sha256"`
	CreatedAt     string `json:"created_at"`
	Producer      string `json:"producer"`
}

// record names e in verification errors.
func (e *Evidence) record() string { return "evidence_packages/" + e.ID.String() }

// subjects returns the statement subjects of m's artifacts, in order.
func (m Manifest) subjects() []attest.Subject {
	out := make([]attest.Subject, len(m.Artifacts))
	for i, a := range m.Artifacts {
		out[i] = attest.DigestSubject(a.Name, a.SHA256)
	}
	return out
}

// subjectJSON is an attest.Subject with its one digest, encoded without a
// map.
type subjectJSON struct {
	Digest struct {
		SHA256 string `json:"sha256"`
	} `json:"digest"`
	Name string `json:"name"`
}

// subjectsJSON returns the canonical JSON array of m's subjects.
func (m Manifest) subjectsJSON() ([]byte, error) {
	ss := make([]subjectJSON, len(m.Artifacts))
	for i, a := range m.Artifacts {
		ss[i].Name, ss[i].Digest.SHA256 = a.Name, a.SHA256.String()
	}
	raw, err := json.Marshal(ss)
	if err != nil {
		return nil, err
	}
	return jcs.Canonicalize(raw[:0:0], raw)
}

// The canonical in-toto statement around its predicate and subjects: RFC
// 8785 orders the members "_type", "predicate", "predicateType",
// "subject", so a statement is statementHead, the canonical predicate,
// statementMiddle, the predicate type, statementTail, the canonical
// subjects, "}". A test pins the result to attest.Encode. Building
// statements this way spares encoding and canonicalising them whole: the
// producer statement embeds up to a megabyte of evidence data.
const (
	statementHead   = `{"_type":"` + attest.StatementType + `","predicate":`
	statementMiddle = `,"predicateType":"`
	statementTail   = `","subject":`
)

// statementFrame returns what comes before and after the canonical
// predicate in the statement of predicateType about the canonical
// subjects. predicateType needs no escaping (the package's constants).
func statementFrame(predicateType string, subjects []byte) (head, tail []byte) {
	tail = make([]byte, 0, len(statementMiddle)+len(predicateType)+len(statementTail)+len(subjects)+1)
	tail = append(append(append(tail, statementMiddle...), predicateType...), statementTail...)
	return []byte(statementHead), append(append(tail, subjects...), '}')
}

// AttestationPayload returns the canonical statement the service key signs
// for e, naming producer ("" when no producer signed): see
// [PredicateEvidence]. Its subjects come from e's manifest, so e.Data must
// be an evidence object (an invalid-input error otherwise).
func (e *Evidence) AttestationPayload(producer string) ([]byte, error) {
	m, err := e.Manifest()
	if err != nil {
		return nil, err
	}
	subjects, err := m.subjectsJSON()
	if err != nil {
		return nil, err
	}
	return e.attestationPayload(subjects, producer)
}

// attestationPayload is AttestationPayload with the canonical subjects of
// e's manifest.
func (e *Evidence) attestationPayload(subjects []byte, producer string) ([]byte, error) {
	raw, err := json.Marshal(evidencePredicate{
		EvidenceID: e.ID.String(), CorrelationID: e.CorrelationID, ContentSHA256: e.ContentHash.String(),
		CreatedAt: attest.Time(e.CreatedAt), Producer: producer,
	})
	if err != nil {
		return nil, err
	}
	predicate, err := jcs.Canonicalize(nil, raw)
	if err != nil {
		return nil, err
	}
	head, tail := statementFrame(PredicateEvidence, subjects)
	return append(append(append(make([]byte, 0, len(head)+len(predicate)+len(tail)), head...), predicate...), tail...), nil
}

// ProducerPayload returns the canonical statement a trusted producer signs
// for the evidence data data (see [PredicateProducer]): data canonicalised
// (RFC 8785) as the predicate, the artifacts of its manifest as the
// subjects, the whole statement in canonical form. A producer's tooling
// signs exactly these bytes, in a DSSE envelope of payload type
// attest.PayloadType. The data is checked as [NewEvidence] checks it
// (invalid-input errors naming the field), and the statement must fit in a
// DSSE envelope ([dsse.MaxPayload]; field "evidence" otherwise).
func ProducerPayload(data []byte) ([]byte, error) {
	if len(data) > MaxEvidenceSize {
		return nil, fieldErr("evidence", fmt.Sprintf("larger than %d bytes", MaxEvidenceSize), nil)
	}
	canon, err := jcs.CanonicalizeObject(make([]byte, 0, len(data)), data)
	if err != nil {
		return nil, fieldErr("evidence", err.Error(), err)
	}
	m, err := parseManifest(canon)
	if err != nil {
		return nil, err
	}
	subjects, err := m.subjectsJSON()
	if err != nil {
		return nil, err
	}
	head, tail := statementFrame(PredicateProducer, subjects)
	if n := len(head) + len(canon) + len(tail); n > dsse.MaxPayload {
		return nil, fieldErr("evidence", fmt.Sprintf("the producer statement would be %d bytes, more than a DSSE envelope holds (%d)", n, dsse.MaxPayload), nil)
	}
	return append(append(head, canon...), tail...), nil
}

// emptyEnvelope reports whether env holds nothing at all: no envelope.
func emptyEnvelope(env *dsse.Envelope) bool {
	return env.PayloadType == "" && len(env.Payload) == 0 && len(env.Signatures) == 0
}

// Attest signs e with the service key: it sets e.Attestation to the
// service's envelope of [Evidence.AttestationPayload] and e.Producer to the
// producer envelope it checked. e must be as [NewEvidence] made it
// (canonical data hashing to the content hash, an evidence object) and
// have its creation time set, which the statement signs: invalid-input
// errors naming "content_hash", "evidence" or "created_at" otherwise. Call
// it before the store writes the package.
//
// When the keyring names trusted producers (svc.Keys().RequiresProducer()),
// producer must be an envelope of payload type attest.PayloadType carrying
// exactly [ProducerPayload] of e.Data (a predicate canonicalising to e.Data,
// subjects the manifest's artifacts), validly signed by a trusted
// producer's key, whose name the service statement then records. Otherwise
// the error is:
//
//   - no envelope: code trustgate.Invalid, reason PRODUCER_SIGNATURE_MISSING,
//     field "producer", wrapping [ErrProducerSignatureMissing];
//   - another statement: an error wrapping attest.ErrStatement whose field
//     names what differs ("producer.payloadType", "producer.payload",
//     "producer.payload.predicate", "producer.payload.subject", …);
//   - no valid signature by a trusted producer's key: an error wrapping
//     attest.ErrUnknownKey.
//
// When the keyring names no producers, producer is ignored, neither checked
// nor kept: no key could verify it, and a pipeline may start signing before
// the service is told to trust it. The statement then names no producer.
//
// An error from the service's signer comes back as it is. On any error e
// is unchanged.
func (e *Evidence) Attest(svc *attest.Service, producer dsse.Envelope) error {
	if svc == nil {
		return fieldErr("service", "an attestation service is required", nil)
	}
	if e.CreatedAt.IsZero() {
		return fieldErr("created_at", "required: the service statement signs the creation time", nil)
	}
	if !e.Intact() {
		return fieldErr("content_hash", "the evidence data does not hash to the content hash", nil)
	}
	if canon, err := jcs.CanonicalizeObject(nil, e.Data); err != nil || !bytes.Equal(canon, e.Data) {
		return fieldErr("evidence", "the evidence data is not in canonical (RFC 8785) form: make the package with NewEvidence", err)
	}
	m, err := e.Manifest()
	if err != nil {
		return err
	}
	subjects, err := m.subjectsJSON()
	if err != nil {
		return err
	}
	keys := svc.Keys()
	var (
		name string
		kept dsse.Envelope
	)
	if keys.RequiresProducer() {
		if name, err = e.checkProducer(keys, &producer, m, subjects, ""); err != nil {
			return err
		}
		kept = dsse.Envelope.Clone(producer)
	}
	payload, err := e.attestationPayload(subjects, name)
	if err != nil {
		return err
	}
	env, err := svc.Seal(payload)
	if err != nil {
		return err
	}
	e.Attestation, e.Producer = env, kept
	return nil
}

// checkProducer checks that env is the producer statement of e (whose
// manifest is m, its canonical subjects subjects) signed by a trusted producer — by the producer named who,
// unless who is "" — and returns the producer's name. The errors are those
// [Evidence.Attest] documents.
func (e *Evidence) checkProducer(keys *attest.Keyring, env *dsse.Envelope, m Manifest, subjects []byte, who string) (string, error) {
	if emptyEnvelope(env) {
		return "", &trustgate.Error{Code: trustgate.Invalid, Reason: ErrProducerSignatureMissing.Reason, Field: "producer",
			Message: "security: producer: evidence " + e.ID.String() + " carries no producer envelope, and the keyring requires a trusted producer's signature",
			Err:     ErrProducerSignatureMissing}
	}
	head, tail := statementFrame(PredicateProducer, subjects)
	p := env.Payload
	if env.PayloadType != attest.PayloadType || len(p) != len(head)+len(e.Data)+len(tail) ||
		!bytes.HasPrefix(p, head) || !bytes.HasSuffix(p, tail) || !bytes.Equal(p[len(head):len(p)-len(tail)], e.Data) {
		return "", producerMismatch(env, e.Data, m)
	}
	for _, s := range keys.Signers(env) {
		if s.Role == attest.RoleProducer && (who == "" || s.Name == who) {
			return s.Name, nil
		}
	}
	if who != "" {
		return "", attest.UnknownKey("the producer envelope carries no valid signature by a key of producer " + who)
	}
	return "", attest.UnknownKey("the producer envelope carries no valid signature by a trusted producer's key")
}

// producerMismatch says how env differs from the producer statement of
// data (whose manifest is m).
func producerMismatch(env *dsse.Envelope, data []byte, m Manifest) error {
	if env.PayloadType != attest.PayloadType {
		return attest.StatementError("producer.payloadType", fmt.Sprintf("is %q, not %q", env.PayloadType, attest.PayloadType))
	}
	var predicate json.RawMessage
	st, err := attest.Decode(env.Payload, PredicateProducer, &predicate)
	if err != nil {
		fe := trustgate.AsError(err)
		reason := strings.TrimPrefix(fe.Message, "attest: "+fe.Field+": ")
		if fe.Field == "" {
			return attest.StatementError("producer.payload", reason)
		}
		return attest.StatementError("producer."+fe.Field, reason)
	}
	if !bytes.Equal(predicate, data) { // canonical: Decode accepts canonical payloads only
		return attest.StatementError("producer.payload.predicate", "is not this package's evidence data")
	}
	want := m.subjects()
	if len(st.Subject) != len(want) {
		return attest.StatementError("producer.payload.subject", fmt.Sprintf("names %d subjects; the package has %d artifacts", len(st.Subject), len(want)))
	}
	for i, s := range st.Subject {
		if s.Name != want[i].Name || len(s.Digest) != 1 || s.Digest["sha256"] != want[i].Digest["sha256"] {
			return attest.StatementError(fmt.Sprintf("producer.payload.subject[%d]", i),
				fmt.Sprintf("is not the package's artifact %q with its sha256 (artifacts in the order of the evidence)", want[i].Name))
		}
	}
	return attest.StatementError("producer.payload", "is not the canonical producer statement of this package's evidence (see ProducerPayload)")
}

// Verify checks e as stored against what was signed for it at upload. It
// returns nil, or an error from attest.Tampered naming the record
// "evidence_packages/<id>" (a *attest.RecordError wrapping
// attest.ErrTampered: code trustgate.Tampered) and the part that fails:
//
//   - "content": the data does not hash to the content hash, or is not an
//     evidence object;
//   - "attestation": the package carries no attestation (reason
//     "unsigned": stored before trustgate signed evidence), or the
//     attestation is not exactly [Evidence.AttestationPayload] of the
//     package as stored (an id, correlation id, content hash, creation time
//     or artifact that changed), or is not validly signed by the service
//     key;
//   - "producer": the keyring names trusted producers, and the package was
//     attested without one, or its producer envelope is not the producer
//     statement of its data validly signed by the producer the attestation
//     names (see [Evidence.Attest]).
//
// So an edit of the database, data and content hash together, is caught:
// the content hash is the one the service key signed. A nil keys is an
// invalid-input error naming "keys".
func (e *Evidence) Verify(keys *attest.Keyring) error {
	if keys == nil {
		return fieldErr("keys", "a keyring is required to verify evidence", nil)
	}
	if !e.Intact() {
		return attest.Tampered(e.record(), "content", "the data does not hash to the content hash "+e.ContentHash.String())
	}
	m, err := e.Manifest()
	if err != nil {
		return attest.Tampered(e.record(), "content", "the data is not an evidence object: "+err.Error())
	}
	_, err = e.verifySigned(keys, m)
	return err
}

// verifySigned is Verify after the content check: e is intact and m is
// its manifest. It returns the producer the attestation names ("" for
// none), checked when the keyring requires one.
func (e *Evidence) verifySigned(keys *attest.Keyring, m Manifest) (string, error) {
	if emptyEnvelope(&e.Attestation) {
		return "", attest.Tampered(e.record(), "attestation", "unsigned")
	}
	producer, ok := attestedProducer(e.Attestation.Payload)
	if !ok {
		return "", attest.Tampered(e.record(), "attestation", "not an evidence statement")
	}
	subjects, err := m.subjectsJSON()
	if err != nil {
		return "", attest.Tampered(e.record(), "attestation", err.Error())
	}
	want, err := e.attestationPayload(subjects, producer)
	switch {
	case err != nil:
		return "", attest.Tampered(e.record(), "attestation", err.Error())
	case !attest.Carries(&e.Attestation, want):
		return "", attest.Tampered(e.record(), "attestation", "the stored package is not what the service key signed")
	case !keys.ServiceSigned(&e.Attestation):
		return "", attest.Tampered(e.record(), "attestation", "no valid signature by the service key")
	}
	if !keys.RequiresProducer() {
		return producer, nil
	}
	if producer == "" {
		return "", attest.Tampered(e.record(), "producer", "the package was attested without a producer's signature, which the keyring requires")
	}
	if _, err := e.checkProducer(keys, &e.Producer, m, subjects, producer); err != nil {
		return "", attest.Tampered(e.record(), "producer", err.Error())
	}
	return producer, nil
}

// attestedProducer picks the producer's name out of a service statement,
// without decoding the rest: the caller encodes the statement again with
// it and compares bytes, which checks everything else. ok is false when
// the payload is not a canonical object with a string predicate.producer.
func attestedProducer(payload []byte) (name string, ok bool) {
	var predicate []byte
	if jcs.Members(payload, func(k, v []byte) error {
		if string(k) == "predicate" {
			predicate = v
		}
		return nil
	}) != nil || len(predicate) == 0 || predicate[0] != '{' {
		return "", false
	}
	var raw []byte
	if jcs.Members(predicate, func(k, v []byte) error {
		if string(k) == "producer" {
			raw = v
		}
		return nil
	}) != nil {
		return "", false
	}
	return jsonString(raw)
}
