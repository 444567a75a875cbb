package maturity_test

import (
	"errors"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/google/uuid"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/shopspring/decimal"
)

var epoch = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)

func counts(deployments int64, sev [4]int64) incident.Counts {
	c := incident.Counts{Deployments: deployments, BySeverity: map[incident.Severity]int64{}}
	for i, s := range incident.Severities() {
		c.BySeverity[s] = sev[i]
		c.Incidents += sev[i]
	}
	return c
}

// genInputs generates evaluation inputs across every level, with incident
// counts that straddle every limit of the ladder.
func genInputs() gopter.Gen {
	return gopter.CombineGens(
		gen.IntRange(0, 4),                    // level
		gen.IntRange(0, 12),                   // weeks at level
		gen.Int64Range(0, 800),                // deployments
		gen.SliceOfN(4, gen.Int64Range(0, 6)), // P1..P4
		gen.IntRange(0, 20),                   // clean weeks
		gen.Bool(),                            // since-entry counts equal the period's
	).Map(func(v []any) maturity.Inputs {
		sev := v[3].([]int64)
		c := counts(v[2].(int64), [4]int64{sev[0] % 2, sev[1] % 3, sev[2], sev[3]})
		entry := c
		if !v[5].(bool) {
			entry = counts(c.Deployments/2, [4]int64{0, 0, sev[2] / 2, 0})
		}
		now := epoch.Add(30 * maturity.Week)
		return maturity.Inputs{
			State:  maturity.State{Level: maturity.Level(v[0].(int)), Since: now.Add(-time.Duration(v[1].(int)) * maturity.Week)},
			Now:    now,
			Counts: c, SinceEntry: entry,
			CleanWeeks: v[4].(int),
		}
	})
}

// modelAt returns an active model carrying level l's thresholds.
func modelAt(l maturity.Level) riskmodel.Version {
	m := riskmodel.Seed(epoch)
	m.Thresholds = maturity.Levels()[l].Thresholds
	return m
}

func TestEvaluationProperties(t *testing.T) {
	levels := maturity.Levels()
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 3000
	properties := gopter.NewProperties(params)

	properties.Property("progression never skips a level", prop.ForAll(
		func(in maturity.Inputs) bool {
			e := maturity.Evaluate(levels, maturity.Policy{}, in)
			e.ID = uuid.New()
			switch e.Kind {
			case maturity.Progression:
				if e.Target != in.State.Level+1 {
					return false
				}
			case maturity.Regression:
				return e.Target == in.State.Level-1
			case maturity.Hold:
				return e.Target == in.State.Level && in.State.Level == maturity.OptimizedLevel
			}
			tr, err := maturity.Progress(levels, e, in.State, modelAt(in.State.Level), "cab-alice", in.Now)
			return err != nil || (tr.To == tr.From+1 && tr.State.Level == tr.From+1)
		},
		genInputs(),
	))

	properties.Property("no progression with a failing criterion is ready; a regression (its criteria the breached limits) always is", prop.ForAll(
		func(in maturity.Inputs) bool {
			e := maturity.Evaluate(levels, maturity.Policy{}, in)
			switch e.Kind {
			case maturity.Regression:
				return e.Ready && len(e.Criteria) > 0 && !anyPassed(e.Criteria) // applied at once, without approval
			case maturity.Progression:
				return e.Ready == allPassed(e.Criteria)
			default:
				return !e.Ready
			}
		},
		genInputs(),
	))

	properties.Property("a regression's headline is the part of the period since the level was entered", prop.ForAll(
		func(in maturity.Inputs) bool {
			e := maturity.Evaluate(levels, maturity.Policy{}, in)
			if e.Kind != maturity.Regression {
				return true
			}
			from, _ := maturity.Policy{}.Period(in.Now)
			if in.State.Since.After(from) {
				from = in.State.Since
			}
			j := in.SinceEntry
			return e.PeriodFrom.Equal(from) && e.Deployments == j.Deployments && e.Incidents == j.Incidents &&
				e.P1 == j.BySeverity[incident.P1] && e.P2 == j.BySeverity[incident.P2] &&
				e.IncidentRate.Equal(incident.Rate(j.Incidents, j.Deployments))
		},
		genInputs(),
	))

	properties.Property("adding an incident never makes a not-ready progression ready (it may make a regression)", prop.ForAll(
		func(in maturity.Inputs, sev int) bool {
			before := maturity.Evaluate(levels, maturity.Policy{}, in)
			s := incident.Severities()[sev]
			in.Counts = withIncident(in.Counts, s)
			in.SinceEntry = withIncident(in.SinceEntry, s)
			if s == incident.P1 || s == incident.P2 {
				in.CleanWeeks = 0
			}
			after := maturity.Evaluate(levels, maturity.Policy{}, in)
			return before.Ready || !after.Ready || after.Kind == maturity.Regression
		},
		genInputs(), gen.IntRange(0, 3),
	))

	properties.Property("critical infrastructure stays at threshold 0 at every level and through every transition", prop.ForAll(
		func(in maturity.Inputs) bool {
			for _, d := range levels {
				if !d.Thresholds[blastradius.CriticalInfrastructure].IsZero() {
					return false
				}
			}
			e := maturity.Evaluate(levels, maturity.Policy{}, in)
			e.ID = uuid.New()
			var tr maturity.Transition
			var err error
			if e.Kind == maturity.Regression {
				tr, err = maturity.Regress(levels, e, in.State, modelAt(in.State.Level), in.Now)
			} else {
				tr, err = maturity.Progress(levels, e, in.State, modelAt(in.State.Level), "cab-alice", in.Now)
			}
			return err != nil || tr.Model.Thresholds[blastradius.CriticalInfrastructure].IsZero()
		},
		genInputs(),
	))

	properties.Property("regression never raises a threshold", prop.ForAll(
		func(in maturity.Inputs) bool {
			e := maturity.Evaluate(levels, maturity.Policy{}, in)
			if e.Kind != maturity.Regression {
				return true
			}
			e.ID = uuid.New()
			cur := modelAt(in.State.Level)
			tr, err := maturity.Regress(levels, e, in.State, cur, in.Now)
			if err != nil {
				return false
			}
			for c, th := range tr.Model.Thresholds {
				if th.GreaterThan(cur.Thresholds[c]) {
					return false
				}
			}
			return tr.To == in.State.Level-1
		},
		genInputs(),
	))

	properties.Property("a transition carries the active model's weights and the target level's mode", prop.ForAll(
		func(in maturity.Inputs) bool {
			e := maturity.Evaluate(levels, maturity.Policy{}, in)
			if e.Kind != maturity.Progression || !e.Ready {
				return true
			}
			e.ID = uuid.New()
			cur := modelAt(in.State.Level)
			cur.Weights = map[riskmodel.Factor]decimal.Decimal{"a": decimal.RequireFromString("0.25"), "b": decimal.RequireFromString("0.75")}
			tr, err := maturity.Progress(levels, e, in.State, cur, "cab-alice", in.Now)
			return err == nil && tr.Model.Mode == levels[e.Target].Mode &&
				tr.Model.Weights["b"].Equal(decimal.RequireFromString("0.75")) && tr.Model.Validate() == nil
		},
		genInputs(),
	))

	properties.TestingRun(t)
}

func allPassed(cs []maturity.Criterion) bool {
	for _, c := range cs {
		if !c.Passed {
			return false
		}
	}
	return len(cs) > 0
}

func anyPassed(cs []maturity.Criterion) bool {
	for _, c := range cs {
		if c.Passed {
			return true
		}
	}
	return false
}

func withIncident(c incident.Counts, s incident.Severity) incident.Counts {
	bs := map[incident.Severity]int64{}
	for k, v := range c.BySeverity {
		bs[k] = v
	}
	bs[s]++
	c.BySeverity = bs
	c.Incidents++
	return c
}

func TestSeedLevelsAreAValidLadder(t *testing.T) {
	if err := maturity.ValidateLevels(maturity.Levels()); err != nil {
		t.Fatal(err)
	}
	broken := maturity.Levels()
	broken[3].Thresholds[blastradius.NonCritical] = decimal.NewFromInt(40) // below level 2's 50
	if err := maturity.ValidateLevels(broken); err == nil {
		t.Fatal("a ladder whose thresholds fall was accepted")
	} else if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field != "levels[3].thresholds[NON_CRITICAL]" || !errors.Is(err, maturity.ErrInvalidLevels) {
		t.Fatalf("a falling threshold: %v is not an invalid-input error for levels[3].thresholds[NON_CRITICAL]", err)
	}
	broken = maturity.Levels()
	broken[2].Thresholds[blastradius.CriticalInfrastructure] = decimal.NewFromInt(1)
	if err := maturity.ValidateLevels(broken); err == nil {
		t.Fatal("a critical threshold above 0 was accepted")
	} else if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field != "levels[2].thresholds[CRITICAL_INFRASTRUCTURE]" {
		t.Fatalf("a critical threshold above 0: %v is not an invalid-input error naming it", err)
	}
	if err := maturity.ValidateLevels(maturity.Levels()[:4]); trustgate.AsError(err).Field != "levels" {
		t.Fatalf("a short ladder: %v does not name the levels", err)
	}
}
