package lyncgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// incidentOptions is a four-minute capture with the change at 2:10.
func incidentOptions() Options {
	return Options{Seed: 11, Clients: 6, Calls: 24, Duration: 4 * time.Minute, Incident: &Incident{At: 130 * time.Second}}
}

// coveredByChange says, from the five-tuple alone and independently of
// the generator's own rule, whether the default incident blocks a flow:
// opened by a client subnet to a conferencing port of the pool.
func coveredByChange(ft FlowTruth) bool {
	pool := []string{"10.10.1.10", "10.10.1.11", "10.10.1.12", "10.10.1.13", "fd00:10::11"}
	clients := []netip.Prefix{netip.MustParsePrefix("10.20.0.0/24"), netip.MustParsePrefix("10.20.1.0/24"), netip.MustParsePrefix("fd00:20::/64")}
	if !slices.Contains(pool, ft.Server.Addr().String()) ||
		!slices.ContainsFunc(clients, func(p netip.Prefix) bool { return p.Contains(ft.Client.Addr()) }) {
		return false
	}
	port := ft.Server.Port()
	if ft.Transport == decoders.UDP {
		return port >= 49152
	}
	return port == 8057 || port == 5062 || port == 5063
}

// TestIncidentServerSilentAfterChange reads an incident capture back with
// gopacket and holds every flow the change blocks to what the change
// does on the wire: no frame from the server from the change on; SYNs
// only, retransmitted at 3 s and 6 s, for connections opened after it;
// for connections open at the change, the client's retransmissions on a
// doubling timer and a reset; for UDP, the client giving up MediaGiveUp
// later.
func TestIncidentServerSilentAfterChange(t *testing.T) {
	o := incidentOptions()
	capture, truth := generate(t, o)
	change := DefaultStart.Add(o.Incident.At)
	frames := readBack(t, capture, truth)
	if packets, _ := truth.Totals(); len(frames) != packets {
		t.Fatalf("capture has %d frames, truth says %d", len(frames), packets)
	}
	byFlow := flowFrames(frames, len(truth.Flows))
	var refused, cut, oneWay int
	serverPortsAfter := map[uint16]bool{} // ports of unblocked flows whose server spoke after the change
	for i, ft := range truth.Flows {
		fs := byFlow[i]
		name := fmt.Sprintf("flow %d %v %v-%v %q", i, ft.Transport, ft.Client, ft.Server, ft.Detail)
		if len(fs) != ft.Packets {
			t.Errorf("%s: %d frames, truth says %d", name, len(fs), ft.Packets)
			continue
		}
		wantPhase := PhaseBefore
		if !fs[0].ts.Before(change) {
			wantPhase = PhaseAfter
		}
		if ft.Phase != wantPhase {
			t.Errorf("%s: phase %q, first frame at %v says %q", name, ft.Phase, fs[0].ts, wantPhase)
		}
		var after []seenFrame
		for _, f := range fs {
			if !f.ts.Before(change) {
				after = append(after, f)
			}
		}
		if !coveredByChange(ft) {
			if ft.Blocked {
				t.Errorf("%s: blocked, but the change does not cover it", name)
			}
			for _, f := range after {
				if f.dir == s2c {
					serverPortsAfter[ft.Server.Port()] = true
				}
			}
			continue
		}
		if len(after) > 0 && !ft.Blocked {
			t.Errorf("%s: %d frames after the change, but not blocked", name, len(after))
		}
		if ft.Blocked {
			if wantCut := later(change, ft.First); !ft.Cut.Equal(wantCut) {
				t.Errorf("%s: cut at %v, want %v", name, ft.Cut, wantCut)
			}
		}
		for _, f := range after {
			if f.dir == s2c {
				t.Errorf("%s: the server sent a frame at %v, after the change at %v", name, f.ts, change)
				break
			}
		}
		var err error
		switch {
		case ft.Transport == decoders.UDP:
			err = checkGaveUp(after, later(change, ft.First).Add(MediaGiveUp))
			if ft.Phase == PhaseAfter {
				oneWay++
			}
		case ft.Phase == PhaseAfter:
			err = checkRefused(fs, ft)
			refused++
		case ft.Blocked && ft.Close == CloseRST:
			err = checkRetries(after)
			cut++
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if ft.Transport == decoders.TCP {
			if err := checkTCP(fs, ft); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if refused == 0 || cut == 0 || oneWay == 0 {
		t.Errorf("%d refused connections, %d cut ones and %d one-way media flows; want some of each", refused, cut, oneWay)
	}
	for _, port := range []uint16{5061, 443} {
		if !serverPortsAfter[port] {
			t.Errorf("no server answered on unblocked port %d after the change; ports that did: %v", port, serverPortsAfter)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// checkRefused holds a connection opened after the change to its three
// unanswered SYNs.
func checkRefused(fs []seenFrame, ft FlowTruth) error {
	if ft.Close != CloseSYNOnly || ft.Protocol != decoders.Unknown || !strings.HasPrefix(ft.Detail, "syn only") {
		return fmt.Errorf("refused connection with close %q, protocol %v", ft.Close, ft.Protocol)
	}
	if len(fs) != 3 {
		return fmt.Errorf("%d frames, want 3 SYNs", len(fs))
	}
	for k, want := range []time.Duration{0, 3 * time.Second, 9 * time.Second} {
		if f := fs[k]; f.tcpFlags != tcpSYN || f.dir != c2s || f.ts.Sub(fs[0].ts) != want {
			return fmt.Errorf("frame %d: flags %#x at +%v, want a SYN at +%v", k, f.tcpFlags, f.ts.Sub(fs[0].ts), want)
		}
	}
	return nil
}

// checkRetries holds the client's frames after the change to a send and
// retransmissions of one segment, each timeout twice the one before, and
// a reset when the last runs out.
func checkRetries(after []seenFrame) error {
	if len(after) < 3 {
		return fmt.Errorf("%d frames after the change, want retransmissions and a reset", len(after))
	}
	last := after[len(after)-1]
	if last.tcpFlags&tcpRST == 0 {
		return fmt.Errorf("last frame has flags %#x, want a reset", last.tcpFlags)
	}
	first := after[0]
	for k, f := range after[:len(after)-1] {
		if f.seq != first.seq || !bytes.Equal(f.payload, first.payload) || f.tcpFlags != first.tcpFlags {
			return fmt.Errorf("frame %d after the change: seq %d flags %#x, not a retransmission of seq %d", k, f.seq, f.tcpFlags, first.seq)
		}
	}
	for k := 2; k < len(after); k++ {
		if gap, prev := after[k].ts.Sub(after[k-1].ts), after[k-1].ts.Sub(after[k-2].ts); gap != 2*prev {
			return fmt.Errorf("frame %d after the change comes %v after the last, which came %v after its own", k, gap, prev)
		}
	}
	return nil
}

// checkGaveUp holds a UDP flow's frames after the change to the client's,
// all before it gives up.
func checkGaveUp(after []seenFrame, giveUp time.Time) error {
	for _, f := range after {
		if f.dir == c2s && !f.ts.Before(giveUp) {
			return fmt.Errorf("the client sent at %v, after giving up at %v", f.ts, giveUp)
		}
	}
	return nil
}

// TestIncidentLeavesOtherFlowsAlone generates the same options with and
// without the incident: every flow the change does not cover comes out
// the same, frame for frame, and is not marked blocked. Media flows are
// left out: the conferences take media ports from the same hosts, so the
// calls' ports differ between the two.
func TestIncidentLeavesOtherFlowsAlone(t *testing.T) {
	o := incidentOptions()
	_, truth := generate(t, o)
	base := o
	base.Incident = nil
	_, baseTruth := generate(t, base)
	type key struct {
		client, server netip.AddrPort
		tr             decoders.Transport
	}
	got := map[key]FlowTruth{}
	for _, ft := range truth.Flows {
		got[key{ft.Client, ft.Server, ft.Transport}] = ft
	}
	var compared, covered int
	for _, want := range baseTruth.Flows {
		if coveredByChange(want) {
			covered++
			continue
		}
		if want.Protocol == decoders.RTP || want.Protocol == decoders.RTCP {
			continue
		}
		ft, ok := got[key{want.Client, want.Server, want.Transport}]
		if !ok {
			t.Errorf("%v %v-%v %q is missing with the incident", want.Transport, want.Client, want.Server, want.Detail)
			continue
		}
		compared++
		if ft.Blocked || ft.Packets != want.Packets || ft.Bytes != want.Bytes || !ft.First.Equal(want.First) || !ft.Last.Equal(want.Last) ||
			ft.Close != want.Close || ft.Detail != want.Detail || ft.Want != want.Want {
			t.Errorf("%v %v-%v %q: with the incident %d packets, %d bytes, %v to %v, close %q, blocked %v; without %d, %d, %v to %v, %q",
				want.Transport, want.Client, want.Server, want.Detail, ft.Packets, ft.Bytes, ft.First, ft.Last, ft.Close, ft.Blocked,
				want.Packets, want.Bytes, want.First, want.Last, want.Close)
		}
	}
	if compared < 50 || covered == 0 {
		t.Errorf("compared %d flows, %d covered by the change; want at least 50 and some", compared, covered)
	}
}

// TestIncidentConferencesEveryMinute takes the default incident (ten
// minutes, the change at five) and counts the conferencing connections by
// the minute they open in: every minute has some, answered before the
// change and refused after it.
func TestIncidentConferencesEveryMinute(t *testing.T) {
	o := Options{Seed: 4, Incident: &Incident{}}
	_, truth := generate(t, o)
	change := DefaultStart.Add(IncidentDuration / 2)
	var answered, refused [10]int
	for _, ft := range truth.Flows {
		if ft.Transport != decoders.TCP || !coveredByChange(ft) {
			continue
		}
		m := int(ft.First.Sub(DefaultStart) / time.Minute)
		name := fmt.Sprintf("%v-%v opened at %v", ft.Client, ft.Server, ft.First)
		switch {
		case ft.First.Before(change) && ft.Packets > 3 && (ft.Close == CloseFIN || ft.Blocked):
			answered[m]++
			if ft.Blocked != ft.Last.After(change) {
				t.Errorf("%s: blocked %v, last frame at %v", name, ft.Blocked, ft.Last)
			}
		case !ft.First.Before(change) && ft.Close == CloseSYNOnly && ft.Blocked && ft.Packets == 3:
			refused[m]++
		default:
			t.Errorf("%s: close %q, blocked %v, %d packets", name, ft.Close, ft.Blocked, ft.Packets)
		}
	}
	for m := range 10 {
		before := m < 5
		if before && (answered[m] < 3 || refused[m] != 0) || !before && (refused[m] < 3 || answered[m] != 0) {
			t.Errorf("minute %d: %d answered conferencing connections, %d refused", m, answered[m], refused[m])
		}
	}
}

// TestIncidentIsDeterministic generates the incident twice.
func TestIncidentIsDeterministic(t *testing.T) {
	a, _ := generate(t, incidentOptions())
	b, _ := generate(t, incidentOptions())
	if !bytes.Equal(a, b) {
		t.Fatalf("two generations differ (%d and %d bytes)", len(a), len(b))
	}
	o := incidentOptions()
	o.Incident = &Incident{At: 100 * time.Second}
	if c, _ := generate(t, o); bytes.Equal(a, c) {
		t.Fatal("another time of change gave the same bytes")
	}
}

func TestIncidentOptions(t *testing.T) {
	tests := []struct {
		name     string
		o        Options
		duration time.Duration
		at       time.Duration
		err      string
	}{
		{"defaults", Options{Incident: &Incident{}}, IncidentDuration, IncidentDuration / 2, ""},
		{"half of a given duration", Options{Duration: 3 * time.Minute, Incident: &Incident{}}, 3 * time.Minute, 90 * time.Second, ""},
		{"at in whole microseconds", Options{Duration: time.Minute, Incident: &Incident{At: 20*time.Second + 1500}}, time.Minute, 20*time.Second + time.Microsecond, ""},
		{"at negative", Options{Incident: &Incident{At: -time.Second}}, 0, 0, "incident at -1s is outside"},
		{"at the end", Options{Duration: time.Minute, Incident: &Incident{At: time.Minute}}, 0, 0, "incident at 1m0s is outside"},
		{"ports backwards", Options{Incident: &Incident{Ports: []PortRange{{decoders.TCP, 5063, 5062}}}}, 0, 0, "port range 1"},
		{"port zero", Options{Incident: &Incident{Ports: []PortRange{{decoders.UDP, 0, 10}}}}, 0, 0, "port range 1"},
		{"no transport", Options{Incident: &Incident{Ports: []PortRange{{decoders.TCP, 80, 80}, {0, 80, 80}}}}, 0, 0, "port range 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller := *tt.o.Incident
			o, err := tt.o.withDefaults()
			if tt.err != "" {
				if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("withDefaults = %v, want an ErrOptions error with %q", err, tt.err)
				}
				var buf bytes.Buffer
				if _, err := Generate(&buf, tt.o); err == nil || buf.Len() != 0 {
					t.Errorf("Generate = %v and %d bytes, want an error and nothing written", err, buf.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Duration != tt.duration || o.Incident.At != tt.at || !slices.Equal(o.Incident.Ports, ConferencingPorts()) {
				t.Errorf("duration %v, at %v, ports %v; want %v, %v, %v", o.Duration, o.Incident.At, o.Incident.Ports, tt.duration, tt.at, ConferencingPorts())
			}
			if tt.o.Incident.At != caller.At || tt.o.Incident.Ports != nil {
				t.Errorf("the caller's Incident changed to %+v", *tt.o.Incident)
			}
		})
	}
}

func TestPortRangeString(t *testing.T) {
	var got []string
	for _, p := range ConferencingPorts() {
		got = append(got, p.String())
	}
	if want := "tcp/8057 tcp/5062 tcp/5063 udp/49152-65535"; strings.Join(got, " ") != want {
		t.Errorf("ConferencingPorts = %v, want %s", got, want)
	}
}

// TestIncidentTruthLines reads the JSON lines WriteTruth writes for an
// incident: each has its phase, and the blocked ones their cut.
func TestIncidentTruthLines(t *testing.T) {
	o := incidentOptions()
	_, truth := generate(t, o)
	var buf bytes.Buffer
	if err := WriteTruth(&buf, truth); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	n, blocked := 0, 0
	for ; sc.Scan(); n++ {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		ft := truth.Flows[n]
		if row["phase"] != ft.Phase || (row["phase"] != PhaseBefore && row["phase"] != PhaseAfter) {
			t.Errorf("line %d: phase %v, truth %q", n+1, row["phase"], ft.Phase)
		}
		cut, hasCut := row["cut"].(string)
		if ft.Blocked {
			blocked++
			if row["blocked"] != true || cut != ft.Cut.Format(time.RFC3339Nano) {
				t.Errorf("line %d: blocked %v, cut %v; truth cut %v", n+1, row["blocked"], row["cut"], ft.Cut)
			}
		} else if _, ok := row["blocked"]; ok || hasCut {
			t.Errorf("line %d: %s for a flow the change left alone", n+1, sc.Text())
		}
	}
	if n != len(truth.Flows) || blocked == 0 {
		t.Errorf("%d lines, %d blocked, for %d flows", n, blocked, len(truth.Flows))
	}

	// Without an incident, none of it.
	_, sample := generate(t, SampleOptions())
	buf.Reset()
	if err := WriteTruth(&buf, sample); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"phase"`, `"blocked"`, `"cut"`} {
		if bytes.Contains(buf.Bytes(), []byte(field)) {
			t.Errorf("the sample's truth has %s", field)
		}
	}
}

// TestIncidentTshark has Wireshark read an incident capture: no malformed
// packet, no error, and the clients' retransmissions after the change
// recognised as such. Skipped without tshark.
func TestIncidentTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed")
	}
	o := incidentOptions()
	o.Calls = 4 // the conferences are what the test is about; fewer calls keep tshark quick
	file, truth := generateFile(t, "incident.pcapng", o)
	run := tsharkOn(t, tshark, file)
	if phs := run("-q", "-z", "io,phs"); strings.Contains(phs, "_ws.malformed") {
		t.Errorf("malformed packets:\n%s", phs)
	}
	if expert := run("-q", "-z", "expert,error"); strings.Contains(expert, "Errors (") {
		t.Errorf("tshark reports errors:\n%s", expert)
	}
	// Every retransmission tshark finds, SYNs aside, is a client's on a
	// blocked flow.
	blocked := map[string]bool{}
	for _, ft := range truth.Flows {
		if ft.Blocked && ft.Transport == decoders.TCP {
			blocked[ft.Client.String()+" "+ft.Server.String()] = true
		}
	}
	lines := strings.Fields(run("-Y", "tcp.analysis.retransmission && tcp.flags.syn == 0", "-T", "fields", "-E", "separator=,", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport"))
	if len(lines) == 0 {
		t.Fatal("tshark finds no retransmission")
	}
	for _, l := range lines {
		f := strings.Split(l, ",")
		if len(f) != 4 || !blocked[f[0]+":"+f[1]+" "+f[2]+":"+f[3]] {
			t.Errorf("retransmission %s is not a client's on a blocked flow", l)
		}
	}
}

// TestBlockedMediaPacketAllocs is TestMediaPacketAllocs on a media flow
// the change blocks, before its stop: the check costs no allocation.
func TestBlockedMediaPacketAllocs(t *testing.T) {
	g, _ := newBenchGen(t)
	n := g.net
	g.fw = &firewall{at: 1 << 60, ports: ConferencingPorts(), pool: []*host{n.fe[0]}}
	g.q = g.q[:0]
	m := mediaSpec{codec: &codecRTAudio, srtp: true, vad: true, mux: true, start: 0, end: 1 << 62}
	g.media(newRNG(1, 3), n.clients[1], 50030, n.fe[0], 50010, verdict{}, m)
	f := g.q[0].src.(*mediaFlow)
	if f.stop[s2c] != g.fw.at {
		t.Fatalf("the flow's stops are %v, want the change's", f.stop)
	}
	if allocs := testing.AllocsPerRun(1000, func() {
		if err := benchStep(g, f); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("%v allocations per blocked media packet, want 0", allocs)
	}
}

func BenchmarkGenerateIncident(b *testing.B) {
	b.ReportAllocs()
	o := Options{Seed: 1, Incident: &Incident{}}
	var packets int
	var written int64
	for b.Loop() {
		cw := &countingWriter{}
		truth, err := Generate(cw, o)
		if err != nil {
			b.Fatal(err)
		}
		packets, _ = truth.Totals()
		written = cw.n
	}
	b.SetBytes(written)
	b.ReportMetric(float64(packets), "packets/op")
}

// countingWriter counts what is written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// TestCutTCP cuts one compiled conversation at several times and checks
// what is left: the client's segments only from the change on, sent again
// on a doubling timer from 300 ms, then a reset that carries on the
// sequence numbers.
func TestCutTCP(t *testing.T) {
	newConv := func(last int) *conv {
		c := &conv{}
		c.say(c2s, 10*time.Millisecond, make([]byte, 500))
		c.say(s2c, 100*time.Millisecond, make([]byte, 700))
		c.say(s2c, 5*time.Second, make([]byte, 400)) // never reaches the client when the change comes first
		c.say(last, 5*time.Second, make([]byte, 300))
		c.end(CloseOpen, c2s, 0)
		return c
	}
	compile := func(last int) *tcpFlow {
		f := &tcpFlow{}
		newConv(last).compile(f, newRNG(1, 9), 0, tcpTiming{rtt: time.Millisecond, mss: 1460})
		return f
	}
	ref := compile(c2s)
	seg := func(dir int, n int32) tcpSeg {
		i := slices.IndexFunc(ref.segs, func(s tcpSeg) bool { return int(s.dir) == dir && s.n == n })
		return ref.segs[i]
	}
	request, reply, later := seg(c2s, 500), seg(s2c, 700), seg(c2s, 300)
	tests := []struct {
		name      string
		last      int // direction of the last message
		at        time.Duration
		close     string
		resent    tcpSeg        // the segment sent again
		firstSend time.Duration // when its first copy after the change goes
		firstGap  time.Duration
	}{
		{"after the end", c2s, ref.segs[len(ref.segs)-1].at + time.Microsecond, "", tcpSeg{}, 0, 0},
		{"between syn and syn-ack", c2s, ref.segs[1].at, CloseSYNOnly, tcpSeg{}, 0, 0},
		{"before the reply", c2s, reply.at - time.Microsecond, CloseRST, request, request.at + minRTO, 2 * minRTO},
		{"while idle", c2s, reply.at + 2*time.Second, CloseRST, later, later.at, minRTO},
		{"nothing left to send", s2c, reply.at + 2*time.Second, CloseOpen, tcpSeg{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compile(tt.last)
			orig := slices.Clone(f.segs)
			fw := &firewall{at: tt.at}
			close, cut := fw.cutTCP(f, false)
			if close != tt.close || cut != (tt.close != "") {
				t.Fatalf("cutTCP = %q, %v; want %q, %v", close, cut, tt.close, tt.close != "")
			}
			before := slices.IndexFunc(orig, func(s tcpSeg) bool { return s.at >= tt.at })
			if before < 0 {
				if !slices.Equal(f.segs, orig) {
					t.Error("a conversation over before the change was changed")
				}
				return
			}
			if tt.close != CloseSYNOnly && !slices.Equal(f.segs[:before], orig[:before]) {
				t.Error("the segments before the change were changed")
			}
			after := f.segs[before:]
			for _, s := range after {
				if s.dir != c2s {
					t.Fatalf("the server sent at %v, after the change at %v", s.at, tt.at)
				}
			}
			switch tt.close {
			case CloseSYNOnly:
				if len(f.segs) != 3 || f.segs[0] != orig[0] {
					t.Fatalf("%d segments, want the first SYN and two more", len(f.segs))
				}
				for k, s := range f.segs {
					if want := orig[0].at + []time.Duration{0, 3 * time.Second, 9 * time.Second}[k]; s.flags != tcpSYN || s.at != want {
						t.Errorf("segment %d: flags %#x at %v, want a SYN at %v", k, s.flags, s.at, want)
					}
				}
			case CloseOpen:
				if len(after) != 0 {
					t.Errorf("%d segments after the change from a client with nothing to send", len(after))
				}
			case CloseRST:
				serverEnd := reply.seq + uint32(reply.n)
				if tt.at < reply.at {
					serverEnd = reply.seq // the reply never came
				}
				tries := after[:len(after)-1]
				if len(tries) < dataRetries || tries[0].at != tt.firstSend {
					t.Fatalf("%d sends after the change, the first at %v; want at least %d, the first at %v", len(tries), tries[0].at, dataRetries, tt.firstSend)
				}
				gap := tt.firstGap
				for k, s := range after {
					if k > 0 && s.at-after[k-1].at != gap {
						t.Errorf("segment %d after the change: %v after the one before, want %v", k, s.at-after[k-1].at, gap)
					}
					if k > 0 {
						gap *= 2
					}
					if s.ack != serverEnd {
						t.Errorf("segment %d after the change acknowledges %d, want %d", k, s.ack, serverEnd)
					}
					if k < len(tries) && (s.seq != tt.resent.seq || s.off != tt.resent.off || s.n != tt.resent.n) {
						t.Errorf("segment %d after the change: seq %d, %d bytes; want seq %d, %d bytes again", k, s.seq, s.n, tt.resent.seq, tt.resent.n)
					}
				}
				// Nothing was sent after the segment sent again.
				rst := after[len(after)-1]
				if want := tt.resent.seq + uint32(tt.resent.n); rst.flags != tcpRST|tcpACK || rst.seq != want {
					t.Errorf("last segment: flags %#x seq %d, want a reset at %d", rst.flags, rst.seq, want)
				}
			}
		})
	}
}

// TestBlockedMedia runs one media flow, without voice activity detection
// so that both sides send all along, against a change at 4 s: the server
// falls silent at the change, the client MediaGiveUp later.
func TestBlockedMedia(t *testing.T) {
	const change = 4 * time.Second
	tests := []struct {
		name       string
		start, end time.Duration
		blocked    bool
	}{
		{"across the change", 0, 20 * time.Second, true},
		{"after the change", 6 * time.Second, 20 * time.Second, true},
		{"over before it", 0, 3 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			g, _ := newBenchGen(t)
			cw, err := newCaptureWriter(&buf, FormatPcapng, 262144)
			if err != nil {
				t.Fatal(err)
			}
			n := g.net
			g.cw, g.q, g.truth = cw, g.q[:0], Truth{}
			g.fw = &firewall{at: change, ports: ConferencingPorts(), pool: []*host{n.fe[0]}}
			g.media(newRNG(1, 3), n.clients[1], 50030, n.fe[0], 50010, verdict{proto: decoders.RTP},
				mediaSpec{codec: &codecRTAudio, srtp: true, mux: true, start: tt.start, end: tt.end})
			if err := g.run(); err != nil {
				t.Fatal(err)
			}
			if err := cw.flush(); err != nil {
				t.Fatal(err)
			}
			ft := g.truth.Flows[0]
			if ft.Blocked != tt.blocked {
				t.Errorf("blocked %v, want %v", ft.Blocked, tt.blocked)
			}
			var last [2]time.Duration
			var count [2]int
			for _, f := range readBack(t, buf.Bytes(), &g.truth) {
				last[f.dir] = f.ts.Sub(g.o.Start)
				count[f.dir]++
			}
			ptime := codecRTAudio.ptime + 1500*time.Microsecond // a packet interval and its jitter
			switch {
			case !tt.blocked:
				if last[s2c] < tt.end || last[c2s] < tt.end {
					t.Errorf("last frames at %v and %v, before the end at %v", last[c2s], last[s2c], tt.end)
				}
			case tt.start < change:
				if last[s2c] >= change || last[s2c] < change-ptime {
					t.Errorf("the server's last frame at %v, want within %v before the change at %v", last[s2c], ptime, change)
				}
				if giveUp := change + MediaGiveUp; last[c2s] >= giveUp || last[c2s] < giveUp-ptime {
					t.Errorf("the client's last frame at %v, want within %v before %v", last[c2s], ptime, giveUp)
				}
			default:
				if count[s2c] != 0 {
					t.Errorf("%d frames from the server after the change", count[s2c])
				}
				if giveUp := tt.start + MediaGiveUp; last[c2s] >= giveUp || last[c2s] < giveUp-ptime {
					t.Errorf("the client's last frame at %v, want within %v before %v", last[c2s], ptime, giveUp)
				}
			}
		})
	}
}

// FuzzIncident generates small incident captures from random options and
// holds each to what the change promises: every frame in a flow of the
// truth, consistent TCP, no frame from the server of a blocked flow from
// the change on, nothing blocked that the change does not cover, and the
// payloads of the flows it left whole well formed.
func FuzzIncident(f *testing.F) {
	f.Add(int64(1), uint8(0), uint8(40), uint16(500), false)
	f.Add(int64(20130901), uint8(4), uint8(100), uint16(1), true)
	f.Add(int64(-3), uint8(9), uint8(0), uint16(998), false)
	f.Fuzz(func(t *testing.T, seed int64, clients, seconds uint8, permille uint16, pcap bool) {
		span := time.Duration(20+int(seconds)%100) * time.Second
		o := Options{
			Seed:     seed,
			Clients:  2 + int(clients)%7,
			Calls:    3,
			Duration: span,
			MinCall:  time.Second,
			MaxCall:  8 * time.Second,
			Incident: &Incident{At: span / 1000 * time.Duration(1+int(permille)%999)},
		}
		if pcap {
			o.Format = FormatPcap
		}
		capture, truth := generate(t, o)
		change := DefaultStart.Add(o.Incident.At.Truncate(time.Microsecond))
		frames := readBack(t, capture, truth)
		if packets, _ := truth.Totals(); len(frames) != packets {
			t.Fatalf("%d frames, truth says %d", len(frames), packets)
		}
		byFlow := flowFrames(frames, len(truth.Flows))
		for i, ft := range truth.Flows {
			fs := byFlow[i]
			if len(fs) != ft.Packets || len(fs) == 0 {
				t.Fatalf("flow %d %q: %d frames, truth says %d", i, ft.Detail, len(fs), ft.Packets)
			}
			if ft.Blocked && !coveredByChange(ft) {
				t.Fatalf("flow %d %q: blocked, but the change does not cover it", i, ft.Detail)
			}
			if (ft.Phase == PhaseAfter) != !fs[0].ts.Before(change) {
				t.Fatalf("flow %d %q: phase %q, first frame at %v, change at %v", i, ft.Detail, ft.Phase, fs[0].ts, change)
			}
			if coveredByChange(ft) {
				for _, f := range fs {
					if f.dir == s2c && !f.ts.Before(change) {
						t.Fatalf("flow %d %q: the server sent at %v, after the change at %v", i, ft.Detail, f.ts, change)
					}
				}
			}
			if ft.Transport == decoders.TCP {
				if err := checkTCP(fs, ft); err != nil {
					t.Fatalf("flow %d %q: %v", i, ft.Detail, err)
				}
			}
			// A connection cut at the change may stop inside a record.
			if ft.Blocked && ft.Transport == decoders.TCP && ft.Close != CloseSYNOnly {
				continue
			}
			if err := checkPayload(fs, ft); err != nil {
				t.Fatalf("flow %d %q: %v", i, ft.Detail, err)
			}
		}
	})
}
