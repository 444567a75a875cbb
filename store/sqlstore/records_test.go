package sqlstore_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuditLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch.Add(789 * time.Nanosecond) })
		head, err := s.AuditHead(ctx)
		require.NoError(t, err)
		assert.Equal(t, security.Head{}, head)

		var appended []security.Event
		for i := range 5 {
			e, err := s.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: "tester",
				Subject: fmt.Sprintf("thing:%d", i), CorrelationID: "req-1",
				Data: json.RawMessage(fmt.Sprintf(`{"z": 1, "a": [%d, "é"]}`, i))})
			require.NoError(t, err)
			appended = append(appended, e)
		}
		assert.Equal(t, int64(5), appended[4].Seq)
		assert.Equal(t, epoch, appended[0].OccurredAt)
		list, err := s.ListAuditEvents(ctx, 0, 10)
		require.NoError(t, err)
		assert.Equal(t, appended, list, "events read back exactly as appended")
		list, err = s.ListAuditEvents(ctx, 3, 1)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, int64(4), list[0].Seq)
		head, err = s.AuditHead(ctx)
		require.NoError(t, err)
		assert.Equal(t, security.Head{Size: 5, Hash: appended[4].Hash}, head)

		for _, limit := range []int{0, -1, 10001} {
			_, err := s.ListAuditEvents(ctx, 0, limit)
			require.ErrorIs(t, err, store.ErrInvalid)
		}
		_, err = s.AppendAudit(ctx, security.EventInput{Type: "test.event"})
		var fe *trustgate.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, trustgate.Invalid, fe.Code)
		assert.Equal(t, "actor", fe.Field)
		assert.Equal(t, int64(5), auditSize(t, s))
	})
}

func TestAuditAppendsUnderContentionNeverFork(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		const writers, each = 16, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					_, err := s.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: fmt.Sprintf("w%d", w),
						Subject: fmt.Sprint(i)})
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		head, err := security.VerifyChain(ctx, s, security.VerifyOptions{})
		require.NoError(t, err)
		assert.Equal(t, int64(writers*each), head.Size)
	})
}

func TestCheckpoints(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		_, err := s.LatestCheckpoint(ctx)
		require.ErrorIs(t, err, store.ErrNotFound)

		pub, key, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		for range 3 {
			_, err := s.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: "tester"})
			require.NoError(t, err)
		}
		head, err := s.AuditHead(ctx)
		require.NoError(t, err)
		// Signed at a time with nanoseconds: the signature covers them.
		cp, err := security.SignCheckpoint(key, "k1", head, epoch.Add(987*time.Nanosecond))
		require.NoError(t, err)
		require.NoError(t, s.SaveCheckpoint(ctx, cp))
		require.NoError(t, s.SaveCheckpoint(ctx, cp), "saving the same checkpoint again is a no-op")
		other, err := security.SignCheckpoint(key, "k1", head, epoch.Add(time.Second))
		require.NoError(t, err)
		require.ErrorIs(t, s.SaveCheckpoint(ctx, other), store.ErrConflict)
		require.ErrorIs(t, s.SaveCheckpoint(ctx, security.Checkpoint{Size: -1}), store.ErrInvalid)
		older, err := security.SignCheckpoint(key, "k1", security.Head{Size: 1}, epoch.Add(time.Hour))
		require.NoError(t, err)
		require.NoError(t, s.SaveCheckpoint(ctx, older))

		got, err := s.LatestCheckpoint(ctx)
		require.NoError(t, err)
		assert.Equal(t, cp, got)
		_, err = security.VerifyChain(ctx, s, security.VerifyOptions{Checkpoint: &got, PublicKey: pub})
		require.NoError(t, err)
	})
}

func TestEvidenceKeepsEveryByte(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch })
		ev, err := security.NewEvidence(uuid.New(), "build-1",
			[]byte(`{"artifacts":[{"name":"a.msi","sha256":"`+fmt.Sprintf("%064x", 1)+`"}],"note":"Ünï ✓ \u0000"}`), time.Time{})
		require.NoError(t, err)
		got, err := s.CreateEvidence(ctx, ev, "ci")
		require.NoError(t, err)
		assert.Equal(t, epoch, got.CreatedAt, "the store clock stands in for an unset CreatedAt")
		stored, err := s.EvidenceByID(ctx, ev.ID)
		require.NoError(t, err)
		assert.Equal(t, got, stored)
		assert.True(t, stored.Intact())
		assert.JSONEq(t, fmt.Sprintf(`{"evidence_id":%q,"content_hash":%q}`, ev.ID, ev.ContentHash), string(lastEvent(t, s).Data))
	})
}

func TestWithTx(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		var kept store.Tx
		require.NoError(t, s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			kept = tx
			require.NoError(t, tx.CreateRiskModel(ctx, version("2.0"), "cab-admin"))
			require.NoError(t, tx.ActivateRiskModel(ctx, "2.0", "cab-admin"))
			v, err := tx.ActiveRiskModel(ctx)
			require.NoError(t, err)
			assert.Equal(t, "2.0", v.Version)
			return nil
		}))
		_, err := kept.RiskModel(ctx, "2.0")
		require.ErrorIs(t, err, store.ErrTxDone)
		require.ErrorIs(t, kept.CreateRiskModel(ctx, version("2.9"), "x"), store.ErrTxDone)
		assert.Equal(t, int64(2), auditSize(t, s))

		boom := errors.New("boom")
		err = s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			require.NoError(t, tx.CreateRiskModel(ctx, version("2.1"), "cab-admin"))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.PanicsWithValue(t, "kaboom", func() {
			_ = s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				require.NoError(t, tx.CreateRiskModel(ctx, version("2.2"), "cab-admin"))
				panic("kaboom")
			})
		})
		for _, name := range []string{"2.1", "2.2"} {
			_, err := s.RiskModel(ctx, name)
			require.ErrorIs(t, err, store.ErrNotFound, name)
		}
		assert.Equal(t, int64(2), auditSize(t, s))

		cctx, cancel := context.WithCancel(ctx)
		err = s.WithTx(cctx, func(ctx context.Context, tx store.Tx) error {
			require.NoError(t, tx.CreateRiskModel(ctx, version("2.3"), "cab-admin"))
			cancel()
			_, err := tx.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: "x"})
			return err
		})
		require.ErrorIs(t, err, context.Canceled)
		_, err = s.RiskModel(ctx, "2.3")
		require.ErrorIs(t, err, store.ErrNotFound, "a cancelled transaction is rolled back")

		// The store works on after all that.
		require.NoError(t, store.Seed(ctx, s, epoch))
		require.NoError(t, store.Seed(ctx, s, epoch))
		_, err = security.VerifyChain(ctx, s, security.VerifyOptions{})
		require.NoError(t, err)
	})
}

// The database itself refuses to change or delete audit events, versions,
// checkpoints and evidence, whoever asks.
func TestAppendOnlyIsEnforcedByTheDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		require.NoError(t, store.Seed(ctx, s, epoch))
		cp, err := security.SignCheckpoint(ed25519.NewKeyFromSeed(make([]byte, 32)), "k", security.Head{Size: 1}, epoch)
		require.NoError(t, err)
		require.NoError(t, s.SaveCheckpoint(ctx, cp))
		ev, err := security.NewEvidence(uuid.New(), "build-1",
			[]byte(`{"artifacts":[{"name":"a","sha256":"`+fmt.Sprintf("%064x", 1)+`"}]}`), epoch)
		require.NoError(t, err)
		_, err = s.CreateEvidence(ctx, ev, "ci")
		require.NoError(t, err)
		raw := b.raw(t, s)
		for _, stmt := range []string{
			`UPDATE audit_events SET actor = 'mallory' WHERE seq = 1`,
			`DELETE FROM audit_events WHERE seq = 1`,
			`INSERT INTO audit_events (seq, id, type, actor, subject, correlation_id, occurred_at, data, prev_hash, hash)
			 SELECT seq + 10, '0190a0a0-0000-7000-8000-000000000000', type, actor, subject, correlation_id, occurred_at,
			 data, prev_hash, hash FROM audit_events WHERE seq = 1`,
			`UPDATE risk_model_versions SET mode = 'OPTIMIZED'`,
			`UPDATE risk_model_versions SET approved_by = 'mallory'`,
			`DELETE FROM risk_model_versions`,
			`UPDATE risk_model_thresholds SET threshold = '99'`,
			`DELETE FROM risk_model_weights`,
			`UPDATE audit_checkpoints SET key_id = 'x'`,
			`DELETE FROM audit_checkpoints`,
			`UPDATE evidence_packages SET correlation_id = 'x'`,
			`DELETE FROM evidence_packages`,
		} {
			_, err := raw.ExecContext(ctx, stmt)
			assert.Error(t, err, stmt)
		}
		_, err = security.VerifyChain(ctx, s, security.VerifyOptions{})
		require.NoError(t, err)
	})
}

func TestErrorsAreNotDriverErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		raw := b.raw(t, s)
		// Break the schema behind the store's back: the error it then gets
		// from the driver must not cross the API.
		_, err := raw.ExecContext(ctx, `DROP TABLE class_definitions`)
		require.NoError(t, err)
		_, err = s.ListClassDefinitions(ctx)
		require.Error(t, err)
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			assert.Contains(t, fmt.Sprintf("%T", e), "errors.errorString", "wrapped %T", e)
		}
		assert.NotContains(t, fmt.Sprintf("%T", err), "pgconn")
		assert.NotContains(t, fmt.Sprintf("%T", err), "sqlite3")
	})
}
