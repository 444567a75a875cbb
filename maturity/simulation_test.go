package maturity_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// fleet is a simulated installation: 100 deployments a week, as the design
// reports plan, and the incidents each week brings.
type fleet struct {
	start     time.Time
	incidents map[int][]incident.Severity // by week, 1-based
}

func (f fleet) weekStart(w int) time.Time { return f.start.Add(time.Duration(w-1) * maturity.Week) }

// counts aggregates the simulated records over [from, to) as a store would.
func (f fleet) counts(from, to time.Time) incident.Counts {
	c := incident.Counts{From: from, To: to, BySeverity: map[incident.Severity]int64{}}
	for w := 1; w <= 60; w++ {
		for i := range 100 { // deployments spread through the week
			at := f.weekStart(w).Add(time.Duration(i) * maturity.Week / 100)
			if !at.Before(from) && at.Before(to) {
				c.Deployments++
			}
		}
		for i, s := range f.incidents[w] {
			at := f.weekStart(w).Add(time.Duration(i+1) * 24 * time.Hour) // mid-week
			if !at.Before(from) && at.Before(to) {
				c.Incidents++
				c.BySeverity[s]++
			}
		}
	}
	return c
}

// cleanWeeks is the whole weeks before now without a P1 or P2, counted from
// the first deployment when there was none.
func (f fleet) cleanWeeks(now time.Time) int {
	last := f.start
	for w, ss := range f.incidents {
		for i, s := range ss {
			at := f.weekStart(w).Add(time.Duration(i+1) * 24 * time.Hour)
			if (s == incident.P1 || s == incident.P2) && at.Before(now) && at.After(last) {
				last = at
			}
		}
	}
	return int(now.Sub(last) / maturity.Week)
}

func TestASimulatedFleetEarnsAutomationLevelByLevelAndLosesItOnAP1(t *testing.T) {
	f := fleet{start: epoch, incidents: map[int][]incident.Severity{
		1: {incident.P4, incident.P3}, 3: {incident.P4, incident.P4}, // 1% at level 0: within level 1's 2%
		5: {incident.P3}, 6: {incident.P2}, 7: {incident.P4}, // 0.75% and one P2: within level 2's limits
		10: {incident.P4}, // 0.25%: within level 3's 0.5%
		// weeks 13-16 clean: 0% and 10 weeks since the P2 → level 4
		20: {incident.P1}, // the spike
	}}
	levels := maturity.Levels()
	state := maturity.State{Level: maturity.Baseline, Since: f.start}
	model := riskmodel.Seed(f.start)
	policy := maturity.Policy{}

	// want[w] is the level in force after the evaluation at the end of week w.
	want := map[int]maturity.Level{
		1: 0, 3: 0, 4: 1, 5: 1, 7: 1, 8: 2, 11: 2, 12: 3, 15: 3, 16: 4, 19: 4,
		20: 3,        // a P1 at level 4: stepped down at once, no approval needed
		21: 3,        // the P1 was before level 3 was entered: no further step down
		24: 3,        // four weeks at level 3, but only 4 clean weeks of the 8 needed
		27: 3, 28: 4, // 8 clean weeks: back to level 4
		30: 4,
	}
	var trajectory []string
	for w := 1; w <= 30; w++ {
		now := f.weekStart(w + 1)
		from, to := policy.Period(now)
		entry := from
		if state.Since.After(entry) {
			entry = state.Since
		}
		e := maturity.Evaluate(levels, policy, maturity.Inputs{
			State: state, Now: now, Counts: f.counts(from, to), SinceEntry: f.counts(entry, to), CleanWeeks: f.cleanWeeks(now),
		})
		e.ID = uuid.New()
		var tr maturity.Transition
		var err error
		switch {
		case e.Kind == maturity.Regression:
			tr, err = maturity.Regress(levels, e, state, model, now)
		case e.Ready:
			tr, err = maturity.Progress(levels, e, state, model, "cab-alice", now)
		default:
			_, err = maturity.Progress(levels, e, state, model, "cab-alice", now)
			require.ErrorIs(t, err, maturity.ErrNotReady, "week %d: approving a not-ready record", w)
			err = nil
		}
		require.NoError(t, err, "week %d", w)
		if tr.Kind != "" {
			require.Equal(t, state.Level, tr.From)
			state, model = tr.State, tr.Model
		}
		trajectory = append(trajectory, fmt.Sprint(int(state.Level)))
		if lvl, ok := want[w]; ok {
			require.Equal(t, lvl, state.Level, "week %d: %s (criteria %+v); trajectory %v", w, e.Reason, e.Criteria, trajectory)
		}
	}
	require.Equal(t, "0 0 0 1 1 1 1 2 2 2 2 3 3 3 3 4 4 4 4 3 3 3 3 3 3 3 3 4 4 4", fmt.Sprint(trajectory)[1:len(fmt.Sprint(trajectory))-1])
}

func TestAFleetThatDeploysTooLittleNeverProgresses(t *testing.T) {
	levels := maturity.Levels()
	now := epoch.Add(10 * maturity.Week)
	e := maturity.Evaluate(levels, maturity.Policy{}, maturity.Inputs{
		State: maturity.State{Level: maturity.Baseline, Since: epoch}, Now: now,
		Counts: counts(99, [4]int64{}), SinceEntry: counts(99, [4]int64{}), CleanWeeks: 10,
	})
	require.False(t, e.Ready)
	for _, c := range e.Criteria {
		if c.Name == maturity.CriterionMinDeployments {
			require.False(t, c.Passed)
			require.Equal(t, "100", c.Required.String())
			require.Equal(t, "99", c.Actual.String())
		}
	}
}
