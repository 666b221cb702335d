package decoders

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// Payloads copied from captures. The comment above each names the file,
// the frame (tshark's numbering) and tshark's one-line summary; payloads
// from the generated sample (../testdata/sample.pcapng) name the flow
// instead, as its frame numbers move when the generator changes.
const (
	// ../testdata/sample.pcapng, 10.20.0.21:55177 → 10.10.1.10:5061, payload 1:
	// TLSv1.2 Client Hello (SChannel, SNI pool01.contoso.local)
	hexSampleClientHello = `16030300b8010000b4030369a67bd3324875a87a13d8d5a9dbd09959855894bf6b8272d6dc517824a89a66
		000030c028c027c014c013009f009e009d009cc02cc02bc024c023c00ac009003d003c0035002f006a004000380032000a0013
		0100005b000000190017000014706f6f6c30312e636f6e746f736f2e6c6f63616c000500050100000000000a000600040017
		0018000b00020100000d001400120401050102010403050302030402020206010023000000170000ff01000100`

	// ndpi/tls_client_certificate_with_missing_server_one.pcapng frame 3:
	// 192.168.1.128 → 195.181.174.176 TLSv1 355 Client Hello (AnyDesk, ALPN, no SNI)
	hexAnyDeskClientHello = `160301011c010001180303dece7ed3573fd0ffc0677c9206100d254c53e244be707530b41435d1ed53613b000080c030c02c
		c028c024c014c00a00a500a300a1009f006b006a006900680039003800370036c032c02ec02ac026c00fc005009d003d0035
		c02fc02bc027c023c013c00900a400a200a0009e00670040003f003e0033003200310030c031c02dc029c025c00ec004009c
		003c002fc012c008001600130010000dc00dc003000a00ff0100006f000b000403000102000a001c001a00170019001c001b
		0018001a0016000e000d000b000c0009000a00230000000d0020001e06010602060305010502050304010402040303010302
		0303020102020203000f00010100100016001413616e796465736b2f362e322e302f6c696e7578`

	// pcapplusplus/many_interfaces-1.pcapng frame 27:
	// 192.168.1.139 → 74.125.228.227 TLSv1 583 Client Hello (Chrome, session ticket, padding)
	hexChromeClientHello = `1603010200010001fc0303f091bc873eed9dcc984a6a2e843f5c1d9ba9e9dff65c48e8173d49b9a7b41b19206e552ac27e89
		b4141129e5e5ebf02f68cab616f6ef0a82f916c853f68dd51b500022c02bc02f009ecc14cc13cc15c00ac0140039c009c013
		0033009c0035002f000a00ff01000191000000180016000013636c69656e7473362e676f6f676c652e636f6d001700000023
		00b4e9e54f1af46d30795e25a9662c1395b3f399d9deb75473888ba4f38d06af01bde534e125c835ed9735bc1e04a1740617
		d3a1f446c63ffa59d9a0fb46bdac3f337e644435a30bbfaa010bb01eb96a7e2da8fc837689b88ea6380ee686a4f32f178eb2
		8a22a4daf727257187fdb661b50a89a36db12e1a7e60c8ad1681bd0502cc0462c273a94d75901a644edeb991d45a1b0d6e4d
		45e9c1b149cf1f385b17308f4863928bf2738fb846c354e1de4336dcd9ab6ee9000d00160014060106030501050304010403
		030103030201020300050005010000000033740000001200000010001d001b08687474702f312e3108737064792f332e3105
		68322d3134026832000b00020100000a00060004001700180015005900000000000000000000000000000000000000000000
		0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
		0000000000000000000000000000000000`

	// pcapplusplus/many_interfaces-1.pcapng frame 29:
	// 74.125.228.227 → 192.168.1.139 TLSv1.2 212 Server Hello, Change Cipher Spec, Encrypted Handshake Message
	hexChromeResumed = `160303005a02000056030355d0e5ffab64a22ffb4867a5ad7e3859f0b73bcb359332ff405ae35de2dbe2dc206e552ac27e89
		b4141129e5e5ebf02f68cab616f6ef0a82f916c853f68dd51b50c02b00000eff010001000010000500030268321403030001
		011603030028000000000000000010a0e185c97fa3826707af1adabc338d7720276536b27bf63d6ac1cdaf0c4874`

	// pcapplusplus/many_interfaces-1.pcapng frames 32 and 33:
	// 192.168.1.139 → 74.125.228.227 TLSv1.2 119 Application Data, and 116 Application Data
	hexAppData1 = `1703030030000000000000000151982a12b05e2e3529ba2dd63fb5aaba77b604c2e45b2206c67f0525011884e6bd1f18e1ce118307`
	hexAppData2 = `170303002d0000000000000002f0bcfa7bfe228d11111b0b72db65efb65f2c8c049be787ba5abd621728dc3933fff65e4a2b`

	// ../testdata/sample.pcapng, 10.20.0.21:55181 → 10.40.0.5:443, payloads 1 to 3 and 7:
	// TLSv1 104 Client Hello; TLSv1 137 Server Hello, Server Hello Done (the MS-TURN
	// pseudo-TLS hellos); Ignored Unknown Record (an MS-TURN Allocate in 02 00 framing);
	// 03 00 framing around SRTP.
	hexPseudoClientHello = `160301002d01000029030194854598135211dd6e52dad41e5b1cc479be934f3b126f0894e245628e0ff43200000200180100`
	hexPseudoServerHello = `160301004e020000460301ea10990393b9ad59afca0575885874776c7634cb9eb214399c2dcfdc295ea43520
		8bda9b84bd502bdb29300e6b3eb93f2ef856f6aee60b0592bd6484611c8378c90018000e000000`
	hexFramedAllocate = `020000240003001031025f24b28a05ab5bc4d6d5f375731d000f000472c64bc68008000400000002`
	hexFramedMedia1   = `0300005a80e86487c3ae648aa8fcaca2ddb69532693f3a088f66c9c63880047ff051525b7c9f08d1a84125341695f3bf5b10d9a8
		6694043b2b1eaf4a3273df93c5d35490e5cb44583b6b42e0c2996597f5e630349fb630f5c994292cc177`
	hexFramedMedia2 = `0300005580686488c3ae65caa8fcaca2dad1b2a7a67dcc4ffc3b72132b02e3aae6b15c5d0d38de8746f1fd3ca857d7fd7030d97966
		1e20c71ef06a9a7fd637275350747ec8066bdb60db322935e3b4cf3442d58cca56d3dc00`

	// libnice socket/pseudossl.c SSL_CLIENT_MSOC_HANDSHAKE: the pseudo-TLS
	// ClientHello libnice sends to OCS/Lync edges.
	hexLibniceMSOCHello = `160301002d010000290301c1fcd5a36d93dd7e0b45673fec7985fbbc3fd660c2ce8485081b8121bcaa10fb00000200180100`

	// libnice socket/pseudossl.c SSL_CLIENT_GOOGLE_HANDSHAKE: the SSLv2-format
	// pseudo-SSL hello of Google-style ICE-TCP (16-byte challenge), not TLS.
	hexGooglePseudoSSL = `8046010301002d000000100100800300800700c006004002008004008000000400feff00000a00fefe000009
		0000640000620000030000061f170ca62f0078fc46552eb18339f1ea`

	// Crafted from RFC 5246 Appendix E.2: an SSLv2-format ClientHello from a
	// TLS 1.0 client, seven cipher specs, no session ID, a 32-byte challenge.
	hexSSLv2ClientHello = `803e0103010015000000200000390000380000350000330000320000040000054f6e652074776f20746872
		656520666f75722066697665207369782073657665`

	// ../testdata/sample.pcapng, 10.10.1.11:52561 → 10.10.1.12:448, payload 1:
	// the .NET Message Framing preamble, upgrade to application/ssl-tls.
	hexNetTCPPreamble = `0001000102023e6e65742e7463703a2f2f666530322e636f6e746f736f2e6c6f63616c3a3434382f4c532f5044502f42616e64
		7769647468506f6c69637953657276696365030809136170706c69636174696f6e2f73736c2d746c73`

	// ../testdata/sample.pcapng, 10.20.0.250:57485 → 10.10.2.10:3389, payloads 1 and 2:
	// RDP X.224 Connection Request and Confirm in TPKT (03 00, a length that counts itself).
	hexRDPRequest = `0300002f2ae00000000000436f6f6b69653a206d737473686173683d61646d696e697374720d0a010008000b000000`
	hexRDPConfirm = `030000130ed00000123400021f080002000000`

	// arkime/twovlan.pcap frame 4: HTTP GET / HTTP/1.1 (wget).
	hexHTTPGet = `474554202f20485454502f312e310d0a557365722d4167656e743a20576765742f312e313520286c696e75782d676e75290d0a
		4163636570743a202a2f2a0d0a486f73743a20787878787878782e7878782e7878780d0a436f6e6e656374696f6e3a204b6565
		702d416c6976650d0a0d0a`

	// suricata-verify/sip-tcp-method/sip-tcp.pcap frame 4: SIP REGISTER over TCP (first segment).
	hexSIPRegister = `5245474953544552207369703a3139322e3136382e34332e3130303b7472616e73706f72743d544350205349502f322e300d0a
		5669613a205349502f322e302f544350203139322e3136382e34332e313a34383337363b6272616e63683d7a39684734624b2d
		3532343238372d312d2d2d646366346564646661663966313233393b72706f72740d0a`

	// zeek/dce-rpc/kerberos135_auth.pcapng frame 4: DCE/RPC Bind (first 64 bytes).
	hexDCERPCBind = `05000b0310000000b407380708000000d016d016000000000200000000000100a001000000000000c000000000000046000000
		00045d888aeb1cc9119fe808002b10486002`

	// ndpi/stun_dtls_rtp.pcapng frame 44: 192.168.12.182 → 142.250.82.249 STUN 82
	// Allocate Request UDP (RFC 5766 TURN over TCP, no MS-TURN magic cookie attribute).
	hexTURNOverTCP = `000300082112a4424d7a4a354c76737264656c630019000411000000`
)

func TestTLSSignature(t *testing.T) {
	runFlowCases(t, tlsSig{}, []flowCase{
		{
			name:      "schannel client hello with sni",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexSampleClientHello), ConfirmedMore}},
			detail:    map[string]string{"sni": "pool01.contoso.local"},
		},
		{
			name:      "client hello with alpn and no sni",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexAnyDeskClientHello), ConfirmedMore}},
			detail:    map[string]string{"alpn": "anydesk/6.2.0/linux"},
		},
		{
			name:      "resumed session: abbreviated handshake",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexChromeClientHello), ConfirmedMore}, {ToClient, unhex(hexChromeResumed), Confirmed}},
			detail: map[string]string{"sni": "clients6.google.com", "alpn": "http/1.1,spdy/3.1,h2-14,h2",
				"version": "1.2", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
			cert: CertUnknown,
		},
		{
			name:      "client hello seen from the server side (orientation wrong)",
			transport: TCP,
			steps:     []flowStep{{ToClient, unhex(hexChromeClientHello), ConfirmedMore}, {ToServer, unhex(hexChromeResumed), Confirmed}},
			detail: map[string]string{"sni": "clients6.google.com", "alpn": "http/1.1,spdy/3.1,h2-14,h2",
				"version": "1.2", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		},
		{
			name:      "server hello first (client hello not captured)",
			transport: TCP,
			steps:     []flowStep{{ToClient, unhex(hexChromeResumed), Confirmed}},
			detail:    map[string]string{"version": "1.2", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		},
		{
			name:      "mid-stream application data",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexAppData1), NeedMore}, {ToServer, unhex(hexAppData2), Confirmed}},
		},
		{
			name:      "bare record header, then the hello",
			transport: TCP,
			steps: []flowStep{{ToServer, unhex(hexSampleClientHello[:10]), NeedMore},
				{ToServer, unhex(hexSampleClientHello[10:]), ConfirmedMore}},
			detail: map[string]string{"sni": "pool01.contoso.local"},
		},
		{
			name:      "client hello in three pieces",
			transport: TCP,
			steps: []flowStep{{ToServer, unhex(hexSampleClientHello[:14]), NeedMore},
				{ToServer, unhex(hexSampleClientHello[14:40]), NeedMore},
				{ToServer, unhex(hexSampleClientHello[40:]), ConfirmedMore}},
			detail: map[string]string{"sni": "pool01.contoso.local"},
		},
		{
			name:      "sslv2-format client hello, then a tls server hello",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexSSLv2ClientHello), ConfirmedMore}, {ToClient, unhex(hexChromeResumed), Confirmed}},
			detail:    map[string]string{"version": "1.2", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		},
		{
			name:      "sslv2 server hello",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexSSLv2ClientHello), ConfirmedMore}, {ToClient, unhex("801e0400010002000000030010010080000102030405060708090a0b0c0d0e0f"), Confirmed}},
			detail:    map[string]string{"version": "ssl2"},
		},
		{name: "ms-turn pseudo-tls client hello", transport: TCP, steps: []flowStep{{ToServer, unhex(hexPseudoClientHello), Violated}}},
		{name: "libnice msoc pseudo-tls hello", transport: TCP, steps: []flowStep{{ToServer, unhex(hexLibniceMSOCHello), Violated}}},
		{name: "ms-turn pseudo-tls server hello", transport: TCP, steps: []flowStep{{ToClient, unhex(hexPseudoServerHello), Violated}}},
		{name: "google pseudo-ssl hello", transport: TCP, steps: []flowStep{{ToServer, unhex(hexGooglePseudoSSL), Violated}}},
		{name: "ms-turn tcp framing", transport: TCP, steps: []flowStep{{ToServer, unhex(hexFramedAllocate), Violated}}},
		{name: "net.tcp preamble", transport: TCP, steps: []flowStep{{ToServer, unhex(hexNetTCPPreamble), Violated}}},
		{name: "rdp tpkt", transport: TCP, steps: []flowStep{{ToServer, unhex(hexRDPRequest), Violated}}},
		{name: "http get", transport: TCP, steps: []flowStep{{ToServer, unhex(hexHTTPGet), Violated}}},
		{name: "sip register", transport: TCP, steps: []flowStep{{ToServer, unhex(hexSIPRegister), Violated}}},
		{name: "dce/rpc bind", transport: TCP, steps: []flowStep{{ToServer, unhex(hexDCERPCBind), Violated}}},
		{name: "turn over tcp", transport: TCP, steps: []flowStep{{ToServer, unhex(hexTURNOverTCP), Violated}}},
		{
			name:      "application data then garbage",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexAppData1), NeedMore}, {ToClient, unhex(hexHTTPGet), Violated}},
		},
		{
			name:      "record version changes mid-stream",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex(hexAppData1), NeedMore}, {ToClient, unhex("1703010005" + "0102030405"), Violated}},
		},
		{
			name:      "empty client hello",
			transport: TCP,
			steps:     []flowStep{{ToServer, unhex("160303000401000000"), Violated}},
		},
		{
			name:      "capture begins inside a handshake",
			transport: TCP,
			steps:     []flowStep{{ToClient, unhex("16030300040e000000"), NeedMore}, {ToServer, unhex(hexAppData1), Confirmed}},
		},
		{
			name:      "hello too short to judge, budget runs out",
			transport: TCP,
			steps: []flowStep{{ToServer, unhex(hexSampleClientHello[:20]), NeedMore}, {ToClient, unhex(hexSampleClientHello[:20]), NeedMore},
				{ToServer, unhex("00"), NeedMore}, {ToClient, unhex("00"), Violated}},
		},
	})
}

// TestTLSCaptureFlows follows whole flows of the shared captures whose
// server flights are too long to copy here.
func TestTLSCaptureFlows(t *testing.T) {
	dir := capturesDir(t)
	for _, tc := range []captureFlowCase{
		{
			// Frames 3 (Client Hello), 5 (Server Hello, the rest of the
			// server's flight not captured) and 8 (Certificate, Client Key
			// Exchange, Certificate Verify…): the client sent a certificate.
			name: "client certificate, server flight cut", file: "ndpi/tls_client_certificate_with_missing_server_one.pcapng",
			port: 48260, sig: tlsSig{}, want: Confirmed, cert: CertSent,
			detail: map[string]string{"alpn": "anydesk/6.2.0/linux", "version": "1.2", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
		},
		{
			// Frames 13 (Client Hello) and 17 (Certificate…): no server flight at all.
			name: "client certificate, server flight missing", file: "ndpi/tls_client_certificate_with_missing_server_one.pcapng",
			port: 59754, sig: tlsSig{}, want: Confirmed, cert: CertSent, detail: map[string]string{},
		},
		{
			// Frames 18 (Client Hello), 20…26 (Server Hello, Certificate,
			// Certificate Status, Server Key Exchange, Server Hello Done).
			name: "no certificate request", file: "ndpi/teams.pcap", port: 60533, sig: tlsSig{}, want: Confirmed,
			cert: CertNotRequested,
			detail: map[string]string{"sni": "teams.microsoft.com", "alpn": "h2,http/1.1", "version": "1.2",
				"cipher": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		},
		{
			// Frame 68 (Client Hello), then 69 (the server's, after a segment
			// the capture missed): the server's side is lost, but the client's
			// Client Key Exchange (frame 78) with no Certificate before it
			// says no certificate was asked for.
			name: "server segment missing", file: "ndpi/teams.pcap", port: 60534, sig: tlsSig{}, want: Confirmed,
			cert:   CertNotRequested,
			detail: map[string]string{"sni": "login.microsoftonline.com", "alpn": "h2,h2-16,h2-15,h2-14,spdy/3.1,spdy/3,http/1.1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, dir) })
	}
}

// captureFlowCase is a flow of a shared capture, found by a port of either
// side, fed whole to one signature.
type captureFlowCase struct {
	name      string
	file      string
	transport Transport // when sig accepts both
	port      uint16
	sig       Signature
	want      Answer
	cert      CertStatus
	detail    map[string]string
}

func (tc captureFlowCase) run(t *testing.T, dir string) {
	t.Helper()
	for _, f := range captureFlows(t, filepath.Join(dir, tc.file)) {
		if f.Client.Port() != tc.port && f.Server.Port() != tc.port || f.Transport != tc.flowTransport() {
			continue
		}
		in := InspectFlow(tc.sig, f, InspectBudget)
		if got := in.Last(); got != tc.want {
			t.Errorf("%v: %v, want %v", f, got, tc.want)
		}
		checkDetail(t, &in.State.Detail, tc.detail, tc.cert)
		return
	}
	t.Fatalf("no flow on port %d in %s", tc.port, tc.file)
}

func (tc captureFlowCase) flowTransport() Transport {
	if tc.transport == 0 && tc.sig.Accepts(TCP) {
		return TCP
	}
	if tc.transport == 0 {
		return UDP
	}
	return tc.transport
}

// TestTLSLiveHandshakes runs crypto/tls handshakes over loopback TCP,
// records what each side writes, cuts it into segments and feeds them to
// the signature: real bytes of TLS 1.3, mutual TLS 1.2, resumption.
func TestTLSLiveHandshakes(t *testing.T) {
	if testing.Short() {
		t.Skip("opens loopback connections: skipped with -short")
	}
	serverCert, clientCert := liveCertificate(t, "pool01.contoso.local"), liveCertificate(t, "fe01.contoso.local")
	cache := tls.NewLRUClientSessionCache(4)
	mss := func(n int) func([]byte) [][]byte {
		return func(b []byte) [][]byte {
			var out [][]byte
			for len(b) > 0 {
				k := min(n, len(b))
				out = append(out, b[:k])
				b = b[k:]
			}
			return out
		}
	}
	// headerCuts cuts each write inside its first record header and, a
	// few bytes on, inside the first handshake message header.
	headerCuts := func(b []byte) [][]byte {
		if len(b) < 8 {
			return [][]byte{b}
		}
		return [][]byte{b[:3], b[3:7], b[7:]}
	}
	for _, tc := range []struct {
		name      string
		max       uint16
		auth      tls.ClientAuthType
		clientCrt bool
		resume    bool
		cut       func([]byte) [][]byte
		alpn      bool
		cert      CertStatus
	}{
		{name: "tls1.3", max: tls.VersionTLS13, cut: mss(1448), alpn: true, cert: CertHidden},
		{name: "tls1.3 hello in small segments", max: tls.VersionTLS13, cut: mss(700), alpn: true, cert: CertHidden},
		{name: "tls1.3 mutual", max: tls.VersionTLS13, auth: tls.RequireAnyClientCert, clientCrt: true, cut: mss(1448), cert: CertHidden},
		{name: "tls1.2 mutual", max: tls.VersionTLS12, auth: tls.RequireAnyClientCert, clientCrt: true, cut: mss(1448), cert: CertSent},
		{name: "tls1.2 mutual, headers cut", max: tls.VersionTLS12, auth: tls.RequireAnyClientCert, clientCrt: true, cut: headerCuts, cert: CertSent},
		{name: "tls1.2 requested, none sent", max: tls.VersionTLS12, auth: tls.RequestClientCert, cut: mss(1448), cert: CertEmpty},
		{name: "tls1.2 not requested", max: tls.VersionTLS12, cut: mss(1448), alpn: true, cert: CertNotRequested},
		{name: "tls1.2 resumed", max: tls.VersionTLS12, resume: true, cut: mss(1448), cert: CertUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server := &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tc.auth, MaxVersion: tc.max}
			client := &tls.Config{ServerName: "pool01.contoso.local", InsecureSkipVerify: true, MaxVersion: tc.max,
				ClientSessionCache: cache}
			if tc.alpn {
				server.NextProtos, client.NextProtos = []string{"h2"}, []string{"h2", "http/1.1"}
			}
			if tc.clientCrt {
				client.Certificates = []tls.Certificate{clientCert}
			}
			if tc.resume {
				liveHandshake(t, server, client) // fills the session cache
			}
			log, state := liveHandshake(t, server, client)
			if tc.resume && !state.DidResume {
				t.Fatal("crypto/tls did not resume the session")
			}
			want := map[string]string{
				"sni":     "pool01.contoso.local",
				"version": tlsVersionName(state.Version),
				"cipher":  cipherSuiteName(state.CipherSuite),
			}
			if tc.alpn {
				want["alpn"] = "h2,http/1.1"
			}
			var s State
			s.Reset(TCP, 50123, 5061)
			got := NeedMore
			for _, w := range log {
				for _, seg := range tc.cut(w.data) {
					if s.Payloads[0]+s.Payloads[1] == 16 || got == Confirmed || got == Violated {
						break
					}
					got = (tlsSig{}).Inspect(&s, w.dir, seg)
					s.Payloads[w.dir]++
				}
			}
			if got != Confirmed {
				t.Errorf("%v after %d payloads, want %v", got, s.Payloads[0]+s.Payloads[1], Confirmed)
			}
			checkDetail(t, &s.Detail, want, tc.cert)
		})
	}
}

// liveWrite is one Write of one side of a TLS connection.
type liveWrite struct {
	dir  Dir
	data []byte
}

// liveRecorder logs the writes of both sides, in the order they happen.
type liveRecorder struct {
	mu  sync.Mutex
	log []liveWrite
}

// recordingConn logs what is written to a connection before writing it.
type recordingConn struct {
	net.Conn
	dir Dir
	rec *liveRecorder
}

func (c recordingConn) Write(b []byte) (int, error) {
	c.rec.mu.Lock()
	c.rec.log = append(c.rec.log, liveWrite{c.dir, append([]byte(nil), b...)})
	c.rec.mu.Unlock()
	return c.Conn.Write(b)
}

// liveHandshake connects a crypto/tls client to a server over loopback,
// exchanges a line each way and returns every write and the client's
// view of the connection.
func liveHandshake(t *testing.T, server, client *tls.Config) ([]liveWrite, tls.ConnectionState) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback TCP: %v", err)
	}
	defer ln.Close()
	rec := new(liveRecorder)
	errc := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		sc := tls.Server(recordingConn{c, ToClient, rec}, server)
		buf := make([]byte, 5)
		if _, err := sc.Read(buf); err != nil {
			errc <- err
			return
		}
		_, err = sc.Write([]byte("pong\n"))
		errc <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cc := tls.Client(recordingConn{c, ToServer, rec}, client)
	if err := cc.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := cc.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.log, cc.ConnectionState()
}

// liveCertificate returns a self-signed ECDSA certificate for name.
func liveCertificate(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLSStateSize(t *testing.T) {
	// The State of every flow under inspection holds one; keep it small.
	if n := unsafe.Sizeof(tlsState{}); n > 48 {
		t.Errorf("tlsState is %d bytes, want at most 48", n)
	}
}

func TestTLSAllocations(t *testing.T) {
	hello, appData := unhex(hexSampleClientHello), unhex(hexAppData1)
	http := unhex(hexHTTPGet)
	for _, tc := range []struct {
		name     string
		payloads [][]byte
	}{
		{"violated", [][]byte{http}},
		{"need more", [][]byte{appData}},
		{"hello, header only", [][]byte{hello[:5]}},
	} {
		var s State
		allocs := testing.AllocsPerRun(100, func() {
			s.Reset(TCP, 50123, 443)
			for _, p := range tc.payloads {
				(tlsSig{}).Inspect(&s, ToServer, p)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, allocs)
		}
	}
}

func BenchmarkTLS(b *testing.B) {
	for _, bc := range []struct {
		name    string
		payload []byte
	}{
		{"client-hello", unhex(hexSampleClientHello)},
		{"app-data", unhex(hexAppData1)},
		{"http", unhex(hexHTTPGet)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.payload)))
			var s State
			for b.Loop() {
				s.Reset(TCP, 50123, 443)
				(tlsSig{}).Inspect(&s, ToServer, bc.payload)
			}
		})
	}
}

// FuzzTLS feeds payloads cut from the fuzzed input to the signature, in
// alternating directions.
func FuzzTLS(f *testing.F) {
	for _, seed := range []string{hexSampleClientHello, hexAnyDeskClientHello, hexChromeClientHello + hexChromeResumed,
		hexAppData1 + hexAppData2, hexSSLv2ClientHello, hexPseudoClientHello + hexPseudoServerHello, hexGooglePseudoSSL} {
		data := unhex(seed)
		f.Add(data, uint16(len(data)/2))
		f.Add(data, uint16(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		checkAnswers(t, tlsSig{}, TCP, 50123, 443, alternating(data, cut, 251), settled, emptyValues)
	})
}

// FuzzTLSHello checks the hello parsers on their own: a prefix of a
// well-formed hello is never judged bad (what lets a signature confirm on
// the first segment of a hello cut in several), and what they return
// points into the input.
func FuzzTLSHello(f *testing.F) {
	for _, seed := range []string{hexSampleClientHello, hexAnyDeskClientHello, hexChromeClientHello, hexChromeResumed} {
		rec := unhex(seed)
		f.Add(rec[9:], uint16(60), uint8(0))
		f.Add(rec[9:], uint16(200), uint8(2))
	}
	dtls := unhex(hexDTLSClientHello)
	f.Add(dtls[25:], uint16(70), uint8(1))
	f.Add(unhex(hexDTLSHelloVerify)[25:], uint16(3), uint8(4))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16, kind uint8) {
		parse := func(b []byte, complete bool) helloInfo {
			switch kind % 5 {
			case 0:
				return parseClientHello(b, complete, false)
			case 1:
				return parseClientHello(b, complete, true)
			case 2:
				return parseServerHello(b, complete, false)
			case 3:
				return parseServerHello(b, complete, true)
			}
			return parseHelloVerify(b, complete)
		}
		full := parse(b, true)
		if full.verdict == helloShort {
			t.Fatalf("a complete hello judged short")
		}
		k := int(cut) % (len(b) + 1)
		if part := parse(b[:k], false); full.verdict == helloOK && part.verdict == helloBad {
			t.Fatalf("hello OK, its first %d bytes bad", k)
		}
		for _, v := range [][]byte{full.sni, full.alpn} {
			if len(v) > 0 && !within(v, b) {
				t.Fatalf("value %x does not point into the hello", v)
			}
		}
		if full.alpn != nil && len(alpnList(full.alpn)) > tlsMaxDetail {
			t.Fatalf("alpn list longer than %d bytes", tlsMaxDetail)
		}
	})
}
