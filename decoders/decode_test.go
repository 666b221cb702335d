package decoders

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// decodeCase is one frame and what Decode must make of it. When reason is
// OK, want is compared field by field, and its Payload must be
// frame[payloadAt:payloadEnd] (payloadEnd 0 meaning the end of the frame),
// pointing into frame rather than copied.
type decodeCase struct {
	name       string
	lt         LinkType
	frame      []byte
	reason     Reason
	want       Packet
	payloadAt  int
	payloadEnd int
	noLength   bool // the IP length field is 0, so a cut looks like the end
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func realFrameCases() []decodeCase {
	const eth = layers.LinkTypeEthernet
	return []decodeCase{
		{name: "ethernet/ipv4/udp rtp", lt: eth, frame: frameRTP, want: Packet{
			Src: addr("10.1.3.143"), Dst: addr("10.1.6.18"), SrcPort: 5000, DstPort: 2006,
			Transport: UDP, PayloadLen: 252,
		}, payloadAt: 42},
		{name: "ethernet/ipv4/tcp psh-ack", lt: eth, frame: frameTCP, want: Packet{
			Src: addr("127.0.0.1"), Dst: addr("127.0.0.1"), SrcPort: 58882, DstPort: 5060,
			Transport: TCP, Flags: FlagPSH | FlagACK, Seq: 3809589955, PayloadLen: 400,
		}, payloadAt: 66},
		{name: "qinq/ipv4/tcp syn", lt: eth, frame: frameQinQ, want: Packet{
			Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), SrcPort: 54422, DstPort: 80,
			Transport: TCP, Flags: FlagSYN, Seq: 0xc127fde7, VLAN: 201,
		}, payloadAt: 82},
		{name: "sll2/ipv4/tcp syn", lt: layers.LinkTypeLinuxSLL2, frame: frameSLL2, want: Packet{
			Src: addr("192.168.1.253"), Dst: addr("192.168.1.21"), SrcPort: 56478, DstPort: 80,
			Transport: TCP, Flags: FlagSYN, Seq: 0x8b0b4393,
		}, payloadAt: 80},
		{name: "null little-endian/ipv4/udp", lt: layers.LinkTypeNull, frame: frameNull, want: Packet{
			Src: addr("192.168.1.139"), Dst: addr("255.255.255.255"), SrcPort: 17500, DstPort: 17500,
			Transport: UDP, PayloadLen: 136,
		}, payloadAt: 32},
		{name: "vlan/ipv4/tcp syn", lt: eth, frame: frameVLAN, want: Packet{
			Src: addr("10.77.110.51"), Dst: addr("10.206.50.239"), SrcPort: 41588, DstPort: 42000,
			Transport: TCP, Flags: FlagSYN, Seq: 0xcd4ea8ae, VLAN: 1611,
		}, payloadAt: 70},
		{name: "ethernet/ipv6/udp stun", lt: eth, frame: frameIPv6, want: Packet{
			Src: addr("3516:bf0b:fc53:75e7:70af:f67f:8e49:f603"), Dst: addr("2a38:e156:8167:a333:face:b00c:0:24d9"),
			SrcPort: 56880, DstPort: 3478, Transport: UDP, PayloadLen: 20,
		}, payloadAt: 62},
		{name: "gre ethernet/ipv4/tcp syn", lt: eth, frame: frameGRE, want: Packet{
			Src: addr("192.168.69.10"), Dst: addr("192.168.69.2"), SrcPort: 49162, DstPort: 80,
			Transport: TCP, Flags: FlagSYN, Seq: 0xebfcdc8d, Tunnels: 1,
		}, payloadAt: 108},
		{name: "gre ethernet/ipv6/udp dhcpv6", lt: eth, frame: frameGREIPv6, want: Packet{
			Src: addr("fe80::34f7:703d:ac05:43d6"), Dst: addr("ff02::1:2"), SrcPort: 546, DstPort: 547,
			Transport: UDP, PayloadLen: 95, Tunnels: 1,
		}, payloadAt: 104},
		{name: "gre in outer first fragment, cut", lt: eth, frame: frameGREFirstFragment, want: Packet{
			Src: addr("192.168.69.2"), Dst: addr("192.168.69.10"), SrcPort: 80, DstPort: 49162,
			Transport: TCP, Flags: FlagACK, Seq: 0x885776ed, PayloadLen: 2920, Tunnels: 1,
		}, payloadAt: 96},
		{name: "ipv4 later fragment of udp", lt: eth, frame: frameLaterFragment, want: Packet{
			Src: addr("192.168.1.2"), Dst: addr("192.168.1.1"), Transport: UDP, PayloadLen: 52,
			Fragment: Fragment{ID: 0x6a22, Offset: 152},
		}, payloadAt: 34},
		{name: "gre in outer later fragment", lt: eth, frame: frameGRELaterFragment, reason: OtherIPProto},
		{name: "gre ethernet/ipv4/icmp", lt: eth, frame: frameGREICMP, reason: OtherIPProto},
		{name: "gre ethernet/arp", lt: eth, frame: frameGREARP, reason: NotIP},
		{name: "llc/stp", lt: eth, frame: frameSTP, reason: NotIP},
		{name: "icmp quoting udp", lt: eth, frame: frameICMP, reason: OtherIPProto},
		{name: "ipv4 ethertype on ipv6 header", lt: eth, frame: frameWrongVersion, reason: MalformedIP},
	}
}

func TestDecodeRealFrames(t *testing.T) {
	runDecodeCases(t, realFrameCases())
}

func TestDecodeCraftedFrames(t *testing.T) {
	runDecodeCases(t, craftedCases())
}

func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	d := NewDecoder()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Start from a dirty Packet: Decode must overwrite every field.
			p := Packet{Src: addr("192.0.2.1"), SrcPort: 1, Flags: FlagRST, Payload: []byte("stale"),
				PayloadLen: 99, Fragment: Fragment{ID: 7, More: true}, VLAN: 9, Tunnels: 3}
			got := d.Decode(tc.lt, tc.frame, &p)
			if got != tc.reason {
				t.Fatalf("Decode = %v, want %v (packet %+v)", got, tc.reason, p)
			}
			if tc.reason != OK {
				return
			}
			end := tc.payloadEnd
			if end == 0 {
				end = len(tc.frame)
			}
			checkPayload(t, p.Payload, tc.frame, tc.payloadAt, end)
			gotNoPayload, want := p, tc.want
			gotNoPayload.Payload, want.Payload = nil, nil
			if !reflect.DeepEqual(gotNoPayload, want) {
				t.Errorf("Decode packet\n got %+v\nwant %+v", gotNoPayload, want)
			}
		})
	}
}

// checkPayload checks that payload is frame[at:end] itself, not a copy.
func checkPayload(t *testing.T, payload, frame []byte, at, end int) {
	t.Helper()
	want := frame[at:end]
	if !bytes.Equal(payload, want) {
		t.Fatalf("Payload = %x, want frame[%d:%d] = %x", payload, at, end, want)
	}
	if len(want) > 0 && &payload[0] != &frame[at] {
		t.Errorf("Payload is a copy, want a slice of the frame at offset %d", at)
	}
}

func TestSupported(t *testing.T) {
	frame := cat(be32(2), frameRTP[14:]) // decodes to something under most link types
	d := NewDecoder()
	var p Packet
	for lt := LinkType(0); lt < 300; lt++ {
		if r := d.Decode(lt, frame, &p); Supported(lt) == (r == BadLinkType) {
			t.Errorf("Supported(%d) = %v, but Decode returned %v", lt, Supported(lt), r)
		}
	}
	for _, lt := range []LinkType{0, 1, 12, 14, 101, 108, 113, 228, 229, 276} {
		if !Supported(lt) {
			t.Errorf("Supported(%d) = false, want true", lt)
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	frames := []struct {
		name  string
		frame []byte
	}{
		{"ethernet/ipv4/udp", frameRTP},
		{"ethernet/ipv4/tcp", frameTCP},
		{"vlan/ipv6/tcp", craftedVLANIPv6TCP()},
		{"erspan-ii", craftedERSPANII()},
		{"erspan-iii", craftedERSPANIII()},
		{"gre", frameGRE},
		{"vxlan", craftedVXLAN()},
		{"ipv6 hop-by-hop fragment", craftedIPv6FirstFragment()},
	}
	d := NewDecoder()
	var p Packet
	for _, f := range frames {
		t.Run(f.name, func(t *testing.T) {
			if r := d.Decode(layers.LinkTypeEthernet, f.frame, &p); r != OK {
				t.Fatalf("Decode = %v, want OK", r)
			}
			allocs := testing.AllocsPerRun(100, func() {
				d.Decode(layers.LinkTypeEthernet, f.frame, &p)
			})
			if allocs != 0 {
				t.Errorf("Decode allocates %v times per frame, want 0", allocs)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	frames := []struct {
		name  string
		frame []byte
	}{
		{"rtp-udp", frameRTP},
		{"tcp", frameTCP},
		{"vlan", frameVLAN},
		{"qinq", frameQinQ},
		{"ipv6-udp", frameIPv6},
		{"gre", frameGRE},
		{"erspan-ii", craftedERSPANII()},
		{"vxlan", craftedVXLAN()},
	}
	for _, f := range frames {
		b.Run(f.name, func(b *testing.B) {
			d := NewDecoder()
			var p Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(f.frame)))
			for b.Loop() {
				if d.Decode(layers.LinkTypeEthernet, f.frame, &p) != OK {
					b.Fatal("frame does not decode")
				}
			}
		})
	}
}
