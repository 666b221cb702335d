package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

// The committed sample, relative to this package.
var (
	samplePcapng    = filepath.Join("..", "..", "testdata", "sample.pcapng")
	sampleInventory = filepath.Join("..", "..", "testdata", "sample.inventory")
)

func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunUsage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.pcapng")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no output", nil, 2, "-o FILE is required"},
		{"unknown flag", []string{"--nope", "-o", out}, 2, "unknown flag"},
		{"argument", []string{"-o", out, "extra"}, 2, `unexpected argument "extra"`},
		{"bad size", []string{"--size", "lots", "-o", out}, 2, "--size"},
		{"bad format", []string{"--format", "erf", "-o", out}, 2, "format"},
		{"one client", []string{"--clients", "1", "-o", out}, 2, "clients 1"},
		{"sample with a seed", []string{"--sample", "--seed", "2", "-o", out}, 2, "drop --seed"},
		{"truth to stdout too", []string{"-o", "-", "--truth", "-"}, 2, "standard output"},
		{"incident-at alone", []string{"--incident-at", "1m", "-o", out}, 2, "--incident-at needs --incident"},
		{"sample with an incident", []string{"--sample", "--incident", "-o", out}, 2, "drop --incident"},
		{"flood with an incident", []string{"--flood", "10", "--incident", "-o", out}, 2, "drop --incident"},
		{"incident at the end", []string{"--incident", "--duration", "1m", "--incident-at", "1m", "-o", out}, 2, "incident at 1m0s is outside"},
		{"unwritable", []string{"-o", filepath.Join(dir, "no", "such", "dir.pcapng")}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s left behind", out)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	code, stdout, stderr := runArgs("--help")
	if code != 0 || !strings.Contains(stdout, "Usage: lyncgen") || !strings.Contains(stdout, "--size") || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestRunSample writes the sample and holds it to the committed files.
func TestRunSample(t *testing.T) {
	if _, err := os.Stat(samplePcapng); err != nil {
		t.Skipf("the committed sample is missing: %v", err)
	}
	dir := t.TempDir()
	capture, inventory, truth := filepath.Join(dir, "s.pcapng"), filepath.Join(dir, "s.inventory"), filepath.Join(dir, "s.jsonl")
	if code, _, stderr := runArgs("--sample", "-o", capture, "--inventory", inventory, "--truth", truth); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, c := range []struct{ got, want string }{{capture, samplePcapng}, {inventory, sampleInventory}} {
		got, _ := os.ReadFile(c.got)
		want, _ := os.ReadFile(c.want)
		if len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", c.got, c.want)
		}
	}
	f, err := os.Open(truth)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		var row struct {
			Client, Server, Transport, Protocol, Want, Why string
			Packets                                        int
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		if row.Server == "" || row.Transport == "" || row.Protocol == "" || row.Why == "" || row.Packets == 0 {
			t.Errorf("line %d: %s", lines, sc.Text())
		}
	}
	if lines < 50 {
		t.Errorf("%d truth lines", lines)
	}
}

// TestRunGzipAndStdout checks that --gzip and -o - give the same capture.
func TestRunGzipAndStdout(t *testing.T) {
	code, plain, stderr := runArgs("--seed", "5", "--calls", "1", "--duration", "20s", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	gz := filepath.Join(t.TempDir(), "c.pcapng.gz")
	if code, _, stderr := runArgs("--seed", "5", "--calls", "1", "--duration", "20s", "--gzip", "-o", gz); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) < 1000 || !bytes.Equal(unzipped, []byte(plain)) {
		t.Errorf("gunzipped capture (%d bytes) differs from the one on standard output (%d bytes)", len(unzipped), len(plain))
	}
}

func TestParseIncident(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		duration time.Duration
		at       time.Duration
	}{
		{"default duration", []string{"--incident"}, lyncgen.IncidentDuration, 0},
		{"given duration", []string{"--incident", "--duration", "3m"}, 3 * time.Minute, 0},
		{"given time", []string{"--incident", "--incident-at", "100s"}, lyncgen.IncidentDuration, 100 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(append(tt.args, "-o", "x.pcapng"), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.opts.Incident == nil || cfg.opts.Duration != tt.duration || cfg.opts.Incident.At != tt.at {
				t.Errorf("options %+v, want duration %v and an incident at %v", cfg.opts, tt.duration, tt.at)
			}
		})
	}
	cfg, err := parse([]string{"-o", "x.pcapng"}, io.Discard)
	if err != nil || cfg.opts.Incident != nil {
		t.Errorf("without --incident: %+v, %v", cfg, err)
	}
}

// TestRunIncident writes an incident capture and its truth: the blocked
// flows are cut at the change or later, and some are attempts after it.
func TestRunIncident(t *testing.T) {
	dir := t.TempDir()
	capture, truth := filepath.Join(dir, "i.pcapng"), filepath.Join(dir, "i.jsonl")
	if code, _, stderr := runArgs("--incident", "--duration", "2m", "--incident-at", "70s", "--clients", "4", "-o", capture, "--truth", truth); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(truth)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	change := lyncgen.DefaultStart.Add(70 * time.Second)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	phases := map[string]int{}
	var blockedAfter int
	for sc.Scan() {
		var row struct {
			Phase   string
			Blocked bool
			Cut     time.Time
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		phases[row.Phase]++
		if row.Blocked != !row.Cut.IsZero() || row.Blocked && row.Cut.Before(change) {
			t.Errorf("blocked %v, cut at %v, change at %v: %s", row.Blocked, row.Cut, change, sc.Text())
		}
		if row.Blocked && row.Phase == lyncgen.PhaseAfter {
			blockedAfter++
		}
	}
	if len(phases) != 2 || phases[lyncgen.PhaseBefore] == 0 || phases[lyncgen.PhaseAfter] == 0 || blockedAfter == 0 {
		t.Errorf("phases %v, %d blocked after the change", phases, blockedAfter)
	}
}

// TestIncidentOptions checks that lyncgen.IncidentOptions, which the
// analyzer's tests use, is what "lyncgen --incident" writes.
func TestIncidentOptions(t *testing.T) {
	cfg, err := parse([]string{"--incident", "-o", "x.pcapng"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got, want := cfg.opts, lyncgen.IncidentOptions()
	got.Start = want.Start // the command leaves it to the default
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lyncgen --incident generates with\n%+v\nlyncgen.IncidentOptions() is\n%+v", got, want)
	}
}
