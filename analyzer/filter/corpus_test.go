package filter

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// The tests build frames by hand for what the shared captures lack:
// fragments, SCTP, ARP and RARP, IPv4 options and bogus header lengths,
// IPv6 extension headers, 802.1ad and pre-standard QinQ tags, and 802.3
// frames. Each builder returns a fresh slice.

var (
	macDst = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	macSrc = []byte{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}
)

// tag is an 802.1Q-style tag: its TPID and VLAN ID.
type tag struct {
	tpid uint16
	vid  uint16
}

// ether builds an Ethernet frame with tags in front of the EtherType.
func ether(etype uint16, payload []byte, tags ...tag) []byte {
	b := append(append([]byte{}, macDst...), macSrc...)
	for _, t := range tags {
		b = binary.BigEndian.AppendUint16(b, t.tpid)
		b = binary.BigEndian.AppendUint16(b, t.vid|0x2000) // priority bits must be masked off
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

// ip4opts tweaks an IPv4 header.
type ip4opts struct {
	ihl     int    // header length in 32-bit words; 0 means 5
	fragOff uint16 // fragment offset in 8-byte units
	more    bool   // more fragments
}

// ipv4 builds an IPv4 packet. The header is ihl words long whatever the
// length field says, so that bogus lengths reach the filter as they are.
func ipv4(src, dst string, proto byte, payload []byte, o ip4opts) []byte {
	ihl := o.ihl
	if ihl == 0 {
		ihl = 5
	}
	hl := max(ihl*4, 20)
	b := make([]byte, hl)
	b[0] = 0x40 | byte(ihl)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(b[4:], 0x1234)
	frag := o.fragOff & 0x1fff
	if o.more {
		frag |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], frag)
	b[8] = 64
	b[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	for i := 20; i < hl; i++ {
		b[i] = 1 // NOP options
	}
	return append(b, payload...)
}

// ipv6 builds an IPv6 packet; ext are extension headers (next header,
// then the bytes after it), each 8 bytes long.
func ipv6(src, dst string, next byte, payload []byte, ext ...byte) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	first := next
	var exts []byte
	for i := len(ext) - 1; i >= 0; i-- {
		h := make([]byte, 8)
		h[0] = first
		exts = append(h, exts...)
		first = ext[i]
	}
	binary.BigEndian.PutUint16(b[4:], uint16(len(exts)+len(payload)))
	b[6] = first
	b[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(append(b, exts...), payload...)
}

// ports builds the first 8 bytes of a TCP, UDP or SCTP header.
func ports(src, dst uint16) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	b[4], b[12] = 8, 0x50
	return b
}

// arp builds an ARP (or RARP) packet for IPv4 over Ethernet.
func arp(op uint16, sender, target string) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)
	binary.BigEndian.PutUint16(b[2:], etIPv4)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], op)
	copy(b[8:], macSrc)
	s, t := netip.MustParseAddr(sender).As4(), netip.MustParseAddr(target).As4()
	copy(b[14:], s[:])
	copy(b[24:], t[:])
	return b
}

// craftedFrames returns Ethernet frames for every case the filters
// treat specially.
func craftedFrames() [][]byte {
	tcp80 := ipv4("10.0.0.1", "10.0.0.2", 6, ports(1234, 80), ip4opts{})
	udp := ipv4("192.168.1.6", "52.114.77.33", 17, ports(5060, 3478), ip4opts{})
	v6udp := ipv6("2001:db8::1", "fe80::34f7:703d:ac05:43d6", 17, ports(53, 5353))
	return [][]byte{
		ether(etIPv4, tcp80),
		ether(etIPv4, ipv4("10.0.0.2", "10.0.0.1", 6, ports(80, 1234), ip4opts{})),
		ether(etIPv4, udp),
		ether(etIPv4, ipv4("10.1.2.3", "10.9.9.9", 132, ports(80, 2905), ip4opts{})),
		ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1234, 80), ip4opts{more: true})),
		ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1234, 80), ip4opts{fragOff: 185})),
		ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 17, ports(53, 80), ip4opts{fragOff: 185, more: true})),
		ether(etIPv4, ipv4("172.16.168.24", "172.16.168.64", 6, ports(443, 5061), ip4opts{ihl: 6})),
		ether(etIPv4, ipv4("172.16.168.24", "172.16.168.64", 17, ports(5060, 5060), ip4opts{ihl: 15})),
		ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1234, 80), ip4opts{ihl: 2})),
		ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 17, ports(0, 80), ip4opts{ihl: 0})),
		ether(etIPv4, ipv4("10.0.0.1", "8.8.8.8", 1, []byte{8, 0, 0, 0, 0, 1, 0, 1}, ip4opts{})),
		ether(etARP, arp(1, "10.0.0.1", "10.0.0.2")),
		ether(etARP, arp(2, "192.168.1.6", "192.168.1.1")),
		ether(etRARP, arp(3, "0.0.0.0", "10.0.0.2")),
		ether(etIPv6, v6udp),
		ether(etIPv6, ipv6("2001:db8::1", "2001:db8:0:1::2", 6, ports(80, 40000), 44)),
		ether(etIPv6, ipv6("2001:db8::1", "2001:db8:0:1::2", 17, ports(3478, 40000), 0)),
		ether(etIPv6, ipv6("fe80::1", "ff02::1:2", 132, ports(5060, 80))),
		ether(etIPv6, ipv6("::ffff:10.0.0.1", "2001:db8::2", 6, ports(443, 80))),
		ether(etIPv4, tcp80, tag{et8021Q, 100}),
		ether(etIPv4, udp, tag{et8021AD, 200}, tag{et8021Q, 100}),
		ether(etIPv4, udp, tag{et8021QQ, 1611}),
		ether(etIPv6, v6udp, tag{et8021Q, 1508}),
		ether(etARP, arp(1, "10.0.0.1", "10.0.0.2"), tag{et8021Q, 100}),
		ether(etIPv4, tcp80, tag{et8021Q, 201}, tag{et8021Q, 200}, tag{et8021Q, 100}),
		ether(etIPv4, tcp80, tag{et8021Q, 0}),
		ether(0x0026, append([]byte{0x42, 0x42, 0x03}, make([]byte, 35)...)),
		ether(0x88cc, make([]byte, 46)),
	}
}

// encapsulate rewrites an Ethernet frame for link type lt, keeping what
// follows the link header (and the VLAN tags, which only Ethernet
// carries). It reports false when lt cannot carry the frame's protocol.
// For NULL, big writes the address family big-endian and af6 picks the
// AF_INET6 value.
func encapsulate(eth []byte, lt decoders.LinkType, big bool, af6 uint32) ([]byte, bool) {
	if lt == layers.LinkTypeEthernet {
		return eth, true
	}
	if len(eth) < 14 {
		return nil, false
	}
	off := 12
	et := binary.BigEndian.Uint16(eth[off:])
	for (et == et8021Q || et == et8021AD || et == et8021QQ) && off+6 <= len(eth) {
		off += 4
		et = binary.BigEndian.Uint16(eth[off:])
	}
	payload := eth[off+2:]
	switch lt {
	case layers.LinkTypeLinuxSLL:
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[2:], 1)
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:], macSrc)
		binary.BigEndian.PutUint16(h[14:], et)
		return append(h, payload...), true
	case layers.LinkTypeLinuxSLL2:
		h := make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], et)
		binary.BigEndian.PutUint32(h[4:], 2)
		binary.BigEndian.PutUint16(h[8:], 1)
		h[11] = 6
		copy(h[12:], macSrc)
		return append(h, payload...), true
	case layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD:
		return append([]byte{}, payload...), true
	case layers.LinkTypeIPv4:
		return append([]byte{}, payload...), et == etIPv4
	case layers.LinkTypeIPv6:
		return append([]byte{}, payload...), et == etIPv6
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		var af uint32
		switch et {
		case etIPv4:
			af = afInet
		case etIPv6:
			af = af6
		}
		h := make([]byte, 4)
		if lt == layers.LinkTypeLoop || big {
			binary.BigEndian.PutUint32(h, af)
		} else {
			binary.LittleEndian.PutUint32(h, af)
		}
		return append(h, payload...), true
	}
	return nil, false
}
