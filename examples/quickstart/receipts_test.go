package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	ssl "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"golang.org/x/mod/sumdb/note"

	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/receipt"
)

// receiptRun is one walk-through run with -receipts, -checkpoint and
// -verifier, and what a reader of its files trusts: the service key and
// the log's verifier key, both read from the verifier key file (the
// quickstart signs checkpoints with its service key), and the checkpoint
// file.
type receiptRun struct {
	dir        string
	transcript string
	keys       *attest.Keyring
	service    ed25519.PublicKey
	trust      auditlog.Trust
	checkpoint auditlog.Verified
}

func runWithReceipts(t *testing.T) receiptRun {
	t.Helper()
	tmp := t.TempDir()
	files := outputs{checkpoint: filepath.Join(tmp, "checkpoint.txt"), verifier: filepath.Join(tmp, "log.vkey"),
		receipts: filepath.Join(tmp, "receipts", "made-by-the-walk")} // two levels that do not exist yet
	var out bytes.Buffer
	if err := run(t.Context(), &out, filepath.Join(tmp, "fleet.db"), "", files); err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out.String())
	}
	vkey, err := os.ReadFile(files.verifier)
	if err != nil {
		t.Fatal(err)
	}
	r := receiptRun{dir: files.receipts, transcript: out.String()}
	r.trust.Origin = logOrigin
	if r.trust.Log, err = note.NewVerifier(strings.TrimSpace(string(vkey))); err != nil {
		t.Fatal(err)
	}
	// <name>+<hash>+<base64 of the algorithm byte 1 (Ed25519) and the key>
	// (base64 has "+" of its own: the key is what follows the second).
	parts := strings.SplitN(strings.TrimSpace(string(vkey)), "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		t.Fatalf("the verifier key %q does not hold an Ed25519 key: %v", vkey, err)
	}
	r.service = ed25519.PublicKey(raw[1:])
	if r.keys, err = attest.NewKeyring(attest.Config{Service: r.service}); err != nil {
		t.Fatal(err)
	}
	msg, err := os.ReadFile(files.checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if r.checkpoint, err = auditlog.Open(msg, r.trust); err != nil {
		t.Fatalf("the checkpoint file does not open: %v", err)
	}
	return r
}

// sslVerifier is go-securesystemslib's Verifier over an Ed25519 public key.
type sslVerifier struct {
	pub ed25519.PublicKey
	id  string
}

func (v sslVerifier) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(v.pub, data, sig) {
		return errors.New("ed25519: invalid signature")
	}
	return nil
}
func (v sslVerifier) KeyID() (string, error)   { return v.id, nil }
func (v sslVerifier) Public() crypto.PublicKey { return v.pub }

// statementSummary is what the oracle reads of a receipt's payload.
type statementSummary struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate struct {
		VerificationResult string   `json:"verificationResult"`
		VerifiedLevels     []string `json:"verifiedLevels"`
	} `json:"predicate"`
}

// TestTheQuickstartWritesAReceiptOfEveryVerdict runs the walk-through
// with -receipts and checks every file it writes with tools nobody here
// wrote: each .dsse.json with go-securesystemslib's DSSE verifier and
// plain JSON, each .receipt.json with receipt.ParseReceipt and
// receipt.Verify under the written verifier key and checkpoint.
func TestTheQuickstartWritesAReceiptOfEveryVerdict(t *testing.T) {
	r := runWithReceipts(t)

	// The walk validates every deployment but the one whose status is
	// edited (it stops at the refusal), and authorises every one but the
	// build that is blocked; each makes one receipt, in walk order.
	var want []string
	for _, d := range week() {
		if !d.tampered {
			want = append(want, "validation-"+fileName(d.app))
		}
		if !d.swapped {
			want = append(want, "authorization-"+fileName(d.app))
		}
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var wantNames []string
	for i, w := range want {
		base := fmt.Sprintf("%02d-%s", i+1, w)
		wantNames = append(wantNames, base+".dsse.json", base+".receipt.json")
	}
	slices.Sort(wantNames)
	if !slices.Equal(wantNames, names) {
		t.Fatalf("the receipt directory holds\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(wantNames, "\n"))
	}
	if line := "receipts: 12 (10 PASSED, 2 FAILED), each a DSSE envelope and the inclusion proof of its event, written to " + r.dir; !strings.Contains(r.transcript, line) {
		t.Errorf("the transcript lacks %q:\n%s", line, r.transcript)
	}

	oracle, err := ssl.NewEnvelopeVerifier(sslVerifier{pub: r.service, id: r.keys.ServiceKeyID()})
	if err != nil {
		t.Fatal(err)
	}
	results := map[string][]string{} // kind → the verificationResults of its receipts
	kind := regexp.MustCompile(`^[0-9]{2}-(validation|authorization)-`)
	for _, name := range names {
		path := filepath.Join(r.dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		k := kind.FindStringSubmatch(name)[1]
		switch {
		case strings.HasSuffix(name, ".dsse.json"):
			var env ssl.Envelope
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatalf("%s: not a DSSE envelope: %v", name, err)
			}
			if env.PayloadType != "application/vnd.in-toto+json" {
				t.Errorf("%s: payloadType %q", name, env.PayloadType)
			}
			if _, err := oracle.Verify(t.Context(), &env); err != nil {
				t.Errorf("%s: go-securesystemslib rejects the envelope: %v", name, err)
			}
			payload, err := env.DecodeB64Payload()
			if err != nil {
				t.Fatal(err)
			}
			var st statementSummary
			if err := json.Unmarshal(payload, &st); err != nil {
				t.Fatalf("%s: the payload is not JSON: %v", name, err)
			}
			if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != "https://slsa.dev/verification_summary/v1" ||
				len(st.Subject) != 1 || len(st.Subject[0].Digest["sha256"]) != 64 {
				t.Errorf("%s: not an in-toto Statement v1 of one artifact with a SLSA verification summary: %s", name, payload)
			}
			results[k] = append(results[k], st.Predicate.VerificationResult)
		case strings.HasSuffix(name, ".receipt.json"):
			rc, err := receipt.ParseReceipt(bytes.TrimSpace(b))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sum, err := receipt.Verify(rc, r.keys, r.trust)
			if err != nil {
				t.Fatalf("%s: does not verify: %v", name, err)
			}
			if !bytes.Equal(sum.Checkpoint.Body(), r.checkpoint.Body()) {
				t.Errorf("%s: proved against %+v, not the written checkpoint %+v", name, sum.Checkpoint, r.checkpoint.Checkpoint)
			}
			dsseFile := strings.TrimSuffix(path, ".receipt.json") + ".dsse.json"
			bare, err := os.ReadFile(dsseFile)
			if err != nil {
				t.Fatal(err)
			}
			if env, _ := rc.Envelope.Marshal(); !bytes.Equal(bytes.TrimSpace(bare), env) {
				t.Errorf("%s: its envelope is not the one in %s", name, filepath.Base(dsseFile))
			}
		}
	}
	for _, k := range []string{"validation", "authorization"} {
		for _, result := range []string{"PASSED", "FAILED"} {
			if !slices.Contains(results[k], result) {
				t.Errorf("no %s receipt says %s: %v", k, result, results[k])
			}
		}
	}
}

// TestATamperedReceiptFailsVerification edits one byte of a written
// receipt's signed statement: it still parses, and no longer verifies,
// for receipt.Verify and for go-securesystemslib alike.
func TestATamperedReceiptFailsVerification(t *testing.T) {
	r := runWithReceipts(t)
	matches, err := filepath.Glob(filepath.Join(r.dir, "*-validation-*.receipt.json"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no validation receipt written: %v", err)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var env ssl.Envelope
	if err := json.Unmarshal(doc["dsseEnvelope"], &env); err != nil {
		t.Fatal(err)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(payload, []byte(`"PASSED"`))
	if i < 0 {
		t.Fatalf("the first validation's receipt does not say PASSED: %s", payload)
	}
	payload[i+1] ^= 0x01 // "PASSED" → "QASSED": one bit of one byte
	env.Payload = base64.StdEncoding.EncodeToString(payload)
	if doc["dsseEnvelope"], err = json.Marshal(env); err != nil {
		t.Fatal(err)
	}
	edited, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(matches[0], edited, 0o644); err != nil {
		t.Fatal(err)
	}

	b, err = os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	rc, err := receipt.ParseReceipt(b)
	if err != nil {
		t.Fatalf("the edited receipt no longer parses, so the test proves nothing about Verify: %v", err)
	}
	_, err = receipt.Verify(rc, r.keys, r.trust)
	if !errors.Is(err, receipt.ErrSignature) {
		t.Errorf("receipt.Verify of an edited statement: %v, want an error wrapping receipt.ErrSignature", err)
	}
	oracle, err := ssl.NewEnvelopeVerifier(sslVerifier{pub: r.service, id: r.keys.ServiceKeyID()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oracle.Verify(t.Context(), &env); err == nil {
		t.Error("go-securesystemslib accepts the edited envelope")
	}
}
