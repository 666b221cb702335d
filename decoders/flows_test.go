package decoders

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The flow helpers below are exported, in test builds only, for the tests
// of package decoders_test: those build flows from the generated sample,
// and the generator imports this package, so they cannot live inside it.

// Budgets: how many payloads of a flow tests show a signature at most
// (InspectFlow stops earlier at Confirmed or Violated). The STUN, RTP and
// RTCP tests give a few more, for the stream facts that take a while to
// show.
const (
	InspectBudget = 16
	MediaBudget   = 24
)

// PayloadFlow is one TCP or UDP flow as signatures see it: its two ends
// and the payloads each sent, in capture order.
type PayloadFlow struct {
	Transport      Transport
	Client, Server netip.AddrPort
	Payloads       []FlowPayload
	Frames         []int // every frame of the flow, payload or not
}

// FlowPayload is one payload of a flow.
type FlowPayload struct {
	Frame int // the frame that carried it, from 1 as tshark counts
	Dir   Dir
	Data  []byte
}

// String names the flow by its transport and ends, and the frame it
// starts at.
func (f *PayloadFlow) String() string {
	s := fmt.Sprintf("%v %v → %v", f.Transport, f.Client, f.Server)
	if len(f.Frames) > 0 {
		s += fmt.Sprintf(" (frame %d)", f.Frames[0])
	}
	return s
}

// Orient makes client, one of the flow's ends, its client: it turns the
// flow round if it had the sides the other way.
func (f *PayloadFlow) Orient(client netip.AddrPort) {
	if f.Client == client {
		return
	}
	f.Client, f.Server = f.Server, f.Client
	for i := range f.Payloads {
		f.Payloads[i].Dir ^= 1
	}
}

// flowKey identifies a flow whichever way its packets go.
type flowKey struct {
	transport Transport
	a, b      netip.AddrPort
}

func flowKeyOf(t Transport, src, dst netip.AddrPort) flowKey {
	if src.Compare(dst) > 0 {
		src, dst = dst, src
	}
	return flowKey{t, src, dst}
}

// FlowsOf decodes every frame of a pcap or pcapng capture (called name in
// errors) and returns its TCP and UDP flows in order of first packet. The
// client is the sender of the flow's first packet, or its receiver when
// that is a SYN+ACK. Payloads leave out what the analyzer does not
// inspect: empty ones, later IP fragments (the first carries the start of
// the datagram) and TCP segments that end at or before data already seen
// in their direction (retransmissions).
func FlowsOf(tb testing.TB, name string, capture []byte) []*PayloadFlow {
	tb.Helper()
	var (
		dec   = NewDecoder()
		p     Packet
		flows []*PayloadFlow
		index = map[flowKey]*PayloadFlow{}
		ends  = map[flowKey]*[2]uint32{} // TCP: the end of the highest segment seen, per Dir
	)
	for _, fr := range readFrames(tb, name, capture) {
		if dec.Decode(fr.lt, fr.data, &p) != OK || !p.Fragment.First() {
			continue
		}
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		k := flowKeyOf(p.Transport, src, dst)
		f := index[k]
		if f == nil {
			f = &PayloadFlow{Transport: p.Transport, Client: src, Server: dst}
			if p.Transport == TCP && p.Flags.Has(FlagSYN|FlagACK) {
				f.Client, f.Server = dst, src
			}
			index[k], ends[k] = f, new([2]uint32)
			flows = append(flows, f)
		}
		f.Frames = append(f.Frames, fr.number)
		dir := ToServer
		if src != f.Client {
			dir = ToClient
		}
		if len(p.Payload) == 0 {
			continue
		}
		if p.Transport == TCP {
			end, seen := p.Seq+uint32(len(p.Payload)), ends[k]
			if seen[dir] != 0 && int32(end-seen[dir]) <= 0 {
				continue
			}
			seen[dir] = end
		}
		f.Payloads = append(f.Payloads, FlowPayload{fr.number, dir, p.Payload})
	}
	return flows
}

// memo keeps what tests compute from a capture file for the rest of the
// test run.
type memo[V any] struct {
	mu     sync.Mutex
	byPath map[string]V
}

// get returns the value kept for path, computing it first if there is none.
func (m *memo[V]) get(path string, compute func() V) V {
	m.mu.Lock()
	defer m.mu.Unlock()
	path = filepath.Clean(path)
	if v, ok := m.byPath[path]; ok {
		return v
	}
	v := compute()
	if m.byPath == nil {
		m.byPath = map[string]V{}
	}
	m.byPath[path] = v
	return v
}

var flowMemo memo[[]*PayloadFlow]

// captureFlows returns the flows of the capture file at path, as FlowsOf
// does, reading the file once per test run: callers share the flows and
// must not change them.
func captureFlows(tb testing.TB, path string) []*PayloadFlow {
	tb.Helper()
	return flowMemo.get(path, func() []*PayloadFlow {
		raw, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		return FlowsOf(tb, path, raw)
	})
}

// flowBetween returns the flow of transport t from client to server (each
// written "addr:port"), or nil.
func flowBetween(flows []*PayloadFlow, t Transport, client, server string) *PayloadFlow {
	for _, f := range flows {
		if f.Transport == t && f.Client.String() == client && f.Server.String() == server {
			return f
		}
	}
	return nil
}

// Inspection is what one signature made of a flow.
type Inspection struct {
	Answers []Answer // one per payload shown, in order
	State   *State
}

// InspectFlow shows sig the flow's payloads on a fresh State, as the
// analyzer does: at most budget of them, stopping at Confirmed or
// Violated. A signature that does not judge the flow's transport is shown
// none.
func InspectFlow(sig Signature, f *PayloadFlow, budget int) Inspection {
	s := new(State)
	s.Reset(f.Transport, f.Client.Port(), f.Server.Port())
	in := Inspection{State: s}
	if !sig.Accepts(f.Transport) {
		return in
	}
	for _, p := range f.Payloads[:min(budget, len(f.Payloads))] {
		a := sig.Inspect(s, p.Dir, p.Data)
		s.Payloads[p.Dir]++
		in.Answers = append(in.Answers, a)
		if a == Confirmed || a == Violated {
			break
		}
	}
	return in
}

// Last returns the last answer, or NeedMore when the signature was shown
// nothing.
func (in Inspection) Last() Answer {
	if len(in.Answers) == 0 {
		return NeedMore
	}
	return in.Answers[len(in.Answers)-1]
}

// Named reports whether any answer named the flow.
func (in Inspection) Named() bool {
	for _, a := range in.Answers {
		if a.Named() {
			return true
		}
	}
	return false
}
