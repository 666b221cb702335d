package main

import (
	"bytes"
	"context"
	"flag"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"golang.org/x/net/html"
)

var updateScreenshot = flag.Bool("screenshot", false, "rewrite ../../docs/report.png, the README's picture of the sample's HTML report, with chromium")

// chromiumArgs starts Chromium headless, as root, off the network and in
// a profile of its own.
func chromiumArgs(profile string, extra ...string) []string {
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile}, extra...)
}

// lookChromium returns the browser the tests drive, or skips the test.
func lookChromium(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run does): the HTML report's script is not run in a browser")
	}
	return bin
}

// runChromium opens page in a fresh profile and returns what Chromium
// printed: the dumped DOM, and its log with the page's console messages.
func runChromium(t *testing.T, bin, page string, extra ...string) (stdout, log string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(chromiumArgs(t.TempDir(), extra...), page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", page, err, errb.String())
	}
	return out.String(), errb.String()
}

// writeSamplePage renders the sample report to a file and returns its
// file:// URL.
func writeSamplePage(t *testing.T, r *analyzer.Report) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte(renderHTMLString(t, r)), 0o644); err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// TestHTMLInBrowser loads the sample's report in headless Chromium and
// reads the DOM after its script ran: no script or policy error, the
// findings shown, and sorting and filtering set from the URL fragment.
func TestHTMLInBrowser(t *testing.T) {
	bin := lookChromium(t)
	r := analyzeSample(t)
	page := writeSamplePage(t, r)
	shown := 0
	for _, f := range r.Findings {
		if f.Kind != "missing" {
			shown++
		}
	}
	for _, tt := range []struct {
		name, fragment string
		check          func(t *testing.T, doc *html.Node)
	}{
		{"loads", "", func(t *testing.T, doc *html.Node) {
			rows := visibleRows(tableRows(t, doc, "findings"))
			if len(rows) != shown {
				t.Errorf("%d findings shown, want the %d that are not missing entries", len(rows), shown)
			}
			for i, f := range r.Findings {
				if f.Kind != "missing" && !strings.Contains(domText(domByID(doc, findingAnchor(i))), f.Host) {
					t.Errorf("finding %d does not show %s", i, f.Host)
				}
			}
			status := domAll(doc, func(n *html.Node) bool {
				v, _ := domAttr(n, "data-for")
				return v == "findings"
			})
			if want := "showing " + strconv.Itoa(shown) + " of " + strconv.Itoa(len(r.Findings)); len(status) != 1 || !strings.Contains(domText(status[0]), want) {
				t.Errorf("the findings' status does not say %q", want)
			}
		}},
		{"sorted by port", "#sort=port", func(t *testing.T, doc *html.Node) {
			for _, id := range []string{"findings", "services", "unjudged"} {
				rows := tableRows(t, doc, id)
				ports := columnValues(t, doc, rows, id, "port")
				if !slices.IsSortedFunc(ports, comparePorts) {
					t.Errorf("%s: ports %v are not in ascending order", id, ports)
				}
				if v, _ := domAttr(headCell(t, doc, id, "port"), "aria-sort"); v != "ascending" {
					t.Errorf("%s: the port header's aria-sort is %q", id, v)
				}
			}
			if ids := rowIDs(tableRows(t, doc, "findings")); slices.IsSortedFunc(ids, compareAnchors) {
				t.Errorf("the findings are still in the report's order: the sort did nothing")
			}
		}},
		{"filtered", "#kind=missing&q=10.10.1.13&sort=-port", func(t *testing.T, doc *html.Node) {
			want := 0
			for _, f := range r.Findings {
				if f.Kind == "missing" && f.Host == "10.10.1.13" {
					want++
				}
			}
			rows := visibleRows(tableRows(t, doc, "findings"))
			if len(rows) != want || want == 0 {
				t.Fatalf("%d rows shown, want the %d missing entries of 10.10.1.13", len(rows), want)
			}
			for _, row := range rows {
				if k, _ := domAttr(row, "data-kind"); k != "missing" || !strings.Contains(domText(row), "10.10.1.13") {
					t.Errorf("row %q (%s) shown", domText(row), k)
				}
			}
			ports := columnValues(t, doc, rows, "findings", "port")
			if !slices.IsSortedFunc(ports, func(a, b string) int { return comparePorts(b, a) }) {
				t.Errorf("ports %v are not in descending order", ports)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, log := runChromium(t, bin, page+tt.fragment, "--enable-logging=stderr", "--v=0", "--dump-dom")
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, ":CONSOLE") {
					t.Errorf("console: %s", line)
				}
			}
			doc, err := html.Parse(strings.NewReader(out))
			if err != nil {
				t.Fatalf("parsing the dumped DOM: %v", err)
			}
			root := domAll(doc, domTag("html"))[0]
			if v, ok := domAttr(root, "data-errors"); ok {
				t.Fatalf("the page's script failed: %s", v)
			}
			if v, _ := domAttr(root, "data-ready"); v != "true" {
				t.Fatalf("the page's script did not run to the end (blocked by the content security policy?)")
			}
			tt.check(t, doc)
		})
	}
}

// TestHTMLScreenshot rewrites the README's picture of the sample's
// report when asked: go test -run TestHTMLScreenshot -screenshot.
func TestHTMLScreenshot(t *testing.T) {
	if !*updateScreenshot {
		t.Skip("run with -screenshot to rewrite ../../docs/report.png")
	}
	bin := lookChromium(t)
	r := analyzeSample(t)
	// Name the files as from the repository's root, where the README runs it.
	r.Inventory = strings.TrimPrefix(r.Inventory, "../../")
	for i := range r.Captures {
		r.Captures[i].Name = strings.TrimPrefix(r.Captures[i].Name, "../../")
	}
	page := writeSamplePage(t, r)
	out, err := filepath.Abs(filepath.Join("..", "..", "docs", "report.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	runChromium(t, bin, page, "--hide-scrollbars", "--window-size=1400,1800", "--screenshot="+out)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= 400<<10 {
		t.Errorf("%s is %d bytes, want under 400 KiB", out, fi.Size())
	}
}

func tableRows(t *testing.T, doc *html.Node, id string) []*html.Node {
	t.Helper()
	table := domByID(doc, id)
	if table == nil {
		t.Fatalf("no table %q", id)
	}
	return domAll(table, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
}

func visibleRows(rows []*html.Node) []*html.Node {
	var out []*html.Node
	for _, r := range rows {
		if _, hidden := domAttr(r, "hidden"); !hidden {
			out = append(out, r)
		}
	}
	return out
}

func headCell(t *testing.T, doc *html.Node, id, key string) *html.Node {
	t.Helper()
	hs := domAll(domByID(doc, id), func(n *html.Node) bool { v, _ := domAttr(n, "data-key"); return n.Data == "th" && v == key })
	if len(hs) != 1 {
		t.Fatalf("table %q has %d %q columns", id, len(hs), key)
	}
	return hs[0]
}

// columnValues returns the sort values of one column of rows.
func columnValues(t *testing.T, doc *html.Node, rows []*html.Node, id, key string) []string {
	t.Helper()
	th := headCell(t, doc, id, key)
	col := slices.Index(domAll(th.Parent, domTag("th")), th)
	var out []string
	for _, r := range rows {
		cells := domAll(r, domTag("td"))
		if col >= len(cells) {
			t.Fatalf("row %q has no column %d", domText(r), col)
		}
		v, _ := domAttr(cells[col], "data-v")
		out = append(out, v)
	}
	return out
}

// comparePorts orders sort values as the page does: numbers, then empty.
func comparePorts(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x - y
}

func rowIDs(rows []*html.Node) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i], _ = domAttr(r, "id")
	}
	return ids
}

// compareAnchors orders "finding-N" by N.
func compareAnchors(a, b string) int {
	x, _ := strconv.Atoi(strings.TrimPrefix(a, "finding-"))
	y, _ := strconv.Atoi(strings.TrimPrefix(b, "finding-"))
	return x - y
}
