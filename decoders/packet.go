package decoders

import (
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// LinkType is the LINKTYPE_ number of a capture's link layer, as written in
// pcap file headers and pcapng interface blocks.
type LinkType = layers.LinkType

// TCPFlags holds the TCP header's flag bits (FIN is bit 0, as on the wire).
type TCPFlags uint8

// The TCP flags the flow table uses.
const (
	FlagFIN TCPFlags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// Has reports whether all bits of f are set in t.
func (t TCPFlags) Has(f TCPFlags) bool { return t&f == f }

// Fragment describes where an IP fragment sits in its datagram. The zero
// value means the packet was not fragmented.
type Fragment struct {
	ID     uint32 // IPv4 identification or IPv6 fragment identification
	Offset uint16 // fragment offset in bytes
	More   bool   // more fragments follow
}

// IsFragment reports whether the packet is a piece of a fragmented datagram.
func (f Fragment) IsFragment() bool { return f.Offset != 0 || f.More }

// First reports whether the packet is the first fragment (or not fragmented),
// the only one that carries the transport header.
func (f Fragment) First() bool { return f.Offset == 0 }

// Packet is the decoded view of one frame: the innermost IP packet's
// addresses and transport header. Payload points into the frame passed to
// Decode and is valid only as long as that buffer.
type Packet struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16    // zero for non-first fragments
	Transport        Transport // TCP or UDP
	Flags            TCPFlags  // zero for UDP
	Seq              uint32    // TCP sequence number
	Payload          []byte    // transport payload as captured (may be cut by the snap length)
	PayloadLen       int       // transport payload length as sent, from the IP header
	Fragment         Fragment
	VLAN             uint16 // outermost 802.1Q VLAN ID, 0 when untagged
	Tunnels          uint8  // encapsulations opened (GRE, ERSPAN, VXLAN, IP-in-IP) on the way in
}

// Reason says why a frame was not decoded to a TCP or UDP packet. The zero
// value, OK, means it was.
type Reason uint8

// Reasons a frame is skipped. Their string forms are stable report keys.
const (
	OK              Reason = iota
	BadLinkType            // link type lyncaudit does not decode
	TruncatedLink          // frame shorter than its link-layer header
	NotIP                  // ARP, LLDP, STP and other non-IP frames
	MalformedIP            // IPv4/IPv6 header that does not parse
	TruncatedIP            // IP header cut by the snap length
	OtherIPProto           // IP carrying neither TCP nor UDP (ICMP, IGMP, ESP…)
	MalformedL4            // TCP/UDP header that does not parse
	TruncatedL4            // TCP/UDP header cut by the snap length
	MalformedTunnel        // GRE/ERSPAN/VXLAN header that does not parse
	TruncatedTunnel        // GRE/ERSPAN header cut by the snap length
	TunnelTooDeep          // more nested encapsulations than the decoder opens
	OrphanFragment         // non-first IP fragment whose first fragment was not seen
	NumReasons
)

var reasonNames = [NumReasons]string{
	OK:              "ok",
	BadLinkType:     "unsupported-link-type",
	TruncatedLink:   "truncated-link-header",
	NotIP:           "not-ip",
	MalformedIP:     "malformed-ip",
	TruncatedIP:     "truncated-ip",
	OtherIPProto:    "not-tcp-udp",
	MalformedL4:     "malformed-tcp-udp",
	TruncatedL4:     "truncated-tcp-udp",
	MalformedTunnel: "malformed-tunnel",
	TruncatedTunnel: "truncated-tunnel",
	TunnelTooDeep:   "tunnel-too-deep",
	OrphanFragment:  "orphan-fragment",
}

// String returns the reason's stable name, such as "not-ip".
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "reason-" + itoa(int(r))
}

// Describe returns a short sentence for people.
func (r Reason) Describe() string {
	switch r {
	case OK:
		return "decoded"
	case BadLinkType:
		return "link type not supported"
	case TruncatedLink:
		return "frame shorter than its link header"
	case NotIP:
		return "not IP (ARP, LLDP, STP…)"
	case MalformedIP:
		return "malformed IP header"
	case TruncatedIP:
		return "IP header cut by the snap length"
	case OtherIPProto:
		return "IP but neither TCP nor UDP (ICMP…)"
	case MalformedL4:
		return "malformed TCP/UDP header"
	case TruncatedL4:
		return "TCP/UDP header cut by the snap length"
	case MalformedTunnel:
		return "malformed tunnel header"
	case TruncatedTunnel:
		return "tunnel header cut by the snap length"
	case TunnelTooDeep:
		return "too many nested tunnels"
	case OrphanFragment:
		return "IP fragment whose first fragment was not seen"
	}
	return r.String()
}
