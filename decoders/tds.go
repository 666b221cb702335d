package decoders

import "encoding/binary"

// TDS packet types ([MS-TDS] §2.2.3.1.1). Pre-TDS7 Login (2) is left
// out: no SQL Server that Lync Server supports accepts it, and its byte
// would match MS-TURN's TCP framing.
const (
	tdsSQLBatch    = 0x01
	tdsRPC         = 0x03
	tdsResult      = 0x04
	tdsAttention   = 0x06
	tdsBulkLoad    = 0x07
	tdsFedAuth     = 0x08
	tdsTransaction = 0x0e
	tdsLogin7      = 0x10
	tdsSSPI        = 0x11
	tdsPrelogin    = 0x12
)

const (
	tdsHeaderLen  = 8
	tdsStatusBits = 0x1f  // end of message, ignore, event notification, two connection resets
	tdsEOM        = 0x01  // the packet ends its message
	tdsMinPacket  = 512   // the smallest packet size a connection may negotiate
	tdsMaxPacket  = 32767 // the largest
	tdsBudget     = 6     // payloads after which an unconfirmed flow is given up
)

var tdsTypeNames = [...]string{
	tdsSQLBatch:    "sql-batch",
	tdsRPC:         "rpc",
	tdsResult:      "tabular-result",
	tdsAttention:   "attention",
	tdsBulkLoad:    "bulk-load",
	tdsFedAuth:     "fedauth-token",
	tdsTransaction: "transaction-manager",
	tdsLogin7:      "login7",
	tdsSSPI:        "sspi",
	tdsPrelogin:    "prelogin",
}

// PRELOGIN option tokens ([MS-TDS] §2.2.6.5).
const (
	tdsOptVersion    = 0x00
	tdsOptEncryption = 0x01
	tdsOptInstance   = 0x02
	tdsOptThreadID   = 0x03
	tdsOptMARS       = 0x04
	tdsOptTraceID    = 0x05
	tdsOptFedAuth    = 0x06
	tdsOptNonce      = 0x07
	tdsOptEnd        = 0xff
)

// tdsState follows TDS packets through the segments of both directions.
type tdsState struct {
	walk  pduWalk
	seen  uint8 // payloads inspected
	pkts  uint8 // whole packet headers checked
	first uint8 // type of the first packet
	named bool  // the client's PRELOGIN confirmed the flow; the server's answer is awaited
}

// tdsSig recognises the Tabular Data Stream of SQL Server ([MS-TDS]) on
// TCP. A client PRELOGIN whose option table is valid confirms at once,
// pending the server's PRELOGIN response for its version and encryption
// (one more payload). A flow caught later confirms after two consistent
// packet headers, walked through the segments of both directions; TLS
// handshake records that PRELOGIN packets wrap count as packets, not as
// option tables. It decides within 6 payloads; the first payload must
// start with a packet header.
type tdsSig struct{}

var _ Signature = tdsSig{}

func (tdsSig) Protocol() Protocol       { return TDS }
func (tdsSig) Accepts(t Transport) bool { return t == TCP }

func (tdsSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.tds
	if st.seen < 255 {
		st.seen++
	}
	if st.named {
		// The server's PRELOGIN response, if that is what came.
		if h, ok := parseTDSHeader(payload); ok && h.typ == tdsResult && h.length <= len(payload) {
			if pl, ok := parseTDSPrelogin(payload[tdsHeaderLen:h.length]); ok {
				pl.recordServer(&s.Detail)
			}
		}
		return Confirmed
	}
	off := 0
	if st.walk.rest[dir] > 0 {
		off = st.walk.resume(dir, len(payload))
	} else if st.walk.isLost(dir) {
		return st.undecided()
	}
	var client, server tdsPreloginOpts
	var gotClient, gotServer bool
	for off < len(payload) {
		b := payload[off:]
		if len(b) < tdsHeaderLen {
			if st.pkts == 0 || !tdsHeaderPrefix(b) {
				return Violated
			}
			st.walk.lose(dir)
			break
		}
		h, ok := parseTDSHeader(b)
		if !ok {
			return Violated
		}
		if st.pkts == 0 {
			st.first = h.typ
		}
		if st.pkts < 255 {
			st.pkts++
		}
		// A whole PRELOGIN packet, or the server's answer to one, holds
		// an option table; TLS records wrapped in PRELOGIN do not.
		if h.length <= len(b) {
			body := b[tdsHeaderLen:h.length]
			switch {
			case h.typ == tdsPrelogin && !isTLSInTDS(body):
				if client, ok = parseTDSPrelogin(body); !ok {
					return Violated
				}
				gotClient = true
			case h.typ == tdsResult && len(body) > 0 && body[0] == tdsOptVersion:
				server, gotServer = parseTDSPrelogin(body)
			}
		}
		off = st.walk.next(dir, len(payload), off, h.length)
	}
	switch {
	case gotServer:
		st.recordType(&s.Detail)
		server.recordServer(&s.Detail)
		return Confirmed
	case gotClient:
		st.recordType(&s.Detail)
		client.recordClient(&s.Detail)
		st.named = true
		return ConfirmedMore
	case st.pkts >= 2:
		st.recordType(&s.Detail)
		return Confirmed
	}
	return st.undecided()
}

// undecided gives up once the budget is spent.
func (st *tdsState) undecided() Answer {
	if st.seen >= tdsBudget {
		return Violated
	}
	return NeedMore
}

func (st *tdsState) recordType(d *Detail) {
	if int(st.first) < len(tdsTypeNames) && tdsTypeNames[st.first] != "" {
		d.SetString("type", tdsTypeNames[st.first])
	}
}

// tdsHeader is what the signature reads from a packet header.
type tdsHeader struct {
	typ    uint8
	length int
}

// parseTDSHeader reads the 8-byte packet header at the start of b
// ([MS-TDS] §2.2.3.1) and reports whether it is valid: a known type,
// defined status bits, a zero window, and a length of more than the
// header (exactly the header for an attention) and at most the largest
// packet size. A packet that does not end its message fills the
// negotiated packet size (§2.2.3.1.3), so it is at least 512 bytes: the
// RFC 1006 TPKT header of RDP, 03 00 and a length, would otherwise pass
// for an RPC packet.
func parseTDSHeader(b []byte) (h tdsHeader, ok bool) {
	if len(b) < tdsHeaderLen || !tdsHeaderPrefix(b) {
		return h, false
	}
	h.typ = b[0]
	h.length = int(binary.BigEndian.Uint16(b[2:]))
	switch {
	case h.length > tdsMaxPacket:
		return h, false
	case b[1]&tdsEOM == 0 && h.length < tdsMinPacket:
		return h, false
	case h.typ == tdsAttention:
		return h, h.length == tdsHeaderLen
	}
	return h, h.length > tdsHeaderLen
}

// tdsHeaderPrefix reports whether b, however short, starts like a packet
// header.
func tdsHeaderPrefix(b []byte) bool {
	if len(b) == 0 || int(b[0]) >= len(tdsTypeNames) || tdsTypeNames[b[0]] == "" {
		return false
	}
	if len(b) > 1 && b[1]&^tdsStatusBits != 0 {
		return false
	}
	return len(b) < tdsHeaderLen || b[7] == 0
}

// isTLSInTDS reports whether a PRELOGIN body is a TLS record rather than
// an option table: after the PRELOGIN exchange agrees on encryption, the
// TLS handshake travels inside PRELOGIN packets ([MS-TDS] §3.2.5.1).
func isTLSInTDS(body []byte) bool {
	return len(body) >= 5 && body[0] >= 0x14 && body[0] <= 0x17 && body[1] == 3 && body[2] <= 4
}

// tdsPreloginOpts is what a PRELOGIN option table says; its slices point
// into the packet.
type tdsPreloginOpts struct {
	version    []byte // 6 bytes: major, minor, build (big-endian), sub-build
	encryption int    // the ENCRYPTION byte; -1 when absent
	instance   []byte // INSTOPT without its NUL
}

// tdsOptLen gives the length each fixed-size option must have; 0 means
// any ([MS-TDS] §2.2.6.5). THREADID may also be empty in a response.
var tdsOptLen = [...]int{
	tdsOptVersion:    6,
	tdsOptEncryption: 1,
	tdsOptThreadID:   4,
	tdsOptMARS:       1,
	tdsOptTraceID:    36,
	tdsOptFedAuth:    1,
	tdsOptNonce:      32,
}

// parseTDSPrelogin reads a PRELOGIN option table: 5-byte entries (token,
// big-endian offset and length from the body's start) ending with 0xFF,
// VERSION first, each option's data after the table and within the body.
func parseTDSPrelogin(body []byte) (pl tdsPreloginOpts, ok bool) {
	pl.encryption = -1
	end := -1 // offset after the terminator, where option data may start
	for i := 0; i < len(body); i += 5 {
		if body[i] == tdsOptEnd {
			end = i + 1
			break
		}
		if i+5 > len(body) || (i == 0 && body[i] != tdsOptVersion) {
			return pl, false
		}
	}
	if end <= 1 {
		return pl, false // no terminator, or no VERSION before it
	}
	for i := 0; body[i] != tdsOptEnd; i += 5 {
		tok := body[i]
		at := int(binary.BigEndian.Uint16(body[i+1:]))
		n := int(binary.BigEndian.Uint16(body[i+3:]))
		if at+n > len(body) || (n > 0 && at < end) {
			return pl, false
		}
		if int(tok) < len(tdsOptLen) && tdsOptLen[tok] != 0 && n != tdsOptLen[tok] && !(tok == tdsOptThreadID && n == 0) {
			return pl, false
		}
		data := body[at : at+n]
		switch tok {
		case tdsOptVersion:
			pl.version = data
		case tdsOptEncryption:
			pl.encryption = int(data[0])
		case tdsOptInstance:
			for len(data) > 0 && data[len(data)-1] == 0 {
				data = data[:len(data)-1]
			}
			pl.instance = data
		}
	}
	return pl, true
}

// recordClient writes what the client's PRELOGIN says into d: the
// encryption it offers and the instance it asks for.
func (pl *tdsPreloginOpts) recordClient(d *Detail) {
	if pl.encryption >= 0 {
		d.SetString("encryption", tdsEncryptionName(pl.encryption))
	}
	if len(pl.instance) > 0 {
		d.Set("instance", clipDetailValue(pl.instance))
	}
}

// recordServer writes what the server's PRELOGIN response says into d:
// the encryption it settles on and the SQL Server version.
func (pl *tdsPreloginOpts) recordServer(d *Detail) {
	if pl.encryption >= 0 {
		d.SetString("encryption", tdsEncryptionName(pl.encryption))
	}
	if v := pl.version; len(v) == 6 {
		d.SetString("version", itoa(int(v[0]))+"."+itoa(int(v[1]))+"."+
			itoa(int(binary.BigEndian.Uint16(v[2:])))+"."+itoa(int(binary.BigEndian.Uint16(v[4:]))))
	}
}

// tdsEncryptionName names a PRELOGIN ENCRYPTION value: ENCRYPT_OFF,
// ENCRYPT_ON, ENCRYPT_NOT_SUP or ENCRYPT_REQ, with ENCRYPT_CLIENT_CERT
// (0x80) added to any of them.
func tdsEncryptionName(v int) string {
	names := [...]string{"off", "on", "not-sup", "req"}
	switch {
	case v < len(names):
		return names[v]
	case v&0x80 != 0 && v&^0x80 < len(names):
		return names[v&^0x80] + "+client-cert"
	}
	return "value-" + itoa(v)
}
