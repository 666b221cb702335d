package decoders

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// isTruncation reports whether r says a header was cut by the snap length.
func isTruncation(r Reason) bool {
	switch r {
	case TruncatedLink, TruncatedIP, TruncatedL4, TruncatedTunnel:
		return true
	}
	return false
}

// TestDecodeShortInput feeds Decode inputs that end inside a header. Each
// goes straight to Decode, with no recover in between: a panic fails the
// test run.
func TestDecodeShortInput(t *testing.T) {
	const ethernet = layers.LinkTypeEthernet
	tests := []struct {
		name  string
		lt    LinkType
		frame []byte
		want  Reason
	}{
		{"ethernet empty", ethernet, nil, TruncatedLink},
		{"ethernet 1 byte", ethernet, []byte{0}, TruncatedLink},
		{"ethernet 13 bytes", ethernet, eth(0x0800)[:13], TruncatedLink},
		{"ethernet header only, ipv4", ethernet, eth(0x0800), TruncatedIP},
		{"ethernet header only, ipv6", ethernet, eth(0x86dd), TruncatedIP},
		{"ethernet header only, arp", ethernet, eth(0x0806), NotIP},
		{"vlan tag cut", ethernet, eth(0x8100, []byte{0, 1, 8}), TruncatedLink},
		{"vlan tag only", ethernet, eth(0x8100, tag(1, 0x8100)), TruncatedLink},
		{"sll empty", layers.LinkTypeLinuxSLL, nil, TruncatedLink},
		{"sll 15 bytes", layers.LinkTypeLinuxSLL, make([]byte, 15), TruncatedLink},
		{"sll header only", layers.LinkTypeLinuxSLL, cat(make([]byte, 14), be16(0x0800)), TruncatedIP},
		{"sll2 19 bytes", layers.LinkTypeLinuxSLL2, make([]byte, 19), TruncatedLink},
		{"null 1 byte", layers.LinkTypeNull, []byte{2}, TruncatedLink},
		{"null header only", layers.LinkTypeNull, []byte{2, 0, 0, 0}, TruncatedIP},
		{"loop 3 bytes", layers.LinkTypeLoop, []byte{0, 0, 0}, TruncatedLink},
		{"raw empty", layers.LinkTypeRaw, nil, TruncatedIP},
		{"raw 1 byte", layers.LinkTypeRaw, []byte{0x45}, TruncatedIP},
		{"ipv4 empty", layers.LinkTypeIPv4, nil, TruncatedIP},
		{"ipv4 19 bytes", layers.LinkTypeIPv4, innerUDP()[:19], TruncatedIP},
		{"ipv4 header only", layers.LinkTypeIPv4, innerUDP()[:20], TruncatedL4},
		{"ipv6 empty", layers.LinkTypeIPv6, nil, TruncatedIP},
		{"ipv6 39 bytes", layers.LinkTypeIPv6, ipv6(ipProtoUDP, inner6Src, inner6Dst, nil)[:39], TruncatedIP},
		{"ipv6 header only", layers.LinkTypeIPv6, ipv6(ipProtoUDP, inner6Src, inner6Dst, make([]byte, 8))[:40], TruncatedL4},
		{"ipv6 extension header 1 byte", layers.LinkTypeIPv6, ipv6(0, inner6Src, inner6Dst, hopByHop(17))[:41], TruncatedIP},
		{"gre 3 bytes", layers.LinkTypeIPv4, ipv4(ipProtoGRE, outerSrc, outerDst, 1, 0, gre(0, 0x0800, nil, innerUDP()))[:23], TruncatedTunnel},
		{"gre header only", layers.LinkTypeIPv4, ipv4(ipProtoGRE, outerSrc, outerDst, 1, 0, gre(0, 0x0800, nil, innerUDP()))[:24], TruncatedIP},
		{"erspan ii 1 byte", layers.LinkTypeIPv4, ipv4(ipProtoGRE, outerSrc, outerDst, 1, 0, gre(0x1000, 0x88be, be32(1), make([]byte, 8)))[:29], TruncatedTunnel},
		{"erspan iii 11 bytes", layers.LinkTypeIPv4, ipv4(ipProtoGRE, outerSrc, outerDst, 1, 0, gre(0, 0x22eb, nil, make([]byte, 12)))[:35], TruncatedTunnel},
		{"vxlan header only", layers.LinkTypeIPv4, ipv4(ipProtoUDP, outerSrc, outerDst, 1, 0, udp(1, vxlanPort, cat(vxlanHeader, eth(0x0800, innerUDP()))))[:36], TruncatedLink},
	}
	d := NewDecoder()
	var p Packet
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.Decode(tt.lt, tt.frame, &p); got != tt.want {
				t.Errorf("Decode = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDecodeEveryPrefix cuts every frame that decodes at every length, as a
// snap length would. Each cut must decode to a truncation reason, or to OK
// with the cut visible as a payload shorter than PayloadLen.
func TestDecodeEveryPrefix(t *testing.T) {
	d := NewDecoder()
	var p Packet
	for _, tc := range append(realFrameCases(), craftedCases()...) {
		if tc.reason != OK || tc.noLength {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			end := tc.payloadEnd
			if end == 0 {
				end = len(tc.frame)
			}
			for n := range end {
				r := d.Decode(tc.lt, tc.frame[:n], &p)
				switch {
				case r == OK:
					if len(p.Payload) >= p.PayloadLen {
						t.Errorf("frame cut to %d bytes: Payload has %d bytes of %d, want the cut visible",
							n, len(p.Payload), p.PayloadLen)
					}
				case !isTruncation(r):
					t.Errorf("frame cut to %d bytes: Decode = %v, want a truncation reason or OK", n, r)
				}
			}
		})
	}
}
