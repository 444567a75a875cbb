package htmlreport

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/shopspring/decimal"
)

// The charts' geometry, in SVG user units (the page scales them).
const (
	chartW     = 720.0
	chartH     = 260.0
	padLeft    = 56.0  // the rate charts' y axis labels
	ladderLeft = 110.0 // the ladder's level names
	padRight   = 24.0
	padTop     = 20.0
	padBottom  = 44.0 // the x axis's labels
	plotRight  = chartW - padRight
	plotW      = plotRight - padLeft
	plotH      = chartH - padTop - padBottom
	barGapFrac = 0.25 // of a bar's slot
)

// bar is one bar of a rate chart.
type bar struct {
	Key        string // "band-3", "class-NON_CRITICAL"
	X, Y, W, H float64
	LabelX     float64
	Label      string // under the bar
	Value      string // over the bar: "1.250%" (empty for a bar without deployments)
	Title      string // the tooltip: every figure of the bar
	Rate       string // the exact rate, as the report keeps it
	Empty      bool   // no deployments: drawn hatched
}

// tick is one labelled gridline.
type tick struct {
	Y     float64
	Label string
}

// row is one line of the table under a chart.
type row struct {
	Label                  string
	Deployments, Incidents int64
	Rate, Percent          string
}

// rateChart is a bar chart of incident rates.
type rateChart struct {
	ID, Title, Aria string
	Bars            []bar
	Ticks           []tick
	Rows            []row
}

// percent writes a rate as a percentage with three decimals.
func percent(r decimal.Decimal) string { return r.Shift(2).StringFixed(3) + "%" }

// newRateChart lays out one bar for each of the n groups that at returns.
func newRateChart(id, title string, n int, at func(i int) (key, label string, deployments, incidents int64, rate decimal.Decimal)) rateChart {
	c := rateChart{ID: id, Title: title}
	top := decimal.RequireFromString("0.01") // the scale ends at the highest rate, at least 1%
	for i := range n {
		if _, _, d, _, r := at(i); d > 0 && r.GreaterThan(top) {
			top = r
		}
	}
	slot := plotW / float64(n)
	var aria []string
	for i := range n {
		key, label, d, inc, r := at(i)
		b := bar{Key: key, Label: label, Rate: r.String(), W: slot * (1 - barGapFrac)}
		b.X = padLeft + float64(i)*slot + slot*barGapFrac/2
		b.LabelX = b.X + b.W/2
		if d == 0 {
			b.Empty, b.H = true, plotH
			b.Title = label + ": no deployments"
		} else {
			frac, _ := r.Div(top).Float64()
			b.H = plotH * frac
			b.Value = percent(r)
			b.Title = fmt.Sprintf("%s: %d incidents in %d deployments, rate %s (%s)", label, inc, d, percent(r), r)
		}
		b.Y = padTop + plotH - b.H
		c.Bars = append(c.Bars, b)
		c.Rows = append(c.Rows, row{Label: label, Deployments: d, Incidents: inc, Rate: r.String(), Percent: percent(r)})
		aria = append(aria, b.Title)
	}
	for k := range 5 {
		v := top.Mul(decimal.NewFromInt(int64(k))).Div(decimal.NewFromInt(4))
		c.Ticks = append(c.Ticks, tick{Y: padTop + plotH - plotH*float64(k)/4, Label: percent(v)})
	}
	c.Aria = title + ". " + strings.Join(aria, "; ")
	return c
}

// bandChart is the incident rate by risk-score band.
func bandChart(r incident.Report) rateChart {
	return newRateChart("rate-by-band", "Incident rate by risk band", len(r.ByBand), func(i int) (string, string, int64, int64, decimal.Decimal) {
		b := r.ByBand[i]
		high := b.High - 1
		if i == len(r.ByBand)-1 {
			high = 100 // the top band includes 100
		}
		return "band-" + strconv.Itoa(b.Band), strconv.Itoa(b.Low) + "–" + strconv.Itoa(high), b.Deployments, b.Incidents, b.Rate
	})
}

// classChart is the incident rate by blast radius class.
func classChart(r incident.Report) rateChart {
	return newRateChart("rate-by-class", "Incident rate by blast radius class", len(r.ByClass), func(i int) (string, string, int64, int64, decimal.Decimal) {
		c := r.ByClass[i]
		name := strings.ReplaceAll(strings.ToLower(string(c.Class)), "_", " ")
		return "class-" + string(c.Class), name, c.Deployments, c.Incidents, c.Rate
	})
}

// point is one transition on the ladder chart.
type point struct {
	X, Y       float64
	Level      int
	Regression bool
	Title      string
}

// ladderChart is the maturity level over time.
type ladderChart struct {
	ID, Title, Aria string
	Left, Right     float64 // the plot's edges
	Path            string  // the step line
	Points          []point
	LevelTicks      []tick
	TimeTicks       []timeTick
	Steps           []stepRow
}

// timeTick is one labelled date on the time axis.
type timeTick struct {
	X      float64
	Label  string
	Anchor string // "start", "middle" or "end": the ends stay inside
}

// stepRow is one line of the table under the ladder.
type stepRow struct {
	At, Kind, From, To, By, Model, Reason string
}

// newLadderChart lays out the level from since to until, starting at
// start and changing at each step.
func newLadderChart(levels []maturity.Definition, start maturity.Level, since, until time.Time, steps []Step) ladderChart {
	c := ladderChart{ID: "maturity-ladder", Title: "Trust maturity level over time", Left: ladderLeft, Right: plotRight}
	if !until.After(since) {
		until = since.Add(time.Hour)
	}
	span := until.Sub(since).Seconds()
	x := func(t time.Time) float64 {
		f := t.Sub(since).Seconds() / span
		return ladderLeft + (plotRight-ladderLeft)*min(max(f, 0), 1)
	}
	top := float64(len(levels) - 1)
	if top < 1 {
		top = 1
	}
	y := func(l maturity.Level) float64 { return padTop + plotH - plotH*float64(l)/top }
	for i := range levels {
		c.LevelTicks = append(c.LevelTicks, tick{Y: y(maturity.Level(i)), Label: strconv.Itoa(i) + " " + levels[i].Name})
	}
	for k := range 5 {
		t := since.Add(time.Duration(float64(until.Sub(since)) * float64(k) / 4))
		anchor := "middle"
		switch k {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		c.TimeTicks = append(c.TimeTicks, timeTick{X: x(t), Label: t.Format("2 Jan 2006"), Anchor: anchor})
	}
	var path strings.Builder
	cur := start
	fmt.Fprintf(&path, "M%.1f %.1f", x(since), y(cur))
	aria := []string{"Starts at level " + strconv.Itoa(int(start)) + " " + levelName(levels, start) + " on " + since.Format("2 Jan 2006")}
	for _, s := range steps {
		fmt.Fprintf(&path, " H%.1f V%.1f", x(s.At), y(s.To))
		cur = s.To
		verb := "approved by " + strings.Join(s.By, ", ")
		if s.Kind == maturity.Regression {
			verb = "applied by " + strings.Join(s.By, ", ")
		}
		title := fmt.Sprintf("%s: %s from level %d to %d %s, %s (model %s)", s.At.Format(time.RFC3339), s.Kind,
			s.From, s.To, levelName(levels, s.To), verb, s.ModelVersion)
		c.Points = append(c.Points, point{X: x(s.At), Y: y(s.To), Level: int(s.To), Regression: s.Kind == maturity.Regression, Title: title})
		c.Steps = append(c.Steps, stepRow{At: s.At.Format(time.RFC3339), Kind: string(s.Kind),
			From: strconv.Itoa(int(s.From)) + " " + levelName(levels, s.From), To: strconv.Itoa(int(s.To)) + " " + levelName(levels, s.To),
			By: strings.Join(s.By, ", "), Model: s.ModelVersion, Reason: s.Reason})
		aria = append(aria, title)
	}
	fmt.Fprintf(&path, " H%.1f", x(until))
	c.Path = path.String()
	c.Aria = c.Title + ". " + strings.Join(aria, "; ") + ". Now at level " + strconv.Itoa(int(cur)) + " " + levelName(levels, cur) + "."
	return c
}
