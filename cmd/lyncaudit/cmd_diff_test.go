package main

import (
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/sensors"
)

// inSampleDir makes a temporary directory holding the bundled sample
// (sample.pcapng, sample.inventory) the current one, so that reports name
// their files the same on every machine. It returns the absolute path of
// this package's testdata.
func inSampleDir(t *testing.T) string {
	t.Helper()
	golden, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"sample.pcapng", "sample.inventory"} {
		data, err := os.ReadFile(filepath.Join("../../testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return golden
}

// filterCapture writes to name a pcap of the packets of capture src that
// keep accepts, their times moved by shift. Frames that do not decode are
// kept.
func filterCapture(t *testing.T, src, name string, keep func(p *decoders.Packet) bool, shift time.Duration) {
	t.Helper()
	r, err := capture.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := sensors.Split(r, []sensors.Sensor{{Keep: keep, Shift: shift}}, []io.Writer{f}); err != nil {
		t.Fatal(err)
	}
}

// analyzeJSON analyses captures into the JSON report out, with the
// sample's inventory.
func analyzeJSON(t *testing.T, out string, flags ...string) {
	t.Helper()
	analyzeJSONWith(t, "sample.inventory", out, flags...)
}

// analyzeJSONWith analyses captures into the JSON report out, with the
// inventory inv.
func analyzeJSONWith(t *testing.T, inv, out string, flags ...string) {
	t.Helper()
	args := append([]string{"analyze", "--inventory", inv, "-f", "json", "-o", out}, flags...)
	if r := runCmd(t, nil, args...); r.status == exitInput {
		t.Fatalf("analyze %v: status %d: %s", flags, r.status, r.stderr)
	}
}

func readReportFile(t *testing.T, name string) *analyzer.Report {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := analyzer.ReadReport(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// firewallReports writes before.json, the sample's report, and after.json,
// the report of the sample as a firewall change leaves it: TCP 5041
// (Persistent Chat) and 3389 (RDP to the Director) blocked, and the
// cleartext connection to the Mediation Server's TLS port 5070 gone.
func firewallReports(t *testing.T) {
	t.Helper()
	analyzeJSON(t, "before.json", "before.pcapng")
	var cleartext netip.AddrPort
	for _, f := range readReportFile(t, "before.json").Findings {
		if f.Kind == "mismatch" && f.Host == "10.10.3.10" && f.Port == "5070" {
			cleartext = netip.AddrPortFrom(netip.MustParseAddr(f.Example.Client), f.Example.ClientPort)
		}
	}
	if !cleartext.IsValid() {
		t.Fatal("the sample has no mismatch on 10.10.3.10 5070/tcp")
	}
	filterCapture(t, "before.pcapng", "after.pcap", func(p *decoders.Packet) bool {
		if p.Transport != decoders.TCP {
			return true
		}
		blocked := p.SrcPort == 5041 || p.DstPort == 5041 || p.SrcPort == 3389 || p.DstPort == 3389
		return !blocked && netip.AddrPortFrom(p.Src, p.SrcPort) != cleartext && netip.AddrPortFrom(p.Dst, p.DstPort) != cleartext
	}, 0)
	analyzeJSON(t, "after.json", "after.pcap")
}

// TestDiffGolden diffs the sample's report with the report of the sample
// behind a firewall change, in every format, and with itself.
func TestDiffGolden(t *testing.T) {
	golden := inSampleDir(t)
	if err := os.Rename("sample.pcapng", "before.pcapng"); err != nil {
		t.Fatal(err)
	}
	firewallReports(t)
	for _, format := range []string{"text", "json", "md"} {
		t.Run(format, func(t *testing.T) {
			r := runCmd(t, nil, "diff", "-f", format, "before.json", "after.json")
			if r.status != 1 || r.stderr != "" {
				t.Fatalf("status %d, want 1 (changes); stderr %q", r.status, r.stderr)
			}
			compareGolden(t, filepath.Join(golden, "diff."+format), r.stdout)
		})
	}
	t.Run("json model", func(t *testing.T) {
		r := runCmd(t, nil, "diff", "-f", "json", "-o", "diff.json", "before.json", "after.json")
		if r.status != 1 {
			t.Fatalf("status %d: %s", r.status, r.stderr)
		}
		data, err := os.ReadFile("diff.json")
		if err != nil {
			t.Fatal(err)
		}
		var d analyzer.Diff
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range d.Services {
			got = append(got, c.Change+" "+c.Host+" "+c.Port+"/"+c.Transport)
		}
		for _, c := range d.Missing {
			got = append(got, "missing "+c.Change+" "+c.Host+" "+c.Ref)
		}
		want := "disappeared 10.10.2.10 3389/tcp|disappeared 10.10.4.10 5041/tcp|verdict 10.10.3.10 5070/tcp|missing appeared 10.10.4.10 server_ports#50"
		if strings.Join(got, "|") != want || d.Schema != analyzer.DiffSchema || d.Summary.Changes != 6 {
			t.Errorf("%s %d changes: %s\nwant %s", d.Schema, d.Summary.Changes, strings.Join(got, "|"), want)
		}
	})
	for _, format := range []string{"text", "json", "md"} {
		t.Run("itself "+format, func(t *testing.T) {
			r := runCmd(t, nil, "diff", "-f", format, "after.json", "after.json")
			if r.status != 0 {
				t.Fatalf("status %d, want 0 (no change); stderr %q", r.status, r.stderr)
			}
			for _, want := range map[string][]string{
				"text": {"No change"},
				"json": {`"changes": 0,`, `"services": [],`, `"findings": [],`, `"missing": []`},
				"md":   {"- Changes: none", "## Services\n\nNo change."},
			}[format] {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

func TestDiffBadInput(t *testing.T) {
	inSampleDir(t)
	analyzeJSON(t, "good.json", "sample.pcapng")
	if r := runCmd(t, nil, "catalog", "-f", "json", "-o", "catalog.json"); r.status != 0 {
		t.Fatalf("catalog: status %d: %s", r.status, r.stderr)
	}
	if err := os.WriteFile("notes.txt", []byte("hello, this is text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string // the first line of stderr
	}{
		{"text", []string{"diff", "notes.txt", "good.json"}, "lyncaudit diff: notes.txt: byte 1: not a lyncaudit report: not JSON: invalid character 'h' looking for beginning of value"},
		{"a capture", []string{"diff", "good.json", "sample.pcapng"}, "lyncaudit diff: sample.pcapng: byte 5: not a lyncaudit report: not JSON: invalid character ',' looking for beginning of value"},
		{"the catalog", []string{"diff", "good.json", "catalog.json"}, `lyncaudit diff: catalog.json: unsupported report schema "lyncaudit.catalog/1" (want lyncaudit.report/1)`},
		{"no such file", []string{"diff", "good.json", "gone.json"}, "lyncaudit diff: open gone.json: no such file or directory"},
		{"one report", []string{"diff", "good.json"}, "lyncaudit diff: diff takes two reports: BEFORE.json AFTER.json"},
		{"bad format", []string{"diff", "-f", "csv", "good.json", "good.json"}, `lyncaudit diff: unknown --format "csv" (want text, json or md)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkOneLineError(t, runCmd(t, nil, tt.args...), tt.wantErr, true)
		})
	}
}

// checkOneLineError checks that a command failed on its input with
// status 2 and one line of error (and, after a usage error, the line
// pointing to help), the line being want or, unless exact, starting with
// it.
func checkOneLineError(t *testing.T, r result, want string, exact bool) {
	t.Helper()
	if r.status != exitInput {
		t.Errorf("status %d, want %d", r.status, exitInput)
	}
	first, rest, _ := strings.Cut(r.stderr, "\n")
	if first != want && (exact || !strings.HasPrefix(first, want)) {
		t.Errorf("stderr %q\nwant %q", first, want)
	}
	if rest != "" && !strings.HasPrefix(rest, "Run 'lyncaudit help") {
		t.Errorf("error is not one line: %q", r.stderr)
	}
}
