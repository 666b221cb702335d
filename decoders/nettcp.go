package decoders

// .NET Message Framing record types ([MC-NMF] §2.2.3).
const (
	nmfVersion         = 0x00
	nmfMode            = 0x01
	nmfVia             = 0x02
	nmfKnownEncoding   = 0x03
	nmfExtEncoding     = 0x04
	nmfUpgradeRequest  = 0x09
	nmfUpgradeResponse = 0x0a
	nmfPreambleAck     = 0x0b
	nmfPreambleEnd     = 0x0c
)

// nmfMaxVia bounds the Via record's size: a URI, not a document.
const nmfMaxVia = 0xffff

var nmfModes = [...]string{1: "singleton-unsized", 2: "duplex", 3: "simplex", 4: "singleton-sized"}

// nmfEncodings names the Known Encoding values ([MC-NMF] §2.2.3.4.1);
// 0x09 and above are reserved.
var nmfEncodings = [...]string{
	"soap11-utf8", "soap11-utf16", "soap11-unicode-le",
	"soap12-utf8", "soap12-utf16", "soap12-unicode-le",
	"mtom", "binary", "binary-session",
}

// nettcpState remembers whether the server's one-byte answer came first.
type nettcpState struct {
	seen    uint8 // payloads inspected
	loneAck bool  // the first payload was a lone Preamble Ack or Upgrade Response
}

// nettcpSig recognises .NET Message Framing, WCF's net.tcp binding
// ([MC-NMF]), from the client's preamble: the Version, Mode and Via
// records, the Via's URI scheme included, then whatever of the encoding,
// upgrade and preamble-end records the payload holds. It decides on the
// first payload, or the second when the first is the server's lone 0x0A
// or 0x0B (a reordered or mid-stream capture). The preamble is accepted
// in either direction.
type nettcpSig struct{}

var _ Signature = nettcpSig{}

func (nettcpSig) Protocol() Protocol       { return NetTCP }
func (nettcpSig) Accepts(t Transport) bool { return t == TCP }

func (nettcpSig) Inspect(s *State, _ Dir, payload []byte) Answer {
	st := &s.nettcp
	st.seen++
	if st.seen == 1 && len(payload) == 1 && (payload[0] == nmfPreambleAck || payload[0] == nmfUpgradeResponse) {
		st.loneAck = true
		return NeedMore
	}
	if st.seen > 2 || (st.seen == 2 && !st.loneAck) {
		return Violated
	}
	pre, ok := parseNMFPreamble(payload)
	if !ok {
		return Violated
	}
	pre.record(&s.Detail)
	return Confirmed
}

// nmfPreamble is what a client's preamble says; its slices point into
// the payload.
type nmfPreamble struct {
	mode     byte
	via      []byte // the URI, or its start when the segment ends inside it
	encoding int    // Known Encoding value; -1 when absent
	mime     []byte // Extensible Encoding content type
	upgrade  []byte // Upgrade Request protocol
}

// parseNMFPreamble reads the preamble records at the start of b
// ([MC-NMF] §2.2.3.1 to §2.2.3.5) and reports whether they are valid up
// to at least the Via URI's scheme. Records the segment cuts short are
// left out; a record of the wrong type or out of order fails.
func parseNMFPreamble(b []byte) (pre nmfPreamble, ok bool) {
	pre.encoding = -1
	// Version 1.0, then the Mode record.
	if len(b) < 7 || b[0] != nmfVersion || b[1] != 1 || b[2] != 0 || b[3] != nmfMode ||
		b[4] == 0 || int(b[4]) >= len(nmfModes) || b[5] != nmfVia {
		return pre, false
	}
	pre.mode = b[4]
	via, rest, whole := nmfString(b[6:])
	if via == nil || len(via) > nmfMaxVia || !nmfURIStart(via) {
		return pre, false
	}
	pre.via = via
	if !whole {
		return pre, true
	}
	// The envelope encoding comes next.
	switch {
	case len(rest) == 0:
		return pre, true
	case rest[0] == nmfKnownEncoding:
		if len(rest) < 2 {
			return pre, true
		}
		if int(rest[1]) >= len(nmfEncodings) {
			return pre, false
		}
		pre.encoding = int(rest[1])
		rest = rest[2:]
	case rest[0] == nmfExtEncoding:
		mime, after, whole := nmfString(rest[1:])
		if mime == nil || !nmfPrintable(mime) {
			return pre, false
		}
		pre.mime = mime
		if !whole {
			return pre, true
		}
		rest = after
	default:
		return pre, false
	}
	// Then an upgrade request, after which the stream changes hands, or
	// the preamble's end.
	switch {
	case len(rest) == 0 || rest[0] == nmfPreambleEnd:
		return pre, true
	case rest[0] == nmfUpgradeRequest:
		up, _, _ := nmfString(rest[1:])
		if up == nil || !nmfPrintable(up) {
			return pre, false
		}
		pre.upgrade = up
		return pre, true
	}
	return pre, false
}

// nmfString reads a record size ([MC-NMF] §2.2.2: 7 bits a byte, least
// significant first, at most five bytes) and the bytes it counts at the
// start of b. It returns those bytes (cut at b's end, whole false), and
// what follows them. s is nil when the size is malformed, zero, or not
// followed by a single byte.
func nmfString(b []byte) (s, rest []byte, whole bool) {
	var size uint64
	n := 0
	for {
		if n == 5 || n == len(b) {
			return nil, nil, false
		}
		c := b[n]
		size |= uint64(c&0x7f) << (7 * n)
		n++
		if c < 0x80 {
			break
		}
	}
	if size == 0 || n == len(b) {
		return nil, nil, false
	}
	b = b[n:]
	if size > uint64(len(b)) {
		return b, nil, false
	}
	return b[:size], b[size:], true
}

// nmfURIStart reports whether b begins with an absolute URI's scheme and
// "://" (RFC 3986 §3.1), and holds only printable ASCII.
func nmfURIStart(b []byte) bool {
	i := 0
	for i < len(b) && nmfSchemeByte(b[i], i == 0) {
		i++
	}
	if i == 0 || len(b)-i < 3 || string(b[i:i+3]) != "://" {
		return false
	}
	return nmfPrintable(b)
}

func nmfSchemeByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		return true
	case first:
		return false
	}
	return '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// nmfPrintable reports whether b is printable ASCII without spaces.
func nmfPrintable(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// record writes the preamble's facts into d.
func (pre *nmfPreamble) record(d *Detail) {
	d.Set("via", clipDetailValue(pre.via))
	d.SetString("mode", nmfModes[pre.mode])
	switch {
	case pre.encoding >= 0:
		d.SetString("encoding", nmfEncodings[pre.encoding])
	case pre.mime != nil:
		d.Set("encoding", clipDetailValue(pre.mime))
	}
	switch string(pre.upgrade) {
	case "":
	case "application/ssl-tls":
		d.SetString("upgrade", "ssl-tls")
	case "application/negotiate":
		d.SetString("upgrade", "negotiate")
	default:
		d.Set("upgrade", clipDetailValue(pre.upgrade))
	}
}

// maxDetailValue caps a Detail value copied from a packet.
const maxDetailValue = 256

// clipDetailValue returns b cut to maxDetailValue bytes.
func clipDetailValue(b []byte) []byte {
	if len(b) > maxDetailValue {
		return b[:maxDetailValue]
	}
	return b
}
