package analyzer

import (
	"net/netip"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// FlowKey identifies a bidirectional flow. It is canonical: A sorts before
// B (address, then port), so both directions of a conversation share a key.
type FlowKey struct {
	A, B         netip.Addr
	PortA, PortB uint16
	Transport    decoders.Transport
}

// keyOf returns the canonical key of p and whether p travels from A to B.
func keyOf(p *decoders.Packet) (FlowKey, bool) {
	if c := p.Src.Compare(p.Dst); c < 0 || (c == 0 && p.SrcPort <= p.DstPort) {
		return FlowKey{A: p.Src, B: p.Dst, PortA: p.SrcPort, PortB: p.DstPort, Transport: p.Transport}, true
	}
	return FlowKey{A: p.Dst, B: p.Src, PortA: p.DstPort, PortB: p.SrcPort, Transport: p.Transport}, false
}

// endpoint returns address and port of side 0 (A) or 1 (B).
func (k *FlowKey) endpoint(side int) (netip.Addr, uint16) {
	if side == 0 {
		return k.A, k.PortA
	}
	return k.B, k.PortB
}

// ServerBy records how a flow's server side was decided, so that reports
// can show which orientations are guesses (as Zeek's conn history does).
type ServerBy uint8

// How the server side was decided, from most to least certain.
const (
	BySYN     ServerBy = iota + 1 // it received the first SYN
	BySYNACK                      // it sent a SYN-ACK
	ByCatalog                     // only its port is in the catalog for its roles
	ByPort                        // the well-known or lower port
)

var serverByNames = [...]string{BySYN: "syn", BySYNACK: "syn-ack", ByCatalog: "catalog", ByPort: "port"}

// String returns "syn", "syn-ack", "catalog" or "port".
func (b ServerBy) String() string {
	if int(b) < len(serverByNames) && serverByNames[b] != "" {
		return serverByNames[b]
	}
	return "unknown"
}

// EndReason says why a flow left the flow table.
type EndReason uint8

// Why flows end.
const (
	EndOpen    EndReason = iota // still open when the capture ended
	EndFIN                      // closed by FIN in both directions
	EndRST                      // reset
	EndIdle                     // idle past its timeout
	EndEvicted                  // pushed out because the table was full
)

var endNames = [...]string{EndOpen: "open", EndFIN: "closed", EndRST: "reset", EndIdle: "idle", EndEvicted: "evicted"}

// String returns the reason's stable name.
func (e EndReason) String() string {
	if int(e) < len(endNames) {
		return endNames[e]
	}
	return "unknown"
}

// dirStats counts one direction of a flow.
type dirStats struct {
	packets, bytes, payload uint64
	first, last             int64 // capture time, Unix nanoseconds
}

func (d *dirStats) add(ts int64, wire, payload int) {
	if d.packets == 0 {
		d.first = ts
	}
	d.packets++
	d.bytes += uint64(wire)
	d.payload += uint64(payload)
	if ts > d.last {
		d.last = ts
	}
}

// Flow is one bidirectional conversation in the flow table. Direction 0 is
// A→B of its key; server says which side (0 = A, 1 = B) serves.
type Flow struct {
	Key      FlowKey
	server   int8
	serverBy ServerBy
	dir      [2]dirStats
	fin      [2]bool
	rst      bool
	rstFrom  [2]uint32 // RST segments sent by each side
	end      EndReason
	alerted  bool // judged for an alert already

	hosts [2]*rules.Host // inventory lines of A and B, looked up once

	class classifier

	// list links: the flow sits in exactly one expiry list of the table.
	prev, next *Flow
	list       *flowList
}

// last returns the time of the flow's latest packet.
func (f *Flow) last() int64 { return max(f.dir[0].last, f.dir[1].last) }

// first returns the time of the flow's first packet.
func (f *Flow) first() int64 {
	switch {
	case f.dir[0].packets == 0:
		return f.dir[1].first
	case f.dir[1].packets == 0:
		return f.dir[0].first
	}
	return min(f.dir[0].first, f.dir[1].first)
}

// closed reports whether the TCP conversation has ended (FIN both ways or RST).
func (f *Flow) closed() bool { return f.rst || (f.fin[0] && f.fin[1]) }

// answered reports whether the server side sent anything but resets: a
// TCP port nobody answered, or one that only refused, was not served.
func (f *Flow) answered() bool {
	s := f.server
	return f.Key.Transport != decoders.TCP || f.dir[s].packets > uint64(f.rstFrom[s])
}
