package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
