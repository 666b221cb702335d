package decoders

import "encoding/binary"

// dnsMaxPayloads bounds how long a named DNS flow waits for the response
// to its query (retransmissions come first on a lossy path).
const dnsMaxPayloads = 4

// DNS header layout (RFC 1035 §4.1.1).
const (
	dnsHeaderLen = 12
	dnsQR        = 0x8000
	dnsZ         = 0x0040
	dnsOPT       = 41 // EDNS pseudo-record (RFC 6891): its class is a size
)

// Ports that tell DNS's flavours apart, and NetBIOS Name Service's.
const (
	portMDNS  = 5353 // RFC 6762
	portLLMNR = 5355 // RFC 4795
	portNBNS  = 137  // RFC 1002
)

// dnsState follows a DNS flow: the TCP length prefix that came alone in a
// payload, and the query whose response is awaited.
type dnsState struct {
	named    bool
	waiting  bool    // a unicast query was seen; its response's rcode is wanted
	prefix   [2]bool // per Dir, TCP: the last payload held only the 2-byte length
	queryDir Dir
	id       uint16 // the query's ID
	payloads uint8  // payloads inspected, up to dnsMaxPayloads
}

// dnsSig recognises DNS (RFC 1035) over UDP, and over TCP behind the
// 2-byte length prefix (§4.2.2), in either direction: a 12-byte header
// with a plausible opcode and rcode, one question (several, or none in a
// response, on mDNS) whose name walks cleanly (labels up to 63 bytes,
// names up to 255, compression pointers only backwards) with a plausible
// QTYPE and QCLASS, and records consistent with the message length
// (records cut by the end of the captured payload are accepted, bytes
// left after the last record are not). LLMNR (5355) and mDNS (5353) are
// named DNS too.
//
// NetBIOS Name Service (UDP 137) shares the header but is not DNS, and
// lyncaudit has no name for it: it is Violated, so that it stays unknown
// rather than pass for DNS (nDPI calls it NetBIOS). Its questions NB
// (0x20) and NBSTAT (0x21, which is SRV in DNS) carry a 32-byte name in
// the NetBIOS first-level encoding ('A' to 'P'): such a question, any
// QTYPE 0x20 (NIMLOC, long dead in DNS), and any flow on port 137 (where
// damaged names would slip through) are Violated.
//
// Budget: DNS decides on the first message (on TCP, the second payload
// when the first held only the length). After a unicast query it answers
// ConfirmedMore until the response with the same ID is read, at most
// until dnsMaxPayloads payloads.
//
// Detail: "query" (the first question's name, dotted; for UPDATE the
// zone), "qtype" (A, AAAA, SRV… or TYPEn), "rcode" of a response
// (NOERROR, NXDOMAIN…), "opcode" when not a standard query (notify,
// update), and "flavor" ("mdns", "llmnr") on those ports.
type dnsSig struct{}

func (dnsSig) Protocol() Protocol       { return DNS }
func (dnsSig) Accepts(t Transport) bool { return t == TCP || t == UDP }

// Inspect implements Signature.
func (dnsSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.dns
	d := dir & 1
	if st.payloads < dnsMaxPayloads {
		st.payloads++
	}
	msg, ok := st.message(s.Transport, d, payload)
	if !st.named {
		if !ok || s.ClientPort == portNBNS || s.ServerPort == portNBNS {
			return Violated
		}
		if msg == nil {
			return NeedMore // a TCP length prefix alone
		}
		flavor := dnsFlavor(s)
		m, ok := dnsCheck(msg, flavor == portMDNS)
		if !ok {
			return Violated
		}
		st.named = true
		m.record(&s.Detail, msg, flavor)
		if m.flags&dnsQR != 0 || flavor != 0 {
			return Confirmed // a response, or a multicast query answered from elsewhere
		}
		st.waiting, st.queryDir, st.id = true, d, m.id
		return ConfirmedMore
	}
	if !st.waiting {
		return Confirmed
	}
	if d != st.queryDir && ok && msg != nil {
		if m, ok := dnsCheck(msg, false); ok && m.flags&dnsQR != 0 && m.id == st.id {
			m.record(&s.Detail, msg, 0)
		}
		st.waiting = false
		return Confirmed
	}
	if st.payloads >= dnsMaxPayloads {
		return Confirmed
	}
	return ConfirmedMore
}

// message returns the DNS message in payload: the payload itself on UDP
// and after a lone TCP length prefix; on TCP, what follows the length
// prefix, cut to that length. It returns nil, true for a lone prefix,
// and false when the payload cannot hold DNS.
func (st *dnsState) message(t Transport, d Dir, payload []byte) ([]byte, bool) {
	if t != TCP {
		return payload, true
	}
	if st.prefix[d] {
		st.prefix[d] = false
		return payload, true
	}
	if len(payload) < 2 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(payload))
	if n < dnsHeaderLen {
		return nil, false
	}
	if len(payload) == 2 {
		st.prefix[d] = true
		return nil, true
	}
	msg := payload[2:]
	if len(msg) > n {
		msg = msg[:n]
	}
	return msg, true
}

// dnsFlavor returns portMDNS or portLLMNR when the flow uses one of those
// ports, or 0.
func dnsFlavor(s *State) int {
	for _, p := range [...]uint16{s.ServerPort, s.ClientPort} {
		if p == portMDNS || p == portLLMNR {
			return int(p)
		}
	}
	return 0
}

// dnsMsg is what the header and first question of a message hold.
type dnsMsg struct {
	id, flags uint16
	name      int    // offset of the first question's name (or first answer's, on mDNS)
	qtype     uint16 // 0 when the name is an answer's
}

// dnsCheck reports whether msg is a DNS message, and returns its header
// and first question. mdns relaxes the rules as RFC 6762 does: several
// questions, none in a response, answers in a query, and the top bit of
// the class (unicast response, cache flush).
func dnsCheck(msg []byte, mdns bool) (m dnsMsg, ok bool) {
	if len(msg) < dnsHeaderLen {
		return m, false
	}
	m.id = binary.BigEndian.Uint16(msg)
	m.flags = binary.BigEndian.Uint16(msg[2:])
	qd := int(binary.BigEndian.Uint16(msg[4:]))
	an := int(binary.BigEndian.Uint16(msg[6:]))
	ns := int(binary.BigEndian.Uint16(msg[8:]))
	ar := int(binary.BigEndian.Uint16(msg[10:]))
	opcode := m.flags >> 11 & 0xf
	rcode := m.flags & 0xf
	response := m.flags&dnsQR != 0
	switch {
	case opcode != 0 && opcode != 4 && opcode != 5: // QUERY, NOTIFY, UPDATE
		return m, false
	case m.flags&dnsZ != 0, rcode > 10, !response && rcode != 0:
		return m, false
	case !mdns && qd != 1:
		return m, false
	case mdns && (qd > 64 || qd == 0 && (!response || an == 0)):
		return m, false
	case !mdns && !response && opcode == 0 && (an != 0 || ns != 0):
		return m, false
	case dnsHeaderLen+5*qd+11*(an+ns+ar) > 0xffff: // the counts cannot fit a message
		return m, false
	}
	m.name = dnsHeaderLen
	off := dnsHeaderLen
	for i := 0; i < qd; i++ {
		end, st := dnsWalkName(msg, off)
		if st != nameOK || end+4 > len(msg) {
			return m, false // the question must be whole: it is what proves DNS
		}
		qtype := binary.BigEndian.Uint16(msg[end:])
		class := binary.BigEndian.Uint16(msg[end+2:])
		if mdns {
			class &^= 0x8000
		}
		if !dnsTypePlausible(qtype) || !dnsClassPlausible(class) || i == 0 && isNetBIOSName(msg, off) {
			return m, false
		}
		if i == 0 {
			m.qtype = qtype
		}
		off = end + 4
	}
	for i := 0; i < an+ns+ar; i++ {
		end, st := dnsWalkName(msg, off)
		switch {
		case st == nameBad, qd == 0 && i == 0 && st != nameOK:
			return m, false // without a question, the first answer's name is the proof
		case st == nameCut || end+10 > len(msg):
			return m, true // cut by the snap length or the segment's end
		}
		typ := binary.BigEndian.Uint16(msg[end:])
		class := binary.BigEndian.Uint16(msg[end+2:])
		if mdns {
			class &^= 0x8000
		}
		if typ == 0 || typ != dnsOPT && !dnsClassPlausible(class) {
			return m, false
		}
		off = end + 10 + int(binary.BigEndian.Uint16(msg[end+8:]))
		if off > len(msg) {
			return m, true
		}
	}
	return m, off == len(msg)
}

// nameStatus is the outcome of walking a DNS name.
type nameStatus uint8

const (
	nameOK  nameStatus = iota
	nameCut            // the message ends inside the name
	nameBad            // a label or pointer RFC 1035 forbids, or a name over 255 bytes
)

// dnsWalkName walks the name at off in msg and returns the offset just
// after it (after its first pointer, if any). Pointers must point into
// the message body before the labels that led to them, which rules out
// loops.
func dnsWalkName(msg []byte, off int) (end int, st nameStatus) {
	end = -1
	limit := off // a pointer must point before this
	size := 0    // wire length of the name so far
	for pos := off; ; {
		if pos >= len(msg) {
			return 0, nameCut
		}
		c := int(msg[pos])
		switch c & 0xc0 {
		case 0x00:
			size += c + 1
			if size > 255 {
				return 0, nameBad
			}
			if c == 0 {
				if end < 0 {
					end = pos + 1
				}
				return end, nameOK
			}
			pos += c + 1
		case 0xc0:
			if pos+1 >= len(msg) {
				return 0, nameCut
			}
			ptr := (c&0x3f)<<8 | int(msg[pos+1])
			if ptr < dnsHeaderLen || ptr >= limit {
				return 0, nameBad
			}
			if end < 0 {
				end = pos + 2
			}
			pos, limit = ptr, ptr
		default: // 0x40 and 0x80: extended label types, obsolete
			return 0, nameBad
		}
	}
}

// dnsAppendName appends the dotted form of the name at off, which
// dnsWalkName accepted, to dst. The root is ".".
func dnsAppendName(dst, msg []byte, off int) []byte {
	start := len(dst)
	for pos := off; pos < len(msg); {
		c := int(msg[pos])
		switch {
		case c == 0:
			if len(dst) == start {
				dst = append(dst, '.')
			}
			return dst
		case c&0xc0 == 0xc0 && pos+1 < len(msg):
			pos = (c&0x3f)<<8 | int(msg[pos+1])
		case c&0xc0 == 0 && pos+1+c <= len(msg):
			if len(dst) > start {
				dst = append(dst, '.')
			}
			dst = append(dst, msg[pos+1:pos+1+c]...)
			pos += 1 + c
		default:
			return dst
		}
	}
	return dst
}

// isNetBIOSName reports whether the name at off starts with a 32-byte
// label in the NetBIOS first-level encoding (RFC 1001 §14.1): every byte
// from 'A' to 'P'.
func isNetBIOSName(msg []byte, off int) bool {
	if off+33 > len(msg) || msg[off] != 32 {
		return false
	}
	for _, c := range msg[off+1 : off+33] {
		if c < 'A' || c > 'P' {
			return false
		}
	}
	return true
}

// dnsTypePlausible reports whether t is a type a question may ask for:
// one IANA assigned, or a query type (IXFR, AXFR, ANY…). NIMLOC (32) is
// left out: NetBIOS uses the number for NB.
func dnsTypePlausible(t uint16) bool {
	switch {
	case t == 0, t == 32, t == dnsOPT:
		return false
	case t <= 66, 99 <= t && t <= 109, 249 <= t && t <= 260, t == 32768, t == 32769:
		return true
	}
	return false
}

// dnsClassPlausible reports whether c is IN, CH, HS, NONE or ANY.
func dnsClassPlausible(c uint16) bool {
	return c == 1 || c == 3 || c == 4 || c == 254 || c == 255
}

// dnsTypeNames names the query types worth a word.
var dnsTypeNames = map[uint16]string{
	1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
	28: "AAAA", 33: "SRV", 35: "NAPTR", 39: "DNAME", 43: "DS", 46: "RRSIG", 47: "NSEC",
	48: "DNSKEY", 50: "NSEC3", 52: "TLSA", 64: "SVCB", 65: "HTTPS", 99: "SPF", 250: "TSIG",
	251: "IXFR", 252: "AXFR", 255: "ANY", 257: "CAA",
}

// dnsRcodeNames names the response codes (RFC 1035, RFC 2136).
var dnsRcodeNames = [...]string{
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
}

// record adds what the message says to d: the question on the first
// message, the rcode of a response.
func (m dnsMsg) record(d *Detail, msg []byte, flavor int) {
	if d.Get("query") == "" {
		var buf [256]byte
		setOnce(d, "query", dnsAppendName(buf[:0], msg, m.name))
		if m.qtype != 0 {
			name, ok := dnsTypeNames[m.qtype]
			if !ok {
				name = "TYPE" + itoa(int(m.qtype))
			}
			d.SetString("qtype", name)
		}
		switch m.flags >> 11 & 0xf {
		case 4:
			d.SetString("opcode", "notify")
		case 5:
			d.SetString("opcode", "update")
		}
		switch flavor {
		case portMDNS:
			d.SetString("flavor", "mdns")
		case portLLMNR:
			d.SetString("flavor", "llmnr")
		}
	}
	if m.flags&dnsQR != 0 {
		d.SetString("rcode", dnsRcodeNames[m.flags&0xf])
	}
}
