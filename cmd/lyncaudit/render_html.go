package main

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// The page's template, stylesheet and script. They are inlined into one
// file, so the report opens from file:// with no network.
//
//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlFiles embed.FS

// htmlTemplate, htmlCSS and htmlJS are parsed and read once; htmlCSP
// allows exactly that stylesheet and that script, by hash, and nothing
// else: no network, no other inline code.
var (
	htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{"px": px}).
			ParseFS(htmlFiles, "html/report.html.tmpl"))
	htmlCSS = mustRead("html/report.css")
	htmlJS  = mustRead("html/report.js")
	htmlCSP = "default-src 'none'; style-src '" + cspHash(htmlCSS) + "'; script-src '" + cspHash(htmlJS) +
		"'; img-src 'none'; base-uri 'none'; form-action 'none'"
)

func mustRead(name string) string {
	b, err := htmlFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// cspHash returns the Content-Security-Policy source that allows an
// inline element whose text is s.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// maxUnjudgedRows caps the table of servers outside the inventory: a scan
// can make thousands, and the JSON report has them all.
const maxUnjudgedRows = 500

// renderHTML writes the report as one self-contained HTML page for a
// post-mortem: a summary in words, the timeline with the findings marked,
// the role × catalog-entry matrix, and sortable, filterable tables of
// findings, services and servers outside the inventory. Every string from
// the report goes through html/template, after escape has made control
// characters visible.
func renderHTML(_ *env, w io.Writer, r *analyzer.Report) error {
	return htmlTemplate.Execute(w, newHTMLPage(r))
}

// htmlPage is everything the template shows, computed from the report:
// the template only lays it out.
type htmlPage struct {
	CSP       string
	CSS       template.CSS
	JS        template.JS
	Title     string
	Generator string
	Schema    string
	Summary   htmlSummary
	Kinds     []htmlKind // the verdicts, for the matrix legend
	Groups    []htmlGroup
	Chart     *htmlChart
	Findings  htmlTable
	Services  htmlTable
	Unjudged  htmlTable
	// UnjudgedMore counts the servers outside the inventory left out of
	// their table.
	UnjudgedMore int
}

// htmlKind is a verdict with its label, symbol and whether the tables show
// it before the reader asks.
type htmlKind struct {
	Kind, Label, Symbol string
	Hidden              bool // missing entries are many, and the matrix shows them
}

// htmlKinds lists the verdicts in order of severity. The symbol tells them
// apart without colour.
var htmlKinds = []htmlKind{
	{"mismatch", "mismatch", "≠", false},
	{"unexpected", "unexpected", "!", false},
	{"unanswered", "attempted, never answered", "?", false},
	{"expected", "seen (expected)", "✓", false},
	{"missing", "missing", "✗", true},
}

func kindOf(kind string) htmlKind {
	for _, k := range htmlKinds {
		if k.Kind == kind {
			return k
		}
	}
	return htmlKind{Kind: "other", Label: escape(kind), Symbol: "·"}
}

func newHTMLPage(r *analyzer.Report) *htmlPage {
	p := &htmlPage{
		CSP:       htmlCSP,
		CSS:       template.CSS(htmlCSS),
		JS:        template.JS(htmlJS),
		Title:     pageTitle(r.Captures),
		Generator: escape(r.Generator),
		Schema:    escape(r.Schema),
		Summary:   newHTMLSummary(r),
		Kinds:     htmlKinds,
		Groups:    newHTMLMatrix(r.Hosts),
		Chart:     newHTMLChart(r),
	}
	p.Findings = newHTMLTable("findings", findingColumns, findingRows(r.Findings))
	p.Services = newHTMLTable("services", serviceColumns, serviceRows(r.Hosts))
	rows, more := unjudgedRows(r.Unjudged, maxUnjudgedRows)
	p.Unjudged, p.UnjudgedMore = newHTMLTable("unjudged", unjudgedColumns, rows), more
	return p
}

// pageTitle names the report after its captures.
func pageTitle(cs []analyzer.CaptureInfo) string {
	switch len(cs) {
	case 0:
		return "lyncaudit report"
	case 1:
		return "lyncaudit: " + escape(cs[0].Name)
	}
	return fmt.Sprintf("lyncaudit: %s and %s", escape(cs[0].Name), plural(uint64(len(cs)-1), "more capture"))
}

// htmlTable is a sortable, filterable table: its columns, its rows, and
// the kinds of row the reader can show or hide, with their counts.
type htmlTable struct {
	ID      string
	Columns []htmlColumnHead
	Kinds   []htmlKindCount
	Rows    []htmlRow
}

// htmlColumnHead heads a table column; Key names it in the page's
// #sort=KEY fragment.
type htmlColumnHead struct {
	Key, Label string
	Num        bool // right-aligned
}

// htmlKindCount is a kind of row with how many rows have it.
type htmlKindCount struct {
	htmlKind
	N int
}

func newHTMLTable(id string, cols []htmlColumnHead, rows []htmlRow) htmlTable {
	t := htmlTable{ID: id, Columns: cols, Rows: rows}
	n := map[string]int{}
	for _, r := range rows {
		n[r.Kind]++
	}
	for _, k := range htmlKinds {
		if n[k.Kind] > 0 {
			t.Kinds = append(t.Kinds, htmlKindCount{k, n[k.Kind]})
		}
	}
	return t
}

// htmlSummary is the top of the page, for a reader who stops there.
type htmlSummary struct {
	Headline string   // the verdict in one sentence
	Counts   []string // the findings by kind, in words
	Top      []htmlTop
	More     int // findings beyond Top, not counting missing entries
	Facts    []htmlFact
	Captures []htmlCapture
	Verdicts []htmlVerdict
	Warnings []string
}

// htmlTop is one finding told in a sentence, linking to its row.
type htmlTop struct {
	Kind, Symbol, Anchor, Who, What string
}

// htmlFact is one labelled fact of the run.
type htmlFact struct{ Label, Value string }

// htmlCapture is one capture file read.
type htmlCapture struct {
	Name, Facts, Error string
}

// htmlVerdict counts services and entries of one verdict.
type htmlVerdict struct {
	Kind, Label, Symbol string
	N                   int
}

// maxTopFindings is how many findings the summary tells in words.
const maxTopFindings = 8

func newHTMLSummary(r *analyzer.Report) htmlSummary {
	t := r.Totals
	var s htmlSummary
	n := map[string]int{}
	warnings := 0
	for _, f := range r.Findings {
		n[f.Kind]++
		if f.Warning {
			warnings++
		}
	}
	s.Headline = headline(n, warnings)
	if c := n["unexpected"]; c > 0 {
		s.Counts = append(s.Counts, plural(uint64(c), "service")+" the catalog does not allow")
	}
	if c := n["mismatch"] - warnings; c > 0 {
		s.Counts = append(s.Counts, counted(c, "mismatch", "mismatches")+": an allowed port carrying other than what the catalog asks for")
	}
	if warnings > 0 {
		s.Counts = append(s.Counts, plural(uint64(warnings), "suspicion")+" that cannot be proved from the capture (TLS 1.3 hides client certificates)")
	}
	if c := n["missing"]; c > 0 {
		s.Counts = append(s.Counts, counted(c, "catalog entry", "catalog entries")+" never seen")
	}
	for _, f := range importantFindings(r.Findings) {
		if len(s.Top) == maxTopFindings {
			s.More++
			continue
		}
		s.Top = append(s.Top, newHTMLTop(r.Findings, f))
	}
	for _, c := range r.Captures {
		hc := htmlCapture{Name: escape(c.Name), Facts: fmt.Sprintf("%s, %s, %s", escape(c.Format), plural(c.Packets, "packet"), size(c.Bytes)), Error: escape(c.Error)}
		if len(r.Captures) > 1 {
			hc.Facts += ", " + span(c.FirstSeen.UTC(), c.LastSeen.UTC())
		}
		if c.KernelReceived > 0 {
			hc.Facts += fmt.Sprintf("; kernel: %s received, %s dropped", count(c.KernelReceived), count(c.KernelDropped))
		}
		s.Captures = append(s.Captures, hc)
	}
	s.Facts = append(s.Facts, htmlFact{"Time span", span(t.FirstSeen.UTC(), t.LastSeen.UTC())})
	if r.Window != nil {
		s.Facts = append(s.Facts, htmlFact{"Window analysed", windowText(r.Window)})
	}
	s.Facts = append(s.Facts, htmlFact{"Traffic", fmt.Sprintf("%s, %s, %s", plural(t.Packets, "packet"), size(t.Bytes), plural(t.Flows, "flow"))})
	if t.Filter != "" {
		s.Facts = append(s.Facts, htmlFact{"Filter", fmt.Sprintf("%s kept %s of %s", escape(t.Filter), count(t.Packets-t.Filtered), plural(t.Packets, "packet"))})
	}
	if t.OutsideWindow > 0 {
		s.Facts = append(s.Facts, htmlFact{"Outside the window", plural(t.OutsideWindow, "frame") + ", counted, not analysed"})
	}
	if skipped := t.Packets - t.Filtered - t.OutsideWindow - t.Decoded; t.Packets >= t.Filtered+t.OutsideWindow+t.Decoded && skipped > 0 {
		s.Facts = append(s.Facts, htmlFact{"Not analysed", fmt.Sprintf("%s (%s)", plural(skipped, "frame"), escape(reasons(t.Undecodable)))})
	}
	if t.Evicted > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("flow table full: %s ended early (cap %s, raise --max-flows)", plural(t.Evicted, "flow"), count(uint64(t.MaxFlows))))
	}
	inv := "none (flows are summarised, not judged)"
	if r.Inventory != "" {
		inv = escape(r.Inventory)
	}
	s.Facts = append(s.Facts, htmlFact{"Inventory", inv}, htmlFact{"Catalog", escape(strings.Join(r.Catalogs, ", "))})
	for _, k := range htmlKinds {
		if k.Kind == "unanswered" {
			continue // not a verdict of its own in the totals
		}
		s.Verdicts = append(s.Verdicts, htmlVerdict{k.Kind, k.Label, k.Symbol, t.Verdicts[k.Kind]})
	}
	for _, w := range r.Warnings {
		s.Warnings = append(s.Warnings, escape(w))
	}
	return s
}

// counted returns "1 mismatch" or "4 mismatches".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(uint64(n)) + " " + many
}

// headline says the verdict in one sentence.
func headline(n map[string]int, warnings int) string {
	bad := n["unexpected"] + n["mismatch"] - warnings
	switch {
	case bad == 0 && warnings == 0 && n["missing"] == 0:
		return "Everything seen is what the catalog allows, and every catalog entry showed up."
	case bad == 0 && warnings == 0:
		return "Everything seen is what the catalog allows; some catalog entries never showed up."
	case bad == 0:
		return "Nothing the catalog forbids was seen, but some traffic deserves a look."
	}
	return fmt.Sprintf("%s the catalog does not allow, or that breaks what it asks for.", plural(uint64(bad), "finding"))
}

// importantFindings returns the findings worth telling in words:
// mismatches first, then unexpected services, facts before suspicions;
// missing entries are counted, not told.
func importantFindings(fs []analyzer.Finding) []*analyzer.Finding {
	var out []*analyzer.Finding
	for i := range fs {
		if fs[i].Kind != "missing" {
			out = append(out, &fs[i])
		}
	}
	rank := func(f *analyzer.Finding) int {
		r := 0
		if f.Kind != "mismatch" {
			r = 1
		}
		if f.Warning {
			r += 2
		}
		return r
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

func newHTMLTop(all []analyzer.Finding, f *analyzer.Finding) htmlTop {
	k := kindOf(f.Kind)
	t := htmlTop{Kind: k.Kind, Symbol: k.Symbol, Anchor: findingAnchor(findingIndex(all, f)), Who: escape(who(f.Host, f.Name))}
	what := f.Port + "/" + f.Transport
	if f.Protocol != "" {
		what += " (" + f.Protocol + ")"
	}
	what += ": " + findingWhy(f)
	what += fmt.Sprintf(". %s", plural(f.Flows, "flow"))
	if !f.FirstSeen.IsZero() {
		what += ", first at " + f.FirstSeen.UTC().Format("15:04:05") + " UTC"
	}
	t.What = escape(what)
	return t
}

func findingIndex(all []analyzer.Finding, f *analyzer.Finding) int {
	for i := range all {
		if &all[i] == f {
			return i
		}
	}
	return -1
}

func findingAnchor(i int) string { return "finding-" + strconv.Itoa(i) }

// findingWhy explains a finding as the text report does.
func findingWhy(f *analyzer.Finding) string {
	if f.Kind == "mismatch" {
		return "the catalog asks for " + f.Expected + "; " + f.Detail
	}
	return f.Detail
}

// who names a host: "pool01 (10.10.1.11)", or the address alone.
func who(addr, name string) string {
	if name == "" {
		return addr
	}
	return name + " (" + addr + ")"
}

// htmlRow is one row of a table: its kind for the filter, an anchor, and
// its cells.
type htmlRow struct {
	Kind   string
	Anchor string
	Hidden bool // hidden until the reader asks for its kind
	Cells  []htmlCell
}

// htmlCell is one table cell. Sort, when set, is what its column sorts by
// (a number, or a time as RFC 3339); Sub is a second, dimmer line; Class
// is "num" or "port" for cells that must not wrap. A cell with a Kind
// shows it as a badge with its symbol; Code marks bytes from packets.
type htmlCell struct {
	Text, Sub, Sort, Title string
	Class                  string
	Kind, Symbol           string
	Code                   bool
}

// The columns of the three tables.
var (
	findingColumns = []htmlColumnHead{{"kind", "Kind", false}, {"host", "Host", false}, {"port", "Port", false},
		{"protocol", "Protocol", false}, {"flows", "Flows", true}, {"first", "First seen", false}, {"last", "Last seen", false},
		{"why", "Why, and what the payload showed", false}, {"example", "Example flow and catalog", false}}
	serviceColumns = []htmlColumnHead{{"kind", "Verdict", false}, {"host", "Host", false}, {"roles", "Roles", false},
		{"port", "Port", false}, {"protocol", "Protocols", false}, {"flows", "Flows", true}, {"packets", "Packets", true},
		{"bytes", "Bytes", true}, {"peers", "Peers", true}, {"first", "First seen", false}, {"last", "Last seen", false},
		{"catalog", "Catalog and example", false}}
	unjudgedColumns = []htmlColumnHead{{"server", "Server", false}, {"port", "Port", false}, {"protocol", "Protocols", false},
		{"flows", "Flows", true}, {"packets", "Packets", true}, {"bytes", "Bytes", true}, {"clients", "Clients", true},
		{"first", "First seen", false}, {"last", "Last seen", false}}
)

// kindCell is the first cell of a row: its verdict as a badge.
func kindCell(kind string) htmlCell {
	k := kindOf(kind)
	return htmlCell{Text: escape(kind), Sort: strconv.Itoa(kindRank(kind)), Kind: k.Kind, Symbol: k.Symbol}
}

func findingRows(fs []analyzer.Finding) []htmlRow {
	rows := make([]htmlRow, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		kind := kindCell(f.Kind)
		if f.Warning {
			kind.Text += " (suspicion)"
		}
		protocol := htmlCell{Text: escape(f.Protocol)}
		if f.Expected != "" {
			protocol.Sub = "catalog: " + escape(f.Expected)
		}
		example := ""
		if f.Example != nil {
			example = exampleText(*f.Example)
		}
		rows = append(rows, htmlRow{Kind: kind.Kind, Anchor: findingAnchor(i), Hidden: kindOf(f.Kind).Hidden, Cells: []htmlCell{
			kind,
			{Text: escape(f.Host), Sub: escape(f.Name), Title: escape(strings.Join(f.Roles, ", "))},
			{Text: escape(f.Port) + "/" + escape(f.Transport), Sort: portSort(f.Port), Class: "port"},
			protocol,
			{Text: count(f.Flows), Sort: u64(f.Flows), Sub: size(f.Bytes), Class: "num"},
			timeCell(f.FirstSeen),
			timeCell(f.LastSeen),
			{Text: escape(findingWhy(f)), Sub: escape(f.Evidence), Code: f.Evidence != ""},
			{Text: escape(example), Sub: escape(refs(f.Catalog)), Title: escape(catalogTitle(f.Catalog))},
		}})
	}
	return rows
}

func serviceRows(hosts []analyzer.HostReport) []htmlRow {
	var rows []htmlRow
	for _, h := range hosts {
		host := htmlCell{Text: escape(h.Address), Sub: escape(h.Name), Title: escape(h.Line)}
		if !h.Seen {
			host.Sub = strings.TrimPrefix(host.Sub+" · not seen", " · ")
		}
		roles := htmlCell{Text: escape(strings.Join(h.Roles, ", "))}
		add := func(verdict, dir string, s analyzer.Service) {
			rows = append(rows, htmlRow{Kind: kindOf(verdict).Kind, Hidden: kindOf(verdict).Hidden, Cells: []htmlCell{
				kindCell(verdict),
				host, roles,
				{Text: dir + s.PortText() + "/" + escape(s.Transport), Sort: strconv.Itoa(int(s.Port)), Class: "port"},
				{Text: escape(strings.Join(s.Protocols, ", ")), Sub: escape(s.Confidence)},
				{Text: flowsText(s), Sort: u64(s.Flows), Class: "num"}, numCell(s.Packets, count), numCell(s.Bytes, size), numCell(uint64(s.Peers), count),
				timeCell(s.FirstSeen),
				timeCell(s.LastSeen),
				{Text: escape(catalogCell(s.Catalog)), Title: escape(catalogTitle(s.Catalog)), Sub: escape(exampleText(s.Example))},
			}})
		}
		for _, s := range h.Services {
			add(s.Verdict, "", s)
		}
		for _, s := range h.Connects {
			add(s.Verdict, "→", s)
		}
		for _, s := range h.Attempts {
			add("unanswered", "", s)
		}
		for _, m := range h.Missing {
			dir := ""
			if m.Side == "connect" {
				dir = "→"
			}
			rows = append(rows, htmlRow{Kind: "missing", Hidden: kindOf("missing").Hidden, Cells: []htmlCell{
				kindCell("missing"),
				host, roles,
				{Text: dir + escape(m.Port) + "/" + escape(m.Transport), Sort: portSort(m.Port), Class: "port"},
				{Text: escape(m.Protocol), Sub: "as published"},
				numCell(0, count), numCell(0, count), numCell(0, size), numCell(0, count),
				{}, {},
				{Text: escape(m.Ref + " " + m.Service), Title: escape(entryTitle(m))},
			}})
		}
	}
	return rows
}

func unjudgedRows(us []analyzer.Unjudged, top int) ([]htmlRow, int) {
	more := 0
	if len(us) > top {
		us, more = us[:top], len(us)-top
	}
	rows := make([]htmlRow, 0, len(us))
	for _, u := range us {
		rows = append(rows, htmlRow{Kind: "unjudged", Cells: []htmlCell{
			{Text: escape(u.Server)},
			{Text: strconv.Itoa(int(u.Port)) + "/" + escape(u.Transport), Sort: strconv.Itoa(int(u.Port)), Class: "port"},
			{Text: escape(strings.Join(u.Protocols, ", "))},
			numCell(u.Flows, count), numCell(u.Packets, count), numCell(u.Bytes, size), numCell(uint64(u.Clients), count),
			timeCell(u.FirstSeen),
			timeCell(u.LastSeen),
		}})
	}
	return rows, more
}

// numCell shows n formatted, sorting by its value.
func numCell(n uint64, format func(uint64) string) htmlCell {
	return htmlCell{Text: format(n), Sort: u64(n), Class: "num"}
}

// timeCell shows the time of day, sorting by (and titled with) the full
// time.
func timeCell(t time.Time) htmlCell {
	return htmlCell{Text: clock(t), Sort: stamp(t), Title: stamp(t)}
}

// kindRank orders verdicts by severity for sorting.
func kindRank(kind string) int {
	for i, k := range htmlKinds {
		if k.Kind == kind {
			return i
		}
	}
	return len(htmlKinds)
}

// portSort returns the first port of "5061" or "49152-65535", for sorting.
func portSort(port string) string {
	first, _, _ := strings.Cut(port, "-")
	if _, err := strconv.Atoi(first); err != nil {
		return ""
	}
	return first
}

// clock formats a time of day in UTC for table cells; the full time is
// the cell's title.
func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("15:04:05.000")
}

// catalogTitle describes catalog entries, one a line, for a tooltip.
func catalogTitle(es []analyzer.EntryRef) string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = entryTitle(e)
	}
	return strings.Join(lines, "\n")
}

// entryTitle describes one catalog entry: its ref, service, port and
// protocol as published, and its side.
func entryTitle(e analyzer.EntryRef) string {
	s := e.Ref
	if e.Service != "" {
		s += " · " + e.Service
	}
	s += " · " + e.Port + "/" + e.Transport
	if e.Protocol != "" {
		s += " · " + e.Protocol
	}
	if e.Side == "connect" {
		s += " · the host connects to it"
	}
	return s
}

// px formats a coordinate for SVG with one decimal at most.
func px(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}
