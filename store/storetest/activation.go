package storetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// activeCount returns how many of the listed versions are active.
func (e *env) activeCount() int {
	e.t.Helper()
	list, err := e.s.ListRiskModels(e.ctx())
	require.NoError(e.t, err)
	n := 0
	for _, v := range list {
		if v.Active {
			n++
		}
	}
	return n
}

// activationCases are the approval and activation of versions: the
// governance steps that decide which model scores deployments.
func activationCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"ActiveRiskModelReturnsErrNotFoundWhenNoneIsActive": func(e *env) {
			e.create(candidate("2.0"))
			_, err := e.s.ActiveRiskModel(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ActivateRiskModelRequiresCABApproval": func(e *env) {
			e.create(unapproved("2.0"))
			before := e.auditSize()
			err := e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin")
			require.ErrorIs(e.t, err, riskmodel.ErrNotApproved)
			requireCode(e.t, err, trustgate.Conflict)
			te := trustgate.AsError(err)
			assert.Equal(e.t, "MODEL_NOT_APPROVED", te.Reason)
			assert.Equal(e.t, "active", te.Field)
			_, err = e.s.ActiveRiskModel(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Equal(e.t, before, e.auditSize())
		},
		"ActivateRiskModelReturnsErrNotFoundForAnUnknownVersion": func(e *env) {
			require.ErrorIs(e.t, e.s.ActivateRiskModel(e.ctx(), "9.9", "cab-admin"), store.ErrNotFound)
		},
		"ActivateRiskModelSwitchesTheActiveVersionAndAudits": func(e *env) {
			e.create(candidate("2.0"))
			e.create(candidate("2.1"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.1", "cab-bob"))
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, "2.1", active.Version)
			assert.True(e.t, active.Active)
			old, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.False(e.t, old.Active)
			ev := e.lastEvent()
			assert.Equal(e.t, security.EventRiskModelActivated, ev.Type)
			assert.Equal(e.t, "cab-bob", ev.Actor)
			assert.JSONEq(e.t, `{"version":"2.1","previous":"2.0"}`, string(ev.Data))
		},
		"TheFirstActivationNamesNoPreviousVersion": func(e *env) {
			e.create(candidate("1.0"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "1.0", "cab"))
			evs, err := e.s.ListAuditEvents(e.ctx(), 1, 10)
			require.NoError(e.t, err)
			require.Len(e.t, evs, 1)
			assert.Equal(e.t, security.EventRiskModelActivated, evs[0].Type)
			assert.Equal(e.t, "riskmodel:1.0", evs[0].Subject)
			assert.Equal(e.t, "cab", evs[0].Actor)
			assert.JSONEq(e.t, `{"version":"1.0","previous":""}`, string(evs[0].Data))
		},
		"ActivatingTheActiveVersionAgainChangesNothing": func(e *env) {
			e.create(candidate("2.0"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			before := e.auditSize()
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			assert.Equal(e.t, before, e.auditSize())
		},
		"ApproveRiskModelRecordsTheApproverAndTheStoreTime": func(e *env) {
			e.create(unapproved("2.0"))
			e.clock.Advance(30 * time.Minute)
			require.NoError(e.t, e.approveModel("2.0", "cab-bob", false))
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.False(e.t, got.Approval.Approved, "a signoff short of the quorum approves nothing")
			require.Len(e.t, got.Signoffs, 1)
			assert.JSONEq(e.t, `{"version":"2.0","quorum_reached":false}`, string(e.lastEvent().Data))
			require.ErrorIs(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-carol"), riskmodel.ErrNotApproved)

			e.clock.Advance(time.Hour)
			require.NoError(e.t, e.approveModel("2.0", "cab-carol", true))
			got, err = e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.True(e.t, got.Approval.Approved)
			assert.Equal(e.t, "cab-carol", got.Approval.By)
			assert.True(e.t, got.Approval.At.Equal(e.at(Epoch.Add(90*time.Minute))))
			require.Len(e.t, got.Signoffs, 2)
			assert.Equal(e.t, []string{"cab-bob", "cab-carol"}, []string{got.Signoffs[0].By, got.Signoffs[1].By})
			assert.Equal(e.t, e.at(Epoch.Add(30*time.Minute)), got.Signoffs[0].At, "each signoff at the store's time")
			assert.Equal(e.t, e.at(Epoch.Add(90*time.Minute)), got.Signoffs[1].At)
			assert.Equal(e.t, security.EventRiskModelApproved, e.lastEvent().Type)
			assert.Equal(e.t, "cab-carol", e.lastEvent().Actor)
			assert.JSONEq(e.t, `{"version":"2.0","quorum_reached":true}`, string(e.lastEvent().Data))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-carol"))
		},
		"ApproveRiskModelReturnsErrConflictWhenAlreadyApproved": func(e *env) {
			e.create(candidate("2.0"))
			require.ErrorIs(e.t, e.approveModel("2.0", "cab-carol", true), store.ErrConflict)
			require.ErrorIs(e.t, e.approveModel("2.0", "cab-carol", false), store.ErrConflict, "not even a signoff short of it")
		},
		"ApproveRiskModelReturnsErrNotFoundForAnUnknownVersion": func(e *env) {
			require.ErrorIs(e.t, e.approveModel("9.9", "cab-carol", true), store.ErrNotFound)
		},
		"ApproveRiskModelRequiresAnApprover": func(e *env) {
			e.create(unapproved("2.0"))
			s := e.signoff(candidate("2.0"), "cab-carol")
			s.By = ""
			requireInvalid(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", s, true), "approver")
		},
		"ActivateAndApproveRequireAnActorAndWriteNothingWithout": func(e *env) {
			e.create(candidate("1.0"))
			requireInvalid(e.t, e.s.ActivateRiskModel(e.ctx(), "1.0", " "), "actor")
			s := e.signoff(candidate("1.0"), "cab-carol")
			s.By = "\t"
			requireInvalid(e.t, e.s.ApproveRiskModel(e.ctx(), "1.0", s, true), "approver")
			assert.Equal(e.t, int64(1), e.auditSize())
			_, err := e.s.ActiveRiskModel(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ApproveAndActivateFollowTheirRulesAndAudit": func(e *env) {
			e.create(unapproved("2.0"))
			e.create(candidate("2.1"))

			err := e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin")
			require.ErrorIs(e.t, err, riskmodel.ErrNotApproved)
			assert.Equal(e.t, "active", trustgate.AsError(err).Field)
			require.ErrorIs(e.t, e.s.ActivateRiskModel(e.ctx(), "9.9", "cab-admin"), store.ErrNotFound)
			requireInvalid(e.t, e.s.ActivateRiskModel(e.ctx(), "2.1", " "), "actor")
			require.ErrorIs(e.t, e.approveModel("9.9", "cab-carol", true), store.ErrNotFound)
			blank := e.signoff(candidate("2.0"), "cab-carol")
			blank.By = ""
			requireInvalid(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", blank, true), "approver")
			require.ErrorIs(e.t, e.approveModel("2.1", "cab-carol", true), store.ErrConflict)
			_, err = e.s.ActiveRiskModel(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)

			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.1", "cab-bob"))
			assert.JSONEq(e.t, `{"version":"2.1","previous":""}`, string(e.lastEvent().Data),
				"no previous version: an empty string")

			e.clock.Advance(90 * time.Minute)
			require.NoError(e.t, e.approveModel("2.0", "cab-alice", false))
			require.NoError(e.t, e.approveModel("2.0", "cab-carol", true))
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, riskmodel.Approval{Approved: true, By: "cab-carol", At: e.at(Epoch.Add(90 * time.Minute))}, got.Approval)
			assert.JSONEq(e.t, `{"version":"2.0","quorum_reached":true}`, string(e.lastEvent().Data))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-bob"))
			ev := e.lastEvent()
			assert.Equal(e.t, security.EventRiskModelActivated, ev.Type)
			assert.JSONEq(e.t, `{"version":"2.0","previous":"2.1"}`, string(ev.Data))

			before := e.auditSize()
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-bob"))
			assert.Equal(e.t, before, e.auditSize(), "activating the active version again writes nothing")

			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, "2.0", active.Version)
			assert.True(e.t, active.Active)
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			require.Len(e.t, list, 2)
			assert.False(e.t, list[1].Active)
		},
		"ExactlyOneVersionIsActiveAfter32ConcurrentActivations": func(e *env) {
			const n = 32
			for i := range n {
				e.create(candidate(fmt.Sprintf("c%d", i)))
			}
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() { errs <- e.s.ActivateRiskModel(e.ctx(), fmt.Sprintf("c%d", i), "cab-admin") })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(e.t, err)
			}
			assert.Equal(e.t, 1, e.activeCount(), "exactly one active version")
			_, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			for _, page := range []int{0, 7} {
				head, err := e.verify(security.VerifyOptions{PageSize: page})
				require.NoError(e.t, err)
				assert.Equal(e.t, int64(2*n), head.Size, "one created and one activated event per version")
			}
		},
		"ConcurrentReadersAndWritersSeeAtMostOneActiveVersion": func(e *env) {
			const n = 16
			for i := range n {
				e.create(candidate(fmt.Sprintf("m%d", i)))
			}
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					for range 5 {
						assert.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), fmt.Sprintf("m%d", (i+1)%n), "cab"))
						assert.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), fmt.Sprintf("m%d", i), "cab"))
					}
				})
				wg.Go(func() {
					for range 20 {
						list, err := e.s.ListRiskModels(e.ctx())
						assert.NoError(e.t, err)
						active := 0
						for _, v := range list {
							if v.Active {
								active++
							}
						}
						assert.LessOrEqual(e.t, active, 1, "a reader never sees two active versions")
						_, err = e.s.ListAuditEvents(e.ctx(), 0, 100)
						assert.NoError(e.t, err)
					}
				})
			}
			wg.Wait()
			assert.Equal(e.t, 1, e.activeCount())
			_, err := e.verify(security.VerifyOptions{PageSize: 7})
			require.NoError(e.t, err)
		},
	}
}
