package receipt_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/security/receipt/internal/receipttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resign decodes r's statement, lets edit change it, and signs the result
// with the service key: what only the holder of the service key can do,
// so what Verify must still refuse is what is not a receipt.
func resign(t *testing.T, f fixture, r receipt.Receipt, edit func(st map[string]any)) receipt.Receipt {
	t.Helper()
	var st map[string]any
	require.NoError(t, json.Unmarshal(r.Envelope.Payload, &st))
	edit(st)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	payload, err := attest.Encode(st["predicateType"].(string), json.RawMessage(mustPredicate(t, b)), subjects(t, b)...)
	require.NoError(t, err)
	r.Envelope, err = f.svc.Seal(payload)
	require.NoError(t, err)
	return r
}

func mustPredicate(t *testing.T, statement []byte) []byte {
	t.Helper()
	var s struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	require.NoError(t, json.Unmarshal(statement, &s))
	return s.Predicate
}

func subjects(t *testing.T, statement []byte) []attest.Subject {
	t.Helper()
	var s struct {
		Subject []attest.Subject `json:"subject"`
	}
	require.NoError(t, json.Unmarshal(statement, &s))
	return s.Subject
}

func predicate(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }

func TestVerifyRefusesEveryTamperedReceipt(t *testing.T) {
	f := newFixture(t)
	good := f.validation(t, receipttest.FailedReport())
	otherSeq := good.Proof.Index // the event before the receipt's
	mallory, err := dsse.NewSigner(testkeys.Key("mallory"))
	require.NoError(t, err)
	other := receipttest.NewLog(t, receipttest.OtherOrigin, "other log")
	other.Fill(t, 3)

	for _, tc := range []struct {
		name     string
		tamper   func(t *testing.T, r receipt.Receipt) receipt.Receipt
		sentinel *trustgate.Error
		field    string
		cause    error // also wrapped, when set
	}{
		{"payload edited", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			r.Envelope.Payload = []byte(strings.Replace(string(r.Envelope.Payload), `"FAILED"`, `"PASSED"`, 1))
			return r
		}, receipt.ErrSignature, "envelope.signatures", nil},
		{"signed by another key", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			env, err := dsse.Seal(attest.PayloadType, r.Envelope.Payload, mallory)
			require.NoError(t, err)
			r.Envelope = env
			return r
		}, receipt.ErrSignature, "envelope.signatures", nil},
		{"another key's signature under the service key's id", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			env, err := dsse.Seal(attest.PayloadType, r.Envelope.Payload, mallory)
			require.NoError(t, err)
			env.Signatures[0].KeyID = r.Envelope.Signatures[0].KeyID
			r.Envelope = env
			return r
		}, receipt.ErrSignature, "envelope.signatures", nil},
		{"not an in-toto payload type", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			r.Envelope.PayloadType = "application/json"
			return r
		}, receipt.ErrPayloadType, "envelope.payloadType", nil},
		{"a proof for another event", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			r.Proof = f.log.Prove(t, otherSeq)
			return r
		}, receipt.ErrEvent, "payload.predicate.inputAttestations[0].digest.sha256", nil},
		{"a truncated proof", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			r.Proof.Hashes = r.Proof.Hashes[:len(r.Proof.Hashes)-1]
			return r
		}, receipt.ErrProof, "proof", auditlog.ErrProof},
		{"a reordered proof", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			h := append(r.Proof.Hashes[:0:0], r.Proof.Hashes...)
			h[0], h[1] = h[1], h[0]
			r.Proof.Hashes = h
			return r
		}, receipt.ErrProof, "proof", auditlog.ErrProof},
		{"a proof at another index", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			r.Proof.Index--
			return r
		}, receipt.ErrProof, "proof", auditlog.ErrProof},
		{"a proof without the event", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			r.Proof.Extra = nil
			return r
		}, receipt.ErrProof, "proof", auditlog.ErrProof},
		{"a checkpoint of another origin, signed by the log's key", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			c := f.log.Head(t)
			c.Origin = receipttest.OtherOrigin
			r.Proof.Checkpoint = f.log.Sign(t, c)
			return r
		}, receipt.ErrProof, "proof", auditlog.ErrOrigin},
		{"a checkpoint of another log", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			r.Proof.Checkpoint = other.Checkpoint(t)
			return r
		}, receipt.ErrProof, "proof", auditlog.ErrSignature},
		{"a decision statement is not a receipt", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			payload, err := attest.Encode("https://github.com/buildworksai/trustgate/attestation/cab-decision/v1",
				map[string]string{"outcome": "auto_approved"}, attest.DigestSubject("SAP GUI", receipttest.ArtifactDigest))
			require.NoError(t, err)
			r.Envelope, err = f.svc.Seal(payload)
			require.NoError(t, err)
			return r
		}, receipt.ErrStatement, "payload", attest.ErrStatement},
		{"a statement that is not canonical", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			var err error
			r.Envelope, err = f.svc.Seal(append([]byte(" "), r.Envelope.Payload...))
			require.NoError(t, err)
			return r
		}, receipt.ErrStatement, "payload", attest.ErrStatement},
		{"a member of the predicate it does not know", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) { predicate(st)["slsaVersion"] = "1.0" })
		}, receipt.ErrStatement, "payload", attest.ErrStatement},
		{"a result that is neither", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) { predicate(st)["verificationResult"] = "MAYBE" })
		}, receipt.ErrStatement, "payload.predicate.verificationResult", nil},
		{"PASSED listing FAILED", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) { predicate(st)["verificationResult"] = "PASSED" })
		}, receipt.ErrStatement, "payload.predicate.verifiedLevels[0]", nil},
		{"FAILED not listing FAILED first", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) {
				predicate(st)["verifiedLevels"] = []string{"TRUSTGATE_REASON_SBOM_MISSING", "FAILED"}
			})
		}, receipt.ErrStatement, "payload.predicate.verifiedLevels[0]", nil},
		{"no levels", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) { predicate(st)["verifiedLevels"] = []string{} })
		}, receipt.ErrStatement, "payload.predicate.verifiedLevels", nil},
		{"two subjects", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) {
				st["subject"] = append(st["subject"].([]any), st["subject"].([]any)[0])
			})
		}, receipt.ErrStatement, "payload.subject", nil},
		{"a subject digest of another algorithm", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) {
				st["subject"].([]any)[0].(map[string]any)["digest"] = map[string]string{"sha512": "00"}
			})
		}, receipt.ErrStatement, "payload.subject[0].digest", nil},
		{"an upper-case policy digest", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) {
				d := predicate(st)["policy"].(map[string]any)["digest"].(map[string]any)
				d["sha256"] = strings.ToUpper(d["sha256"].(string))
			})
		}, receipt.ErrStatement, "payload.predicate.policy.digest", nil},
		{"two input attestations", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) {
				p := predicate(st)
				p["inputAttestations"] = append(p["inputAttestations"].([]any), p["inputAttestations"].([]any)[0])
			})
		}, receipt.ErrStatement, "payload.predicate.inputAttestations", nil},
		{"an input attestation that is no audit event", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) {
				predicate(st)["inputAttestations"].([]any)[0].(map[string]any)["uri"] = "trustgate:audit/07"
			})
		}, receipt.ErrStatement, "payload.predicate.inputAttestations[0].uri", nil},
		{"a time that is not the event's", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) { predicate(st)["timeVerified"] = "2030-01-01T00:00:00.000000Z" })
		}, receipt.ErrEvent, "payload.predicate.timeVerified", nil},
		{"a time in another form", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) { predicate(st)["timeVerified"] = "2026-03-02T09:04:00Z" })
		}, receipt.ErrStatement, "payload.predicate.timeVerified", nil},
		{"another sequence number for the same leaf", func(t *testing.T, r receipt.Receipt) receipt.Receipt {
			return resign(t, f, r, func(st map[string]any) {
				predicate(st)["inputAttestations"].([]any)[0].(map[string]any)["uri"] = "trustgate:audit/5"
			})
		}, receipt.ErrEvent, "proof.index", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			r.Envelope = good.Envelope.Clone()
			r = tc.tamper(t, r)
			_, err := receipt.Verify(r, f.svc.Keys(), f.log.Trust)
			wantErr(t, err, tc.sentinel, tc.field)
			if tc.cause != nil {
				assert.ErrorIs(t, err, tc.cause)
			}
		})
	}
	// And the untampered receipt verifies.
	f.verify(t, good)
}

func TestVerifyNamesTheWrongPayloadType(t *testing.T) {
	f := newFixture(t)
	r := f.validation(t, receipttest.PassedReport())
	r.Envelope.PayloadType = "application/vnd.cyclonedx+json"
	_, err := receipt.Verify(r, f.svc.Keys(), f.log.Trust)
	wantErr(t, err, receipt.ErrPayloadType, "envelope.payloadType")
	assert.Contains(t, err.Error(), `"application/vnd.cyclonedx+json"`)
	assert.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err))
}

func TestVerifyTrustsOnlyTheGivenKeys(t *testing.T) {
	f := newFixture(t)
	r := f.validation(t, receipttest.PassedReport())
	otherKeys, err := attest.NewKeyring(attest.Config{Service: testkeys.Public("another service")})
	require.NoError(t, err)
	_, err = receipt.Verify(r, otherKeys, f.log.Trust)
	e := wantErr(t, err, receipt.ErrSignature, "envelope.signatures")
	assert.Equal(t, trustgate.Tampered, e.Code)
	_, err = receipt.Verify(r, nil, f.log.Trust)
	wantErr(t, err, receipt.ErrInput, "keys")
	_, err = receipt.Verify(r, f.svc.Keys(), auditlog.Trust{Origin: receipttest.Origin})
	wantErr(t, err, receipt.ErrProof, "proof")
}

func TestVerifyRefusesAProofOfALogThatMisplacesItsEvents(t *testing.T) {
	// The service key signed a receipt naming event 9, and the log holds
	// that event at position 5: the proof verifies, but for leaf 4.
	f := newFixture(t)
	f.log.Fill(t, 1)
	rep := receipttest.PassedReport()
	e, err := security.NewEvent(security.Head{Size: 8}, receipttest.ValidationEvent(rep), receipttest.EvidenceID, receipttest.Epoch)
	require.NoError(t, err)
	f.log.AppendEvent(t, e)
	env, err := receipt.Validation(f.svc, rep, model(t), e, receipt.Options{})
	require.NoError(t, err)
	_, err = receipt.Verify(receipt.Receipt{Envelope: env, Proof: f.log.Prove(t, 5)}, f.svc.Keys(), f.log.Trust)
	wantErr(t, err, receipt.ErrEvent, "proof.index")
}
