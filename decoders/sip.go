package decoders

import "bytes"

// sipMaxPayloads bounds SIP's inspection of a flow: before the flow is
// named, keep-alives and a message head cut by the payload's end are
// waited out this long; after, the other direction's first message is.
const sipMaxPayloads = 8

// sipMaxMessages bounds the messages read from one payload (TCP carries
// several back to back).
const sipMaxMessages = 16

// sipMethods are the methods Lync Server 2013 sends or accepts: RFC 3261
// and its extensions, and Microsoft's SERVICE, BENOTIFY and NEGOTIATE.
var sipMethods = [...]string{
	"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "SUBSCRIBE", "NOTIFY", "REFER",
	"MESSAGE", "INFO", "PRACK", "UPDATE", "PUBLISH", "SERVICE", "BENOTIFY", "NEGOTIATE",
}

// Where a message head stands in one direction (sipState.cont).
const (
	sipHeadDone uint8 = iota // no head in progress
	sipHeadLine              // the head goes on at the start of the next payload
	sipHeadMid               // the head goes on in the middle of a line
)

// sipState follows a flow's first SIP messages: whether each direction has
// shown its first message, heads that go on into the next payload of their
// direction, and the start line of a message seen before the flow was
// named (Detail is written only once it is).
type sipState struct {
	named    bool
	payloads uint8    // payloads inspected, up to sipMaxPayloads
	seen     [2]bool  // per Dir: the first message (or, once named, anything) was read
	cont     [2]uint8 // per Dir: sipHeadDone, sipHeadLine or sipHeadMid
	status   uint16   // status code of a response seen before naming
	method   textToken
}

// sipSig recognises SIP in clear text over UDP and TCP (RFC 3261 §7): a
// request line ("METHOD uri SIP/2.0", any uppercase method token, as
// Wireshark accepts) or a status line ("SIP/2.0 DDD "), followed by at
// least one of Via, From, To, Call-ID or CSeq (or their compact forms v,
// f, t, i). Requests and responses are recognised in either direction.
//
// Budget: SIP decides on the first message of the flow, in its first
// payload. CRLF keep-alives before it (RFC 5626), and a head cut by the
// payload's end before any of those fields, are NeedMore for at most
// sipMaxPayloads payloads. Once named it answers ConfirmedMore until the
// first message of each direction has been read (to record the response
// status and the Server), at most until sipMaxPayloads payloads.
//
// Detail: "method" (of the first request; "known-method" = "no" when it
// is none of the methods Lync uses), "status" (code of the first
// response), "via" (the transport token of the first Via: UDP, TCP, TLS,
// WS…), "user-agent" and "server".
type sipSig struct{}

func (sipSig) Protocol() Protocol       { return SIP }
func (sipSig) Accepts(t Transport) bool { return t == TCP || t == UDP }

// Inspect implements Signature.
func (sipSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.sip
	d := dir & 1
	if st.payloads < sipMaxPayloads {
		st.payloads++
	}
	switch {
	case st.cont[d] != sipHeadDone:
		if !st.continueHead(s, d, payload) {
			return Violated
		}
	case !st.named || !st.seen[d]:
		if !st.readMessages(s, d, payload) {
			return Violated
		}
	}
	return st.answer()
}

// answer says where the flow stands after a payload that did not break
// the grammar.
func (st *sipState) answer() Answer {
	budget := st.payloads >= sipMaxPayloads
	switch {
	case !st.named && budget:
		return Violated
	case !st.named:
		return NeedMore
	case budget || st.seen[0] && st.seen[1] && st.cont[0] == sipHeadDone && st.cont[1] == sipHeadDone:
		return Confirmed
	}
	return ConfirmedMore
}

// readMessages reads the messages at the start of a payload in direction
// d. It returns false when the flow cannot be SIP: the first message
// breaks the grammar before the flow was named.
func (st *sipState) readMessages(s *State, d Dir, payload []byte) bool {
	b := skipLineEnds(payload)
	if len(b) == 0 {
		return true // keep-alive
	}
	for i := 0; i < sipMaxMessages && len(b) > 0; i++ {
		m, body, end := sipMessage(b)
		if i == 0 {
			st.seen[d] = true
		}
		if end == headCut && s.Transport != TCP {
			// A datagram is a whole message: what it cut is lost (or
			// in IP fragments the flow table does not join).
			end = headBad
		}
		if !m.start || !m.key && end != headCut {
			// Not SIP. Once named (by this payload's first message or an
			// earlier payload) there is nothing more to learn here.
			return st.named
		}
		if !st.named {
			if !m.key { // the head was cut before any field that proves SIP
				st.method.set(m.method)
				st.status = uint16(max(m.status, 0))
				st.cont[d] = m.cut
				return true
			}
			st.name(s)
		}
		m.record(&s.Detail)
		switch end {
		case headBad:
			return true // a broken line after a field that proves SIP
		case headCut:
			st.cont[d] = m.cut
			return true
		}
		n := m.length
		if n < 0 && s.Transport == UDP {
			n = len(body) // without Content-Length a datagram's body is the rest of it
		}
		if n > len(body) {
			return true // the body goes on in later payloads
		}
		b = skipLineEnds(body[max(n, 0):])
	}
	return true
}

// continueHead reads the rest of a head that the previous payload in
// direction d cut. It returns false when the flow cannot be SIP.
func (st *sipState) continueHead(s *State, d Dir, payload []byte) bool {
	b := payload
	if st.cont[d] == sipHeadMid {
		_, rest, ok := textLine(b)
		if !ok {
			return true // the same line goes on
		}
		b = rest
	}
	var m sipMsg
	m.length = -1
	_, end := m.readHead(b)
	st.cont[d] = sipHeadDone
	if end == headCut {
		st.cont[d] = m.cut
	}
	if !st.named {
		if !m.key {
			return end == headCut
		}
		st.name(s)
	}
	m.record(&s.Detail)
	return true
}

// name marks the flow as SIP and records the start line kept from before.
func (st *sipState) name(s *State) {
	st.named = true
	if method := st.method.get(); len(method) > 0 {
		sipRecordMethod(&s.Detail, method)
	}
	if st.status != 0 {
		s.Detail.SetString("status", itoa(int(st.status)))
	}
}

// sipMsg is what one message head showed. Its slices point into the
// payload.
type sipMsg struct {
	start  bool   // the start line is a SIP request or status line
	method []byte // request method, or nil
	status int    // response status code, or -1
	code   []byte // the status code's digits
	key    bool   // a Via, From, To, Call-ID or CSeq field (or compact form) was seen
	via    []byte // transport of the first Via
	agent  []byte // User-Agent
	server []byte // Server
	length int    // Content-Length, or -1
	cut    uint8  // on headCut: sipHeadLine or sipHeadMid
}

// sipMessage reads the start line and head of the message at the start of
// b. It returns what they showed, the bytes after the head, and how the
// head ended (headBad when the start line is not SIP).
func sipMessage(b []byte) (m sipMsg, body []byte, end headStep) {
	m.status, m.length = -1, -1
	line, rest, ok := textLine(b)
	if !ok {
		return m, nil, headBad // a start line cut short proves nothing
	}
	if m.method, ok = sipRequestLine(line); !ok {
		if m.status, ok = sipStatusLine(line); !ok {
			return m, nil, headBad
		}
		m.code = line[8:11]
	}
	m.start = true
	body, end = m.readHead(rest)
	return m, body, end
}

// readHead reads header fields from b up to the blank line, and returns
// the bytes after it (on headEnd) and how the head ended.
func (m *sipMsg) readHead(b []byte) (body []byte, end headStep) {
	for {
		if len(b) == 0 {
			m.cut = sipHeadLine
			return nil, headCut
		}
		step, name, value, rest := nextField(b)
		switch step {
		case headCut:
			m.cut = sipHeadMid
			return nil, headCut
		case headEnd:
			return rest, headEnd
		case headBad:
			return nil, headBad
		case headField:
			m.field(name, value)
		}
		b = rest
	}
}

// field takes the facts of one header field.
func (m *sipMsg) field(name, value []byte) {
	switch {
	case headerIs(name, "via") || headerIs(name, "v"):
		m.key = true
		if m.via == nil {
			m.via = viaTransport(value)
		}
	case headerIs(name, "from"), headerIs(name, "f"), headerIs(name, "to"), headerIs(name, "t"),
		headerIs(name, "call-id"), headerIs(name, "i"), headerIs(name, "cseq"):
		m.key = true
	case headerIs(name, "content-length") || headerIs(name, "l"):
		m.length = parseDecimal(value, 1<<24)
	case headerIs(name, "user-agent"):
		if m.agent == nil {
			m.agent = value
		}
	case headerIs(name, "server"):
		if m.server == nil {
			m.server = value
		}
	}
}

// record adds what the message showed to d, keeping the first value of
// each fact.
func (m *sipMsg) record(d *Detail) {
	if m.method != nil && d.Get("method") == "" {
		sipRecordMethod(d, m.method)
	}
	if m.code != nil && d.Get("status") == "" {
		d.Set("status", m.code)
	}
	setOnce(d, "via", m.via)
	setOnce(d, "user-agent", m.agent)
	setOnce(d, "server", m.server)
}

// sipRecordMethod records the method, and whether Lync uses it.
func sipRecordMethod(d *Detail, method []byte) {
	d.Set("method", method)
	for _, known := range sipMethods {
		if string(method) == known {
			return
		}
	}
	d.SetString("known-method", "no")
}

// sipRequestLine returns the method of a SIP request line: an uppercase
// token, SP, a URI holding a ':', SP, "SIP/2.0".
func sipRequestLine(line []byte) (method []byte, ok bool) {
	method, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok || !isMethodToken(method) {
		return nil, false
	}
	uri, version, ok := bytes.Cut(rest, []byte{' '})
	if !ok || string(version) != "SIP/2.0" || bytes.IndexByte(uri, ':') < 1 || !allTarget(uri) {
		return nil, false
	}
	return method, true
}

// sipStatusLine returns the code of a SIP status line: "SIP/2.0 ", a code
// from 100 to 699, SP, and a reason phrase in text.
func sipStatusLine(line []byte) (code int, ok bool) {
	const prefix = "SIP/2.0 "
	if len(line) < len(prefix)+4 || string(line[:len(prefix)]) != prefix || line[len(prefix)+3] != ' ' {
		return -1, false
	}
	code = statusCode(line[len(prefix):])
	if code < 100 || code > 699 || !textClean(line[len(prefix)+4:]) {
		return -1, false
	}
	return code, true
}

// viaTransport returns the transport token of a Via value such as
// "SIP/2.0/TLS 10.0.0.1:5061;branch=…", or nil.
func viaTransport(value []byte) []byte {
	const prefix = "sip/2.0/"
	if len(value) <= len(prefix) || !headerIs(value[:len(prefix)], prefix) {
		return nil
	}
	v := value[len(prefix):]
	n := 0
	for n < len(v) && n < 16 && isTokenChar(v[n]) {
		n++
	}
	if n == 0 {
		return nil
	}
	return v[:n]
}
