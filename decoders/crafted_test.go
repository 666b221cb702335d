package decoders

import (
	"bytes"

	"github.com/gopacket/gopacket/layers"
)

// Crafted frames cover what the real captures lack: VXLAN, ERSPAN, IP-in-IP,
// fragments, extension headers, the rarer link types and broken headers.
// Their layouts were checked with tshark.

// Addresses of crafted packets: the inner (audited) packet and the outer
// tunnel endpoints.
const (
	innerSrc  = "192.0.2.10"
	innerDst  = "192.0.2.20"
	outerSrc  = "198.51.100.1"
	outerDst  = "198.51.100.2"
	inner6Src = "2001:db8::10"
	inner6Dst = "2001:db8::20"
)

// innerUDP is the audited packet inside crafted tunnels: RTP from
// 192.0.2.10:50000 to 192.0.2.20:50002.
func innerUDP() []byte {
	return ipv4(ipProtoUDP, innerSrc, innerDst, 1, 0, udp(50000, 50002, rtpPayload))
}

// innerUDPWant is what Decode makes of innerUDP after tunnels encapsulations.
func innerUDPWant(tunnels uint8) Packet {
	return Packet{Src: addr(innerSrc), Dst: addr(innerDst), SrcPort: 50000, DstPort: 50002,
		Transport: UDP, PayloadLen: len(rtpPayload), Tunnels: tunnels}
}

// outer wraps payload in an Ethernet frame and an IPv4 header of protocol
// proto between the tunnel endpoints.
func outer(proto byte, payload []byte) []byte {
	return eth(0x0800, ipv4(proto, outerSrc, outerDst, 0x100, 0x4000, payload))
}

// gre returns a GRE header with the given flags-and-version word, protocol
// type and optional fields, then payload.
func gre(flagsVer, proto uint16, optional, payload []byte) []byte {
	return cat(be16(flagsVer), be16(proto), optional, payload)
}

// vxlanHeader is a VXLAN header for VNI 100.
var vxlanHeader = unhex("08000000 00006400")

func craftedVXLAN() []byte {
	// 198.51.100.1 → 198.51.100.2 UDP 49152 → 4789 VXLAN VNI 100,
	// 192.0.2.10 → 192.0.2.20 UDP 50000 → 50002
	return outer(ipProtoUDP, udp(49152, vxlanPort, cat(vxlanHeader, eth(0x0800, innerUDP()))))
}

func craftedERSPANII() []byte {
	// GRE with sequence 7, ERSPAN type II (version 1, VLAN 10, session 1,
	// index 0), the mirrored frame tagged VLAN 30.
	erspan := unhex("100a0001 00000000")
	return outer(ipProtoGRE, gre(0x1000, 0x88be, be32(7), cat(erspan,
		eth(0x8100, tag(30, 0x0800), innerUDP()))))
}

func craftedERSPANIII() []byte {
	// GRE with sequence 9, ERSPAN type III (version 2, VLAN 100, session 1,
	// timestamp, SGT 0, frame type Ethernet, O set) and its 8-byte platform
	// specific subheader.
	erspan := unhex("20640001 01020304 0000 00 01")
	platform := unhex("0400000a 05060708")
	return outer(ipProtoGRE, gre(0x1000, 0x22eb, be32(9), cat(erspan, platform, eth(0x0800, innerUDP()))))
}

func craftedVLANIPv6TCP() []byte {
	// VLAN 42: 2001:db8::10 → 2001:db8::20 TCP 50123 → 5061 [SYN]
	return eth(0x8100, tag(42, 0x86dd), ipv6(ipProtoTCP, inner6Src, inner6Dst,
		tcp(50123, 5061, 1000, FlagSYN, nil)))
}

// ipv6Datagram is a UDP datagram of 72 bytes that crafted IPv6 fragments
// split at byte 40.
var ipv6Datagram = udp(5004, 5006, bytes.Repeat([]byte{0xd5}, 64))

// hopByHop is a hop-by-hop options header followed by next, holding one
// PadN option.
func hopByHop(next byte) []byte { return []byte{next, 0, 1, 4, 0, 0, 0, 0} }

// ipv6Frag is an IPv6 fragment header followed by next.
func ipv6Frag(next byte, offset uint16, more bool, id uint32) []byte {
	word := offset // the offset in bytes is a multiple of 8: bits 3..15
	if more {
		word |= 1
	}
	return cat([]byte{next, 0}, be16(word), be32(id))
}

func craftedIPv6FirstFragment() []byte {
	// 2001:db8::10 → 2001:db8::20 IPv6 hop-by-hop, fragment offset 0 more,
	// ID 0xcafe0001: UDP 5004 → 5006
	return eth(0x86dd, ipv6(0, inner6Src, inner6Dst, cat(hopByHop(ipProtoFragment),
		ipv6Frag(ipProtoUDP, 0, true, 0xcafe0001), ipv6Datagram[:40])))
}

// authHeader is an IPv6/IPv4 Authentication Header followed by next, with a
// 12-byte ICV: 24 bytes, written as 4 in its length field.
func authHeader(next byte) []byte {
	return cat([]byte{next, 4, 0, 0}, be32(0x1000), be32(1), make([]byte, 12))
}

// destOpts is a destination options header followed by next.
func destOpts(next byte) []byte { return []byte{next, 0, 1, 4, 0, 0, 0, 0} }

func craftedCases() []decodeCase {
	const ethernet = layers.LinkTypeEthernet
	var cases []decodeCase
	addLink := func(lt LinkType, c decodeCase) {
		c.lt = lt
		cases = append(cases, c)
	}
	add := func(c decodeCase) { addLink(ethernet, c) }
	// atEnd is where a payload p that ends the frame f starts.
	atEnd := func(f, p []byte) int { return len(f) - len(p) }

	// VXLAN.
	f := craftedVXLAN()
	add(decodeCase{name: "vxlan", frame: f, want: innerUDPWant(1), payloadAt: atEnd(f, rtpPayload)})
	f = outer(ipProtoUDP, udp(40000, vxlanPort, rtpPayload))
	add(decodeCase{name: "rtp to udp 4789 is not vxlan", frame: f, want: Packet{
		Src: addr(outerSrc), Dst: addr(outerDst), SrcPort: 40000, DstPort: vxlanPort, Transport: UDP,
		PayloadLen: len(rtpPayload)}, payloadAt: atEnd(f, rtpPayload)})
	gbp := unhex("88000001 00006400")
	f = outer(ipProtoUDP, udp(49152, vxlanPort, cat(gbp, eth(0x0800, innerUDP()))))
	add(decodeCase{name: "vxlan group policy stays udp", frame: f, want: Packet{
		Src: addr(outerSrc), Dst: addr(outerDst), SrcPort: 49152, DstPort: vxlanPort, Transport: UDP,
		PayloadLen: len(f) - 42}, payloadAt: 42})
	f = outer(ipProtoUDP, udp(49152, vxlanPort, cat(unhex("08000000 00006401"), eth(0x0800, innerUDP()))))
	add(decodeCase{name: "vxlan reserved byte set stays udp", frame: f, want: Packet{
		Src: addr(outerSrc), Dst: addr(outerDst), SrcPort: 49152, DstPort: vxlanPort, Transport: UDP,
		PayloadLen: len(f) - 42}, payloadAt: 42})
	add(decodeCase{name: "vxlan carrying arp", reason: NotIP,
		frame: outer(ipProtoUDP, udp(49152, vxlanPort, cat(vxlanHeader, eth(0x0806, make([]byte, 28)))))})

	// GRE.
	f = outer(ipProtoGRE, gre(0xa000, 0x0800, unhex("00000000 0000002a"), innerUDP()))
	add(decodeCase{name: "gre checksum key/ipv4", frame: f, want: innerUDPWant(1), payloadAt: atEnd(f, rtpPayload)})
	f = outer(ipProtoGRE, gre(0, 0x86dd, nil, ipv6(ipProtoTCP, inner6Src, inner6Dst, tcp(50123, 443, 77, FlagACK, rtpPayload))))
	add(decodeCase{name: "gre/ipv6/tcp", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 50123, DstPort: 443, Transport: TCP,
		Flags: FlagACK, Seq: 77, PayloadLen: len(rtpPayload), Tunnels: 1}, payloadAt: atEnd(f, rtpPayload)})
	add(decodeCase{name: "gre version 1 pptp", reason: OtherIPProto,
		frame: outer(ipProtoGRE, gre(0x3001, 0x880b, unhex("00040000 00000001"), unhex("ff030021")))})
	add(decodeCase{name: "gre version 1 is never opened", reason: OtherIPProto,
		frame: outer(ipProtoGRE, gre(0x2001, 0x0800, unhex("00040000"), innerUDP()))})
	add(decodeCase{name: "gre routing present", reason: MalformedTunnel,
		frame: outer(ipProtoGRE, gre(0x4000, 0x0800, unhex("00000000"), innerUDP()))})
	add(decodeCase{name: "gre version 2", reason: MalformedTunnel,
		frame: outer(ipProtoGRE, gre(0x0002, 0x0800, nil, innerUDP()))})
	add(decodeCase{name: "gre carrying mpls", reason: OtherIPProto,
		frame: outer(ipProtoGRE, gre(0, 0x8847, nil, unhex("00001140")))})
	add(decodeCase{name: "gre key cut", reason: TruncatedTunnel,
		frame: eth(0x0800, ipv4(ipProtoGRE, outerSrc, outerDst, 1, 0, gre(0x2000, 0x6558, unhex("0000002a"), nil))[:20+6])})
	add(decodeCase{name: "gre key past ip length", reason: MalformedTunnel,
		frame: outer(ipProtoGRE, gre(0x2000, 0x6558, unhex("0000"), nil))})

	// ERSPAN.
	f = outer(ipProtoGRE, gre(0, 0x88be, nil, eth(0x0800, innerUDP())))
	add(decodeCase{name: "erspan type i", frame: f, want: innerUDPWant(1), payloadAt: atEnd(f, rtpPayload)})
	f = craftedERSPANII()
	w := innerUDPWant(1)
	w.VLAN = 30
	add(decodeCase{name: "erspan type ii/vlan", frame: f, want: w, payloadAt: atEnd(f, rtpPayload)})
	f = eth(0x8100, tag(5, 0x0800), craftedERSPANII()[14:])
	w.VLAN = 5
	add(decodeCase{name: "vlan/erspan type ii/vlan keeps the outer vlan", frame: f, want: w, payloadAt: atEnd(f, rtpPayload)})
	add(decodeCase{name: "erspan type ii with version 2", reason: MalformedTunnel,
		frame: outer(ipProtoGRE, gre(0x1000, 0x88be, be32(7), cat(unhex("200a0001 00000000"), eth(0x0800, innerUDP()))))})
	add(decodeCase{name: "erspan type ii cut", reason: TruncatedTunnel,
		frame: craftedERSPANII()[:14+20+8+6]})
	f = craftedERSPANIII()
	add(decodeCase{name: "erspan type iii platform subheader", frame: f, want: innerUDPWant(1), payloadAt: atEnd(f, rtpPayload)})
	f = outer(ipProtoGRE, gre(0x1000, 0x22eb, be32(9), cat(unhex("20640001 01020304 0000 08 00"), innerUDP())))
	add(decodeCase{name: "erspan type iii ip frame", frame: f, want: innerUDPWant(1), payloadAt: atEnd(f, rtpPayload)})
	add(decodeCase{name: "erspan type iii unknown frame type", reason: NotIP,
		frame: outer(ipProtoGRE, gre(0x1000, 0x22eb, be32(9), cat(unhex("20640001 01020304 0000 0c 00"), innerUDP())))})
	add(decodeCase{name: "erspan type iii platform subheader cut", reason: TruncatedTunnel,
		frame: craftedERSPANIII()[:14+20+8+12+4]})

	// IP in IP, and nesting.
	f = outer(ipProtoIPv4, innerUDP())
	add(decodeCase{name: "ipv4 in ipv4", frame: f, want: innerUDPWant(1), payloadAt: atEnd(f, rtpPayload)})
	f = outer(ipProtoIPv6, ipv6(ipProtoTCP, inner6Src, inner6Dst, tcp(50123, 5061, 5, FlagSYN|FlagECE|FlagCWR, nil)))
	add(decodeCase{name: "ipv6 in ipv4", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 50123, DstPort: 5061, Transport: TCP,
		Flags: FlagSYN | FlagECE | FlagCWR, Seq: 5, Tunnels: 1}, payloadAt: len(f)})
	f = eth(0x86dd, ipv6(ipProtoIPv4, "2001:db8::1", "2001:db8::2", innerUDP()))
	add(decodeCase{name: "ipv4 in ipv6", frame: f, want: innerUDPWant(1), payloadAt: atEnd(f, rtpPayload)})
	nested := innerUDP()
	for range maxTunnels {
		nested = ipv4(ipProtoIPv4, outerSrc, outerDst, 1, 0, nested)
	}
	f = eth(0x0800, nested)
	add(decodeCase{name: "four tunnels", frame: f, want: innerUDPWant(maxTunnels), payloadAt: atEnd(f, rtpPayload)})
	add(decodeCase{name: "five tunnels", reason: TunnelTooDeep,
		frame: eth(0x0800, ipv4(ipProtoIPv4, outerSrc, outerDst, 1, 0, nested))})
	// IPv4 in IPv4, VXLAN, GRE and VXLAN again: four tunnels of three kinds.
	mixed := func(innermost []byte) []byte {
		return outer(ipProtoIPv4, ipv4(ipProtoUDP, outerSrc, outerDst, 2, 0, udp(1, vxlanPort, cat(vxlanHeader,
			eth(0x0800, ipv4(ipProtoGRE, outerSrc, outerDst, 3, 0, gre(0, 0x6558, nil,
				eth(0x0800, ipv4(ipProtoUDP, outerSrc, outerDst, 4, 0, udp(2, vxlanPort, cat(vxlanHeader,
					eth(0x0800, innermost))))))))))))
	}
	f = mixed(innerUDP())
	add(decodeCase{name: "ipv4 vxlan gre vxlan", frame: f, want: innerUDPWant(4), payloadAt: atEnd(f, rtpPayload)})
	add(decodeCase{name: "ipv4 vxlan gre vxlan ipv4 is too deep", reason: TunnelTooDeep,
		frame: mixed(ipv4(ipProtoIPv4, outerSrc, outerDst, 5, 0, innerUDP()))})

	// IPv4 fragments: a 1008-byte UDP datagram, ID 0x1234, in 32 bytes and
	// the rest.
	datagram := udp(5060, 5060, bytes.Repeat([]byte{'s'}, 1000))
	f = eth(0x0800, ipv4(ipProtoUDP, innerSrc, innerDst, 0x1234, 0x2000, datagram[:32]))
	add(decodeCase{name: "ipv4 first fragment", frame: f, want: Packet{
		Src: addr(innerSrc), Dst: addr(innerDst), SrcPort: 5060, DstPort: 5060, Transport: UDP,
		PayloadLen: 24, Fragment: Fragment{ID: 0x1234, More: true}}, payloadAt: len(f) - 24})
	f = eth(0x0800, ipv4(ipProtoUDP, innerSrc, innerDst, 0x1234, 32/8, datagram[32:]))
	add(decodeCase{name: "ipv4 later fragment", frame: f, want: Packet{
		Src: addr(innerSrc), Dst: addr(innerDst), Transport: UDP, PayloadLen: len(datagram) - 32,
		Fragment: Fragment{ID: 0x1234, Offset: 32}}, payloadAt: 34})
	add(decodeCase{name: "ipv4 later fragment of icmp", reason: OtherIPProto,
		frame: eth(0x0800, ipv4(1, innerSrc, innerDst, 0x1235, 0x2000|185, make([]byte, 64)))})

	// IPv6 extension headers and fragments.
	f = craftedIPv6FirstFragment()
	add(decodeCase{name: "ipv6 hop-by-hop first fragment", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 5004, DstPort: 5006, Transport: UDP,
		PayloadLen: 32, Fragment: Fragment{ID: 0xcafe0001, More: true}}, payloadAt: len(f) - 32})
	f = eth(0x86dd, ipv6(ipProtoFragment, inner6Src, inner6Dst, cat(ipv6Frag(ipProtoUDP, 40, false, 0xcafe0001), ipv6Datagram[40:])))
	add(decodeCase{name: "ipv6 later fragment", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), Transport: UDP, PayloadLen: len(ipv6Datagram) - 40,
		Fragment: Fragment{ID: 0xcafe0001, Offset: 40}}, payloadAt: atEnd(f, ipv6Datagram[40:])})
	f = eth(0x86dd, ipv6(ipProtoFragment, inner6Src, inner6Dst, cat(ipv6Frag(ipProtoUDP, 0, false, 9), udp(1, 2, rtpPayload))))
	add(decodeCase{name: "ipv6 atomic fragment", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 1, DstPort: 2, Transport: UDP,
		PayloadLen: len(rtpPayload)}, payloadAt: atEnd(f, rtpPayload)})
	f = eth(0x86dd, ipv6(ipProtoAH, inner6Src, inner6Dst, cat(authHeader(60), destOpts(ipProtoUDP), udp(1, 2, rtpPayload))))
	add(decodeCase{name: "ipv6 ah destination options", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 1, DstPort: 2, Transport: UDP,
		PayloadLen: len(rtpPayload)}, payloadAt: atEnd(f, rtpPayload)})
	f = eth(0x0800, ipv4(ipProtoAH, innerSrc, innerDst, 1, 0, cat(authHeader(ipProtoTCP), tcp(1, 2, 3, FlagFIN|FlagACK, rtpPayload))))
	add(decodeCase{name: "ipv4 ah", frame: f, want: Packet{
		Src: addr(innerSrc), Dst: addr(innerDst), SrcPort: 1, DstPort: 2, Transport: TCP, Seq: 3,
		Flags: FlagFIN | FlagACK, PayloadLen: len(rtpPayload)}, payloadAt: atEnd(f, rtpPayload)})
	add(decodeCase{name: "ipv6 esp", reason: OtherIPProto,
		frame: eth(0x86dd, ipv6(50, inner6Src, inner6Dst, make([]byte, 32)))})
	add(decodeCase{name: "ipv6 no next header", reason: OtherIPProto,
		frame: eth(0x86dd, ipv6(59, inner6Src, inner6Dst, nil))})
	chain, next := udp(1, 2, nil), byte(ipProtoUDP)
	for range maxExtensions + 1 {
		chain, next = cat(destOpts(next), chain), 60
	}
	add(decodeCase{name: "ipv6 too many extension headers", reason: MalformedIP,
		frame: eth(0x86dd, ipv6(next, inner6Src, inner6Dst, chain))})
	add(decodeCase{name: "ipv6 extension past payload length", reason: MalformedIP,
		frame: eth(0x86dd, ipv6(60, inner6Src, inner6Dst, []byte{17, 1, 0, 0, 0, 0, 0, 0}))})

	// Lengths: offload, padding, UDP length.
	f = eth(0x0800, ipv4(ipProtoTCP, innerSrc, innerDst, 1, 0, tcp(1, 2, 3, FlagACK, rtpPayload)))
	f[14+2], f[14+3] = 0, 0
	add(decodeCase{name: "ipv4 total length 0 from segmentation offload", frame: f, want: Packet{
		Src: addr(innerSrc), Dst: addr(innerDst), SrcPort: 1, DstPort: 2, Transport: TCP, Seq: 3,
		Flags: FlagACK, PayloadLen: len(rtpPayload)}, payloadAt: atEnd(f, rtpPayload), noLength: true})
	f = eth(0x86dd, ipv6(ipProtoUDP, inner6Src, inner6Dst, udp(1, 2, rtpPayload)))
	f[14+4], f[14+5] = 0, 0
	add(decodeCase{name: "ipv6 payload length 0", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 1, DstPort: 2, Transport: UDP,
		PayloadLen: len(rtpPayload)}, payloadAt: atEnd(f, rtpPayload), noLength: true})
	f = cat(eth(0x0800, ipv4(ipProtoUDP, innerSrc, innerDst, 1, 0, udp(1, 2, []byte("hi")))), make([]byte, 16))
	add(decodeCase{name: "ethernet padding", frame: f, want: Packet{
		Src: addr(innerSrc), Dst: addr(innerDst), SrcPort: 1, DstPort: 2, Transport: UDP,
		PayloadLen: 2}, payloadAt: 42, payloadEnd: 44})
	f = eth(0x0800, ipv4(ipProtoUDP, innerSrc, innerDst, 1, 0, cat(udp(1, 2, []byte("hi")), []byte("trail"))))
	add(decodeCase{name: "udp length inside ip payload", frame: f, want: Packet{
		Src: addr(innerSrc), Dst: addr(innerDst), SrcPort: 1, DstPort: 2, Transport: UDP,
		PayloadLen: 2}, payloadAt: 42, payloadEnd: 44})

	// VLAN tags.
	f = eth(0x9100, tag(300, 0x8100), tag(400, 0x0800), innerUDP())
	w = innerUDPWant(0)
	w.VLAN = 300
	add(decodeCase{name: "0x9100 over 802.1q", frame: f, want: w, payloadAt: atEnd(f, rtpPayload)})
	f = eth(0x88a8, tag(0x2000|100, 0x8100), tag(200, 0x0800), innerUDP())
	w.VLAN = 100
	add(decodeCase{name: "802.1ad with priority over 802.1q", frame: f, want: w, payloadAt: atEnd(f, rtpPayload)})
	f = craftedVLANIPv6TCP()
	add(decodeCase{name: "vlan/ipv6/tcp", frame: f, want: Packet{
		Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 50123, DstPort: 5061, Transport: TCP,
		Flags: FlagSYN, Seq: 1000, VLAN: 42}, payloadAt: len(f)})
	add(decodeCase{name: "vlan/arp", reason: NotIP, frame: eth(0x8100, tag(7, 0x0806), make([]byte, 28))})
	add(decodeCase{name: "802.3 length field", reason: NotIP, frame: eth(0x0026, unhex("424203000000"), make([]byte, 32))})

	// Link types.
	ip4 := innerUDP()
	ip6 := ipv6(ipProtoUDP, inner6Src, inner6Dst, udp(1, 2, rtpPayload))
	want6 := Packet{Src: addr(inner6Src), Dst: addr(inner6Dst), SrcPort: 1, DstPort: 2, Transport: UDP,
		PayloadLen: len(rtpPayload)}
	sll := cat(unhex("0000 0001 0006 0200000000010000"), be16(0x0800), ip4)
	addLink(layers.LinkTypeLinuxSLL, decodeCase{name: "sll", frame: sll, want: innerUDPWant(0), payloadAt: atEnd(sll, rtpPayload)})
	sll = cat(unhex("0000 0001 0014 0200000000010000"), be16(0x86dd), ip6)
	addLink(layers.LinkTypeLinuxSLL, decodeCase{name: "sll address length 20", frame: sll, want: want6, payloadAt: atEnd(sll, rtpPayload)})
	addLink(layers.LinkTypeLinuxSLL2, decodeCase{name: "sll2 arp", reason: NotIP,
		frame: cat(unhex("0806 0000 00000002 0001 00 06 0200000000010000"), make([]byte, 28))})
	f = cat(be32(30), ip6)
	addLink(layers.LinkTypeNull, decodeCase{name: "null big-endian darwin ipv6", frame: f, want: want6, payloadAt: atEnd(f, rtpPayload)})
	f = cat(unhex("18000000"), ip6)
	addLink(layers.LinkTypeNull, decodeCase{name: "null little-endian bsd ipv6", frame: f, want: want6, payloadAt: atEnd(f, rtpPayload)})
	f = cat(unhex("0a000000"), ip6)
	addLink(layers.LinkTypeNull, decodeCase{name: "null linux ipv6", frame: f, want: want6, payloadAt: atEnd(f, rtpPayload)})
	addLink(layers.LinkTypeNull, decodeCase{name: "null unknown family", reason: NotIP, frame: cat(be32(7), ip4)})
	f = cat(be32(2), ip4)
	addLink(layers.LinkTypeLoop, decodeCase{name: "loop ipv4", frame: f, want: innerUDPWant(0), payloadAt: atEnd(f, rtpPayload)})
	for _, lt := range []LinkType{layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD, layers.LinkTypeIPv4} {
		addLink(lt, decodeCase{name: "raw ipv4 " + lt.String(), frame: ip4, want: innerUDPWant(0), payloadAt: atEnd(ip4, rtpPayload)})
	}
	for _, lt := range []LinkType{layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD, layers.LinkTypeIPv6} {
		addLink(lt, decodeCase{name: "raw ipv6 " + lt.String(), frame: ip6, want: want6, payloadAt: atEnd(ip6, rtpPayload)})
	}
	addLink(layers.LinkTypeIPv4, decodeCase{name: "ipv4 link type with ipv6 packet", reason: MalformedIP, frame: ip6})
	addLink(layers.LinkTypeIPv6, decodeCase{name: "ipv6 link type with ipv4 packet", reason: MalformedIP, frame: cat(ip4, make([]byte, 20))})
	addLink(layers.LinkTypeRaw, decodeCase{name: "raw version 5", reason: MalformedIP, frame: cat([]byte{0x55}, ip4[1:])})
	addLink(layers.LinkTypeIEEE802_11, decodeCase{name: "802.11 unsupported", reason: BadLinkType, frame: ip4})

	// Broken headers.
	bad := eth(0x0800, innerUDP())
	bad[14] = 0x44
	add(decodeCase{name: "ipv4 header length 16", reason: MalformedIP, frame: bad})
	bad = eth(0x0800, innerUDP())
	bad[14+3] = 18
	add(decodeCase{name: "ipv4 total length 18", reason: MalformedIP, frame: bad})
	bad = eth(0x0800, ipv4(ipProtoTCP, innerSrc, innerDst, 1, 0, tcp(1, 2, 3, FlagACK, rtpPayload)))
	bad[14+20+12] = 0x40
	add(decodeCase{name: "tcp data offset 4", reason: MalformedL4, frame: bad})
	bad[14+20+12] = 0xf0
	add(decodeCase{name: "tcp data offset past ip length", reason: MalformedL4, frame: bad})
	bad = eth(0x0800, ipv4(ipProtoTCP, innerSrc, innerDst, 1, 0, tcp(1, 2, 3, FlagACK, nil)[:10]))
	add(decodeCase{name: "tcp header past ip length", reason: MalformedL4, frame: bad})
	bad = eth(0x0800, innerUDP())
	bad[14+20+5] = 5
	add(decodeCase{name: "udp length 5", reason: MalformedL4, frame: bad})
	bad = eth(0x0800, ipv4(ipProtoTCP, innerSrc, innerDst, 1, 0, tcp(1, 2, 3, FlagACK, rtpPayload)))
	add(decodeCase{name: "tcp cut", reason: TruncatedL4, frame: bad[:14+20+19]})
	add(decodeCase{name: "ipv4 options cut", reason: TruncatedIP, frame: cat(unhex("020000000001 020000000002 0800 46"), innerUDP()[1:20])})
	return cases
}
