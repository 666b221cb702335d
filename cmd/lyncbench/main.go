// Command lyncbench times lyncaudit against the tools an engineer would
// otherwise run on the same capture, ndpiReader and tshark, side by side
// in one run, and prints the medians and the ratios.
//
// Usage:
//
//	go run ./cmd/lyncbench [--size 1.5GB] [--runs 5] [--capture FILE] [--install]
//
// It builds lyncaudit from this module, writes a Lync capture with lyncgen
// (unless --capture names one), reads it once into the page cache, then
// runs every tool once per round, in turn, for --runs rounds, so that a
// busy machine slows all of them alike. Figures are wall time, packets
// and bytes per second, and peak resident memory.
package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/spf13/pflag"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lyncbench:", err)
		os.Exit(2)
	}
}

// tool is one command timed on the capture.
type tool struct {
	name string
	argv []string
	runs []result
}

type result struct {
	wall time.Duration
	rss  int64 // peak resident memory, KiB
}

func run(args []string, out io.Writer) error {
	fs := pflag.NewFlagSet("lyncbench", pflag.ContinueOnError)
	size := fs.String("size", "1.5GB", "size of the capture to generate")
	runs := fs.Int("runs", 5, "rounds; each tool runs once per round")
	capFile := fs.String("capture", "", "time this capture instead of generating one")
	install := fs.Bool("install", false, "install tshark and ndpiReader from Debian packages when missing (needs root)")
	skip := fs.StringSlice("skip", nil, "tools to leave out: tshark, ndpiReader")
	tsharkRuns := fs.Int("tshark-runs", 0, "rounds for tshark, which is slow (default: --runs)")
	dir := fs.String("dir", "", "where to build and write (default: a temporary directory, removed after)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return errors.New("--runs must be at least 1")
	}
	work := *dir
	if work == "" {
		d, err := os.MkdirTemp("", "lyncbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	if *install {
		if err := installPeers(out); err != nil {
			return err
		}
	}
	bin := filepath.Join(work, "lyncaudit")
	fmt.Fprintf(out, "building lyncaudit…\n")
	if b, err := exec.Command("go", "build", "-o", bin, "./cmd/lyncaudit").CombinedOutput(); err != nil {
		return fmt.Errorf("go build (run lyncbench from the module's root): %v\n%s", err, b)
	}
	inv := filepath.Join(work, "bench.inventory")
	file := *capFile
	if file == "" {
		file = filepath.Join(work, "bench.pcap")
		if err := generate(out, file, inv, *size); err != nil {
			return err
		}
	} else if err := os.WriteFile(inv, []byte(lyncgen.Inventory(lyncgen.Options{})), 0o644); err != nil {
		return err
	}
	packets, bytes, err := count(file)
	if err != nil {
		return err
	}
	catTime, err := warm(file)
	if err != nil {
		return err
	}
	tools := []*tool{
		{name: "lyncaudit (1 worker)", argv: []string{bin, "analyze", "--workers", "1", "--inventory", inv, "-f", "json", "-o", os.DevNull, file}},
		{name: fmt.Sprintf("lyncaudit (%d workers)", runtime.NumCPU()), argv: []string{bin, "analyze", "--workers", strconv.Itoa(runtime.NumCPU()), "--inventory", inv, "-f", "json", "-o", os.DevNull, file}},
		{name: "ndpiReader", argv: []string{"ndpiReader", "-i", file, "-q"}},
		{name: "tshark conv", argv: []string{"tshark", "-n", "-q", "-r", file, "-z", "conv,tcp", "-z", "conv,udp"}},
	}
	tools = slices.DeleteFunc(tools, func(t *tool) bool {
		short := strings.Fields(t.name)[0]
		if slices.Contains(*skip, short) || (short == "tshark" && slices.Contains(*skip, "tshark")) {
			return true
		}
		if _, err := exec.LookPath(t.argv[0]); err != nil && !strings.HasPrefix(t.argv[0], work) {
			fmt.Fprintf(out, "skipping %s: %s is not installed (--install installs it)\n", t.name, t.argv[0])
			return true
		}
		return false
	})
	fmt.Fprintf(out, "capture %s: %s packets, %.2f GB; cat to /dev/null %.2f s\n", file, group(packets), float64(bytes)/1e9, catTime.Seconds())
	for r := range *runs {
		for _, t := range tools {
			if strings.HasPrefix(t.name, "tshark") && *tsharkRuns > 0 && r >= *tsharkRuns {
				continue
			}
			res, err := timeIt(t.argv)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			t.runs = append(t.runs, res)
			fmt.Fprintf(out, "round %d  %-22s %7.2f s  %7d MB\n", r+1, t.name, res.wall.Seconds(), res.rss>>10)
		}
	}
	report(out, tools, packets, bytes)
	return nil
}

// generate writes a Lync capture of about size bytes, and its inventory.
func generate(out io.Writer, file, inv, size string) error {
	n, err := lyncgen.ParseSize(size)
	if err != nil {
		return err
	}
	o := lyncgen.Options{Seed: 1, Clients: 200, Calls: 2000, Format: lyncgen.FormatPcap, TargetBytes: n}
	fmt.Fprintf(out, "generating %s…\n", size)
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := lyncgen.Generate(f, o); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(inv, []byte(lyncgen.Inventory(o)), 0o644)
}

// count reads the capture once for its packet and byte counts.
func count(file string) (packets, bytes int64, err error) {
	r, err := capture.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	var p capture.Packet
	for {
		if err := r.Next(&p); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return 0, 0, err
		}
		packets++
	}
	fi, err := os.Stat(file)
	if err != nil {
		return 0, 0, err
	}
	return packets, fi.Size(), nil
}

// warm reads the file into the page cache and times it, as a floor.
func warm(file string) (time.Duration, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	_, err = io.Copy(io.Discard, f)
	return time.Since(start), err
}

// timeIt runs argv and returns its wall time and peak memory.
func timeIt(argv []string) (result, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1 && strings.HasSuffix(argv[0], "lyncaudit")) {
		// lyncaudit exits 1 when it finds violations, which the capture has.
		return result{}, err
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return result{wall: wall, rss: rss}, nil
}

// report prints the medians, and each tool's time over lyncaudit's with
// its default number of workers (one per CPU): how many times faster
// lyncaudit is.
func report(out io.Writer, tools []*tool, packets, bytes int64) {
	fmt.Fprintf(out, "\n%-22s %5s %9s %8s %7s %8s %14s\n", "TOOL", "RUNS", "MEDIAN s", "Mpkt/s", "GB/s", "PEAK MB", "× LYNCAUDIT")
	meds := make([]result, len(tools))
	base := -1
	for i, t := range tools {
		meds[i] = median(t.runs)
		if strings.HasPrefix(t.name, "lyncaudit") {
			base = i // the last lyncaudit line: the most workers
		}
	}
	for i, t := range tools {
		ratio := "-"
		if base >= 0 {
			ratio = fmt.Sprintf("%.2f", meds[i].wall.Seconds()/meds[base].wall.Seconds())
		}
		fmt.Fprintf(out, "%-22s %5d %9.2f %8.2f %7.2f %8d %14s\n", t.name, len(t.runs), meds[i].wall.Seconds(),
			float64(packets)/meds[i].wall.Seconds()/1e6, float64(bytes)/meds[i].wall.Seconds()/1e9, meds[i].rss>>10, ratio)
	}
	if base >= 1 && strings.HasPrefix(tools[0].name, "lyncaudit") {
		fmt.Fprintf(out, "%s: %.2f× the throughput of %s\n", tools[base].name, meds[0].wall.Seconds()/meds[base].wall.Seconds(), tools[0].name)
	}
	fmt.Fprintf(out, "(× LYNCAUDIT: the tool's median time over lyncaudit's with one worker per CPU)\n")
}

func median(rs []result) result {
	walls := slices.Clone(rs)
	slices.SortFunc(walls, func(a, b result) int { return cmp.Compare(a.wall, b.wall) })
	rsss := slices.Clone(rs)
	slices.SortFunc(rsss, func(a, b result) int { return cmp.Compare(a.rss, b.rss) })
	return result{wall: walls[len(walls)/2].wall, rss: rsss[len(rsss)/2].rss}
}

func installPeers(out io.Writer) error {
	var need []string
	if _, err := exec.LookPath("tshark"); err != nil {
		need = append(need, "tshark")
	}
	if _, err := exec.LookPath("ndpiReader"); err != nil {
		need = append(need, "libndpi-bin")
	}
	if len(need) == 0 {
		return nil
	}
	fmt.Fprintf(out, "installing %s…\n", strings.Join(need, " "))
	for _, argv := range [][]string{{"apt-get", "update", "-qq"}, append([]string{"apt-get", "install", "-y", "-qq"}, need...)} {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, b)
		}
	}
	return nil
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
