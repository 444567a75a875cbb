package memstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	epoch    = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	errAbort = errors.New("abort")
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	return New(Options{Now: func() time.Time { return epoch }})
}

// model returns a valid, approved, inactive version.
func model(version string) riskmodel.Version {
	v := riskmodel.Seed(epoch)
	v.Version = version
	v.Active = false
	return v
}

func head(t *testing.T, s *Store) security.Head {
	t.Helper()
	h, err := s.AuditHead(t.Context())
	require.NoError(t, err)
	return h
}

// everyTxMethod calls every method of tx and returns their errors.
func everyTxMethod(ctx context.Context, tx store.Tx) []error {
	_, e1 := tx.RiskModel(ctx, "1.0")
	_, e2 := tx.ListRiskModels(ctx)
	_, e3 := tx.ActiveRiskModel(ctx)
	_, e4 := tx.ClassDefinition(ctx, blastradius.NonCritical)
	_, e5 := tx.ListClassDefinitions(ctx)
	_, e6 := tx.MaturityState(ctx)
	_, e7 := tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"})
	_, e8 := tx.ListAuditEvents(ctx, 0, 10)
	_, e9 := tx.AuditHead(ctx)
	_, e10 := tx.LatestCheckpoint(ctx)
	errs := []error{
		tx.CreateRiskModel(ctx, model("1.0"), "a"), e1, e2, e3,
		tx.ApproveRiskModel(ctx, "1.0", "a"), tx.ActivateRiskModel(ctx, "1.0", "a"),
		tx.CreateClassDefinition(ctx, blastradius.Definitions()[0]), e4, e5,
		e6, tx.InitMaturityState(ctx, maturity.State{Since: epoch}),
		e7, e8, e9, tx.SaveCheckpoint(ctx, security.Checkpoint{Size: 1, KeyID: "k"}), e10,
	}
	return append(errs, everyOutcomeMethod(ctx, tx)...)
}

// everyOutcomeMethod calls every deployment, incident and evaluation
// method of tx and returns their errors.
func everyOutcomeMethod(ctx context.Context, tx store.Tx) []error {
	id := uuid.New()
	_, e1 := tx.RecordDeployment(ctx, incident.Deployment{})
	_, e2 := tx.Deployment(ctx, id)
	_, e3 := tx.CreateIncident(ctx, incident.Incident{})
	_, e4 := tx.Incident(ctx, id)
	_, e5 := tx.ListIncidents(ctx, incident.Filter{})
	_, e6 := tx.UpdateIncident(ctx, id, incident.Update{})
	_, e7 := tx.IncidentCounts(ctx, epoch, epoch)
	_, e8 := tx.LatestIncidentAt(ctx, incident.Severities(), epoch)
	_, e9 := tx.EarliestDeploymentAt(ctx)
	_, e10 := tx.Evaluation(ctx, id)
	_, e11 := tx.ListEvaluations(ctx, 1)
	return []error{
		e1, e2, e3, e4, e5, e6, e7, e8, e9,
		tx.CreateEvaluation(ctx, maturity.Evaluation{ID: id}), e10, e11,
		tx.ApplyTransition(ctx, maturity.Transition{}),
	}
}

func TestEveryTxMethodReturnsErrTxDoneAfterTheTransaction(t *testing.T) {
	for name, result := range map[string]error{"commit": nil, "rollback": errAbort} {
		t.Run(name, func(t *testing.T) {
			s := newTestStore(t)
			var leaked store.Tx
			err := s.WithTx(t.Context(), func(_ context.Context, tx store.Tx) error {
				leaked = tx
				return result
			})
			require.ErrorIs(t, err, result)
			for i, err := range everyTxMethod(t.Context(), leaked) {
				require.ErrorIs(t, err, store.ErrTxDone, "method %d", i)
			}
			assert.Zero(t, head(t, s).Size)
		})
	}
}

func TestALeakedHandleUsedFromAnotherGoroutineIsRaceFree(t *testing.T) {
	s := newTestStore(t)
	handles := make(chan store.Tx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for tx := range handles {
			for range 10 {
				_, _ = tx.AppendAudit(t.Context(), security.EventInput{Type: "leak", Actor: "a"})
			}
		}
	}()
	for range 20 {
		require.NoError(t, s.WithTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
			handles <- tx
			_, err := tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"})
			return err
		}))
	}
	close(handles)
	wg.Wait()
	h, err := security.VerifyChain(t.Context(), s, security.VerifyOptions{})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, h.Size, int64(20))
}

func TestRollbackRestoresApprovalActivationAndEveryRecord(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	require.NoError(t, s.CreateRiskModel(ctx, model("1.0"), "admin"))
	require.NoError(t, s.ActivateRiskModel(ctx, "1.0", "admin"))
	unapproved := model("2.0")
	unapproved.Approval = riskmodel.Approval{}
	require.NoError(t, s.CreateRiskModel(ctx, unapproved, "admin"))
	before := head(t, s)

	err := s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		steps := []error{
			tx.ApproveRiskModel(ctx, "2.0", "cab"),
			tx.ActivateRiskModel(ctx, "2.0", "cab"),
			tx.CreateRiskModel(ctx, model("3.0"), "admin"),
			tx.CreateClassDefinition(ctx, blastradius.Definitions()[2]),
			tx.InitMaturityState(ctx, maturity.State{Level: maturity.MatureLevel, Since: epoch}),
			tx.SaveCheckpoint(ctx, security.Checkpoint{Size: 3, KeyID: "k"}),
		}
		for _, err := range steps {
			require.NoError(t, err)
		}
		active, err := tx.ActiveRiskModel(ctx)
		require.NoError(t, err)
		assert.Equal(t, "2.0", active.Version, "a transaction reads its own writes")
		return errAbort
	})
	require.ErrorIs(t, err, errAbort)

	active, err := s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1.0", active.Version)
	v2, err := s.RiskModel(ctx, "2.0")
	require.NoError(t, err)
	assert.False(t, v2.Approval.Approved)
	assert.False(t, v2.Active)
	_, err = s.RiskModel(ctx, "3.0")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ClassDefinition(ctx, blastradius.ProductivityTools)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.MaturityState(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.LatestCheckpoint(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.Equal(t, before, head(t, s))
}

func TestAFailedOperationInsideACommittedTxLeavesNoTrace(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	require.NoError(t, s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		// The actor passes the store's check but not the audit event's: the
		// model must not be stored without its event.
		err := tx.CreateRiskModel(ctx, model("1.0"), "bad\nactor")
		require.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err))
		require.Equal(t, "actor", trustgate.AsError(err).Field)
		_, err = tx.RiskModel(ctx, "1.0")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, tx.CreateRiskModel(ctx, model("1.1"), "admin"))
		err = tx.ActivateRiskModel(ctx, "1.1", "bad\x7factor")
		require.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err))
		require.Equal(t, "actor", trustgate.AsError(err).Field)
		_, err = tx.ActiveRiskModel(ctx)
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}))
	list, err := s.ListRiskModels(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "1.1", list[0].Version)
	assert.Equal(t, int64(1), head(t, s).Size)
}

func TestGoexitInsideFnRollsBackAndUnlocks(t *testing.T) {
	s := newTestStore(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, _ = tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"})
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	assert.Zero(t, head(t, s).Size)
	_, err := s.AppendAudit(t.Context(), security.EventInput{Type: "t", Actor: "a"})
	require.NoError(t, err)
}

func TestATxMethodHonoursItsOwnContext(t *testing.T) {
	s := newTestStore(t)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.WithTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		for i, err := range everyTxMethod(cancelled, tx) {
			require.ErrorIs(t, err, context.Canceled, "method %d", i)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Zero(t, head(t, s).Size)
	_, err = s.RiskModel(cancelled, "1.0")
	require.ErrorIs(t, err, context.Canceled)
}

func TestAnExpiredDeadlineRollsBack(t *testing.T) {
	s := newTestStore(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"}); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, head(t, s).Size)
}

func TestConcurrentReadersAndWritersKeepOneActiveModel(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	const n = 16
	for i := range n {
		require.NoError(t, s.CreateRiskModel(ctx, model(fmt.Sprintf("m%d", i)), "admin"))
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 5 {
				assert.NoError(t, s.ActivateRiskModel(ctx, fmt.Sprintf("m%d", (i+1)%n), "cab"))
				assert.NoError(t, s.ActivateRiskModel(ctx, fmt.Sprintf("m%d", i), "cab"))
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				list, err := s.ListRiskModels(ctx)
				assert.NoError(t, err)
				active := 0
				for _, v := range list {
					if v.Active {
						active++
					}
				}
				assert.LessOrEqual(t, active, 1)
				_, err = s.ListAuditEvents(ctx, 0, 100)
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	_, err := security.VerifyChain(ctx, s, security.VerifyOptions{PageSize: 7})
	require.NoError(t, err)
}
