package decoders

import "bytes"

// httpMaxPayloads bounds HTTP's inspection of a flow: a request line cut
// by the payload's end must end within it, and once named the other
// direction's first message is waited for this long (a request body may
// come first).
const httpMaxPayloads = 8

// httpState follows a flow's first HTTP/1.x messages, and holds the
// HTTP/2 preface matcher's progress as well.
type httpState struct {
	named    bool
	payloads uint8   // payloads inspected, up to httpMaxPayloads
	seen     [2]bool // per Dir: the first message (or, once named, anything) was read
	partial  bool    // the request line goes on in the next payload of partDir
	partDir  Dir
	method   textToken // method of a request line cut short
	h2       uint8     // bytes of the HTTP/2 preface matched so far
	h2Dir    Dir       // the direction sending the preface
	h2Calls  uint8     // payloads the HTTP/2 matcher has seen
}

// httpSig recognises HTTP/1.0 and HTTP/1.1 in clear text (RFC 9112 §3,
// §4): a request line "METHOD target HTTP/1.x" (any uppercase method
// token, CONNECT included) or a status line "HTTP/1.x DDD", in either
// direction. The version token is what tells HTTP from SIP ("SIP/2.0"),
// RTSP ("RTSP/1.0") and the HTTP/2 preface ("HTTP/2.0"): those are
// Violated.
//
// Budget: HTTP decides on the first payload of the flow, or on the next
// ones of that direction when the request line is cut short (at most
// httpMaxPayloads payloads). Once named it answers ConfirmedMore until
// the other direction's first message is read, at most until
// httpMaxPayloads payloads: that is how the status, the Server and an
// accepted Upgrade are learnt.
//
// Detail: "method", "host" (the Host field, or a CONNECT's target),
// "user-agent", "status", "server", and on a 101 response "upgrade" (its
// Upgrade field, e.g. "websocket") and "ws-protocol"
// (Sec-WebSocket-Protocol, e.g. "sip").
type httpSig struct{}

func (httpSig) Protocol() Protocol       { return HTTP }
func (httpSig) Accepts(t Transport) bool { return t == TCP }

// Inspect implements Signature.
func (httpSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.http
	d := dir & 1
	if st.payloads < httpMaxPayloads {
		st.payloads++
	}
	switch {
	case st.named:
		if !st.seen[d] {
			st.seen[d] = true
			st.read(s, payload)
		}
	case st.partial:
		if d != st.partDir || !st.finishRequestLine(s, payload) {
			return Violated
		}
	default:
		if !st.first(s, d, payload) {
			return Violated
		}
	}
	switch {
	case !st.named && st.payloads >= httpMaxPayloads:
		return Violated
	case !st.named:
		return NeedMore
	case st.payloads >= httpMaxPayloads || st.seen[0] && st.seen[1]:
		return Confirmed
	}
	return ConfirmedMore
}

// first reads the flow's first payload. It returns false when the flow
// cannot be HTTP.
func (st *httpState) first(s *State, d Dir, payload []byte) bool {
	line, _, ok := textLine(payload)
	if !ok {
		method, ok := httpRequestPrefix(payload)
		if ok {
			st.partial, st.partDir = true, d
			st.method.set(method)
		}
		return ok
	}
	if _, _, ok := httpRequestLine(line); !ok {
		if _, ok := httpStatusLine(line); !ok {
			return false
		}
	}
	st.named = true
	st.seen[d] = true
	st.read(s, payload)
	return true
}

// finishRequestLine reads the rest of a request line that the previous
// payload cut. It returns false when the line is not HTTP.
func (st *httpState) finishRequestLine(s *State, payload []byte) bool {
	line, rest, ok := textLine(payload)
	if !ok {
		return allTarget(payload)
	}
	i := bytes.LastIndexByte(line, ' ')
	if i < 0 || !httpVersion(line[i+1:]) || !allTarget(line[:i]) {
		return false
	}
	st.named, st.partial = true, false
	st.seen[st.partDir] = true
	s.Detail.Set("method", st.method.get())
	var m httpMsg
	m.readHead(rest)
	m.record(&s.Detail)
	return true
}

// read records the facts of the message at the start of payload, if it is
// one.
func (st *httpState) read(s *State, payload []byte) {
	line, rest, ok := textLine(payload)
	if !ok {
		return
	}
	var m httpMsg
	if m.method, m.target, ok = httpRequestLine(line); !ok {
		if m.status, ok = httpStatusLine(line); !ok {
			return
		}
	}
	m.readHead(rest)
	m.record(&s.Detail)
}

// httpMsg is what one message head showed. Its slices point into the
// payload.
type httpMsg struct {
	method, target []byte // request
	status         []byte // response: the code's three digits
	host, agent    []byte
	server         []byte
	upgrade        []byte
	wsProtocol     []byte
}

// readHead takes the facts of the header fields in b, up to the blank line
// or the end of b.
func (m *httpMsg) readHead(b []byte) {
	for len(b) > 0 {
		step, name, value, rest := nextField(b)
		if step == headEnd || step == headBad || step == headCut {
			return
		}
		if step == headField {
			switch {
			case headerIs(name, "host"):
				m.host = value
			case headerIs(name, "user-agent"):
				m.agent = value
			case headerIs(name, "server"):
				m.server = value
			case headerIs(name, "upgrade"):
				m.upgrade = value
			case headerIs(name, "sec-websocket-protocol"):
				m.wsProtocol = value
			}
		}
		b = rest
	}
}

// record adds what the message showed to d, keeping the first value of
// each fact.
func (m *httpMsg) record(d *Detail) {
	setOnce(d, "method", m.method)
	host := m.host
	if host == nil && string(m.method) == "CONNECT" {
		host = m.target
	}
	setOnce(d, "host", host)
	setOnce(d, "user-agent", m.agent)
	setOnce(d, "status", m.status)
	setOnce(d, "server", m.server)
	if string(m.status) == "101" {
		setOnce(d, "upgrade", m.upgrade)
		setOnce(d, "ws-protocol", m.wsProtocol)
	}
}

// httpRequestLine splits an HTTP/1.x request line: an uppercase method
// token, SP, a target of visible bytes, SP, "HTTP/1.0" or "HTTP/1.1".
func httpRequestLine(line []byte) (method, target []byte, ok bool) {
	method, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok || !isMethodToken(method) {
		return nil, nil, false
	}
	target, version, ok := bytes.Cut(rest, []byte{' '})
	if !ok || len(target) == 0 || !httpVersion(version) || !allTarget(target) {
		return nil, nil, false
	}
	return method, target, true
}

// httpRequestPrefix reports whether b, which holds no line end, can be the
// start of a request line cut inside its target: a method token, SP, and
// visible bytes. It returns the method.
func httpRequestPrefix(b []byte) (method []byte, ok bool) {
	method, target, ok := bytes.Cut(b, []byte{' '})
	if !ok || !isMethodToken(method) || !allTarget(target) {
		return nil, false
	}
	return method, true
}

// httpStatusLine returns the code digits of an HTTP/1.x status line:
// "HTTP/1.0 " or "HTTP/1.1 ", three digits, then SP and a reason phrase in
// text, or nothing (RFC 9112 §4 asks recipients to accept a missing reason).
func httpStatusLine(line []byte) (code []byte, ok bool) {
	const n = len("HTTP/1.1 ")
	if len(line) < n+3 || !httpVersion(line[:n-1]) || line[n-1] != ' ' || statusCode(line[n:]) < 0 {
		return nil, false
	}
	if rest := line[n+3:]; len(rest) > 0 && (rest[0] != ' ' || !textClean(rest)) {
		return nil, false
	}
	return line[n : n+3], true
}

// httpVersion reports whether b is "HTTP/1.0" or "HTTP/1.1".
func httpVersion(b []byte) bool {
	return string(b) == "HTTP/1.1" || string(b) == "HTTP/1.0"
}

// http2Preface is the client connection preface of HTTP/2 in clear text
// (RFC 9113 §3.4).
const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// http2MaxPayloads bounds how many payloads the preface may take.
const http2MaxPayloads = 3

// http2Sig recognises HTTP/2 with prior knowledge in clear text (h2c): the
// 24-byte client preface. The preface may be cut across the first
// payloads of its direction.
//
// Budget: HTTP/2 decides on the first payload, or on the first
// http2MaxPayloads payloads when they bring the preface piecemeal. It
// records no Detail.
type http2Sig struct{}

func (http2Sig) Protocol() Protocol       { return HTTP2 }
func (http2Sig) Accepts(t Transport) bool { return t == TCP }

// Inspect implements Signature.
func (http2Sig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.http
	if int(st.h2) == len(http2Preface) {
		return Confirmed
	}
	if st.h2Calls == 0 {
		st.h2Dir = dir
	}
	if st.h2Calls < http2MaxPayloads {
		st.h2Calls++
	}
	if dir != st.h2Dir {
		return Violated
	}
	want := http2Preface[st.h2:]
	n := min(len(want), len(payload))
	if string(payload[:n]) != want[:n] {
		return Violated
	}
	st.h2 += uint8(n)
	switch {
	case int(st.h2) == len(http2Preface):
		return Confirmed
	case st.h2Calls >= http2MaxPayloads:
		return Violated
	}
	return NeedMore
}
