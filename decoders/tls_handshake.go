package decoders

import "encoding/binary"

// TLS record content types (RFC 5246 §6.2.1, RFC 6520, RFC 9146).
const (
	tlsChangeCipherSpec = 20
	tlsAlert            = 21
	tlsHandshake        = 22
	tlsApplicationData  = 23
	tlsHeartbeat        = 24
	tlsCID              = 25 // DTLS 1.2 connection ID records
)

// TLS handshake message types (RFC 5246 §7.4, RFC 6347 §4.2.2).
const (
	hsClientHello       = 1
	hsServerHello       = 2
	hsHelloVerify       = 3 // DTLS only
	hsCertificate       = 11
	hsCertRequest       = 13
	hsServerHelloDone   = 14
	hsClientKeyExchange = 16
)

// Extensions the signature reads (RFC 6066 §3, RFC 7301 §3.1, RFC 8446 §4.2.1).
const (
	extServerName        = 0x0000
	extALPN              = 0x0010
	extSupportedVersions = 0x002b
)

// Protocol versions as the wire writes them.
const (
	verSSL3   = 0x0300
	verTLS12  = 0x0303
	verTLS13  = 0x0304
	verDTLS10 = 0xfeff
	verDTLS12 = 0xfefd
	verDTLS13 = 0xfefc
)

// suitePseudoTLS is TLS_DH_anon_WITH_RC4_128_MD5, the one suite of the
// MS-TURN pseudo-TLS hellos: no real TLS peer offers it alone or picks it.
const suitePseudoTLS = 0x0018

// tlsMaxDetail caps the bytes of one Detail value copied from a packet.
const tlsMaxDetail = 256

// helloVerdict is what a hello parser makes of the bytes it was given.
type helloVerdict uint8

const (
	helloShort helloVerdict = iota // too few bytes to judge: the message goes on in a later payload
	helloOK                        // well-formed as far as the bytes go
	helloBad                       // not a hello
)

// helloInfo is what a ClientHello, ServerHello or HelloVerifyRequest says.
// Its slices point into the parsed bytes.
type helloInfo struct {
	verdict  helloVerdict
	version  uint16 // client_version or server_version (the legacy field)
	selected uint16 // ServerHello supported_versions; 0 when absent
	suite    uint16 // ServerHello: the chosen cipher suite
	suites   int    // ClientHello: suites offered, GREASE not counted
	pseudo   bool   // ClientHello: TLS_DH_anon_WITH_RC4_128_MD5 is the only suite
	noExt    bool   // the message ends without an extensions block
	extDone  bool   // the extensions (if any) were walked to their end
	sni      []byte // server_name host_name
	alpn     []byte // ALPN protocol_name_list, still length-prefixed
}

// isGREASE reports whether v is an RFC 8701 reserved value (0x?A?A).
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// tlsVersionOK reports whether v is a version a TLS hello or record header
// may carry: SSL 3.0 to TLS 1.2 (TLS 1.3 keeps 1.2 there).
func tlsVersionOK(v uint16) bool { return v >= verSSL3 && v <= verTLS12 }

// dtlsVersionOK reports whether v is DTLS 1.0 or 1.2 (DTLS 1.3 keeps 1.2 here).
func dtlsVersionOK(v uint16) bool { return v == verDTLS10 || v == verDTLS12 }

// parseClientHello reads a ClientHello body (after the 4-byte TLS or
// 12-byte DTLS message header). complete says b is the whole body; when it
// is not, the verdict covers the prefix: helloOK once the fields up to the
// compression methods check out. DTLS hellos carry a cookie after the
// session ID.
func parseClientHello(b []byte, complete, dtls bool) (h helloInfo) {
	p, ok := h.start(b, complete, dtls)
	if !ok {
		return h
	}
	if dtls {
		if p >= len(b) {
			return h.cut(complete)
		}
		p += 1 + int(b[p]) // cookie
	}
	if p+2 > len(b) {
		return h.cut(complete)
	}
	n := int(binary.BigEndian.Uint16(b[p:]))
	p += 2
	if n < 2 || n%2 != 0 {
		return h.bad()
	}
	if p+n > len(b) {
		return h.cut(complete)
	}
	var last uint16
	for i := p; i < p+n; i += 2 {
		if s := binary.BigEndian.Uint16(b[i:]); !isGREASE(s) {
			h.suites++
			last = s
		}
	}
	h.pseudo = h.suites == 1 && last == suitePseudoTLS
	p += n
	if p >= len(b) {
		return h.cut(complete)
	}
	n = int(b[p]) // compression_methods, which must offer null
	p++
	if p+n > len(b) {
		return h.cut(complete)
	}
	null := false
	for _, m := range b[p : p+n] {
		null = null || m == 0
	}
	if !null {
		return h.bad()
	}
	h.verdict = helloOK
	h.walkExtensions(b[p+n:], complete, true)
	return h
}

// parseServerHello reads a ServerHello body, as parseClientHello does.
func parseServerHello(b []byte, complete, dtls bool) (h helloInfo) {
	p, ok := h.start(b, complete, dtls)
	if !ok {
		return h
	}
	if p+3 > len(b) {
		return h.cut(complete)
	}
	h.suite = binary.BigEndian.Uint16(b[p:])
	if b[p+2] > 1 { // compression: null or DEFLATE (RFC 3749)
		return h.bad()
	}
	h.verdict = helloOK
	h.walkExtensions(b[p+3:], complete, false)
	return h
}

// start reads the fields both hellos open with: the version, the 32-byte
// random and the session ID. It returns the offset after the session ID,
// or ok false with h's verdict set as cut or bad would set it.
func (h *helloInfo) start(b []byte, complete, dtls bool) (p int, ok bool) {
	if len(b) < 2+32+1 {
		*h = h.cut(complete)
		return 0, false
	}
	h.version = binary.BigEndian.Uint16(b)
	sid := int(b[2+32]) // session_id length
	if !dtls && !tlsVersionOK(h.version) || dtls && !dtlsVersionOK(h.version) || sid > 32 {
		*h = h.bad()
		return 0, false
	}
	return 2 + 32 + 1 + sid, true
}

// cut returns h for bytes that end before the hello's fixed fields do:
// undecided while more may come, not a hello when that was all of it.
func (h helloInfo) cut(complete bool) helloInfo {
	if complete {
		h.verdict = helloBad
	}
	return h
}

// bad returns h judged not a hello.
func (h helloInfo) bad() helloInfo {
	h.verdict = helloBad
	return h
}

// parseHelloVerify reads a DTLS HelloVerifyRequest body: server_version
// and a cookie, nothing after it.
func parseHelloVerify(b []byte, complete bool) (h helloInfo) {
	if len(b) < 3 {
		return h.cut(complete)
	}
	h.version = binary.BigEndian.Uint16(b)
	end := 3 + int(b[2])
	switch {
	case !dtlsVersionOK(h.version), complete && end != len(b), end < len(b):
		h.verdict = helloBad
	case end > len(b):
		// The cookie goes on in a later fragment.
	default:
		h.verdict = helloOK
	}
	h.noExt, h.extDone = true, true
	return h
}

// walkExtensions reads the optional extensions block b of a hello whose
// fixed fields checked out. A complete hello must end exactly where its
// extensions do, or the verdict turns to helloBad.
func (h *helloInfo) walkExtensions(b []byte, complete, client bool) {
	if len(b) == 0 {
		h.noExt = complete
		h.extDone = complete
		return
	}
	if len(b) < 2 {
		if complete {
			h.verdict = helloBad
		}
		return
	}
	total := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	switch {
	case complete && total != len(b), total < len(b):
		h.verdict = helloBad
		return
	}
	for len(b) >= 4 {
		typ := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			if complete {
				h.verdict = helloBad
			}
			return
		}
		data := b[4 : 4+n]
		switch {
		case client && typ == extServerName:
			h.sni = sniHostName(data)
		case client && typ == extALPN:
			if len(data) >= 2 && int(binary.BigEndian.Uint16(data))+2 == len(data) {
				h.alpn = data[2:]
			}
		case !client && typ == extSupportedVersions && n == 2:
			h.selected = binary.BigEndian.Uint16(data)
		}
		b = b[4+n:]
	}
	if len(b) == 0 {
		h.extDone = true
	} else if complete {
		h.verdict = helloBad
	}
}

// sniHostName returns the host_name entry of a server_name extension, or nil.
func sniHostName(b []byte) []byte {
	if len(b) < 2 || int(binary.BigEndian.Uint16(b))+2 != len(b) {
		return nil
	}
	for b = b[2:]; len(b) >= 3; {
		n := int(binary.BigEndian.Uint16(b[1:]))
		if 3+n > len(b) {
			return nil
		}
		if b[0] == 0 { // host_name
			return b[3 : 3+n]
		}
		b = b[3+n:]
	}
	return nil
}

// alpnList returns an ALPN protocol_name_list as "h2,http/1.1", at most
// tlsMaxDetail bytes; a malformed list yields what parsed before the fault.
func alpnList(b []byte) string {
	out := make([]byte, 0, min(len(b), tlsMaxDetail))
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || 1+n > len(b) {
			break
		}
		if len(out) > 0 {
			out = append(out, ',')
		}
		out = append(out, b[1:1+n]...)
		b = b[1+n:]
	}
	return string(out[:min(len(out), tlsMaxDetail)])
}

// tlsCapDetail cuts a packet value to tlsMaxDetail bytes.
func tlsCapDetail(b []byte) []byte { return b[:min(len(b), tlsMaxDetail)] }

// tlsVersionName names a TLS or DTLS protocol version for Detail.
func tlsVersionName(v uint16) string {
	switch v {
	case 0x0002:
		return "ssl2"
	case verSSL3:
		return "ssl3"
	case 0x0301, verDTLS10:
		return "1.0"
	case 0x0302:
		return "1.1"
	case verTLS12, verDTLS12:
		return "1.2"
	case verTLS13, verDTLS13:
		return "1.3"
	}
	return "0x" + tlsHex16(v)
}

// tlsHex16 writes v as four lowercase hex digits.
func tlsHex16(v uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}

// cipherSuiteName names the suites Windows SChannel, browsers and common
// servers choose (IANA names); others read as "0x" and four hex digits.
func cipherSuiteName(s uint16) string {
	switch s {
	case 0x0004:
		return "TLS_RSA_WITH_RC4_128_MD5"
	case 0x0005:
		return "TLS_RSA_WITH_RC4_128_SHA"
	case 0x000a:
		return "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
	case 0x0013:
		return "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"
	case 0x0018:
		return "TLS_DH_anon_WITH_RC4_128_MD5"
	case 0x002f:
		return "TLS_RSA_WITH_AES_128_CBC_SHA"
	case 0x0032:
		return "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"
	case 0x0033:
		return "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"
	case 0x0035:
		return "TLS_RSA_WITH_AES_256_CBC_SHA"
	case 0x0038:
		return "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"
	case 0x0039:
		return "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"
	case 0x003c:
		return "TLS_RSA_WITH_AES_128_CBC_SHA256"
	case 0x003d:
		return "TLS_RSA_WITH_AES_256_CBC_SHA256"
	case 0x0040:
		return "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"
	case 0x006a:
		return "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"
	case 0x009c:
		return "TLS_RSA_WITH_AES_128_GCM_SHA256"
	case 0x009d:
		return "TLS_RSA_WITH_AES_256_GCM_SHA384"
	case 0x009e:
		return "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"
	case 0x009f:
		return "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"
	case 0x1301:
		return "TLS_AES_128_GCM_SHA256"
	case 0x1302:
		return "TLS_AES_256_GCM_SHA384"
	case 0x1303:
		return "TLS_CHACHA20_POLY1305_SHA256"
	case 0xc009:
		return "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"
	case 0xc00a:
		return "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"
	case 0xc013:
		return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
	case 0xc014:
		return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"
	case 0xc023:
		return "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"
	case 0xc024:
		return "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"
	case 0xc027:
		return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"
	case 0xc028:
		return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"
	case 0xc02b:
		return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
	case 0xc02c:
		return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
	case 0xc02f:
		return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	case 0xc030:
		return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
	case 0xcca8:
		return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
	case 0xcca9:
		return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
	}
	return "0x" + tlsHex16(s)
}
