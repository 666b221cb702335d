package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// alertLine formats an alert for a person, on one line.
func alertLine(st *styles, a analyzer.Alert) string {
	who := a.Host
	if a.Name != "" {
		who += " (" + a.Name + ")"
	}
	line := fmt.Sprintf("%s %s %d/%s %s ← %s:%d", a.Time.UTC().Format("15:04:05"), who, a.Port, a.Transport, a.Protocol, a.Client, a.ClientPort)
	if a.Kind == "mismatch" {
		line += ": the catalog asks for " + a.Expected + "; " + a.Reason
	}
	label := a.Kind
	if a.Warning {
		label = "warning"
	}
	return st.verdict(a.Kind).Render("ALERT "+label) + " " + escape(line)
}

// roleCounts are one role group's verdict counts so far.
type roleCounts struct {
	Hosts      int `json:"hosts"`
	Expected   int `json:"expected"`
	Unexpected int `json:"unexpected"`
	Mismatch   int `json:"mismatch"`
	Missing    int `json:"missing"`
}

// liveSummary is the periodic line of --format jsonl.
type liveSummary struct {
	Type     string                `json:"type"` // "summary"
	Time     time.Time             `json:"time"` // capture time of the latest packet
	Packets  uint64                `json:"packets"`
	Bytes    uint64                `json:"bytes"`
	Flows    uint64                `json:"flows"`
	Dropped  uint64                `json:"kernel_dropped"`
	Evicted  uint64                `json:"evicted"`
	Verdicts map[string]int        `json:"verdicts"`
	Roles    map[string]roleCounts `json:"roles"`
}

func summaryOf(r *analyzer.Report) liveSummary {
	s := liveSummary{Type: "summary", Time: r.Totals.LastSeen, Packets: r.Totals.Packets, Bytes: r.Totals.Bytes,
		Flows: r.Totals.Flows, Evicted: r.Totals.Evicted, Verdicts: r.Totals.Verdicts, Roles: map[string]roleCounts{}}
	for _, c := range r.Captures {
		s.Dropped += c.KernelDropped
	}
	for _, g := range groupByRoles(r.Hosts) {
		s.Roles[strings.Join(g.hosts[0].Roles, "+")] = countRole(g.hosts)
	}
	return s
}

func countRole(hosts []analyzer.HostReport) roleCounts {
	c := roleCounts{Hosts: len(hosts)}
	for _, h := range hosts {
		for _, s := range h.Services {
			switch s.Verdict {
			case "expected":
				c.Expected++
			case "unexpected":
				c.Unexpected++
			case "mismatch":
				c.Mismatch++
			}
		}
		c.Missing += len(h.Missing)
	}
	return c
}

// summaryLine is the periodic line of plain text output.
func summaryLine(r *analyzer.Report) string {
	s := summaryOf(r)
	v := r.Totals.Verdicts
	return fmt.Sprintf("%s packets %s (kernel drops %s) flows %s · expected %d unexpected %d mismatch %d missing %d",
		stamp(r.Totals.LastSeen), count(s.Packets), count(s.Dropped), count(s.Flows), v["expected"], v["unexpected"], v["mismatch"], v["missing"])
}

// dashboard draws the terminal view of a live run.
func dashboard(st *styles, r *analyzer.Report, recent []analyzer.Alert) string {
	var b strings.Builder
	s := summaryOf(r)
	var ifaces []string
	for _, c := range r.Captures {
		ifaces = append(ifaces, fmt.Sprintf("%s (%s received, %s dropped)", c.Name, count(c.KernelReceived), count(c.KernelDropped)))
	}
	fmt.Fprintf(&b, "%s\n", st.title.Render("lyncaudit live: "+escape(strings.Join(ifaces, ", "))))
	fmt.Fprintf(&b, "%s\n\n", st.dim.Render(fmt.Sprintf("%s packets · %s · %s flows · %s evicted · latest packet %s",
		count(s.Packets), size(s.Bytes), count(s.Flows), count(s.Evicted), stamp(r.Totals.LastSeen))))
	var rows [][]string
	for _, g := range groupByRoles(r.Hosts) {
		c := countRole(g.hosts)
		rows = append(rows, []string{strings.Join(g.hosts[0].Roles, "+"), count(uint64(c.Hosts)), count(uint64(c.Expected)), count(uint64(c.Unexpected)), count(uint64(c.Mismatch)), count(uint64(c.Missing))})
	}
	if len(rows) > 0 {
		b.WriteString(plainTable(st, []string{"ROLE", "HOSTS", "EXPECTED", "UNEXPECTED", "MISMATCH", "MISSING"}, rows, nil) + "\n")
	}
	writeTopTalkers(&b, st, r, 5)
	if len(recent) > 0 {
		fmt.Fprintf(&b, "\n%s\n", st.title.Render("Latest alerts:"))
		for _, a := range recent {
			fmt.Fprintf(&b, "  %s\n", alertLine(st, a))
		}
	}
	return b.String()
}

// writeTopTalkers lists the servers that carried the most bytes.
func writeTopTalkers(b *strings.Builder, st *styles, r *analyzer.Report, n int) {
	type talker struct {
		who   string
		bytes uint64
		flows uint64
	}
	var ts []talker
	for _, h := range r.Hosts {
		t := talker{who: h.Address + " " + h.Name}
		for _, s := range h.Services {
			t.bytes += s.Bytes
			t.flows += s.Flows
		}
		if t.bytes > 0 {
			ts = append(ts, t)
		}
	}
	for _, u := range r.Unjudged {
		ts = append(ts, talker{who: fmt.Sprintf("%s %d/%s (not in the inventory)", u.Server, u.Port, u.Transport), bytes: u.Bytes, flows: u.Flows})
	}
	slices.SortFunc(ts, func(x, y talker) int { return cmp.Or(cmp.Compare(y.bytes, x.bytes), cmp.Compare(x.who, y.who)) })
	if len(ts) > n {
		ts = ts[:n]
	}
	if len(ts) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", st.title.Render("Top talkers (servers, by bytes):"))
	var rows [][]string
	for _, t := range ts {
		rows = append(rows, []string{strings.TrimSpace(t.who), size(t.bytes), count(t.flows)})
	}
	b.WriteString(indent(plainTable(st, []string{"SERVER", "BYTES", "FLOWS"}, rows, nil), "  "))
}
