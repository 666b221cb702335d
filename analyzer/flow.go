package analyzer

import (
	"encoding/binary"
	"net/netip"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// FlowKey identifies a bidirectional flow. It is canonical: A sorts before
// B (address, then port), so both directions of a conversation share a key.
// Addresses are 16 bytes, IPv4 as IPv4-mapped, so that the key is small,
// fixed-size and free of pointers: cheap to hash, and the flow map gives
// the garbage collector nothing to scan.
type FlowKey struct {
	A, B         [16]byte
	PortA, PortB uint16
	Transport    decoders.Transport
	V6           bool // the addresses are IPv6 (else IPv4, mapped)
}

// keyOf returns the canonical key of p and whether p travels from A to B.
func keyOf(p *decoders.Packet) (FlowKey, bool) {
	return keyOfTuple(&decoders.Tuple{Src: p.Src.As16(), Dst: p.Dst.As16(), SrcPort: p.SrcPort, DstPort: p.DstPort,
		Transport: p.Transport, V6: p.Src.Is6()})
}

// keyOfTuple returns the canonical key of a five-tuple and whether it
// travels from A to B.
func keyOfTuple(t *decoders.Tuple) (FlowKey, bool) {
	if c := compare16(&t.Src, &t.Dst); c < 0 || (c == 0 && t.SrcPort <= t.DstPort) {
		return FlowKey{A: t.Src, B: t.Dst, PortA: t.SrcPort, PortB: t.DstPort, Transport: t.Transport, V6: t.V6}, true
	}
	return FlowKey{A: t.Dst, B: t.Src, PortA: t.DstPort, PortB: t.SrcPort, Transport: t.Transport, V6: t.V6}, false
}

// equal reports whether k and o are the same key: ports first, which
// differ most often, then the addresses as whole words.
func (k *FlowKey) equal(o *FlowKey) bool {
	return k.PortA == o.PortA && k.PortB == o.PortB && k.Transport == o.Transport && k.V6 == o.V6 &&
		binary.LittleEndian.Uint64(k.A[8:]) == binary.LittleEndian.Uint64(o.A[8:]) &&
		binary.LittleEndian.Uint64(k.B[8:]) == binary.LittleEndian.Uint64(o.B[8:]) &&
		binary.LittleEndian.Uint64(k.A[:8]) == binary.LittleEndian.Uint64(o.A[:8]) &&
		binary.LittleEndian.Uint64(k.B[:8]) == binary.LittleEndian.Uint64(o.B[:8])
}

// compare16 compares two addresses as big-endian numbers.
func compare16(a, b *[16]byte) int {
	for _, i := range [2]int{0, 8} {
		x, y := binary.BigEndian.Uint64(a[i:]), binary.BigEndian.Uint64(b[i:])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// addr returns side 0's (A) or side 1's (B) address.
func (k *FlowKey) addr(side int) netip.Addr {
	a := netip.AddrFrom16(k.A)
	if side == 1 {
		a = netip.AddrFrom16(k.B)
	}
	if !k.V6 {
		a = a.Unmap()
	}
	return a
}

// endpoint returns address and port of side 0 (A) or 1 (B).
func (k *FlowKey) endpoint(side int) (netip.Addr, uint16) {
	if side == 0 {
		return k.addr(0), k.PortA
	}
	return k.addr(1), k.PortB
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
	packets, bytes uint64
}

// add counts a packet of direction d seen at ts.
func (f *Flow) add(d int, ts int64, wire, payload int) {
	if f.dir[0].packets+f.dir[1].packets == 0 || ts < f.firstTS {
		f.firstTS = ts
	}
	f.lastTS = max(f.lastTS, ts)
	s := &f.dir[d]
	s.packets++
	s.bytes += uint64(wire)
	f.payload[d] = f.payload[d] || payload > 0
}

// Flow is one bidirectional conversation in the flow table. Direction 0 is
// A→B of its key; server says which side (0 = A, 1 = B) serves.
//
// Its fields are ordered to pack: a million live flows should cost as
// little as possible.
type Flow struct {
	Key      FlowKey
	server   int8
	serverBy ServerBy
	fin      [2]bool
	rst      bool
	end      EndReason
	alerted  bool      // judged for an alert already
	counted  bool      // its packets so far are in the timeline
	list     uint8     // which expiry list it is in: tcpList, udpList, closingList
	payload  [2]bool   // each direction carried transport payload
	id       uint32    // place in the flow table's slab
	rstFrom  [2]uint32 // RST segments sent by each side
	dir      [2]dirStats
	firstTS  int64 // capture time of the first and latest packets, Unix nanoseconds
	lastTS   int64

	hosts [2]*rules.Host // inventory lines of A and B, looked up once

	class classifier

	// list links: the flow sits in exactly one expiry list of the table.
	prev, next *Flow
}

// last returns the time of the flow's latest packet.
func (f *Flow) last() int64 { return f.lastTS }

// first returns the time of the flow's first packet.
func (f *Flow) first() int64 { return f.firstTS }

// closed reports whether the TCP conversation has ended (FIN both ways or RST).
func (f *Flow) closed() bool { return f.rst || (f.fin[0] && f.fin[1]) }

// answered reports whether the server side sent anything but resets: a
// TCP port nobody answered, or one that only refused, was not served.
func (f *Flow) answered() bool {
	s := f.server
	return f.Key.Transport != decoders.TCP || f.dir[s].packets > uint64(f.rstFrom[s])
}
