package decoders

import "testing"

// HTTP payloads from the shared captures.
var (
	// arkime/twovlan.pcap frame 4: 10.0.0.1 → 10.0.0.2 HTTP 187 GET /
	// HTTP/1.1
	httpTwoVLANGet = unhex("474554202f20485454502f312e310d0a557365722d4167656e743a2057676574" +
		"2f312e313520286c696e75782d676e75290d0a4163636570743a202a2f2a0d0a" +
		"486f73743a20787878787878782e7878782e7878780d0a436f6e6e656374696f" +
		"6e3a204b6565702d416c6976650d0a0d0a")
	// arkime/twovlan.pcap frame 6 (first 320 of 4344 bytes): 10.0.0.2 →
	// 10.0.0.1 TCP 4418 HTTP/1.1 200 OK [TCP segment of a reassembled PDU]
	httpTwoVLAN200 = unhex("485454502f312e3120323030204f4b0d0a782d7365727665644279486f73743a" +
		"207072642d31302d30302d3030302d30312e78787878782e7878782e78787878" +
		"782e7878780d0a43616368652d436f6e74726f6c3a206d61782d6167653d3630" +
		"0d0a582d5853532d50726f74656374696f6e3a20313b206d6f64653d626c6f63" +
		"6b0d0a436f6e74656e742d53656375726974792d506f6c6963793a2064656661" +
		"756c742d737263202773656c662720687474703a2f2f2a2e7878782e7878783a" +
		"2a2068747470733a2f2f2a2e7878782e636f6d3a2a202a2e7878782e6e65743a" +
		"2a202a2e7878787878782e636f6d3a2a202a2e7878787878787878782e636f6d" +
		"3a2a202a2e787878782e6e65743a2a3b207363726970742d7372632027756e73" +
		"6166652d696e6c696e65272027756e736166652d6576616c27202773656c6627")
	// wireshark-notes/websocket-sip.pcapng frame 4: 10.9.1.2 → 94.23.86.78
	// HTTP 600 GET / HTTP/1.1
	httpWebSocketGet = unhex("474554202f20485454502f312e310d0a486f73743a207773312e766572736174" +
		"6963612e636f6d3a31303038300d0a436f6e6e656374696f6e3a205570677261" +
		"64650d0a507261676d613a206e6f2d63616368650d0a43616368652d436f6e74" +
		"726f6c3a206e6f2d63616368650d0a557067726164653a20776562736f636b65" +
		"740d0a4f726967696e3a20687474703a2f2f74727969742e6a737369702e6e65" +
		"740d0a5365632d576562536f636b65742d56657273696f6e3a2031330d0a444e" +
		"543a20310d0a557365722d4167656e743a204d6f7a696c6c612f352e30202858" +
		"31313b204c696e7578207838365f363429204170706c655765624b69742f3533" +
		"372e333620284b48544d4c2c206c696b65204765636b6f29204368726f6d652f" +
		"34302e302e323231342e313131205361666172692f3533372e33360d0a416363" +
		"6570742d456e636f64696e673a20677a69702c206465666c6174652c20736463" +
		"680d0a4163636570742d4c616e67756167653a20656e2d55532c656e3b713d30" +
		"2e380d0a5365632d576562536f636b65742d4b65793a203164412b356c657543" +
		"6449557375583252506a3435413d3d0d0a5365632d576562536f636b65742d45" +
		"7874656e73696f6e733a207065726d6573736167652d6465666c6174653b2063" +
		"6c69656e745f6d61785f77696e646f775f626974730d0a5365632d576562536f" +
		"636b65742d50726f746f636f6c3a207369700d0a0d0a")
	// wireshark-notes/websocket-sip.pcapng frame 6: 94.23.86.78 → 10.9.1.2
	// HTTP 247 HTTP/1.1 101 Switching Protocols
	httpWebSocket101 = unhex("485454502f312e312031303120537769746368696e672050726f746f636f6c73" +
		"0d0a557067726164653a20776562736f636b65740d0a436f6e6e656374696f6e" +
		"3a20557067726164650d0a5365632d576562536f636b65742d4163636570743a" +
		"20346a4c64514b46684e6c73744535647136736138706378376e65633d0d0a53" +
		"65632d576562536f636b65742d50726f746f636f6c3a207369700d0a53657276" +
		"65723a204f7665725349502f322e302e300d0a0d0a")
	// zeek/erspan.pcap frame 101: 192.168.69.2 → 192.168.69.10 HTTP 619
	// HTTP/1.1 401 Unauthorized , NTLMSSP_CHALLENGE
	httpErspan401 = unhex("485454502f312e312034303120556e617574686f72697a65640d0a5365727665" +
		"723a204d6963726f736f66742d4949532f372e350d0a53505265717565737447" +
		"7569643a2064316364363562352d356533342d346336332d616265372d383938" +
		"6638653066383638350d0a5757572d41757468656e7469636174653a204e544c" +
		"4d20546c524d54564e545541414341414141424141454144674141414146676f" +
		"6d69376d47395448566144744d41414141414141414141473441626741384141" +
		"4141426747784851414141413954414641414167414541464d41554141424141" +
		"6f41564142474145514155774251414151414541427a414841414c6742734147" +
		"3841597742684147774141774163414651415267424541464d41554141754148" +
		"4d4163414175414777416277426a414745416241414641424141637742774143" +
		"34416241427641474d415951427341416341434143586d37616a39752f514151" +
		"41414141413d0d0a582d506f77657265642d42793a204153502e4e45540d0a4d" +
		"6963726f736f66745368617265506f696e745465616d53657276696365733a20" +
		"31342e302e302e373031350d0a582d4d532d496e766f6b654170703a20313b20" +
		"52657175697265526561644f6e6c790d0a446174653a205475652c2031352053" +
		"657020323031352032303a33393a333820474d540d0a436f6e74656e742d4c65" +
		"6e6774683a20300d0a0d0a")
	// suricata-verify/decode-sll2-01/input.pcap frame 4: 192.168.1.253 →
	// 192.168.1.21 HTTP 154 GET /testing HTTP/1.1
	httpSLL2Get = unhex("474554202f74657374696e6720485454502f312e310d0a486f73743a20313932" +
		"2e3136382e312e32310d0a557365722d4167656e743a206375726c2f382e352e" +
		"300d0a4163636570743a202a2f2a0d0a0d0a")
)

// httpCases are flows fed to the HTTP signature, from real payloads and,
// for what no capture shows, from RFC 9112.
var httpCases = []flowCase{
	{
		name: "get answered 200", transport: TCP, client: 54422, server: 80,
		steps: []flowStep{{ToServer, httpTwoVLANGet, ConfirmedMore}, {ToClient, httpTwoVLAN200, Confirmed}},
		attrs: []Attr{{"method", "GET"}, {"host", "xxxxxxx.xxx.xxx"}, {"user-agent", "Wget/1.15 (linux-gnu)"}, {"status", "200"}},
	},
	{
		name: "websocket upgrade for sip", transport: TCP, client: 42671, server: 10080,
		steps: []flowStep{{ToServer, httpWebSocketGet, ConfirmedMore}, {ToClient, httpWebSocket101, Confirmed}},
		attrs: []Attr{
			{"method", "GET"}, {"host", "ws1.versatica.com:10080"},
			{"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/40.0.2214.111 Safari/537.36"},
			{"status", "101"}, {"server", "OverSIP/2.0.0"}, {"upgrade", "websocket"}, {"ws-protocol", "sip"},
		},
	},
	{
		name: "response first, as when the capture starts mid-flow", transport: TCP, client: 49162, server: 80,
		steps: []flowStep{{ToClient, httpErspan401, ConfirmedMore}, {ToServer, httpSLL2Get, Confirmed}},
		attrs: []Attr{{"status", "401"}, {"server", "Microsoft-IIS/7.5"}, {"method", "GET"}, {"host", "192.168.1.21"}, {"user-agent", "curl/8.5.0"}},
	},
	{
		name: "no response within the budget", transport: TCP, client: 56478, server: 80,
		steps: []flowStep{
			{ToServer, httpSLL2Get, ConfirmedMore}, {ToServer, []byte("x"), ConfirmedMore},
			{ToServer, []byte("x"), ConfirmedMore}, {ToServer, []byte("x"), ConfirmedMore},
			{ToServer, []byte("x"), ConfirmedMore}, {ToServer, []byte("x"), ConfirmedMore},
			{ToServer, []byte("x"), ConfirmedMore}, {ToServer, []byte("x"), Confirmed},
		},
		attrs: []Attr{{"method", "GET"}, {"host", "192.168.1.21"}, {"user-agent", "curl/8.5.0"}},
	},
	{
		name: "the other side answers with something else", transport: TCP, client: 56478, server: 80,
		steps: []flowStep{{ToServer, httpSLL2Get, ConfirmedMore}, {ToClient, negTLSClientHello, Confirmed}},
		attrs: []Attr{{"method", "GET"}, {"host", "192.168.1.21"}, {"user-agent", "curl/8.5.0"}},
	},
	{
		name: "request line cut in its target", transport: TCP, client: 50000, server: 80,
		steps: []flowStep{
			{ToServer, []byte("GET /abs/Handler/"), NeedMore},
			{ToServer, []byte("F-0.lsabs HTTP/1.1\r\nHost: pool01.contoso.local\r\n\r\n"), ConfirmedMore},
			{ToClient, []byte("HTTP/1.1 304 Not Modified\r\n\r\n"), Confirmed},
		},
		attrs: []Attr{{"method", "GET"}, {"host", "pool01.contoso.local"}, {"status", "304"}},
	},
	{
		name: "connect to a proxy", transport: TCP, client: 50000, server: 8080,
		steps: []flowStep{
			{ToServer, []byte("CONNECT sip.contoso.com:443 HTTP/1.1\r\nUser-Agent: UCCAPI/15.0\r\n\r\n"), ConfirmedMore},
			{ToClient, []byte("HTTP/1.1 200 Connection established\r\n\r\n"), Confirmed},
		},
		attrs: []Attr{{"method", "CONNECT"}, {"host", "sip.contoso.com:443"}, {"user-agent", "UCCAPI/15.0"}, {"status", "200"}},
	},
	{
		name: "http/1.0 without fields, status without reason", transport: TCP, client: 50000, server: 80,
		steps: []flowStep{{ToServer, []byte("GET / HTTP/1.0\r\n\r\n"), ConfirmedMore}, {ToClient, []byte("HTTP/1.0 200\r\n\r\n"), Confirmed}},
		attrs: []Attr{{"method", "GET"}, {"status", "200"}},
	},
	{
		name: "upgrade refused", transport: TCP, client: 42671, server: 10080,
		steps: []flowStep{{ToServer, httpWebSocketGet, ConfirmedMore}, {ToClient, []byte("HTTP/1.1 400 Bad Request\r\nUpgrade: websocket\r\n\r\n"), Confirmed}},
		attrs: []Attr{{"method", "GET"}, {"host", "ws1.versatica.com:10080"}, {"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/40.0.2214.111 Safari/537.36"}, {"status", "400"}},
	},

	// Not HTTP/1.x: the version token decides.
	{name: "sip request", transport: TCP, client: 58882, server: 5060, steps: []flowStep{{ToServer, sipTCPRegister1, Violated}}},
	{name: "sip response", transport: TCP, client: 58882, server: 5060, steps: []flowStep{{ToClient, sipTCP200, Violated}}},
	{name: "rtsp request", transport: TCP, client: 50000, server: 554, steps: []flowStep{{ToServer, []byte("OPTIONS rtsp://media.example.com/a RTSP/1.0\r\nCSeq: 1\r\n\r\n"), Violated}}},
	{name: "rtsp response", transport: TCP, client: 50000, server: 554, steps: []flowStep{{ToClient, []byte("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n"), Violated}}},
	{name: "http/2 preface", transport: TCP, client: 50000, server: 80, steps: []flowStep{{ToServer, []byte(http2Preface), Violated}}},
	{name: "http/1.2", transport: TCP, client: 50000, server: 80, steps: []flowStep{{ToServer, []byte("GET / HTTP/1.2\r\n\r\n"), Violated}}},
	{name: "lowercase method", transport: TCP, client: 50000, server: 80, steps: []flowStep{{ToServer, []byte("get / HTTP/1.1\r\n\r\n"), Violated}}},
	{name: "blank target", transport: TCP, client: 50000, server: 80, steps: []flowStep{{ToServer, []byte("GET  HTTP/1.1\r\n\r\n"), Violated}}},
	{name: "status with letters", transport: TCP, client: 50000, server: 80, steps: []flowStep{{ToClient, []byte("HTTP/1.1 2OO OK\r\n\r\n"), Violated}}},
	{name: "cut inside the method", transport: TCP, client: 50000, server: 80, steps: []flowStep{{ToServer, []byte("GE"), Violated}}},
	{name: "request line goes on with junk", transport: TCP, client: 50000, server: 80, steps: []flowStep{
		{ToServer, []byte("GET /abs"), NeedMore},
		{ToServer, []byte("/x SIP/2.0\r\n\r\n"), Violated},
	}},
	{name: "other side speaks before the request line ends", transport: TCP, client: 50000, server: 80, steps: []flowStep{
		{ToServer, []byte("GET /abs"), NeedMore},
		{ToClient, []byte("HTTP/1.1 200 OK\r\n\r\n"), Violated},
	}},
}

func TestHTTP(t *testing.T) { runFlowCases(t, httpSig{}, httpCases) }

// http2Settings is an empty SETTINGS frame (RFC 9113 §6.5): what follows the
// client preface. No shared capture holds cleartext HTTP/2.
var http2Settings = []byte{0, 0, 0, 4, 0, 0, 0, 0, 0}

var http2Cases = []flowCase{
	{name: "preface and settings", transport: TCP, client: 50000, server: 80, steps: []flowStep{
		{ToServer, append([]byte(http2Preface), http2Settings...), Confirmed},
	}},
	{name: "preface in two segments", transport: TCP, client: 50000, server: 80, steps: []flowStep{
		{ToServer, []byte(http2Preface[:16]), NeedMore},
		{ToServer, append([]byte(http2Preface[16:]), http2Settings...), Confirmed},
	}},
	{name: "preface in too many segments", transport: TCP, client: 50000, server: 80, steps: []flowStep{
		{ToServer, []byte(http2Preface[:4]), NeedMore},
		{ToServer, []byte(http2Preface[4:8]), NeedMore},
		{ToServer, []byte(http2Preface[8:12]), Violated},
	}},
	{name: "other side speaks before the preface ends", transport: TCP, client: 50000, server: 80, steps: []flowStep{
		{ToServer, []byte(http2Preface[:16]), NeedMore},
		{ToClient, http2Settings, Violated},
	}},
	{name: "http/1.1 request", transport: TCP, client: 54422, server: 80, steps: []flowStep{{ToServer, httpTwoVLANGet, Violated}}},
	{name: "pri with http/1.1", transport: TCP, client: 50000, server: 80, steps: []flowStep{{ToServer, []byte("PRI * HTTP/1.1\r\n\r\n"), Violated}}},
	{name: "preface goes on wrong", transport: TCP, client: 50000, server: 80, steps: []flowStep{
		{ToServer, []byte(http2Preface[:16]), NeedMore},
		{ToServer, []byte("\r\nXM\r\n\r\n"), Violated},
	}},
}

func TestHTTP2(t *testing.T) { runFlowCases(t, http2Sig{}, http2Cases) }

// FuzzHTTP feeds arbitrary bytes to the HTTP signature as up to four
// payloads.
func FuzzHTTP(f *testing.F) {
	for _, seed := range [][]byte{httpTwoVLANGet, httpTwoVLAN200, httpWebSocketGet, httpWebSocket101, httpErspan401, httpSLL2Get, sipTCPRegister1} {
		f.Add(seed, uint16(0), uint16(0), uint16(0), uint8(0b0010))
		f.Add(seed, uint16(len(seed)/4), uint16(len(seed)/3), uint16(0), uint8(0b0100))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2, cut3 uint16, dirs uint8) {
		checkAnswers(t, httpSig{}, TCP, 50000, 80, cutInFour(data, [3]uint16{cut1, cut2, cut3}, dirs))
	})
}

// FuzzHTTP2 feeds arbitrary bytes to the HTTP/2 preface matcher as up to
// four payloads.
func FuzzHTTP2(f *testing.F) {
	f.Add(append([]byte(http2Preface), http2Settings...), uint16(0), uint16(0), uint16(0), uint8(0))
	f.Add([]byte(http2Preface), uint16(5), uint16(9), uint16(0), uint8(0))
	f.Add(httpTwoVLANGet, uint16(0), uint16(0), uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2, cut3 uint16, dirs uint8) {
		checkAnswers(t, http2Sig{}, TCP, 50000, 80, cutInFour(data, [3]uint16{cut1, cut2, cut3}, dirs))
	})
}

// BenchmarkHTTP measures the HTTP signature on a payload it rejects (SIP),
// one it waits on (a request line cut short) and one it names.
func BenchmarkHTTP(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{{"sip", sipTCPRegister1}, {"cut-request-line", []byte("GET /abs/Handler/0123456789")}, {"get", httpTwoVLANGet}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			var s State
			for b.Loop() {
				s.Reset(TCP, 54422, 80)
				httpSig{}.Inspect(&s, ToServer, c.data)
			}
		})
	}
}

// BenchmarkHTTP2 measures the preface matcher on HTTP/1.1 and on the
// preface.
func BenchmarkHTTP2(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{{"http1", httpTwoVLANGet}, {"preface", []byte(http2Preface)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var s State
			for b.Loop() {
				s.Reset(TCP, 50000, 80)
				http2Sig{}.Inspect(&s, ToServer, c.data)
			}
		})
	}
}
