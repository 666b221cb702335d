package decoders

import (
	"encoding/binary"
	"strings"
	"testing"
)

// DNS payloads from the shared captures.
var (
	// zeek/pcapng-multi-interface.pcapng frame 1: 172.17.0.2 → 1.1.1.1 DNS
	// 96 Standard query 0x4fe8 A www.apple.com OPT
	dnsAppleQuery = unhex("4fe80120000100000000000103777777056170706c6503636f6d000001000100" +
		"002904d000000000000c000a000853d4fe03d5bc8577")
	// zeek/pcapng-multi-interface.pcapng frame 2: 1.1.1.1 → 172.17.0.2 DNS
	// 214 Standard query response 0x4fe8 A www.apple.com CNAME
	// www-apple-com.v.aaplimg.com CNAME www.apple.com.edgekey.net CNAME
	// e6858.dsce9.akamaiedge.net A 23.194.101.24 OPT
	dnsAppleResponse = unhex("4fe88180000100040000000103777777056170706c6503636f6d0000010001c0" +
		"0c000500010000010f001a0d7777772d6170706c652d636f6d0176076161706c" +
		"696d67c016c02b000500010000010f001b03777777056170706c6503636f6d07" +
		"656467656b6579036e657400c051000500010000010f00190565363835380564" +
		"736365390a616b616d616965646765c067c0780001000100000009000417c265" +
		"1800002904d0000000000000")
	// ndpi/teams.pcap frame 243: 192.168.1.6 → 192.168.1.1 DNS 83 Standard
	// query 0xa74b PTR b._dns-sd._udp.ntop.org
	dnsServiceDiscovery = unhex("a74b010000010000000000000162075f646e732d7364045f756470046e746f70" +
		"036f726700000c0001")
	// zeek/erspan.pcap frame 132: 192.168.69.10 → 192.168.69.2 DNS 123
	// Standard query 0x0002 A www.xkcd.com.sp.local
	dnsXKCDQuery = unhex("0002010000010000000000000377777704786b636403636f6d027370056c6f63" +
		"616c0000010001")
	// zeek/erspan.pcap frame 133: 192.168.69.2 → 192.168.69.10 DNS 184
	// Standard query response 0x0002 No such name A www.xkcd.com.sp.local
	// SOA tfdsp.sp.local
	dnsXKCDNXDomain = unhex("0002858300010000000100000377777704786b636403636f6d027370056c6f63" +
		"616c0000010001027370056c6f63616c000006000100000e1000290574666473" +
		"70c0270a686f73746d6173746572c02700000039000003840000025800015180" +
		"00000e10")
	// zeek/erspan.pcap frame 141: 192.168.69.2 → 224.0.0.252 LLMNR 106
	// Standard query 0xa534 A wpad
	dnsLLMNRQuery = unhex("a5340000000100000000000004777061640000010001")
	// zeek/erspan.pcap frame 106: 192.168.69.2 → 192.168.69.255 NBNS 134
	// Name query NB WPAD<00>
	dnsNBNSQuery = unhex("a3e5011000010000000000002046484641454245454341434143414341434143" +
		"414341434143414341434141410000200001")
	// ndpi/fuzz-2006-06-26-2594.pcap frame 10: 192.168.1.2 → 192.168.1.1 DNS
	// 86 Standard query 0x4cd2 Unknown (24435) <Root>[Malformed Packet]
	dnsFuzzedCounts = unhex("4cd201000001000000002587005f736970045f75647003736970096379626572" +
		"6369747902646b0000210001")
)

// dnsWire returns name in DNS wire form.
func dnsWire(name string) []byte {
	var b []byte
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// dnsCraft returns a DNS header (id, flags, counts) followed by body.
func dnsCraft(id, flags, qd, an, ns, ar uint16, body ...[]byte) []byte {
	b := make([]byte, 0, 64)
	for _, v := range []uint16{id, flags, qd, an, ns, ar} {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

// dnsTCP prefixes a message with its length, as DNS over TCP sends it.
func dnsTCP(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)
}

// Crafted from RFC 6762 and RFC 2136, which no shared capture shows.
var (
	// An mDNS announcement: a response with no question and one A record
	// whose class has the cache-flush bit.
	dnsMDNSAnnouncement = dnsCraft(0, 0x8400, 0, 1, 0, 0, dnsWire("contoso-pc.local"),
		[]byte{0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 20, 0, 21})
	// An mDNS query with two questions, the first asking for a unicast
	// response (the QU bit).
	dnsMDNSQuery = dnsCraft(0, 0, 2, 0, 0, 0, dnsWire("_sipinternaltls._tcp.local"), []byte{0, 12, 0x80, 1},
		dnsWire("_sip._tls.local"), []byte{0, 12, 0, 1})
	// A dynamic update from a Windows client: zone contoso.local, one A
	// record to add whose owner points into the zone name.
	dnsUpdate = dnsCraft(0x1234, 0x2800, 1, 0, 1, 0, dnsWire("contoso.local"), []byte{0, 6, 0, 1},
		[]byte{4, 'p', 'c', '0', '1', 0xc0, 12, 0, 1, 0, 1, 0, 0, 4, 0xb0, 0, 4, 10, 20, 0, 21})
	// A response whose answer's owner points at itself.
	dnsLoop = dnsCraft(7, 0x8180, 1, 1, 0, 0, dnsWire("google.com"), []byte{0, 1, 0, 1},
		[]byte{0xc0, 28, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4})
)

// dnsCases are flows fed to the DNS signature.
var dnsCases = []flowCase{
	{
		name: "query answered through cnames", transport: UDP, client: 36343, server: 53,
		steps: []flowStep{{ToServer, dnsAppleQuery, ConfirmedMore}, {ToClient, dnsAppleResponse, Confirmed}},
		attrs: []Attr{{"query", "www.apple.com"}, {"qtype", "A"}, {"rcode", "NOERROR"}},
	},
	{
		name: "nxdomain with an soa in authority", transport: UDP, client: 52789, server: 53,
		steps: []flowStep{{ToServer, dnsXKCDQuery, ConfirmedMore}, {ToClient, dnsXKCDNXDomain, Confirmed}},
		attrs: []Attr{{"query", "www.xkcd.com.sp.local"}, {"qtype", "A"}, {"rcode", "NXDOMAIN"}},
	},
	{
		name: "dns-sd ptr query, no answer within the budget", transport: UDP, client: 64046, server: 53,
		steps: []flowStep{
			{ToServer, dnsServiceDiscovery, ConfirmedMore}, {ToServer, dnsServiceDiscovery, ConfirmedMore},
			{ToServer, dnsServiceDiscovery, ConfirmedMore}, {ToServer, dnsServiceDiscovery, Confirmed},
		},
		attrs: []Attr{{"query", "b._dns-sd._udp.ntop.org"}, {"qtype", "PTR"}},
	},
	{
		name: "answer with another id", transport: UDP, client: 36343, server: 53,
		steps: []flowStep{{ToServer, dnsAppleQuery, ConfirmedMore}, {ToClient, patched(dnsAppleResponse, 0, 0xab, 0xcd), Confirmed}},
		attrs: []Attr{{"query", "www.apple.com"}, {"qtype", "A"}},
	},
	{
		name: "response first", transport: UDP, client: 52789, server: 53,
		steps: []flowStep{{ToClient, dnsXKCDNXDomain, Confirmed}},
		attrs: []Attr{{"query", "www.xkcd.com.sp.local"}, {"qtype", "A"}, {"rcode", "NXDOMAIN"}},
	},
	{
		name: "response cut by the snap length", transport: UDP, client: 36343, server: 53,
		steps: []flowStep{{ToClient, dnsAppleResponse[:100], Confirmed}},
		attrs: []Attr{{"query", "www.apple.com"}, {"qtype", "A"}, {"rcode", "NOERROR"}},
	},
	{
		name: "llmnr", transport: UDP, client: 54418, server: 5355,
		steps: []flowStep{{ToServer, dnsLLMNRQuery, Confirmed}},
		attrs: []Attr{{"query", "wpad"}, {"qtype", "A"}, {"flavor", "llmnr"}},
	},
	{
		name: "mdns announcement without a question", transport: UDP, client: 5353, server: 5353,
		steps: []flowStep{{ToServer, dnsMDNSAnnouncement, Confirmed}},
		attrs: []Attr{{"query", "contoso-pc.local"}, {"flavor", "mdns"}, {"rcode", "NOERROR"}},
	},
	{
		name: "mdns query with two questions", transport: UDP, client: 5353, server: 5353,
		steps: []flowStep{{ToServer, dnsMDNSQuery, Confirmed}},
		attrs: []Attr{{"query", "_sipinternaltls._tcp.local"}, {"qtype", "PTR"}, {"flavor", "mdns"}},
	},
	{
		name: "dynamic update", transport: UDP, client: 50000, server: 53,
		steps: []flowStep{{ToServer, dnsUpdate, ConfirmedMore}},
		attrs: []Attr{{"query", "contoso.local"}, {"qtype", "SOA"}, {"opcode", "update"}},
	},
	{
		name: "tcp query and response", transport: TCP, client: 50000, server: 53,
		steps: []flowStep{{ToServer, dnsTCP(dnsAppleQuery), ConfirmedMore}, {ToClient, dnsTCP(dnsAppleResponse), Confirmed}},
		attrs: []Attr{{"query", "www.apple.com"}, {"qtype", "A"}, {"rcode", "NOERROR"}},
	},
	{
		name: "tcp length prefix sent alone", transport: TCP, client: 50000, server: 53,
		steps: []flowStep{
			{ToServer, dnsTCP(dnsAppleQuery)[:2], NeedMore},
			{ToServer, dnsAppleQuery, ConfirmedMore},
			{ToClient, dnsTCP(dnsAppleResponse)[:2], ConfirmedMore},
			{ToClient, dnsAppleResponse, Confirmed},
		},
		attrs: []Attr{{"query", "www.apple.com"}, {"qtype", "A"}, {"rcode", "NOERROR"}},
	},
	{
		name: "tcp response cut by the segment", transport: TCP, client: 50000, server: 53,
		steps: []flowStep{{ToClient, dnsTCP(dnsAppleResponse)[:120], Confirmed}},
		attrs: []Attr{{"query", "www.apple.com"}, {"qtype", "A"}, {"rcode", "NOERROR"}},
	},

	// Not DNS.
	{name: "nbns on 137", transport: UDP, client: 137, server: 137, steps: []flowStep{{ToServer, dnsNBNSQuery, Violated}}},
	{name: "nbns name on 53", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsNBNSQuery, Violated}}},
	{name: "fuzzed counts", transport: UDP, client: 2713, server: 53, steps: []flowStep{{ToServer, dnsFuzzedCounts, Violated}}},
	{name: "sip", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, sipUDPRegister, Violated}}},
	{name: "trailing byte", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, append(append([]byte{}, dnsAppleQuery...), 0), Violated}}},
	{name: "query with an answer", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, patched(dnsXKCDQuery, 7, 1), Violated}}},
	{name: "two questions off mdns", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsMDNSQuery, Violated}}},
	{name: "pointer loop", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToClient, dnsLoop, Violated}}},
	{name: "pointer in the first question", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsCraft(1, 0x0100, 1, 0, 0, 0, []byte{0xc0, 12, 0, 1, 0, 1}), Violated}}},
	{name: "extended label type", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsCraft(1, 0x0100, 1, 0, 0, 0, []byte{0x41, 0, 0, 1, 0, 1}), Violated}}},
	{name: "name over 255 bytes", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsCraft(1, 0x0100, 1, 0, 0, 0,
		dnsWire(strings.Repeat("a", 63)+"."+strings.Repeat("b", 63)+"."+strings.Repeat("c", 63)+"."+strings.Repeat("d", 63)), []byte{0, 1, 0, 1}), Violated}}},
	{name: "z bit", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, patched(dnsAppleQuery, 3, 0x60), Violated}}},
	{name: "opcode 3", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, patched(dnsAppleQuery, 2, 0x19), Violated}}},
	{name: "rcode in a query", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, patched(dnsAppleQuery, 3, 0x23), Violated}}},
	{name: "qtype 0", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsCraft(1, 0x0100, 1, 0, 0, 0, dnsWire("a.b"), []byte{0, 0, 0, 1}), Violated}}},
	{name: "class 2", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsCraft(1, 0x0100, 1, 0, 0, 0, dnsWire("a.b"), []byte{0, 1, 0, 2}), Violated}}},
	{name: "question cut short", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsAppleQuery[:20], Violated}}},
	{name: "tcp length under a header", transport: TCP, client: 50000, server: 53, steps: []flowStep{{ToServer, []byte{0, 11, 1, 2, 3}, Violated}}},
	{name: "tcp one byte", transport: TCP, client: 50000, server: 53, steps: []flowStep{{ToServer, []byte{0}, Violated}}},
	{name: "udp dns without the tcp prefix on tcp", transport: TCP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsAppleQuery, Violated}}},
}

func TestDNS(t *testing.T) { runFlowCases(t, dnsSig{}, dnsCases) }

// FuzzDNS feeds arbitrary bytes to the DNS signature as up to four
// payloads, on UDP or TCP and on the plain, mDNS or LLMNR port.
func FuzzDNS(f *testing.F) {
	for _, seed := range [][]byte{dnsAppleQuery, dnsAppleResponse, dnsServiceDiscovery, dnsXKCDNXDomain, dnsLLMNRQuery, dnsNBNSQuery, dnsFuzzedCounts, dnsMDNSAnnouncement, dnsMDNSQuery, dnsUpdate, dnsLoop} {
		f.Add(seed, uint16(0), uint16(0), uint16(0), uint8(0b0010), false, uint8(0))
		f.Add(dnsTCP(seed), uint16(2), uint16(0), uint16(0), uint8(0b0100), true, uint8(0))
		f.Add(seed, uint16(0), uint16(0), uint16(0), uint8(0), false, uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2, cut3 uint16, dirs uint8, tcp bool, flavor uint8) {
		port := [...]uint16{53, portMDNS, portLLMNR, portNBNS}[flavor%4]
		checkAnswers(t, dnsSig{}, transportFor(tcp), 50000, port, cutInFour(data, [3]uint16{cut1, cut2, cut3}, dirs))
	})
}

// BenchmarkDNS measures the DNS signature on a payload it rejects (SIP)
// and on a query it names.
func BenchmarkDNS(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{{"sip", sipUDPRegister}, {"nbns", dnsNBNSQuery}, {"response", dnsAppleResponse}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var s State
			for b.Loop() {
				s.Reset(UDP, 50000, 53)
				dnsSig{}.Inspect(&s, ToServer, c.data)
			}
		})
	}
}
