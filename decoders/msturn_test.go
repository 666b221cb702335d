package decoders

import (
	"testing"
	"unsafe"
)

const (
	// ../testdata/sample.pcapng, 10.20.0.21:50020 → 10.40.0.5:3478, payload 1:
	// CLASSIC-STUN 78 Message: Allocate Request (MS-TURN, MS-Version 2).
	hexUDPAllocate = `00030010b7faa2540d57e79fdc2de3b63e13da96000f000472c64bc68008000400000002`

	// ndpi/teams.pcap frame 1238: 192.168.1.6 → 52.114.250.123 STUN 110
	// Allocate Request bandwidth: 12000 (MS-Version 6).
	hexTeamsAllocate = `000300302112a442b2343f6e67f41d58acba639f000f000472c64bc6803700040000000280080004000000068006000400
		0000010010000400002ee08055000400020002`

	// ndpi/teams.pcap frame 1245: 52.114.250.123 → 192.168.1.6 STUN 229 Allocate
	// Error Response error-code: 401 [Malformed Packet] (tshark pads
	// attributes; MS-TURN does not: the 61-byte ERROR-CODE is followed at once
	// by the next attribute).
	hexTeamsAllocateError = `011300a72112a442b2343f6e67f41d58acba639f000f000472c64bc680080004000000060009003d0000040154686520
		7265717565737420646964206e6f7420636f6e7461696e2061204d6573736167652d496e7465677269747920617474726962
		757465000e000800010d963472fa8d00140014024ecbf8827a60d65306debfa77d87d14402dd5d0015000a227274636d6564
		6961220001000800010d983472fa8d809500087f20c4dd4f848dfa802000080001c1d571a76a0a`

	// Crafted from [MS-TURN] §2.2.3: multiplexed TURN (channel FF 10, the
	// length, an 8-byte session ID) around the Teams Allocate above.
	hexMuxAllocate = `ff10004c0123456789abcdef` + hexTeamsAllocate
	// The same session ID around RTP (the start of ndpi/sip.pcap frame 95).
	hexMuxRTP = `ff1000200123456789abcdef80086fae000004d83796cb71d5d5d5d5d5d5d5d5d5d5d5d5`
)

func TestMSTURNSignature(t *testing.T) {
	var stunOnly []flowStep
	for range msturnUDPBudget - 1 {
		stunOnly = append(stunOnly, flowStep{ToServer, unhex(hexICEBindingTeams), NeedMore})
	}
	stunOnly = append(stunOnly, flowStep{ToClient, unhex(hexICEBindingTeams), Violated})
	runFlowCases(t, msturnSig{}, []flowCase{
		{
			name:      "pseudo-tls hellos, then a framed allocate",
			transport: TCP,
			steps: []flowStep{{ToServer, unhex(hexPseudoClientHello), ConfirmedMore}, {ToClient, unhex(hexPseudoServerHello), ConfirmedMore},
				{ToServer, unhex(hexFramedAllocate), Confirmed}},
			detail: map[string]string{"framing": "pseudo-tls", "method": "allocate", "ms-version": "2"},
		},
		{
			name:      "libnice msoc hello",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexLibniceMSOCHello), ConfirmedMore}},
			detail:    map[string]string{"framing": "pseudo-tls"},
		},
		{
			name:      "pseudo-tls server hello first",
			transport: TCP,
			steps:     []flowStep{{ToClient, unhex(hexPseudoServerHello), ConfirmedMore}, {ToServer, unhex(hexFramedMedia1), ConfirmedMore}},
			detail:    map[string]string{"framing": "pseudo-tls"},
		},
		{
			name:      "pseudo-tls hello, then something else",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexPseudoClientHello), ConfirmedMore}, {ToClient, unhex(hexHTTPGet), Confirmed}},
			detail:    map[string]string{"framing": "pseudo-tls"},
		},
		{
			name:      "framing from the first byte",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexFramedAllocate), Confirmed}},
			detail:    map[string]string{"framing": "tcp", "method": "allocate", "ms-version": "2"},
		},
		{
			name:      "two frames in one segment",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexFramedMedia1 + hexFramedAllocate), Confirmed}},
			detail:    map[string]string{"framing": "tcp", "method": "allocate", "ms-version": "2"},
		},
		{
			name:      "data frames only",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexFramedMedia1), NeedMore}, {ToServer, unhex(hexFramedMedia2), Confirmed}},
			detail:    map[string]string{"framing": "tcp"},
		},
		{
			name:      "udp allocate",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexUDPAllocate), Confirmed}},
			detail:    map[string]string{"framing": "udp", "method": "allocate", "ms-version": "2"},
		},
		{
			name:      "teams allocate",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexTeamsAllocate), Confirmed}},
			detail:    map[string]string{"framing": "udp", "method": "allocate", "ms-version": "6"},
		},
		{
			name:      "unpadded attributes",
			transport: UDP,
			steps:     []flowStep{{ToClient, unhex(hexTeamsAllocateError), Confirmed}},
			detail:    map[string]string{"framing": "udp", "method": "allocate", "ms-version": "6"},
		},
		{
			name:      "ice check first",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexICEBindingTeams), NeedMore}, {ToServer, unhex(hexTeamsAllocate), Confirmed}},
			detail:    map[string]string{"framing": "udp", "method": "allocate", "ms-version": "6"},
		},
		{
			name:      "multiplexed allocate",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexMuxAllocate), Confirmed}},
			detail:    map[string]string{"framing": "udp", "method": "allocate", "ms-version": "6", "session": "0123456789abcdef"},
		},
		{
			name:      "multiplexed media, one session",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexMuxRTP), NeedMore}, {ToClient, unhex(hexMuxRTP), Confirmed}},
			detail:    map[string]string{"framing": "udp", "session": "0123456789abcdef"},
		},
		{
			name:      "multiplexed media, sessions differ",
			transport: UDP,
			steps: []flowStep{{ToServer, unhex(hexMuxRTP), NeedMore},
				{ToClient, unhex("ff10002001234567ffffffff80086fae000004d83796cb71d5d5d5d5d5d5d5d5d5d5d5d5"), NeedMore}},
		},
		{name: "ice checks only", transport: UDP, steps: stunOnly},
		{name: "rdp tpkt", transport: TCP, steps: []flowStep{{ToServer, unhex(hexRDPRequest), Violated}}},
		{name: "rdp tpkt reply", transport: TCP, steps: []flowStep{{ToClient, unhex(hexRDPConfirm), Violated}}},
		{name: "rfc 5766 turn over tcp", transport: TCP, steps: []flowStep{{ToServer, unhex(hexTURNOverTCP), Violated}}},
		{name: "tls client hello", transport: TCP, steps: []flowStep{{ToServer, unhex(hexSampleClientHello), Violated}}},
		{name: "http", transport: TCP, steps: []flowStep{{ToServer, unhex(hexHTTPGet), Violated}}},
		{name: "dtls client hello", transport: UDP, steps: []flowStep{{ToServer, unhex(hexDTLSClientHello), Violated}}},
		{name: "rtp", transport: UDP, steps: []flowStep{{ToServer, unhex(hexRTP), Violated}}},
		{name: "dns", transport: UDP, steps: []flowStep{{ToServer, unhex(hexDNSQuery), Violated}}},
		{name: "stun binding", transport: UDP, steps: []flowStep{{ToServer, unhex(hexICEBinding), NeedMore}}},
		{
			name:      "a control frame that is not ms-turn",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex("0200001c" + hexTURNOverTCP), Violated}},
		},
		{
			name:      "a frame longer than the segment",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex("0300005b" + hexFramedMedia1[8:]), Violated}},
		},
	})
}

func TestMSTURNStateSize(t *testing.T) {
	if n := unsafe.Sizeof(msturnState{}); n > 24 {
		t.Errorf("msturnState is %d bytes, want at most 24", n)
	}
}

func TestMSTURNAllocations(t *testing.T) {
	stun, frame, http := unhex(hexICEBindingTeams), unhex(hexFramedMedia1), unhex(hexHTTPGet)
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset(UDP, 50123, 3478)
		(msturnSig{}).Inspect(&s, ToServer, stun)
		s.Reset(TCP, 50123, 443)
		(msturnSig{}).Inspect(&s, ToServer, frame)
		s.Reset(TCP, 50123, 443)
		(msturnSig{}).Inspect(&s, ToServer, http)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkMSTURN(b *testing.B) {
	for _, bc := range []struct {
		name      string
		transport Transport
		payload   []byte
	}{
		{"udp-allocate", UDP, unhex(hexTeamsAllocate)},
		{"udp-stun", UDP, unhex(hexICEBindingTeams)},
		{"tcp-pseudo-tls", TCP, unhex(hexPseudoClientHello)},
		{"tcp-data-frame", TCP, unhex(hexFramedMedia1)},
		{"tcp-http", TCP, unhex(hexHTTPGet)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.payload)))
			var s State
			for b.Loop() {
				s.Reset(bc.transport, 50123, 443)
				(msturnSig{}).Inspect(&s, ToServer, bc.payload)
			}
		})
	}
}

// FuzzMSTURN feeds payloads cut from the fuzzed input to the signature,
// over TCP or UDP as the fuzzer picks.
func FuzzMSTURN(f *testing.F) {
	for _, seed := range []string{hexPseudoClientHello + hexPseudoServerHello + hexFramedAllocate,
		hexFramedMedia1 + hexFramedMedia2, hexUDPAllocate, hexTeamsAllocateError, hexMuxAllocate, hexMuxRTP, hexRDPRequest} {
		data := unhex(seed)
		f.Add(data, uint16(len(data)/2), false)
		f.Add(data, uint16(len(data)), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16, udp bool) {
		checkAnswers(t, msturnSig{}, transportFor(!udp), 50123, 443, alternating(data, cut, 251), settled)
	})
}

// FuzzMSTURNMessage checks parseMSTURN on its own: a prefix of a
// well-formed message is never judged bad, so a message cut by a segment
// boundary can still name the flow.
func FuzzMSTURNMessage(f *testing.F) {
	for _, seed := range []string{hexUDPAllocate, hexTeamsAllocate, hexTeamsAllocateError, hexFramedAllocate[8:]} {
		f.Add(unhex(seed), uint16(30))
	}
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		full := parseMSTURN(b, true)
		if full.verdict == helloShort {
			t.Fatalf("a complete message judged short")
		}
		k := int(cut) % (len(b) + 1)
		if part := parseMSTURN(b[:k], false); full.verdict == helloOK && part.verdict == helloBad {
			t.Fatalf("message OK, its first %d bytes bad", k)
		}
	})
}
