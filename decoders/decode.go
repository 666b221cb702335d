package decoders

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// maxTunnels is how many nested encapsulations Decode opens before it gives
// up with TunnelTooDeep. A mirrored frame is rarely more than two deep
// (ERSPAN of a VXLAN overlay); more than this is a loop or an attack.
const maxTunnels = 4

// IP protocol numbers Decode follows.
const (
	ipProtoIPv4     = 4
	ipProtoTCP      = 6
	ipProtoUDP      = 17
	ipProtoIPv6     = 41
	ipProtoFragment = 44
	ipProtoGRE      = 47
	ipProtoAH       = 51
)

// nilDF is the decode feedback handed to gopacket layers: Decode finds out
// about truncation from its own length checks, which also tell it whether
// the bytes were cut short or are wrong.
var nilDF = gopacket.NilDecodeFeedback

// Decoder decodes captured frames into Packets. It holds the gopacket layer
// values it decodes into, so that every frame, and every encapsulation inside
// a frame, reuses them instead of allocating. Headers for which gopacket has
// no layer, or one that allocates or rejects what Decode can use (Linux
// cooked, IPv4, IPv6 and its extensions, TCP, ERSPAN III, VXLAN), are read
// by hand. A Decoder is not safe for concurrent use; give each goroutine
// its own.
type Decoder struct {
	eth    layers.Ethernet
	dot1q  layers.Dot1Q
	loop   layers.Loopback
	udp    layers.UDP
	gre    layers.GRE
	erspan layers.ERSPANII
}

// NewDecoder returns a Decoder ready for use.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode decodes one captured frame of link type lt into p, overwriting every
// field of p, and returns OK or the Reason the frame was skipped. p.Payload
// points into frame. It never allocates on well-formed frames and never
// panics on any input.
//
// The packet described is the innermost IP packet: tunnels (GRE, ERSPAN
// types I to III, VXLAN on UDP 4789, IP-in-IP) are opened, at most four
// deep. A tunnel in the first fragment of a fragmented outer packet is
// opened too, its inner packet cut short; the outer packet's later
// fragments are OtherIPProto, or UDP fragments for VXLAN. When the result
// is not OK, p holds what was decoded before the step that failed and is
// meant only for counting.
func (d *Decoder) Decode(lt LinkType, frame []byte, p *Packet) Reason {
	*p = Packet{}
	return d.link(lt, frame, p)
}

// transport decodes what an IP header leads to: the IP protocol proto, its
// captured bytes b and its length as sent, which is at least len(b).
func (d *Decoder) transport(proto uint8, b []byte, sent int, frag Fragment, p *Packet) Reason {
	p.Fragment = frag
	if !frag.First() {
		// Only the first fragment carries the transport header: the rest is
		// data that the flow table attributes by the fragment ID.
		if proto != ipProtoTCP && proto != ipProtoUDP {
			return OtherIPProto
		}
		p.Transport = Transport(proto)
		p.Payload = b
		p.PayloadLen = sent
		return OK
	}
	switch proto {
	case ipProtoTCP:
		return d.tcp(b, sent, p)
	case ipProtoUDP:
		return d.udpDatagram(b, sent, p)
	case ipProtoGRE:
		return d.greTunnel(b, sent, p)
	case ipProtoIPv4:
		if r := enter(p); r != OK {
			return r
		}
		return d.ipv4(b, p)
	case ipProtoIPv6:
		if r := enter(p); r != OK {
			return r
		}
		return d.ipv6(b, p)
	}
	return OtherIPProto
}

// tcp decodes a TCP segment's header; its options are skipped. gopacket's
// TCP layer is not used because it decodes every option, and MPTCP options
// allocate.
func (d *Decoder) tcp(b []byte, sent int, p *Packet) Reason {
	const minHeader = 20
	if len(b) < minHeader {
		return shortReason(sent, minHeader, MalformedL4, TruncatedL4)
	}
	size := int(b[12]>>4) * 4
	if size < minHeader || size > sent {
		return MalformedL4
	}
	if size > len(b) {
		return TruncatedL4
	}
	p.Transport = TCP
	p.SrcPort = binary.BigEndian.Uint16(b[0:2])
	p.DstPort = binary.BigEndian.Uint16(b[2:4])
	p.Seq = binary.BigEndian.Uint32(b[4:8])
	p.Flags = TCPFlags(b[13])
	p.Payload = b[size:]
	p.PayloadLen = sent - size
	return OK
}

// udpDatagram decodes a UDP header, and opens the datagram as VXLAN when it
// is one (see isVXLAN).
func (d *Decoder) udpDatagram(b []byte, sent int, p *Packet) Reason {
	const header = 8
	if len(b) < header {
		return shortReason(sent, header, MalformedL4, TruncatedL4)
	}
	if err := d.udp.DecodeFromBytes(b, nilDF); err != nil {
		return MalformedL4 // a length field of 1 to 7
	}
	// The UDP length wins when it is shorter than the IP payload. When it is
	// longer (a first fragment, or a lie), the IP length stands; 0 is a
	// jumbogram or an offloaded segment.
	if n := int(d.udp.Length); n >= header && n < sent {
		sent = n
		if len(b) > n {
			b = b[:n]
		}
	}
	payload := b[header:]
	if d.udp.DstPort == vxlanPort && isVXLAN(payload) {
		return d.vxlan(payload, p)
	}
	p.Transport = UDP
	p.SrcPort = uint16(d.udp.SrcPort)
	p.DstPort = uint16(d.udp.DstPort)
	p.Payload = payload
	p.PayloadLen = sent - header
	return OK
}

// shortReason tells a header that is cut by the snap length (the packet as
// sent was long enough) from one that never fitted in the packet: need bytes
// were wanted, fewer were captured, and sent were sent.
func shortReason(sent, need int, malformed, truncated Reason) Reason {
	if sent < need {
		return malformed
	}
	return truncated
}
