package receipt_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/security/receipt/internal/receipttest"
)

// FuzzParseReceipt: ParseReceipt never panics, and what it accepts writes
// back to a form it reads as the same receipt, which writes the same.
func FuzzParseReceipt(f *testing.F) {
	fx := newFixture(f)
	for _, rep := range []bool{true, false} {
		r := receipttest.PassedReport()
		if !rep {
			r = receipttest.FailedReport()
		}
		b, err := json.Marshal(fx.validation(f, r))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"mediaType":"` + receipt.MediaType + `","dsseEnvelope":{},"inclusionProof":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := receipt.ParseReceipt(data)
		if err != nil {
			return
		}
		out, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("a parsed receipt does not marshal: %v", err)
		}
		back, err := receipt.ParseReceipt(out)
		if err != nil {
			t.Fatalf("a marshalled receipt does not parse: %v\n%s", err, out)
		}
		again, err := back.MarshalJSON()
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("a receipt marshals two ways:\n%s\n%s", out, again)
		}
	})
}
