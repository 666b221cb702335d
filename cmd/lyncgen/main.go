// Command lyncgen writes packet captures of a Lync Server 2013 pool with
// known expected, unexpected and mismatched traffic, and the ground truth
// of every flow, for testing lyncaudit.
//
// Usage:
//
//	lyncgen [flags] -o FILE
//
// Examples:
//
//	lyncgen --sample -o testdata/sample.pcapng --inventory testdata/sample.inventory
//	lyncgen --seed 7 --clients 40 --calls 200 --duration 5m --truth truth.jsonl -o pool.pcapng
//	lyncgen --size 1.5GB --calls 2000 --gzip -o big.pcapng.gz
//	lyncgen --incident --incident-at 5m --truth incident.jsonl -o incident.pcapng
package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

const usageText = `Usage: lyncgen [flags] -o FILE

lyncgen writes a capture of a Lync Server 2013 pool (Front End pool behind a
load balancer VIP, Director, Mediation, Persistent Chat, Office Web Apps,
clients and IP phones) with known expected, unexpected and mismatched
traffic. --truth writes the ground truth of every flow as JSON lines and
--inventory the matching inventory. The same flags always give the same
bytes. -o - writes the capture to standard output.

With --size the capture keeps growing with calls, at the rate --calls per
--duration sets, until it is about that big (1.5GB, 800MiB, …); it is
written as it is generated, so memory does not grow with it.

With --incident a firewall change at --incident-at (default: half of
--duration) blocks the conferencing ports between the client subnets and the
Front End pool: TCP 8057 (web conferencing), 5062 (IM conferencing), 5063
(A/V conferencing) and UDP 49152-65535 (conference media). From then on the
clients' connections there are unanswered SYNs, connections open at the
change lose the server and end in retransmissions and a reset, and media
goes one way for 5 s before the client gives up; registration on 5061, web
services on 443, DNS and the rest carry on. A conference starts every 20 to
30 seconds over the whole capture, so there are some on both sides of the
change. --duration defaults to 10m with --incident. The truth gives each
flow its phase (before or after the change) and marks the blocked ones.

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a command-line mistake: it exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// config is the parsed command line.
type config struct {
	opts      lyncgen.Options
	out       string
	truth     string
	inventory string
	gzip      bool
	flood     int
}

// run is the command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(args, stdout)
	if err == pflag.ErrHelp {
		return 0
	}
	if err == nil {
		err = generate(cfg, stdout)
	}
	if err == nil {
		return 0
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "lyncgen: ") {
		msg = "lyncgen: " + msg
	}
	fmt.Fprintln(stderr, msg)
	if errors.As(err, new(usageError)) {
		fmt.Fprintln(stderr, "Run 'lyncgen --help' for usage.")
		return 2
	}
	return 1
}

func parse(args []string, stdout io.Writer) (*config, error) {
	fs := pflag.NewFlagSet("lyncgen", pflag.ContinueOnError)
	cfg := &config{}
	fs.SetOutput(io.Discard)
	def := lyncgen.Options{}
	seed := fs.Int64("seed", 1, "seed of every random choice")
	clients := fs.Int("clients", 8, fmt.Sprintf("client PCs, 2 to %d", lyncgen.MaxClients))
	calls := fs.Int("calls", 4, "audio/video calls started within --duration")
	duration := fs.Duration("duration", 60*time.Second, "span in which the flows and calls start")
	minCall := fs.Duration("min-call", 3*time.Second, "shortest call")
	maxCall := fs.Duration("max-call", 30*time.Second, "longest call")
	size := fs.String("size", "", "keep adding calls until the capture is about this big (e.g. 1.5GB)")
	format := fs.String("format", lyncgen.FormatPcapng, "capture format: pcapng or pcap")
	snaplen := fs.Int("snaplen", 262144, "bytes kept of each frame")
	gz := fs.Bool("gzip", false, "compress the capture with gzip")
	sample := fs.Bool("sample", false, "write the project's sample capture (no other generation flags)")
	incident := fs.Bool("incident", false, "block the conferencing ports between clients and the Front End pool partway through (--duration defaults to 10m)")
	incidentAt := fs.Duration("incident-at", 0, "time of the firewall change from the capture start (default half of --duration)")
	fs.IntVar(&cfg.flood, "flood", 0, "instead of a pool, write `N` concurrent UDP flows to one Front End (a flood, to test the flow cap)")
	fs.StringVarP(&cfg.out, "output", "o", "", "capture file to write, - for standard output")
	fs.StringVar(&cfg.truth, "truth", "", "write the ground truth of every flow here, as JSON lines")
	fs.StringVar(&cfg.inventory, "inventory", "", "write the matching inventory here")
	help := fs.BoolP("help", "h", false, "show this help")

	if err := fs.Parse(args); err != nil {
		return nil, usagef("%v", err)
	}
	if *help {
		fmt.Fprint(stdout, usageText+fs.FlagUsages())
		return nil, pflag.ErrHelp
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	if cfg.out == "" {
		return nil, usagef("-o FILE is required")
	}
	if cfg.out == "-" && (cfg.truth == "-" || cfg.inventory == "-") {
		return nil, usagef("only the capture can go to standard output")
	}
	cfg.gzip = *gz
	if fs.Changed("incident-at") && !*incident {
		return nil, usagef("--incident-at needs --incident")
	}
	if cfg.flood > 0 && *incident {
		return nil, usagef("--flood writes no pool to block; drop --incident")
	}
	if *sample {
		for _, name := range []string{"seed", "clients", "calls", "duration", "min-call", "max-call", "size", "format", "snaplen", "incident"} {
			if fs.Changed(name) {
				return nil, usagef("--sample fixes every generation flag; drop --%s", name)
			}
		}
		cfg.opts = lyncgen.SampleOptions()
		return cfg, nil
	}
	cfg.opts = def
	cfg.opts.Seed, cfg.opts.Clients, cfg.opts.Calls = *seed, *clients, *calls
	cfg.opts.Duration, cfg.opts.MinCall, cfg.opts.MaxCall = *duration, *minCall, *maxCall
	cfg.opts.Format, cfg.opts.Snaplen = *format, *snaplen
	if *incident {
		cfg.opts.Incident = &lyncgen.Incident{At: *incidentAt}
		if !fs.Changed("duration") {
			cfg.opts.Duration = lyncgen.IncidentDuration
		}
	}
	if *size != "" {
		n, err := lyncgen.ParseSize(*size)
		if err != nil {
			return nil, usagef("--size: %v", err)
		}
		cfg.opts.TargetBytes = n
	}
	return cfg, nil
}

// generate writes the capture, then the truth and the inventory. When
// any of it fails, the capture file is removed: no half-written output
// is left to be mistaken for a good one.
func generate(cfg *config, stdout io.Writer) (err error) {
	var w io.Writer = stdout
	if cfg.out != "-" {
		f, cerr := os.Create(cfg.out)
		if cerr != nil {
			return cerr
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(cfg.out)
			}
		}()
		w = f
	}
	var zw *gzip.Writer
	if cfg.gzip {
		// Encrypted payloads hardly compress: the fastest level loses
		// little and keeps up with the generator.
		zw, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		w = zw
	}
	var truth *lyncgen.Truth
	if cfg.flood > 0 {
		err = lyncgen.GenerateFlood(w, cfg.flood, cfg.opts)
		truth = &lyncgen.Truth{}
	} else {
		truth, err = lyncgen.Generate(w, cfg.opts)
	}
	if errors.Is(err, lyncgen.ErrOptions) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fmt.Errorf("compressing %s: %w", cfg.out, err)
		}
	}
	if cfg.truth != "" {
		if err := writeFile(cfg.truth, func(w io.Writer) error { return lyncgen.WriteTruth(w, truth) }); err != nil {
			return err
		}
	}
	if cfg.inventory != "" {
		inv := lyncgen.Inventory(cfg.opts)
		if err := writeFile(cfg.inventory, func(w io.Writer) error { _, err := io.WriteString(w, inv); return err }); err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates name and fills it with write.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return f.Close()
}
