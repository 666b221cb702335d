package lyncgen

import (
	"encoding/binary"
	"time"
)

// TLS record content types (RFC 5246 §6.2.1).
const (
	tlsChangeCipherSpec = 20
	tlsAlert            = 21
	tlsHandshake        = 22
	tlsApplicationData  = 23
)

// TLS protocol versions.
const (
	tls10 = 0x0301
	tls12 = 0x0303
)

// TLS handshake message types (RFC 5246 §7.4).
const (
	hsClientHello        = 1
	hsServerHello        = 2
	hsCertificate        = 11
	hsCertificateRequest = 13
	hsServerHelloDone    = 14
	hsCertificateVerify  = 15
	hsClientKeyExchange  = 16
)

// The suite the servers choose: TLS_RSA_WITH_AES_128_CBC_SHA256, first in
// SChannel's order on Windows Server 2008 R2, where many Lync 2013 pools
// run. RSA key exchange: no ServerKeyExchange.
const (
	suiteChosen  = 0x003c
	macLen       = 32 // HMAC-SHA256
	cbcBlock     = 16
	maxPlaintext = 16384
)

// schannelSuites is the cipher suite list of a Windows 8.1 / 2012 R2
// ClientHello.
var schannelSuites = []uint16{
	0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x009d, 0x009c,
	0xc02c, 0xc02b, 0xc024, 0xc023, 0xc00a, 0xc009, 0x003d, 0x003c,
	0x0035, 0x002f, 0x006a, 0x0040, 0x0038, 0x0032, 0x000a, 0x0013,
}

// tlsRecords wraps body in records of type typ, at most 2^14 bytes each.
func tlsRecords(typ byte, version uint16, body []byte) []byte {
	var b []byte
	for {
		n := min(len(body), maxPlaintext)
		b = append(b, typ, byte(version>>8), byte(version))
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		b = append(b, body[:n]...)
		body = body[n:]
		if len(body) == 0 {
			return b
		}
	}
}

// tlsMessage returns a handshake message: type, 24-bit length, body.
func tlsMessage(typ byte, body []byte) []byte {
	b := []byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	return append(b, body...)
}

func appendU16Len(b []byte, body []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

func tlsExtension(typ uint16, data []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	return appendU16Len(b, data)
}

// tlsRandom returns a hello random: a gmt_unix_time, then 28 random bytes.
func tlsRandom(r *rng) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(DefaultStart.Unix())+r.u32()%86400)
	return append(b, r.bytes(28)...)
}

// tlsClientHello returns a TLS 1.2 ClientHello as SChannel sends it, with
// the SNI extension when sni is not empty, offering to resume session when
// it is not empty.
func tlsClientHello(r *rng, sni string, session []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, tls12)
	b = append(b, tlsRandom(r)...)
	b = append(b, byte(len(session)))
	b = append(b, session...)
	suites := make([]byte, 0, 2*len(schannelSuites))
	for _, s := range schannelSuites {
		suites = binary.BigEndian.AppendUint16(suites, s)
	}
	b = appendU16Len(b, suites)
	b = append(b, 1, 0) // compression: null only

	var ext []byte
	if sni != "" {
		name := append([]byte{0}, appendU16Len(nil, []byte(sni))...)
		ext = append(ext, tlsExtension(0x0000, appendU16Len(nil, name))...)
	}
	ext = append(ext, tlsExtension(0x0005, []byte{1, 0, 0, 0, 0})...)          // status_request: OCSP
	ext = append(ext, tlsExtension(0x000a, []byte{0, 4, 0, 0x17, 0, 0x18})...) // supported_groups: P-256, P-384
	ext = append(ext, tlsExtension(0x000b, []byte{1, 0})...)                   // ec_point_formats: uncompressed
	ext = append(ext, tlsExtension(0x000d, []byte{0, 18,                       // signature_algorithms
		4, 1, 5, 1, 2, 1, 4, 3, 5, 3, 2, 3, 4, 2, 2, 2, 6, 1})...)
	ext = append(ext, tlsExtension(0x0023, nil)...)       // session_ticket
	ext = append(ext, tlsExtension(0x0017, nil)...)       // extended_master_secret
	ext = append(ext, tlsExtension(0xff01, []byte{0})...) // renegotiation_info
	b = appendU16Len(b, ext)
	return tlsMessage(hsClientHello, b)
}

// tlsServerHello returns the ServerHello choosing suiteChosen for
// session: a new session ID, or the one being resumed.
func tlsServerHello(r *rng, session []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, tls12)
	b = append(b, tlsRandom(r)...)
	b = append(b, byte(len(session)))
	b = append(b, session...)
	b = binary.BigEndian.AppendUint16(b, suiteChosen)
	b = append(b, 0)
	var ext []byte
	ext = append(ext, tlsExtension(0xff01, []byte{0})...)
	ext = append(ext, tlsExtension(0x0017, nil)...)
	ext = append(ext, tlsExtension(0x000b, []byte{1, 0})...)
	b = appendU16Len(b, ext)
	return tlsMessage(hsServerHello, b)
}

// tlsCertificate returns a Certificate message holding the chain (in the
// scenario a chain is one certificate: the enterprise root that issued it
// is one every peer holds, and it is left out to keep captures small); with no
// certificates it is the empty message a client sends when it has none.
func tlsCertificate(certs ...[]byte) []byte {
	var list []byte
	for _, c := range certs {
		list = append(list, byte(len(c)>>16), byte(len(c)>>8), byte(len(c)))
		list = append(list, c...)
	}
	b := []byte{byte(len(list) >> 16), byte(len(list) >> 8), byte(len(list))}
	return tlsMessage(hsCertificate, append(b, list...))
}

// tlsCertificateRequest returns the CertificateRequest of a server that
// wants a client certificate issued by the enterprise CA.
func tlsCertificateRequest() []byte {
	b := []byte{3, 1, 2, 64} // rsa_sign, dss_sign, ecdsa_sign
	b = appendU16Len(b, []byte{6, 1, 6, 2, 6, 3, 5, 1, 5, 2, 5, 3, 4, 1, 4, 2, 4, 3})
	b = appendU16Len(b, appendU16Len(nil, caName))
	return tlsMessage(hsCertificateRequest, b)
}

func tlsServerHelloDone() []byte { return tlsMessage(hsServerHelloDone, nil) }

// tlsClientKeyExchange returns the pre-master secret encrypted to the
// server's 2048-bit RSA key.
func tlsClientKeyExchange(r *rng) []byte {
	return tlsMessage(hsClientKeyExchange, appendU16Len(nil, r.bytes(256)))
}

// tlsCertificateVerify returns an RSA-SHA256 CertificateVerify.
func tlsCertificateVerify(r *rng) []byte {
	return tlsMessage(hsCertificateVerify, appendU16Len([]byte{4, 1}, r.bytes(256)))
}

// tlsChangeCipherSpecRecord is the ChangeCipherSpec record.
func tlsChangeCipherSpecRecord() []byte {
	return tlsRecords(tlsChangeCipherSpec, tls12, []byte{1})
}

// tlsSealedLen returns the size of an AES-CBC record body carrying n
// plaintext bytes: explicit IV, plaintext, MAC and padding.
func tlsSealedLen(n int) int {
	return cbcBlock + (n+macLen+1+cbcBlock-1)/cbcBlock*cbcBlock
}

// tlsSealed returns encrypted records of type typ for n plaintext bytes:
// random bytes of the sizes AES-CBC with HMAC-SHA384 gives.
func tlsSealed(r *rng, typ byte, n int) []byte {
	var b []byte
	for n > 0 || b == nil {
		k := min(n, maxPlaintext)
		b = append(b, tlsRecords(typ, tls12, r.bytes(tlsSealedLen(k)))...)
		n -= k
	}
	return b
}

// tlsAlertRecord returns a cleartext alert record.
func tlsAlertRecord(level, desc byte) []byte {
	return tlsRecords(tlsAlert, tls12, []byte{level, desc})
}

// tlsSession describes one TLS 1.2 handshake.
type tlsSession struct {
	sni     string // server name the client asks for; empty for none
	server  []byte // the server's certificate
	request bool   // the server sends a CertificateRequest
	client  []byte // the client's certificate; nil sends an empty Certificate when asked
	refuse  bool   // the server rejects a client without a certificate (fatal alert)
	resume  bool   // an abbreviated handshake resuming a cached session: no certificates at all
}

// handshake appends the handshake of s to c, client first. A full one:
// hello; the server's flight in one record; the client's key exchange,
// ChangeCipherSpec and Finished; the server's ChangeCipherSpec and
// Finished. A resumed one: hello; ServerHello, ChangeCipherSpec and
// Finished; the client's ChangeCipherSpec and Finished. It reports whether
// the session was established.
func (s tlsSession) handshake(c *conv, r *rng) bool {
	session := r.bytes(32)
	if !s.resume {
		c.say(c2s, r.dur(200*time.Microsecond, 2*time.Millisecond), tlsRecords(tlsHandshake, tls12, tlsClientHello(r, s.sni, nil)))
	} else {
		c.say(c2s, r.dur(200*time.Microsecond, 2*time.Millisecond), tlsRecords(tlsHandshake, tls12, tlsClientHello(r, s.sni, session)))
		c.say(s2c, r.dur(300*time.Microsecond, 1*time.Millisecond), tlsRecords(tlsHandshake, tls12, tlsServerHello(r, session)),
			tlsChangeCipherSpecRecord(), tlsSealed(r, tlsHandshake, 16))
		c.say(c2s, r.dur(300*time.Microsecond, 1*time.Millisecond), tlsChangeCipherSpecRecord(), tlsSealed(r, tlsHandshake, 16))
		return true
	}

	flight := append(tlsServerHello(r, session), tlsCertificate(s.server)...)
	if s.request {
		flight = append(flight, tlsCertificateRequest()...)
	}
	flight = append(flight, tlsServerHelloDone()...)
	c.say(s2c, r.dur(1*time.Millisecond, 4*time.Millisecond), tlsRecords(tlsHandshake, tls12, flight))

	var keys []byte
	if s.request {
		if s.client != nil {
			keys = append(keys, tlsCertificate(s.client)...)
		} else {
			keys = append(keys, tlsCertificate()...)
		}
	}
	keys = append(keys, tlsClientKeyExchange(r)...)
	if s.request && s.client != nil {
		keys = append(keys, tlsCertificateVerify(r)...)
	}
	c.say(c2s, r.dur(2*time.Millisecond, 9*time.Millisecond),
		tlsRecords(tlsHandshake, tls12, keys), tlsChangeCipherSpecRecord(), tlsSealed(r, tlsHandshake, 16))
	if s.request && s.client == nil && s.refuse {
		c.say(s2c, r.dur(500*time.Microsecond, 2*time.Millisecond), tlsAlertRecord(2, 40)) // fatal handshake_failure
		return false
	}
	c.say(s2c, r.dur(500*time.Microsecond, 2*time.Millisecond), tlsChangeCipherSpecRecord(), tlsSealed(r, tlsHandshake, 16))
	return true
}

// sealed appends a message of application data records carrying n
// plaintext bytes (a SIP message, an HTTP exchange, a PSOM frame…).
func (c *conv) sealed(r *rng, dir int, gap time.Duration, n int) {
	c.say(dir, gap, tlsSealed(r, tlsApplicationData, n))
}
