package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errAbort = errors.New("storetest: abort")

func runTransactions(t *testing.T, h Harness) {
	subtests(t, h, cases(txCases(), txHandleCases()))
}

// txCases are about what WithTx commits and rolls back.
func txCases() map[string]func(e *env) {
	return map[string]func(e *env){
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
			for _, after := range []bool{false, true} {
				ctx, cancel := context.WithCancel(e.ctx())
				err := e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
					if err := tx.CreateRiskModel(ctx, candidate("2.0"), "cab-admin"); err != nil {
						return err
					}
					cancel()
					if after { // an operation after the cancellation fails with it
						_, err := tx.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: "x"})
						return err
					}
					return nil
				})
				require.ErrorIs(e.t, err, context.Canceled)
				requireCode(e.t, err, trustgate.Canceled)
				_, err = e.s.RiskModel(e.ctx(), "2.0")
				require.ErrorIs(e.t, err, store.ErrNotFound)
				assert.Zero(e.t, e.auditSize())
			}
		},
		"ARolledBackTransactionRestoresApprovalActivationAndEveryRecord": func(e *env) {
			e.create(candidate("1.0"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "1.0", "admin"))
			e.create(unapproved("2.0"))
			before, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			cp := e.checkpoint()
			err = e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				require.NoError(e.t, tx.ApproveRiskModel(ctx, "2.0", e.signoff(unapproved("2.0"), "cab"), true))
				require.NoError(e.t, tx.ActivateRiskModel(ctx, "2.0", "cab"))
				require.NoError(e.t, tx.CreateRiskModel(ctx, candidate("3.0"), "admin"))
				require.NoError(e.t, tx.CreateClassDefinition(ctx, blastradius.Definitions()[2]))
				require.NoError(e.t, tx.InitMaturityState(ctx, maturity.State{Level: maturity.MatureLevel, Since: Epoch}))
				require.NoError(e.t, tx.SaveCheckpoint(ctx, cp))
				active, err := tx.ActiveRiskModel(ctx)
				require.NoError(e.t, err)
				assert.Equal(e.t, "2.0", active.Version, "a transaction reads its own writes")
				return errAbort
			})
			require.ErrorIs(e.t, err, errAbort)
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, "1.0", active.Version)
			v2, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.False(e.t, v2.Approval.Approved)
			assert.False(e.t, v2.Active)
			_, err = e.s.RiskModel(e.ctx(), "3.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.ClassDefinition(e.ctx(), blastradius.ProductivityTools)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.MaturityState(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.LatestCheckpoint(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			after, err := e.s.AuditHead(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, before, after)
		},
		"ARolledBackTransactionRestoresOutcomeRecords": func(e *env) {
			in := e.report(report("inc-1", incident.P2, "Zoom", Epoch.Add(-time.Hour)))
			ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.OptimizedLevel, Target: maturity.OptimizedLevel}
			err := e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.RecordDeployment(ctx, deployment("Zoom", blastradius.ProductivityTools, true, "12.5", Epoch.Add(-time.Hour)))
				require.NoError(e.t, err)
				_, err = tx.CreateIncident(ctx, report("inc-2", incident.P2, "Zoom", Epoch.Add(-time.Hour)))
				require.NoError(e.t, err)
				cause := "x"
				_, err = tx.UpdateIncident(ctx, in.ID, incident.Update{RootCause: &cause})
				require.NoError(e.t, err)
				require.NoError(e.t, tx.CreateEvaluation(ctx, ev))
				return errAbort
			})
			require.ErrorIs(e.t, err, errAbort)
			_, err = e.s.EarliestDeploymentAt(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			page, err := e.s.ListIncidents(e.ctx(), incident.Filter{})
			require.NoError(e.t, err)
			require.Len(e.t, page.Incidents, 1)
			assertSameIncident(e.t, in, page.Incidents[0])
			_, err = e.s.Evaluation(e.ctx(), ev.ID)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev), "the id is free again")
			e.report(report("inc-2", incident.P2, "Zoom", Epoch.Add(-time.Hour))) // so is the correlation id
			assert.Equal(e.t, int64(2), e.auditSize())
		},
		"AnOperationRefusedInsideWithTxWritesNothingAndTheTransactionGoesOn": func(e *env) {
			require.NoError(e.t, e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				// The actor passes the store's check but not the audit
				// event's: the model must not be stored without its event.
				err := tx.CreateRiskModel(ctx, candidate("1.0"), "bad\nactor")
				requireInvalid(e.t, err, "actor")
				_, err = tx.RiskModel(ctx, "1.0")
				require.ErrorIs(e.t, err, store.ErrNotFound)
				require.NoError(e.t, tx.CreateRiskModel(ctx, candidate("1.1"), "admin"))
				requireInvalid(e.t, tx.ActivateRiskModel(ctx, "1.1", "bad\x7factor"), "actor")
				_, err = tx.ActiveRiskModel(ctx)
				require.ErrorIs(e.t, err, store.ErrNotFound)
				require.ErrorIs(e.t, tx.CreateRiskModel(ctx, candidate("1.1"), "admin"), store.ErrConflict)
				return nil
			}))
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			require.Len(e.t, list, 1)
			assert.Equal(e.t, "1.1", list[0].Version)
			assert.False(e.t, list[0].Active)
			assert.Equal(e.t, int64(1), e.auditSize())
		},
		"WithTxCommitsRollsBackRepanicsAndCancelsAndTheStoreWorksOn": func(e *env) {
			ctx := e.ctx()
			var kept *store.Tx
			require.NoError(e.t, e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				kept = tx
				require.NoError(e.t, tx.CreateRiskModel(ctx, candidate("2.0"), "cab-admin"))
				require.NoError(e.t, tx.ActivateRiskModel(ctx, "2.0", "cab-admin"))
				v, err := tx.ActiveRiskModel(ctx)
				require.NoError(e.t, err)
				assert.Equal(e.t, "2.0", v.Version)
				return nil
			}))
			_, err := kept.RiskModel(ctx, "2.0")
			require.ErrorIs(e.t, err, store.ErrTxDone)
			require.ErrorIs(e.t, kept.CreateRiskModel(ctx, candidate("2.9"), "x"), store.ErrTxDone)
			assert.Equal(e.t, int64(2), e.auditSize())

			boom := errors.New("boom")
			err = e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				require.NoError(e.t, tx.CreateRiskModel(ctx, candidate("2.1"), "cab-admin"))
				return boom
			})
			require.ErrorIs(e.t, err, boom)
			require.PanicsWithValue(e.t, "kaboom", func() {
				_ = e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
					require.NoError(e.t, tx.CreateRiskModel(ctx, candidate("2.2"), "cab-admin"))
					panic("kaboom")
				})
			})
			for _, name := range []string{"2.1", "2.2"} {
				_, err := e.s.RiskModel(ctx, name)
				require.ErrorIs(e.t, err, store.ErrNotFound, name)
			}
			assert.Equal(e.t, int64(2), e.auditSize())

			cctx, cancel := context.WithCancel(ctx)
			err = e.s.WithTx(cctx, func(ctx context.Context, tx *store.Tx) error {
				require.NoError(e.t, tx.CreateRiskModel(ctx, candidate("2.3"), "cab-admin"))
				cancel()
				_, err := tx.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: "x"})
				return err
			})
			require.ErrorIs(e.t, err, context.Canceled)
			_, err = e.s.RiskModel(ctx, "2.3")
			require.ErrorIs(e.t, err, store.ErrNotFound, "a cancelled transaction is rolled back")

			// The store works on after all that.
			require.NoError(e.t, store.Seed(ctx, e.s, e.svc(), Epoch))
			require.NoError(e.t, store.Seed(ctx, e.s, e.svc(), Epoch))
			_, err = e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			active, err := e.s.ActiveRiskModel(ctx)
			require.NoError(e.t, err)
			assert.Equal(e.t, "2.0", active.Version, "the seed leaves the active model active")
		},
	}
}
