package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// renderMarkdown writes the report as Markdown, to paste into a change
// ticket or a post-mortem: the run, the findings, then every host.
func renderMarkdown(_ *env, w io.Writer, r *analyzer.Report) error {
	var b strings.Builder
	t := r.Totals
	fmt.Fprintf(&b, "# lyncaudit report\n\n")
	fmt.Fprintf(&b, "- Captures: %s\n", mdCaptures(r.Captures))
	fmt.Fprintf(&b, "- Traffic: %s, %s, %s (%s)\n", plural(t.Packets, "packet"), size(t.Bytes), plural(t.Flows, "flow"), span(t.FirstSeen, t.LastSeen))
	if t.Filter != "" {
		fmt.Fprintf(&b, "- Filter: `%s` kept %s of %s\n", md(t.Filter), count(t.Packets-t.Filtered), plural(t.Packets, "packet"))
	}
	if w := r.Window; w != nil {
		fmt.Fprintf(&b, "- Window: %s; %s outside it not analysed\n", windowText(w), plural(t.OutsideWindow, "frame"))
	}
	if skipped := t.Packets - t.Filtered - t.OutsideWindow - t.Decoded; skipped > 0 {
		fmt.Fprintf(&b, "- Not analysed: %s (%s)\n", plural(skipped, "frame"), reasons(t.Undecodable))
	}
	if t.Evicted > 0 {
		fmt.Fprintf(&b, "- Flow table full: %s ended early (cap %s)\n", plural(t.Evicted, "flow"), count(uint64(t.MaxFlows)))
	}
	inv := "none"
	if r.Inventory != "" {
		inv = "`" + md(r.Inventory) + "`"
	}
	fmt.Fprintf(&b, "- Inventory: %s; catalog: %s\n", inv, md(strings.Join(r.Catalogs, ", ")))
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "- **Warning:** %s\n", md(wn))
	}
	writeMDFindings(&b, r.Findings)
	writeMDTimeline(&b, r)
	fmt.Fprintf(&b, "\n## Hosts\n")
	for _, h := range r.Hosts {
		writeMDHost(&b, h)
	}
	if len(r.Unjudged) > 0 {
		fmt.Fprintf(&b, "\n## Servers outside the inventory\n\n| Server | Port | Protocol | Flows | Clients |\n|---|---|---|---:|---:|\n")
		for _, u := range r.Unjudged {
			fmt.Fprintf(&b, "| %s | %d/%s | %s | %d | %d |\n", u.Server, u.Port, u.Transport, md(strings.Join(u.Protocols, ", ")), u.Flows, u.Clients)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCaptures(cs []analyzer.CaptureInfo) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = "`" + md(c.Name) + "` (" + c.Format + ")"
	}
	return strings.Join(names, ", ")
}

func writeMDFindings(b *strings.Builder, fs []analyzer.Finding) {
	fmt.Fprintf(b, "\n## Findings\n\n")
	if len(fs) == 0 {
		fmt.Fprintf(b, "None.\n")
		return
	}
	fmt.Fprintf(b, "| Kind | Host | Port | Protocol | Flows | First seen | Last seen | Why | Catalog / example |\n|---|---|---|---|---:|---|---|---|---|\n")
	for _, f := range fs {
		host := f.Host
		if f.Name != "" {
			host += " (" + f.Name + ")"
		}
		evidence := refs(f.Catalog)
		if f.Example != nil {
			evidence = exampleText(*f.Example)
		}
		why := f.Detail
		if f.Kind == "mismatch" {
			why = "asks for " + f.Expected + "; " + f.Detail
		}
		kind := f.Kind
		if f.Warning {
			kind += " (warning)"
		}
		fmt.Fprintf(b, "| %s | %s | %s/%s | %s | %d | %s | %s | %s | %s |\n", kind, md(host), f.Port, f.Transport, md(f.Protocol), f.Flows,
			stamp(f.FirstSeen), stamp(f.LastSeen), md(why), md(evidence))
	}
}

func writeMDHost(b *strings.Builder, h analyzer.HostReport) {
	title := h.Address
	if h.Name != "" {
		title += " " + h.Name
	}
	fmt.Fprintf(b, "\n### %s\n\nRoles: %s; inventory `%s`", md(title), strings.Join(h.Roles, ", "), md(h.Line))
	if !h.Seen {
		fmt.Fprintf(b, "; not seen in the capture")
	}
	fmt.Fprintf(b, "\n\n| Verdict | Port | Protocol | Flows | Peers | Catalog |\n|---|---|---|---:|---:|---|\n")
	row := func(verdict, port string, s analyzer.Service) {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d | %s |\n", verdict, port, md(strings.Join(s.Protocols, ", ")), flowsText(s), s.Peers, md(catalogCell(s.Catalog)))
	}
	for _, s := range h.Services {
		row(s.Verdict, s.PortText()+"/"+s.Transport, s)
	}
	for _, s := range h.Connects {
		row("expected", "→"+s.PortText()+"/"+s.Transport, s)
	}
	for _, s := range h.Attempts {
		row("unanswered", s.PortText()+"/"+s.Transport, s)
	}
	for _, m := range h.Missing {
		fmt.Fprintf(b, "| missing | %s/%s | %s | 0 | 0 | %s %s |\n", m.Port, m.Transport, md(m.Protocol), m.Ref, md(m.Service))
	}
}

// md escapes text for a Markdown table cell and strips control characters.
func md(s string) string {
	s = escape(s)
	r := strings.NewReplacer("|", `\|`, "`", "'", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`)
	return r.Replace(s)
}

// mdTimelineRows is the most rows the Markdown timeline has: longer
// timelines merge neighbouring buckets.
const mdTimelineRows = 30

// writeMDTimeline writes the timeline as a table: per stretch of time the
// packets, the busiest protocols, and the findings that started in it.
func writeMDTimeline(b *strings.Builder, r *analyzer.Report) {
	tl := r.Timeline
	if tl == nil || len(tl.Buckets) == 0 {
		return
	}
	per := (len(tl.Buckets) + mdTimelineRows - 1) / mdTimelineRows
	dur := time.Duration(float64(per) * tl.BucketSeconds * float64(time.Second))
	fmt.Fprintf(b, "\n## Timeline\n\nRows of %s, UTC.\n\n| From | Packets | Bytes | Busiest protocols | Unanswered TCP | One-way UDP | New findings |\n|---|---:|---:|---|---:|---:|---|\n", dur)
	for i := 0; i < len(tl.Buckets); i += per {
		row := analyzer.Timeline{BucketSeconds: tl.BucketSeconds, Buckets: tl.Buckets[i:min(i+per, len(tl.Buckets))]}
		var packets, bytes, unanswered, oneWay uint64
		var started []string
		for _, bk := range row.Buckets {
			packets += bk.Packets
			bytes += bk.Bytes
			unanswered += bk.Unanswered
			oneWay += bk.OneWay
			for _, fi := range bk.Findings {
				f := r.Findings[fi]
				started = append(started, fmt.Sprintf("%s %s/%s on %s", f.Kind, f.Port, f.Transport, f.Host))
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", row.Buckets[0].Start.UTC().Format("15:04:05"), count(packets), size(bytes),
			md(strings.Join(busiestProtocols(&row, 3), ", ")), count(unanswered), count(oneWay), md(strings.Join(started, "; ")))
	}
}
