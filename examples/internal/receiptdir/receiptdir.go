// Package receiptdir writes trustgate receipts into a directory, the
// layout the quickstart's -receipts and trustgate export -receipts share.
// Each receipt (package receipt: a DSSE envelope signed by the service key
// and the inclusion proof of the audit event that recorded the verdict)
// makes two files:
//
//	NN-<kind>-<name>.dsse.json     the bare DSSE envelope, what cosign and in-toto tools read
//	NN-<kind>-<name>.receipt.json  the envelope and the proof (receipt.ParseReceipt reads it)
//
// NN counts the receipts in the order given, from 01; kind is
// "validation" or "authorization"; name is the application's, made a
// file name's part by [FileName].
//
// [Write] makes every receipt, proves it and checks it as a reader would
// (receipt.Verify) before it writes any file: a receipt that cannot be
// made or does not verify leaves the directory as it was.
package receiptdir

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/security/receipt"
)

// The kinds of receipt.
const (
	KindValidation    = "validation"
	KindAuthorization = "authorization"
)

// Pending is a signed statement waiting for a checkpoint to prove its
// audit event against.
type Pending struct {
	Kind     string        // KindValidation or KindAuthorization
	Name     string        // the application's name
	Envelope dsse.Envelope // receipt.Validation's or receipt.Authorization's
	Seq      int64         // the audit event it records
}

// Prover proves an audit event against a checkpoint note: a store's
// ProveEvent.
type Prover interface {
	ProveEvent(ctx context.Context, seq int64, checkpoint []byte) (auditlog.InclusionProof, error)
}

// Summary is what [Write] wrote.
type Summary struct {
	Receipts int      // how many receipts, two files each
	Passed   int      // of them, how many say PASSED
	Files    []string // the files written, in order, relative to the directory
}

// Write proves each pending receipt's event against checkpoint with p,
// checks the receipt with receipt.Verify under keys and trust, and then
// writes the two files of each into dir, which it makes if it is missing.
// Nothing is written unless every receipt verifies. Existing files of the
// same names are replaced.
func Write(ctx context.Context, p Prover, dir string, pending []Pending, checkpoint []byte, keys *attest.Keyring, trust auditlog.Trust) (Summary, error) {
	type file struct {
		name string
		data []byte
	}
	var sum Summary
	files := make([]file, 0, 2*len(pending))
	for i, r := range pending {
		proof, err := p.ProveEvent(ctx, r.Seq, checkpoint)
		if err != nil {
			return Summary{}, fmt.Errorf("receipt of %s %s: proving event %d: %w", r.Kind, r.Name, r.Seq, err)
		}
		rc := receipt.Receipt{Envelope: r.Envelope, Proof: proof}
		s, err := receipt.Verify(rc, keys, trust)
		if err != nil {
			return Summary{}, fmt.Errorf("receipt of %s %s: %w", r.Kind, r.Name, err)
		}
		if s.Passed() {
			sum.Passed++
		}
		env, err := r.Envelope.Marshal()
		if err != nil {
			return Summary{}, err
		}
		full, err := json.Marshal(rc)
		if err != nil {
			return Summary{}, err
		}
		base := fmt.Sprintf("%02d-%s-%s", i+1, r.Kind, FileName(r.Name))
		files = append(files, file{base + ".dsse.json", append(env, '\n')}, file{base + ".receipt.json", append(full, '\n')})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return Summary{}, err
		}
		sum.Files = append(sum.Files, f.name)
	}
	sum.Receipts = len(pending)
	return sum, nil
}

// FileName turns a name into a file name's part: lower case letters,
// digits and dots, every other run of characters one hyphen, without
// leading or trailing hyphens and dots; "unnamed" when nothing is left.
func FileName(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' {
			b.WriteRune(r)
			hyphen = false
			continue
		}
		if !hyphen && b.Len() > 0 {
			b.WriteByte('-')
			hyphen = true
		}
	}
	s := strings.Trim(b.String(), "-.")
	if s == "" {
		return "unnamed"
	}
	return s
}
