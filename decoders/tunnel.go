package decoders

import (
	"github.com/gopacket/gopacket/layers"
)

// GRE protocol types that Decode opens besides IPv4 and IPv6.
const (
	greTransparentEthernet = layers.EthernetTypeTransparentEthernetBridging // 0x6558, as NVGRE and Linux gretap send it
	greERSPAN              = layers.EthernetTypeERSPAN                      // 0x88be, ERSPAN types I and II
	greERSPAN3             = layers.EthernetType(0x22eb)                    // ERSPAN type III
)

// greMustBeZero masks the GRE flag bits that RFC 2784 tells a receiver to
// discard a packet for: routing present, strict source route and the top
// recursion bit (bits 1, 4 and 5). Checksum, key and sequence are the only
// optional fields Decode accepts, which also keeps gopacket's layer from
// allocating its routing list.
const greMustBeZero = 0x4c

// ERSPAN header sizes (draft-foschiano-erspan).
const (
	erspan2Header         = 8
	erspan3Header         = 12
	erspan3PlatformHeader = 8
)

// ERSPAN type III frame types.
const (
	erspan3FrameEthernet = 0
	erspan3FrameIP       = 2
)

// vxlanPort is the UDP destination port IANA assigned to VXLAN (RFC 7348).
const vxlanPort = 4789

// enter records that a tunnel is being opened, or says it is one too many.
// An outer packet's fragment fields do not carry over: the inner IP header
// sets its own.
func enter(p *Packet) Reason {
	if p.Tunnels >= maxTunnels {
		return TunnelTooDeep
	}
	p.Tunnels++
	return OK
}

// greTunnel decodes a GRE header (RFC 2784 with RFC 2890's key and
// sequence) and opens what it carries. Version 1 is PPTP's enhanced GRE,
// which carries PPP: not something Decode follows.
func (d *Decoder) greTunnel(b []byte, sent int, p *Packet) Reason {
	const minHeader = 4
	if len(b) < minHeader {
		return shortReason(sent, minHeader, MalformedTunnel, TruncatedTunnel)
	}
	switch b[1] & 0x07 {
	case 0:
	case 1:
		return OtherIPProto
	default:
		return MalformedTunnel
	}
	if b[0]&greMustBeZero != 0 {
		return MalformedTunnel
	}
	size := minHeader
	for _, present := range [...]byte{0x80, 0x20, 0x10} { // checksum, key, sequence
		if b[0]&present != 0 {
			size += 4
		}
	}
	if len(b) < size {
		return shortReason(sent, size, MalformedTunnel, TruncatedTunnel)
	}
	if err := d.gre.DecodeFromBytes(b, nilDF); err != nil {
		return MalformedTunnel
	}
	inner := d.gre.Payload
	switch d.gre.Protocol {
	case layers.EthernetTypeIPv4:
		if r := enter(p); r != OK {
			return r
		}
		return d.ipv4(inner, p)
	case layers.EthernetTypeIPv6:
		if r := enter(p); r != OK {
			return r
		}
		return d.ipv6(inner, p)
	case greTransparentEthernet:
		if r := enter(p); r != OK {
			return r
		}
		return d.ethernet(inner, p)
	case greERSPAN:
		if !d.gre.SeqPresent {
			// Type I has no ERSPAN header: the mirrored frame follows GRE.
			if r := enter(p); r != OK {
				return r
			}
			return d.ethernet(inner, p)
		}
		return d.erspanII(inner, p)
	case greERSPAN3:
		return d.erspanIII(inner, p)
	}
	return OtherIPProto
}

// erspanII decodes an ERSPAN type II header and the mirrored Ethernet frame
// after it.
func (d *Decoder) erspanII(b []byte, p *Packet) Reason {
	if len(b) < erspan2Header {
		return TruncatedTunnel
	}
	if err := d.erspan.DecodeFromBytes(b, nilDF); err != nil {
		return MalformedTunnel // a version other than type II's
	}
	if r := enter(p); r != OK {
		return r
	}
	return d.ethernet(d.erspan.Payload, p)
}

// erspanIII decodes an ERSPAN type III header, with its optional platform
// specific subheader, and the mirrored Ethernet frame or IP packet after it.
// gopacket has no layer for it.
func (d *Decoder) erspanIII(b []byte, p *Packet) Reason {
	if len(b) < erspan3Header {
		return TruncatedTunnel
	}
	if b[0]>>4 != 2 {
		return MalformedTunnel
	}
	size := erspan3Header
	if b[11]&0x01 != 0 { // O: the platform specific subheader follows
		size += erspan3PlatformHeader
	}
	if len(b) < size {
		return TruncatedTunnel
	}
	frameType := b[10] >> 2 & 0x1f
	if frameType != erspan3FrameEthernet && frameType != erspan3FrameIP {
		return NotIP
	}
	if r := enter(p); r != OK {
		return r
	}
	if frameType == erspan3FrameIP {
		return d.ip(b[size:], p)
	}
	return d.ethernet(b[size:], p)
}

// isVXLAN reports whether the payload b of a datagram to UDP port 4789 is a
// VXLAN header: the I flag set and every reserved bit zero, as RFC 7348 has
// it. Port 4789 alone is not enough: a media or signalling flow may land on
// it by chance. None of the payloads lyncaudit looks for starts with 0x08
// (RTP's first byte is 0x80 to 0xbf, STUN's 0x00 or 0x01, DTLS's 0x14 to
// 0x17, SIP's a letter), and random bytes pass this 40-bit test about once
// in a trillion. The cost is that VXLAN with the Group Policy extension, or
// on another port such as Linux's old default 8472, stays an outer UDP flow.
func isVXLAN(b []byte) bool {
	return len(b) >= 8 && b[0] == 0x08 && b[1]|b[2]|b[3]|b[7] == 0
}

// vxlan opens a VXLAN datagram's payload b, whose header isVXLAN accepted,
// as the Ethernet frame it carries. Once the header matched, the inner frame
// decides the result, even if it is not IP.
func (d *Decoder) vxlan(b []byte, p *Packet) Reason {
	if r := enter(p); r != OK {
		return r
	}
	return d.ethernet(b[8:], p)
}
