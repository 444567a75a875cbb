package security_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/jcs"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyConfig is the development keyring configuration, with the trusted
// producers named.
func keyConfig(producers ...string) attest.Config {
	c := testkeys.Config(attest.ServiceAttested, "alice", "bob")
	if len(producers) > 0 {
		c.Producers = map[string][]crypto.PublicKey{}
		for _, p := range producers {
			c.Producers[p] = []crypto.PublicKey{testkeys.Public("producer:" + p)}
		}
	}
	return c
}

func service(t testing.TB, producers ...string) *attest.Service {
	t.Helper()
	svc, err := testkeys.Service(keyConfig(producers...))
	require.NoError(t, err)
	return svc
}

// produce returns the envelope of payload signed by key.
func produce(t testing.TB, key crypto.Signer, payloadType string, payload []byte) dsse.Envelope {
	t.Helper()
	s, err := dsse.NewSigner(key)
	require.NoError(t, err)
	env, err := dsse.Seal(payloadType, payload, s)
	require.NoError(t, err)
	return env
}

// producerEnvelope is producer's signature over data's producer statement.
func producerEnvelope(t testing.TB, producer string, data []byte) dsse.Envelope {
	t.Helper()
	payload, err := security.ProducerPayload(data)
	require.NoError(t, err)
	return produce(t, testkeys.Key("producer:"+producer), attest.PayloadType, payload)
}

var attestedAt = time.Date(2026, 2, 10, 9, 30, 0, 123456000, time.UTC)

// goodData is evidence data that passes every gate for artifact and sbom.
func goodData() string { return evidenceJSON(hexSum(artifact), hexSum(sbom), `"PRODUCTIVITY_TOOLS"`) }

func newAttested(t testing.TB, svc *attest.Service, data string, producer dsse.Envelope) security.Evidence {
	t.Helper()
	e, err := security.NewEvidence(uuid.New(), "build-"+uuid.NewString(), []byte(data), attestedAt)
	require.NoError(t, err)
	require.NoError(t, e.Attest(svc, producer))
	return e
}

func requireRecordError(t *testing.T, err error, e security.Evidence, part string) *attest.RecordError {
	t.Helper()
	var re *attest.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "evidence_packages/"+e.ID.String(), re.Record)
	assert.Equal(t, part, re.Part, re.Reason)
	require.ErrorIs(t, err, attest.ErrTampered)
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err))
	return re
}

func requireStatementError(t *testing.T, err error, field string) {
	t.Helper()
	require.ErrorIs(t, err, attest.ErrStatement)
	fe := trustgate.AsError(err)
	assert.Equal(t, trustgate.Invalid, fe.Code)
	assert.Equal(t, "STATEMENT_MISMATCH", fe.Reason)
	assert.Equal(t, field, fe.Field, fe.Message)
}

func TestAttestedEvidenceVerifies(t *testing.T) {
	svc := service(t)
	e := newAttested(t, svc, goodData(), dsse.Envelope{})
	require.NoError(t, e.Verify(svc.Keys()))
	assert.True(t, svc.Keys().ServiceSigned(&e.Attestation))
	assert.Equal(t, dsse.Envelope{}, e.Producer, "no producers configured: no producer envelope")

	want, err := e.AttestationPayload("")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(e.Attestation.Payload))
	var p struct {
		EvidenceID    string `json:"evidence_id"`
		CorrelationID string `json:"correlation_id"`
		ContentSHA256 string `json:"content_sha256"`
		CreatedAt     string `json:"created_at"`
		Producer      string `json:"producer"`
	}
	st, err := attest.Decode(e.Attestation.Payload, security.PredicateEvidence, &p)
	require.NoError(t, err)
	assert.Equal(t, []attest.Subject{attest.DigestSubject("zoom-6.1.msi", sha256.Sum256(artifact))}, st.Subject)
	assert.Equal(t, e.ID.String(), p.EvidenceID)
	assert.Equal(t, e.CorrelationID, p.CorrelationID)
	assert.Equal(t, e.ContentHash.String(), p.ContentSHA256)
	assert.Equal(t, "2026-02-10T09:30:00.123Z", p.CreatedAt)
	assert.Empty(t, p.Producer)

	// The creation time as a store keeps it (microseconds) still verifies.
	stored := e
	stored.CreatedAt = e.CreatedAt.Truncate(time.Microsecond)
	require.NoError(t, stored.Verify(svc.Keys()))
}

func TestAttestedEvidenceWithAProducerVerifies(t *testing.T) {
	svc := service(t, "ci", "release")
	data := goodData()
	e := newAttested(t, svc, data, producerEnvelope(t, "ci", []byte(data)))
	require.NoError(t, e.Verify(svc.Keys()))
	name, ok := svc.Keys().Producer(&e.Producer)
	require.True(t, ok)
	assert.Equal(t, "ci", name)
	want, err := e.AttestationPayload("ci")
	require.NoError(t, err)
	assert.True(t, attest.Carries(&e.Attestation, want), "the service statement names the producer")

	f := newFakeStore()
	f.evidence[e.ID] = e
	v, err := security.NewValidator(f, security.Options{Keys: svc.Keys()})
	require.NoError(t, err)
	rep, err := v.ValidateDeployment(t.Context(), request(e, artifact, sbom))
	require.NoError(t, err)
	require.Len(t, rep.Checks, 6)
	assert.Equal(t, security.GateAttestation, rep.Checks[1].Gate)
	assert.True(t, rep.Checks[1].Passed)
	assert.Contains(t, rep.Checks[1].Detail, "produced by ci")
}

// The attack of issue 12: someone who can write the database replaces the
// artifact digest in the data and recomputes the content hash.
func TestAReplacedDigestWithARecomputedHashIsCaught(t *testing.T) {
	for _, producers := range [][]string{nil, {"ci"}} {
		t.Run("producers="+strings.Join(producers, ","), func(t *testing.T) {
			svc := service(t, producers...)
			data := goodData()
			var producer dsse.Envelope
			if len(producers) > 0 {
				producer = producerEnvelope(t, "ci", []byte(data))
			}
			e := newAttested(t, svc, data, producer)

			evil := bytes.Repeat([]byte("MZ\x90\x00evil"), 1000)
			forged := e
			forged.Data = json.RawMessage(strings.Replace(string(e.Data), hexSum(artifact), hexSum(evil), 1))
			require.NotEqual(t, string(e.Data), string(forged.Data))
			forged.ContentHash = sha256.Sum256(forged.Data)
			require.True(t, forged.Intact(), "the attacker's row is consistent with itself")

			re := requireRecordError(t, forged.Verify(svc.Keys()), forged, "attestation")
			assert.Contains(t, re.Reason, "not what the service key signed")

			f := newFakeStore()
			f.evidence[forged.ID] = forged

			// Without keys the attacker's build passes: the limitation the
			// keys exist to remove.
			rep, err := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(), request(forged, evil, sbom))
			require.NoError(t, err)
			require.True(t, rep.Passed())

			v, err := security.NewValidator(f, security.Options{Keys: svc.Keys()})
			require.NoError(t, err)
			rep, err = v.ValidateDeployment(t.Context(), request(forged, evil, sbom))
			var ve *security.ValidationError
			require.ErrorAs(t, err, &ve)
			require.ErrorIs(t, err, security.ErrBlocked)
			assert.Equal(t, trustgate.Blocked, trustgate.ErrorCode(err))
			assert.Equal(t, security.EvidenceUnattested, ve.Code)
			assert.Equal(t, "EVIDENCE_UNATTESTED", trustgate.AsError(err).Reason)
			require.Len(t, rep.Checks, 6)
			assert.True(t, rep.Checks[0].Passed, "the content hash matches: the evidence gate cannot see it")
			c := rep.Checks[1]
			assert.Equal(t, security.GateAttestation, c.Gate)
			assert.Equal(t, security.EvidenceUnattested, c.Code)
			assert.Contains(t, c.Detail, "evidence_packages/"+forged.ID.String())
			assert.Contains(t, c.Detail, "attestation")
			for _, c := range rep.Checks[2:] {
				assert.True(t, c.Skipped, c.Gate)
			}
			last := f.lastEvent(t)
			assert.Equal(t, security.EventValidationFailed, last.Type)
			assert.Contains(t, string(last.Data), `"code":"EVIDENCE_UNATTESTED"`)

			_, err = v.ValidateDigests(t.Context(), security.DigestRequest{EvidenceID: forged.ID,
				ArtifactDigest: sha256.Sum256(evil), SBOMDigest: ptr(security.Digest(sha256.Sum256(sbom))), Actor: "a"})
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, security.EvidenceUnattested, ve.Code)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestEveryEditOfASignedFieldIsCaught(t *testing.T) {
	svc := service(t)
	keys := svc.Keys()
	e := newAttested(t, svc, goodData(), dsse.Envelope{})
	other := newAttested(t, svc, goodData(), dsse.Envelope{})
	mallory, err := dsse.NewSigner(testkeys.Key("mallory"))
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		edit   func(e *security.Evidence)
		part   string
		reason string
	}{
		"id":             {func(e *security.Evidence) { e.ID = uuid.New() }, "attestation", "not what the service key signed"},
		"correlation id": {func(e *security.Evidence) { e.CorrelationID = "build-other" }, "attestation", "not what the service key signed"},
		"created at":     {func(e *security.Evidence) { e.CreatedAt = e.CreatedAt.Add(time.Second) }, "attestation", "not what the service key signed"},
		"content":        {func(e *security.Evidence) { e.Data = append(json.RawMessage(nil), e.Data[:len(e.Data)-2]...) }, "content", "hash"},
		"content hash":   {func(e *security.Evidence) { e.ContentHash[0] ^= 1 }, "content", "hash"},
		"unsigned":       {func(e *security.Evidence) { e.Attestation = dsse.Envelope{} }, "attestation", "unsigned"},
		"another package's attestation": {func(e *security.Evidence) { e.Attestation = other.Attestation },
			"attestation", "not what the service key signed"},
		"re-signed by another key": {func(e *security.Evidence) {
			env, err := dsse.Seal(attest.PayloadType, e.Attestation.Payload, mallory)
			require.NoError(t, err)
			e.Attestation = env
		}, "attestation", "no valid signature by the service key"},
		"signature flipped": {func(e *security.Evidence) {
			e.Attestation.Signatures = []dsse.Signature{{KeyID: keys.ServiceKeyID(), Sig: bytes.Repeat([]byte{1}, 64)}}
		}, "attestation", "no valid signature by the service key"},
		"not a statement": {func(e *security.Evidence) { e.Attestation.Payload = []byte(`{}`) }, "attestation", "not an evidence statement"},
		"payload type":    {func(e *security.Evidence) { e.Attestation.PayloadType = "text/plain" }, "attestation", "not what the service key signed"},
	} {
		t.Run(name, func(t *testing.T) {
			x := e
			x.Attestation = e.Attestation
			x.Attestation.Signatures = append([]dsse.Signature(nil), e.Attestation.Signatures...)
			tc.edit(&x)
			re := requireRecordError(t, x.Verify(keys), x, tc.part)
			assert.Contains(t, re.Reason, tc.reason)
		})
	}
	require.NoError(t, e.Verify(keys), "the edits were of copies")

	err = e.Verify(nil)
	require.Error(t, err)
	assert.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err))
	assert.Equal(t, "keys", trustgate.AsError(err).Field)
}

func TestAttestRefusesABadProducerEnvelope(t *testing.T) {
	svc := service(t, "ci")
	data := goodData()
	canon, err := jcs.CanonicalizeObject(nil, []byte(data))
	require.NoError(t, err)
	good, err := security.ProducerPayload([]byte(data))
	require.NoError(t, err)
	ci := testkeys.Key("producer:ci")
	otherData := evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`)
	evilData := evidenceJSON(hexSum([]byte("evil")), hexSum(sbom), `"PRODUCTIVITY_TOOLS"`)
	wrongSubject, err := attest.Encode(security.PredicateProducer, json.RawMessage(canon),
		attest.DigestSubject("zoom-6.1.msi", sha256.Sum256([]byte("evil"))))
	require.NoError(t, err)
	extraSubject, err := attest.Encode(security.PredicateProducer, json.RawMessage(canon),
		attest.DigestSubject("zoom-6.1.msi", sha256.Sum256(artifact)), attest.DigestSubject("x", sha256.Sum256(nil)))
	require.NoError(t, err)
	wrongPredicateType, err := attest.Encode(security.PredicateEvidence, json.RawMessage(canon),
		attest.DigestSubject("zoom-6.1.msi", sha256.Sum256(artifact)))
	require.NoError(t, err)

	statement := func(field string) func(t *testing.T, err error) {
		return func(t *testing.T, err error) { requireStatementError(t, err, field) }
	}
	unknownKey := func(t *testing.T, err error) {
		require.ErrorIs(t, err, attest.ErrUnknownKey)
		assert.Equal(t, trustgate.Forbidden, trustgate.ErrorCode(err))
		assert.Equal(t, "UNKNOWN_KEY", trustgate.AsError(err).Reason)
	}
	for name, tc := range map[string]struct {
		env   dsse.Envelope
		check func(t *testing.T, err error)
	}{
		"missing": {dsse.Envelope{}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, security.ErrProducerSignatureMissing)
			fe := trustgate.AsError(err)
			assert.Equal(t, trustgate.Invalid, fe.Code)
			assert.Equal(t, "PRODUCER_SIGNATURE_MISSING", fe.Reason)
			assert.Equal(t, "producer", fe.Field)
		}},
		"for other data":          {producerEnvelope(t, "ci", []byte(otherData)), statement("producer.payload.predicate")},
		"for the attacker's data": {producerEnvelope(t, "ci", []byte(evilData)), statement("producer.payload.predicate")},
		"wrong subject":           {produce(t, ci, attest.PayloadType, wrongSubject), statement("producer.payload.subject[0]")},
		"extra subject":           {produce(t, ci, attest.PayloadType, extraSubject), statement("producer.payload.subject")},
		"wrong predicate type":    {produce(t, ci, attest.PayloadType, wrongPredicateType), statement("producer.payload.predicateType")},
		"wrong payload type":      {produce(t, ci, "application/json", good), statement("producer.payloadType")},
		"not canonical":           {produce(t, ci, attest.PayloadType, append([]byte(" "), good...)), statement("producer.payload")},
		"an extra member": {produce(t, ci, attest.PayloadType,
			append([]byte(`{"_extra":1,`), good[1:]...)), statement("producer.payload")},
		"by an untrusted key":     {producerEnvelope(t, "mallory", []byte(data)), unknownKey},
		"by the service key":      {produce(t, testkeys.Key(testkeys.ServiceName), attest.PayloadType, good), unknownKey},
		"by a member's key":       {produce(t, testkeys.MemberKey("alice"), attest.PayloadType, good), unknownKey},
		"with a forged signature": {dsse.Envelope{PayloadType: attest.PayloadType, Payload: good, Signatures: []dsse.Signature{{Sig: make([]byte, ed25519.SignatureSize)}}}, unknownKey},
	} {
		t.Run(name, func(t *testing.T) {
			e, err := security.NewEvidence(uuid.New(), "build-1", []byte(data), attestedAt)
			require.NoError(t, err)
			before := e
			err = e.Attest(svc, tc.env)
			require.Error(t, err)
			tc.check(t, err)
			assert.Equal(t, before, e, "a refused attestation changes nothing")
		})
	}
}

func TestAttestIgnoresAProducerEnvelopeWhenNoProducerIsTrusted(t *testing.T) {
	svc := service(t)
	data := goodData()
	for _, env := range []dsse.Envelope{producerEnvelope(t, "ci", []byte(data)), {PayloadType: "junk", Payload: []byte("junk")}} {
		e := newAttested(t, svc, data, env)
		assert.Equal(t, dsse.Envelope{}, e.Producer)
		want, err := e.AttestationPayload("")
		require.NoError(t, err)
		assert.True(t, attest.Carries(&e.Attestation, want))
		require.NoError(t, e.Verify(svc.Keys()))
	}
}

func TestVerifyChecksTheProducerWhenTheKeyringRequiresOne(t *testing.T) {
	svc := service(t, "ci", "release")
	keys := svc.Keys()
	data := goodData()
	e := newAttested(t, svc, data, producerEnvelope(t, "ci", []byte(data)))
	other := newAttested(t, svc, evidenceJSON(hexSum(artifact), "", `"NON_CRITICAL"`),
		producerEnvelope(t, "ci", []byte(evidenceJSON(hexSum(artifact), "", `"NON_CRITICAL"`))))

	for name, tc := range map[string]struct {
		edit   func(e *security.Evidence)
		reason string
	}{
		"removed":                           {func(e *security.Evidence) { e.Producer = dsse.Envelope{} }, "no producer envelope"},
		"another package's":                 {func(e *security.Evidence) { e.Producer = other.Producer }, "producer.payload.predicate"},
		"by another trusted producer":       {func(e *security.Evidence) { e.Producer = producerEnvelope(t, "release", []byte(data)) }, "producer ci"},
		"by an untrusted key":               {func(e *security.Evidence) { e.Producer = producerEnvelope(t, "mallory", []byte(data)) }, "producer ci"},
		"signature garbled":                 {func(e *security.Evidence) { e.Producer.Signatures = []dsse.Signature{{Sig: []byte{1}}} }, "producer ci"},
		"payload of another type":           {func(e *security.Evidence) { e.Producer.PayloadType = "x" }, "producer.payloadType"},
		"nothing but the statement changed": {func(e *security.Evidence) { e.Producer.Payload = append([]byte(" "), e.Producer.Payload...) }, "producer.payload"},
	} {
		t.Run(name, func(t *testing.T) {
			x := e
			x.Producer = e.Producer
			tc.edit(&x)
			re := requireRecordError(t, x.Verify(keys), x, "producer")
			assert.Contains(t, re.Reason, tc.reason)
		})
	}
	require.NoError(t, e.Verify(keys))

	// A package attested while no producer was trusted does not verify once
	// the keyring requires one.
	early := newAttested(t, service(t), data, dsse.Envelope{})
	re := requireRecordError(t, early.Verify(keys), early, "producer")
	assert.Contains(t, re.Reason, "without a producer")
	// And one attested with a producer still verifies when none is required.
	require.NoError(t, e.Verify(service(t).Keys()))
}

func TestAttestRefusesAPackageNotMadeByNewEvidence(t *testing.T) {
	svc := service(t)
	e, err := security.NewEvidence(uuid.New(), "build-1", []byte(goodData()), attestedAt)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		edit  func(e *security.Evidence)
		field string
	}{
		"no creation time": {func(e *security.Evidence) { e.CreatedAt = time.Time{} }, "created_at"},
		"not intact":       {func(e *security.Evidence) { e.ContentHash[0] ^= 1 }, "content_hash"},
		"not canonical": {func(e *security.Evidence) {
			e.Data = json.RawMessage(`{ "artifacts":[{"name":"a","sha256":"` + strings.Repeat("0", 64) + `"}]}`)
			e.ContentHash = sha256.Sum256(e.Data)
		}, "evidence"},
		"not evidence": {func(e *security.Evidence) {
			e.Data = json.RawMessage(`{"artifacts":[]}`)
			e.ContentHash = sha256.Sum256(e.Data)
		}, "artifacts"},
	} {
		t.Run(name, func(t *testing.T) {
			x := e
			tc.edit(&x)
			before := x
			err := x.Attest(svc, dsse.Envelope{})
			require.Error(t, err)
			assert.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err))
			assert.Equal(t, tc.field, trustgate.AsError(err).Field)
			assert.Equal(t, before, x)
		})
	}
	err = e.Attest(nil, dsse.Envelope{})
	assert.Equal(t, "service", trustgate.AsError(err).Field)
}

func TestProducerPayloadIsTheCanonicalStatement(t *testing.T) {
	data := `{"artifacts":[{"name":"b \u00e9 \"q\" <tag> \u2028.msi","sha256":"` + strings.Repeat("ab", 32) + `"},` +
		`{"name":"a.msi","sha256":"` + strings.Repeat("01", 32) + `"}],"z":[1e2,0.5,"\u0041"],"blast_radius_class":"NON_CRITICAL"}`
	got, err := security.ProducerPayload([]byte(data))
	require.NoError(t, err)
	canon, err := jcs.CanonicalizeObject(nil, []byte(data))
	require.NoError(t, err)
	var a, b security.Digest
	copy(a[:], bytes.Repeat([]byte{0xab}, 32))
	copy(b[:], bytes.Repeat([]byte{0x01}, 32))
	want, err := attest.Encode(security.PredicateProducer, json.RawMessage(canon),
		attest.DigestSubject("b é \"q\" <tag> \u2028.msi", a), attest.DigestSubject("a.msi", b))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	var predicate json.RawMessage
	st, err := attest.Decode(got, security.PredicateProducer, &predicate)
	require.NoError(t, err)
	assert.Equal(t, string(canon), string(predicate))
	assert.Len(t, st.Subject, 2)
	assert.Equal(t, "b é \"q\" <tag> \u2028.msi", st.Subject[0].Name, "subjects in the order of the manifest")

	// The service statement, likewise, with strings that JSON encoders
	// escape differently from RFC 8785.
	e, err := security.NewEvidence(uuid.New(), "build <&> \u2028 \"ü\"", []byte(data), attestedAt)
	require.NoError(t, err)
	for _, producer := range []string{"", "ci", "prod <é> \u2028"} {
		got, err := e.AttestationPayload(producer)
		require.NoError(t, err)
		want, err := attest.Encode(security.PredicateEvidence, map[string]string{
			"evidence_id": e.ID.String(), "correlation_id": e.CorrelationID, "content_sha256": e.ContentHash.String(),
			"created_at": "2026-02-10T09:30:00.123Z", "producer": producer,
		}, attest.DigestSubject("b é \"q\" <tag> \u2028.msi", a), attest.DigestSubject("a.msi", b))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}

	for _, bad := range []string{`[]`, `{"artifacts":[]}`, `{"a":1,"a":2}`, "{\"artifacts\":\"\xff\"}"} {
		_, err := security.ProducerPayload([]byte(bad))
		require.Error(t, err, bad)
		assert.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err), bad)
	}
}

func TestValidatorWithoutKeysHasNoAttestationGate(t *testing.T) {
	f := newFakeStore()
	e := f.put(t, goodData()) // never attested
	rep, err := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(), request(e, artifact, sbom))
	require.NoError(t, err)
	require.Len(t, rep.Checks, 5)
	for _, c := range rep.Checks {
		assert.NotEqual(t, security.GateAttestation, c.Gate)
	}
}

func TestValidatorWithKeysBlocksAnUnsignedPackage(t *testing.T) {
	f := newFakeStore()
	e := f.put(t, goodData()) // stored before trustgate signed evidence
	v, err := security.NewValidator(f, security.Options{Keys: service(t).Keys()})
	require.NoError(t, err)
	rep, err := v.ValidateDeployment(t.Context(), request(e, artifact, sbom))
	var ve *security.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, security.EvidenceUnattested, ve.Code)
	require.Len(t, rep.Checks, 6)
	assert.Contains(t, rep.Checks[1].Detail, "unsigned")

	// Missing and tampered evidence skip the attestation gate with the rest.
	rep, err = v.ValidateDeployment(t.Context(), security.Request{EvidenceID: uuid.New(), Artifact: strings.NewReader("x"), Actor: "a"})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, security.EvidenceNotFound, ve.Code)
	require.Len(t, rep.Checks, 6)
	assert.Equal(t, security.GateAttestation, rep.Checks[1].Gate)
	assert.True(t, rep.Checks[1].Skipped)

	bad := e
	bad.ID = uuid.New()
	bad.ContentHash[0] ^= 1
	f.evidence[bad.ID] = bad
	rep, err = v.ValidateDeployment(t.Context(), request(bad, artifact, sbom))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, security.EvidenceTampered, ve.Code)
	require.Len(t, rep.Checks, 6)
	assert.True(t, rep.Checks[1].Skipped)
}

// BenchmarkEvidenceVerify20KB is Evidence.Verify of a 20 KB package: the
// content hash, the service statement encoded again and its Ed25519
// signature, and with a producer the producer's statement and signature.
func BenchmarkEvidenceVerify20KB(b *testing.B) {
	for _, withProducer := range []bool{false, true} {
		name := "service"
		var producers []string
		if withProducer {
			name, producers = "service+producer", []string{"ci"}
		}
		b.Run(name, func(b *testing.B) {
			svc := service(b, producers...)
			data := evidence20KB()
			var env dsse.Envelope
			if withProducer {
				env = producerEnvelope(b, "ci", data)
			}
			e := newAttested(b, svc, string(data), env)
			b.SetBytes(int64(len(e.Data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := e.Verify(svc.Keys()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidateDigests20KB is the whole ValidateDigests over a 20 KB
// package in an in-memory store, without keys and with them, so that the
// cost the attestation gate adds is the difference (the digests are
// supplied: no artifact is hashed).
func BenchmarkValidateDigests20KB(b *testing.B) {
	for _, mode := range []string{"no-keys", "keys", "keys+producer"} {
		b.Run(mode, func(b *testing.B) {
			var producers []string
			if mode == "keys+producer" {
				producers = []string{"ci"}
			}
			svc := service(b, producers...)
			data := evidence20KB()
			var env dsse.Envelope
			if len(producers) > 0 {
				env = producerEnvelope(b, "ci", data)
			}
			e := newAttested(b, svc, string(data), env)
			f := newFakeStore()
			f.evidence[e.ID] = e
			opts := security.Options{Policy: security.Policy{SBOMOptional: true}}
			if mode != "no-keys" {
				opts.Keys = svc.Keys()
			}
			v, err := security.NewValidator(f, opts)
			if err != nil {
				b.Fatal(err)
			}
			var art, sb security.Digest
			copy(art[:], bytes.Repeat([]byte{0x07}, 32)) // component-007.msi
			copy(sb[:], bytes.Repeat([]byte{0x5a}, 32))
			req := security.DigestRequest{EvidenceID: e.ID, ArtifactName: "component-007.msi", ArtifactDigest: art, SBOMDigest: &sb, Actor: "bench"}
			b.ReportAllocs()
			for b.Loop() {
				f.events = f.events[:0]
				if _, err := v.ValidateDigests(b.Context(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzEvidenceVerify feeds Verify stored envelopes it did not make: it must
// never panic, and must refuse every payload but the one signed.
func FuzzEvidenceVerify(f *testing.F) {
	svc := service(f, "ci")
	data := goodData()
	e := newAttested(f, svc, data, producerEnvelope(f, "ci", []byte(data)))
	f.Add(e.Attestation.Payload, e.Producer.Payload)
	f.Add([]byte(`{"predicate":{"producer":"ci"}}`), []byte(`{}`))
	f.Add([]byte(`{"predicate":{"producer":1}}`), []byte(``))
	f.Fuzz(func(t *testing.T, attestation, producer []byte) {
		x := e
		x.Attestation.Payload, x.Producer.Payload = attestation, producer
		err := x.Verify(svc.Keys())
		same := bytes.Equal(attestation, e.Attestation.Payload) && bytes.Equal(producer, e.Producer.Payload)
		if same != (err == nil) {
			t.Fatalf("payloads same as signed: %v, Verify: %v", same, err)
		}
	})
}
