package analyzer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

// blockedSample analyses the sample and the sample as a firewall change
// leaves it: TCP 5041 (Persistent Chat) and 3389 (RDP to the Director)
// blocked, and the cleartext flow to the Mediation Server's 5070 that made
// its TLS service a mismatch gone.
func blockedSample(t testing.TB) (before, after *Report) {
	t.Helper()
	data, inv, _ := generated(t, lyncgen.SampleOptions())
	before = analyzeCapture(t, data, "before.pcap", inv)
	var mm netip.AddrPort
	for _, f := range before.Findings {
		if f.Kind == "mismatch" && f.Host == "10.10.3.10" && f.Port == "5070" {
			mm = netip.AddrPortFrom(netip.MustParseAddr(f.Example.Client), f.Example.ClientPort)
		}
	}
	if !mm.IsValid() {
		t.Fatal("the sample has no mismatch on 10.10.3.10 5070/tcp")
	}
	blocked := func(p *decoders.Packet) bool {
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		if p.Transport != decoders.TCP {
			return false
		}
		for _, port := range []uint16{5041, 3389} {
			if p.SrcPort == port || p.DstPort == port {
				return true
			}
		}
		return src == mm || dst == mm
	}
	parts := splitCapture(t, data, sensor{keep: func(p *decoders.Packet) bool { return !blocked(p) }})
	after = analyzeCapture(t, parts[0], "after.pcap", inv)
	return before, after
}

func TestDiffReports(t *testing.T) {
	before, after := blockedSample(t)
	t.Run("itself", func(t *testing.T) {
		d := DiffReports(before, before)
		if d.Summary.Changes != 0 || len(d.Services)+len(d.Findings)+len(d.Missing) != 0 {
			t.Errorf("a report differs from itself: %+v", d.Summary)
		}
	})
	t.Run("firewall change", func(t *testing.T) {
		d := DiffReports(before, after)
		var got []string
		for _, c := range d.Services {
			got = append(got, fmt.Sprintf("service %s %s %s %s/%s %s→%s %d→%d", c.Change, c.Host, c.List, c.Port, c.Transport, c.VerdictBefore, c.VerdictAfter, c.FlowsBefore, c.FlowsAfter))
		}
		for _, c := range d.Findings {
			got = append(got, fmt.Sprintf("finding %s %s %s %s/%s %s", c.Change, c.Kind, c.Host, c.Port, c.Transport, c.Protocol))
		}
		for _, c := range d.Missing {
			got = append(got, fmt.Sprintf("missing %s %s %s", c.Change, c.Host, c.Ref))
		}
		want := []string{
			"service disappeared 10.10.2.10 services 3389/tcp unexpected→ 1→0",
			"service disappeared 10.10.4.10 services 5041/tcp expected→ 1→0",
			"service verdict 10.10.3.10 services 5070/tcp mismatch→expected 2→1",
			"finding disappeared mismatch 10.10.3.10 5070/tcp tls",
			"finding disappeared unexpected 10.10.2.10 3389/tcp unknown",
			"missing appeared 10.10.4.10 server_ports#50",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		s := d.Summary
		if s.Changes != 6 || s.ServicesDisappeared != 2 || s.VerdictsChanged != 1 || s.FindingsDisappeared != 2 || s.MissingAppeared != 1 {
			t.Errorf("summary %+v", s)
		}
		// Backwards, every change turns around.
		back := DiffReports(after, before).Summary
		if back.Changes != 6 || back.ServicesAppeared != 2 || back.VerdictsChanged != 1 || back.FindingsAppeared != 2 || back.MissingDisappeared != 1 {
			t.Errorf("summary backwards %+v", back)
		}
	})
}

func TestReadReport(t *testing.T) {
	rep, _ := analyzeGenerated(t, lyncgen.SampleOptions())
	good := mustJSON(t, rep)
	tests := []struct {
		name    string
		data    string
		wantErr error  // nil: the report reads
		wantMsg string // the whole error message
	}{
		{"report", good, nil, ""},
		{"text", "hello, this is text\n", ErrNotReport, "r.json: byte 1: not a lyncaudit report: not JSON: invalid character 'h' looking for beginning of value"},
		{"empty", "", ErrNotReport, "r.json: byte 0: not a lyncaudit report: not JSON: unexpected end of JSON input"},
		{"cut short", good[:200], ErrNotReport, "r.json: byte 200: not a lyncaudit report: not JSON: unexpected end of JSON input"},
		{"array", "[1, 2]", ErrNotReport, "r.json: byte 1: not a lyncaudit report: a JSON array, not an object"},
		{"no schema", `{"hosts": []}`, ErrNotReport, "r.json: not a lyncaudit report: it has no schema field"},
		{"catalog", `{"schema": "lyncaudit.catalog/1", "entries": []}`, ErrSchema, `r.json: unsupported report schema "lyncaudit.catalog/1" (want lyncaudit.report/1)`},
		{"next version", `{"schema": "lyncaudit.report/2"}`, ErrSchema, `r.json: unsupported report schema "lyncaudit.report/2" (want lyncaudit.report/1)`},
		{"wrong type", `{"schema": "lyncaudit.report/1", "hosts": [{"address": "10.0.0.1", "services": [{"port": "5061"}]}]}`, ErrBadReport,
			"r.json: byte 95: malformed report: hosts.services.port is a JSON string, want uint16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadReport(strings.NewReader(tt.data), "r.json")
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if mustJSON(t, r) != good {
					t.Error("the report read differs from the one written")
				}
				return
			}
			var re *ReportError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &re) {
				t.Fatalf("error %v, want a *ReportError wrapping %v", err, tt.wantErr)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error\n %s\nwant\n %s", err, tt.wantMsg)
			}
		})
	}
}

// FuzzReadReport reads anything as a report. A report that reads must
// differ in nothing from itself, and combine with itself or fail with a
// *ReportError, never panic.
func FuzzReadReport(f *testing.F) {
	// The sample's report, cut down to a few hosts and flows: large seeds
	// make every mutation slow to minimise.
	rep, _ := analyzeGenerated(f, lyncgen.SampleOptions())
	f.Add(seedReport(f, rep))
	f.Add([]byte(`{"schema": "lyncaudit.report/1", "hosts": [{"address": "10.0.0.0/30", "roles": ["client"]}], "flows": [{"client": "10.0.0.1", "server": "10.0.0.9", "transport": "tcp", "protocol": "tls", "confidence": "dpi", "verdict": "unjudged"}]}`))
	f.Add([]byte(`{"schema": "lyncaudit.report/1", "timeline": {"bucket": "1ns", "buckets": [{"start": "1970-01-01T00:00:00Z"}, {"start": "2199-01-01T00:00:00Z"}]}}`))
	// Reports of the small real captures (no inventory: every flow unjudged).
	files, _ := filepath.Glob(filepath.Join(sharedCaptures, "*", "*.pcap"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil || len(data) > 64<<10 {
			continue
		}
		f.Add(seedReport(f, analyzeCapture(f, data, filepath.Base(name), nil)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadReport(strings.NewReader(string(data)), "fuzz.json")
		if err != nil {
			var re *ReportError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *ReportError", err)
			}
			return
		}
		if d := DiffReports(r, r); d.Summary.Changes != 0 {
			t.Fatalf("a report differs from itself: %+v", d.Summary)
		}
		m, err := Combine([]ReportFile{{"a.json", r}, {"b.json", r}})
		if err != nil {
			var re *ReportError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *ReportError", err)
			}
			return
		}
		DiffReports(r, m)
		// Another sensor that saw the same flows: each folds, and the
		// timeline gives one copy back.
		other := *r
		other.Captures = append(slices.Clone(r.Captures), CaptureInfo{Name: "other sensor"})
		if m, err = Combine([]ReportFile{{"a.json", r}, {"b.json", &other}}); err == nil {
			DiffReports(r, m)
		}
	})
}

// seedReport returns a few hosts, flows, findings and buckets of r as
// compact JSON: large seeds make every mutation slow to minimise.
func seedReport(f *testing.F, r *Report) []byte {
	r.Hosts = r.Hosts[min(3, len(r.Hosts)):min(5, len(r.Hosts))]
	for i := range r.Hosts {
		h := &r.Hosts[i]
		h.Services, h.Missing = h.Services[:min(2, len(h.Services))], h.Missing[:min(2, len(h.Missing))]
	}
	r.Flows, r.Unjudged = r.Flows[:min(4, len(r.Flows))], r.Unjudged[:min(2, len(r.Unjudged))]
	r.Findings, r.Timeline.Buckets = r.Findings[:min(3, len(r.Findings))], r.Timeline.Buckets[:min(2, len(r.Timeline.Buckets))]
	b, err := json.Marshal(r)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func BenchmarkDiffReports(b *testing.B) {
	before, after := blockedSample(b)
	b.ReportAllocs()
	for b.Loop() {
		DiffReports(before, after)
	}
}

func BenchmarkReadReport(b *testing.B) {
	rep, _ := analyzeGenerated(b, lyncgen.SampleOptions())
	data := []byte(mustJSON(b, rep))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadReport(bytes.NewReader(data), "r.json"); err != nil {
			b.Fatal(err)
		}
	}
}
