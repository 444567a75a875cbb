package receiptdir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/buildworksai/trustgate/examples/internal/receiptdir"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileNameKeepsLettersDigitsAndDots(t *testing.T) {
	for in, want := range map[string]string{
		"SAP GUI 8.0 patch 7":       "sap-gui-8.0-patch-7",
		"Notepad++":                 "notepad",
		"  --Zoom__Workplace 6.3--": "zoom-workplace-6.3",
		"../../etc/passwd":          "etc-passwd",
		"":                          "unnamed",
		"日本語":                       "unnamed",
	} {
		assert.Equal(t, want, receiptdir.FileName(in), "FileName(%q)", in)
	}
}

type proverFunc func(ctx context.Context, seq int64, checkpoint []byte) (auditlog.InclusionProof, error)

func (f proverFunc) ProveEvent(ctx context.Context, seq int64, checkpoint []byte) (auditlog.InclusionProof, error) {
	return f(ctx, seq, checkpoint)
}

func TestWriteWritesNothingUnlessEveryReceiptVerifies(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "receipts")
	pending := []receiptdir.Pending{{Kind: receiptdir.KindValidation, Name: "app", Envelope: dsse.Envelope{PayloadType: "x"}, Seq: 1}}
	t.Run("a proof that cannot be made", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := receiptdir.Write(t.Context(), proverFunc(func(context.Context, int64, []byte) (auditlog.InclusionProof, error) {
			return auditlog.InclusionProof{}, boom
		}), dir, pending, nil, nil, auditlog.Trust{})
		require.ErrorIs(t, err, boom)
		assert.Contains(t, err.Error(), "receipt of validation app: proving event 1")
	})
	t.Run("a receipt that does not verify", func(t *testing.T) {
		_, err := receiptdir.Write(t.Context(), proverFunc(func(context.Context, int64, []byte) (auditlog.InclusionProof, error) {
			return auditlog.InclusionProof{Index: 0}, nil
		}), dir, pending, nil, nil, auditlog.Trust{})
		require.Error(t, err)
	})
	_, err := os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "the directory was made")
}
