package decoders

import "testing"

// oobInput is a short or truncated payload that a signature must survive
// without panicking, whatever it answers.
type oobInput struct {
	name    string
	payload []byte
}

// oobCommon are fed to every signature, on each transport it accepts and
// in both directions.
var oobCommon = []oobInput{
	{"empty", nil},
	{"one zero byte", []byte{0}},
	{"one 0xff byte", []byte{0xff}},
	{"two bytes", []byte{0x16, 0x03}},
	{"four zero bytes", make([]byte, 4)},
	{"sixteen 0xff bytes", []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")},
}

// oobRows are each signature's own short inputs, keyed by the protocol it
// names: headers alone, and headers whose lengths promise more than
// follows. Add a row per past crash.
var oobRows = map[Protocol][]oobInput{
	DCERPC: {
		{"header prefix", []byte{5, 0, rpcBind, 3, 0x10, 0, 0, 0}},
		{"bind header only", []byte{5, 0, rpcBind, 3, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0}},
		{"bind cut in its context list", []byte{5, 0, rpcBind, 3, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0, 0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0}},
		{"auth trailer promised", []byte{5, 0, rpcRequest, 3, 0x10, 0, 0, 0, 0xff, 0xff, 0xf0, 0xff, 1, 0, 0, 0}},
	},
	NetTCP: {
		{"version and mode", []byte{0, 1, 0, 1, 2}},
		{"via type only", []byte{0, 1, 0, 1, 2, 2}},
		{"via size only", []byte{0, 1, 0, 1, 2, 2, 0x80}},
		{"via size of five bytes", []byte{0, 1, 0, 1, 2, 2, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"encoding type only", append([]byte{0, 1, 0, 1, 2, 2, 4}, "a://\x03"...)},
		{"upgrade size only", append([]byte{0, 1, 0, 1, 2, 2, 4}, "a://\x03\x08\x09\x85"...)},
	},
	SQLBrowser: {
		{"response type only", []byte{sqlbResp}},
		{"response size only", []byte{sqlbResp, 0xff, 0xff}},
		{"response of one semicolon", []byte{sqlbResp, 1, 0, ';'}},
		{"instance request without name", []byte{sqlbUcastIns}},
		{"dac request without version", []byte{sqlbUcastDAC}},
	},
	TDS: {
		{"header prefix", []byte{tdsPrelogin, 1, 0}},
		{"prelogin header only", []byte{tdsPrelogin, 1, 0, 8, 0, 0, 1, 0}},
		{"prelogin promising more", []byte{tdsPrelogin, 1, 0x7f, 0xff, 0, 0, 1, 0, 0}},
		{"prelogin option cut", []byte{tdsPrelogin, 1, 0, 11, 0, 0, 1, 0, 0, 0, 9}},
	},
	TLS: {
		{"record header only", []byte{tlsHandshake, 3, 1, 0, 0x2d}},
		{"hello header only", []byte{tlsHandshake, 3, 3, 0, 4, hsClientHello, 0, 0, 0}},
		{"hello promising more", []byte{tlsHandshake, 3, 3, 0xff, 0xff, hsClientHello, 0xff, 0xff, 0xff, 3, 3}},
		{"server hello cut at the session id", append([]byte{tlsHandshake, 3, 3, 0, 0x30, hsServerHello, 0, 0, 0x2c, 3, 3}, make([]byte, 33)...)},
		{"certificate header cut", []byte{tlsHandshake, 3, 3, 0, 2, hsCertificate, 0}},
		{"sslv2 header only", []byte{0x80, 0x3e, hsClientHello}},
		{"sslv2 lengths only", []byte{0x80, 0x3e, hsClientHello, 3, 1, 0, 0x15, 0, 0, 0, 0x20}},
		{"application data header", []byte{tlsApplicationData, 3, 3, 0x40, 0}},
	},
	DTLS: {
		{"record header only", []byte{tlsHandshake, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x90}},
		{"fragment header only", []byte{tlsHandshake, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, hsClientHello, 0, 0, 0x84, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"fragment past its message", []byte{tlsHandshake, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, hsServerHello, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 3}},
		{"hello verify without cookie", []byte{tlsHandshake, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, hsHelloVerify, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0xfe, 0xff}},
	},
	MSTURN: {
		{"draft-stun header only", []byte{0, 3, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"magic cookie attribute cut", []byte{0, 3, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0, 4, 0x72}},
		{"attribute promising more", []byte{0, 3, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0, 4, 0x72, 0xc6, 0x4b, 0xc6, 0x80, 0x08, 0xff, 0xff}},
		{"tcp frame header only", []byte{msturnControl, 0, 0, 0x24}},
		{"tcp frame header cut", []byte{msturnData, 0}},
		{"multiplexed header only", []byte{0xff, 0x10, 0, 8}},
		{"pseudo-tls hello cut", []byte(pseudoClientHead)},
	},
	SIP: {
		{"start line only", []byte("INVITE sip:bob@contoso.com SIP/2.0\r\n")},
		{"status line only", []byte("SIP/2.0 200 OK\r\n")},
		{"status line cut", []byte("SIP/2.0 2")},
		{"lone cr", []byte("\r")},
		{"via without a transport", []byte("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/\r\n")},
		{"content-length past the end", []byte("SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 99999999\r\n\r\n")},
		{"content-length overflowing", []byte("SIP/2.0 200 OK\r\ni: x\r\nl: 999999999999999999999999\r\n\r\nSIP/2.0 ")},
	},
	HTTP: {
		{"method and space", []byte("GET ")},
		{"status line cut", []byte("HTTP/1.1 ")},
		{"request line only", []byte("GET / HTTP/1.1\r\n")},
		{"upgrade name only", []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade:")},
	},
	HTTP2: {
		{"preface cut", []byte("PRI * HTTP/2.0\r\n")},
	},
	DNS: {
		{"header only", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}},
		{"tcp length only", []byte{0, 0x20}},
		{"label promising more", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 'a'}},
		{"pointer cut", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0}},
		{"question without type", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0}},
		{"answer header cut", []byte{0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1}},
	},
	DHCP: {
		{"cookie only", dhcpFixedPart()},
		{"option code only", append(dhcpFixedPart(), dhcpOptType)},
		{"message type cut", append(dhcpFixedPart(), dhcpOptType, 1)},
		{"sip servers promising more", append(dhcpFixedPart(), dhcpOptSIP, 9, 0, 3, 'a')},
	},
	STUN: {
		{"header only", []byte("\x00\x01\x00\x00\x21\x12\xa4\x42\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"header promising attributes", []byte("\x00\x01\x00\x10\x21\x12\xa4\x42\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"attribute header cut", []byte("\x00\x01\x00\x08\x21\x12\xa4\x42\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00")},
		{"attribute promising more", []byte("\x00\x01\x00\x08\x21\x12\xa4\x42\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\xff\xff")},
		{"classic header only", []byte("\x00\x01\x00\x00\x01\x02\x03\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"rfc 4571 length only", []byte{0, 0x24}},
		{"rfc 4571 length and header cut", []byte{0, 0x24, 0, 1, 0, 0x10, 0x21, 0x12, 0xa4, 0x42}},
		{"channeldata header only", []byte{0x40, 0, 0, 0x10}},
	},
	RTP: {
		{"header only", []byte{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"csrc count past the end", []byte{0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}},
		{"extension header cut", []byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde}},
		{"extension promising more", []byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff}},
		{"rtcp header only", []byte{0x80, 0xc8, 0, 6}},
		{"rfc 4571 length only", []byte{0, 0x20}},
		{"rfc 4571 length and header cut", []byte{0, 0x20, 0x80, 0, 0}},
		{"ms-turn frame header only", []byte{3, 0, 0, 0x20}},
		{"ms-turn frame and header cut", []byte{3, 0, 0, 0x20, 0x80, 0}},
	},
	RTCP: {
		{"header only", []byte{0x80, 0xc9, 0, 1}},
		{"first packet promising more", []byte{0x80, 0xc8, 0, 0xff, 0, 0, 0, 1}},
		{"srtcp trailer only", []byte{0x80, 0xc9, 0, 1, 0, 0, 0, 1, 0x80, 0, 0, 1}},
		{"second header cut", []byte{0x80, 0xc9, 0, 1, 0, 0, 0, 1, 0x81, 0xca}},
	},
}

// TestSignatureShortInput feeds every signature empty, one-byte and
// header-only payloads, straight into Inspect with no recover in between:
// a panic fails the run.
func TestSignatureShortInput(t *testing.T) {
	for i := range NumSignatures {
		sig := SignatureAt(i)
		inputs := append(append([]oobInput(nil), oobCommon...), oobRows[sig.Protocol()]...)
		for _, tr := range []Transport{TCP, UDP} {
			if !sig.Accepts(tr) {
				continue
			}
			for _, in := range inputs {
				t.Run(sig.Protocol().String()+"/"+tr.String()+"/"+in.name, func(t *testing.T) {
					for _, port := range []uint16{0, 1434, 65535} {
						var s State
						s.Reset(tr, 49152, port)
						for n := range 3 {
							dir := Dir(n % 2)
							a := sig.Inspect(&s, dir, in.payload)
							s.Payloads[dir]++
							if a == Violated || a == Confirmed {
								break
							}
						}
					}
				})
			}
		}
	}
}
