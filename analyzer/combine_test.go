package analyzer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/internal/sensors"
	"github.com/lyncaudit/lyncaudit/rules"
)

// sensor is one capture point made from a generated capture: the packets
// keep accepts, their timestamps moved by shift (another sensor's clock).
type sensor struct {
	keep  func(p *decoders.Packet) bool
	shift time.Duration
}

// splitCapture writes, for each sensor, a nanosecond pcap of the packets
// of capture data it keeps. Frames that do not decode go to every sensor.
func splitCapture(t testing.TB, data []byte, ss ...sensor) [][]byte {
	t.Helper()
	r, err := capture.NewReader(bytes.NewReader(data), "generated")
	if err != nil {
		t.Fatal(err)
	}
	specs := make([]sensors.Sensor, len(ss))
	bufs := make([]bytes.Buffer, len(ss))
	out := make([]io.Writer, len(ss))
	for i, s := range ss {
		specs[i], out[i] = sensors.Sensor{Keep: s.keep, Shift: s.shift}, &bufs[i]
	}
	if err := sensors.Split(r, specs, out); err != nil {
		t.Fatal(err)
	}
	res := make([][]byte, len(bufs))
	for i := range bufs {
		res[i] = bufs[i].Bytes()
	}
	return res
}

// analyzeCapture analyses one capture with flow records kept.
func analyzeCapture(t testing.TB, data []byte, name string, inv *rules.Inventory) *Report {
	t.Helper()
	r, err := capture.NewReader(bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewConfig()
	cfg.Inventory = inv
	cfg.KeepFlows = true
	e := NewEngine(cfg)
	if err := e.Read(r); err != nil {
		t.Fatal(err)
	}
	rep := e.Report()
	rep.Inventory = "sample.inventory"
	rep.Catalogs = []string{"builtin"}
	return rep
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameJSON reports the first line where the JSON forms of got and want
// differ.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := mustJSON(t, got), mustJSON(t, want)
	if g == w {
		return
	}
	gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
	for i := range max(len(gl), len(wl)) {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			t.Errorf("%s differs at line %d:\n got: %s\nwant: %s", what, i+1, a, b)
			return
		}
	}
}

// TestCombineWithItself combines the sample's report with itself, and
// alone: nothing changes but the note saying where it came from.
func TestCombineWithItself(t *testing.T) {
	rep, _ := analyzeGenerated(t, lyncgen.SampleOptions())
	rep.Catalogs = []string{"builtin"}
	for _, tt := range []struct {
		name   string
		inputs []ReportFile
	}{
		{"alone", []ReportFile{{"a.json", rep}}},
		{"twice", []ReportFile{{"a.json", rep}, {"b.json", rep}}},
		{"three times", []ReportFile{{"a.json", rep}, {"b.json", rep}, {"c.json", rep}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := mustJSON(t, rep)
			got, err := Combine(tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			if mustJSON(t, rep) != before {
				t.Fatal("Combine changed its input")
			}
			if n := len(tt.inputs); n > 1 {
				note := got.Warnings[len(got.Warnings)-1]
				if !strings.HasPrefix(note, fmt.Sprintf("combined from %d reports (a.json, b.json", n)) || !strings.Contains(note, "b.json read the same captures") {
					t.Errorf("note %q", note)
				}
				got.Warnings = got.Warnings[:len(got.Warnings)-1]
				if len(got.Warnings) == 0 {
					got.Warnings = nil
				}
			}
			sameJSON(t, "combined report", got, rep)
		})
	}
}

// TestCombineSensors splits the sample between two sensors that both see
// the clients' traffic, and holds their combined report to the report of
// the whole capture: the same flows, services, findings and totals.
func TestCombineSensors(t *testing.T) {
	data, inv, _ := generated(t, lyncgen.SampleOptions())
	pool := netip.MustParsePrefix("10.10.1.0/24")
	clients := netip.MustParsePrefix("10.20.0.0/16")
	touches := func(p netip.Prefix, pk *decoders.Packet) bool { return p.Contains(pk.Src) || p.Contains(pk.Dst) }
	poolSide := func(p *decoders.Packet) bool { return touches(pool, p) || touches(clients, p) }
	otherSide := func(p *decoders.Packet) bool { return !touches(pool, p) || touches(clients, p) }
	// A sensor that sees only what the clients send: half of each of
	// their flows, which the other sensor sees whole.
	oneWay := func(p *decoders.Packet) bool {
		return (!touches(pool, p) && !touches(clients, p)) || clients.Contains(p.Src)
	}
	whole := analyzeCapture(t, data, "whole.pcap", inv)
	for _, tt := range []struct {
		name     string
		a, b     func(p *decoders.Packet) bool
		shift    time.Duration // of sensor b's clock
		bFirst   bool          // combine b's report first
		sameTime bool          // every flow keeps its times: compare the reports whole
	}{
		{"same clock", poolSide, otherSide, 0, false, true},
		{"clock 300ms ahead", poolSide, otherSide, 300 * time.Millisecond, false, false},
		{"clock 900ms behind", poolSide, otherSide, -900 * time.Millisecond, true, false},
		{"half flows first", poolSide, oneWay, 0, true, true},
		{"half flows, clock 50ms ahead", poolSide, oneWay, 50 * time.Millisecond, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitCapture(t, data, sensor{keep: tt.a}, sensor{keep: tt.b, shift: tt.shift})
			a := analyzeCapture(t, parts[0], "a.pcap", inv)
			b := analyzeCapture(t, parts[1], "b.pcap", inv)
			if a.Totals.Flows+b.Totals.Flows <= whole.Totals.Flows || a.Totals.Flows == whole.Totals.Flows {
				t.Fatalf("sensors see %d and %d of %d flows: no overlap to test", a.Totals.Flows, b.Totals.Flows, whole.Totals.Flows)
			}
			inputs := []ReportFile{{"a.json", a}, {"b.json", b}}
			if tt.bFirst {
				inputs[0], inputs[1] = inputs[1], inputs[0]
			}
			got, err := Combine(inputs)
			if err != nil {
				t.Fatal(err)
			}
			if got.Totals.Flows != whole.Totals.Flows || got.Totals.Packets != whole.Totals.Packets ||
				got.Totals.Bytes != whole.Totals.Bytes || got.Totals.Decoded != whole.Totals.Decoded {
				t.Errorf("totals: %d flows, %d packets, %d bytes, %d decoded; want %d, %d, %d, %d", got.Totals.Flows, got.Totals.Packets,
					got.Totals.Bytes, got.Totals.Decoded, whole.Totals.Flows, whole.Totals.Packets, whole.Totals.Bytes, whole.Totals.Decoded)
			}
			sameJSON(t, "verdict counts", got.Totals.Verdicts, whole.Totals.Verdicts)
			if tt.sameTime {
				sameJSON(t, "flows", got.Flows, whole.Flows)
				sameJSON(t, "hosts", got.Hosts, whole.Hosts)
				sameJSON(t, "findings", got.Findings, whole.Findings)
				sameJSON(t, "unjudged", got.Unjudged, whole.Unjudged)
				return
			}
			sameJSON(t, "flows", flowCounts(got), flowCounts(whole))
			sameJSON(t, "services", serviceCounts(got), serviceCounts(whole))
			sameJSON(t, "findings", findingCounts(got), findingCounts(whole))
			sameJSON(t, "missing", missingRefs(got), missingRefs(whole))
		})
	}
}

// flowCounts lists each flow without its times, which a sensor's clock moves.
func flowCounts(r *Report) []string {
	var out []string
	for _, f := range r.Flows {
		out = append(out, fmt.Sprintf("%s:%d %s:%d %s %s %s %d %d", f.Client, f.ClientPort, f.Server, f.ServerPort, f.Transport, f.Protocol, f.Verdict, f.Packets, f.Bytes))
	}
	slices.Sort(out)
	return out
}

func serviceCounts(r *Report) []string {
	var out []string
	for _, h := range r.Hosts {
		for i, list := range [][]Service{h.Services, h.Connects, h.Attempts} {
			for _, s := range list {
				out = append(out, fmt.Sprintf("%s %s %s/%s %s %v %d flows %d packets %d bytes %d peers", h.Address, serviceLists[i],
					s.PortText(), s.Transport, s.Verdict, s.Protocols, s.Flows, s.Packets, s.Bytes, s.Peers))
			}
		}
		out = append(out, fmt.Sprintf("%s seen %v, %d addresses", h.Address, h.Seen, h.Addresses))
	}
	return out
}

func findingCounts(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s %s/%s %s %d flows %d packets %d bytes %s %q", f.Kind, f.Host, f.Port, f.Transport, f.Protocol, f.Flows, f.Packets, f.Bytes, f.Detail, f.Evidence))
	}
	return out
}

func missingRefs(r *Report) []string {
	var out []string
	for _, h := range r.Hosts {
		for _, m := range h.Missing {
			out = append(out, h.Address+" "+m.Ref)
		}
	}
	return out
}

func TestCombineRefuses(t *testing.T) {
	rep, _ := analyzeGenerated(t, lyncgen.SampleOptions())
	clone := func(edit func(r *Report)) *Report {
		var r Report
		if err := json.Unmarshal([]byte(mustJSON(t, rep)), &r); err != nil {
			t.Fatal(err)
		}
		edit(&r)
		return &r
	}
	tests := []struct {
		name    string
		other   *Report
		wantErr error
		wantMsg string
	}{
		{"no flows", clone(func(r *Report) { r.Flows = nil }), ErrNoFlows, "b.json: no flow records: the report counts 70 flows but lists none"},
		{"another schema", clone(func(r *Report) { r.Schema = "lyncaudit.report/2" }), ErrSchema, `b.json: unsupported report schema "lyncaudit.report/2" (want lyncaudit.report/1)`},
		{"other roles", clone(func(r *Report) { r.Hosts[4].Roles = []string{"frontend"} }), ErrIncompatible,
			"b.json: reports of different inventories: 10.10.2.10 has roles frontend here and director in a.json"},
		{"a host less", clone(func(r *Report) { r.Hosts = r.Hosts[1:] }), ErrIncompatible,
			"b.json: reports of different inventories: 10.10.1.10, a host of a.json, is not in this report"},
		{"a bad flow", clone(func(r *Report) { r.Flows[2].Server = "10.0.0.300" }), ErrBadReport,
			`b.json: flow 3: malformed report: server "10.0.0.300" is not an address`},
		{"an unknown protocol", clone(func(r *Report) { r.Flows[0].Protocol = "quic" }), ErrBadReport,
			`b.json: flow 1: malformed report: unknown protocol "quic"`},
		{"a bad host", clone(func(r *Report) { r.Hosts[8].Address = "10.20.0.0/33" }), ErrBadReport,
			`b.json: malformed report: host "10.20.0.0/33" is not an address, prefix or range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Combine([]ReportFile{{"a.json", rep}, {"b.json", tt.other}})
			var re *ReportError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &re) {
				t.Fatalf("error %v, want a *ReportError wrapping %v", err, tt.wantErr)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error\n %s\nwant\n %s", err, tt.wantMsg)
			}
		})
	}
	// A report of a capture without flows has nothing to list.
	empty := clone(func(r *Report) { r.Flows, r.Totals.Flows = nil, 0 })
	if _, err := Combine([]ReportFile{{"a.json", rep}, {"b.json", empty}}); err != nil {
		t.Errorf("a report of no flows: %v", err)
	}
}

// TestCombineTimelines adds up timelines of one bucket length, and of
// two, coarsened to the longer; findings go to the buckets they started in.
func TestCombineTimelines(t *testing.T) {
	at := func(s string) time.Time { return time.Date(2026, 3, 2, 10, 40, 0, 0, time.UTC).Add(mustDuration(t, s)) }
	bucket := func(start string, tls, sip uint64) Bucket {
		b := Bucket{Start: at(start), Protocols: map[string]Count{}, Roles: map[string]Count{"frontend": {tls + sip, 100 * (tls + sip)}}, Findings: []int{}}
		if tls > 0 {
			b.Protocols["tls"] = Count{tls, 100 * tls}
		}
		if sip > 0 {
			b.Protocols["sip"] = Count{sip, 100 * sip}
		}
		b.Packets, b.Bytes = tls+sip, 100*(tls+sip)
		return b
	}
	report := func(bucketLen string, bs ...Bucket) *Report {
		d := mustDuration(t, bucketLen)
		return &Report{Schema: Schema, Captures: []CaptureInfo{{Name: bucketLen + fmt.Sprint(len(bs))}},
			Timeline: &Timeline{Bucket: d.String(), BucketSeconds: d.Seconds(), Buckets: bs}}
	}
	tests := []struct {
		name string
		a, b *Report
		want string
	}{
		{"same length", report("1s", bucket("0s", 2, 0), bucket("1s", 1, 1)), report("1s", bucket("1s", 0, 3), bucket("2s", 5, 0)),
			"1s: 10:40:00 2 [tls 2] [0]; 10:40:01 5 [sip 4 tls 1] []; 10:40:02 5 [tls 5] []"},
		{"coarsened", report("1s", bucket("0s", 2, 0), bucket("1s", 1, 1), bucket("2s", 0, 1)), report("2s", bucket("2s", 0, 3), bucket("4s", 5, 0)),
			"2s: 10:40:00 4 [sip 1 tls 3] [0]; 10:40:02 4 [sip 4] []; 10:40:04 5 [tls 5] []"},
		{"a gap", report("1m0s", bucket("0s", 1, 0)), report("1m0s", bucket("3m", 0, 1)),
			"1m0s: 10:40:00 1 [tls 1] [0]; 10:41:00 0 [] []; 10:42:00 0 [] []; 10:43:00 1 [sip 1] []"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &combiner{inputs: []ReportFile{{"a.json", tt.a}, {"b.json", tt.b}}, repeats: []bool{false, false}}
			tl, err := c.timeline([]Finding{{Kind: "unexpected", FirstSeen: at("500ms")}, {Kind: "missing"}})
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, b := range tl.Buckets {
				var protos []string
				for _, p := range []string{"sip", "tls"} {
					if c, ok := b.Protocols[p]; ok {
						protos = append(protos, fmt.Sprintf("%s %d", p, c.Packets))
					}
				}
				if b.Roles["frontend"].Packets != b.Packets || b.Bytes != 100*b.Packets {
					t.Errorf("bucket %s: roles %v, %d bytes for %d packets", b.Start, b.Roles, b.Bytes, b.Packets)
				}
				parts = append(parts, fmt.Sprintf("%s %d %v %v", b.Start.Format("15:04:05"), b.Packets, protos, b.Findings))
			}
			got := tl.Bucket + ": " + strings.Join(parts, "; ")
			if got != tt.want {
				t.Errorf("timeline\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func mustDuration(t testing.TB, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// BenchmarkCombine combines the reports of two sensors that share the
// IPv6 flows, for the sample and for a busier pool.
func BenchmarkCombine(b *testing.B) {
	large := lyncgen.SampleOptions()
	large.Clients, large.Calls, large.Duration, large.MaxCall = 200, 400, 10*time.Minute, 30*time.Second
	for _, bc := range []struct {
		name string
		o    lyncgen.Options
	}{{"sample", lyncgen.SampleOptions()}, {"200 clients", large}} {
		b.Run(bc.name, func(b *testing.B) {
			data, inv, _ := generated(b, bc.o)
			pool := netip.MustParsePrefix("10.10.1.0/24")
			onPool := func(p *decoders.Packet) bool { return pool.Contains(p.Src) || pool.Contains(p.Dst) }
			parts := splitCapture(b, data,
				sensor{keep: func(p *decoders.Packet) bool { return onPool(p) || !p.Src.Is4() }},
				sensor{keep: func(p *decoders.Packet) bool { return !onPool(p) || !p.Src.Is4() }, shift: time.Millisecond})
			inputs := []ReportFile{{"a.json", analyzeCapture(b, parts[0], "a.pcap", inv)}, {"b.json", analyzeCapture(b, parts[1], "b.pcap", inv)}}
			records := len(inputs[0].Report.Flows) + len(inputs[1].Report.Flows)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Combine(inputs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(records), "ns/record")
			b.ReportMetric(float64(records), "records")
		})
	}
}
