// Package htmlreport writes what a change advisory board looks at before it
// trusts a risk model with more automation as one self-contained HTML page:
// the incident rate by risk band and by blast radius class (bar charts),
// the auto-approved deployments that had incidents, and the trust maturity
// level over time with each transition and who approved it (a step chart).
//
// The page is a single file: its charts are inline SVG drawn here, its
// style is inline, and it has no scripts and loads nothing from anywhere
// (no fonts, images or stylesheets), so it can be mailed, archived with a
// change record, or opened on a machine without network access. Every
// figure is also in the page as text (a table under each chart, and the
// charts' aria-labels), for screen readers and for grep.
//
// Choices made where the issue is silent: rates are shown as percentages
// with three decimals (the report keeps six places; the tables show the
// exact fraction too); a band or class without deployments is drawn as an
// empty, hatched bar labelled "no deployments" rather than as a zero rate;
// the bar scale starts at zero and ends at the highest rate shown (at
// least 1%), so small rates are not blown up to look alarming; the ladder
// shows the decided evaluations (CAB-approved progressions, applied
// regressions) in the order they were decided.
package htmlreport

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
)

// Input is what a page shows.
type Input struct {
	// Title heads the page; default "trustgate calibration report".
	Title string
	// Generated is when the page was made, shown on it; default the
	// report's end.
	Generated time.Time
	// Report is the calibration report over its period.
	Report incident.Report
	// Levels names the ladder's levels; default maturity.Levels().
	Levels []maturity.Definition
	// Start is the level the installation was at when Since begins, and
	// Since where the ladder's time axis begins (default: the report's
	// period's start, or the first step's time if earlier).
	Start maturity.Level
	Since time.Time
	// Evaluations are the stored evaluations; the decided ones are the
	// ladder's steps (see Steps).
	Evaluations []maturity.Evaluation
}

// Step is one change of level.
type Step struct {
	At       time.Time
	Kind     maturity.Kind // Progression or Regression
	From, To maturity.Level
	// By are who decided: the CAB members whose approvals the progression
	// carries, or the engine for a regression.
	By           []string
	ModelVersion string // the model version the transition activated
	Reason       string
}

// Steps returns the transitions the decided evaluations of evs record,
// oldest first. Undecided evaluations (not ready, not yet approved, holds)
// change nothing and are left out.
func Steps(evs []maturity.Evaluation) []Step {
	var out []Step
	for _, e := range evs {
		if !e.Decided() || (e.Kind != maturity.Progression && e.Kind != maturity.Regression) {
			continue
		}
		s := Step{At: e.Decision.At.UTC(), Kind: e.Kind, From: e.Level, To: e.Target,
			ModelVersion: e.Decision.ModelVersion, Reason: e.Reason}
		if e.Kind == maturity.Progression {
			for _, a := range e.Approvals {
				if !slices.Contains(s.By, a.By) {
					s.By = append(s.By, a.By)
				}
			}
		}
		if len(s.By) == 0 {
			s.By = []string{e.Decision.By}
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Step) int { return a.At.Compare(b.At) })
	return out
}

// ErrNoPeriod is returned by Write for a report without a period (From not
// before To): there is nothing to draw a time axis over.
var ErrNoPeriod = errors.New("htmlreport: the report has no period (From must be before To)")

// normalize fills in the defaults of in.
func normalize(in Input) (Input, []Step, error) {
	r := in.Report
	if !r.From.Before(r.To) {
		return in, nil, ErrNoPeriod
	}
	if in.Title == "" {
		in.Title = "trustgate calibration report"
	}
	if in.Generated.IsZero() {
		in.Generated = r.To
	}
	if in.Levels == nil {
		in.Levels = maturity.Levels()
	}
	steps := Steps(in.Evaluations)
	if in.Since.IsZero() {
		in.Since = r.From
	}
	if len(steps) > 0 && steps[0].At.Before(in.Since) {
		in.Since = steps[0].At
	}
	in.Since = in.Since.UTC()
	in.Generated = in.Generated.UTC()
	return in, steps, nil
}

// levelName returns the name of level l on the ladder, or its number.
func levelName(levels []maturity.Definition, l maturity.Level) string {
	if i, ok := slices.BinarySearchFunc(levels, l, func(d maturity.Definition, l maturity.Level) int { return cmp.Compare(d.Level, l) }); ok {
		return levels[i].Name
	}
	return l.String()
}
