package decoders

import (
	"strings"
	"testing"
)

const (
	// ndpi/stun_dtls_rtp.pcapng frame 1: 192.168.12.156 → 142.250.82.76 STUN 158
	// Binding Request user: ea3Wt_9aASooegoKAAiKAiADEA:8jb6 (ICE, same 5-tuple as the DTLS).
	hexICEBinding = `000100602112a4426f3653685355524a684e466b0006001f65613357745f396141536f6f65676f4b4141694b4169414445
		413a386a623600c05700040003000a802a0008c798f641adc04a9f002400046e7f1eff0008001455cc08ee9d10e633cd893835
		c973c3b7e7ffeb9d802800044c9a4a83`

	// ndpi/stun_dtls_rtp.pcapng frame 3: 192.168.12.156 → 142.250.82.76 DTLS 199 Client Hello.
	hexDTLSClientHello = `16feff00000000000000000090010000840000000000000084fefd4bf46b94af3b20dcb7ca52337eef1b8b3b149996c9b3
		5800d1e92a7fa8ab407d00000016c02bc02fcca9cca8c009c013c00ac014009c002f00350100004400170000ff0100010000
		0a00080006001d00170018000b0002010000230000000d00140012040308040401050308050501080606010201000e000900
		0600010008000700`

	// ndpi/stun_dtls_rtp.pcapng frames 12 and 13: DTLSv1.2 123 Application Data,
	// and 163 Application Data (the other way).
	hexDTLSAppData1 = `17fefd0001000000000002004400010000000000024d2cb8960eac2c24316911a8c2c4a55611d42093b10a564c4509f21b
		1bfac00b29ff3bbbc1fabc0076342caf6ba3c223f12721547e345d0595957bdf`
	hexDTLSAppData2 = `17fefd0001000000000003006c00010000000000031198ab3f19023fd3e9e723476146ced2618c86884aace389134d1ea4
		c8605eb996bed7798164eb0c88cf98ca85a38e147cc0bae388aa2993d25aa90d1f9ac0252c8ab2b7a2c6eee2988745362147e0
		8ea7bfc3d62079d54b5a9aee4df6049f7df45dcc0b`

	// Crafted from RFC 6347 §4.2.1: a HelloVerifyRequest (record version
	// DTLS 1.0, as the RFC advises) with a 20-byte cookie.
	hexDTLSHelloVerify = `16feff00000000000000000023030000170000000000000017fefd14` +
		`000102030405060708090a0b0c0d0e0f10111213`

	// ndpi/sip.pcap frame 95: RTP (G.711 A-law).
	hexRTP = `80086fae000004d83796cb71d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5`

	// zeek/pcapng-multi-interface.pcapng frame 1: DNS standard query A www.apple.com.
	hexDNSQuery = `4fe80120000100000000000103777777056170706c6503636f6d000001000100002904d000000000000c000a000853d4fe03d5bc8577`

	// ndpi/teams.pcap frame 1404: 192.168.1.6 → 192.168.0.4 STUN 154 Binding
	// Request user: o5/I:FY32 (ICE, RFC 5389; no MS-TURN magic cookie attribute).
	hexICEBindingTeams = `0001005c2112a442c6429a8034aea2ac958d0a81000600096f352f493a46593332000000802a000800007f8a52865800
		80700004000000078036000400000001002400046efffeff80370004000000020008001435a47bc3a5e01cb9ad459c6905629590
		6bb086ad80280004fb75b895`
)

func TestDTLSSignature(t *testing.T) {
	var tooManySTUN []flowStep
	for range dtlsBudget - 1 {
		tooManySTUN = append(tooManySTUN, flowStep{ToServer, unhex(hexICEBinding), NeedMore})
	}
	tooManySTUN = append(tooManySTUN, flowStep{ToClient, unhex(hexICEBinding), Violated})
	runFlowCases(t, dtlsSig{}, []flowCase{
		{
			name:      "stun, then the client hello",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexICEBinding), NeedMore}, {ToServer, unhex(hexDTLSClientHello), ConfirmedMore}},
		},
		{
			name:      "client hello from the flow's server",
			transport: UDP,
			steps:     []flowStep{{ToClient, unhex(hexDTLSClientHello), ConfirmedMore}, {ToServer, unhex(hexICEBinding), ConfirmedMore}},
		},
		{
			name:      "hello verify request",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexDTLSClientHello), ConfirmedMore}, {ToClient, unhex(hexDTLSHelloVerify), ConfirmedMore}},
		},
		{
			name:      "hello verify request first",
			transport: UDP,
			steps:     []flowStep{{ToClient, unhex(hexDTLSHelloVerify), ConfirmedMore}},
		},
		{
			name:      "mid-stream application data",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexDTLSAppData1), NeedMore}, {ToClient, unhex(hexDTLSAppData2), Confirmed}},
		},
		{
			name:      "media after the hello",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexDTLSClientHello), ConfirmedMore}, {ToClient, unhex(hexRTP), ConfirmedMore}},
		},
		{
			name:      "damaged datagram, then the hello",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(hexDTLSClientHello[:60]), NeedMore}, {ToServer, unhex(hexDTLSClientHello), ConfirmedMore}},
		},
		{name: "stun past the budget", transport: UDP, steps: tooManySTUN},
		{name: "rtp", transport: UDP, steps: []flowStep{{ToServer, unhex(hexRTP), Violated}}},
		{name: "dns", transport: UDP, steps: []flowStep{{ToServer, unhex(hexDNSQuery), Violated}}},
		{name: "tls record over udp", transport: UDP, steps: []flowStep{{ToServer, unhex(hexSampleClientHello), Violated}}},
		{name: "ms-turn", transport: UDP, steps: []flowStep{{ToServer, unhex("00030010b7faa2540d57e79fdc2de3b63e13da96000f000472c64bc68008000400000002"), NeedMore}}},
		{
			name:      "records that do not chain",
			transport: UDP,
			steps:     []flowStep{{ToServer, unhex(strings.Replace(hexDTLSAppData1, "0044", "0045", 1)), NeedMore}, {ToServer, unhex("1703"), Violated}},
		},
	})
}

func TestDTLSAllocations(t *testing.T) {
	stun, rtp, appData := unhex(hexICEBinding), unhex(hexRTP), unhex(hexDTLSAppData1)
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset(UDP, 50123, 3478)
		(dtlsSig{}).Inspect(&s, ToServer, stun)
		(dtlsSig{}).Inspect(&s, ToServer, appData)
		s.Reset(UDP, 50123, 3478)
		(dtlsSig{}).Inspect(&s, ToServer, rtp)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkDTLS(b *testing.B) {
	for _, bc := range []struct {
		name    string
		payload []byte
	}{
		{"client-hello", unhex(hexDTLSClientHello)},
		{"app-data", unhex(hexDTLSAppData1)},
		{"stun", unhex(hexICEBinding)},
		{"rtp", unhex(hexRTP)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.payload)))
			var s State
			for b.Loop() {
				s.Reset(UDP, 50123, 3478)
				(dtlsSig{}).Inspect(&s, ToServer, bc.payload)
			}
		})
	}
}

// FuzzDTLS feeds datagrams cut from the fuzzed input to the signature.
func FuzzDTLS(f *testing.F) {
	for _, seed := range []string{hexDTLSClientHello, hexICEBinding + hexDTLSClientHello, hexDTLSHelloVerify,
		hexDTLSAppData1 + hexDTLSAppData2, hexRTP} {
		data := unhex(seed)
		f.Add(data, uint16(len(data)/2))
		f.Add(data, uint16(len(data)))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		checkAnswers(t, dtlsSig{}, UDP, 50123, 443, alternating(data, cut, 251), settled)
	})
}
