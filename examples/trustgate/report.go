package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/buildworksai/trustgate/examples/internal/htmlreport"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store"
)

const reportAbout = `
Prints the calibration report over [-from, -to): the deployments that
finished and the incidents that occurred in the period, the incident rate
overall, by blast radius class (most severe first) and by risk-score band
(lowest first; an incident counts in the band of the deployment it is
linked to), the auto-approved deployments that had incidents (the false
negatives of auto-approval) and the incidents marked preventable: what a
CAB reads before it trusts a risk model with more automation
(incident.NewReport over the store's IncidentCounts).

-from and -to are RFC 3339 times or dates (YYYY-MM-DD, midnight UTC); -to
defaults to now and -from to four weeks before -to. Rates are incidents per
deployment, rounded to 6 places; a class or band without deployments has
rate 0. -json writes the report in the library's JSON form (incident.Report's:
decimals as strings, times RFC 3339 UTC).

-html FILE also writes the report as one self-contained HTML page (inline
SVG charts, no scripts, nothing loaded from elsewhere): the incident rate
by risk band and by class, the auto-approved deployments with incidents,
and the maturity level over time with each transition and who approved it
(the last store.MaxEvaluationPage evaluations; its time axis starts at the
first deployment the store holds, or -from if earlier).`

// parseTime reads a -from or -to value.
func parseTime(name, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageError("-%s %q: want an RFC 3339 time (2026-03-02T09:00:00Z) or a date (2026-03-02)", name, s)
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "report", "-db FILE|-postgres DSN [-from TIME] [-to TIME] [-html FILE] [-json]", reportAbout)
	var f dbFlags
	f.register(fs)
	fromS := fs.String("from", "", "the period's start, `time` or date (default: four weeks before -to)")
	toS := fs.String("to", "", "the period's end, excluded, `time` or date (default: now)")
	htmlPath := fs.String("html", "", "also write the report as a self-contained HTML page to `file`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	to := time.Now().UTC()
	if *toS != "" {
		if to, err = parseTime("to", *toS); err != nil {
			return err
		}
	}
	from := to.AddDate(0, 0, -28)
	if *fromS != "" {
		if from, err = parseTime("from", *fromS); err != nil {
			return err
		}
	}
	if !from.Before(to) {
		return usageError("-from %s is not before -to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	s, err := f.open(ctx, false, store.Options{})
	if err != nil {
		return err
	}
	defer s.close()
	c, err := s.IncidentCounts(ctx, from, to)
	if err != nil {
		return cannotRun(err)
	}
	r := incident.NewReport(c)
	if *htmlPath != "" {
		if err := writeHTMLReport(ctx, s.Store, *htmlPath, r); err != nil {
			return err
		}
	}
	if f.json {
		return writeJSON(e.stdout, r) // incident.Report's JSON form
	}
	return printReport(e.stdout, r)
}

// writeHTMLReport writes r and the maturity ladder of s as one HTML page
// to path, whole or not at all.
func writeHTMLReport(ctx context.Context, s *store.Store, path string, r incident.Report) error {
	evs, err := s.ListEvaluations(ctx, store.MaxEvaluationPage)
	if err != nil {
		return cannotRun(err)
	}
	state, err := s.MaturityState(ctx)
	if err != nil {
		return cannotRun(err)
	}
	in := htmlreport.Input{Report: r, Evaluations: evs, Start: state.Level, Since: r.From}
	switch first, err := s.EarliestDeploymentAt(ctx); {
	case errors.Is(err, store.ErrNotFound): // no deployment yet
	case err != nil:
		return cannotRun(err)
	case first.Before(in.Since):
		in.Since = first
	}
	if steps := htmlreport.Steps(evs); len(steps) > 0 {
		in.Start = steps[0].From // the level before the first change shown
	}
	var b bytes.Buffer
	if err := htmlreport.Write(&b, in); err != nil {
		return cannotRun(err)
	}
	return writeOutput(path, b.Bytes())
}

// printReport writes the report as text tables.
func printReport(w io.Writer, d incident.Report) error {
	fmt.Fprintf(w, "calibration report, %s to %s\n", d.From.UTC().Format(time.RFC3339), d.To.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "deployments %d, incidents %d, incident rate %s\n", d.Deployments, d.Incidents, d.IncidentRate)
	sevs := slices.Sorted(maps.Keys(d.BySeverity))
	var parts []string
	for _, s := range sevs {
		parts = append(parts, fmt.Sprintf("%s %d", s, d.BySeverity[s]))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "by severity: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "auto-approved deployments with incidents %d, preventable incidents %d\n\n", d.AutoApprovedWithIncidents, d.Preventable)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tdeployments\tincidents\trate\t")
	for _, r := range d.ByClass {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", r.Class, r.Deployments, r.Incidents, r.Rate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "risk band\tdeployments\tincidents\trate\t")
	for i, r := range d.ByBand {
		closing := ")"
		if i == len(d.ByBand)-1 {
			closing = "]"
		}
		fmt.Fprintf(tw, "[%d, %d%s\t%d\t%d\t%s\t\n", r.Low, r.High, closing, r.Deployments, r.Incidents, r.Rate)
	}
	return tw.Flush()
}
