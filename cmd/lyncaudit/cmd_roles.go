package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/analyzer/filter"
	"github.com/spf13/pflag"
)

var rolesCmd = &command{
	name:  "roles",
	usage: "roles [--format text|inventory|json] [--output FILE] CAPTURE...",
	short: "guess each server's roles from captures and draft an inventory",
	long: `Roles analyses packet captures without an inventory and guesses, for each
address that answered, which Lync roles it holds, from the services it
answered on and what their payload was. It explains each guess and drafts
an inventory file to check, edit and pass to "lyncaudit analyze --inventory".

Every role set the catalog knows (each role, and the combinations its
entries name: frontend+mediation, frontend+cms, frontend-lb+mediation-lb)
is scored. A set's distinctive services are its single-port listen entries,
leaving out media ranges and SQL Browser (1434), which every server has. A
host earns a point for each distinctive service it answered on with the
payload the catalog asks for, half a point with another payload, and loses
a point for each service the set does not allow; load balancer sets lose
one more when the host opened connections (a virtual IP does not call).
Share is the points over the set's distinctive services.

The best set is the guess when it rests on two distinctive services or
more, allows at least half of the host's services, and no other set with
the same score has two thirds of its share. Otherwise a host that answered
only on client ports is an ip-phone when it showed a Lync Phone Edition
user agent, and a client when it called a port the catalog's clients call
(5061, 443, 3478, DHCP) or three peers or more. Any other host is ambiguous
(443 alone fits Office Web Apps and every web load balancer) or, with no
catalog service at all, an unknown server; neither gets a line in the
draft, where ambiguous hosts are suggested in comments. One host at most
keeps cms: the one replicas reached on 445.

--format text (the default) prints the explanations, then the draft;
--format inventory prints only the draft; --format json prints the model.`,
	setup: func() (*pflag.FlagSet, runFunc) {
		fs := newFlagSet("roles")
		o := rolesOptions{cfg: analyzer.NewConfig()}
		fs.StringVarP(&o.format, "format", "f", "text", "output format: text, inventory or json")
		fs.StringVarP(&o.output, "output", "o", "", "write to `FILE` instead of standard output")
		fs.StringArrayVar(&o.catalogs, "catalog", nil, "add or override catalog entries from `FILE` (repeatable)")
		fs.StringVar(&o.filter, "filter", "", "analyse only packets matching this tcpdump `EXPRESSION`")
		fs.IntVar(&o.cfg.MaxFlows, "max-flows", o.cfg.MaxFlows, "cap on live flows; beyond it the longest idle flow is ended early")
		fs.IntVar(&o.cfg.Workers, "workers", runtime.NumCPU(), "goroutines the flows are spread over")
		return fs, o.run
	},
}

type rolesOptions struct {
	cfg      analyzer.Config
	format   string
	output   string
	catalogs []string
	filter   string
}

// The text report and the draft list at most maxListed hosts of a kind
// (the json model has them all) and maxPorts ports of a host.
const (
	maxListed = 40
	maxPorts  = 16
)

// rolesRenderers maps --format to the function writing the inference.
var rolesRenderers = map[string]func(e *env, w io.Writer, r *analyzer.RoleReport) error{
	"text": renderRolesText, "inventory": renderRolesInventory, "json": renderJSON[*analyzer.RoleReport],
}

func (o *rolesOptions) run(e *env, args []string) error {
	render, ok := rolesRenderers[o.format]
	switch {
	case !ok:
		return &usageError{fmt.Sprintf("unknown --format %q (want text, inventory or json)", o.format)}
	case len(args) == 0:
		return &usageError{"no capture files given"}
	case o.cfg.MaxFlows < 1:
		return &usageError{"--max-flows must be at least 1"}
	case o.cfg.Workers < 1:
		return &usageError{"--workers must be at least 1"}
	}
	var err error
	if o.filter != "" {
		if o.cfg.Filter, err = filter.Compile(o.filter); err != nil {
			return &usageError{err.Error()}
		}
	}
	if o.cfg.Catalog, err = loadCatalog(o.catalogs); err != nil {
		return err
	}
	// Every flow is kept: answered ports and the peers a host called come
	// from the flow records.
	o.cfg.KeepFlows = true
	rep, readErrs, err := analyzeCaptures(e, o.cfg, args)
	if err != nil {
		return err
	}
	rep.Catalogs = append([]string{"builtin"}, o.catalogs...)
	inf := analyzer.InferRoles(rep, o.cfg.Catalog)
	if err := writeOutput(e, o.output, func(w io.Writer) error { return render(e, w, inf) }); err != nil {
		return err
	}
	if len(readErrs) > 0 {
		return &inputError{joinErrors(readErrs)}
	}
	return nil
}

// renderRolesText writes the guesses grouped by kind, each with its
// evidence, then the draft inventory.
func renderRolesText(e *env, w io.Writer, r *analyzer.RoleReport) error {
	st := newStyles(e, w)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", st.title.Render(fmt.Sprintf("lyncaudit roles: %s, %s, %s",
		plural(uint64(len(r.Captures)), "capture"), plural(r.Flows, "flow"), plural(uint64(len(r.Hosts)), "address"))))
	for _, c := range r.Captures {
		fmt.Fprintf(&b, "  %s  %s\n", escape(c.Name), st.dim.Render(fmt.Sprintf("%s, %s, %s", c.Format, plural(c.Packets, "packet"), span(c.FirstSeen, c.LastSeen))))
	}
	fmt.Fprintf(&b, "  %s\n", st.dim.Render("catalog "+escape(strings.Join(r.Catalogs, ", "))))
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "  %s\n", st.warn.Render("warning: "+escape(wn)))
	}
	for _, sec := range []struct {
		title string
		kinds []string
		write func(*strings.Builder, *styles, analyzer.RoleGuess)
	}{
		{"Servers", []string{analyzer.GuessServer}, writeServerGuess},
		{"Clients and phones", []string{analyzer.GuessClient, analyzer.GuessPhone}, writeClientGuess},
		{"Ambiguous: the services do not settle the roles", []string{analyzer.GuessAmbiguous}, writeAmbiguousGuess},
		{"Unknown servers: no role fits", []string{analyzer.GuessUnknown}, writeUnknownGuess},
	} {
		var gs []analyzer.RoleGuess
		for _, g := range r.Hosts {
			if slices.Contains(sec.kinds, g.Kind) {
				gs = append(gs, g)
			}
		}
		if len(gs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", st.section.Render(fmt.Sprintf("%s (%d)", sec.title, len(gs))))
		for _, g := range gs[:min(len(gs), maxListed)] {
			sec.write(&b, st, g)
		}
		if n := len(gs) - maxListed; n > 0 {
			fmt.Fprintf(&b, "%s\n", st.dim.Render(fmt.Sprintf("and %s more (--format json lists them all)", count(uint64(n)))))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", st.section.Render("Draft inventory (--format inventory prints it alone)"))
	writeDraft(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeServerGuess(b *strings.Builder, st *styles, g analyzer.RoleGuess) {
	c := g.Candidates[0]
	fmt.Fprintf(b, "%s  %s\n", st.host.Render(g.Address), strings.Join(g.Roles, " "))
	fmt.Fprintf(b, "    %s\n", st.dim.Render(fmt.Sprintf("score %s: %s points for %d of %d distinctive services, %d not allowed; share %.2f",
		scoreText(c.Score), scoreText(c.Points), len(c.Served), c.Distinctive, len(c.Disallowed), c.Share)))
	var served []string
	for _, se := range c.Served {
		served = append(served, servedEntryText(se))
	}
	writeRoleList(b, "served", served, st.expected)
	writeRoleList(b, "not allowed", servedTexts(c.Disallowed), st.unexpected)
	writeRoleList(b, "also allowed", servedTexts(alsoAllowed(g, c)), st.cell)
	var lacks []string
	for _, ref := range c.Lacks {
		if len(lacks) == 0 || lacks[len(lacks)-1] != ref.Port+"/"+ref.Transport {
			lacks = append(lacks, ref.Port+"/"+ref.Transport)
		}
	}
	writeRoleList(b, "lacks", lacks, st.missing)
	for _, next := range g.Candidates[1:] {
		writeRoleList(b, "next best", []string{roleSetText(next)}, st.dim)
	}
}

func writeClientGuess(b *strings.Builder, st *styles, g analyzer.RoleGuess) {
	fmt.Fprintf(b, "%s  %s  %s\n", st.host.Render(g.Address), g.Kind, st.dim.Render(g.Why))
	writeRoleList(b, "answered", servedTexts(g.Services), st.cell)
}

func writeAmbiguousGuess(b *strings.Builder, st *styles, g analyzer.RoleGuess) {
	var sets []string
	for _, c := range g.Candidates {
		sets = append(sets, roleSetText(c))
	}
	fmt.Fprintf(b, "%s  %s\n", st.host.Render(g.Address), st.dim.Render(g.Why))
	writeRoleList(b, "answered", servedTexts(g.Services), st.cell)
	writeRoleList(b, "could be", sets, st.cell)
}

func writeUnknownGuess(b *strings.Builder, st *styles, g analyzer.RoleGuess) {
	fmt.Fprintf(b, "%s  %s\n", st.host.Render(g.Address), strings.Join(servedTexts(g.Services), " · "))
}

// writeRoleList writes a labelled list of items, wrapped at textWidth.
func writeRoleList(b *strings.Builder, label string, items []string, style lipgloss.Style) {
	if len(items) == 0 {
		return
	}
	const indent = "    "
	prefix := fmt.Sprintf("%s%-13s", indent, label)
	line, width := prefix, len(prefix)
	for i, it := range items {
		sep := ""
		if i < len(items)-1 {
			sep = " ·"
		}
		if width > len(prefix) && width+1+len(it)+len(sep) > textWidth {
			b.WriteString(line + "\n")
			line, width = strings.Repeat(" ", len(prefix)), len(prefix)
		}
		if width > len(prefix) {
			line += " "
			width++
		}
		line += style.Render(it) + sep
		width += len(it) + len(sep)
	}
	b.WriteString(line + "\n")
}

// servedEntryText writes a distinctive service as "5061/tcp tls", saying
// what the catalog asked for when the payload was something else.
func servedEntryText(se analyzer.ServedEntry) string {
	s := strconv.Itoa(int(se.Port)) + "/" + se.Transport
	if len(se.Protocols) > 0 {
		s += " " + strings.Join(se.Protocols, ",")
	}
	if se.Points < 1 {
		s += " (not what the catalog asks)"
	}
	return s
}

// servedTexts writes the first maxPorts of ps as "5061/tcp tls".
func servedTexts(ps []analyzer.ServedPort) []string {
	out := make([]string, 0, min(len(ps), maxPorts)+1)
	for _, p := range ps[:min(len(ps), maxPorts)] {
		s := strconv.Itoa(int(p.Port)) + "/" + p.Transport
		if len(p.Protocols) > 0 {
			s += " " + strings.Join(p.Protocols, ",")
		}
		out = append(out, s)
	}
	if n := len(ps) - maxPorts; n > 0 {
		out = append(out, "and "+count(uint64(n))+" more")
	}
	return out
}

// alsoAllowed returns the services of g that c allows without counting
// them: media ports and those every server has.
func alsoAllowed(g analyzer.RoleGuess, c analyzer.RoleCandidate) []analyzer.ServedPort {
	type key struct {
		port uint16
		t    string
	}
	counted := map[key]bool{}
	for _, se := range c.Served {
		counted[key{se.Port, se.Transport}] = true
	}
	for _, p := range c.Disallowed {
		counted[key{p.Port, p.Transport}] = true
	}
	var out []analyzer.ServedPort
	for _, p := range g.Services {
		if !counted[key{p.Port, p.Transport}] {
			out = append(out, p)
		}
	}
	return out
}

func roleSetText(c analyzer.RoleCandidate) string {
	return fmt.Sprintf("%s (score %s, share %.2f)", strings.Join(c.Roles, "+"), scoreText(c.Score), c.Share)
}

// scoreText formats a score, which counts halves: "4", "1.5", "-0.5".
func scoreText(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// renderRolesInventory writes only the draft inventory.
func renderRolesInventory(_ *env, w io.Writer, r *analyzer.RoleReport) error {
	var b strings.Builder
	writeDraft(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDraft writes the draft inventory in the format rules.ParseInventory
// reads: the named guesses as lines, ambiguous hosts as commented-out
// suggestions, and unknown servers in a comment.
func writeDraft(b *strings.Builder, r *analyzer.RoleReport) {
	var names []string
	for _, c := range r.Captures {
		names = append(names, oneLine(c.Name))
	}
	from := strings.Join(names, ", ")
	if len(names) > 3 {
		from = plural(uint64(len(names)), "capture")
	}
	fmt.Fprintf(b, "# Draft inventory inferred by lyncaudit roles from %s.\n", from)
	b.WriteString("# Each line is a guess from the services the capture showed: check it,\n# then pass the file to lyncaudit analyze --inventory.\n")
	for _, l := range r.Draft {
		fmt.Fprintf(b, "%-26s %-26s # %s\n", l.Spec, strings.Join(l.Roles, " "), l.Note)
	}
	var amb, unknown []analyzer.RoleGuess
	for _, g := range r.Hosts {
		switch g.Kind {
		case analyzer.GuessAmbiguous:
			amb = append(amb, g)
		case analyzer.GuessUnknown:
			unknown = append(unknown, g)
		}
	}
	if len(amb) > 0 {
		b.WriteString("\n# Ambiguous: keep the right roles and remove the leading \"#\".\n")
		for _, g := range amb[:min(len(amb), maxListed)] {
			c := g.Candidates
			why := "on weak evidence"
			if len(c) > 1 {
				others := make([]string, 0, len(c)-1)
				for _, o := range c[1:] {
					others = append(others, strings.Join(o.Roles, "+"))
				}
				why = "or " + strings.Join(others, ", ")
			}
			fmt.Fprintf(b, "#%-25s %-26s # %s: %s\n", g.Address, strings.Join(c[0].Roles, " "), why, servedPortList(g.Services))
		}
		writeMore(b, len(amb))
	}
	if len(unknown) > 0 {
		b.WriteString("\n# No role fits these servers; they are left out:\n")
		for _, g := range unknown[:min(len(unknown), maxListed)] {
			fmt.Fprintf(b, "#   %-22s %s\n", g.Address, servedPortList(g.Services))
		}
		writeMore(b, len(unknown))
	}
}

// writeMore notes in a comment the hosts beyond maxListed of n.
func writeMore(b *strings.Builder, n int) {
	if n > maxListed {
		fmt.Fprintf(b, "#   and %s more (lyncaudit roles --format json lists them all)\n", count(uint64(n-maxListed)))
	}
}

// servedPortList writes ports as "1433/tcp, 1434/udp", the first
// maxPorts of them.
func servedPortList(ps []analyzer.ServedPort) string {
	ss := make([]string, 0, min(len(ps), maxPorts)+1)
	for _, p := range ps[:min(len(ps), maxPorts)] {
		ss = append(ss, strconv.Itoa(int(p.Port))+"/"+p.Transport)
	}
	if n := len(ps) - maxPorts; n > 0 {
		ss = append(ss, "and "+count(uint64(n))+" more")
	}
	return strings.Join(ss, ", ")
}
