package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// TestAnalyzeEvidence writes the sample's evidence from the command line
// and reads it back: as many packets as the report's finding flows hold
// (or --evidence-packets of each), each commented with an unexpected or
// mismatch finding.
func TestAnalyzeEvidence(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	var want, flows int
	{
		res := runCmd(t, nil, "analyze", "--inventory", "../../testdata/sample.inventory", "-f", "json", "--flows", "-o", report, "../../testdata/sample.pcapng")
		if res.status != 1 {
			t.Fatalf("status %d: %s", res.status, res.stderr)
		}
		var rep struct {
			Flows []struct {
				Verdict string
				Packets int
			}
		}
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Flows {
			if f.Verdict == "unexpected" || f.Verdict == "mismatch" {
				want += f.Packets
				flows++
			}
		}
	}
	for _, tc := range []struct {
		name    string
		per     string
		atLeast int // packets: at least one per flow with --evidence-packets
	}{
		{"all packets", "0", want},
		{"two per flow", "2", flows},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := filepath.Join(dir, "evidence-"+tc.per+".pcapng")
			res := runCmd(t, nil, "analyze", "--inventory", "../../testdata/sample.inventory", "-f", "json", "-o", filepath.Join(dir, "r.json"),
				"--evidence", ev, "--evidence-packets", tc.per, "../../testdata/sample.pcapng")
			if res.status != 1 {
				t.Fatalf("status %d: %s", res.status, res.stderr)
			}
			comments := readComments(t, ev)
			if tc.per == "0" && len(comments) != want {
				t.Errorf("%d evidence packets, the finding flows have %d", len(comments), want)
			}
			if tc.per == "2" && (len(comments) < tc.atLeast || len(comments) > 2*flows) {
				t.Errorf("%d evidence packets for %d flows at 2 each", len(comments), flows)
			}
			for i, c := range comments {
				if !strings.HasPrefix(c, "lyncaudit: unexpected ") && !strings.HasPrefix(c, "lyncaudit: mismatch ") {
					t.Fatalf("packet %d: comment %q", i+1, c)
				}
			}
			if !strings.Contains(res.stderr, "evidence packet") {
				t.Errorf("stderr %q does not say how many packets were written", res.stderr)
			}
			// --flows was not asked for: the report must not list them.
			data, _ := os.ReadFile(filepath.Join(dir, "r.json"))
			if strings.Contains(string(data), `"flows": [`) {
				t.Error("the report lists flows without --flows")
			}
		})
	}
	for _, bad := range [][]string{
		{"--evidence", filepath.Join(dir, "x.pcapng"), "-"},
		{"--evidence", "-", "../../testdata/sample.pcapng"},
		{"--evidence", filepath.Join(dir, "x.pcapng"), "--evidence-packets", "-1", "../../testdata/sample.pcapng"},
	} {
		res := runCmd(t, strings.NewReader(""), append([]string{"analyze"}, bad...)...)
		if res.status != 2 || !strings.Contains(res.stderr, "evidence") {
			t.Errorf("%v: status %d, stderr %q; want 2 and a word on --evidence", bad, res.status, res.stderr)
		}
	}
}

// readComments returns the comment of every packet of a pcapng file.
func readComments(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		_, _, opts, err := r.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s packet %d: %v", name, len(out)+1, err)
		}
		out = append(out, strings.Join(opts.Comments, "\n"))
	}
}
