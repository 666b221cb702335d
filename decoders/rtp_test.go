package decoders

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// Real RTP and RTCP payloads from the shared captures, with tshark's
// summary.
const (
	// ndpi/sip.pcap frames 95–97, UDP 30000 → 40392: "PT=ITU-T G.711
	// PCMA, SSRC=0x3796CB71, Seq=28590, Time=1240" and the next two,
	// 160 bytes of A-law in clear each.
	rtpSIPPCMA1 = "80086fae000004d83796cb71d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d511041c18" +
		"1812121e1014176a131c18040405060101000705051913051b1910131905040407030203030000020d0d0d0001030d0c0d0000010203010606010f" +
		"0e0e0c030007060003030607010406061b1f1c11696062151110146a13156069617d74525b59d7475c565255444b42755973785a7c6e68146a"
	rtpSIPPCMA2 = "80086faf000005783796cb716e6815146a14141569606e6a6c6e646c6a16176c6e6d60667e7f45c6c9f0fce7f3fae5f0cbf1f6cfcde4fac25374" +
		"5f425bf6f0f2fce0ee97e8f2575a4f4d75677f7d6665747543784b47554367666d636c64666478646f6f14146c1711131017101c1f1d10101610" +
		"101f1c1f191e18101712146c626d636a1515176e65777240d0f7737d7e6267626a156a17156543715a597e60667a727249657a60785d4442"
	rtpSIPPCMA3 = "80086fb0000006183796cb71717e7076d6c5d04b74767f764f5041d1586667657f676f786366666a14171614111010156f664f7a656561626860" +
		"4f7f6166647275786d6c1515156a676c69627f78666067636174cdf8d776636261786f787260696e63505970656d646167656a6a11121010131e" +
		"1f1f1d176a146f465d45dd5e4449d6d0c45151dfd4df41747f67d2f5e5e6ece89796efe0ec949394eaea949f909c9c9297f8e7ece7e1e0ea"
	// ndpi/rtp.pcapng frames 83–87, UDP 55402 → 6008 (VLAN 1508): a
	// 16-byte packet that is not RTP, then PT 111 with one CSRC, the
	// timestamp advancing by 960 (20 ms at 48 kHz).
	rtpVLANHello = "0100000000000000000000000000011c"
	rtpVLAN1     = "816fcdd21e5131ffb80974d80000011c480be455bf14987c"
	rtpVLAN2     = "816fcdd31e5135bfb80974d80000011c4806e379c12458"
	rtpVLAN3     = "816fcdd41e51397fb80974d80000011c4806e379c12458"
	rtpVLAN4     = "816fcdd51e513d3fb80974d80000011c4806e37227dc0640"
	// heplify/sip_ipv4_tcp.pcap frames 14 and 17, UDP 6051 ↔ 6001:
	// "Sender Report Source description", in clear, one each way.
	rtcpSR1 = "80c8000642f433d40020092530624d9b7058118900000001000000a081ca000342f433d40103633000000000"
	rtcpSR2 = "81c8000c5a3361b30026481d99580fb105b6fe8600000001000000a042f433d4000000000000d44400000000092530620000041881ca00035a3361b30103633000000000"
	// ndpi/stun.pcap frames 181 and 185, UDP 3478 → 49153: tshark's
	// "Extended report (RFC 3611) [Malformed Packet]", SRTCP in fact:
	// E flag and index 1, then 2, and a 10-byte tag after the XR header.
	rtcpSRTCP1 = "80cf00048aa09df23c26e2627191282b4e53c96880000001b8313faad50eb26b05a5"
	rtcpSRTCP2 = "80cf00048aa09df29a703fb37840d6ca74ce124c8000000206e9d76c8ac152337093"
	// ndpi/teams.pcap frames 1486 (UDP 50016 → 16332) and 1498 (16332 →
	// 50016): SRTCP receiver reports of Teams, index 0 then 1.
	rtcpTeams1 = "80c900050000e65a2819042dcf20aa4622ecda60082eb1e0800000008cecfafc88d92e9e4671"
	rtcpTeams2 = "80c90005000074ecae9eb5995db60dfd597e224dcaff030280000001c6b9080a99356ffaa236"
	// ndpi/stun_dtls_rtp.pcapng frame 24, UDP 19305 → 37967: SRTCP of
	// WebRTC with AES-GCM (RFC 7714): the 16-byte tag, then E and index 1.
	rtcpAEAD = "80cf0004eda706e65b0b93915eb3cd23bf23e75635883e412fef49bb4c75860f6a41612e80000001"
)

// rtpPacket returns, in hex, an RTP packet crafted from RFC 3550 §5.1:
// version 2, no CSRC, and a payload of n bytes that look random, with the
// first byte set to first when first >= 0.
func rtpPacket(pt uint8, seq uint16, ts, ssrc uint32, n, first int) string {
	b := []byte{0x80, pt}
	b = binary.BigEndian.AppendUint16(b, seq)
	b = binary.BigEndian.AppendUint32(b, ts)
	b = binary.BigEndian.AppendUint32(b, ssrc)
	r := rand.New(rand.NewPCG(uint64(seq), uint64(ts)))
	for range n {
		b = append(b, byte(r.Uint32()))
	}
	if first >= 0 && n > 0 {
		b[12] = byte(first)
	}
	return hex.EncodeToString(b)
}

// rtpFramed puts hex packets behind a framing header: a 2-byte length
// (RFC 4571), or MS-TURN's typ 00 and a length.
func rtpFramed(typ int, packet string) string {
	n := len(packet) / 2
	if typ < 0 {
		return hex.EncodeToString(binary.BigEndian.AppendUint16(nil, uint16(n))) + packet
	}
	return hex.EncodeToString(binary.BigEndian.AppendUint16([]byte{byte(typ), 0}, uint16(n))) + packet
}

func TestRTPSignature(t *testing.T) {
	const ssrcA, ssrcB = 0x11223344, 0x55667788
	// G.729: 20 ms is two 10-byte frames and 160 ticks.
	g729 := func(seq uint16, ssrc uint32, tag int) string {
		return rtpPacket(18, seq, uint32(seq)*160, ssrc, 20+tag, -1)
	}
	rfc4571 := rtpFramed(-1, g729(2, ssrcA, 0))
	nm, cm := NeedMore, ConfirmedMore
	runFlowCases(t, rtpSig{}, []flowCase{
		{name: "g.711 a-law in clear", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpSIPPCMA1), nm}, {ToServer, unhex(rtpSIPPCMA2), nm},
				{ToServer, unhex(rtpSIPPCMA3), cm}},
			detail: map[string]string{"pt": "8", "ssrcs": "1", "srtp": "no"}, media: MediaAudio},
		{name: "pt 111 with a csrc after a keep-alive", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpVLANHello), nm}, {ToServer, unhex(rtpVLAN1), nm}, {ToServer, unhex(rtpVLAN2), nm},
				{ToServer, unhex(rtpVLAN3), cm}, {ToServer, unhex(rtpVLAN4), cm}},
			detail: map[string]string{"pt": "111", "ssrcs": "1"}, media: MediaAudio},
		{name: "g.729 both ways, complete after four each", transport: UDP,
			steps: []flowStep{{ToServer, unhex(g729(1, ssrcA, 0)), nm}, {ToClient, unhex(g729(101, ssrcB, 0)), nm},
				{ToServer, unhex(g729(2, ssrcA, 0)), nm}, {ToClient, unhex(g729(102, ssrcB, 0)), cm},
				{ToServer, unhex(g729(3, ssrcA, 0)), cm}, {ToClient, unhex(g729(103, ssrcB, 0)), cm},
				{ToServer, unhex(g729(4, ssrcA, 0)), cm}, {ToClient, unhex(g729(104, ssrcB, 0)), Confirmed}},
			detail: map[string]string{"pt": "18", "ssrcs": "2", "srtp": "no"}, media: MediaAudio},
		{name: "g.729 with an 80-bit srtp tag", transport: UDP,
			steps: []flowStep{{ToServer, unhex(g729(1, ssrcA, 10)), nm}, {ToServer, unhex(g729(2, ssrcA, 10)), nm},
				{ToServer, unhex(g729(3, ssrcA, 10)), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "srtp": "likely"}, media: MediaAudio},
		{name: "multiplexed srtcp tells srtp", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpPacket(114, 7, 0, ssrcA, 60, -1)), nm}, {ToClient, unhex(rtcpTeams1), nm},
				{ToServer, unhex(rtpPacket(114, 8, 320, ssrcA, 60, -1)), nm},
				{ToServer, unhex(rtpPacket(114, 9, 640, ssrcA, 60, -1)), cm}},
			detail: map[string]string{"pt": "114", "ssrcs": "1", "rtcp": "mux", "srtp": "likely"}, media: MediaAudio},
		{name: "h.264uc frame of three packets, encrypted", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpPacket(122, 50, 9000, ssrcA, 200, 0xe5)), nm},
				{ToServer, unhex(rtpPacket(122, 51, 9000, ssrcA, 200, 0x9c)), nm},
				{ToServer, unhex(rtpPacket(122|0x80, 52, 9000, ssrcA, 100, 0x41)), cm}},
			detail: map[string]string{"pt": "122", "ssrcs": "1", "srtp": "likely"}, media: MediaVideo},
		{name: "comfort noise between talk spurts", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpPacket(0, 1, 1000, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(13, 2, 1160, ssrcA, 1, -1)), nm},
				{ToServer, unhex(rtpPacket(0|0x80, 3, 9160, ssrcA, 160, -1)), cm}},
			detail: map[string]string{"pt": "0,13", "ssrcs": "1"}, media: MediaAudio},
		{name: "stun and dtls on the 5-tuple are skipped", transport: UDP,
			steps: []flowStep{{ToServer, unhex(stunBindingBare), nm}, {ToServer, unhex(g729(1, ssrcA, 0)), nm},
				{ToClient, unhex(stunDTLSHello), nm}, {ToServer, unhex(g729(2, ssrcA, 0)), nm},
				{ToServer, unhex(g729(3, ssrcA, 0)), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "srtp": "no"}, media: MediaAudio},
		{name: "the same packet twice, as a span port may", transport: UDP,
			steps: []flowStep{{ToServer, unhex(g729(1, ssrcA, 0)), nm}, {ToServer, unhex(g729(1, ssrcA, 0)), nm},
				{ToServer, unhex(g729(2, ssrcA, 0)), nm}, {ToServer, unhex(g729(3, ssrcA, 0)), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "srtp": "no"}, media: MediaAudio},
		{name: "rfc 4571 over tcp, a frame split between segments", transport: TCP,
			steps: []flowStep{{ToServer, unhex(rtpFramed(-1, g729(1, ssrcA, 0)) + rfc4571[:40]), nm},
				{ToServer, unhex(rfc4571[40:] + rtpFramed(-1, g729(3, ssrcA, 0))), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "framing": "rfc4571", "srtp": "no"}, media: MediaAudio},
		{name: "rfc 4571 over tcp, a frame header split between segments", transport: TCP,
			steps: []flowStep{{ToServer, unhex(rtpFramed(-1, g729(1, ssrcA, 0)) + rfc4571[:12]), nm},
				{ToServer, unhex(rfc4571[12:] + rtpFramed(-1, g729(3, ssrcA, 0))), nm},
				{ToServer, unhex(rtpFramed(-1, g729(4, ssrcA, 0))), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "framing": "rfc4571", "srtp": "no"}, media: MediaAudio},
		{name: "rfc 4571 over tcp, the length split between segments", transport: TCP,
			steps: []flowStep{{ToServer, unhex(rtpFramed(-1, g729(1, ssrcA, 0)) + rfc4571[:2]), nm},
				{ToServer, unhex(rfc4571[2:] + rtpFramed(-1, g729(3, ssrcA, 0))), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "framing": "rfc4571", "srtp": "no"}, media: MediaAudio},
		{name: "ms-turn over tcp, a header split over three segments", transport: TCP,
			steps: []flowStep{{ToServer, unhex(rtpFramed(3, g729(1, ssrcA, 0)) + rtpFramed(3, g729(2, ssrcA, 0))[:2]), nm},
				{ToServer, unhex(rtpFramed(3, g729(2, ssrcA, 0))[2:6]), nm},
				{ToServer, unhex(rtpFramed(3, g729(2, ssrcA, 0))[6:] + rtpFramed(3, g729(3, ssrcA, 0))), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "framing": "ms-turn", "srtp": "no"}, media: MediaAudio},
		{name: "ms-turn framing over tcp", transport: TCP,
			steps: []flowStep{{ToServer, unhex(rtpFramed(3, g729(1, ssrcA, 10))), nm},
				{ToClient, unhex(rtpFramed(2, stunBindingBare)), nm},
				{ToServer, unhex(rtpFramed(3, g729(2, ssrcA, 10)) + rtpFramed(3, g729(3, ssrcA, 10))), cm}},
			detail: map[string]string{"pt": "18", "ssrcs": "1", "framing": "ms-turn", "srtp": "likely"}, media: MediaAudio},

		{name: "dns", transport: UDP, steps: []flowStep{{ToServer, unhex(stunDNSQuery), Violated}}},
		{name: "dtls alone waits", transport: UDP, steps: []flowStep{{ToServer, unhex(stunDTLSHello), nm}}},
		{name: "ms-turn allocate", transport: UDP, steps: []flowStep{{ToServer, unhex(stunTeamsAllocate), nm}}},
		{name: "tcp without framing", transport: TCP, steps: []flowStep{{ToServer, unhex(g729(1, ssrcA, 0)), Violated}}},
		{name: "a sequence number that repeats", transport: UDP,
			steps: []flowStep{{ToServer, unhex(g729(1, ssrcA, 0)), nm}, {ToServer, unhex(rtpPacket(18, 1, 320, ssrcA, 20, -1)), nm},
				{ToServer, unhex(rtpPacket(18, 1, 480, ssrcA, 20, -1)), nm},
				{ToServer, unhex(rtpPacket(18, 1, 640, ssrcA, 20, -1)), nm},
				{ToServer, unhex(rtpPacket(18, 1, 800, ssrcA, 20, -1)), Violated}}},
		{name: "timestamps going back", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpPacket(18, 5, 8000, ssrcA, 20, -1)), nm},
				{ToServer, unhex(rtpPacket(18, 6, 7840, ssrcA, 20, -1)), nm},
				{ToServer, unhex(rtpPacket(18, 7, 7680, ssrcA, 20, -1)), nm},
				{ToServer, unhex(rtpPacket(18, 8, 7520, ssrcA, 20, -1)), nm},
				{ToServer, unhex(rtpPacket(18, 9, 7360, ssrcA, 20, -1)), Violated}}},
		{name: "a codec change that is no switch", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpPacket(0, 1, 0, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(8, 2, 160, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(0, 3, 320, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(8, 4, 480, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(0, 5, 640, ssrcA, 160, -1)), Violated}}},
		{name: "an 8 khz clock that does not advance", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtpPacket(0, 1, 0, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(0, 2, 1, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(0, 3, 2, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(0, 4, 3, ssrcA, 160, -1)), nm},
				{ToServer, unhex(rtpPacket(0, 5, 4, ssrcA, 160, -1)), Violated}}},
	})
}

func TestRTCPSignature(t *testing.T) {
	nm := NeedMore
	runFlowCases(t, rtcpSig{}, []flowCase{
		{name: "sender reports both ways", transport: UDP, steps: []flowStep{{ToServer, unhex(rtcpSR1), nm}, {ToClient, unhex(rtcpSR2), Confirmed}},
			detail: map[string]string{"pt": "200,202", "ssrcs": "2"}},
		{name: "srtcp, index 1 then 2", transport: UDP,
			steps:  []flowStep{{ToClient, unhex(rtcpSRTCP1), nm}, {ToClient, unhex(rtcpSRTCP2), Confirmed}},
			detail: map[string]string{"pt": "207", "ssrcs": "1", "srtp": "likely"}},
		{name: "teams srtcp both ways", transport: UDP,
			steps:  []flowStep{{ToServer, unhex(rtcpTeams1), nm}, {ToClient, unhex(rtcpTeams2), Confirmed}},
			detail: map[string]string{"pt": "201", "ssrcs": "2", "srtp": "likely"}},
		{name: "stun checks on the rtcp component", transport: UDP,
			steps: []flowStep{{ToServer, unhex(stunBindingBare), nm}, {ToServer, unhex(rtcpSR1), nm},
				{ToClient, unhex(rtcpSR2), Confirmed}},
			detail: map[string]string{"pt": "200,202", "ssrcs": "2"}},
		{name: "srtcp index going back", transport: UDP, steps: []flowStep{{ToClient, unhex(rtcpSRTCP2), nm}, {ToClient, unhex(rtcpSRTCP1), nm}}},
		{name: "another sender ssrc in the same direction", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtcpSR1), nm}, {ToServer, unhex(rtcpSR2), nm}}},
		{name: "rtp", transport: UDP, steps: []flowStep{{ToServer, unhex(rtpSIPPCMA1), Violated}}},
		{name: "rtcp then rtp: multiplexed, the rtp signature's", transport: UDP,
			steps: []flowStep{{ToServer, unhex(rtcpSR1), nm}, {ToServer, unhex(rtpSIPPCMA1), Violated}}},
		{name: "dns", transport: UDP, steps: []flowStep{{ToServer, unhex(stunDNSQuery), Violated}}},
	})
}

// TestParseRTCP checks the compound walk and the SRTCP layouts on real
// packets.
func TestParseRTCP(t *testing.T) {
	tests := []struct {
		name  string
		hex   string
		ok    bool
		srtcp bool
		index uint32
		types string
	}{
		{"clear sr and sdes", rtcpSR1, true, false, 0, "c8ca"},
		{"srtcp, 80-bit tag", rtcpTeams1, true, true, 0, "c9"},
		{"srtcp, index 2", rtcpSRTCP2, true, true, 2, "cf"},
		{"srtcp, aes-gcm", rtcpAEAD, true, true, 1, "cf"},
		{"dns", stunDNSQuery, false, false, 0, ""},
		{"rtp", rtpSIPPCMA1, false, false, 0, ""},
		{"first packet too long", "80c8 0010 42f433d4", false, false, 0, ""},
		{"padding before the last packet", "a0c8 0001 42f433d4 81ca 0000", false, false, 0, ""},
		{"srtcp index too large", "80c9 0001 0000e65a 2819042d" + "ffffffff" + "00112233445566778899", false, false, 0, ""},
	}
	for _, tt := range tests {
		var r rtcpInfo
		ok := parseRTCP(unhex(tt.hex), &r)
		types := hex.EncodeToString(r.types[:r.n])
		if ok != tt.ok || ok && (r.srtcp != tt.srtcp || r.index != tt.index || types != tt.types) {
			t.Errorf("%s: %v srtcp %v index %d types %s; want %v %v %d %s", tt.name, ok, r.srtcp, r.index, types, tt.ok, tt.srtcp, tt.index, tt.types)
		}
	}
}

// TestRTPLooksClear checks the entropy test: never on random bytes, on
// the clear G.711 of a real call.
func TestRTPLooksClear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, 160)
	for i := range 10000 {
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		if rtpLooksClear(p) {
			t.Fatalf("random payload %d looks clear: % x", i, p[:64])
		}
	}
	if !rtpLooksClear(unhex(rtpSIPPCMA1)[rtpHeaderLen:]) {
		t.Error("sip.pcap frame 95's A-law does not look clear")
	}
	if rtpLooksClear(p[:63]) {
		t.Error("a payload under 64 bytes looks clear")
	}
}

func TestRTPTagEvidence(t *testing.T) {
	tests := []struct {
		pt     uint8
		size   uint16
		tsStep int32
		want   uint8
	}{
		{8, 160, 160, rtpClear},
		{8, 170, 160, rtpSRTP},
		{0, 164, 160, rtpSRTP},
		{0, 165, 160, 0},
		{18, 20, 160, rtpClear},
		{18, 22, 160, 0}, // a SID frame
		{3, 33, 160, rtpClear},
		{3, 43, 160, rtpSRTP},
		{111, 50, 320, rtpSRTP},
		{114, 60, 320, 0}, // variable rate
		{8, 160, 0, 0},
		{8, 160, -160, 0},
	}
	for _, tt := range tests {
		if got := rtpTagEvidence(tt.pt, tt.size, tt.tsStep); got != tt.want {
			t.Errorf("rtpTagEvidence(%d, %d, %d) = %d, want %d", tt.pt, tt.size, tt.tsStep, got, tt.want)
		}
	}
}

func TestRTPMedia(t *testing.T) {
	tests := []struct {
		pts  []uint8
		want MediaKind
	}{
		{[]uint8{114, 13}, MediaAudio},
		{[]uint8{122, 123}, MediaVideo},
		{[]uint8{127}, MediaData},
		{[]uint8{96}, MediaUnknown},
		{[]uint8{34}, MediaVideo},
		{[]uint8{101, 121}, MediaVideo},
		{nil, MediaUnknown},
	}
	for _, tt := range tests {
		if got := rtpMedia(tt.pts); got != tt.want {
			t.Errorf("rtpMedia(%v) = %v, want %v", tt.pts, got, tt.want)
		}
	}
}

func TestRTPStateSize(t *testing.T) {
	const limit = 128
	if n := unsafe.Sizeof(rtpState{}); n > limit {
		t.Errorf("rtpState (with the RTCP signature's part) is %d bytes, want at most %d", n, limit)
	} else {
		t.Logf("rtpState: %d bytes, of which rtcpState %d", n, unsafe.Sizeof(rtcpState{}))
	}
}

// TestRTPAllocs checks that RTP costs no allocation per payload: before
// the flow is named, and once named while its Detail does not change.
func TestRTPAllocs(t *testing.T) {
	p1, p2, p3 := unhex(rtpSIPPCMA1), unhex(rtpSIPPCMA2), unhex(rtpSIPPCMA3)
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset(UDP, 30000, 40392)
		rtpSig{}.Inspect(&s, ToServer, p1)
		rtpSig{}.Inspect(&s, ToServer, p2)
	})
	if allocs != 0 {
		t.Errorf("unnamed: %v allocations, want 0", allocs)
	}
	s.Reset(UDP, 30000, 40392)
	for _, p := range [][]byte{p1, p2, p3} {
		rtpSig{}.Inspect(&s, ToServer, p)
	}
	next := append([]byte(nil), p3...)
	seq := binary.BigEndian.Uint16(next[2:])
	ts := binary.BigEndian.Uint32(next[4:])
	allocs = testing.AllocsPerRun(100, func() {
		seq++
		ts += 160
		binary.BigEndian.PutUint16(next[2:], seq)
		binary.BigEndian.PutUint32(next[4:], ts)
		s.rtp.payloads = 4 // keep it below the budget
		if a := (rtpSig{}).Inspect(&s, ToServer, next); a != ConfirmedMore {
			t.Fatalf("answer %v, want confirmed-more", a)
		}
	})
	if allocs != 0 {
		t.Errorf("named: %v allocations per payload, want 0", allocs)
	}
	var r State
	sr := unhex(rtcpSR1)
	allocs = testing.AllocsPerRun(100, func() {
		r.Reset(UDP, 30001, 40393)
		rtcpSig{}.Inspect(&r, ToServer, sr)
	})
	if allocs != 0 {
		t.Errorf("rtcp, unnamed: %v allocations, want 0", allocs)
	}
}

func FuzzRTP(f *testing.F) {
	f.Add(false, packPayloads([]FlowPayload{{Dir: ToServer, Data: unhex(rtpSIPPCMA1)}, {Dir: ToServer, Data: unhex(rtpSIPPCMA2)},
		{Dir: ToServer, Data: unhex(rtpSIPPCMA3)}, {Dir: ToClient, Data: unhex(rtcpTeams2)}}))
	f.Add(true, packPayloads([]FlowPayload{{Dir: ToServer, Data: unhex(rtpFramed(-1, rtpVLAN1) + rtpFramed(-1, rtpVLAN2))},
		{Dir: ToServer, Data: unhex(rtpFramed(3, rtpVLAN3))}}))
	f.Add(false, packPayloads([]FlowPayload{{Dir: ToServer, Data: unhex(rtpVLANHello)}, {Dir: ToServer, Data: unhex(rtpVLAN1)},
		{Dir: ToServer, Data: unhex(stunBindingBare)}, {Dir: ToServer, Data: unhex(rtpVLAN2)}, {Dir: ToServer, Data: unhex(rtpVLAN3)}}))
	mediaFuzzSeed(f, rtpSig{})
	f.Fuzz(func(t *testing.T, tcp bool, data []byte) {
		checkAnswers(t, rtpSig{}, transportFor(tcp), 50000, 3478, unpackPayloads(data))
	})
}

func FuzzRTCP(f *testing.F) {
	for _, pair := range [][2]string{{rtcpSR1, rtcpSR2}, {rtcpSRTCP1, rtcpSRTCP2}, {rtcpTeams1, rtcpTeams2}, {stunBindingBare, rtcpAEAD}} {
		f.Add(false, packPayloads([]FlowPayload{{Dir: ToServer, Data: unhex(pair[0])}, {Dir: ToClient, Data: unhex(pair[1])}}))
	}
	mediaFuzzSeed(f, rtcpSig{})
	f.Fuzz(func(t *testing.T, tcp bool, data []byte) {
		checkAnswers(t, rtcpSig{}, transportFor(tcp), 50000, 3478, unpackPayloads(data))
	})
}

func BenchmarkRTP(b *testing.B) {
	p1, p2, p3 := unhex(rtpSIPPCMA1), unhex(rtpSIPPCMA2), unhex(rtpSIPPCMA3)
	b.Run("needmore-first-packet", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(UDP, 30000, 40392)
			rtpSig{}.Inspect(&s, ToServer, p1)
		}
	})
	b.Run("violated-dns", func(b *testing.B) {
		b.ReportAllocs()
		dns := unhex(stunDNSQuery)
		var s State
		for b.Loop() {
			s.Reset(UDP, 50000, 53)
			rtpSig{}.Inspect(&s, ToServer, dns)
		}
	})
	b.Run("three-packets-to-name", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(UDP, 30000, 40392)
			rtpSig{}.Inspect(&s, ToServer, p1)
			rtpSig{}.Inspect(&s, ToServer, p2)
			rtpSig{}.Inspect(&s, ToServer, p3)
		}
	})
	b.Run("named-steady", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		s.Reset(UDP, 30000, 40392)
		for _, p := range [][]byte{p1, p2, p3} {
			rtpSig{}.Inspect(&s, ToServer, p)
		}
		next := append([]byte(nil), p3...)
		seq, ts := binary.BigEndian.Uint16(next[2:]), binary.BigEndian.Uint32(next[4:])
		for b.Loop() {
			seq++
			ts += 160
			binary.BigEndian.PutUint16(next[2:], seq)
			binary.BigEndian.PutUint32(next[4:], ts)
			s.rtp.payloads = 4
			rtpSig{}.Inspect(&s, ToServer, next)
		}
	})
}

func BenchmarkRTCP(b *testing.B) {
	for _, bc := range []struct{ name, hex string }{{"needmore-sr", rtcpSR1}, {"needmore-srtcp", rtcpTeams1}, {"violated-rtp", rtpSIPPCMA1}} {
		p := unhex(bc.hex)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var s State
			for b.Loop() {
				s.Reset(UDP, 50001, 3479)
				rtcpSig{}.Inspect(&s, ToServer, p)
			}
		})
	}
}
