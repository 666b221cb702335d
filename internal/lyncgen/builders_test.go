package lyncgen

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestFakeCertificate(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		dns     []string
	}{
		{"front end", "fe01.contoso.local", []string{"fe01.contoso.local", "pool01.contoso.local"}},
		{"web site", "www.example.com", []string{"www.example.com", "example.com"}},
		{"root", "contoso-DC01-CA", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der := fakeCertificate(newRNG(1, 1), tt.subject, tt.dns...)
			c, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject.CommonName != tt.subject || c.Issuer.CommonName != "contoso-DC01-CA" {
				t.Errorf("subject %q issuer %q", c.Subject.CommonName, c.Issuer.CommonName)
			}
			if !slices.Equal(c.DNSNames, tt.dns) {
				t.Errorf("DNS names %q, want %q", c.DNSNames, tt.dns)
			}
			if k, ok := c.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 || k.E != 65537 {
				t.Errorf("public key %T", c.PublicKey)
			}
			if c.SignatureAlgorithm != x509.SHA256WithRSA || len(c.Signature) != 256 {
				t.Errorf("signature %v, %d bytes", c.SignatureAlgorithm, len(c.Signature))
			}
			if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
				t.Errorf("extended key usage %v", c.ExtKeyUsage)
			}
		})
	}
}

func TestDERLength(t *testing.T) {
	tests := []struct {
		name string
		n    int
		head []byte
	}{
		{"short", 127, []byte{4, 127}},
		{"one byte", 200, []byte{4, 0x81, 200}},
		{"two bytes", 300, []byte{4, 0x82, 1, 44}},
		{"three bytes", 70000, []byte{4, 0x83, 1, 0x11, 0x70}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := der(derOctetString, make([]byte, tt.n))
			if !bytes.HasPrefix(b, tt.head) || len(b) != len(tt.head)+tt.n {
				t.Errorf("header % x, length %d", b[:len(tt.head)], len(b))
			}
		})
	}
}

// TestTLSHandshake decodes a whole full handshake with gopacket and walks
// its messages.
func TestTLSHandshake(t *testing.T) {
	r := newRNG(1, 2)
	cert := fakeCertificate(r, "fe02.contoso.local", "fe02.contoso.local")
	tests := []struct {
		name           string
		s              tlsSession
		server, client []byte // handshake messages in the first flights
		ok             bool
	}{
		{"server certificate only", tlsSession{sni: poolFQDN, server: cert},
			[]byte{hsServerHello, hsCertificate, hsServerHelloDone}, []byte{hsClientHello, hsClientKeyExchange}, true},
		{"mutual", tlsSession{sni: poolFQDN, server: cert, request: true, client: cert},
			[]byte{hsServerHello, hsCertificate, hsCertificateRequest, hsServerHelloDone}, []byte{hsClientHello, hsCertificate, hsClientKeyExchange, hsCertificateVerify}, true},
		{"no client certificate, refused", tlsSession{server: cert, request: true, refuse: true},
			[]byte{hsServerHello, hsCertificate, hsCertificateRequest, hsServerHelloDone}, []byte{hsClientHello, hsCertificate, hsClientKeyExchange}, false},
		{"resumed", tlsSession{sni: poolFQDN, resume: true}, []byte{hsServerHello}, []byte{hsClientHello}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &conv{}
			if ok := tt.s.handshake(c, r); ok != tt.ok {
				t.Errorf("handshake = %v, want %v", ok, tt.ok)
			}
			var cs, ss []byte
			for _, m := range c.msgs {
				if m.dir == c2s {
					cs = append(cs, m.data...)
				} else {
					ss = append(ss, m.data...)
				}
			}
			if got := handshakeTypes(ss); !bytes.Equal(got, tt.server) {
				t.Errorf("server messages %v, want %v", got, tt.server)
			}
			if got := handshakeTypes(cs); !bytes.Equal(got, tt.client) {
				t.Errorf("client messages %v, want %v", got, tt.client)
			}
			var tl layers.TLS
			if err := tl.DecodeFromBytes(cs, gopacket.NilDecodeFeedback); err != nil {
				t.Fatal(err)
			}
			ch := tl.Handshake[0].ClientHello
			if string(ch.SNI) != tt.s.sni || ch.ProtocolVersion != tls12 || ch.CipherSuitsLength != uint16(2*len(schannelSuites)) {
				t.Errorf("ClientHello SNI %q version %#x suites %d", ch.SNI, ch.ProtocolVersion, ch.CipherSuitsLength)
			}
		})
	}
}

func TestTLSSealedLen(t *testing.T) {
	// Explicit IV, then plaintext, HMAC-SHA256 and the padding length
	// byte rounded up to the AES block.
	tests := []struct{ plain, sealed int }{{0, 64}, {4, 64}, {15, 64}, {16, 80}, {1000, 1056}}
	for _, tt := range tests {
		if got := tlsSealedLen(tt.plain); got != tt.sealed || (got-cbcBlock)%cbcBlock != 0 {
			t.Errorf("tlsSealedLen(%d) = %d, want %d", tt.plain, got, tt.sealed)
		}
	}
	if b := tlsSealed(newRNG(1, 3), tlsApplicationData, 40000); len(handshakeTypes(b)) != 0 || checkTLSRecords(b) != nil {
		t.Errorf("40000 bytes did not split into valid records")
	}
}

func TestPseudoTLS(t *testing.T) {
	r := newRNG(1, 4)
	ch, sh := pseudoTLSClientHello(r), pseudoTLSServerHello(r)
	// The fixed bytes of signatures.md §3.6, randoms and session ID zeroed.
	wantCH := append([]byte{0x16, 3, 1, 0, 0x2d, 1, 0, 0, 0x29, 3, 1}, make([]byte, 32)...)
	wantCH = append(wantCH, 0, 0, 2, 0, 0x18, 1, 0)
	gotCH := slices.Clone(ch)
	clear(gotCH[11:43])
	if !bytes.Equal(gotCH, wantCH) {
		t.Errorf("client hello % x", ch)
	}
	gotSH := slices.Clone(sh)
	clear(gotSH[11:43])
	clear(gotSH[44:76])
	wantSH := append([]byte{0x16, 3, 1, 0, 0x4e, 2, 0, 0, 0x46, 3, 1}, make([]byte, 32)...)
	wantSH = append(append(wantSH, 0x20), make([]byte, 32)...)
	wantSH = append(wantSH, 0, 0x18, 0, 0x0e, 0, 0, 0)
	if !bytes.Equal(gotSH, wantSH) {
		t.Errorf("server hello % x", sh)
	}
}

func TestSTUNAddresses(t *testing.T) {
	a := netip.MustParseAddrPort("10.20.0.21:50020")
	x := stunXORAddress(a)
	port := binary.BigEndian.Uint16(x[2:]) ^ 0x2112
	addr := binary.BigEndian.Uint32(x[4:]) ^ stunMagicCookie
	if port != a.Port() || addr != 0x0a140015 {
		t.Errorf("XOR-MAPPED-ADDRESS decodes to %#x:%d", addr, port)
	}
	msg := stunMessage(stunBindingSuccess, make([]byte, 12), stunAttr(stunXORMapped, x), stunAttr(stunSoftware, []byte("odd")))
	if err := checkSTUN(msg); err != nil {
		t.Error(err)
	}
	for i, m := range msturnAllocation(newRNG(1, 5), a, a) {
		if err := checkMSTURN(m); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
}

func TestNMFSize(t *testing.T) {
	tests := []struct {
		n    int
		want []byte
	}{{0, []byte{0}}, {0x7f, []byte{0x7f}}, {0x80, []byte{0x80, 1}}, {300, []byte{0xac, 2}}, {0x4000, []byte{0x80, 0x80, 1}}}
	for _, tt := range tests {
		if got := nmfSize(nil, tt.n); !bytes.Equal(got, tt.want) {
			t.Errorf("nmfSize(%d) = % x, want % x", tt.n, got, tt.want)
		}
	}
}

func TestDHCPOptions(t *testing.T) {
	m := &dhcpMsg{op: 2, xid: 7, chaddr: mac{1, 2, 3, 4, 5, 6}}
	m.opt(optMessageType, dhcpAck)
	m.opt(optVendorInfo, lyncVendorInfo(poolFQDN)...)
	m.opt(optSIPServer, sipServerOption(poolFQDN)...)
	var d layers.DHCPv4
	if err := d.DecodeFromBytes(m.bytes(), gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	opts := map[layers.DHCPOpt][]byte{}
	for _, o := range d.Options {
		opts[o.Type] = o.Data
	}
	if !bytes.Contains(opts[43], []byte("\x01\x0cMS-UC-Client")) || !bytes.Contains(opts[43], []byte("\x03\x14"+poolFQDN)) {
		t.Errorf("option 43 % x", opts[43])
	}
	if !bytes.Equal(opts[120], append([]byte{0}, dnsName(poolFQDN)...)) {
		t.Errorf("option 120 % x", opts[120])
	}
	if d.Xid != 7 || d.Operation != layers.DHCPOpReply || len(m.bytes()) < 300 {
		t.Errorf("xid %d op %v length %d", d.Xid, d.Operation, len(m.bytes()))
	}
}

func TestDNSResponse(t *testing.T) {
	q := dnsQuery(0x1234, sipSRV, dnsTypeSRV)
	var d layers.DNS
	if err := d.DecodeFromBytes(dnsResponse(q, dnsRR{dnsTypeSRV, 60, dnsSRV(0, 0, 5061, poolFQDN)}), gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if d.ID != 0x1234 || !d.QR || len(d.Answers) != 1 {
		t.Fatalf("id %#x qr %v answers %d", d.ID, d.QR, len(d.Answers))
	}
	a := d.Answers[0]
	if string(a.Name) != sipSRV || a.SRV.Port != 5061 || string(a.SRV.Name) != poolFQDN {
		t.Errorf("answer %s %d %s", a.Name, a.SRV.Port, a.SRV.Name)
	}
}

func TestSNMP(t *testing.T) {
	var msg struct {
		Version   int
		Community []byte
		PDU       asn1.RawValue
	}
	for _, b := range [][]byte{snmpGetSysDescr("public", 0x5c0ffee), snmpSysDescrResponse("public", 0x5c0ffee, "BIG-IP")} {
		if rest, err := asn1.Unmarshal(b, &msg); err != nil || len(rest) != 0 {
			t.Fatalf("%v, %d bytes left", err, len(rest))
		}
		if msg.Version != 1 || string(msg.Community) != "public" || msg.PDU.Class != asn1.ClassContextSpecific {
			t.Errorf("version %d community %q class %d", msg.Version, msg.Community, msg.PDU.Class)
		}
	}
}

func TestTDSPrelogin(t *testing.T) {
	for _, b := range [][]byte{tdsPreloginRequest(newRNG(1, 6), "RTC"), tdsPreloginResponse()} {
		body := b[8:]
		if int(binary.BigEndian.Uint16(b[2:])) != len(b) {
			t.Fatalf("packet length %d of %d", binary.BigEndian.Uint16(b[2:]), len(b))
		}
		i := 0
		for ; body[i] != 0xff; i += 5 {
			off, n := int(binary.BigEndian.Uint16(body[i+1:])), int(binary.BigEndian.Uint16(body[i+3:]))
			if off+n > len(body) {
				t.Errorf("option %d at %d+%d beyond %d", body[i], off, n, len(body))
			}
		}
		if i != 25 {
			t.Errorf("%d option table bytes, want 25", i)
		}
	}
}

func TestRTCPCompound(t *testing.T) {
	b := appendRTCPSR(nil, 1, DefaultStart, 2, 3, 4)
	b = appendRTCPSDES(b, 1, "abcde@10.20.0.21")
	b = appendRTCPBye(b, 1)
	off := 0
	for off < len(b) {
		off += (int(binary.BigEndian.Uint16(b[off+2:])) + 1) * 4
	}
	if off != len(b) {
		t.Errorf("compound lengths end at %d of %d", off, len(b))
	}
	sealed := sealSRTCP(newRNG(1, 7), slices.Clone(b), 9)
	if len(sealed) != len(b)+4+srtpTagLen || !bytes.Equal(sealed[:8], b[:8]) || sealed[len(b)]&0x80 == 0 {
		t.Errorf("SRTCP % x", sealed)
	}
}

func TestPortCounter(t *testing.T) {
	c := portCounter{next: 65530, lo: 65530, hi: 65534, step: 2}
	var got []uint16
	for range 4 {
		got = append(got, c.take())
	}
	if want := []uint16{65530, 65532, 65534, 65530}; !slices.Equal(got, want) {
		t.Errorf("ports %v, want %v", got, want)
	}
}
