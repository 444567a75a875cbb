package maturity

import (
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Week is the unit of every maturity period.
const Week = 7 * 24 * time.Hour

// Policy tunes evaluation. The zero value means the defaults.
type Policy struct {
	// PeriodWeeks is the length of the evaluation period ending now; 0
	// means 4.
	PeriodWeeks int
	// MinDeployments is the fewest deployments in the period for a rate to
	// count: a rate over a handful of deployments proves nothing. 0 means
	// 100.
	MinDeployments int64
}

func (p Policy) periodWeeks() int {
	if p.PeriodWeeks <= 0 {
		return 4
	}
	return p.PeriodWeeks
}

func (p Policy) minDeployments() int64 {
	if p.MinDeployments <= 0 {
		return 100
	}
	return p.MinDeployments
}

// Period returns the evaluation period ending at now.
func (p Policy) Period(now time.Time) (from, to time.Time) {
	to = now.UTC()
	return to.Add(-time.Duration(p.periodWeeks()) * Week), to
}

// Kind says what an evaluation looked at.
type Kind string

// The kinds of evaluation.
const (
	// Progression: may the installation move up one level?
	Progression Kind = "progression"
	// Regression: the current level's own limits were breached; the engine
	// steps down one level at once.
	Regression Kind = "regression"
	// Hold: at the top level and within its limits; nothing to do.
	Hold Kind = "hold"
)

// CriterionName names one criterion of an evaluation.
type CriterionName string

// The criteria.
const (
	CriterionWeeksAtLevel   CriterionName = "weeks_at_level"
	CriterionMinDeployments CriterionName = "min_deployments"
	CriterionIncidentRate   CriterionName = "incident_rate"
	CriterionP1             CriterionName = "p1_incidents"
	CriterionP2             CriterionName = "p2_incidents"
	CriterionCleanWeeks     CriterionName = "consecutive_clean_weeks"
)

// Criterion is one criterion with its required and actual values.
type Criterion struct {
	Name CriterionName
	// AtLeast is true for a minimum (actual ≥ required), false for a
	// maximum (actual ≤ required).
	AtLeast   bool
	Required  decimal.Decimal
	Unlimited bool // no limit applies: the criterion always passes
	Actual    decimal.Decimal
	Passed    bool
}

// String returns the criterion for people, as the quickstart prints it:
// "incident_rate ≤ 0.02, actual 0.0075: passed", and for a criterion no
// limit applies to, "p2_incidents ≤ unlimited, actual 3: passed" (its
// Required is zero and means nothing then).
func (c Criterion) String() string {
	op, req, verdict := "≤", c.Required.String(), "failed"
	if c.AtLeast {
		op = "≥"
	}
	if c.Unlimited {
		req = "unlimited"
	}
	if c.Passed {
		verdict = "passed"
	}
	return string(c.Name) + " " + op + " " + req + ", actual " + c.Actual.String() + ": " + verdict
}

func criterion(name CriterionName, atLeast bool, required *decimal.Decimal, actual decimal.Decimal) Criterion {
	c := Criterion{Name: name, AtLeast: atLeast, Actual: actual}
	switch {
	case required == nil:
		c.Unlimited, c.Passed = true, true
	case atLeast:
		c.Required, c.Passed = *required, num.Cmp(actual, *required) >= 0
	default:
		c.Required, c.Passed = *required, num.Cmp(actual, *required) <= 0
	}
	return c
}

func count(n int64) decimal.Decimal { return decimal.NewFromInt(n) }

func optCount(n *int64) *decimal.Decimal {
	if n == nil {
		return nil
	}
	return ptr(count(*n))
}

// Inputs are the facts an evaluation judges.
type Inputs struct {
	State  State           // the current level and since when
	Now    time.Time       // the end of the period
	Counts incident.Counts // aggregates over the period
	// SinceEntry are the aggregates over the part of the period since the
	// current level was entered: a level's own limits are judged on what
	// happened while it was in force, so one incident steps a level down
	// once, not once per evaluation while it stays in the period.
	SinceEntry incident.Counts
	// CleanWeeks is the number of whole weeks, up to Now, without a P1 or
	// P2 incident.
	CleanWeeks int
}

// Evaluation is a stored progress record: one judgement of the
// installation's maturity, with every criterion, and the CAB's decision on
// it.
type Evaluation struct {
	ID            uuid.UUID
	Kind          Kind
	Level, Target Level
	// PeriodFrom and PeriodTo bound what was judged, and Deployments,
	// Incidents, P1, P2 and IncidentRate are its figures: the whole
	// period for a progression or a hold; for a regression, the part of
	// the period since the level was entered, whose figures breached the
	// level's own limits.
	PeriodFrom, PeriodTo   time.Time
	Deployments, Incidents int64
	P1, P2                 int64
	IncidentRate           decimal.Decimal
	Criteria               []Criterion
	// Ready: the evaluation may be acted on. A progression is ready when
	// every criterion passed (the CAB may approve it); a regression is
	// always ready (the engine applies it at once, without approval: it
	// only makes the system stricter); a hold never is.
	Ready bool
	// Reason says, for people, what the evaluation found.
	Reason string
	// Decision: the CAB's approval of a ready progression, or the engine's
	// application of a regression. Zero while undecided.
	Decision Decision
	// Approvals are the CAB members' signed approvals of a ready
	// progression, gathered until they reach the quorum.
	Approvals []Approval
	CreatedAt time.Time
}

// Decision records how an evaluation was acted on.
type Decision struct {
	Approved     bool
	By           string
	At           time.Time
	ModelVersion string // the risk model version activated by the decision
}

// Decided reports whether the evaluation has been acted on.
func (e Evaluation) Decided() bool { return e.Decision.Approved }

// Evaluate judges in against the level ladder. It is a pure function.
//
// At level N it first checks level N's own limits over the part of the
// period since N was entered: a P1 or P2 count above them, or an incident
// rate above them over at least the minimum number of deployments, makes a [Regression] evaluation targeting
// N−1 (ready: the engine applies it without approval, since it only makes
// the system stricter). Otherwise, below the top level, it makes a
// [Progression] evaluation targeting N+1 with every criterion of that
// level; it is ready only if all pass. At the top level within its limits it
// makes a [Hold] evaluation.
func Evaluate(levels []Definition, p Policy, in Inputs) Evaluation {
	cur := in.State.Level
	from, to := p.Period(in.Now)
	e := Evaluation{
		Level: cur, PeriodFrom: from, PeriodTo: to,
		Deployments: in.Counts.Deployments, Incidents: in.Counts.Incidents,
		P1: in.Counts.BySeverity[incident.P1], P2: in.Counts.BySeverity[incident.P2],
		IncidentRate: incident.Rate(in.Counts.Incidents, in.Counts.Deployments),
	}
	if cur > Baseline && int(cur) < len(levels) {
		if breached := breaches(levels[cur], p, in.SinceEntry); len(breached) > 0 {
			// The headline is what was judged: the part of the period
			// since the level was entered, whose figures caused the step.
			judged := in.SinceEntry
			e.Kind, e.Target, e.Criteria, e.Ready = Regression, cur-1, breached, true
			if since := in.State.Since.UTC(); since.After(from) {
				e.PeriodFrom = since
			}
			e.Deployments, e.Incidents = judged.Deployments, judged.Incidents
			e.P1, e.P2 = judged.BySeverity[incident.P1], judged.BySeverity[incident.P2]
			e.IncidentRate = incident.Rate(judged.Incidents, judged.Deployments)
			e.Reason = "level " + levels[cur].Name + "'s own limits were breached since it was entered: stepping down to " + levels[cur-1].Name
			return e
		}
	}
	if int(cur)+1 >= len(levels) {
		e.Kind, e.Target = Hold, cur
		e.Reason = "at the top level and within its limits"
		return e
	}
	t := levels[cur+1]
	weeks := int64(in.Now.Sub(in.State.Since) / Week)
	e.Kind, e.Target = Progression, t.Level
	e.Criteria = []Criterion{
		criterion(CriterionWeeksAtLevel, true, ptr(count(int64(t.WeeksRequired))), count(max(weeks, 0))),
		criterion(CriterionMinDeployments, true, ptr(count(p.minDeployments())), count(e.Deployments)),
		criterion(CriterionIncidentRate, false, t.MaxIncidentRate, e.IncidentRate),
		criterion(CriterionP1, false, optCount(t.MaxP1), count(e.P1)),
		criterion(CriterionP2, false, optCount(t.MaxP2), count(e.P2)),
	}
	if t.CleanWeeksRequired > 0 {
		e.Criteria = append(e.Criteria, criterion(CriterionCleanWeeks, true, ptr(count(int64(t.CleanWeeksRequired))), count(int64(in.CleanWeeks))))
	}
	e.Ready = true
	for _, c := range e.Criteria {
		e.Ready = e.Ready && c.Passed
	}
	if e.Ready {
		e.Reason = "every criterion for " + t.Name + " passed: ready for CAB approval"
	} else {
		e.Reason = "not every criterion for " + t.Name + " passed"
	}
	return e
}

// breaches returns the criteria of level d's own limits that c breaks. The
// rate counts only over the minimum number of deployments (a rate over a
// handful proves nothing); P1 and P2 counts always.
func breaches(d Definition, p Policy, c incident.Counts) []Criterion {
	var out []Criterion
	if d.MaxIncidentRate != nil && c.Deployments >= p.minDeployments() {
		if c := criterion(CriterionIncidentRate, false, d.MaxIncidentRate, incident.Rate(c.Incidents, c.Deployments)); !c.Passed {
			out = append(out, c)
		}
	}
	if c := criterion(CriterionP1, false, optCount(d.MaxP1), count(c.BySeverity[incident.P1])); !c.Passed {
		out = append(out, c)
	}
	if c := criterion(CriterionP2, false, optCount(d.MaxP2), count(c.BySeverity[incident.P2])); !c.Passed {
		out = append(out, c)
	}
	return out
}
