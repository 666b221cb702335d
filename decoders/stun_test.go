package decoders

import (
	"testing"
	"unsafe"
)

// Real STUN payloads from the shared captures, with tshark's summary.
const (
	// arkime/stun-ice-testcall.pcap frame 1, UDP 60020 → 19302:
	// "Binding Request", no attributes.
	stunBindingBare = "0001 0000 2112a442 534f70436969354a6663317a"
	// ndpi/teams.pcap frame 1404, UDP 50016 → 50005: "Binding Request
	// user: o5/I:FY32", with ICE-CONTROLLING, IMPLEMENTATION-VERSION 7,
	// PRIORITY, 0x8037, MESSAGE-INTEGRITY and FINGERPRINT.
	stunTeamsBinding = "0001005c2112a442c6429a8034aea2ac958d0a81000600096f352f493a46593332000000802a000800007f8a52865800" +
		"80700004000000078036000400000001002400046efffeff80370004000000020008001435a47bc3a5e01cb9ad459c69056295906bb086ad80280004fb75b895"
	// ndpi/teams.pcap frame 1238, UDP 50016 → 3478: "Allocate Request
	// bandwidth: 12000", the RFC 5389 cookie and MS-TURN's MAGIC-COOKIE
	// attribute first.
	stunTeamsAllocate = "000300302112a442b2343f6e67f41d58acba639f000f000472c64bc68037000400000002800800040000000680060004000000010010000400002ee08055000400020002"
	// ndpi/stun.pcap frame 3, TCP 41588 → 42000 (VLAN 1611): "Binding
	// Request user: /pI0:ToEd" behind an RFC 4571 length (0x0068), with
	// CANDIDATE-IDENTIFIER and IMPLEMENTATION-VERSION 3.
	stunFramedBinding = "0068000100542112a442f3439453b698fb2950bb06ed000600092f7049303a546f4564000000002400046e6bfcff80290008000000000004c2d1" +
		"8054000132000000807000040000000300080014fe92876ad46d7b797d42eb8d79a805faf31d72d1802800040200fc47"
	// ndpi/stun.pcap frame 157, TCP 3478 → 37257: "CreatePermission
	// Success Response" twice in one segment, SOFTWARE "Coturn-4.5.0.5
	// 'dan Eider'".
	stunTwoResponses = "010800402112a442707245496a6b556c626253498022001a436f7475726e2d342e352e302e35202764616e204569646572270d96" +
		"0008001405e61b530c4e375026472c02f7758cd163851aa580280004f4d55d3f" +
		"010800402112a44275592f5643343765535842678022001a436f7475726e2d342e352e302e35202764616e204569646572270d96" +
		"000800145e56ed7e8e22587028699064698ecd8a6b21718a802800044bb2e500"
	// ndpi/stun_dtls_rtp.pcapng frame 44, TCP 50221 → 3478: "Allocate
	// Request UDP".
	stunTCPAllocate = "000300082112a4424d7a4a354c76737264656c630019000411000000"
	// ndpi/stun.pcap frame 199, UDP 3478 → 48094 (IPv6): "Channel-Bind
	// Success Response".
	stunChannelBindOK = "010900202112a4424b646662645a3261665a386c0008001445b03978a21e9b7fe18b0443587f8dd2e1549d58802800049a711341"
	// ndpi/stun.pcap frame 110, UDP 40003 → 38123: "ChannelData TURN
	// Message", channel 0x4003 with a Binding request inside.
	stunChannelDataMsg = "400300600001004c2112a442424a6650522b3470464652370006000958704a733a6b537479000000c05700040004000a80290008" +
		"ba2ef3242b85e3d6002400046e7f1eff000800149e5482715ab7203975f0f512c5eae27779cf801f8028000459f5cdce"
	// ndpi/teams.pcap frame 1424, UDP 50016 → 3479: "ChannelData TURN
	// Message" to tshark, MS multiplexed TURN (FF 10) in fact.
	stunMSMux = "ff100060deaa296708f708fc010100442112a44281275a7e28b364d88f3d14f980700004000000070020000800012c851560584a" +
		"8037000400000002803600040000000100080014998b53fec81f7d913f18f8cc4c645293987537ed802800043ea7ac36"
	// ndpi/teams.pcap frame 1372, UDP 60837 → 53: "Standard query 0x9fcf
	// AAAA c-flightproxy-euno-01-teams.cloudapp.net".
	stunDNSQuery = "9fcf010000010000000000001b632d666c6967687470726f78792d65756e6f2d30312d7465616d7308636c6f7564617070036e657400001c0001"
	// ndpi/stun_dtls_rtp.pcapng frame 3, UDP 37967 → 19305: DTLS "Client
	// Hello".
	stunDTLSHello = "16feff00000000000000000090010000840000000000000084fefd4bf46b94af3b20dcb7ca52337eef1b8b3b149996c9b35800d1e92a7fa8ab407d" +
		"00000016c02bc02fcca9cca8c009c013c00ac014009c002f00350100004400170000ff01000100000a00080006001d00170018000b0002010000" +
		"230000000d00140012040308040401050308050501080606010201000e0009000600010008000700"
)

// Classic STUN (RFC 3489 §11), crafted: no capture has it.
const (
	// A Binding request with CHANGE-REQUEST (0x0003), 128-bit transaction ID.
	stunClassicChange = "0001 0008 0123456789abcdef0123456789abcdef 0003 0004 00000000"
	// A bare Binding request, and its response with MAPPED-ADDRESS
	// 192.168.0.1:3478.
	stunClassicBare     = "0001 0000 0123456789abcdef0123456789abcdef"
	stunClassicResponse = "0101 000c 0123456789abcdef0123456789abcdef 0001 0008 0001 0d96 c0a80001"
)

func TestSTUNSignature(t *testing.T) {
	runFlowCases(t, stunSig{}, []flowCase{
		{name: "rfc 5389 bare binding request", transport: UDP, steps: []flowStep{{ToServer, unhex(stunBindingBare), Confirmed}},
			detail: map[string]string{"method": "binding", "version": "rfc5389"}},
		{name: "ms-ice2 binding request", transport: UDP, steps: []flowStep{{ToServer, unhex(stunTeamsBinding), Confirmed}},
			detail: map[string]string{"method": "binding", "version": "rfc5389", "ice": "ms-ice2", "ice-impl": "7"}},
		{name: "response first, as from the server's side", transport: UDP, steps: []flowStep{{ToClient, unhex(stunChannelBindOK), Confirmed}},
			detail: map[string]string{"method": "channelbind", "version": "rfc5389"}},
		{name: "rfc 4571 framed binding over tcp", transport: TCP, steps: []flowStep{{ToServer, unhex(stunFramedBinding), Confirmed}},
			detail: map[string]string{"method": "binding", "version": "rfc5389", "framing": "rfc4571", "ice": "ms-ice2", "ice-impl": "3"}},
		{name: "two responses back to back over tcp", transport: TCP, steps: []flowStep{{ToClient, unhex(stunTwoResponses), Confirmed}},
			detail: map[string]string{"method": "createpermission", "version": "rfc5389", "software": "Coturn-4.5.0.5 'dan Eider'"}},
		{name: "allocate over tcp", transport: TCP, steps: []flowStep{{ToServer, unhex(stunTCPAllocate), Confirmed}},
			detail: map[string]string{"method": "allocate", "version": "rfc5389"}},
		{name: "tcp segment ending inside an attribute", transport: TCP, steps: []flowStep{{ToServer, unhex(stunTeamsBinding[:120]), Confirmed}},
			detail: map[string]string{"method": "binding", "version": "rfc5389", "ice": "ms-ice2", "ice-impl": "7"}},
		{name: "channeldata after a turn method in one tcp segment", transport: TCP,
			steps:  []flowStep{{ToClient, unhex(stunChannelBindOK + stunChannelDataMsg), Confirmed}},
			detail: map[string]string{"method": "channelbind", "version": "rfc5389"}},
		{name: "classic binding with change-request", transport: UDP, steps: []flowStep{{ToServer, unhex(stunClassicChange), Confirmed}},
			detail: map[string]string{"method": "binding", "version": "rfc3489"}},
		{name: "classic bare request waits for its response", transport: UDP,
			steps: []flowStep{{ToServer, unhex(stunClassicBare), NeedMore}, {ToServer, unhex(stunClassicBare), NeedMore},
				{ToClient, unhex(stunClassicResponse), Confirmed}},
			detail: map[string]string{"method": "binding", "version": "rfc3489"}},
		{name: "classic bare request, then dtls on the 5-tuple", transport: UDP,
			steps: []flowStep{{ToServer, unhex(stunClassicBare), NeedMore}, {ToServer, unhex(stunDTLSHello), NeedMore},
				{ToClient, unhex(stunClassicResponse), Confirmed}},
			detail: map[string]string{"method": "binding", "version": "rfc3489"}},
		{name: "classic bare requests alone", transport: UDP,
			steps: []flowStep{{ToServer, unhex(stunClassicBare), NeedMore}, {ToServer, unhex(stunClassicBare), NeedMore},
				{ToServer, unhex(stunClassicBare), NeedMore}, {ToServer, unhex(stunClassicBare), Violated}}},
		{name: "classic bare request, then dns", transport: UDP,
			steps: []flowStep{{ToServer, unhex(stunClassicBare), NeedMore}, {ToClient, unhex(stunDNSQuery), Violated}}},

		{name: "ms-turn allocate is ms-turn's", transport: UDP, steps: []flowStep{{ToServer, unhex(stunTeamsAllocate), Violated}}},
		{name: "channeldata on a fresh flow", transport: UDP, steps: []flowStep{{ToClient, unhex(stunChannelDataMsg), Violated}}},
		{name: "channeldata before the turn method over tcp", transport: TCP,
			steps: []flowStep{{ToClient, unhex(stunChannelDataMsg + stunChannelBindOK), Violated}}},
		{name: "ms multiplexed turn", transport: UDP, steps: []flowStep{{ToServer, unhex(stunMSMux), Violated}}},
		{name: "dns query", transport: UDP, steps: []flowStep{{ToServer, unhex(stunDNSQuery), Violated}}},
		{name: "dtls client hello", transport: UDP, steps: []flowStep{{ToServer, unhex(stunDTLSHello), Violated}}},
		{name: "rtp", transport: UDP, steps: []flowStep{{ToServer, unhex(rtpSIPPCMA1), Violated}}},
		{name: "datagram longer than the message", transport: UDP, steps: []flowStep{{ToServer, unhex(stunTeamsBinding + "00000000"), Violated}}},
		{name: "datagram shorter than the message", transport: UDP, steps: []flowStep{{ToServer, unhex(stunTeamsBinding[:120]), Violated}}},
		{name: "fingerprint not last", transport: UDP,
			steps: []flowStep{{ToServer, unhex("0001 0010 2112a442 000102030405060708090a0b 8028 0004 deadbeef 8022 0004 74657374"), Violated}}},
		{name: "unknown method with the cookie", transport: UDP,
			steps: []flowStep{{ToServer, unhex("0005 0000 2112a442 000102030405060708090a0b"), Violated}}},
		{name: "send as a request", transport: UDP, steps: []flowStep{{ToServer, unhex("0006 0000 2112a442 000102030405060708090a0b"), Violated}}},
		{name: "classic with an unknown required attribute", transport: UDP,
			steps: []flowStep{{ToServer, unhex("0001 0008 0123456789abcdef0123456789abcdef 7000 0004 00000000"), Violated}}},
		{name: "classic allocate", transport: UDP,
			steps: []flowStep{{ToServer, unhex("0003 0008 0123456789abcdef0123456789abcdef 0003 0004 00000000"), Violated}}},
		{name: "classic cut by the tcp segment", transport: TCP,
			steps: []flowStep{{ToServer, unhex("0001 0008 0123456789abcdef0123456789abcdef 0003 0004"), Violated}}},
	})
}

// TestSTUNMethods checks the method and class split of RFC 5389 §6.
func TestSTUNMethods(t *testing.T) {
	tests := []struct {
		typ    uint16
		method uint16
		class  uint8
		known  bool
	}{
		{0x0001, 1, stunRequest, true},
		{0x0011, 1, stunIndication, true},
		{0x0101, 1, stunSuccess, true},
		{0x0111, 1, stunError, true},
		{0x0003, 3, stunRequest, true},
		{0x0113, 3, stunError, true},
		{0x0016, 6, stunIndication, true},
		{0x0017, 7, stunIndication, true},
		{0x0108, 8, stunSuccess, true},
		{0x0009, 9, stunRequest, true},
		{0x001c, 0xc, stunIndication, true},
		{0x0106, 6, stunSuccess, false}, // Send has no responses
		{0x0002, 2, stunRequest, false}, // Shared Secret is RFC 3489's only
		{0x0201, 0x81, stunRequest, false},
		{0x3fff, 0xfff, stunError, false},
	}
	for _, tt := range tests {
		method, class := stunMethodOf(tt.typ)
		if method != tt.method || class != tt.class {
			t.Errorf("stunMethodOf(%#04x) = %#x, %d; want %#x, %d", tt.typ, method, class, tt.method, tt.class)
		}
		if got := stunKnownType(tt.typ, true); got != tt.known {
			t.Errorf("stunKnownType(%#04x, cookie) = %v, want %v", tt.typ, got, tt.known)
		}
	}
}

func TestSTUNStateSize(t *testing.T) {
	const limit = 4
	if n := unsafe.Sizeof(stunState{}); n > limit {
		t.Errorf("stunState is %d bytes, want at most %d", n, limit)
	} else {
		t.Logf("stunState: %d bytes", n)
	}
}

// TestSTUNAllocs checks that payloads that do not name a flow cost no
// allocation.
func TestSTUNAllocs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		t       Transport
		payload string
	}{
		{"rtp", UDP, rtpSIPPCMA1},
		{"ms-turn", UDP, stunTeamsAllocate},
		{"classic bare request", UDP, stunClassicBare},
		{"channeldata first over tcp", TCP, stunChannelDataMsg + stunChannelBindOK},
	} {
		b := unhex(tc.payload)
		var s State
		allocs := testing.AllocsPerRun(100, func() {
			s.Reset(tc.t, 50000, 3478)
			stunSig{}.Inspect(&s, ToServer, b)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per payload, want 0", tc.name, allocs)
		}
	}
}

func FuzzSTUN(f *testing.F) {
	for _, h := range []string{stunBindingBare, stunTeamsBinding, stunFramedBinding, stunTwoResponses, stunChannelBindOK + stunChannelDataMsg, stunClassicChange} {
		b := unhex(h)
		f.Add(false, packPayloads([]FlowPayload{{Dir: ToServer, Data: b}}))
		f.Add(true, packPayloads([]FlowPayload{{Dir: ToServer, Data: b}}))
	}
	f.Add(false, packPayloads([]FlowPayload{{Dir: ToServer, Data: unhex(stunClassicBare)}, {Dir: ToClient, Data: unhex(stunClassicResponse)}}))
	mediaFuzzSeed(f, stunSig{})
	f.Fuzz(func(t *testing.T, tcp bool, data []byte) {
		checkAnswers(t, stunSig{}, transportFor(tcp), 50000, 3478, unpackPayloads(data))
	})
}

func BenchmarkSTUN(b *testing.B) {
	for _, bc := range []struct {
		name    string
		t       Transport
		payload string
	}{
		{"confirmed-ms-ice2", UDP, stunTeamsBinding},
		{"confirmed-tcp-two", TCP, stunTwoResponses},
		{"needmore-classic", UDP, stunClassicBare},
		{"violated-ms-turn", UDP, stunTeamsAllocate},
		{"violated-rtp", UDP, rtpSIPPCMA1},
	} {
		p := unhex(bc.payload)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			var s State
			for b.Loop() {
				s.Reset(bc.t, 50000, 3478)
				stunSig{}.Inspect(&s, ToServer, p)
			}
		})
	}
}
