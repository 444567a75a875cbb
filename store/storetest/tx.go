package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errAbort = errors.New("storetest: abort")

func runTransactions(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"WithTxCommitsEveryWriteTogether": func(e *env) {
			err := e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				if err := tx.CreateRiskModel(ctx, candidate("2.0"), "cab-admin"); err != nil {
					return err
				}
				if err := tx.ActivateRiskModel(ctx, "2.0", "cab-admin"); err != nil {
					return err
				}
				// Reads inside the transaction see its own writes.
				v, err := tx.ActiveRiskModel(ctx)
				if err != nil {
					return err
				}
				assert.Equal(e.t, "2.0", v.Version)
				return tx.CreateClassDefinition(ctx, blastradius.Definitions()[0])
			})
			require.NoError(e.t, err)
			v, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, "2.0", v.Version)
			_, err = e.s.ClassDefinition(e.ctx(), blastradius.CriticalInfrastructure)
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(2), e.auditSize())
		},
		"WithTxRollsBackEveryWriteWhenFnFails": func(e *env) {
			e.appendN(2)
			before, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			err = e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				if err := tx.CreateRiskModel(ctx, candidate("2.0"), "cab-admin"); err != nil {
					return err
				}
				if err := tx.ActivateRiskModel(ctx, "2.0", "cab-admin"); err != nil {
					return err
				}
				if err := tx.CreateClassDefinition(ctx, blastradius.Definitions()[1]); err != nil {
					return err
				}
				if _, err := tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"}); err != nil {
					return err
				}
				return errAbort
			})
			require.ErrorIs(e.t, err, errAbort)
			_, err = e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.ClassDefinition(e.ctx(), blastradius.BusinessCritical)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			after, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, before, after, "no audit event of a rolled-back transaction survives")
			// The chain continues cleanly from where it was.
			e.appendN(1)
			head, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(3), head.Size)
		},
		"WithTxRollsBackAndRepanicsWhenFnPanics": func(e *env) {
			func() {
				defer func() {
					assert.Equal(e.t, "boom", recover(), "the caller's panic comes back to the caller")
				}()
				_ = e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
					if err := tx.CreateRiskModel(ctx, candidate("2.0"), "cab-admin"); err != nil {
						return err
					}
					panic("boom")
				})
			}()
			_, err := e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			// The store is still usable.
			e.create(candidate("2.1"))
		},
		"ATxHandleReturnsErrTxDoneAfterTheTransaction": func(e *env) {
			var leaked *store.Tx
			require.NoError(e.t, e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				leaked = tx
				return nil
			}))
			_, err := leaked.AuditHead(e.ctx())
			require.ErrorIs(e.t, err, store.ErrTxDone)
			require.ErrorIs(e.t, leaked.CreateRiskModel(e.ctx(), candidate("2.0"), "x"), store.ErrTxDone)
			_, err = leaked.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "a"})
			require.ErrorIs(e.t, err, store.ErrTxDone)
			_, err = e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"WithTxOnACancelledContextWritesNothing": func(e *env) {
			ctx, cancel := context.WithCancel(e.ctx())
			cancel()
			err := e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				return tx.CreateRiskModel(ctx, candidate("2.0"), "cab-admin")
			})
			require.ErrorIs(e.t, err, context.Canceled)
			_, err = e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"AContextCancelledDuringTheTransactionRollsItBack": func(e *env) {
			ctx, cancel := context.WithCancel(e.ctx())
			err := e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				if err := tx.CreateRiskModel(ctx, candidate("2.0"), "cab-admin"); err != nil {
					return err
				}
				cancel()
				return nil
			})
			require.Error(e.t, err)
			_, err = e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Zero(e.t, e.auditSize())
		},
	})
}
