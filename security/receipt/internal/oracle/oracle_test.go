// Package oracle_test checks trustgate's receipts with tools nobody here
// wrote: go-securesystemslib's DSSE verifier, the in-toto attestation
// framework's Go bindings (Statement v1 and the SLSA Verification
// Summary v1 predicate, read with protojson), and golang.org/x/mod's note
// and tlog for the inclusion proof. It lives in a package of its own,
// which no trustgate package imports, so that the oracles (and protobuf
// with them) are downloaded by trustgate's own tests only, never by a
// program that imports trustgate.
package oracle_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	vsa "github.com/in-toto/attestation/go/predicates/vsa/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	ssl "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/security/receipt/internal/receipttest"
)

// sslEd25519 is go-securesystemslib's Verifier over an Ed25519 public key.
type sslEd25519 struct {
	pub ed25519.PublicKey
	id  string
}

func (k sslEd25519) Sign(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("verify only")
}

func (k sslEd25519) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(k.pub, data, sig) {
		return errors.New("ed25519: invalid signature")
	}
	return nil
}

func (k sslEd25519) KeyID() (string, error) { return k.id, nil }

func (k sslEd25519) Public() crypto.PublicKey { return k.pub }

// made is one receipt and what the oracles should find in it.
type made struct {
	r      receipt.Receipt
	event  security.Event
	result string
	uri    string
	opts   receipt.Options
}

func receipts(t *testing.T) map[string]made {
	t.Helper()
	svc := receipttest.Service(t)
	log := receipttest.NewLog(t, receipttest.Origin, testkeys.ServiceName)
	log.Fill(t, 5)
	policy := func() receipt.Policy {
		p, err := receipt.ModelPolicy(receipttest.Model())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}()
	out := map[string]made{}
	validation := func(name string, rep security.Report, result string, opts receipt.Options) {
		ev := log.Append(t, receipttest.ValidationEvent(rep))
		env, err := receipt.Validation(svc, rep, policy, ev, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = made{r: receipt.Receipt{Envelope: env}, event: ev, result: result,
			uri: "trustgate:evidence/" + rep.EvidenceID.String(), opts: opts}
	}
	authorization := func(name string, r cab.Request, ev security.Event, result string) {
		env, err := receipt.Authorization(svc, &r, ev, receipt.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = made{r: receipt.Receipt{Envelope: env}, event: ev, result: result, uri: "trustgate:cab-request/" + r.ID.String()}
	}
	validation("validation passed", receipttest.PassedReport(), "PASSED", receipt.Options{})
	validation("validation failed", receipttest.FailedReport(), "FAILED", receipt.Options{})
	validation("validation with a verifier version", receipttest.PassedReport(), "PASSED",
		receipt.Options{VerifierID: "https://trustgate.example.com/prod", VerifierVersion: map[string]string{"trustgate": "v1.4.0"}})

	auto := receipttest.Request(t, svc, 10, blastradius.NonCritical)
	authorization("auto-approved", auto, log.Append(t, cab.SubmittedEvent(auto)), "PASSED")
	pending := receipttest.Request(t, svc, 45, blastradius.BusinessCritical)
	authorization("pending review", pending, log.Append(t, cab.SubmittedEvent(pending)), "FAILED")
	at := receipttest.Epoch.Add(time.Hour)
	exc := receipttest.Request(t, svc, 90, blastradius.BusinessCritical)
	log.Append(t, cab.SubmittedEvent(exc))
	exc = receipttest.Exception(t, svc, exc, "alice", at.Add(48*time.Hour), at, "bob", "carol")
	authorization("exception approved", exc, log.AppendAt(t, receipttest.StepEvent(exc, cab.EventExceptionApproved, "carol"), at), "PASSED")

	log.Fill(t, 2)
	for name, m := range out {
		m.r.Proof = log.Prove(t, m.event.Seq)
		out[name] = m
	}
	return out
}

func TestOracleVerifiesTheEnvelope(t *testing.T) {
	pub := testkeys.Key(testkeys.ServiceName).Public().(ed25519.PublicKey)
	id, err := dsse.KeyID(pub)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range receipts(t) {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(m.r)
			if err != nil {
				t.Fatal(err)
			}
			var bundle struct {
				DSSEEnvelope json.RawMessage `json:"dsseEnvelope"`
			}
			if err := json.Unmarshal(b, &bundle); err != nil {
				t.Fatal(err)
			}
			var env ssl.Envelope
			if err := json.Unmarshal(bundle.DSSEEnvelope, &env); err != nil {
				t.Fatal(err)
			}
			v, err := ssl.NewEnvelopeVerifier(sslEd25519{pub: pub, id: id})
			if err != nil {
				t.Fatal(err)
			}
			accepted, err := v.Verify(context.Background(), &env)
			if err != nil || len(accepted) != 1 {
				t.Fatalf("the oracle rejects the receipt's envelope: %v (accepted %+v)", err, accepted)
			}
			if env.PayloadType != "application/vnd.in-toto+json" {
				t.Errorf("payloadType %q", env.PayloadType)
			}
			// Edited, the oracle rejects it too.
			payload, err := env.DecodeB64Payload()
			if err != nil {
				t.Fatal(err)
			}
			edited := env
			edited.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), m.result, "PASSED_", 1)))
			if _, err := v.Verify(context.Background(), &edited); err == nil {
				t.Fatal("the oracle accepts an edited payload")
			}
			other := sslEd25519{pub: testkeys.Key("mallory").Public().(ed25519.PublicKey), id: id}
			if v, _ := ssl.NewEnvelopeVerifier(other); v != nil {
				if _, err := v.Verify(context.Background(), &env); err == nil {
					t.Fatal("the oracle accepts the receipt under another key")
				}
			}
		})
	}
}

func TestOracleReadsTheStatementAndItsVerificationSummary(t *testing.T) {
	for name, m := range receipts(t) {
		t.Run(name, func(t *testing.T) {
			var st intoto.Statement
			if err := protojson.Unmarshal(m.r.Envelope.Payload, &st); err != nil {
				t.Fatalf("in-toto Statement v1: %v\n%s", err, m.r.Envelope.Payload)
			}
			if err := st.Validate(); err != nil {
				t.Fatalf("Statement.Validate: %v", err)
			}
			if st.GetType() != intoto.StatementTypeUri {
				t.Errorf("_type %q", st.GetType())
			}
			if st.GetPredicateType() != "https://slsa.dev/verification_summary/v1" {
				t.Errorf("predicateType %q", st.GetPredicateType())
			}
			if len(st.GetSubject()) != 1 || st.GetSubject()[0].GetDigest()["sha256"] != receipttest.ArtifactDigest.String() {
				t.Errorf("subject %v, want the artifact's sha256 %s", st.GetSubject(), receipttest.ArtifactDigest)
			}

			pj, err := protojson.Marshal(st.GetPredicate())
			if err != nil {
				t.Fatal(err)
			}
			var p vsa.VerificationSummary
			// Strict, unless the receipt holds verifier.version (VSA 1.1),
			// which these bindings (VSA 1.0) do not know and, as the in-toto
			// parsing rules require, ignore.
			unmarshal := protojson.UnmarshalOptions{DiscardUnknown: len(m.opts.VerifierVersion) > 0}
			if err := unmarshal.Unmarshal(pj, &p); err != nil {
				t.Fatalf("SLSA Verification Summary v1: %v\n%s", err, pj)
			}
			wantVerifier := receipt.DefaultVerifierID
			if m.opts.VerifierID != "" {
				wantVerifier = m.opts.VerifierID
			}
			leaf := sha256.Sum256(m.r.Proof.Extra)
			for _, c := range []struct{ what, got, want string }{
				{"verifier.id", p.GetVerifier().GetId(), wantVerifier},
				{"resourceUri", p.GetResourceUri(), m.uri},
				{"verificationResult", p.GetVerificationResult(), m.result},
				{"policy.uri", p.GetPolicy().GetUri(), "trustgate:riskmodel/2.0"},
				{"policy.digest", p.GetPolicy().GetDigest()["sha256"], modelHash(t)},
				{"inputAttestations[0].uri", p.GetInputAttestations()[0].GetUri(), "trustgate:audit/" + strconv.FormatInt(m.event.Seq, 10)},
				{"inputAttestations[0].digest", p.GetInputAttestations()[0].GetDigest()["sha256"], hex.EncodeToString(leaf[:])},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			if got := p.GetTimeVerified().AsTime(); !got.Equal(m.event.OccurredAt) {
				t.Errorf("timeVerified %s, want the event's time %s", got, m.event.OccurredAt)
			}
			levels := p.GetVerifiedLevels()
			if len(levels) == 0 {
				t.Fatal("no verifiedLevels")
			}
			for _, l := range levels {
				if strings.HasPrefix(l, "SLSA_") {
					t.Errorf("custom level %q uses the SLSA_ prefix, which VSA v1 reserves", l)
				}
			}
			if failed := levels[0] == "FAILED"; failed != (m.result == "FAILED") {
				t.Errorf("verifiedLevels %q for a %s summary", levels, m.result)
			}
		})
	}
}

func modelHash(t *testing.T) string {
	t.Helper()
	h, err := receipttest.Model().ContentHash()
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h[:])
}

func TestOracleChecksTheInclusionProof(t *testing.T) {
	s, err := testkeysLogVerifier()
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range receipts(t) {
		t.Run(name, func(t *testing.T) {
			n, err := note.Open(m.r.Proof.Checkpoint, note.VerifierList(s))
			if err != nil {
				t.Fatalf("note.Open: %v", err)
			}
			lines := strings.Split(n.Text, "\n")
			if len(lines) < 4 || lines[0] != receipttest.Origin {
				t.Fatalf("checkpoint %q", n.Text)
			}
			size, err := strconv.ParseInt(lines[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			root, err := base64.StdEncoding.DecodeString(lines[2])
			if err != nil || len(root) != tlog.HashSize {
				t.Fatalf("root hash %q", lines[2])
			}
			if err := tlog.CheckRecord(m.r.Proof.Hashes, size, tlog.Hash(root), m.r.Proof.Index, tlog.RecordHash(m.r.Proof.Extra)); err != nil {
				t.Fatalf("tlog.CheckRecord: %v", err)
			}
			want, err := m.event.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			if string(m.r.Proof.Extra) != string(want) || m.r.Proof.Index != m.event.Seq-1 {
				t.Errorf("the proof is of leaf %d %s, want the event's %d %s", m.r.Proof.Index, m.r.Proof.Extra, m.event.Seq-1, want)
			}
		})
	}
}

// testkeysLogVerifier is the note verifier of the test log's key, made
// with x/mod's note package alone.
func testkeysLogVerifier() (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(receipttest.Origin, testkeys.Key(testkeys.ServiceName).Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

// The oracle's reading agrees with the receipt package's own.
func TestOracleAgreesWithVerify(t *testing.T) {
	svc := receipttest.Service(t)
	log := receipttest.NewLog(t, receipttest.Origin, testkeys.ServiceName)
	for name, m := range receipts(t) {
		s, err := receipt.Verify(m.r, svc.Keys(), log.Trust)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Result != m.result || s.ResourceURI != m.uri || s.EventSeq != m.event.Seq {
			t.Errorf("%s: summary %+v", name, s)
		}
	}
}
