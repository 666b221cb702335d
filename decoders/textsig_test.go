package decoders

import (
	"slices"
	"testing"
	"unsafe"
)

// Tests and payloads shared by the SIP, HTTP, HTTP/2, DNS and DHCP
// signatures.

// Other protocols' first payloads, from the shared captures: every
// signature of this file must answer Violated to them.
var (
	// ndpi/teams.pcap frame 18 (first 64 of 210 bytes): 192.168.1.6 →
	// 52.113.194.132 TLSv1 264 Client Hello
	negTLSClientHello = unhex("16030100cd010000c903032d7f336be6c274bf052721f2374d5f6c4ec19b3e9c" +
		"1f64e59f98c75873eda56900001cbabacca9cca8c02bc02fc02cc030c013c014")
	// ndpi/stun.pcap frame 3: 10.77.110.51 → 10.206.50.239 STUN 164
	// Binding Request user: /pI0:ToEd (over TCP, RFC 4571 framed)
	negSTUNBinding = unhex("0068000100542112a442f3439453b698fb2950bb06ed000600092f7049303a54" +
		"6f4564000000002400046e6bfcff80290008000000000004c2d1805400013200" +
		"0000807000040000000300080014fe92876ad46d7b797d42eb8d79a805faf31d" +
		"72d1802800040200fc47")
	// sipp/g711a.pcap frame 1 (first 48 of 252 bytes): 10.1.3.143 →
	// 10.1.6.18 UDP 294 5000 → 2006 Len=252 (RTP PT 8, which tshark
	// leaves undissected without its RTP heuristic)
	negRTP = unhex("8088e6fd000000f0dee0ee8fd5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5" +
		"d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5")
	// heplify/sip_ipv4_tcp.pcap frame 14: 10.33.6.101 → 10.33.6.100
	// RTCP 86 Sender Report Source description
	negRTCP = unhex("80c8000642f433d40020092530624d9b7058118900000001000000a081ca0003" +
		"42f433d40103633000000000")
	// zeek/dce-rpc/kerberos135_auth.pcapng frame 4 (first 72 of 1460
	// bytes): 10.10.10.129 → 10.10.10.100 TCP 1514 64238 → 135 [TCP
	// segment of a reassembled PDU], the start of a DCE/RPC Bind
	negDCERPCBind = unhex("05000b0310000000b407380708000000d016d016000000000200000000000100" +
		"a001000000000000c00000000000004600000000045d888aeb1cc9119fe80800" +
		"2b10486002000000")
)

// textNegatives are the other protocols' payloads, on their transport.
var textNegatives = []struct {
	name      string
	transport Transport
	data      []byte
}{
	{"tls client hello", TCP, negTLSClientHello},
	{"stun binding over tcp", TCP, negSTUNBinding},
	{"stun binding over udp", UDP, negSTUNBinding[2:]},
	{"rtp", UDP, negRTP},
	{"rtcp", UDP, negRTCP},
	{"dcerpc bind", TCP, negDCERPCBind},
	{"nbns name query", UDP, dnsNBNSQuery},
	{"sip register over udp", UDP, sipUDPRegister},
	{"sip register over tcp", TCP, sipTCPRegister1},
	{"http get", TCP, httpTwoVLANGet},
	{"http response", TCP, httpErspan401},
	{"dns query", UDP, dnsAppleQuery},
	{"dns response", UDP, dnsAppleResponse},
	{"dhcp discover", UDP, dhcpDiscover},
	{"keep-alive", TCP, []byte("\r\n\r\n")},
}

// TestTextSignaturesRejectOthers checks that every signature of this file
// answers Violated to the other protocols' first payloads (HTTP/2 and the
// keep-alive excepted where they are NeedMore by design).
func TestTextSignaturesRejectOthers(t *testing.T) {
	for _, ts := range textSignatures {
		for _, n := range textNegatives {
			if !ts.sig.Accepts(n.transport) {
				continue
			}
			own := map[string][]string{
				"sip":  {"sip register over udp", "sip register over tcp", "keep-alive"},
				"http": {"http get", "http response"}, "dns": {"dns query", "dns response"},
				"dhcp": {"dhcp discover"},
			}[ts.name]
			if slices.Contains(own, n.name) {
				continue
			}
			t.Run(ts.name+"/"+n.name, func(t *testing.T) {
				var s State
				s.Reset(n.transport, 50000, 40000)
				if got := ts.sig.Inspect(&s, ToServer, n.data); got != Violated {
					t.Errorf("got %v, want violated (detail %v)", got, s.Detail.Attrs)
				}
				if len(s.Detail.Attrs) != 0 {
					t.Errorf("detail %v on a violated flow", s.Detail.Attrs)
				}
			})
		}
	}
}

// TestTextStateSizes keeps each signature's part of State small.
func TestTextStateSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		size, max uintptr
	}{
		{"sipState", unsafe.Sizeof(sipState{}), 32},
		{"httpState", unsafe.Sizeof(httpState{}), 32},
		{"dnsState", unsafe.Sizeof(dnsState{}), 16},
		{"dhcpState", unsafe.Sizeof(dhcpState{}), 4},
	} {
		t.Logf("%s: %d bytes", c.name, c.size)
		if c.size > c.max {
			t.Errorf("%s is %d bytes, more than %d", c.name, c.size, c.max)
		}
	}
}

// textAllocCases are payloads that must be judged without allocating:
// those that do not name the flow, or keep it NeedMore.
var textAllocCases = []struct {
	name      string
	sig       Signature
	transport Transport
	data      []byte
}{
	{"sip on tls", sipSig{}, TCP, negTLSClientHello},
	{"sip on http", sipSig{}, TCP, httpTwoVLANGet},
	{"sip keep-alive", sipSig{}, TCP, []byte("\r\n\r\n")},
	{"sip start line only", sipSig{}, TCP, []byte("INVITE sip:bob@contoso.com SIP/2.0\r\n")},
	{"http on sip", httpSig{}, TCP, sipTCPRegister1},
	{"http request line cut", httpSig{}, TCP, []byte("GET /abs/download/files/0123456789abcdef")},
	{"http2 on http", http2Sig{}, TCP, httpTwoVLANGet},
	{"http2 preface cut", http2Sig{}, TCP, []byte(http2Preface[:10])},
	{"dns on sip", dnsSig{}, UDP, sipUDPRegister},
	{"dns on nbns", dnsSig{}, UDP, dnsNBNSQuery},
	{"dns tcp length alone", dnsSig{}, TCP, []byte{0, 40}},
	{"dhcp on dns", dhcpSig{}, UDP, dnsAppleResponse},
	{"dhcp on bootp", dhcpSig{}, UDP, dhcpBOOTP()},
}

// TestTextSignaturesAllocs checks that undecided and rejected payloads
// cost no allocation.
func TestTextSignaturesAllocs(t *testing.T) {
	for _, c := range textAllocCases {
		t.Run(c.name, func(t *testing.T) {
			var s State
			allocs := testing.AllocsPerRun(100, func() {
				s.Reset(c.transport, 50000, 40000)
				if a := c.sig.Inspect(&s, ToServer, c.data); a.Named() {
					t.Fatalf("answer %v names the flow", a)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per payload, want 0", allocs)
			}
		})
	}
}
