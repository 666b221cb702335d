package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/decoders"
)

// TestMergeSensors splits the sample between two sensors that both see
// the clients' traffic, one with its clock 200 ms ahead, and merges their
// reports: the flows, services and findings are those of the report of
// the whole sample.
func TestMergeSensors(t *testing.T) {
	inSampleDir(t)
	checkMergeSensors(t, "sample.inventory", "sample.pcapng")
}

// checkMergeSensors splits capture between two sensors, a.pcap seeing
// the Front End pool and the clients, b.pcap everything but the pool and
// the clients too, with its clock 200 ms ahead; merges their reports; and
// checks that the flows, services and findings are those of the report of
// the whole capture.
func checkMergeSensors(t *testing.T, inv, capture string) {
	t.Helper()
	pool := netip.MustParsePrefix("10.10.1.0/24")
	clients := netip.MustParsePrefix("10.20.0.0/16")
	touches := func(n netip.Prefix, p *decoders.Packet) bool { return n.Contains(p.Src) || n.Contains(p.Dst) }
	filterCapture(t, capture, "a.pcap", func(p *decoders.Packet) bool { return touches(pool, p) || touches(clients, p) }, 0)
	filterCapture(t, capture, "b.pcap", func(p *decoders.Packet) bool { return !touches(pool, p) || touches(clients, p) }, 200*time.Millisecond)
	analyzeJSONWith(t, inv, "a.json", "--flows", "a.pcap")
	analyzeJSONWith(t, inv, "b.json", "--flows", "b.pcap")
	analyzeJSONWith(t, inv, "whole.json", "--flows", capture)

	r := runCmd(t, nil, "merge", "-o", "merged.json", "a.json", "b.json")
	if r.status != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	a, b := readReportFile(t, "a.json"), readReportFile(t, "b.json")
	got, want := readReportFile(t, "merged.json"), readReportFile(t, "whole.json")
	if a.Totals.Flows+b.Totals.Flows <= want.Totals.Flows {
		t.Fatalf("sensors see %d and %d of %d flows: no overlap to test", a.Totals.Flows, b.Totals.Flows, want.Totals.Flows)
	}
	if got.Totals.Flows != want.Totals.Flows || got.Totals.Packets != want.Totals.Packets || got.Totals.Bytes != want.Totals.Bytes {
		t.Errorf("totals: %d flows, %d packets, %d bytes; want %d, %d, %d", got.Totals.Flows, got.Totals.Packets, got.Totals.Bytes,
			want.Totals.Flows, want.Totals.Packets, want.Totals.Bytes)
	}
	same := func(what string, g, w []string) {
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	same("services", mergeServices(got), mergeServices(want))
	same("findings", mergeFindings(got), mergeFindings(want))
	checkMergedTimeline(t, got.Timeline, want.Timeline)
	if got.Generator != "lyncaudit "+version || len(got.Captures) != 2 || !strings.HasPrefix(got.Warnings[len(got.Warnings)-1], "combined from 2 reports (a.json, b.json)") {
		t.Errorf("generator %q, %d captures, warnings %q", got.Generator, len(got.Captures), got.Warnings)
	}

	t.Run("text", func(t *testing.T) {
		r := runCmd(t, nil, "merge", "-f", "text", "a.json", "b.json")
		if r.status != 0 {
			t.Fatalf("status %d: %s", r.status, r.stderr)
		}
		head := fmt.Sprintf("lyncaudit: 2 captures, %s packets", count(want.Totals.Packets))
		if !strings.HasPrefix(r.stdout, head) || !strings.Contains(r.stdout, "warning: combined from 2 reports") {
			t.Errorf("text report starts %q, want %q and the note", strings.SplitN(r.stdout, "\n", 2)[0], head)
		}
	})
	t.Run("itself", func(t *testing.T) {
		r := runCmd(t, nil, "merge", "whole.json", "whole.json")
		if r.status != 0 {
			t.Fatalf("status %d: %s", r.status, r.stderr)
		}
		var m analyzer.Report
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatal(err)
		}
		m.Warnings = m.Warnings[:len(m.Warnings)-1]
		if len(m.Warnings) == 0 {
			m.Warnings = nil
		}
		g, _ := json.Marshal(m)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Error("a report merged with itself changed")
		}
	})
}

// checkMergedTimeline compares the timeline of merged sensors with the
// whole capture's: each flow counted once, so the same packets and bytes
// per role over the whole capture and in all, and each bucket's protocols
// and roles adding up to its packets. Per bucket the flows two sensors
// saw come off in proportion (a record does not say which bucket each of
// its packets fell in), and the second sensor's clock runs ahead: the
// buckets differ, by less than a quarter of the packets in all.
func checkMergedTimeline(t *testing.T, got, want *analyzer.Timeline) {
	t.Helper()
	if got == nil || want == nil || got.Bucket != want.Bucket || len(got.Buckets) != len(want.Buckets) {
		t.Fatalf("merged timeline %+v, whole capture's %+v", got, want)
	}
	sum := func(tl *analyzer.Timeline) (total analyzer.Count, roles map[string]analyzer.Count) {
		roles = map[string]analyzer.Count{}
		for _, b := range tl.Buckets {
			total.Packets += b.Packets
			total.Bytes += b.Bytes
			for k, c := range b.Roles {
				r := roles[k]
				r.Packets, r.Bytes = r.Packets+c.Packets, r.Bytes+c.Bytes
				roles[k] = r
			}
		}
		return total, roles
	}
	gt, gr := sum(got)
	wt, wr := sum(want)
	if gt != wt || fmt.Sprint(gr) != fmt.Sprint(wr) {
		t.Errorf("merged timeline holds %+v, by role %v; the whole capture's %+v, %v", gt, gr, wt, wr)
	}
	var gotTried, wantTried [2]uint64 // unanswered TCP, one-way UDP
	for i := range got.Buckets {
		gotTried[0] += got.Buckets[i].Unanswered
		gotTried[1] += got.Buckets[i].OneWay
		wantTried[0] += want.Buckets[i].Unanswered
		wantTried[1] += want.Buckets[i].OneWay
	}
	if gotTried != wantTried {
		t.Errorf("merged timeline counts %v unanswered TCP and one-way UDP flows, the whole capture %v", gotTried, wantTried)
	}
	var off uint64
	for i, b := range got.Buckets {
		var p, r uint64
		for _, c := range b.Protocols {
			p += c.Packets
		}
		for _, c := range b.Roles {
			r += c.Packets
		}
		if p != b.Packets || r != b.Packets {
			t.Errorf("bucket %s: %d packets, %d by protocol, %d by role", b.Start.Format("15:04:05"), b.Packets, p, r)
		}
		w := want.Buckets[i].Packets
		off += max(b.Packets, w) - min(b.Packets, w)
	}
	if off*4 > wt.Packets {
		t.Errorf("merged buckets are %d packets off the whole capture's %d", off, wt.Packets)
	}
}

func mergeServices(r *analyzer.Report) []string {
	var out []string
	for _, h := range r.Hosts {
		for _, s := range h.Services {
			out = append(out, fmt.Sprintf("%s %s/%s %s %d flows %d packets", h.Address, s.PortText(), s.Transport, s.Verdict, s.Flows, s.Packets))
		}
		for _, s := range h.Connects {
			out = append(out, fmt.Sprintf("%s →%s/%s %d flows", h.Address, s.PortText(), s.Transport, s.Flows))
		}
		for _, m := range h.Missing {
			out = append(out, h.Address+" missing "+m.Ref)
		}
	}
	return out
}

func mergeFindings(r *analyzer.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s %s/%s %s %d flows", f.Kind, f.Host, f.Port, f.Transport, f.Protocol, f.Flows))
	}
	return out
}

func TestMergeBadInput(t *testing.T) {
	inSampleDir(t)
	analyzeJSON(t, "flows.json", "--flows", "sample.pcapng")
	analyzeJSON(t, "noflows.json", "sample.pcapng")
	tests := []struct {
		name    string
		args    []string
		wantErr string // the first line of stderr
	}{
		{"no flow records", []string{"merge", "flows.json", "noflows.json"},
			"lyncaudit merge: noflows.json: no flow records: the report counts 70 flows but lists none; merge needs reports written by analyze --format json --flows"},
		{"a capture", []string{"merge", "flows.json", "sample.pcapng"}, "lyncaudit merge: sample.pcapng: byte "},
		{"one report", []string{"merge", "flows.json"}, "lyncaudit merge: merge takes two or more reports"},
		{"bad format", []string{"merge", "-f", "xml", "flows.json", "flows.json"}, `lyncaudit merge: unknown --format "xml" (want json, `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkOneLineError(t, runCmd(t, nil, tt.args...), tt.wantErr, false)
		})
	}
}
