package lyncgen

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// TestPayloadsParse reads every flow of the sample back and checks that
// its payload is what the truth says, with independent parsers: gopacket's
// layers for TLS records, SIP, DNS and DHCP, net/http for HTTP, and the
// byte layouts of the signature reference for the others.
func TestPayloadsParse(t *testing.T) {
	capture, truth := generate(t, SampleOptions())
	byFlow := flowFrames(readBack(t, capture, truth), len(truth.Flows))
	for i, ft := range truth.Flows {
		t.Run(fmt.Sprintf("%d-%v-%s", i, ft.Protocol, ft.Server), func(t *testing.T) {
			if err := checkPayload(byFlow[i], ft); err != nil {
				t.Errorf("%s (%s): %v", ft.Detail, ft.Server, err)
			}
		})
	}
}

func checkPayload(fs []seenFrame, ft FlowTruth) error {
	c, s := stream(fs, c2s), stream(fs, s2c)
	first := firstPayload(fs, c2s)
	switch ft.Protocol {
	case decoders.TLS:
		return checkTLSFlow(c, s, ft)
	case decoders.SIP:
		if ft.Transport == decoders.UDP {
			first = reassemble(fs)
		}
		return checkSIP(first, ft.Detail)
	case decoders.HTTP:
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c)))
		if err != nil {
			return err
		}
		if !strings.Contains(ft.Detail, strings.ToLower(req.Method)) {
			return fmt.Errorf("method %s not in the detail", req.Method)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(s)), req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	case decoders.DNS:
		for _, f := range fs {
			var d layers.DNS
			if err := d.DecodeFromBytes(f.payload, gopacket.NilDecodeFeedback); err != nil {
				return err
			}
			if len(d.Questions) != 1 || !strings.Contains(ft.Detail, string(d.Questions[0].Name)) {
				return fmt.Errorf("questions %v not in the detail", d.Questions)
			}
			if f.dir == s2c && (!d.QR || len(d.Answers) == 0) {
				return fmt.Errorf("response without answers")
			}
		}
	case decoders.DHCP:
		for _, f := range fs {
			var d layers.DHCPv4
			if err := d.DecodeFromBytes(f.payload, gopacket.NilDecodeFeedback); err != nil {
				return err
			}
			opts := map[layers.DHCPOpt]bool{}
			for _, o := range d.Options {
				opts[o.Type] = true
			}
			if !opts[layers.DHCPOptMessageType] || (f.dir == s2c && (!opts[43] || !opts[120])) {
				return fmt.Errorf("options %v lack 53, or 43 and 120 in a reply", d.Options)
			}
		}
	case decoders.STUN:
		for _, f := range fs {
			if err := checkSTUN(f.payload); err != nil {
				return err
			}
		}
	case decoders.MSTURN:
		return checkMSTURNFlow(fs, ft.Transport)
	case decoders.RTP, decoders.RTCP:
		return checkMedia(fs, ft)
	case decoders.DCERPC:
		if !bytes.HasPrefix(c, []byte{5, 0, rpcBind}) || int(binary.LittleEndian.Uint16(c[8:])) != len(c) ||
			!bytes.HasPrefix(s, []byte{5, 0, rpcBindAck}) || int(binary.LittleEndian.Uint16(s[8:])) != len(s) {
			return fmt.Errorf("not a bind and bind_ack: % x / % x", c[:min(len(c), 12)], s[:min(len(s), 12)])
		}
		if !bytes.Equal(c[32:48], uuidISystemActivator) {
			return fmt.Errorf("bind to % x, not ISystemActivator", c[32:48])
		}
	case decoders.NetTCP:
		if !bytes.HasPrefix(c, []byte{0, 1, 0, 1, 2, 2}) || !bytes.Contains(c, []byte("net.tcp://")) || !bytes.Contains(c, []byte("application/ssl-tls")) {
			return fmt.Errorf("preamble % x", c[:min(len(c), 16)])
		}
		if len(s) == 0 || s[0] != nmfUpgradeResponse {
			return fmt.Errorf("server did not answer 0x0a first")
		}
		return checkTLSRecords(c[len(netTCPPreamble(string(c[7:7+c[6]]))):])
	case decoders.SQLBrowser:
		if len(c) < 3 || c[0] != 4 || c[len(c)-1] != 0 || !strings.Contains(ft.Detail, string(c[1:len(c)-1])) {
			return fmt.Errorf("query % x", c)
		}
		if len(s) < 3 || s[0] != 5 || int(binary.LittleEndian.Uint16(s[1:]))+3 != len(s) || !bytes.HasPrefix(s[3:], []byte("ServerName;")) || !bytes.HasSuffix(s, []byte(";;")) {
			return fmt.Errorf("response %q", s)
		}
	case decoders.TDS:
		if len(c) < 8 || c[0] != tdsPrelogin || int(binary.BigEndian.Uint16(c[2:])) != len(c) || s[0] != tdsResponse {
			return fmt.Errorf("not a prelogin exchange")
		}
	case decoders.Unknown:
		return checkOther(c, s, first, ft)
	default:
		return fmt.Errorf("no check for protocol %v", ft.Protocol)
	}
	return nil
}

var sniRE = regexp.MustCompile(`sni ([a-z0-9.]+)`)

// checkTLSFlow decodes both directions as TLS records and checks the
// handshake against the detail: the SNI, whether the server asked for a
// client certificate and whether one came back.
func checkTLSFlow(c, s []byte, ft FlowTruth) error {
	if err := checkTLSRecords(c); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if err := checkTLSRecords(s); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if ft.MidStream {
		if c[0] != tlsApplicationData || s[0] != tlsApplicationData {
			return fmt.Errorf("mid-stream flow starts with records %d and %d", c[0], s[0])
		}
		return nil
	}
	var tl layers.TLS
	if err := tl.DecodeFromBytes(c, gopacket.NilDecodeFeedback); err != nil || len(tl.Handshake) == 0 {
		return fmt.Errorf("gopacket: %v", err)
	}
	if m := sniRE.FindStringSubmatch(ft.Detail); m != nil && string(tl.Handshake[0].ClientHello.SNI) != m[1] {
		return fmt.Errorf("SNI %q, detail says %q", tl.Handshake[0].ClientHello.SNI, m[1])
	}
	server, client := handshakeTypes(s), handshakeTypes(c)
	requested := bytes.IndexByte(server, hsCertificateRequest) >= 0
	clientCert := bytes.IndexByte(client, hsCertificateVerify) >= 0
	switch {
	case strings.Contains(ft.Detail, "resumed"):
		if bytes.IndexByte(server, hsCertificate) >= 0 || tl.Handshake[0].ClientHello.SessionIDLength != 32 {
			return fmt.Errorf("resumed session with messages %v", server)
		}
	case strings.HasPrefix(ft.Detail, "mtls"):
		if !requested || !clientCert {
			return fmt.Errorf("mtls but certificate request %v, client certificate %v", requested, clientCert)
		}
	case strings.Contains(ft.Detail, "no client cert"):
		if clientCert || (requested && ft.Want != WantMismatch) {
			return fmt.Errorf("no client certificate but request %v, client certificate %v", requested, clientCert)
		}
	}
	if !bytes.Equal(server[:min(2, len(server))], []byte{hsServerHello, hsCertificate}) && !strings.Contains(ft.Detail, "resumed") {
		return fmt.Errorf("server flight %v", server)
	}
	return nil
}

// checkTLSRecords walks records: known content type, TLS 1.2, lengths
// that land on the end of the stream.
func checkTLSRecords(b []byte) error {
	for off := 0; off < len(b); {
		if len(b)-off < 5 {
			return fmt.Errorf("%d stray bytes at offset %d", len(b)-off, off)
		}
		typ, ver, n := b[off], binary.BigEndian.Uint16(b[off+1:]), int(binary.BigEndian.Uint16(b[off+3:]))
		if typ < tlsChangeCipherSpec || typ > tlsApplicationData || ver != tls12 || n == 0 || off+5+n > len(b) {
			return fmt.Errorf("record at offset %d: type %d version %#x length %d", off, typ, ver, n)
		}
		off += 5 + n
	}
	return nil
}

// handshakeTypes lists the cleartext handshake messages of a stream, up to
// the first ChangeCipherSpec.
func handshakeTypes(b []byte) []byte {
	var types, hs []byte
	for len(b) >= 5 {
		typ, n := b[0], int(binary.BigEndian.Uint16(b[3:]))
		if typ == tlsChangeCipherSpec || 5+n > len(b) {
			break
		}
		if typ == tlsHandshake {
			hs = append(hs, b[5:5+n]...)
		}
		b = b[5+n:]
	}
	for len(hs) >= 4 {
		n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
		types = append(types, hs[0])
		if 4+n > len(hs) {
			break
		}
		hs = hs[4+n:]
	}
	return types
}

// reassemble joins the fragments of a UDP flow's datagram and strips the
// UDP header.
func reassemble(fs []seenFrame) []byte {
	var b []byte
	for _, f := range fs {
		b = append(b, f.payload...)
	}
	return b[udpHeaderLen:]
}

func checkSIP(b []byte, detail string) error {
	var s layers.SIP
	if err := s.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		return err
	}
	if s.IsResponse || !strings.Contains(detail, s.Method.String()) {
		return fmt.Errorf("first message %v, detail %q", s.Method, detail)
	}
	if got, want := s.GetContentLength(), int64(len(s.Payload())); got != want {
		return fmt.Errorf("Content-Length %d, body %d bytes", got, want)
	}
	return nil
}

// checkSTUN checks an RFC 5389 message: cookie, length and fingerprint.
func checkSTUN(b []byte) error {
	if len(b) < 28 || binary.BigEndian.Uint32(b[4:]) != stunMagicCookie || int(binary.BigEndian.Uint16(b[2:]))+20 != len(b) {
		return fmt.Errorf("not an RFC 5389 message: % x", b[:min(len(b), 8)])
	}
	fp := b[len(b)-8:]
	if binary.BigEndian.Uint16(fp) != stunFingerprint || binary.BigEndian.Uint32(fp[4:]) != crc32.ChecksumIEEE(b[:len(b)-8])^stunFingerprintXOR {
		return fmt.Errorf("bad FINGERPRINT")
	}
	return nil
}

// checkMSTURN checks an MS-TURN message: the length, MAGIC-COOKIE first,
// and unpadded attributes that end exactly at the end.
func checkMSTURN(b []byte) error {
	if len(b) < 28 || int(binary.BigEndian.Uint16(b[2:]))+20 != len(b) || !bytes.Equal(b[20:28], []byte{0, 0x0f, 0, 4, 0x72, 0xc6, 0x4b, 0xc6}) {
		return fmt.Errorf("not an MS-TURN message: % x", b[:min(len(b), 28)])
	}
	off := 20
	for off+4 <= len(b) {
		off += 4 + int(binary.BigEndian.Uint16(b[off+2:]))
	}
	if off != len(b) {
		return fmt.Errorf("attributes end at %d of %d", off, len(b))
	}
	return nil
}

func checkMSTURNFlow(fs []seenFrame, tr decoders.Transport) error {
	if tr == decoders.UDP {
		for _, f := range fs {
			if err := checkMSTURN(f.payload); err != nil {
				return err
			}
		}
		return nil
	}
	c, s := stream(fs, c2s), stream(fs, s2c)
	if len(c) < 50 || !bytes.HasPrefix(c, []byte{0x16, 3, 1, 0, 0x2d}) || len(s) < 83 || !bytes.HasPrefix(s, []byte{0x16, 3, 1, 0, 0x4e}) {
		return fmt.Errorf("no pseudo-TLS exchange")
	}
	for _, b := range [][]byte{c[50:], s[83:]} {
		for len(b) > 0 {
			if len(b) < 4 || (b[0] != msturnControl && b[0] != msturnData) || b[1] != 0 {
				return fmt.Errorf("frame header % x", b[:min(len(b), 4)])
			}
			n := int(binary.BigEndian.Uint16(b[2:]))
			if b[0] == msturnControl {
				if err := checkMSTURN(b[4 : 4+n]); err != nil {
					return err
				}
			} else if b[4]&0xc0 != 0x80 {
				return fmt.Errorf("data frame without RTP")
			}
			b = b[4+n:]
		}
	}
	return nil
}

var ptRE = regexp.MustCompile(`pt=(\d+)`)

// checkMedia checks every packet of an RTP or RTCP flow: version 2, the
// payload type the detail names (comfort noise and multiplexed RTCP
// allowed), RTCP lengths in 32-bit words, sequence numbers that step by
// one per stream.
func checkMedia(fs []seenFrame, ft FlowTruth) error {
	var pt int
	if m := ptRE.FindStringSubmatch(ft.Detail); m != nil {
		fmt.Sscan(m[1], &pt)
	}
	lastSeq := map[uint32]uint16{}
	for n, f := range fs {
		b := f.payload
		if len(b) < 12 || b[0]&0xc0 != 0x80 {
			return fmt.Errorf("packet %d: not version 2", n)
		}
		if b[1] >= rtcpSR && b[1] <= rtcpBYE {
			if words := int(binary.BigEndian.Uint16(b[2:])); (words+1)*4 > len(b) {
				return fmt.Errorf("packet %d: RTCP length %d words in %d bytes", n, words, len(b))
			}
			continue
		}
		if ft.Protocol == decoders.RTCP {
			return fmt.Errorf("packet %d: payload type %d in an RTCP flow", n, b[1])
		}
		p := int(b[1] & 0x7f)
		if p != pt && p != 13 && p != 118 {
			return fmt.Errorf("packet %d: payload type %d, detail says %d", n, p, pt)
		}
		ssrc, seq := binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint16(b[2:])
		if last, ok := lastSeq[ssrc]; ok && seq != last+1 {
			return fmt.Errorf("packet %d: sequence %d after %d", n, seq, last)
		}
		lastSeq[ssrc] = seq
	}
	return nil
}

// checkOther checks the protocols outside the vocabulary by their first
// bytes.
func checkOther(c, s, first []byte, ft FlowTruth) error {
	d := ft.Detail
	switch {
	case strings.Contains(d, "smb2"):
		if !bytes.Equal(c[4:8], []byte{0xfe, 'S', 'M', 'B'}) || int(binary.BigEndian.Uint32(c)) != len(c)-4 {
			return fmt.Errorf("not SMB2 over TCP: % x", c[:8])
		}
	case strings.Contains(d, "rdp"):
		if c[0] != 3 || int(binary.BigEndian.Uint16(c[2:])) > len(c) || c[5] != 0xe0 {
			return fmt.Errorf("not an X.224 connection request: % x", c[:8])
		}
	case strings.Contains(d, "telnet"):
		if s[0] != tnIAC || c[0] != tnIAC {
			return fmt.Errorf("no telnet negotiation")
		}
	case strings.Contains(d, "snmp"):
		if first[0] != derSequence || int(first[1])+2 != len(first) {
			return fmt.Errorf("not a BER SEQUENCE: % x", first[:4])
		}
	case strings.Contains(d, "shell"):
		for _, b := range append(c, s...) {
			if b != '\r' && b != '\n' && (b < 0x20 || b > 0x7e) {
				return fmt.Errorf("byte %#x in a text session", b)
			}
		}
	case strings.Contains(d, "syn only"):
		if len(c)+len(s) != 0 {
			return fmt.Errorf("payload in a SYN-only flow")
		}
	default:
		return fmt.Errorf("no check for %q", d)
	}
	return nil
}
