package lyncgen

import (
	"encoding/binary"
	"net/netip"
)

// mac is an Ethernet address.
type mac [6]byte

// link is the Ethernet view of one direction of a flow.
type link struct {
	src, dst mac
	vlan     uint16 // 802.1Q VLAN ID, 0 for an untagged frame
	routed   bool   // the frame crossed a router before the capture point (TTL is one lower)
}

// path is one direction of a flow as it appears on the wire.
type path struct {
	link
	from         *host // sender: supplies the TTL and the IPv4 identification
	srcIP, dstIP netip.Addr
	sport, dport uint16
}

// The IP protocol numbers the generator writes.
const (
	protoTCP = 6
	protoUDP = 17
)

// The TCP flag bits, as on the wire.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

const (
	ethHeaderLen  = 14
	vlanTagLen    = 4
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
	udpHeaderLen  = 8
	tcpHeaderLen  = 20
	minFrameLen   = 60   // Ethernet minimum without the FCS; shorter frames are padded
	mtu           = 1500 // IP MTU of every link in the scenario
)

// framer builds frames into one reused buffer, so that writing a packet
// allocates nothing. A frame it returns is valid until the next call.
type framer struct {
	buf   []byte
	dgram []byte // a whole UDP datagram before it is cut into fragments
}

func newFramer() *framer {
	return &framer{buf: make([]byte, 0, 70000), dgram: make([]byte, 0, 70000)}
}

// ttl returns the TTL (or hop limit) the capture point sees on p.
func (p *path) ttl() uint8 {
	if p.routed {
		return p.from.ttl - 1
	}
	return p.from.ttl
}

// appendEthernet writes the Ethernet header, with an 802.1Q tag when the
// link has a VLAN, ending with etherType.
func appendEthernet(b []byte, l *link, etherType uint16) []byte {
	b = append(b, l.dst[:]...)
	b = append(b, l.src[:]...)
	if l.vlan != 0 {
		// Priority 5 (voice) on the tagged phone VLAN.
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, 5<<13|l.vlan&0x0fff)
	}
	return binary.BigEndian.AppendUint16(b, etherType)
}

// appendIPv4 writes an IPv4 header for a packet of ipLen bytes in all.
// fragOff is in bytes and must be a multiple of 8.
func appendIPv4(b []byte, p *path, proto uint8, ipLen int, id uint16, df, more bool, fragOff int) []byte {
	start := len(b)
	flags := uint16(fragOff / 8)
	if df {
		flags |= 0x4000
	}
	if more {
		flags |= 0x2000
	}
	src, dst := p.srcIP.As4(), p.dstIP.As4()
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(ipLen))
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = append(b, p.ttl(), proto, 0, 0)
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	binary.BigEndian.PutUint16(b[start+10:], checksum(b[start:], 0))
	return b
}

// appendIPv6 writes an IPv6 header for payloadLen bytes of payload.
func appendIPv6(b []byte, p *path, proto uint8, payloadLen int) []byte {
	src, dst := p.srcIP.As16(), p.dstIP.As16()
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(payloadLen))
	b = append(b, proto, p.ttl())
	b = append(b, src[:]...)
	return append(b, dst[:]...)
}

// appendIP writes the Ethernet and IP headers of an unfragmented packet
// whose transport segment is l4Len bytes long.
func (p *path) appendIP(b []byte, proto uint8, l4Len int) []byte {
	if p.srcIP.Is4() {
		b = appendEthernet(b, &p.link, 0x0800)
		// Windows sets DF on TCP for path MTU discovery, not on UDP.
		return appendIPv4(b, p, proto, ipv4HeaderLen+l4Len, p.from.nextIPID(), proto == protoTCP, false, 0)
	}
	b = appendEthernet(b, &p.link, 0x86dd)
	return appendIPv6(b, p, proto, l4Len)
}

// pseudoSum returns the checksum pseudo-header sum of p for l4Len bytes.
func (p *path) pseudoSum(proto uint8, l4Len int) uint64 {
	var s uint64
	if p.srcIP.Is4() {
		src, dst := p.srcIP.As4(), p.dstIP.As4()
		s = sum16(src[:], 0)
		s = sum16(dst[:], s)
	} else {
		src, dst := p.srcIP.As16(), p.dstIP.As16()
		s = sum16(src[:], 0)
		s = sum16(dst[:], s)
	}
	return s + uint64(proto) + uint64(l4Len)
}

// pad extends a frame to the Ethernet minimum, as a switch's SPAN port
// delivers it.
func pad(b []byte) []byte {
	for len(b) < minFrameLen {
		b = append(b, 0)
	}
	return b
}

// udp returns the frame of one unfragmented UDP datagram on p.
func (f *framer) udp(p *path, payload []byte) []byte {
	l4Len := udpHeaderLen + len(payload)
	b := p.appendIP(f.buf[:0], protoUDP, l4Len)
	l4 := len(b)
	b = appendUDPHeader(b, p, l4Len)
	b = append(b, payload...)
	putUDPChecksum(b[l4:], p)
	return pad(b)
}

func appendUDPHeader(b []byte, p *path, l4Len int) []byte {
	b = binary.BigEndian.AppendUint16(b, p.sport)
	b = binary.BigEndian.AppendUint16(b, p.dport)
	b = binary.BigEndian.AppendUint16(b, uint16(l4Len))
	return append(b, 0, 0)
}

func putUDPChecksum(seg []byte, p *path) {
	c := checksum(seg, p.pseudoSum(protoUDP, len(seg)))
	if c == 0 {
		c = 0xffff // zero means "no checksum" in UDP
	}
	binary.BigEndian.PutUint16(seg[6:], c)
}

// udpFragment returns fragment part (0 or 1) of a UDP datagram on IPv4
// that is too big for the MTU: the first fragment carries the UDP header
// and as much payload as fits, the second the rest. Both carry id.
func (f *framer) udpFragment(p *path, payload []byte, part int, id uint16) []byte {
	d := appendUDPHeader(f.dgram[:0], p, udpHeaderLen+len(payload))
	d = append(d, payload...)
	putUDPChecksum(d, p)
	f.dgram = d
	first := (mtu - ipv4HeaderLen) &^ 7
	if first > len(d) {
		first = len(d)
	}
	b := appendEthernet(f.buf[:0], &p.link, 0x0800)
	if part == 0 {
		b = appendIPv4(b, p, protoUDP, ipv4HeaderLen+first, id, false, true, 0)
		b = append(b, d[:first]...)
	} else {
		b = appendIPv4(b, p, protoUDP, ipv4HeaderLen+len(d)-first, id, false, false, first)
		b = append(b, d[first:]...)
	}
	return pad(b)
}

// tcp returns the frame of one TCP segment on p. opts are the header
// options, already padded to a multiple of four bytes.
func (f *framer) tcp(p *path, seq, ack uint32, flags uint8, window uint16, opts, payload []byte) []byte {
	hdrLen := tcpHeaderLen + len(opts)
	l4Len := hdrLen + len(payload)
	b := p.appendIP(f.buf[:0], protoTCP, l4Len)
	l4 := len(b)
	b = binary.BigEndian.AppendUint16(b, p.sport)
	b = binary.BigEndian.AppendUint16(b, p.dport)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, ack)
	b = append(b, byte(hdrLen/4)<<4, flags)
	b = binary.BigEndian.AppendUint16(b, window)
	b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
	b = append(b, opts...)
	b = append(b, payload...)
	binary.BigEndian.PutUint16(b[l4+16:], checksum(b[l4:], p.pseudoSum(protoTCP, l4Len)))
	return pad(b)
}

// sum16 adds b to s as big-endian 16-bit words (ones' complement sum before
// folding). Summing 32-bit words gives the same folded result, faster.
func sum16(b []byte, s uint64) uint64 {
	for len(b) >= 8 {
		s += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// checksum returns the Internet checksum (RFC 1071) of b plus an initial
// sum (a pseudo-header's).
func checksum(b []byte, initial uint64) uint16 {
	s := sum16(b, initial)
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
