package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"golang.org/x/net/html"
)

// analyzeSample analyses the bundled sample as the command line does, with
// one worker, and reads back its JSON report.
func analyzeSample(t testing.TB) *analyzer.Report {
	t.Helper()
	res := runCmd(t, nil, "analyze", "--workers", "1", "--inventory", "../../testdata/sample.inventory", "-f", "json", "../../testdata/sample.pcapng")
	if res.status == exitInput {
		t.Fatalf("analyze: status %d: %s", res.status, res.stderr)
	}
	var r analyzer.Report
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("reading the JSON report: %v", err)
	}
	return &r
}

func renderHTMLString(t testing.TB, r *analyzer.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := renderHTML(nil, &b, r); err != nil {
		t.Fatalf("renderHTML: %v", err)
	}
	return b.String()
}

// parseHTML checks that every element the page opens it also closes, in
// order (void elements aside), then parses it into a tree.
func parseHTML(t testing.TB, page string) *html.Node {
	t.Helper()
	void := map[string]bool{"meta": true, "input": true, "br": true, "link": true, "img": true, "hr": true, "col": true, "wbr": true}
	z := html.NewTokenizer(strings.NewReader(page))
	var open []string
	off := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		at := off
		off += len(z.Raw())
		name, _ := z.TagName()
		switch tt {
		case html.StartTagToken:
			if !void[string(name)] {
				open = append(open, string(name))
			}
		case html.EndTagToken:
			if len(open) == 0 || open[len(open)-1] != string(name) {
				t.Fatalf("byte %d: </%s> closes %v", at, name, open)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		t.Fatalf("elements left open: %v", open)
	}
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	return doc
}

// Small helpers over the parsed tree.

func domAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func domHasClass(n *html.Node, class string) bool {
	v, _ := domAttr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// findAll returns the elements under n for which match holds, in order.
func domAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func domByID(n *html.Node, id string) *html.Node {
	found := domAll(n, func(n *html.Node) bool { v, _ := domAttr(n, "id"); return v == id })
	if len(found) == 0 {
		return nil
	}
	return found[0]
}

func domTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func domText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// externalRef matches anything that would make the page reach the
// network: a URL in src or href, an @import, a CSS url().
var externalRef = regexp.MustCompile(`(?i)(src|href|action|srcset|poster|data)\s*=\s*["']?\s*(https?:|//|ftp:)|@import|url\(`)

func TestHTMLSample(t *testing.T) {
	r := analyzeSample(t)
	page := renderHTMLString(t, r)
	doc := parseHTML(t, page)

	t.Run("no network", func(t *testing.T) {
		if m := externalRef.FindString(page); m != "" {
			t.Errorf("the page refers outside itself: %q", m)
		}
		for _, n := range domAll(doc, func(n *html.Node) bool { _, ok := domAttr(n, "href"); return ok }) {
			if v, _ := domAttr(n, "href"); !strings.HasPrefix(v, "#") {
				t.Errorf("<%s href=%q> leaves the page", n.Data, v)
			}
		}
		if n := domAll(doc, func(n *html.Node) bool { _, ok := domAttr(n, "src"); return ok }); len(n) > 0 {
			t.Errorf("%d elements load a src", len(n))
		}
	})

	t.Run("content security policy", func(t *testing.T) {
		metas := domAll(doc, func(n *html.Node) bool {
			v, _ := domAttr(n, "http-equiv")
			return n.Data == "meta" && v == "Content-Security-Policy"
		})
		if len(metas) != 1 {
			t.Fatalf("%d CSP meta tags, want 1", len(metas))
		}
		csp, _ := domAttr(metas[0], "content")
		if !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q does not start from default-src 'none'", csp)
		}
		for _, tag := range []string{"script", "style"} {
			els := domAll(doc, domTag(tag))
			if len(els) != 1 {
				t.Fatalf("%d <%s> elements, want 1", len(els), tag)
			}
			if want := tag + "-src '" + cspHash(domText(els[0])) + "'"; !strings.Contains(csp, want) {
				t.Errorf("CSP %q does not allow the inline %s: want %q", csp, tag, want)
			}
		}
	})

	t.Run("findings", func(t *testing.T) {
		table := domByID(doc, "findings")
		if table == nil {
			t.Fatal("no findings table")
		}
		rows := domAll(table, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
		if len(rows) != len(r.Findings) {
			t.Fatalf("%d finding rows, want %d", len(rows), len(r.Findings))
		}
		for i, f := range r.Findings {
			row := domByID(table, findingAnchor(i))
			if row == nil {
				t.Errorf("finding %d (%s %s/%s) has no row", i, f.Host, f.Port, f.Transport)
				continue
			}
			got := domText(row)
			for _, want := range []string{f.Host, f.Port + "/" + f.Transport, f.Kind} {
				if !strings.Contains(got, want) {
					t.Errorf("finding %d row %q lacks %q", i, got, want)
				}
			}
			kind, _ := domAttr(row, "data-kind")
			_, hidden := domAttr(row, "hidden")
			if kind != f.Kind || hidden != (f.Kind == "missing") {
				t.Errorf("finding %d row: data-kind %q hidden %v, want %q, hidden only when missing", i, kind, hidden, f.Kind)
			}
		}
	})

	t.Run("timeline markers", func(t *testing.T) {
		svgs := domAll(doc, func(n *html.Node) bool {
			return n.Data == "svg" && domHasClass(n, "chart") && !domHasClass(n, "strip")
		})
		if len(svgs) != 1 {
			t.Fatalf("%d chart SVGs, want 1", len(svgs))
		}
		var want []int
		for i, f := range r.Findings {
			if !f.FirstSeen.IsZero() {
				want = append(want, i)
			}
		}
		if len(want) == 0 {
			t.Fatal("the sample has no finding with a first-seen time")
		}
		var got []int
		for _, m := range domAll(svgs[0], func(n *html.Node) bool { return domHasClass(n, "marker") }) {
			v, _ := domAttr(m, "data-finding")
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 || i >= len(r.Findings) {
				t.Fatalf("marker data-finding=%q", v)
			}
			got = append(got, i)
			f := r.Findings[i]
			titles := domAll(m, domTag("title"))
			if len(titles) != 1 || !strings.Contains(domText(titles[0]), stamp(f.FirstSeen)) || !strings.Contains(domText(titles[0]), f.Host) {
				t.Errorf("marker of finding %d: title does not give %s and %s", i, f.Host, stamp(f.FirstSeen))
			}
			if href, _ := domAttr(m, "href"); href != "#"+findingAnchor(i) {
				t.Errorf("marker of finding %d links to %q", i, href)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("markers for findings %v, want %v (one per finding with a first-seen time)", got, want)
		}
	})

	t.Run("strips", func(t *testing.T) {
		var wantUnanswered, wantOneWay int
		for _, b := range r.Timeline.Buckets {
			if b.Unanswered > 0 {
				wantUnanswered++
			}
			if b.OneWay > 0 {
				wantOneWay++
			}
		}
		if wantUnanswered == 0 || wantOneWay == 0 {
			t.Fatal("the sample has no unanswered TCP connection (its Office Web Apps port 80 attempt) or no one-way UDP flow")
		}
		strips := domAll(doc, func(n *html.Node) bool { return n.Data == "svg" && domHasClass(n, "strip") })
		if len(strips) != 2 {
			t.Fatalf("%d strips, want 2: unanswered TCP and one-way UDP", len(strips))
		}
		for i, want := range []struct {
			class string
			n     int
		}{{"unanswered", wantUnanswered}, {"one-way", wantOneWay}} {
			bars := domAll(strips[i], func(n *html.Node) bool { return n.Data == "rect" && domHasClass(n, want.class) })
			if len(bars) != want.n {
				t.Errorf("%d %s bars, %d buckets with some", len(bars), want.class, want.n)
			}
		}
	})

	t.Run("matrix", func(t *testing.T) {
		tables := domAll(doc, func(n *html.Node) bool { return n.Data == "table" && domHasClass(n, "matrix") })
		if len(tables) != len(groupByRoles(r.Hosts)) {
			t.Fatalf("%d matrix blocks, want one per role group (%d)", len(tables), len(groupByRoles(r.Hosts)))
		}
		hosts := 0
		for _, tb := range tables {
			heads := domAll(tb, func(n *html.Node) bool { return n.Data == "th" && n.Parent.Parent.Data == "thead" })
			for _, row := range domAll(tb, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" }) {
				hosts++
				cells := domAll(row, func(n *html.Node) bool { return n.Data == "td" && !domHasClass(n, "gap") })
				if len(cells)+1 != len(heads) {
					t.Errorf("%q: %d cells under %d column heads", domText(row), len(cells), len(heads)-1)
				}
			}
		}
		if hosts != len(r.Hosts) {
			t.Errorf("%d matrix rows, want one per host (%d)", hosts, len(r.Hosts))
		}
		// The sample's fe01 (10.10.1.11) speaks SIP in clear on 5061/tcp.
		cell := domAll(doc, func(n *html.Node) bool {
			v, _ := domAttr(n, "title")
			return n.Data == "td" && domHasClass(n, "k-mismatch") && strings.HasPrefix(v, "10.10.1.11 · 5061/tcp · mismatch")
		})
		if len(cell) == 0 || domText(cell[0]) != "≠" {
			t.Errorf("no mismatch cell marked ≠ for 10.10.1.11 5061/tcp")
		}
	})

	t.Run("summary", func(t *testing.T) {
		sum := domByID(doc, "summary")
		got := domText(sum)
		for _, want := range []string{"12 findings", "8 services the catalog does not allow", "4 mismatches", "152 catalog entries never seen", "1,129 packets", "70 flows"} {
			if !strings.Contains(got, want) {
				t.Errorf("the summary lacks %q", want)
			}
		}
	})
}

// hostileText is what a packet or a file may put in a report string.
const hostileText = "<script>alert(1)</script>\x1b[31m\x00\u202e\"' onmouseover=\"alert(2)\" &amp;"

// hostileReport fills every string of a report with hostileText text.
func hostileReport() *analyzer.Report {
	h := hostileText
	t0 := time.Date(2026, 3, 2, 10, 40, 0, 0, time.UTC)
	ref := analyzer.EntryRef{Ref: h, Table: h, Row: 1, Service: h, Port: "5061", Transport: "tcp", Protocol: h, Side: "listen"}
	flow := analyzer.FlowRef{Client: h, ClientPort: 1, Server: h, ServerPort: 5061, Transport: h, FirstSeen: t0}
	svc := analyzer.Service{Port: 5061, Transport: h, Protocols: []string{h}, Confidence: h, Verdict: h, Catalog: []analyzer.EntryRef{ref},
		Flows: 1, FirstSeen: t0, LastSeen: t0, Example: flow}
	return &analyzer.Report{
		Schema: h, Generator: h, Inventory: h, Catalogs: []string{h}, Warnings: []string{h},
		Captures: []analyzer.CaptureInfo{{Name: h, Format: h, LinkTypes: []string{h}, Error: h, FirstSeen: t0, LastSeen: t0}},
		Totals:   analyzer.Totals{Packets: 3, Filter: h, Filtered: 1, Undecodable: map[string]uint64{h: 1}, FirstSeen: t0, LastSeen: t0, Verdicts: map[string]int{h: 1}},
		Hosts: []analyzer.HostReport{{Address: h, Name: h, Roles: []string{h}, Line: h, Seen: true,
			Services: []analyzer.Service{svc, {Port: 23, Transport: h, Protocols: []string{h}, Verdict: "unexpected"}},
			Connects: []analyzer.Service{svc}, Attempts: []analyzer.Service{svc}, Missing: []analyzer.EntryRef{ref}}},
		Findings: []analyzer.Finding{
			{Kind: h, Host: h, Name: h, Roles: []string{h}, Port: h, Transport: h, Protocol: h, Expected: h, Detail: h, Evidence: h,
				Catalog: []analyzer.EntryRef{ref}, Example: &flow, FirstSeen: t0, LastSeen: t0},
			{Kind: "mismatch", Host: h, Port: h, Transport: h, Protocol: h, Expected: h, Detail: h, Evidence: h, Warning: true, FirstSeen: t0},
		},
		Unjudged: []analyzer.Unjudged{{Server: h, Port: 1, Transport: h, Protocols: []string{h}, FirstSeen: t0, LastSeen: t0}},
		Timeline: &analyzer.Timeline{Bucket: h, BucketSeconds: 1, Buckets: []analyzer.Bucket{{
			Start: t0, Packets: 3, Bytes: 300, Protocols: map[string]analyzer.Count{h: {Packets: 3, Bytes: 300}},
			Roles: map[string]analyzer.Count{h: {Packets: 3, Bytes: 300}}, Findings: []int{0, 1, 7},
		}}},
		Window: &analyzer.Window{Since: t0},
	}
}

func TestHTMLEscaping(t *testing.T) {
	page := renderHTMLString(t, hostileReport())
	doc := parseHTML(t, page)
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d <script in the page, want only the report's own", n)
	}
	if strings.Contains(page, "alert(") && !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the hostileText script is not shown escaped")
	}
	for i, c := range page {
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c == '\u202e' {
			t.Fatalf("byte %d: raw control character %U in the page", i, c)
		}
	}
	if !strings.Contains(page, `\x1b[31m\x00\u202e`) {
		t.Errorf("control characters are not shown as escapes")
	}
	for _, n := range domAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> got an event handler attribute %s=%q", n.Data, a.Key, a.Val)
			}
		}
	}
	// The injected text survives as text, in the findings table.
	if row := domByID(doc, findingAnchor(0)); row == nil || !strings.Contains(domText(row), "<script>alert(1)</script>") {
		t.Errorf("the finding's hostileText text is not in its row as text")
	}
}

// FuzzRenderHTML puts arbitrary text in every string of a report: the page
// must keep its shape (the same elements as with plain text) and show no
// raw control character.
func FuzzRenderHTML(f *testing.F) {
	f.Add(hostileText)
	f.Add("pool01")
	f.Add("</textarea></title></style></script><!--")
	f.Add("\xff\xfe invalid UTF-8 \xc3")
	want := elementCount(f, renderHTMLString(f, stringReport("plain")))
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || kindOf(s).Kind != "other" {
			t.Skip("an empty string or a verdict's name changes the page's shape, rightly")
		}
		page := renderHTMLString(t, stringReport(s))
		if got := elementCount(t, page); got != want {
			t.Fatalf("%q changed the page's shape: %d elements, want %d", s, got, want)
		}
		for i, c := range page {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				t.Fatalf("%q: byte %d: raw control character %U", s, i, c)
			}
		}
	})
}

// stringReport is the hostileText report with s in place of every string.
func stringReport(s string) *analyzer.Report {
	b, err := json.Marshal(hostileReport())
	if err != nil {
		panic(err)
	}
	q, _ := json.Marshal(hostileText)
	r, _ := json.Marshal(s)
	var out analyzer.Report
	if err := json.Unmarshal(bytes.ReplaceAll(b, q[1:len(q)-1], r[1:len(r)-1]), &out); err != nil {
		panic(fmt.Sprintf("%q: %v", s, err))
	}
	return &out
}

func elementCount(t testing.TB, page string) int {
	t.Helper()
	return len(domAll(parseHTML(t, page), func(*html.Node) bool { return true }))
}

func TestHTMLNoTimeline(t *testing.T) {
	r := hostileReport()
	r.Timeline = nil
	doc := parseHTML(t, renderHTMLString(t, r))
	if svgs := domAll(doc, func(n *html.Node) bool { return n.Data == "svg" && domHasClass(n, "chart") }); len(svgs) != 0 {
		t.Errorf("a chart without a timeline")
	}
	if got := domText(domByID(doc, "timeline")); !strings.Contains(got, "no timeline") {
		t.Errorf("timeline section says %q", got)
	}
}

func TestNiceScale(t *testing.T) {
	for _, tt := range []struct {
		name      string
		peak      float64
		step, top float64
	}{
		{"empty", 0, 1, 1},
		{"one packet", 1, 1, 1},
		{"small", 3, 1, 3},
		{"sample packets", 116, 50, 150},
		{"exact", 200, 50, 200},
		{"bytes", 61234, 20000, 80000},
		{"a million", 1e6, 500000, 1e6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			step, top := niceScale(tt.peak, chartYTicks)
			if step != tt.step || top != tt.top {
				t.Errorf("niceScale(%v) = %v, %v; want %v, %v", tt.peak, step, top, tt.step, tt.top)
			}
		})
	}
}

func TestTimeTicks(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 40, 0, 194e6, time.UTC)
	for _, tt := range []struct {
		name string
		span time.Duration
		want []string
	}{
		{"a minute", time.Minute, []string{"10:40:10", "10:40:20", "10:40:30", "10:40:40", "10:40:50", "10:41:00"}},
		{"ten minutes", 10 * time.Minute, []string{"10:42", "10:44", "10:46", "10:48", "10:50"}},
		{"two hours", 2 * time.Hour, []string{"10:45", "11:00", "11:15", "11:30", "11:45", "12:00", "12:15", "12:30"}},
		{"three days", 72 * time.Hour, []string{"03-02 12:00", "03-03 00:00", "03-03 12:00", "03-04 00:00", "03-04 12:00", "03-05 00:00"}},
		{"three weeks", 21 * 24 * time.Hour, []string{"03-09", "03-16", "03-23"}}, // weeks from Monday
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			last := -1.0
			for _, tk := range timeTicks(t0, t0.Add(tt.span), func(x time.Time) float64 { return float64(x.Sub(t0)) / float64(tt.span) }) {
				if tk.Pos < 0 || tk.Pos > 1 || tk.Pos <= last {
					t.Errorf("tick %s at %v: outside the axis or out of order", tk.Label, tk.Pos)
				}
				last = tk.Pos
				got = append(got, tk.Label)
			}
			if len(got) > chartMaxXTicks || !slices.Equal(got, tt.want) {
				t.Errorf("ticks %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStepArea(t *testing.T) {
	x := func(i int) float64 { return float64(10 * i) }
	y := func(v float64) float64 { return 100 - v }
	for _, tt := range []struct {
		name       string
		base, tops []float64
		want       string
	}{
		{"one bucket", []float64{0}, []float64{5}, "M0 95H10V100H0Z"},
		{"stacked", []float64{1, 2}, []float64{3, 2}, "M0 97H10V98H20V98H10V99H0Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := stepArea(x, y, tt.base, tt.tops); got != tt.want {
				t.Errorf("stepArea = %q, want %q", got, tt.want)
			}
		})
	}
}
