package decoders

import (
	"encoding/binary"
	"net/netip"
)

// maxExtensions bounds the IPv6 extension headers walked in one packet. Real
// packets carry two or three; the bound keeps a crafted chain of tiny headers
// from costing more than a normal packet.
const maxExtensions = 8

// IPv6 header sizes.
const (
	ipv6Header         = 40
	ipv6FragmentHeader = 8
)

// ip decodes a bare IP packet whose version only its first nibble tells.
func (d *Decoder) ip(b []byte, p *Packet) Reason {
	if len(b) == 0 {
		return TruncatedIP
	}
	switch b[0] >> 4 {
	case 4:
		return d.ipv4(b, p)
	case 6:
		return d.ipv6(b, p)
	}
	return MalformedIP
}

// ipv4 decodes an IPv4 header and what it carries. A total length of 0 is
// taken as TCP segmentation offload: the packet is what was captured. It is
// read by hand, options skipped, because gopacket's layer decodes every
// option and rejects the packet over a malformed one, where the header
// length alone says where the transport starts (as Wireshark reads it).
func (d *Decoder) ipv4(b []byte, p *Packet) Reason {
	const minHeader = 20
	if len(b) < minHeader {
		return TruncatedIP
	}
	if b[0]>>4 != 4 {
		return MalformedIP
	}
	size := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total == 0 {
		total = len(b)
	}
	if size < minHeader || total < size {
		return MalformedIP
	}
	if size > len(b) {
		return TruncatedIP
	}
	if len(b) > total {
		b = b[:total] // Ethernet padding or trailer
	}
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	var frag Fragment
	if word := binary.BigEndian.Uint16(b[6:8]); word&0x3fff != 0 { // MF or an offset
		frag = Fragment{
			ID:     uint32(binary.BigEndian.Uint16(b[4:6])),
			Offset: word << 3, // 13 bits of 8-byte units; the shift drops the flags
			More:   word&0x2000 != 0,
		}
	}
	return d.extensions(b[9], b[size:], total-size, frag, false, p)
}

// ipv6 decodes an IPv6 header and what it carries. It is read by hand
// because gopacket's layer allocates for a hop-by-hop header. A payload
// length of 0 is taken as the rest of the capture: Linux captures of
// offloaded segments over 64 KiB (BIG TCP) carry it with no jumbo option,
// and true jumbograms do not cross the networks lyncaudit watches.
func (d *Decoder) ipv6(b []byte, p *Packet) Reason {
	if len(b) < ipv6Header {
		return TruncatedIP
	}
	if b[0]>>4 != 6 {
		return MalformedIP
	}
	payload := b[ipv6Header:]
	sent := int(binary.BigEndian.Uint16(b[4:6]))
	if sent == 0 {
		sent = len(payload)
	}
	if len(payload) > sent {
		payload = payload[:sent]
	}
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	return d.extensions(b[6], payload, sent, Fragment{}, true, p)
}

// extensions walks the headers between the IP header and the transport:
// IPv6's extension headers when v6 is set, and the Authentication Header,
// which IPv4 may carry too. next is the first header's protocol number, b
// the captured bytes from there on and sent their length as sent. A
// non-first fragment ends the walk: the rest is the fragment's data.
func (d *Decoder) extensions(next uint8, b []byte, sent int, frag Fragment, v6 bool, p *Packet) Reason {
	for n := 0; frag.First(); n++ {
		if next != ipProtoAH && (!v6 || !isIPv6Extension(next)) {
			break
		}
		if n == maxExtensions {
			return MalformedIP
		}
		if len(b) < 2 {
			return shortReason(sent, 2, MalformedIP, TruncatedIP)
		}
		var size int
		switch next {
		case ipProtoAH:
			size = (int(b[1]) + 2) * 4 // in 4-byte units, less 2 (RFC 4302)
		case ipProtoFragment:
			size = ipv6FragmentHeader
		default:
			size = (int(b[1]) + 1) * 8 // in 8-byte units, less 1
		}
		if size > sent {
			return MalformedIP
		}
		if size > len(b) {
			return TruncatedIP
		}
		if next == ipProtoFragment {
			frag = ipv6Fragment(b)
		}
		next, b, sent = b[0], b[size:], sent-size
	}
	return d.transport(next, b, sent, frag, p)
}

// isIPv6Extension reports whether IPv6 next-header value h is an extension
// header that Decode skips: hop-by-hop options, routing, fragment,
// destination options, mobility, HIP, shim6 and the two experimental values.
// ESP (50) is not: what follows it is encrypted.
func isIPv6Extension(h uint8) bool {
	switch h {
	case 0, 43, ipProtoFragment, 60, 135, 139, 140, 253, 254:
		return true
	}
	return false
}

// ipv6Fragment reads an IPv6 fragment header, which has 8 bytes. An atomic
// fragment (offset 0, no more fragments) is a whole packet and comes back as
// the zero Fragment.
func ipv6Fragment(b []byte) Fragment {
	offMore := binary.BigEndian.Uint16(b[2:4])
	f := Fragment{
		ID:     binary.BigEndian.Uint32(b[4:8]),
		Offset: offMore &^ 7, // 13 bits of 8-byte units, already shifted by 3
		More:   offMore&1 != 0,
	}
	if !f.IsFragment() {
		return Fragment{}
	}
	return f
}
