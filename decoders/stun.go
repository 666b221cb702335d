package decoders

import (
	"encoding/binary"
	"strconv"
)

// STUN framing (RFC 5389 §6, RFC 8489 §5).
const (
	stunHeaderLen   = 20
	stunMagicCookie = 0x2112a442
	stunMaxDetail   = 256 // longest value copied from a packet into Detail
)

// STUN attributes the signature reads (RFC 5389 §15, RFC 8445 §7.1,
// [MS-ICE2] §2.2.2, [MS-TURN] §2.2.2).
const (
	stunAttrIntegrity    = 0x0008
	stunAttrPriority     = 0x0024
	stunAttrUseCandidate = 0x0025
	stunAttrMSVersion    = 0x8008
	stunAttrSoftware     = 0x8022
	stunAttrFingerprint  = 0x8028
	stunAttrControlled   = 0x8029
	stunAttrControlling  = 0x802a
	stunAttrMSSequence   = 0x8050
	stunAttrCandidateID  = 0x8054
	stunAttrMSQuality    = 0x8055
	stunAttrImplVersion  = 0x8070
	stunAttrMuxSessionID = 0x8095
)

// STUN message classes, as bits of stunMethods' masks.
const (
	stunRequest    = 1 << 0
	stunIndication = 1 << 1
	stunSuccess    = 1 << 2
	stunError      = 1 << 3
	stunTransact   = stunRequest | stunSuccess | stunError
)

// stunMethod is one STUN method: its name and the classes it comes in.
type stunMethod struct {
	name    string
	classes uint8
	turn    bool // a TURN method (RFC 5766, RFC 6062)
}

// stunMethods indexes methods by number (RFC 5389 §18.1, RFC 5766 §13,
// RFC 6062 §6.1). Shared Secret (2) exists only in RFC 3489.
var stunMethods = [...]stunMethod{
	0x1: {"binding", stunTransact | stunIndication, false},
	0x2: {"shared-secret", stunTransact, false},
	0x3: {"allocate", stunTransact, true},
	0x4: {"refresh", stunTransact, true},
	0x6: {"send", stunIndication, true},
	0x7: {"data", stunIndication, true},
	0x8: {"createpermission", stunTransact, true},
	0x9: {"channelbind", stunTransact, true},
	0xa: {"connect", stunTransact, true},
	0xb: {"connectionbind", stunTransact, true},
	0xc: {"connectionattempt", stunIndication, true},
}

// stunMethodOf splits a message type into its method number and class bit
// (RFC 5389 §6: the class bits C1 and C0 sit at bits 8 and 4).
func stunMethodOf(typ uint16) (method uint16, class uint8) {
	method = typ&0x000f | typ&0x00e0>>1 | typ&0x3e00>>2
	class = uint8(1 << (typ>>4&1 | typ>>7&2))
	return method, class
}

// stunKnownType reports whether typ is a message type the signature
// accepts: any known method and class with the magic cookie, and only the
// Binding and Shared Secret types of RFC 3489 without it.
func stunKnownType(typ uint16, cookie bool) bool {
	if !cookie {
		switch typ {
		case 0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112:
			return true
		}
		return false
	}
	method, class := stunMethodOf(typ)
	if int(method) >= len(stunMethods) || method == 0x2 {
		return false
	}
	return stunMethods[method].classes&class != 0
}

// stunMessage is what scanSTUN learnt from one message. Slices point into
// the payload.
type stunMessage struct {
	typ         uint16
	classic     bool // RFC 3489: no magic cookie
	msturn      bool // the first attribute is MS-TURN's MAGIC-COOKIE
	complete    bool // the whole message is in the payload
	attrs       int  // attributes walked
	software    []byte
	msICE       bool // an [MS-ICE2]/[MS-TURN] attribute was seen
	stdICE      bool // an RFC 8445 ICE attribute was seen
	msVersion   uint32
	hasVersion  bool
	implVersion uint32
	hasImpl     bool
}

// parseSTUN reads the STUN message at the start of b into m and returns
// its length (header and attributes). With exact set the message must fill
// b; otherwise b may hold more after it (TCP back to back) or end inside
// its attributes (a TCP segment boundary), which only a message with the
// magic cookie is allowed to do.
func parseSTUN(b []byte, exact bool, m *stunMessage) (int, bool) {
	*m = stunMessage{}
	if len(b) < stunHeaderLen || b[0]&0xc0 != 0 {
		return 0, false
	}
	m.typ = binary.BigEndian.Uint16(b[0:2])
	length := int(binary.BigEndian.Uint16(b[2:4]))
	m.classic = binary.BigEndian.Uint32(b[4:8]) != stunMagicCookie
	total := stunHeaderLen + length
	if length%4 != 0 || !stunKnownType(m.typ, !m.classic) {
		return 0, false
	}
	if exact && total != len(b) {
		return 0, false
	}
	m.complete = total <= len(b)
	if !m.complete && m.classic {
		return 0, false
	}
	attrs := b[stunHeaderLen:min(total, len(b))]
	m.msturn = len(attrs) >= len(msturnMagicAttr) && string(attrs[:len(msturnMagicAttr)]) == msturnMagicAttr
	if !walkSTUNAttrs(attrs, m.complete, m) {
		return 0, false
	}
	if m.classic && m.attrs == 0 && m.typ != 0x0001 {
		return 0, false // only a Binding request may come without attributes
	}
	return total, true
}

// walkSTUNAttrs walks the attributes of one message (RFC 5389 §15): each
// type, length and value padded to four bytes, landing exactly on the end
// of the message when it is complete. FINGERPRINT, when present, is last.
// Without the magic cookie every comprehension-required attribute must be
// one of the small numbers the STUN RFCs and their drafts assigned.
func walkSTUNAttrs(b []byte, complete bool, m *stunMessage) bool {
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return !complete // the rest is in the next segment
		}
		typ := binary.BigEndian.Uint16(b[off:])
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		end := off + 4 + n
		next := end + (4-n%4)%4
		if next > len(b) {
			return !complete
		}
		v := b[off+4 : end]
		m.attrs++
		if m.classic && typ < 0x8000 && typ > 0x0030 {
			return false
		}
		switch typ {
		case stunAttrFingerprint:
			if n != 4 || next != len(b) || !complete {
				return false
			}
		case stunAttrIntegrity:
			if n != 20 {
				return false
			}
		case stunAttrSoftware:
			m.software = v[:min(len(v), stunMaxDetail)]
		case stunAttrPriority, stunAttrUseCandidate, stunAttrControlled, stunAttrControlling:
			m.stdICE = true
		case stunAttrMSVersion:
			m.msICE = true
			if n == 4 {
				m.msVersion, m.hasVersion = binary.BigEndian.Uint32(v), true
			}
		case stunAttrImplVersion:
			m.msICE = true
			if n == 4 {
				m.implVersion, m.hasImpl = binary.BigEndian.Uint32(v), true
			}
		case stunAttrCandidateID, stunAttrMSQuality, stunAttrMuxSessionID, stunAttrMSSequence:
			m.msICE = true
		}
		off = next
	}
	return true
}

// stunChannelData reports whether b starts with a TURN ChannelData
// message (RFC 8656 §12: channel 0x4000–0x4FFF) and returns its size: over
// TCP the length padded to four bytes (the message may go on in the next
// segment), over UDP the datagram, which is the length or, padded, that
// rounded up to four.
func stunChannelData(b []byte, t Transport) (int, bool) {
	if len(b) < 4 || b[0]&0xf0 != 0x40 {
		return 0, false
	}
	n := 4 + int(binary.BigEndian.Uint16(b[2:4]))
	padded := n + (4-n%4)%4
	if t == UDP {
		return len(b), len(b) == n || len(b) == padded
	}
	return padded, true
}

// isRFC4571STUN reports whether a TCP segment starts with an RFC 4571
// length prefix around a STUN message ([MS-ICE2] §2.2, RFC 6544): the
// prefix is the message's length, 20 plus its attributes' length.
func isRFC4571STUN(b []byte) bool {
	if len(b) < 2+stunHeaderLen || b[2]&0xc0 != 0 {
		return false
	}
	return int(binary.BigEndian.Uint16(b[0:2])) == stunHeaderLen+int(binary.BigEndian.Uint16(b[4:6]))
}

// stunScan is what scanSTUN found in one payload.
type stunScan struct {
	first    stunMessage // the payload's first STUN message
	messages int
	framed   bool // behind an RFC 4571 length prefix
}

// scanSTUN reads one payload and reports whether it is STUN: on UDP a
// single message filling the datagram; on TCP either one message behind an
// RFC 4571 length prefix (what follows it is the next frame: another
// message or ICE-TCP media), or messages back to back (RFC 5766 §2.1), with
// ChannelData after a TURN method, the last one possibly cut by the
// segment's end.
func scanSTUN(t Transport, b []byte, sc *stunScan) bool {
	*sc = stunScan{}
	if t == UDP {
		_, ok := parseSTUN(b, true, &sc.first)
		sc.messages = 1
		return ok
	}
	if isRFC4571STUN(b) {
		sc.framed = true
		sc.messages = 1
		n, body := int(binary.BigEndian.Uint16(b[0:2])), b[2:]
		whole := n <= len(body)
		if whole {
			body = body[:n]
		}
		_, ok := parseSTUN(body, whole, &sc.first)
		return ok
	}
	var m stunMessage
	turn := false
	for off := 0; off < len(b); {
		rest := b[off:]
		if sc.messages > 0 {
			if n, ok := stunChannelData(rest, TCP); ok && turn {
				off += n
				continue
			}
			if len(rest) < stunHeaderLen {
				return rest[0]&0xc0 == 0 // a header cut by the segment's end
			}
		}
		n, ok := parseSTUN(rest, false, &m)
		if !ok {
			return false
		}
		if sc.messages == 0 {
			sc.first = m
		}
		sc.messages++
		turn = turn || stunIsTURN(m.typ)
		off += n
	}
	return sc.messages > 0
}

// stunIsTURN reports whether a message type belongs to a TURN method.
func stunIsTURN(typ uint16) bool {
	method, _ := stunMethodOf(typ)
	return int(method) < len(stunMethods) && stunMethods[method].turn
}

// stunMaxPayloads bounds how long STUN waits on a flow whose first message
// was a classic Binding request without attributes.
const stunMaxPayloads = 4

// stunState is what STUN remembers of a flow between payloads.
type stunState struct {
	pending  bool // a classic Binding request without attributes was seen
	payloads uint8
}

// stunSig recognises STUN and TURN (RFC 5389/8489, RFC 5766/8656, RFC 6062,
// and the classic RFC 3489 Binding) over UDP and TCP. A message's type has
// its two top bits clear and names a known method and class, its length is
// a multiple of four (on UDP, 20 + length is the datagram), and its
// attributes walk to its end. Over TCP messages come back to back, with
// ChannelData between them after a TURN method, or behind RFC 4571 length
// prefixes as ICE-TCP and MS-ICE2 send them.
//
// A message with the magic cookie (21 12 A4 42) confirms the flow at once.
// Without it (RFC 3489) only Binding and Shared Secret types count, and the
// message must hold attributes that walk exactly to its end. A bare classic
// Binding request is too weak alone: it waits for another message.
// Messages whose first attribute is MS-TURN's MAGIC-COOKIE are the MS-TURN
// signature's: STUN answers Violated. ChannelData alone never names a flow
// (RFC 8656 §12: it is only recognisable on a flow known to be TURN).
//
// Budget: STUN decides on the first payload, unless that is a bare classic
// Binding request: then it waits at most stunMaxPayloads payloads for
// another message, skipping DTLS, ZRTP and RTP interleaved on the same
// 5-tuple (RFC 7983). It answers Confirmed, never ConfirmedMore: later
// packets of a media flow are the analyzer's to demultiplex.
//
// Detail: "method" (binding, allocate, refresh, send, data,
// createpermission, channelbind, connect…), "version" (rfc5389 or
// rfc3489), "framing" (rfc4571 for length-prefixed TCP), "software"
// (SOFTWARE 0x8022), "ice" ("ms-ice2" when an [MS-ICE2]/[MS-TURN]
// attribute is present: IMPLEMENTATION-VERSION 0x8070, CANDIDATE-IDENTIFIER
// 0x8054, MS-SERVICE-QUALITY 0x8055, MULTIPLEXED-TURN-SESSION-ID 0x8095,
// MS-SEQUENCE-NUMBER 0x8050 or MS-VERSION 0x8008; "rfc8445" for standard
// ICE attributes only), "ms-version" and "ice-impl" (the MS-VERSION and
// IMPLEMENTATION-VERSION values). They come from the confirming payload's
// first message.
type stunSig struct{}

func (stunSig) Protocol() Protocol       { return STUN }
func (stunSig) Accepts(t Transport) bool { return t == TCP || t == UDP }

// Inspect implements Signature.
func (stunSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.stun
	if st.payloads < stunMaxPayloads {
		st.payloads++
	}
	var sc stunScan
	if !scanSTUN(s.Transport, payload, &sc) {
		return st.other(payload)
	}
	m := &sc.first
	switch {
	case m.msturn:
		return Violated
	case m.classic && m.attrs == 0:
		st.pending = true
		return st.budget()
	}
	recordSTUN(&s.Detail, &sc)
	return Confirmed
}

// other answers for a payload that is not STUN: the end of the flow for
// STUN, unless a bare Binding request is waiting and the payload is media
// or DTLS sharing the 5-tuple.
func (st *stunState) other(b []byte) Answer {
	if !st.pending || len(b) == 0 || !stunMediaAlongside(b) {
		return Violated
	}
	return st.budget()
}

// stunMediaAlongside reports whether b is what may share a 5-tuple with
// STUN (RFC 7983): DTLS, ZRTP, RTP or RTCP.
func stunMediaAlongside(b []byte) bool {
	switch stunDemux(b[0]) {
	case firstDTLS, firstZRTP:
		return rtpSkippable(b, true)
	case firstRTP:
		var h rtpHeader
		var r rtcpInfo
		return parseRTP(b, &h) || parseRTCP(b, &r)
	}
	return false
}

func (st *stunState) budget() Answer {
	if st.payloads >= stunMaxPayloads {
		return Violated
	}
	return NeedMore
}

// recordSTUN writes the Detail of a confirmed STUN flow.
func recordSTUN(d *Detail, sc *stunScan) {
	m := &sc.first
	method, _ := stunMethodOf(m.typ)
	d.SetString("method", stunMethods[method].name)
	if m.classic {
		d.SetString("version", "rfc3489")
	} else {
		d.SetString("version", "rfc5389")
	}
	if sc.framed {
		d.SetString("framing", "rfc4571")
	}
	if len(m.software) > 0 {
		d.Set("software", m.software)
	}
	switch {
	case m.msICE:
		d.SetString("ice", "ms-ice2")
	case m.stdICE:
		d.SetString("ice", "rfc8445")
	}
	if m.hasVersion {
		d.SetString("ms-version", strconv.FormatUint(uint64(m.msVersion), 10))
	}
	if m.hasImpl {
		d.SetString("ice-impl", strconv.FormatUint(uint64(m.implVersion), 10))
	}
}

// What the first byte of a packet sharing a 5-tuple with STUN says it is
// (RFC 7983 §7, RFC 9443).
const (
	firstSTUN = iota
	firstReserved
	firstZRTP
	firstDTLS
	firstChannelData
	firstQUIC
	firstRTP
)

// stunDemux returns what the first byte b of a packet says it is.
func stunDemux(b byte) int {
	switch {
	case b <= 3:
		return firstSTUN
	case b <= 15:
		return firstReserved
	case b <= 19:
		return firstZRTP
	case b <= 63:
		return firstDTLS
	case b <= 79:
		return firstChannelData
	case b <= 127:
		return firstQUIC
	case b <= 191:
		return firstRTP
	}
	return firstQUIC
}
