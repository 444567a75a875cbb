package htmlreport

import (
	_ "embed"
	"html/template"
	"io"
	"time"
)

//go:embed page.html
var pageSource string

// page is what the template sees.
type page struct {
	Title, From, To, Generated string
	Deployments, Incidents     int64
	Rate                       string
	AutoWithIncidents          int64
	Preventable                int64
	RateCharts                 []rateChart
	Ladder                     ladderChart
}

// Write writes the page of in to w. A report without a period is
// [ErrNoPeriod]; an error of w is returned as it is.
func Write(w io.Writer, in Input) error {
	in, steps, err := normalize(in)
	if err != nil {
		return err
	}
	t, err := template.New("page").Parse(pageSource)
	if err != nil {
		return err
	}
	r := in.Report
	const day = "2 Jan 2006 15:04"
	p := page{
		Title: in.Title, From: r.From.UTC().Format(day), To: r.To.UTC().Format(day), Generated: in.Generated.Format(time.RFC3339),
		Deployments: r.Deployments, Incidents: r.Incidents, Rate: percent(r.IncidentRate),
		AutoWithIncidents: r.AutoApprovedWithIncidents, Preventable: r.Preventable,
		RateCharts: []rateChart{bandChart(r), classChart(r)},
		Ladder:     newLadderChart(in.Levels, in.Start, in.Since, in.Generated, steps),
	}
	return t.Execute(w, p)
}
