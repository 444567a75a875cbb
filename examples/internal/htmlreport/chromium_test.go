package htmlreport

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var screenshot = flag.String("screenshot", "", "write the fixture page's screenshot, as Chromium renders it, to this PNG file (for the README)")

// chromium returns the headless browser the test renders the page with:
// $TRUSTGATE_TEST_CHROMIUM, or chromium, chromium-browser or google-chrome
// on the PATH. Without one the test skips, except in CI (CI=true), which
// installs Debian's chromium package and must run it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TRUSTGATE_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI must render the report in Chromium, but none is installed (apt-get install chromium)")
	}
	t.Skip("no Chromium on the PATH (apt-get install chromium, or set TRUSTGATE_TEST_CHROMIUM): the page is not rendered in a browser")
	return ""
}

// headless runs the browser on the page with args and returns its stdout.
func headless(t *testing.T, browser, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--window-size=1100,2000"}
	cmd := exec.CommandContext(ctx, browser, append(append(base, args...), "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium: %s", stderr.String())
	return stdout.Bytes()
}

// TestChromiumRendersTheCharts opens the page in headless Chromium: the DOM
// it builds has the three charts with every bar and step, and its
// screenshot has them painted (the bars' and the ladder's colour covers a
// good part of the page, which a page whose SVG failed would not).
func TestChromiumRendersTheCharts(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	require.NoError(t, os.WriteFile(page, render(t, fixture()), 0o644))

	dom := string(headless(t, browser, page, "--dump-dom"))
	count := func(re string) int { return len(regexp.MustCompile(re).FindAllStringIndex(dom, -1)) }
	assert.Equal(t, 3, count(`<svg[^>]*data-chart="`), "three charts in the browser's DOM")
	assert.Equal(t, 10, count(`<rect[^>]*data-key="band-`), "a bar for each risk band")
	assert.Equal(t, 4, count(`<rect[^>]*data-key="class-`), "a bar for each class")
	assert.Equal(t, 3, count(`<circle class="step`), "a point for each transition")

	shot := filepath.Join(dir, "report.png")
	headless(t, browser, page, "--screenshot="+shot)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	require.Equal(t, image.Rect(0, 0, 1100, 2000), b)
	var blue int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, 0x2f) && near(g, 0x6d) && near(bl, 0xb5) { // svg .bar, svg .ladder
				blue++
			}
		}
	}
	frac := float64(blue) / float64((b.Dx()/2)*(b.Dy()/2))
	assert.Greater(t, frac, 0.05, "the bars and the ladder are painted (%.3f of the page in their colour)", frac)
	if *screenshot != "" {
		data, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(*screenshot, data, 0o644))
	}
}

// near reports whether the 16-bit colour channel c is within a few steps of
// the 8-bit value want.
func near(c uint32, want int) bool {
	d := int(c>>8) - want
	return d >= -6 && d <= 6
}
