package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/spf13/pflag"
)

var diffCmd = &command{
	name:  "diff",
	usage: "diff [--format text|json|md] [--output FILE] BEFORE.json AFTER.json",
	short: "show what changed between two JSON reports",
	long: `Diff compares two reports that analyze wrote with --format json, such as
the reports of captures taken before and after a firewall change, and lists
what changed from the first to the second:

  services   a port or range a host served (or connected to, or was tried
             on without answering) that appeared or disappeared, or whose
             verdict changed (expected, unexpected, mismatch)
  findings   unexpected and mismatch findings that appeared or disappeared
  missing    catalog entries of a host that became missing, or were seen
             again

--format md writes Markdown for a change ticket; --format json writes the
schema lyncaudit.diff/1 (see docs/diff-merge.md).

Exit status: 0 when nothing changed, 1 when something did (as diff(1)
does), 2 on bad usage or a file that is not a lyncaudit report.`,
	setup: func() (*pflag.FlagSet, runFunc) {
		fs := newFlagSet("diff")
		var o diffOptions
		fs.StringVarP(&o.format, "format", "f", "text", "output format: text, json or md")
		fs.StringVarP(&o.output, "output", "o", "", "write to `FILE` instead of standard output")
		return fs, o.run
	},
}

type diffOptions struct {
	format string
	output string
}

// diffRenderers maps --format to the function writing a diff.
var diffRenderers = map[string]func(e *env, w io.Writer, d *analyzer.Diff) error{
	"text": renderDiffText, "json": renderJSON[*analyzer.Diff], "md": renderDiffMarkdown,
}

func (o *diffOptions) run(e *env, args []string) error {
	render, ok := diffRenderers[o.format]
	if !ok {
		return &usageError{fmt.Sprintf("unknown --format %q (want text, json or md)", o.format)}
	}
	if len(args) != 2 {
		return &usageError{"diff takes two reports: BEFORE.json AFTER.json"}
	}
	before, err := parseFile(args[0], analyzer.ReadReport)
	if err != nil {
		return err
	}
	after, err := parseFile(args[1], analyzer.ReadReport)
	if err != nil {
		return err
	}
	d := analyzer.DiffReports(before, after)
	d.Before.File, d.After.File = args[0], args[1]
	if err := writeOutput(e, o.output, func(w io.Writer) error { return render(e, w, d) }); err != nil {
		return err
	}
	if d.Summary.Changes > 0 {
		// Status 1 and no message, as diff(1): the output says it all.
		return &findingsError{d.Summary.Changes}
	}
	return nil
}

// renderDiffText writes the changes for a person at a terminal: the two
// reports, then a table per kind of change.
func renderDiffText(e *env, w io.Writer, d *analyzer.Diff) error {
	st := newStyles(e, w)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", st.title.Render("lyncaudit diff: "+escape(d.Before.File)+" → "+escape(d.After.File)))
	width := max(len(d.Before.File), len(d.After.File))
	for _, s := range []analyzer.DiffSide{d.Before, d.After} {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, escape(s.File), st.dim.Render(escape(diffSideFacts(s))))
	}
	if d.Summary.Changes == 0 {
		fmt.Fprintf(&b, "\n%s\n", st.title.Render("No change: the same services, findings and missing entries."))
		_, err := io.WriteString(w, b.String())
		return err
	}
	sm := d.Summary
	changeCell := func(change string) string {
		if change == analyzer.ChangeVerdict {
			return "changed"
		}
		return change
	}
	// The change column is red for the change that usually needs a look
	// (bad): a service gone, a finding or a missing entry new.
	cellStyle := func(changes []string, bad string) func(row, col int) lipgloss.Style {
		return func(row, col int) lipgloss.Style {
			switch {
			case col > 0:
				return st.cell
			case changes[row] == bad, changes[row] == analyzer.ChangeOneWay:
				return st.unexpected
			case changes[row] == analyzer.ChangeVerdict:
				return st.mismatch
			}
			return st.expected
		}
	}

	writeDiffHeading(&b, st, "Services:", []diffCount{{sm.ServicesDisappeared, "disappeared"}, {sm.ServicesAppeared, "appeared"}, {sm.VerdictsChanged, "changed verdict"}, {sm.OneWayChanged, "changed direction"}})
	if len(d.Services) > 0 {
		var rows [][]string
		var changes []string
		for _, c := range d.Services {
			rows = append(rows, []string{changeCell(c.Change), diffWho(c.Host, c.Name), diffPort(c.List, c.Port, c.Transport),
				strings.Join(c.Protocols, ","), diffVerdict(c), flowsOneWay(c.FlowsBefore, c.OneWayBefore) + " → " + flowsOneWay(c.FlowsAfter, c.OneWayAfter), strings.Join(c.Catalog, " ")})
			changes = append(changes, c.Change)
		}
		b.WriteString(indent(plainTable(st, []string{"CHANGE", "HOST", "PORT", "PROTOCOL", "VERDICT", "FLOWS", "CATALOG"}, rows, cellStyle(changes, analyzer.ChangeDisappeared)), "  "))
	}

	writeDiffHeading(&b, st, "Findings:", []diffCount{{sm.FindingsDisappeared, "disappeared"}, {sm.FindingsAppeared, "appeared"}})
	if len(d.Findings) > 0 {
		var rows [][]string
		var changes []string
		for _, c := range d.Findings {
			kind := c.Kind
			if c.Warning {
				kind += " (warning)"
			}
			rows = append(rows, []string{c.Change, kind, diffWho(c.Host, c.Name), c.Port + "/" + c.Transport, c.Protocol, count(c.Flows)})
			changes = append(changes, c.Change)
		}
		b.WriteString(indent(plainTable(st, []string{"CHANGE", "KIND", "HOST", "PORT", "PROTOCOL", "FLOWS"}, rows, cellStyle(changes, analyzer.ChangeAppeared)), "  "))
	}

	writeDiffHeading(&b, st, "Missing catalog entries:", []diffCount{{sm.MissingAppeared, "now missing"}, {sm.MissingDisappeared, "seen again"}})
	if len(d.Missing) > 0 {
		var rows [][]string
		var changes []string
		for _, c := range d.Missing {
			label := "seen again"
			if c.Change == analyzer.ChangeAppeared {
				label = "missing"
			}
			rows = append(rows, []string{label, diffWho(c.Host, c.Name), diffEntryPort(c.EntryRef), c.Ref, c.Service})
			changes = append(changes, c.Change)
		}
		b.WriteString(indent(plainTable(st, []string{"CHANGE", "HOST", "PORT", "CATALOG", "SERVICE"}, rows, cellStyle(changes, analyzer.ChangeAppeared)), "  "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// diffCount is a number of changes and what they are.
type diffCount struct {
	n    int
	what string
}

func writeDiffHeading(b *strings.Builder, st *styles, title string, counts []diffCount) {
	var parts []string
	for _, c := range counts {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(parts) == 0 {
		parts = []string{"no change"}
	}
	fmt.Fprintf(b, "\n%s %s\n", st.title.Render(title), strings.Join(parts, " · "))
}

// mdDiffSection writes one section of the Markdown diff: its title, then
// the table of its n changes, or a line saying there was none.
func mdDiffSection(b *strings.Builder, title, head string, n int, row func(i int) string) {
	fmt.Fprintf(b, "\n## %s\n\n", title)
	if n == 0 {
		b.WriteString("No change.\n")
		return
	}
	b.WriteString(head + "\n")
	for i := range n {
		b.WriteString(row(i) + "\n")
	}
}

// diffSideFacts sums up one of the two reports in a line.
func diffSideFacts(s analyzer.DiffSide) string {
	caps := plural(uint64(len(s.Captures)), "capture")
	if len(s.Captures) > 0 && len(s.Captures) <= 3 {
		caps += " (" + strings.Join(s.Captures, ", ") + ")"
	}
	packets := plural(s.Packets, "packet")
	if s.Window == nil {
		return fmt.Sprintf("%s, %s, %s, %s", caps, packets, plural(s.Flows, "flow"), span(s.FirstSeen, s.LastSeen))
	}
	// The packets and span are the captures'; the flows are the window's.
	return fmt.Sprintf("%s, %s (%s in the window %s), %s, %s", caps, packets, count(s.Packets-min(s.Outside, s.Packets)),
		windowText(s.Window), plural(s.Flows, "flow"), span(s.FirstSeen, s.LastSeen))
}

// diffNoun returns "1 service", "2 services", "3 catalog entries".
func diffNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// diffWho names a host as the reports do: "10.10.2.10 (dir01)".
func diffWho(host, name string) string {
	if name == "" {
		return host
	}
	return host + " (" + name + ")"
}

// diffPort shows a service's port as the reports do: connects with an
// arrow, attempts marked unanswered.
func diffPort(list, port, transport string) string {
	switch list {
	case "connects":
		return "→" + port + "/" + transport
	case "attempts":
		return port + "/" + transport + " unanswered"
	}
	return port + "/" + transport
}

func diffEntryPort(e analyzer.EntryRef) string {
	if e.Side == "connect" {
		return "→" + e.Port + "/" + e.Transport
	}
	return e.Port + "/" + e.Transport
}

// diffVerdict shows a service's verdict, or its change.
func diffVerdict(c analyzer.ServiceChange) string {
	switch c.Change {
	case analyzer.ChangeDisappeared:
		return c.VerdictBefore
	case analyzer.ChangeAppeared, analyzer.ChangeOneWay, analyzer.ChangeTwoWay:
		return c.VerdictAfter
	}
	return c.VerdictBefore + " → " + c.VerdictAfter
}

// renderDiffMarkdown writes the changes as Markdown, for a change ticket.
func renderDiffMarkdown(_ *env, w io.Writer, d *analyzer.Diff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lyncaudit diff\n\n")
	fmt.Fprintf(&b, "- Before: `%s`: %s\n", md(d.Before.File), md(diffSideFacts(d.Before)))
	fmt.Fprintf(&b, "- After: `%s`: %s\n", md(d.After.File), md(diffSideFacts(d.After)))
	sm := d.Summary
	var parts []string
	for _, c := range []struct {
		n           int
		noun, after string
	}{
		{sm.ServicesDisappeared, "service", "disappeared"}, {sm.ServicesAppeared, "service", "appeared"}, {sm.VerdictsChanged, "service", "changed verdict"}, {sm.OneWayChanged, "service", "changed direction"},
		{sm.FindingsDisappeared, "finding", "disappeared"}, {sm.FindingsAppeared, "finding", "appeared"},
		{sm.MissingAppeared, "catalog entry", "now missing"}, {sm.MissingDisappeared, "catalog entry", "seen again"},
	} {
		if c.n > 0 {
			parts = append(parts, diffNoun(c.n, c.noun)+" "+c.after)
		}
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Fprintf(&b, "- Changes: %s\n", strings.Join(parts, ", "))

	mdDiffSection(&b, "Services", "| Change | Host | Port | Protocol | Verdict | Flows before | Flows after | Catalog |\n|---|---|---|---|---|---:|---:|---|", len(d.Services), func(i int) string {
		c := d.Services[i]
		change := c.Change
		switch change {
		case analyzer.ChangeVerdict:
			change = "changed verdict"
		case analyzer.ChangeOneWay, analyzer.ChangeTwoWay:
			change = "went " + change
		}
		return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", change, md(diffWho(c.Host, c.Name)), md(diffPort(c.List, c.Port, c.Transport)),
			md(strings.Join(c.Protocols, ", ")), md(diffVerdict(c)), flowsOneWay(c.FlowsBefore, c.OneWayBefore), flowsOneWay(c.FlowsAfter, c.OneWayAfter), md(strings.Join(c.Catalog, ", ")))
	})
	mdDiffSection(&b, "Findings", "| Change | Kind | Host | Port | Protocol | Flows | Why |\n|---|---|---|---|---|---:|---|", len(d.Findings), func(i int) string {
		c := d.Findings[i]
		kind := c.Kind
		if c.Warning {
			kind += " (warning)"
		}
		return fmt.Sprintf("| %s | %s | %s | %s | %s | %d | %s |", c.Change, md(kind), md(diffWho(c.Host, c.Name)), md(c.Port+"/"+c.Transport),
			md(c.Protocol), c.Flows, md(c.Detail))
	})
	mdDiffSection(&b, "Missing catalog entries", "| Change | Host | Port | Catalog | Service |\n|---|---|---|---|---|", len(d.Missing), func(i int) string {
		c := d.Missing[i]
		change := "seen again"
		if c.Change == analyzer.ChangeAppeared {
			change = "now missing"
		}
		return fmt.Sprintf("| %s | %s | %s | %s | %s |", change, md(diffWho(c.Host, c.Name)), md(diffEntryPort(c.EntryRef)), md(c.Ref), md(c.Service))
	})
	_, err := io.WriteString(w, b.String())
	return err
}
