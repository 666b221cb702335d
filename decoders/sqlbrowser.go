package decoders

import (
	"bytes"
	"encoding/binary"
)

// SQL Server Resolution Protocol messages ([MC-SQLR] §2.2).
const (
	sqlbBcastEx  = 0x02 // CLNT_BCAST_EX: every instance, broadcast
	sqlbUcastEx  = 0x03 // CLNT_UCAST_EX: every instance of one host
	sqlbUcastIns = 0x04 // CLNT_UCAST_INST + instance name + NUL
	sqlbResp     = 0x05 // SVR_RESP
	sqlbUcastDAC = 0x0f // CLNT_UCAST_DAC + protocol version 1 + instance name + NUL
)

const (
	sqlbPort     = 1434 // where the SQL Server Browser listens
	sqlbMaxName  = 32   // instance name bytes before the NUL (§2.2.3, §2.2.4)
	sqlbPatience = 4    // datagrams waited for the response after a request
)

// sqlBrowserState remembers the request while the response is awaited.
type sqlBrowserState struct {
	seen  uint8 // datagrams inspected
	req   uint8 // the request's message type; 0 before one
	named bool  // the flow is confirmed, the response awaited
}

// sqlBrowserSig recognises the SQL Server Resolution Protocol, the SQL
// Server Browser on UDP 1434 ([MC-SQLR]). The first datagram decides: an
// SVR_RESP whose size counts the rest of the datagram and whose text
// starts with "ServerName;" confirms; a request of exact form (an instance
// name of printable bytes ending the datagram with its NUL) confirms
// pending the response, whose server name and version it then waits for,
// 4 datagrams at most. The one-byte enumeration requests are only taken
// for SQL Browser when they travel to port 1434.
type sqlBrowserSig struct{}

var _ Signature = sqlBrowserSig{}

func (sqlBrowserSig) Protocol() Protocol       { return SQLBrowser }
func (sqlBrowserSig) Accepts(t Transport) bool { return t == UDP }

func (sqlBrowserSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.sqlb
	if st.seen < 255 {
		st.seen++
	}
	toBrowser := (dir == ToServer && s.ServerPort == sqlbPort) || (dir == ToClient && s.ClientPort == sqlbPort)
	fromBrowser := (dir == ToClient && s.ServerPort == sqlbPort) || (dir == ToServer && s.ClientPort == sqlbPort)
	if resp, ok := parseSQLBResponse(payload); ok {
		resp.record(&s.Detail)
		return Confirmed
	}
	if port, ok := sqlbDACResponse(payload); ok && (st.req == sqlbUcastDAC || fromBrowser) {
		s.Detail.SetString("dac", itoa(int(port)))
		return Confirmed
	}
	if st.named {
		// A retried request keeps the wait going; anything else ends it.
		if _, ok := sqlbRequest(payload); ok && st.seen < sqlbPatience {
			return ConfirmedMore
		}
		return Confirmed
	}
	if st.seen > 1 {
		return Violated
	}
	name, ok := sqlbRequest(payload)
	switch {
	case !ok:
		return Violated
	case name == nil && !toBrowser:
		return Violated // a lone 0x02 or 0x03 means nothing off port 1434
	}
	st.req, st.named = payload[0], true
	if name != nil {
		s.Detail.Set("instance", name)
	}
	return ConfirmedMore
}

// sqlbRequest reports whether b is a client request of exact form, and
// returns its instance name (nil for the enumeration requests).
func sqlbRequest(b []byte) (name []byte, ok bool) {
	if len(b) == 0 {
		return nil, false
	}
	switch b[0] {
	case sqlbBcastEx, sqlbUcastEx:
		return nil, len(b) == 1
	case sqlbUcastIns:
		name = b[1:]
	case sqlbUcastDAC:
		if len(b) < 2 || b[1] != 1 {
			return nil, false
		}
		name = b[2:]
	default:
		return nil, false
	}
	// The name is MBCS: printable bytes, any byte above 0x7f, then the
	// NUL that ends the datagram.
	if len(name) < 2 || len(name)-1 > sqlbMaxName || name[len(name)-1] != 0 {
		return nil, false
	}
	name = name[:len(name)-1]
	for _, c := range name {
		if c <= ' ' || c == 0x7f {
			return nil, false
		}
	}
	return name, true
}

// sqlbDACResponse reports whether b is the 6-byte SVR_RESP to a
// CLNT_UCAST_DAC ([MC-SQLR] §2.2.6) and returns its TCP port, read
// little-endian as RESP_SIZE is.
func sqlbDACResponse(b []byte) (port uint16, ok bool) {
	if len(b) != 6 || b[0] != sqlbResp || binary.LittleEndian.Uint16(b[1:]) != 6 || b[3] != 1 {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b[4:]), true
}

// sqlbInstance is the first instance a response describes; its slices
// point into the datagram.
type sqlbInstance struct {
	server, instance, version, tcp []byte
}

// parseSQLBResponse reads an SVR_RESP ([MC-SQLR] §2.2.5): 0x05, the size
// of the rest of the datagram (little-endian, as Windows writes it), and
// MBCS text of semicolon-separated key;value pairs for each instance,
// each instance ending with ";;". It reports whether b is one and returns
// the first instance's facts: its server and instance names and a valid
// version are required.
func parseSQLBResponse(b []byte) (in sqlbInstance, ok bool) {
	const first = "ServerName;"
	if len(b) < 3+len(first)+2 || b[0] != sqlbResp || int(binary.LittleEndian.Uint16(b[1:])) != len(b)-3 {
		return in, false
	}
	text := b[3:]
	if !sqlbKey(text[:len(first)], first) || string(text[len(text)-2:]) != ";;" {
		return in, false
	}
	for _, c := range text {
		if c < ' ' || c == 0x7f {
			return in, false
		}
	}
	// Keys and values alternate until the empty field of ";;".
	for rest := text; ; {
		i := bytes.IndexByte(rest, ';')
		if i <= 0 {
			break // the empty field of ";;" ends the first instance
		}
		key := rest[:i]
		rest = rest[i+1:]
		if i = bytes.IndexByte(rest, ';'); i < 0 {
			return in, false
		}
		value := rest[:i]
		rest = rest[i+1:]
		switch {
		case sqlbKey(key, "ServerName"):
			in.server = value
		case sqlbKey(key, "InstanceName"):
			in.instance = value
		case sqlbKey(key, "Version"):
			in.version = value
		case sqlbKey(key, "tcp"):
			in.tcp = value
		}
	}
	return in, in.server != nil && in.instance != nil && sqlbVersion(in.version)
}

// sqlbVersion reports whether v is a VERSION_STRING: 1 to 16 digits and
// dots (§2.2.5).
func sqlbVersion(v []byte) bool {
	if len(v) == 0 || len(v) > 16 {
		return false
	}
	for _, c := range v {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// sqlbKey reports whether b is the key k, ignoring case as ABNF literals
// do; k is made of ASCII letters and ';' only.
func sqlbKey(b []byte, k string) bool {
	if len(b) != len(k) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != k[i]|0x20 {
			return false
		}
	}
	return true
}

// record writes the instance's facts into d.
func (in *sqlbInstance) record(d *Detail) {
	d.Set("server", clipDetailValue(in.server))
	d.Set("instance", clipDetailValue(in.instance))
	d.Set("version", in.version)
	if len(in.tcp) > 0 {
		d.Set("tcp", clipDetailValue(in.tcp))
	}
}
