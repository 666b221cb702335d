package decoders

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Tuple is a packet's five-tuple as Quick reads it: addresses in 16 bytes
// (IPv4 as IPv4-mapped IPv6), ports and transport.
type Tuple struct {
	Src, Dst         [16]byte
	SrcPort, DstPort uint16
	Transport        Transport
	V6               bool
}

// Quick reads the five-tuple of a plain frame, cheaply, without decoding
// it: an Ethernet frame (with any 802.1Q, 802.1ad or 0x9100 tags) or raw
// IP, carrying an unfragmented IPv4 packet or an IPv6 packet without
// extension headers, carrying TCP or UDP. It reports false for anything
// else (tunnels, fragments, other link types, damage), which the caller
// decodes in full. When it reports true, Decode on the same frame either
// fails or describes the same five-tuple: a reader can use it to send
// the frame to whoever decodes it.
func Quick(lt LinkType, b []byte, t *Tuple) bool {
	var et layers.EthernetType
	switch lt {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return false
		}
		et, b = layers.EthernetType(binary.BigEndian.Uint16(b[12:14])), b[14:]
		for et == etherTypeDot1Q || et == etherTypeQinQ || et == etherTypeQinQOld {
			if len(b) < 4 {
				return false
			}
			et, b = layers.EthernetType(binary.BigEndian.Uint16(b[2:4])), b[4:]
		}
	case layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD:
		if len(b) == 0 {
			return false
		}
		switch b[0] >> 4 {
		case 4:
			et = layers.EthernetTypeIPv4
		case 6:
			et = layers.EthernetTypeIPv6
		}
	default:
		return false
	}
	var l4 []byte
	switch et {
	case layers.EthernetTypeIPv4:
		if len(b) < 20 || b[0]>>4 != 4 {
			return false
		}
		size := int(b[0]&0x0f) * 4
		if size < 20 || len(b) < size+4 || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
			return false
		}
		if total := int(binary.BigEndian.Uint16(b[2:4])); total != 0 && total < size+4 {
			return false
		}
		t.Transport, t.V6 = Transport(b[9]), false
		t.Src = [16]byte{10: 0xff, 11: 0xff, 12: b[12], 13: b[13], 14: b[14], 15: b[15]}
		t.Dst = [16]byte{10: 0xff, 11: 0xff, 12: b[16], 13: b[17], 14: b[18], 15: b[19]}
		l4 = b[size:]
	case layers.EthernetTypeIPv6:
		if len(b) < ipv6Header+4 || b[0]>>4 != 6 {
			return false
		}
		t.Transport, t.V6 = Transport(b[6]), true
		t.Src, t.Dst = [16]byte(b[8:24]), [16]byte(b[24:40])
		l4 = b[ipv6Header:]
	default:
		return false
	}
	if t.Transport != TCP && t.Transport != UDP {
		return false
	}
	t.SrcPort, t.DstPort = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
	// UDP to 4789 may be VXLAN, which Decode opens: leave it to Decode.
	return t.Transport == TCP || t.DstPort != vxlanPort
}
