package decoders

import "bytes"

// SIP and HTTP/1.x share the message head of RFC 822: a start line, header
// fields "Name: value" one per line, and a blank line before the body.
// The helpers here read such heads in place, from one payload at a time,
// without allocating. Lines end with LF, with or without a CR before it,
// as lenient parsers (Wireshark's among them) accept.

// textMaxValue caps the bytes of a header value kept as Detail.
const textMaxValue = 256

// textLine splits b at its first line end. ok is false when b holds no
// line end: the line goes on in a later payload.
func textLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil, false
	}
	line = b[:i]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, b[i+1:], true
}

// textClean reports whether b is text: no control byte but HT. Bytes from
// 0x80 up pass, for UTF-8.
func textClean(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c may appear in a header name or a method
// (RFC 9110 tchar, which includes RFC 3261's token characters).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isMethodToken reports whether b is an uppercase method token of at most
// textMaxMethod bytes: a letter, then uppercase letters, digits, '-' and '_'
// (RPC_IN_DATA, M-SEARCH). Methods are case-sensitive in SIP and HTTP.
func isMethodToken(b []byte) bool {
	if len(b) == 0 || len(b) > textMaxMethod || b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	for _, c := range b[1:] {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isTargetByte reports whether c may appear in a request URI or target:
// anything visible. Bytes from 0x80 up pass: some clients send raw UTF-8.
func isTargetByte(c byte) bool { return c > 0x20 && c != 0x7f }

// allTarget reports whether every byte of b may appear in a target.
func allTarget(b []byte) bool {
	for _, c := range b {
		if !isTargetByte(c) {
			return false
		}
	}
	return true
}

// headStep is what one line of a message head turned out to be.
type headStep uint8

const (
	headField headStep = iota // a header field: name and value are set
	headFold                  // a continuation of the previous field (obsolete line folding)
	headEnd                   // the blank line: the body follows
	headCut                   // the payload ended inside the head
	headBad                   // a line that is no header field
)

// nextField reads one line of a message head from b. It returns what the
// line is, the field's name and value (value trimmed of blanks) for
// headField, and the bytes after the line. On headCut, rest is nil; a
// line cut short is headBad already when what there is of it is not text.
func nextField(b []byte) (step headStep, name, value, rest []byte) {
	line, rest, ok := textLine(b)
	if !ok {
		if !textClean(bytes.TrimSuffix(line, []byte{'\r'})) {
			return headBad, nil, nil, nil
		}
		return headCut, nil, nil, nil
	}
	if len(line) == 0 {
		return headEnd, nil, nil, rest
	}
	if !textClean(line) {
		return headBad, nil, nil, rest
	}
	if line[0] == ' ' || line[0] == '\t' {
		return headFold, nil, nil, rest
	}
	i := 0
	for i < len(line) && isTokenChar(line[i]) {
		i++
	}
	name = line[:i]
	j := i
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
		j++
	}
	if i == 0 || j == len(line) || line[j] != ':' {
		return headBad, nil, nil, rest
	}
	return headField, name, bytes.Trim(line[j+1:], " \t"), rest
}

// skipLineEnds returns b without the CR and LF bytes it starts with:
// keep-alives (RFC 5626 §3.5.1) and the CRLFs RFC 3261 §7.5 says to
// ignore before a start line.
func skipLineEnds(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// textCap returns b cut to textMaxValue bytes, for Detail.
func textCap(b []byte) []byte {
	if len(b) > textMaxValue {
		return b[:textMaxValue]
	}
	return b
}

// setOnce records value, cut to textMaxValue bytes, under key, unless the
// key holds a value already or value is empty.
func setOnce(d *Detail, key string, value []byte) {
	if len(value) > 0 && d.Get(key) == "" {
		d.Set(key, textCap(value))
	}
}

// textMaxMethod is the longest method token accepted and kept: the longest
// method SIP or HTTP registers is under 20 bytes.
const textMaxMethod = 20

// textToken keeps a method seen before the flow was named, until it is:
// signatures record Detail only once they confirm.
type textToken struct {
	b [textMaxMethod]byte
	n uint8
}

func (t *textToken) set(b []byte) { t.n = uint8(copy(t.b[:], b)) }
func (t *textToken) get() []byte  { return t.b[:t.n] }

// parseDecimal returns the value of the ASCII digits b, or -1 when b is
// empty, holds anything else or exceeds limit.
func parseDecimal(b []byte, limit int) int {
	if len(b) == 0 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
		if n > limit {
			return -1
		}
	}
	return n
}

// statusCode returns the three-digit code at the start of b, between 100
// and 999, or -1.
func statusCode(b []byte) int {
	if len(b) < 3 || b[0] < '1' || b[0] > '9' {
		return -1
	}
	return parseDecimal(b[:3], 999)
}

// headerIs reports whether the header name equals lower, which is in
// lowercase, ignoring ASCII case.
func headerIs(name []byte, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
