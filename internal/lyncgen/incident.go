package lyncgen

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Incident is a firewall change partway through the capture: from At on,
// the firewall drops what the client subnets (10.20.0.0/24, the phones'
// 10.20.1.0/24 and fd00:20::/64) open to Ports of the Front End pool
// (fe01-fe03, fd00:10::11 and the VIP 10.10.1.10). Everything else goes
// on unchanged.
//
// The capture point sees the clients' side of the firewall, so what the
// change does shows as:
//
//   - a TCP connection opened at or after At: the client's SYN and its
//     retransmissions 3 s and 6 s later, never answered;
//   - a TCP connection open at At: nothing more from the server; the
//     client retransmits its first unacknowledged segment (or sends its
//     next one) five times, 300 ms apart and doubling, then resets the
//     connection when the next timeout runs out (FlowTruth.Close "rst");
//     a client with nothing left to send falls silent ("open"), and one
//     still waiting for the SYN-ACK retransmits its SYN ("syn-only");
//   - UDP (media and RTCP): nothing more from the server from At on; the
//     client keeps sending for MediaGiveUp after At, or after its first
//     datagram if that came later, then gives up.
//
// With an Incident, Generate also starts a conference every 20 to 30
// seconds over the whole Duration (web conferencing on 8057, IM
// conferencing on 5062, A/V conferencing on 5063 and its audio), so that
// each minute has conferences before the change and attempts after it.
type Incident struct {
	At    time.Duration // from Options.Start, in whole microseconds; default half of Options.Duration
	Ports []PortRange   // what the change blocks; default ConferencingPorts()
}

// PortRange is the ports First to Last (inclusive) of one transport.
type PortRange struct {
	Transport   decoders.Transport
	First, Last uint16
}

// String returns the range as "tcp/8057" or "udp/49152-65535".
func (p PortRange) String() string {
	s := p.Transport.String() + "/" + strconv.Itoa(int(p.First))
	if p.Last != p.First {
		s += "-" + strconv.Itoa(int(p.Last))
	}
	return s
}

// contains reports whether port of transport tr is in the range.
func (p PortRange) contains(tr decoders.Transport, port uint16) bool {
	return p.Transport == tr && port >= p.First && port <= p.Last
}

// ConferencingPorts returns the Front End pool's conferencing ports, an
// Incident's default: web conferencing (PSOM over TLS, TCP 8057, Table 1
// row 7), IM conferencing (TCP 5062, row 6), A/V conferencing (TCP 5063,
// row 9) and the A/V conferencing media between clients and the Front
// Ends (UDP 49152-65535: audio 49152-57500, row 39; video 57501-65535,
// row 10).
func ConferencingPorts() []PortRange {
	return []PortRange{
		{decoders.TCP, 8057, 8057},
		{decoders.TCP, 5062, 5062},
		{decoders.TCP, 5063, 5063},
		{decoders.UDP, 49152, 65535},
	}
}

// IncidentDuration is Options.Duration's default when Options.Incident is
// set: long enough for several one-minute buckets on each side of the
// change.
const IncidentDuration = 10 * time.Minute

// MediaGiveUp is how long a client keeps sending UDP that the change
// blocks before it gives up.
const MediaGiveUp = 5 * time.Second

// The phases of FlowTruth.Phase, by the flow's first packet.
const (
	PhaseBefore = "before" // the flow began before the change
	PhaseAfter  = "after"  // the flow began at or after it
)

// The retransmission timer of a Windows client on a LAN: the minimum
// retransmission timeout, doubled after each try, and the tries before the
// connection is reset.
const (
	minRTO      = 300 * time.Millisecond
	dataRetries = 5
)

// withDefaults fills the incident's zero fields for a capture spanning
// span and checks it. The result is a copy: the caller's Incident and its
// Ports are left alone.
func (inc *Incident) withDefaults(span time.Duration) (*Incident, error) {
	c := *inc
	if c.At == 0 {
		c.At = span / 2
	}
	c.At = c.At.Truncate(time.Microsecond)
	if len(c.Ports) == 0 {
		c.Ports = ConferencingPorts()
	} else {
		c.Ports = slices.Clone(c.Ports)
	}
	if c.At <= 0 || c.At >= span {
		return nil, fmt.Errorf("%w: incident at %v is outside the capture's span 0..%v", ErrOptions, inc.At, span)
	}
	for i, p := range c.Ports {
		if (p.Transport != decoders.TCP && p.Transport != decoders.UDP) || p.First == 0 || p.Last < p.First {
			return nil, fmt.Errorf("%w: incident port range %d (%v %d-%d) is not tcp or udp ports first to last, from 1", ErrOptions, i+1, p.Transport, p.First, p.Last)
		}
	}
	return &c, nil
}

// incidentClients are the client subnets the change cuts off, as the
// inventory lists them.
var incidentClients = []netip.Prefix{
	netip.MustParsePrefix("10.20.0.0/24"),
	netip.MustParsePrefix("10.20.1.0/24"),
	netip.MustParsePrefix("fd00:20::/64"),
}

// firewall is an Incident as Generate applies it to the flows. A nil
// firewall blocks nothing.
type firewall struct {
	at    time.Duration
	ports []PortRange
	pool  []*host // the Front End pool's addresses
}

// newFirewall returns the firewall of inc on n, nil without an incident.
func newFirewall(inc *Incident, n *network) *firewall {
	if inc == nil {
		return nil
	}
	return &firewall{at: inc.At, ports: inc.Ports, pool: []*host{n.fe[0], n.fe[1], n.fe[2], n.fe6, n.vip}}
}

// covers reports whether the change blocks the flow on ps: opened by a
// client subnet to a blocked port of the pool.
func (fw *firewall) covers(ps *[2]path, tr decoders.Transport) bool {
	if fw == nil || !slices.Contains(fw.pool, ps[s2c].from) {
		return false
	}
	cli := ps[c2s].srcIP
	if !slices.ContainsFunc(incidentClients, func(p netip.Prefix) bool { return p.Contains(cli) }) {
		return false
	}
	return slices.ContainsFunc(fw.ports, func(p PortRange) bool { return p.contains(tr, ps[c2s].dport) })
}

// refuseTCP turns a compiled conversation that starts at or after the
// change into its first SYN and the SYN's retransmissions: nothing
// answers.
func refuseTCP(f *tcpFlow) {
	syn := f.segs[0]
	f.segs = f.segs[:0]
	for _, after := range synBackoff {
		syn.at += after
		f.segs = append(f.segs, syn)
	}
}

// cutTCP applies the change to a compiled conversation that began before
// it, and returns how the flow now ends. It reports false, and changes
// nothing, when the conversation had ended before the change. midStream
// says the handshake happened before the capture.
func (fw *firewall) cutTCP(f *tcpFlow, midStream bool) (close string, cut bool) {
	i := slices.IndexFunc(f.segs, func(s tcpSeg) bool { return s.at >= fw.at })
	if i < 0 {
		return "", false
	}
	kept, dropped := slices.Clone(f.segs[:i]), f.segs[i:]
	st := tcpStateOf(kept)
	if !st.synAck && !midStream {
		// The SYN went out before the change, the SYN-ACK would have come
		// after it.
		f.segs = kept
		refuseTCP(f)
		return CloseSYNOnly, true
	}
	f.segs = append(kept, clientRetries(kept, dropped, st, fw.at)...)
	if len(f.segs) == len(kept) {
		return CloseOpen, true // the client had nothing more to send
	}
	return CloseRST, true
}

// tcpState is where a conversation stands after some of its segments.
type tcpState struct {
	synAck     bool   // the server's SYN-ACK is among them
	cEnd, sEnd uint32 // next sequence number of the client and the server
	una        uint32 // the server's last acknowledgement
	haveC      bool   // the client sent a segment
	haveS      bool   // the server sent a segment
	haveUna    bool   // the server acknowledged something
}

func tcpStateOf(segs []tcpSeg) tcpState {
	var st tcpState
	for _, s := range segs {
		end := s.seq + uint32(s.n)
		if s.flags&(tcpSYN|tcpFIN) != 0 {
			end++
		}
		if s.dir == c2s {
			st.cEnd, st.haveC = end, true
			continue
		}
		st.sEnd, st.haveS = end, true
		if s.flags&tcpSYN != 0 {
			st.synAck = true
		}
		if s.flags&tcpACK != 0 {
			st.una, st.haveUna = s.ack, true
		}
	}
	return st
}

// clientRetries returns what the client sends once the server has gone
// quiet at the change: its first unacknowledged segment again, or else
// its next segment with data or a FIN, retransmitted dataRetries times,
// then a reset. Nothing when the client had nothing left to send.
func clientRetries(kept, dropped []tcpSeg, st tcpState, at time.Duration) []tcpSeg {
	var seg tcpSeg
	found, resend := false, false
	hasData := func(s tcpSeg) bool { return s.dir == c2s && (s.n > 0 || s.flags&tcpFIN != 0) }
	if st.haveC && st.haveUna && st.una != st.cEnd {
		i := slices.IndexFunc(kept, func(s tcpSeg) bool { return hasData(s) && s.seq == st.una })
		if i >= 0 {
			seg, found, resend = kept[i], true, true
		}
	}
	if !found {
		i := slices.IndexFunc(dropped, hasData)
		if i < 0 {
			return nil
		}
		seg = dropped[i]
	}
	if st.haveS {
		seg.ack = st.sEnd // all the client got from the server
	}
	seg.flags |= tcpACK
	next := seg.seq + uint32(seg.n)
	if seg.flags&tcpFIN != 0 {
		next++
	}
	if resend {
		next = st.cEnd
	}
	// The send and its retransmissions, each timeout twice the last; the
	// reset goes when the timeout after the last one runs out.
	t, gap, sends := seg.at, minRTO, dataRetries+1
	if resend {
		// The first send went out before the change.
		t, gap, sends = max(seg.at+minRTO, at), 2*minRTO, dataRetries
	}
	var out []tcpSeg
	for range sends {
		seg.at = t
		out = append(out, seg)
		t += gap
		gap *= 2
	}
	return append(out, tcpSeg{at: t, dir: c2s, flags: tcpRST | tcpACK, seq: next, ack: seg.ack})
}

// cutUDP applies the change to a UDP flow's datagrams: the server's stop
// at the change, the client's MediaGiveUp later (or MediaGiveUp after its
// first datagram). It reports whether the flow had datagrams at or after
// the change.
func (fw *firewall) cutUDP(f *udpFlow) bool {
	first := never
	for _, d := range f.d {
		if d.dir == c2s {
			first = min(first, d.at)
		}
	}
	stop := [2]time.Duration{c2s: max(fw.at, first) + MediaGiveUp, s2c: fw.at}
	affected, dropping := false, false
	kept := f.d[:0]
	for _, d := range f.d {
		affected = affected || d.at >= fw.at
		// The second fragment of a datagram goes with the first.
		if d.part != 1 {
			dropping = d.at >= stop[d.dir]
		}
		if !dropping {
			kept = append(kept, d)
		}
	}
	f.d = kept
	return affected
}

// mediaStops returns when the two directions of a blocked media flow
// starting at start stop: the server's at the change, the client's when
// it gives up.
func (fw *firewall) mediaStops(start time.Duration) [2]time.Duration {
	return [2]time.Duration{c2s: max(fw.at, start) + MediaGiveUp, s2c: fw.at}
}

// phases fills each flow's Phase and, for the blocked ones, Cut.
func (fw *firewall) phases(t *Truth, start time.Time) {
	change := start.Add(fw.at)
	for i := range t.Flows {
		f := &t.Flows[i]
		if f.Packets == 0 {
			continue
		}
		f.Phase = PhaseBefore
		if !f.First.Before(change) {
			f.Phase = PhaseAfter
		}
		if f.Blocked {
			f.Cut = change
			if f.First.After(change) {
				f.Cut = f.First
			}
		}
	}
}

// refusedVerdict is what is left of a TCP flow whose SYNs nobody
// answered: no payload, so no protocol, and the detail says why.
func refusedVerdict(v verdict) verdict {
	v.proto = decoders.Unknown
	v.detail = "syn only, blocked by the firewall change (was: " + v.detail + ")"
	return v
}
