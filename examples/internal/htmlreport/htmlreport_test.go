package htmlreport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// element is what the tests read of the page: every element with its
// attributes, in document order, and the text of each.
type element struct {
	name  string
	attrs map[string]string
	text  string
	path  []string // the enclosing elements' names
}

// parse reads the page as a browser's tokenizer would see its elements
// (the page is written as well-formed markup, so encoding/xml reads it;
// a page it cannot read fails the test).
func parse(t *testing.T, page []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var out []element
	var stack []int
	var path []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the page is not well-formed")
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attrs: map[string]string{}, path: append([]string(nil), path...)}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
			path = append(path, tok.Name.Local)
		case xml.EndElement:
			stack, path = stack[:len(stack)-1], path[:len(path)-1]
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].text += string(tok)
			}
		}
	}
	return out
}

func find(es []element, pred func(element) bool) []element {
	var out []element
	for _, e := range es {
		if pred(e) {
			out = append(out, e)
		}
	}
	return out
}

func render(t *testing.T, in Input) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, Write(&b, in))
	return b.Bytes()
}

func TestThePageHasTheThreeChartsWithEveryFigure(t *testing.T) {
	in := fixture()
	page := render(t, in)
	es := parse(t, page)

	charts := find(es, func(e element) bool { return e.name == "svg" })
	require.Len(t, charts, 3)
	for i, id := range []string{"rate-by-band", "rate-by-class", "maturity-ladder"} {
		assert.Equal(t, id, charts[i].attrs["data-chart"])
		assert.Equal(t, "img", charts[i].attrs["role"])
	}

	bars := func(prefix string) []element {
		return find(es, func(e element) bool { return e.name == "rect" && strings.HasPrefix(e.attrs["data-key"], prefix) })
	}
	band := bars("band-")
	require.Len(t, band, incident.Bands)
	for i, b := range band {
		assert.Equal(t, in.Report.ByBand[i].Rate.String(), b.attrs["data-rate"], "band %d", i)
	}
	assert.Contains(t, band[9].attrs["class"], "empty", "the band without deployments is hatched, not a zero rate")
	assert.NotContains(t, band[0].attrs["class"], "empty")

	class := bars("class-")
	require.Len(t, class, 4)
	assert.Equal(t, "class-CRITICAL_INFRASTRUCTURE", class[0].attrs["data-key"], "most severe class first")
	assert.Equal(t, "0.05", class[0].attrs["data-rate"], "2 incidents in 40 deployments")

	// The highest rate fills the plot; the others are in proportion.
	h := func(e element) string { return e.attrs["height"] }
	assert.Equal(t, "196.0", h(class[0]))
	assert.Equal(t, "75.4", h(class[1]), "5/260 of 0.05 of the plot's 196")

	steps := find(es, func(e element) bool { return e.name == "circle" && e.attrs["class"] != "" })
	require.Len(t, steps, 3, "three decided evaluations; the waiting one changes nothing")
	assert.Equal(t, []string{"1", "2", "1"}, []string{steps[0].attrs["data-level"], steps[1].attrs["data-level"], steps[2].attrs["data-level"]})
	assert.Equal(t, "step", steps[0].attrs["class"])
	assert.Equal(t, "step regression", steps[2].attrs["class"], "the step down is drawn as one")

	rows := find(es, func(e element) bool { return e.name == "tr" && e.attrs["data-step"] != "" })
	require.Len(t, rows, 3)
	var byCol []string
	for _, td := range find(es, func(e element) bool { return e.name == "td" && len(e.path) > 0 && e.path[len(e.path)-1] == "tr" }) {
		byCol = append(byCol, td.text)
	}
	joined := strings.Join(byCol, "|")
	assert.Contains(t, joined, "alice, bob", "who approved level 1")
	assert.Contains(t, joined, "bob, carol", "who approved level 2")
	assert.Contains(t, joined, maturity.EngineActor, "the regression was the engine's")

	fig := find(es, func(e element) bool { return e.attrs["data-figure"] == "auto-approved-with-incidents" })
	require.Len(t, fig, 1)
	assert.Equal(t, "3", fig[0].text)
}

func TestThePageIsSelfContained(t *testing.T) {
	page := render(t, fixture())
	for _, e := range parse(t, page) {
		assert.NotEqual(t, "script", e.name, "no scripts")
		assert.NotEqual(t, "link", e.name, "no stylesheets from elsewhere")
		assert.NotEqual(t, "img", e.name, "no images from elsewhere")
		for k, v := range e.attrs {
			if k == "xmlns" {
				continue
			}
			assert.NotContains(t, v, "://", "%s %s=%q loads something", e.name, k, v)
			assert.False(t, strings.HasPrefix(strings.ToLower(k), "on"), "%s has an event handler %s", e.name, k)
		}
	}
	assert.NotContains(t, string(page), "@import")
}

func TestTextIsEscaped(t *testing.T) {
	in := fixture()
	in.Title = `<script>alert("x")</script>`
	in.Evaluations[2].Approvals[0].By = `"><script>`
	page := string(render(t, in))
	assert.NotContains(t, page, "<script>")
	assert.Contains(t, page, "&lt;script&gt;")
}

func TestAReportWithoutAPeriodIsAnError(t *testing.T) {
	in := fixture()
	in.Report.To = in.Report.From
	require.ErrorIs(t, Write(io.Discard, in), ErrNoPeriod)
}

func TestAHistoryWithoutTransitionsSaysSo(t *testing.T) {
	in := fixture()
	in.Evaluations = nil
	page := string(render(t, in))
	assert.Contains(t, page, "no change of level in this history")
	es := parse(t, []byte(page))
	assert.Empty(t, find(es, func(e element) bool { return e.name == "circle" }))
}

func TestStepsAreTheDecidedEvaluationsInOrder(t *testing.T) {
	steps := Steps(fixture().Evaluations)
	require.Len(t, steps, 3)
	for i := 1; i < len(steps); i++ {
		assert.True(t, steps[i-1].At.Before(steps[i].At))
	}
	assert.Equal(t, []string{"alice", "bob"}, steps[0].By)
	assert.Equal(t, []string{maturity.EngineActor}, steps[2].By)
	assert.Equal(t, maturity.Regression, steps[2].Kind)
}
