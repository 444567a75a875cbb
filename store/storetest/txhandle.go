package storetest

import (
	"context"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// everyTxMethod calls every method of tx, each with input it accepts, and
// returns their errors by method name: what is left to fail them is the
// transaction or the context.
func (e *env) everyTxMethod(ctx context.Context, tx *store.Tx) map[string]error {
	id := uuid.New()
	errs := map[string]error{}
	note := func(name string, err error) { errs[name] = err }
	ret := func(name string) func(any, error) { return func(_ any, err error) { note(name, err) } }
	ret("AppendAudit")(tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"}))
	ret("ListAuditEvents")(tx.ListAuditEvents(ctx, 0, 10))
	ret("AuditHead")(tx.AuditHead(ctx))
	ret("ListSubjectEvents")(tx.ListSubjectEvents(ctx, "subject", 0, 10))
	ret("LatestEvent")(tx.LatestEvent(ctx, "subject"))
	note("SaveCheckpoint", tx.SaveCheckpoint(ctx, emptyCheckpoint()))
	ret("LatestCheckpoint")(tx.LatestCheckpoint(ctx))
	ret("ProveEvent")(tx.ProveEvent(ctx, 1, emptyCheckpoint()))
	ret("ProveConsistency")(tx.ProveConsistency(ctx, emptyCheckpoint(), emptyCheckpoint()))
	note("CreateClassDefinition", tx.CreateClassDefinition(ctx, blastradius.Definitions()[0]))
	ret("ClassDefinition")(tx.ClassDefinition(ctx, blastradius.NonCritical))
	ret("ListClassDefinitions")(tx.ListClassDefinitions(ctx))
	ret("IncidentCounts")(tx.IncidentCounts(ctx, Epoch.Add(-time.Hour), Epoch))
	ret("RecountIncidents")(tx.RecountIncidents(ctx, Epoch.Add(-time.Hour), Epoch))
	ret("RecordDeployment")(tx.RecordDeployment(ctx, deployment("Zoom", blastradius.NonCritical, false, "1", Epoch.Add(-time.Hour))))
	ret("Deployment")(tx.Deployment(ctx, id))
	ret("EarliestDeploymentAt")(tx.EarliestDeploymentAt(ctx))
	note("CreateEvaluation", tx.CreateEvaluation(ctx, readyEvaluation(Epoch)))
	ret("Evaluation")(tx.Evaluation(ctx, id))
	ret("AddEvaluationApproval")(tx.AddEvaluationApproval(ctx, id, maturity.Approval{By: "a", Envelope: e.seal([]byte("{}"))}))
	ret("ListEvaluations")(tx.ListEvaluations(ctx, 1))
	ret("CreateEvidence")(tx.CreateEvidence(ctx, e.newEvidence("build-tx", evidenceData(1)), "ci"))
	ret("EvidenceByID")(tx.EvidenceByID(ctx, id))
	ret("EvidenceByCorrelationID")(tx.EvidenceByCorrelationID(ctx, "build-tx"))
	ret("CreateIncident")(tx.CreateIncident(ctx, report("inc-tx", incident.P3, "Zoom", Epoch.Add(-time.Hour))))
	ret("Incident")(tx.Incident(ctx, id))
	ret("ListIncidents")(tx.ListIncidents(ctx, incident.Filter{}))
	ret("UpdateIncident")(tx.UpdateIncident(ctx, id, incident.Update{}))
	ret("LatestIncidentAt")(tx.LatestIncidentAt(ctx, incident.Severities(), Epoch))
	ret("MaturityState")(tx.MaturityState(ctx))
	note("InitMaturityState", tx.InitMaturityState(ctx, maturity.State{Since: Epoch}))
	ret("CreateRequest")(tx.CreateRequest(ctx, e.seedRequest("chg-tx")))
	ret("Request")(tx.Request(ctx, id))
	ret("RequestByCorrelationID")(tx.RequestByCorrelationID(ctx, "chg-tx"))
	ret("UpdateRequest")(tx.UpdateRequest(ctx, id, keep))
	ret("ListRequests")(tx.ListRequests(ctx, cab.RequestFilter{To: Epoch, Limit: 1}))
	note("CreateRiskModel", tx.CreateRiskModel(ctx, candidate("1.0"), "a"))
	ret("RiskModel")(tx.RiskModel(ctx, "1.0"))
	ret("ListRiskModels")(tx.ListRiskModels(ctx))
	ret("ActiveRiskModel")(tx.ActiveRiskModel(ctx))
	note("ApproveRiskModel", tx.ApproveRiskModel(ctx, "1.0", e.signoff(candidate("1.0"), "a"), true))
	note("ActivateRiskModel", tx.ActivateRiskModel(ctx, "1.0", "a"))
	note("ApplyTransition", tx.ApplyTransition(ctx, maturity.Transition{Kind: maturity.Progression,
		Evaluation: maturity.Evaluation{ID: id}, From: maturity.Baseline, To: maturity.CautiousLevel, Actor: "a"}))
	return errs
}

// requireEveryMethod asserts that errs has an error for every method of
// store.Tx, each matching target.
func (e *env) requireEveryMethod(errs map[string]error, target error) {
	e.t.Helper()
	tt := reflect.TypeFor[*store.Tx]()
	var methods []string
	for i := range tt.NumMethod() {
		methods = append(methods, tt.Method(i).Name)
	}
	require.Equal(e.t, methods, slices.Sorted(maps.Keys(errs)), "everyTxMethod calls every method of store.Tx")
	for _, name := range methods {
		require.ErrorIs(e.t, errs[name], target, name)
	}
}

// txHandleCases are about the handle WithTx gives its function: what it
// does after the transaction, from another goroutine, with its own
// context, and how the function may end.
func txHandleCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"EveryTxMethodReturnsErrTxDoneAfterCommitOrRollback": func(e *env) {
			for _, result := range []error{nil, errAbort} {
				var leaked *store.Tx
				err := e.s.WithTx(e.ctx(), func(_ context.Context, tx *store.Tx) error {
					leaked = tx
					return result
				})
				if result == nil {
					require.NoError(e.t, err)
				} else {
					require.ErrorIs(e.t, err, result)
				}
				e.requireEveryMethod(e.everyTxMethod(e.ctx(), leaked), store.ErrTxDone)
			}
			assert.Zero(e.t, e.auditSize())
		},
		"ALeakedTxHandleUsedFromAnotherGoroutineIsRaceFree": func(e *env) {
			handles := make(chan *store.Tx)
			var wg sync.WaitGroup
			wg.Go(func() {
				for tx := range handles {
					for range 10 {
						_, _ = tx.AppendAudit(e.ctx(), security.EventInput{Type: "leak", Actor: "a"})
					}
				}
			})
			for range 20 {
				require.NoError(e.t, e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
					handles <- tx
					_, err := tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"})
					return err
				}))
			}
			close(handles)
			wg.Wait()
			head, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.GreaterOrEqual(e.t, head.Size, int64(20))
		},
		"ATxMethodHonoursItsOwnContext": func(e *env) {
			cancelled, cancel := context.WithCancel(e.ctx())
			cancel()
			err := e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				e.requireEveryMethod(e.everyTxMethod(cancelled, tx), context.Canceled)
				return nil
			})
			require.NoError(e.t, err, "a cancelled operation does not doom the transaction")
			assert.Zero(e.t, e.auditSize())
			_, err = e.s.RiskModel(cancelled, "1.0")
			require.ErrorIs(e.t, err, context.Canceled)
		},
		"AnExpiredDeadlineRollsBack": func(e *env) {
			ctx, cancel := context.WithTimeout(e.ctx(), 20*time.Millisecond)
			defer cancel()
			err := e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				if _, err := tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"}); err != nil {
					return err
				}
				<-ctx.Done()
				return nil
			})
			require.ErrorIs(e.t, err, context.DeadlineExceeded)
			assert.Zero(e.t, e.auditSize())
		},
		"GoexitInsideFnRollsBackAndReleasesTheWriter": func(e *env) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
					_, _ = tx.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"})
					runtime.Goexit()
					return nil
				})
			}()
			<-done
			assert.Zero(e.t, e.auditSize())
			_, err := e.s.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "a"})
			require.NoError(e.t, err, "the next writer is not blocked")
		},
	}
}

// emptyCheckpoint is a checkpoint note of the empty test log, whose
// signature nothing here checks.
func emptyCheckpoint() []byte {
	return []byte("trustgate.test/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u2014 trustgate.test/audit AAAAAAAAAAA=\n")
}
