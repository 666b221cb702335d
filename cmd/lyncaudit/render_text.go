package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/rules"
)

// textWidth is where the missing-entry lists wrap.
const textWidth = 100

// renderText writes the report for a person at a terminal: the run, then
// per role the hosts with their services and verdicts, then the findings
// and the servers outside the inventory.
func renderText(e *env, w io.Writer, r *analyzer.Report) error {
	st := newStyles(e, w)
	var b strings.Builder
	writeRunSummary(&b, st, r)
	for _, g := range groupByRoles(r.Hosts) {
		fmt.Fprintf(&b, "\n%s\n", st.section.Render(g.title))
		for _, h := range g.hosts {
			writeHost(&b, st, h)
		}
	}
	writeFindingSummary(&b, st, r)
	writeTimeline(&b, st, r)
	writeUnjudged(&b, st, r.Unjudged, 10)
	if r.Flows != nil {
		writeFlows(&b, st, r.Flows)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRunSummary(b *strings.Builder, st *styles, r *analyzer.Report) {
	t := r.Totals
	fmt.Fprintf(b, "%s\n", st.title.Render(fmt.Sprintf("lyncaudit: %s, %s, %s, %s",
		plural(uint64(len(r.Captures)), "capture"), plural(t.Packets, "packet"), size(t.Bytes), plural(t.Flows, "flow"))))
	for _, c := range r.Captures {
		facts := fmt.Sprintf("%s, %s, %s", c.Format, plural(c.Packets, "packet"), span(c.FirstSeen, c.LastSeen))
		if c.KernelReceived > 0 {
			facts += fmt.Sprintf("; kernel: %s received, %s dropped", count(c.KernelReceived), count(c.KernelDropped))
		}
		fmt.Fprintf(b, "  %s  %s\n", escape(c.Name), st.dim.Render(facts))
	}
	if t.Filter != "" {
		fmt.Fprintf(b, "  %s\n", st.dim.Render(fmt.Sprintf("filter %q kept %s of %s", t.Filter, count(t.Packets-t.Filtered), plural(t.Packets, "packet"))))
	}
	if w := r.Window; w != nil {
		fmt.Fprintf(b, "  %s\n", st.dim.Render(fmt.Sprintf("window %s; %s outside it not analysed", windowText(w), plural(t.OutsideWindow, "frame"))))
	}
	if skipped := t.Packets - t.Filtered - t.OutsideWindow - t.Decoded; skipped > 0 {
		fmt.Fprintf(b, "  %s\n", st.dim.Render(fmt.Sprintf("not analysed: %s (%s)", plural(skipped, "frame"), reasons(t.Undecodable))))
	}
	if t.Evicted > 0 {
		fmt.Fprintf(b, "  %s\n", st.warn.Render(fmt.Sprintf("flow table full: %s ended early (cap %s, raise --max-flows)", plural(t.Evicted, "flow"), count(uint64(t.MaxFlows)))))
	}
	inv := "none (flows are summarised, not judged)"
	if r.Inventory != "" {
		inv = escape(r.Inventory)
	}
	fmt.Fprintf(b, "  %s\n", st.dim.Render("inventory "+inv+" · catalog "+escape(strings.Join(r.Catalogs, ", "))))
	for _, wn := range r.Warnings {
		fmt.Fprintf(b, "  %s\n", st.warn.Render("warning: "+escape(wn)))
	}
}

// reasons lists undecodable counts, largest first.
func reasons(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + count(m[k])
	}
	return strings.Join(parts, ", ")
}

type hostGroup struct {
	title string
	hosts []analyzer.HostReport
}

// groupByRoles groups hosts by their set of roles, in role order.
func groupByRoles(hosts []analyzer.HostReport) []hostGroup {
	var groups []hostGroup
	index := map[string]int{}
	for _, h := range hosts {
		key := strings.Join(h.Roles, ",")
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, hostGroup{title: rolesTitle(h.Roles)})
		}
		groups[i].hosts = append(groups[i].hosts, h)
	}
	sort.SliceStable(groups, func(i, j int) bool { return roleOrder(groups[i].hosts[0].Roles) < roleOrder(groups[j].hosts[0].Roles) })
	return groups
}

func rolesTitle(ids []string) string {
	titles := make([]string, len(ids))
	for i, id := range ids {
		titles[i] = id
		if r, ok := rules.ParseRole(id); ok {
			titles[i] = r.Title()
		}
	}
	return strings.Join(titles, " + ") + " (" + strings.Join(ids, ", ") + ")"
}

func roleOrder(ids []string) int {
	if len(ids) == 0 {
		return 1 << 10
	}
	r, _ := rules.ParseRole(ids[0])
	return int(r)<<5 + len(ids)
}

func writeHost(b *strings.Builder, st *styles, h analyzer.HostReport) {
	head := st.host.Render(escape(h.Address))
	if h.Name != "" {
		head += " " + escape(h.Name)
	}
	facts := "inventory " + escape(h.Line)
	switch {
	case !h.Seen:
		facts += " · not seen in the capture"
	case h.Addresses > 0:
		facts += " · " + plural(uint64(h.Addresses), "address") + " seen"
	}
	fmt.Fprintf(b, "  %s  %s\n", head, st.dim.Render(facts))
	var rows [][]string
	var verdicts []string
	add := func(verdict, port string, s analyzer.Service) {
		rows = append(rows, []string{verdict, port, strings.Join(s.Protocols, ","), flowsText(s), count(uint64(s.Peers)), catalogCell(s.Catalog)})
		verdicts = append(verdicts, verdict)
	}
	for _, s := range h.Services {
		add(s.Verdict, s.PortText()+"/"+s.Transport, s)
	}
	for _, s := range h.Connects {
		add("expected", "→"+s.PortText()+"/"+s.Transport, s)
	}
	for _, s := range h.Attempts {
		add("unanswered", s.PortText()+"/"+s.Transport, s)
	}
	if len(rows) > 0 {
		t := plainTable(st, []string{"VERDICT", "PORT", "PROTOCOL", "FLOWS", "PEERS", "CATALOG"}, rows, func(row, col int) lipgloss.Style {
			if col == 0 {
				return st.verdict(verdicts[row])
			}
			return st.r.NewStyle()
		})
		b.WriteString(indent(t, "    "))
	}
	if len(h.Missing) > 0 {
		items := make([]string, len(h.Missing))
		for i, m := range h.Missing {
			arrow := ""
			if m.Side == "connect" {
				arrow = "→"
			}
			items[i] = arrow + m.Port + "/" + m.Transport + " " + m.Ref
		}
		label := st.missing.Render("missing (" + strconv.Itoa(len(h.Missing)) + "):")
		b.WriteString(wrapList("    ", label, items, textWidth))
	}
}

// catalogCell cites the first catalog entry and counts the rest.
func catalogCell(refs []analyzer.EntryRef) string {
	if len(refs) == 0 {
		return "—"
	}
	s := refs[0].Ref
	if refs[0].Service != "" {
		s += " " + refs[0].Service
	}
	if len(refs) > 1 {
		s += fmt.Sprintf(" (+%d)", len(refs)-1)
	}
	return s
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// wrapList writes label and items separated by ", ", wrapped at width.
func wrapList(prefix, label string, items []string, width int) string {
	var b strings.Builder
	line := prefix + label
	n := len(prefix) + lipgloss.Width(label)
	for i, it := range items {
		it = escape(it)
		if i < len(items)-1 {
			it += ","
		}
		if n+1+len(it) > width && n > len(prefix)+lipgloss.Width(label) {
			b.WriteString(line + "\n")
			line, n = prefix+"  ", len(prefix)+2
		}
		line += " " + it
		n += 1 + len(it)
	}
	b.WriteString(line + "\n")
	return b.String()
}

func writeFindingSummary(b *strings.Builder, st *styles, r *analyzer.Report) {
	counts := map[string]int{}
	for _, f := range r.Findings {
		counts[f.Kind]++
	}
	var parts []string
	for _, k := range []string{"mismatch", "unexpected", "missing"} {
		if counts[k] > 0 {
			parts = append(parts, st.verdict(k).Render(fmt.Sprintf("%d %s", counts[k], k)))
		}
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Fprintf(b, "\n%s %s\n", st.title.Render("Findings:"), strings.Join(parts, " · "))
	for _, f := range r.Findings {
		if f.Kind == "missing" {
			continue
		}
		who := f.Host
		if f.Name != "" {
			who += " (" + f.Name + ")"
		}
		line := fmt.Sprintf("%s %s/%s %s: %s, %s → %s", who, f.Port, f.Transport, f.Protocol, plural(f.Flows, "flow"), stamp(f.FirstSeen), stamp(f.LastSeen))
		if f.Example != nil {
			line += fmt.Sprintf(", e.g. %s:%d → %s:%d", f.Example.Client, f.Example.ClientPort, f.Example.Server, f.Example.ServerPort)
		}
		label := f.Kind
		if f.Warning {
			label = "warning"
		}
		fmt.Fprintf(b, "  %s %s\n", st.verdict(f.Kind).Render(label), escape(line))
		why := f.Detail
		if f.Kind == "mismatch" {
			why = "the catalog asks for " + f.Expected + "; " + f.Detail
		}
		fmt.Fprintf(b, "    %s\n", st.dim.Render(escape(why)))
		if f.Evidence != "" {
			fmt.Fprintf(b, "    %s\n", st.dim.Render("evidence: "+escape(f.Evidence)))
		}
	}
}

func writeUnjudged(b *strings.Builder, st *styles, us []analyzer.Unjudged, top int) {
	if len(us) == 0 {
		return
	}
	var flows uint64
	for _, u := range us {
		flows += u.Flows
	}
	fmt.Fprintf(b, "\n%s %s\n", st.title.Render("Servers outside the inventory:"),
		st.dim.Render(fmt.Sprintf("%s, %s (not judged)", plural(uint64(len(us)), "service"), plural(flows, "flow"))))
	var rows [][]string
	for i, u := range us {
		if i == top {
			rows = append(rows, []string{"…", fmt.Sprintf("%d more", len(us)-top), "", "", ""})
			break
		}
		rows = append(rows, []string{u.Server, fmt.Sprintf("%d/%s", u.Port, u.Transport), strings.Join(u.Protocols, ","), count(u.Flows), count(uint64(u.Clients))})
	}
	b.WriteString(indent(plainTable(st, []string{"SERVER", "PORT", "PROTOCOL", "FLOWS", "CLIENTS"}, rows, nil), "  "))
}

func writeFlows(b *strings.Builder, st *styles, fs []analyzer.FlowRecord) {
	fmt.Fprintf(b, "\n%s\n", st.title.Render(fmt.Sprintf("Flows (%d):", len(fs))))
	rows := make([][]string, len(fs))
	for i, f := range fs {
		rows[i] = []string{stamp(f.FirstSeen), fmt.Sprintf("%s:%d", f.Client, f.ClientPort), fmt.Sprintf("%s:%d", f.Server, f.ServerPort),
			f.Transport, f.Protocol, f.Verdict, count(f.Packets), count(f.Bytes), f.End}
	}
	b.WriteString(indent(plainTable(st, []string{"FIRST SEEN", "CLIENT", "SERVER", "TRANSPORT", "PROTOCOL", "VERDICT", "PACKETS", "BYTES", "END"}, rows, nil), "  "))
}
