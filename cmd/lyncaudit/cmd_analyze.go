package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/analyzer/filter"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
	"github.com/spf13/pflag"
)

var analyzeCmd = &command{
	name:  "analyze",
	usage: "analyze [--inventory FILE] [--format text|json|csv|md|html] [--output FILE] [--flows] [--since T] [--until T] [--evidence FILE] CAPTURE...",
	short: "check saved captures against the catalog",
	long: `Analyze reads packet captures (pcap or pcapng, either gzip-compressed;
"-" reads standard input), follows every TCP and UDP flow, and judges each
service that an inventory host served against the port catalog:

  expected    the catalog lists the port for one of the host's roles
  unexpected  it does not
  missing     a catalog entry of the host's roles that no flow matched

Flows whose server is not in the inventory are summarised, not judged.
Several captures are analysed as one run, in the order given, so a ring
buffer's files can be passed together.

The inventory is a text file, one line per address, CIDR or range
(10.1.0.11-10.1.0.13), then one or more role ids and an optional name=LABEL;
# starts a comment. For example:

  10.10.1.11-10.10.1.13  frontend mediation  name=pool01
  10.10.1.13             cms mediation       name=pool01-cms
  10.20.0.0/24           client

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 on
bad usage or bad input (a file that is not a capture, a truncated capture,
a bad inventory line). A truncated capture is analysed up to the damage and
the report says so.`,
	setup: func() (*pflag.FlagSet, runFunc) {
		fs := newFlagSet("analyze")
		o := analyzeOptions{cfg: analyzer.NewConfig()}
		fs.StringVar(&o.inventory, "inventory", "", "inventory `FILE` of hosts and their roles")
		fs.StringArrayVar(&o.catalogs, "catalog", nil, "add or override catalog entries from `FILE` (repeatable)")
		fs.StringVarP(&o.format, "format", "f", "text", "report format: text, json, csv, md or html")
		fs.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` instead of standard output")
		fs.StringVar(&o.filter, "filter", "", "analyse only packets matching this tcpdump `EXPRESSION` (host, net, port, portrange, src, dst, tcp, udp, ip, ip6, vlan, and, or, not)")
		fs.BoolVar(&o.cfg.KeepFlows, "flows", false, "include every flow in the report (json, csv, text)")
		fs.StringVar(&o.evidence, "evidence", "", "write the packets of every flow behind an unexpected or mismatch finding to this pcapng `FILE`, each commented with its finding")
		fs.IntVar(&o.evidencePackets, "evidence-packets", 0, "with --evidence, at most `N` packets per flow (0: all)")
		fs.StringVar(&o.failOn, "fail-on", "unexpected", "exit 1 when a finding of this kind or worse is found: missing, unexpected, mismatch or none")
		fs.IntVar(&o.cfg.MaxFlows, "max-flows", o.cfg.MaxFlows, "cap on live flows; beyond it the longest idle flow is ended early")
		fs.StringVar(&o.since, "since", "", "analyse only packets from this `TIME` on: RFC 3339, or a time of day (10:40) on the capture's date, local time")
		fs.StringVar(&o.until, "until", "", "analyse only packets before this `TIME` (as --since)")
		fs.DurationVar(&o.cfg.Bucket, "bucket", 0, "timeline bucket length, e.g. 1m (default: at most 240 buckets over the capture)")
		fs.IntVar(&o.cfg.Workers, "workers", runtime.NumCPU(), "goroutines the flows are spread over (the report is the same for any number)")
		fs.DurationVar(&o.cfg.TCPIdle, "tcp-timeout", o.cfg.TCPIdle, "end a TCP flow idle this long")
		fs.DurationVar(&o.cfg.UDPIdle, "udp-timeout", o.cfg.UDPIdle, "end a UDP flow idle this long")
		return fs, o.run
	},
}

type analyzeOptions struct {
	cfg       analyzer.Config
	inventory string
	catalogs  []string
	format    string
	output    string
	failOn    string
	filter    string
	since     string
	until     string
	evidence  string
	// evidencePackets caps the packets per flow --evidence writes.
	evidencePackets int
}

// renderers maps --format to the function writing the report.
var renderers = map[string]func(e *env, w io.Writer, r *analyzer.Report) error{
	"text": renderText, "json": renderJSON[*analyzer.Report], "csv": renderCSV, "md": renderMarkdown, "html": renderHTML,
}

func (o *analyzeOptions) run(e *env, args []string) error {
	render, err := o.check(args)
	if err != nil {
		return err
	}
	if o.filter != "" {
		if o.cfg.Filter, err = filter.Compile(o.filter); err != nil {
			return &usageError{err.Error()}
		}
	}
	if o.cfg.Catalog, err = loadCatalog(o.catalogs); err != nil {
		return err
	}
	if o.inventory != "" {
		if o.cfg.Inventory, err = parseFile(o.inventory, rules.ParseInventory); err != nil {
			return err
		}
	}
	if err := o.window(args); err != nil {
		return err
	}
	cfg := o.cfg
	cfg.KeepFlows = o.cfg.KeepFlows || o.evidence != "" // evidence finds its packets by the flow records
	rep, readErrs, err := analyzeCaptures(e, cfg, args)
	if err != nil {
		return err
	}
	rep.Inventory = o.inventory
	rep.Catalogs = append([]string{"builtin"}, o.catalogs...)
	if o.evidence != "" {
		if err := writeEvidence(e, o.evidence, rep, args, o.evidencePackets); err != nil {
			return err
		}
		if !o.cfg.KeepFlows {
			rep.Flows = nil
		}
	}
	if err := writeOutput(e, o.output, func(w io.Writer) error { return render(e, w, rep) }); err != nil {
		return err
	}
	if len(readErrs) > 0 {
		return &inputError{joinErrors(readErrs)}
	}
	if n := failing(rep, o.failOn); n > 0 {
		return &findingsError{n}
	}
	return nil
}

// analyzeCaptures opens every capture, then reads them in order into one
// engine and returns its report. Reading errors (a truncated file) do not
// stop the run: they are returned beside the report of what was read.
func analyzeCaptures(e *env, cfg analyzer.Config, names []string) (*analyzer.Report, []error, error) {
	readers, err := openCaptures(e, names)
	if err != nil {
		return nil, nil, err
	}
	setMemoryBudget(e, cfg.MaxFlows)
	eng := analyzer.NewEngine(cfg)
	var readErrs []error
	for i, rd := range readers {
		src := newProgress(e, rd, i, len(readers))
		if err := eng.Read(src); err != nil {
			readErrs = append(readErrs, err)
		}
		src.done()
		rd.Close()
		if err := checkLinkTypes(rd); err != nil {
			readErrs = append(readErrs, err)
		}
	}
	rep := eng.Report()
	rep.Generator = "lyncaudit " + version
	return rep, readErrs, nil
}

// check validates the flags and arguments before any file is opened.
func (o *analyzeOptions) check(args []string) (func(*env, io.Writer, *analyzer.Report) error, error) {
	render, ok := renderers[o.format]
	if !ok {
		return nil, &usageError{fmt.Sprintf("unknown --format %q (want text, json, csv, md or html)", o.format)}
	}
	if _, ok := failRank(o.failOn); !ok {
		return nil, &usageError{fmt.Sprintf("unknown --fail-on %q (want missing, unexpected, mismatch or none)", o.failOn)}
	}
	if len(args) == 0 {
		return nil, &usageError{"no capture files given"}
	}
	stdin := 0
	for _, a := range args {
		if a == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, &usageError{`standard input ("-") can be read only once`}
	}
	if o.cfg.MaxFlows < 1 {
		return nil, &usageError{"--max-flows must be at least 1"}
	}
	if o.cfg.Workers < 1 {
		return nil, &usageError{"--workers must be at least 1"}
	}
	if o.cfg.TCPIdle <= 0 || o.cfg.UDPIdle <= 0 {
		return nil, &usageError{"timeouts must be positive"}
	}
	if o.evidencePackets < 0 {
		return nil, &usageError{"--evidence-packets cannot be negative"}
	}
	if o.evidence == "-" && (o.output == "" || o.output == "-") {
		return nil, &usageError{"--evidence - and the report would both go to standard output: give the report --output FILE"}
	}
	if o.evidence != "" && stdin > 0 {
		return nil, &usageError{"--evidence reads the captures a second time, which standard input cannot be: save it to a file first"}
	}
	return render, nil
}

// writeEvidence writes the evidence pcapng of rep to name, reading the
// captures again, and says on standard error how many packets it holds.
func writeEvidence(e *env, name string, rep *analyzer.Report, captures []string, perFlow int) error {
	var out io.Writer = e.stdout
	var f *os.File
	if name != "-" {
		var err error
		if f, err = os.Create(name); err != nil {
			return &inputError{err}
		}
		out = f
	}
	bw := bufio.NewWriter(out)
	n, err := analyzer.WriteEvidence(bw, rep, captures, perFlow)
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return &inputError{fmt.Errorf("--evidence %s: %w", name, err)}
	}
	fmt.Fprintf(e.stderr, "lyncaudit: %s written to %s\n", plural(uint64(n), "evidence packet"), escape(name))
	return nil
}

// openCaptures opens every capture before any is read, so that a bad
// file name or a file that is not a capture stops the run before it
// starts.
func openCaptures(e *env, names []string) ([]*capture.Reader, error) {
	var rs []*capture.Reader
	fail := func(err error) ([]*capture.Reader, error) {
		for _, r := range rs {
			r.Close()
		}
		return nil, &inputError{err}
	}
	for _, name := range names {
		var r *capture.Reader
		var err error
		if name == "-" {
			r, err = capture.NewReader(e.stdin, "standard input")
		} else {
			r, err = capture.Open(name)
		}
		if err != nil {
			return fail(err)
		}
		rs = append(rs, r)
		if err := checkLinkTypes(r); err != nil {
			return fail(err)
		}
	}
	return rs, nil
}

// checkLinkTypes fails a capture none of whose declared link types can be
// decoded: every packet would be skipped, which is a wrong file, not
// traffic to count.
func checkLinkTypes(r *capture.Reader) error {
	lts := r.LinkTypes()
	if len(lts) == 0 {
		return nil
	}
	var names []string
	for _, lt := range lts {
		if decoders.Supported(lt) {
			return nil
		}
		names = append(names, fmt.Sprintf("%d (%s)", int(lt), lt))
	}
	return fmt.Errorf("%s: link type %s not supported (lyncaudit reads Ethernet, Linux SLL/SLL2, raw IP and BSD loopback)", r.Name(), strings.Join(names, ", "))
}

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("%w (and %d more errors)", errs[0], len(errs)-1)
}

// failRank returns the rank of a --fail-on value; findings of that rank or
// higher fail the run.
func failRank(kind string) (int, bool) {
	switch kind {
	case "missing":
		return 1, true
	case "unexpected":
		return 2, true
	case "mismatch":
		return 3, true
	case "none":
		return 99, true
	}
	return 0, false
}

// failing counts the findings that reach --fail-on. Warnings (a TLS 1.3
// handshake hiding a client certificate) never fail a run.
func failing(r *analyzer.Report, failOn string) int {
	min, _ := failRank(failOn)
	n := 0
	for _, f := range r.Findings {
		if rank, _ := failRank(f.Kind); rank >= min && !f.Warning {
			n++
		}
	}
	return n
}

// progress reports how far reading has got on standard error, when that
// is a terminal, at most a few times a second.
type progress struct {
	*capture.Reader
	e        *env
	on       bool
	i, n     int
	packets  int64
	start    time.Time
	shown    time.Time
	lastLine int
}

func newProgress(e *env, r *capture.Reader, i, n int) *progress {
	return &progress{Reader: r, e: e, on: e.isTerminal(e.stderr), i: i, n: n, start: time.Now()}
}

// Next passes packets through, checking the clock every 64k packets.
func (p *progress) Next(pk *capture.Packet) error {
	err := p.Reader.Next(pk)
	p.packets++
	if p.on && p.packets&0xffff == 0 {
		p.tick()
	}
	return err
}

func (p *progress) tick() {
	now := time.Now()
	if now.Sub(p.shown) < 250*time.Millisecond || now.Sub(p.start) < time.Second {
		return
	}
	p.shown = now
	read := p.BytesRead()
	line := fmt.Sprintf("reading %s (%d/%d): %s packets, %s", escape(p.Name()), p.i+1, p.n, count(uint64(p.packets)), size(uint64(read)))
	if sz := p.Size(); sz > 0 {
		line += fmt.Sprintf(" of %s (%.0f%%)", size(uint64(sz)), 100*float64(read)/float64(sz))
	}
	if secs := now.Sub(p.start).Seconds(); secs > 0 {
		line += fmt.Sprintf(", %s/s", size(uint64(float64(read)/secs)))
	}
	fmt.Fprintf(p.e.stderr, "\r%-*s", p.lastLine, line)
	p.lastLine = len(line)
}

// done clears the progress line.
func (p *progress) done() {
	if p.on && p.lastLine > 0 {
		fmt.Fprintf(p.e.stderr, "\r%*s\r", p.lastLine, "")
	}
}

var _ analyzer.Source = (*progress)(nil)

// setMemoryBudget tells the garbage collector how much memory the run
// should need: a base for buffers and the report, and a budget per flow
// the table may hold. Without it the heap may grow to twice what is live
// before a collection, and a flood of flows would take twice the memory
// its cap allows. GOMEMLIMIT, when set, wins.
func setMemoryBudget(e *env, maxFlows int) {
	if e.getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(int64(128<<20) + int64(maxFlows)*bytesPerFlow)
}

// bytesPerFlow is the memory budgeted per flow the table may hold: a flow
// costs about 170 bytes live, and the collector needs room to work.
const bytesPerFlow = 256

// window resolves --since and --until; a time of day takes its date from
// the first capture's first packet.
func (o *analyzeOptions) window(args []string) error {
	var ts []timeArg
	for _, f := range [][2]string{{"since", o.since}, {"until", o.until}} {
		if f[1] == "" {
			ts = append(ts, timeArg{})
			continue
		}
		a, err := parseTimeArg(f[0], f[1])
		if err != nil {
			return err
		}
		ts = append(ts, a)
	}
	var first time.Time
	if ts[0].isOfDay || ts[1].isOfDay {
		t, err := firstPacketTime(args[0])
		if err != nil {
			return &inputError{err}
		}
		first = t
	}
	if ts[0].text != "" {
		o.cfg.Since = ts[0].resolve(first)
	}
	if ts[1].text != "" {
		o.cfg.Until = ts[1].resolve(first)
	}
	if !o.cfg.Since.IsZero() && !o.cfg.Until.IsZero() && !o.cfg.Until.After(o.cfg.Since) {
		return &usageError{fmt.Sprintf("--until %s is not after --since %s", o.cfg.Until.UTC().Format(time.RFC3339), o.cfg.Since.UTC().Format(time.RFC3339))}
	}
	if o.cfg.Bucket < 0 {
		return &usageError{"--bucket cannot be negative"}
	}
	return nil
}
