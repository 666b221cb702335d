package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/analyzer/filter"
	"github.com/lyncaudit/lyncaudit/rules"
	"github.com/spf13/pflag"
)

var liveCmd = &command{
	name:  "live",
	usage: "live -i IFACE [-i IFACE…] [--inventory FILE] [--filter EXPR] [--interval 10s] [--duration D] [--count N] [--format text|json|jsonl] [--output FILE]",
	short: "watch interfaces (a SPAN port) and judge traffic as it happens",
	long: `Live captures on one or more interfaces (AF_PACKET, promiscuous, full
frames) and judges the traffic with the same engine as analyze. Every
--interval it shows where things stand: on a terminal a dashboard per role
(expected services seen, unexpected, mismatches, missing so far; packet and
kernel drop counters; top talkers), elsewhere a summary line. An unexpected
or mismatched service is alerted the moment a flow shows it, once per host,
port and protocol; with --format jsonl every alert, summary and the final
report is one JSON object per line, for a SIEM.

It stops on SIGINT or SIGTERM, after --duration or after --count packets,
and then writes the final report (what analyze would write for the same
packets) before it exits. SIGHUP reloads the inventory and catalog files
without losing flows.

Capturing needs root or the CAP_NET_RAW capability; --user drops to another
user once the sockets are open. --filter takes the same tcpdump expressions
as analyze; the kernel drops what it safely can, and the rest is filtered
exactly in user space.

Exit status: as analyze: 0, 1 when a finding reaches --fail-on, 2 on bad
usage or input (no permission, no such interface, a bad inventory).`,
	setup: func() (*pflag.FlagSet, runFunc) {
		fs := newFlagSet("live")
		o := liveOptions{cfg: analyzer.NewConfig()}
		fs.StringArrayVarP(&o.ifaces, "interface", "i", nil, "capture on `IFACE` (repeatable)")
		fs.StringVar(&o.inventory, "inventory", "", "inventory `FILE` of hosts and their roles")
		fs.StringArrayVar(&o.catalogs, "catalog", nil, "add or override catalog entries from `FILE` (repeatable)")
		fs.StringVar(&o.filter, "filter", "", "capture only packets matching this tcpdump `EXPRESSION`")
		fs.DurationVar(&o.interval, "interval", 10*time.Second, "how often to redraw the dashboard or print a summary")
		fs.DurationVar(&o.duration, "duration", 0, "stop after this long (default: until SIGINT or SIGTERM)")
		fs.Int64Var(&o.count, "count", 0, "stop after this many packets")
		fs.StringVarP(&o.format, "format", "f", "text", "output format: text, json or jsonl")
		fs.StringVarP(&o.output, "output", "o", "", "write the final report (and with jsonl everything) to `FILE`")
		fs.BoolVar(&o.cfg.KeepFlows, "flows", false, "include every flow in the final report")
		fs.StringVar(&o.failOn, "fail-on", "unexpected", "exit 1 when a finding of this kind or worse is found: missing, unexpected, mismatch or none")
		fs.IntVar(&o.cfg.MaxFlows, "max-flows", o.cfg.MaxFlows, "cap on live flows; beyond it the longest idle flow is ended early")
		fs.DurationVar(&o.cfg.TCPIdle, "tcp-timeout", o.cfg.TCPIdle, "end a TCP flow idle this long")
		fs.DurationVar(&o.cfg.UDPIdle, "udp-timeout", o.cfg.UDPIdle, "end a UDP flow idle this long")
		fs.IntVar(&o.ringMB, "ring-mb", 64, "kernel ring size per interface, in MiB")
		fs.BoolVar(&o.noPromisc, "no-promisc", false, "do not put the interfaces in promiscuous mode")
		fs.StringVar(&o.user, "user", "", "drop to this `USER` once the sockets are open")
		return fs, o.run
	},
}

type liveOptions struct {
	cfg       analyzer.Config
	ifaces    []string
	inventory string
	catalogs  []string
	filter    string
	interval  time.Duration
	duration  time.Duration
	count     int64
	format    string
	output    string
	failOn    string
	ringMB    int
	noPromisc bool
	user      string
}

func (o *liveOptions) check() error {
	switch {
	case len(o.ifaces) == 0:
		return &usageError{"no interface given (-i IFACE)"}
	case o.format != "text" && o.format != "json" && o.format != "jsonl":
		return &usageError{fmt.Sprintf("unknown --format %q (want text, json or jsonl)", o.format)}
	case o.interval <= 0:
		return &usageError{"--interval must be positive"}
	case o.duration < 0 || o.count < 0:
		return &usageError{"--duration and --count cannot be negative"}
	case o.cfg.MaxFlows < 1:
		return &usageError{"--max-flows must be at least 1"}
	}
	if _, ok := failRank(o.failOn); !ok {
		return &usageError{fmt.Sprintf("unknown --fail-on %q (want missing, unexpected, mismatch or none)", o.failOn)}
	}
	return nil
}

// loadRules reads the catalog and inventory files, as at start and on SIGHUP.
func (o *liveOptions) loadRules() (*rules.Catalog, *rules.Inventory, error) {
	cat, err := loadCatalog(o.catalogs)
	if err != nil {
		return nil, nil, err
	}
	var inv *rules.Inventory
	if o.inventory != "" {
		if inv, err = parseFile(o.inventory, rules.ParseInventory); err != nil {
			return nil, nil, err
		}
	}
	return cat, inv, nil
}

func (o *liveOptions) run(e *env, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q (interfaces are given with -i)", args[0])}
	}
	if err := o.check(); err != nil {
		return err
	}
	var err error
	if o.cfg.Catalog, o.cfg.Inventory, err = o.loadRules(); err != nil {
		return err
	}
	if o.filter != "" {
		if o.cfg.Filter, err = filter.Compile(o.filter); err != nil {
			return &usageError{err.Error()}
		}
	}
	srcs, err := openLive(o)
	if err != nil {
		return &inputError{err}
	}
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	if o.user != "" {
		if err := dropPrivileges(o.user); err != nil {
			return &inputError{err}
		}
	}
	out, closeOut, err := openOutput(e, o.output)
	if err != nil {
		return err
	}
	defer closeOut()
	w := newLiveWriter(e, o, out)
	// The filter runs in the sources, where the kernel's view of VLAN tags
	// is known; the engine sees what they keep.
	cfg := o.cfg
	cfg.Filter = nil
	cfg.OnAlert = w.alert
	s := &session{o: o, eng: analyzer.NewEngine(cfg), srcs: srcs, w: w}
	w.note("capturing on " + strings.Join(o.ifaces, ", "))
	rep := s.run()
	if err := w.final(rep); err != nil {
		return err
	}
	if n := failing(rep, o.failOn); n > 0 {
		return &findingsError{n}
	}
	return nil
}

// openLive opens every interface, or none.
func openLive(o *liveOptions) ([]*capture.Live, error) {
	var srcs []*capture.Live
	lo := capture.LiveOptions{RingMB: o.ringMB, Promiscuous: !o.noPromisc}
	if o.cfg.Filter != nil { // a nil *Filter in the interface would not be nil
		lo.Filter = o.cfg.Filter
	}
	for _, name := range o.ifaces {
		l, err := capture.OpenLive(name, lo)
		if err != nil {
			for _, s := range srcs {
				s.Close()
			}
			return nil, err
		}
		srcs = append(srcs, l)
	}
	return srcs, nil
}

// openOutput returns where the final report goes.
func openOutput(e *env, name string) (io.Writer, func(), error) {
	if name == "" || name == "-" {
		return e.stdout, func() {}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, nil, &inputError{err}
	}
	return f, func() { f.Close() }, nil
}

// session is one live run: the engine, shared by one reader goroutine per
// interface under a mutex, and the clock and signals that end it.
type session struct {
	o    *liveOptions
	eng  *analyzer.Engine
	srcs []*capture.Live
	w    *liveWriter

	mu      sync.Mutex // guards eng, packets and failed
	packets int64
	failed  int // readers that stopped on an error
	stop    chan struct{}
	once    sync.Once
}

func (s *session) halt() { s.once.Do(func() { close(s.stop) }) }

// run captures until a stop condition and returns the final report.
func (s *session) run() *analyzer.Report {
	s.stop = make(chan struct{})
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	var wg sync.WaitGroup
	for _, src := range s.srcs {
		i := s.eng.AddSource(src.Name(), src.Format(), src.LinkTypes())
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.read(i, src)
		}()
	}
	tick := time.NewTicker(s.o.interval)
	defer tick.Stop()
	var deadline <-chan time.Time
	if s.o.duration > 0 {
		deadline = time.After(s.o.duration)
	}
loop:
	for {
		select {
		case <-s.stop:
			break loop
		case <-deadline:
			break loop
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				s.reload()
				continue
			}
			break loop
		case <-tick.C:
			s.mu.Lock()
			s.stats()
			snap := s.eng.Snapshot()
			s.mu.Unlock()
			s.w.periodic(snap)
		}
	}
	s.halt()
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats()
	return s.eng.Report()
}

// read feeds one interface's packets to the engine until the session stops.
func (s *session) read(i int, src *capture.Live) {
	var p capture.Packet
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		err := src.Next(&p)
		if errors.Is(err, capture.ErrTimeout) {
			continue
		}
		if err != nil {
			// One interface failing ends its reader, not the run; the
			// run ends when none is left.
			s.w.warn(fmt.Errorf("stopped reading: %w", err))
			s.mu.Lock()
			s.failed++
			all := s.failed == len(s.srcs)
			s.mu.Unlock()
			if all {
				s.halt()
			}
			return
		}
		s.mu.Lock()
		s.eng.PacketFrom(i, &p)
		s.packets++
		done := s.o.count > 0 && s.packets >= s.o.count
		s.mu.Unlock()
		if done {
			s.halt()
			return
		}
	}
}

// stats copies the kernel's counters into the engine's report. The caller
// holds s.mu.
func (s *session) stats() {
	for i, src := range s.srcs {
		st, err := src.Stats()
		if err != nil {
			s.w.warn(err)
			continue
		}
		s.eng.SetSourceStats(i, st.Received, st.Dropped, st.Filtered)
	}
}

// reload reads the inventory and catalog again; a bad file keeps the old
// rules and says why.
func (s *session) reload() {
	cat, inv, err := s.o.loadRules()
	if err != nil {
		s.w.warn(fmt.Errorf("reload refused, keeping the previous rules: %w", err))
		return
	}
	s.mu.Lock()
	s.eng.Reload(cat, inv)
	s.mu.Unlock()
	s.w.note("reloaded the inventory and catalog")
}

// liveWriter prints alerts, periodic views and the final report in the
// chosen format.
type liveWriter struct {
	e      *env
	o      *liveOptions
	out    io.Writer // the final report (and with jsonl, everything)
	term   bool      // stdout is a terminal showing the dashboard
	st     *styles
	mu     sync.Mutex
	recent []analyzer.Alert
}

func newLiveWriter(e *env, o *liveOptions, out io.Writer) *liveWriter {
	w := &liveWriter{e: e, o: o, out: out}
	w.term = o.format == "text" && out == e.stdout && e.isTerminal(e.stdout)
	w.st = newStyles(e, e.stdout)
	return w
}

// alert reports a new finding. jsonl writes it as a line at once; text
// prints it at once (on the dashboard, it is listed at the next redraw).
func (w *liveWriter) alert(a analyzer.Alert) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.recent = append(w.recent, a)
	if len(w.recent) > 10 {
		w.recent = w.recent[len(w.recent)-10:]
	}
	switch {
	case w.o.format == "jsonl":
		writeJSONLine(w.out, a)
	case w.term:
	case w.o.format == "text":
		fmt.Fprintln(w.e.stdout, alertLine(w.st, a))
	default:
		fmt.Fprintln(w.e.stderr, alertLine(w.st, a))
	}
}

// periodic shows the state every interval.
func (w *liveWriter) periodic(r *analyzer.Report) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.o.format == "jsonl":
		writeJSONLine(w.out, summaryOf(r))
	case w.term:
		fmt.Fprint(w.e.stdout, "\x1b[H\x1b[2J"+dashboard(w.st, r, w.recent))
	case w.o.format == "text":
		fmt.Fprintln(w.e.stdout, summaryLine(r))
	default:
		fmt.Fprintln(w.e.stderr, summaryLine(r))
	}
}

// final writes the final report.
func (w *liveWriter) final(r *analyzer.Report) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r.Generator = "lyncaudit " + version
	r.Inventory = w.o.inventory
	r.Catalogs = append([]string{"builtin"}, w.o.catalogs...)
	if w.o.filter != "" {
		r.Totals.Filter = w.o.filter
	}
	switch w.o.format {
	case "jsonl":
		return writeJSONLine(w.out, struct {
			Type string `json:"type"`
			*analyzer.Report
		}{"report", r})
	case "json":
		return renderJSON(w.e, w.out, r)
	}
	if w.term {
		fmt.Fprint(w.e.stdout, "\x1b[H\x1b[2J")
	}
	return renderText(w.e, w.out, r)
}

func (w *liveWriter) warn(err error) {
	fmt.Fprintf(w.e.stderr, "lyncaudit live: %s\n", oneLine(err.Error()))
}

func (w *liveWriter) note(msg string) {
	if w.o.format == "jsonl" {
		w.mu.Lock()
		writeJSONLine(w.out, map[string]string{"type": "note", "message": msg, "time": time.Now().UTC().Format(time.RFC3339)})
		w.mu.Unlock()
		return
	}
	fmt.Fprintf(w.e.stderr, "lyncaudit live: %s\n", msg)
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
