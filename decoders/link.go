package decoders

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Link types that carry a bare IP packet under DLT numbers rather than
// LINKTYPE_RAW (101): BSD's DLT_RAW is 12 and OpenBSD's is 14, and some
// pcapng writers copy the DLT into the interface block.
const (
	linkTypeRawBSD     LinkType = 12
	linkTypeRawOpenBSD LinkType = 14
)

// EtherTypes of the 802.1Q-style tags that may be stacked in front of the
// payload's EtherType: 802.1Q, 802.1ad (QinQ) and the older 0x9100.
const (
	etherTypeDot1Q   = layers.EthernetTypeDot1Q
	etherTypeQinQ    = layers.EthernetTypeQinQ
	etherTypeQinQOld = layers.EthernetType(0x9100)
)

// Header sizes of Linux cooked captures.
const (
	sllHeader  = 16
	sll2Header = 20
)

// Supported reports whether Decode understands link type lt.
func Supported(lt LinkType) bool {
	switch lt {
	case layers.LinkTypeEthernet,
		layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop,
		layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD,
		layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return true
	}
	return false
}

// link decodes the link-layer header of a frame of link type lt.
func (d *Decoder) link(lt LinkType, b []byte, p *Packet) Reason {
	switch lt {
	case layers.LinkTypeEthernet:
		return d.ethernet(b, p)
	case layers.LinkTypeLinuxSLL:
		return d.linuxSLL(b, p)
	case layers.LinkTypeLinuxSLL2:
		return d.linuxSLL2(b, p)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return d.loopback(b, p)
	case layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD:
		return d.ip(b, p)
	case layers.LinkTypeIPv4:
		return d.ipv4(b, p)
	case layers.LinkTypeIPv6:
		return d.ipv6(b, p)
	}
	return BadLinkType
}

// ethernet decodes an Ethernet II or 802.3 header and what it carries.
func (d *Decoder) ethernet(b []byte, p *Packet) Reason {
	if len(b) < 14 {
		return TruncatedLink
	}
	// Ethernet II, nearly every frame: its 14 bytes say no more than the
	// EtherType, read here without going through the layer.
	if t := layers.EthernetType(binary.BigEndian.Uint16(b[12:14])); t >= 0x0600 {
		return d.etherType(t, b[14:], p)
	}
	if err := d.eth.DecodeFromBytes(b, nilDF); err != nil {
		return TruncatedLink
	}
	// An 802.3 length field comes back as EthernetTypeLLC, which etherType
	// counts as not IP: LLC, STP and CDP frames.
	return d.etherType(d.eth.EthernetType, d.eth.Payload, p)
}

// etherType decodes the payload b of EtherType t, after any stacked VLAN
// tags. The first tag of the outermost tagged frame sets p.VLAN.
func (d *Decoder) etherType(t layers.EthernetType, b []byte, p *Packet) Reason {
	outer := p.VLAN == 0
	for t == etherTypeDot1Q || t == etherTypeQinQ || t == etherTypeQinQOld {
		if len(b) < 4 {
			return TruncatedLink
		}
		if err := d.dot1q.DecodeFromBytes(b, nilDF); err != nil {
			return TruncatedLink
		}
		if outer {
			p.VLAN = d.dot1q.VLANIdentifier
			outer = false
		}
		t, b = d.dot1q.Type, d.dot1q.Payload
	}
	switch t {
	case layers.EthernetTypeIPv4:
		return d.ipv4(b, p)
	case layers.EthernetTypeIPv6:
		return d.ipv6(b, p)
	}
	return NotIP
}

// linuxSLL decodes a Linux cooked capture header (LINKTYPE_LINUX_SLL). It is
// read by hand because gopacket's layer rejects an address length above 8,
// a field that only describes the fixed address slot and that Decode does
// not need.
func (d *Decoder) linuxSLL(b []byte, p *Packet) Reason {
	if len(b) < sllHeader {
		return TruncatedLink
	}
	t := layers.EthernetType(binary.BigEndian.Uint16(b[14:16]))
	return d.etherType(t, b[sllHeader:], p)
}

// linuxSLL2 decodes a Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2),
// by hand for the reason given at linuxSLL.
func (d *Decoder) linuxSLL2(b []byte, p *Packet) Reason {
	if len(b) < sll2Header {
		return TruncatedLink
	}
	t := layers.EthernetType(binary.BigEndian.Uint16(b[0:2]))
	return d.etherType(t, b[sll2Header:], p)
}

// loopback decodes the 4-byte address family header of BSD loopback
// captures: NULL writes it in the capturing host's byte order, LOOP in
// network order, and gopacket's layer accepts both.
func (d *Decoder) loopback(b []byte, p *Packet) Reason {
	if len(b) < 4 {
		return TruncatedLink
	}
	if err := d.loop.DecodeFromBytes(b, nilDF); err != nil {
		return NotIP // a family above 255 in either byte order
	}
	switch d.loop.Family {
	case layers.ProtocolFamilyIPv4:
		return d.ipv4(d.loop.Payload, p)
	case layers.ProtocolFamilyIPv6Linux, layers.ProtocolFamilyIPv6BSD,
		layers.ProtocolFamilyIPv6FreeBSD, layers.ProtocolFamilyIPv6Darwin:
		return d.ipv6(d.loop.Payload, p)
	}
	return NotIP
}
