package decoders

import (
	"encoding/binary"
	"encoding/hex"
)

// MS-TURN wire constants ([MS-TURN] §2.1.1, §2.1.4, §2.2).
const (
	msturnHeader       = 20 // draft-STUN header: type, length, 128-bit transaction ID
	msturnControl      = 0x02
	msturnData         = 0x03
	msturnMuxHeader    = 12 // FF 10, length, 8-byte session ID
	msturnAttrVersion  = 0x8008
	pseudoClientLength = 50
	pseudoServerLength = 83
)

// msturnMagicAttr is the MAGIC-COOKIE attribute ([MS-TURN] §2.2.2.8),
// the first attribute of every MS-TURN message.
const msturnMagicAttr = "\x00\x0f\x00\x04\x72\xc6\x4b\xc6"

// The fixed parts of the pseudo-TLS hellos ([MS-TURN] §2.1.1, with the
// values of libnice's MSOC mode): TLS 1.0 records, one suite
// (TLS_DH_anon_WITH_RC4_128_MD5), no extensions; the server's record holds
// ServerHello and ServerHelloDone. Randoms and the session ID vary.
const (
	pseudoClientHead = "\x16\x03\x01\x00\x2d\x01\x00\x00\x29\x03\x01" // then 32 random bytes
	pseudoClientTail = "\x00\x00\x02\x00\x18\x01\x00"                 // session ID length 0, one suite, null compression
	pseudoServerHead = "\x16\x03\x01\x00\x4e\x02\x00\x00\x46\x03\x01" // then 32 random bytes, 0x20 and a 32-byte session ID
	pseudoServerTail = "\x00\x18\x00\x0e\x00\x00\x00"                 // the suite, null compression, ServerHelloDone
)

// MS-TURN budgets, in payloads of the flow.
const (
	// msturnUDPBudget: a UDP flow shows an MS-TURN message (or two
	// multiplexed-TURN datagrams of one session) within this many datagrams.
	msturnUDPBudget = 4
	// msturnTCPBudget: a TCP flow of bare framing shows a TURN message or
	// two chained frame headers within this many segments.
	msturnTCPBudget = 6
	// msturnDetailBudget: after the pseudo-TLS hellos, the first framed
	// TURN message (its method) is awaited this many payloads into the flow.
	msturnDetailBudget = 8
)

// msturnState is the MS-TURN signature's memory of one flow.
type msturnState struct {
	frames  [2]msturnFrame // TCP: each direction's place in its frame chain
	session [8]byte        // UDP: session ID of a multiplexed-TURN datagram not yet confirmed
	flags   uint8          // ms* flags
	headers uint8          // TCP: frame headers checked before confirmation
}

// msturnState flags.
const (
	msConfirmed = 1 << iota
	msSettled   // nothing more to learn
	msViolated
	msStarted // the flow's first payload was seen
	msPseudo  // the flow began with the pseudo-TLS hellos
	msSession // session holds a multiplexed-TURN session ID
)

// msturnFrame is one direction's position in the TCP framing: the 4-byte
// frame header is assembled byte by byte across segments.
type msturnFrame struct {
	left uint16 // bytes of the current frame still to come
	typ  uint8  // the current frame's type
	n    uint8  // bytes of the current frame header seen, 0 to 4
}

// msturnSig recognises Microsoft's TURN dialect (Lync's A/V Edge): on
// UDP, a draft-STUN message whose first attribute is MAGIC-COOKIE
// (attributes are walked without 4-byte padding), bare or inside the
// multiplexed-TURN wrapper FF 10; on TCP, the pseudo-TLS hellos and the
// 02/03 00 LL LL framing that follows them or starts the flow. TCP
// messages are only read inside that framing, which [MS-TURN] §2.1.4
// requires. Until the flow is named, a segment must hold whole frames (a
// TPKT header, 03 00 and a length counting itself, would not), and data
// frames must start as STUN, DTLS or RTP/RTCP do.
//
// Budget: UDP decides within msturnUDPBudget datagrams (other STUN may
// come first); TCP decides on the first segment for the pseudo-TLS hellos
// and a framed TURN message, within msturnTCPBudget segments for framing
// alone. After the pseudo-TLS hellos it answers ConfirmedMore until the
// first framed TURN message gives its method, at most msturnDetailBudget
// payloads into the flow.
type msturnSig struct{}

// Protocol returns MSTURN.
func (msturnSig) Protocol() Protocol { return MSTURN }

// Accepts reports true: MS-TURN runs over UDP and TCP.
func (msturnSig) Accepts(Transport) bool { return true }

// Inspect reads one payload; see msturnSig for the budget.
func (msturnSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	m := &s.msturn
	switch {
	case m.flags&msViolated != 0:
		return Violated
	case m.flags&msSettled != 0:
		return Confirmed
	case len(payload) == 0:
		return NeedMore
	}
	if s.Transport == UDP {
		m.datagram(s, payload)
		return m.answer(s, msturnUDPBudget)
	}
	m.segment(s, dir&1, payload)
	return m.answer(s, msturnTCPBudget)
}

// datagram judges one UDP datagram.
func (m *msturnState) datagram(s *State, p []byte) {
	if p[0] == 0xff {
		m.multiplexed(s, p)
		return
	}
	msg := parseMSTURN(p, true)
	switch {
	case msg.verdict == helloOK:
		m.message(s, &msg, "udp")
	case p[0] > 3:
		// Not STUN-like at all (STUN, ICE checks and MS-TURN start 0 to 3).
		m.flags |= msViolated
	}
}

// multiplexed judges a multiplexed-TURN datagram ([MS-TURN] §2.2.3):
// FF 10, the length of what follows, an 8-byte session ID, then the
// wrapped TURN message or media. The wrapper is named from a wrapped
// MS-TURN message, or from two datagrams of the same session.
func (m *msturnState) multiplexed(s *State, p []byte) {
	if len(p) < msturnMuxHeader || p[1] != 0x10 || int(binary.BigEndian.Uint16(p[2:]))+4 != len(p) {
		m.flags |= msViolated
		return
	}
	session := p[4:msturnMuxHeader]
	if msg := parseMSTURN(p[msturnMuxHeader:], true); msg.verdict == helloOK {
		m.message(s, &msg, "udp")
	} else if m.flags&msSession == 0 || string(m.session[:]) != string(session) {
		copy(m.session[:], session)
		m.flags |= msSession
		return
	} else {
		m.settle(s, "udp")
	}
	s.Detail.SetString("session", hex.EncodeToString(session))
}

// segment follows one TCP segment from direction d.
func (m *msturnState) segment(s *State, d Dir, p []byte) {
	first := m.flags&msStarted == 0
	m.flags |= msStarted
	if n := pseudoTLSHello(p); n > 0 {
		if !first && m.flags&msPseudo == 0 {
			m.fault()
			return
		}
		m.flags |= msPseudo | msConfirmed
		s.Detail.SetString("framing", "pseudo-tls")
		p = p[n:]
	} else if first && p[0] != msturnControl && p[0] != msturnData {
		m.flags |= msViolated
		return
	}
	m.walk(s, d, p)
	if f := &m.frames[d]; m.flags&msConfirmed == 0 && (f.n != 0 || f.left != 0) {
		// Unconfirmed framing must fill the segment exactly: a TPKT header
		// (RDP, 03 00 and a length that counts itself) would not.
		m.flags |= msViolated
	}
}

// walk follows direction d's frames through p.
func (m *msturnState) walk(s *State, d Dir, p []byte) {
	f := &m.frames[d]
	for len(p) > 0 && m.flags&(msViolated|msSettled) == 0 {
		if f.n < 4 {
			switch f.n {
			case 0:
				f.typ = p[0]
			case 1:
				if f.typ != msturnControl && f.typ != msturnData || p[0] != 0 {
					m.fault()
					return
				}
			case 2:
				f.left = uint16(p[0]) << 8
			case 3:
				f.left |= uint16(p[0])
			}
			f.n++
			p = p[1:]
			if f.n == 4 {
				m.frame(s, f, p[:min(int(f.left), len(p))])
			}
			continue
		}
		n := min(int(f.left), len(p))
		p = p[n:]
		f.left -= uint16(n)
		if f.left == 0 {
			f.n = 0
		}
	}
}

// frame judges a frame whose header was just read; avail is as much of
// its content as this segment holds.
func (m *msturnState) frame(s *State, f *msturnFrame, avail []byte) {
	if f.left == 0 {
		m.fault()
		return
	}
	m.headers = min(m.headers+1, 255)
	if f.typ == msturnData {
		// End-to-end data is what RFC 7983 multiplexes on a media port:
		// STUN (ICE checks), DTLS, RTP/RTCP.
		if len(avail) > 0 && !(avail[0] <= 3 || avail[0] >= 20 && avail[0] <= 63 || avail[0] >= 0x80 && avail[0] <= 0xbf) {
			m.fault()
		}
		return
	}
	msg := parseMSTURN(avail, len(avail) == int(f.left))
	switch msg.verdict {
	case helloOK:
		framing := "tcp"
		if m.flags&msPseudo != 0 {
			framing = "pseudo-tls"
		}
		m.message(s, &msg, framing)
	case helloBad:
		m.fault()
	}
}

// message names the flow from an MS-TURN message.
func (m *msturnState) message(s *State, msg *msturnMsg, framing string) {
	s.Detail.SetString("method", msturnMethod(msg.typ))
	if msg.hasVersion {
		s.Detail.SetString("ms-version", itoa(int(msg.version)))
	}
	m.settle(s, framing)
}

// settle names the flow and ends inspection.
func (m *msturnState) settle(s *State, framing string) {
	s.Detail.SetString("framing", framing)
	m.flags |= msConfirmed | msSettled
}

// fault handles bytes that break the framing: before confirmation the
// flow is not MS-TURN; after the pseudo-TLS hellos it ends inspection.
func (m *msturnState) fault() {
	if m.flags&msConfirmed == 0 {
		m.flags |= msViolated
		return
	}
	m.flags |= msSettled
}

// answer says what the payloads so far make of the flow.
func (m *msturnState) answer(s *State, budget int) Answer {
	seen := int(s.Payloads[0]) + int(s.Payloads[1]) + 1
	switch {
	case m.flags&msViolated != 0:
		return Violated
	case m.flags&msSettled != 0:
		return Confirmed
	case m.flags&msConfirmed != 0:
		if seen >= msturnDetailBudget {
			m.flags |= msSettled
			return Confirmed
		}
		return ConfirmedMore
	case s.Transport == TCP && m.headers >= 2 && seen >= 2:
		m.settle(s, "tcp")
		return Confirmed
	case seen >= budget:
		m.flags |= msViolated
		return Violated
	}
	return NeedMore
}

// pseudoTLSHello returns the length of the MS-TURN pseudo-TLS ClientHello
// or ServerHello p starts with, or 0.
func pseudoTLSHello(p []byte) int {
	switch {
	case len(p) >= pseudoClientLength && string(p[:11]) == pseudoClientHead && string(p[43:50]) == pseudoClientTail:
		return pseudoClientLength
	case len(p) >= pseudoServerLength && string(p[:11]) == pseudoServerHead && p[43] == 32 && string(p[76:83]) == pseudoServerTail:
		return pseudoServerLength
	}
	return 0
}

// msturnMsg is what parseMSTURN found.
type msturnMsg struct {
	verdict    helloVerdict
	typ        uint16
	version    uint32 // MS-Version
	hasVersion bool
}

// parseMSTURN judges b as an MS-TURN message ([MS-TURN] §2.2): a
// draft-STUN header (type with the top two bits clear, the length of the
// attributes, a 16-byte transaction ID), MAGIC-COOKIE first, and
// attributes that end exactly with the message. MS-TURN does not pad
// attributes to 4 bytes; a padded walk is accepted too. complete says b
// is all of the message; when it is not, the prefix is judged.
func parseMSTURN(b []byte, complete bool) (m msturnMsg) {
	if len(b) < msturnHeader+len(msturnMagicAttr) {
		if complete {
			m.verdict = helloBad
		}
		return m
	}
	n := msturnHeader + int(binary.BigEndian.Uint16(b[2:]))
	if b[0]&0xc0 != 0 || complete && n != len(b) || n < len(b) || string(b[20:28]) != msturnMagicAttr {
		m.verdict = helloBad
		return m
	}
	m.typ = binary.BigEndian.Uint16(b)
	attrs := b[msturnHeader:]
	if v, has, exact := msturnAttributes(attrs, false); exact || !complete {
		m.version, m.hasVersion = v, has
	} else if v, has, exact = msturnAttributes(attrs, true); exact {
		m.version, m.hasVersion = v, has
	} else {
		m.verdict = helloBad
		return m
	}
	m.verdict = helloOK
	return m
}

// msturnAttributes walks attributes (type, length, value; padded to 4
// bytes when pad is set), returning MS-Version when present and whether
// the walk ended exactly at the end of b.
func msturnAttributes(b []byte, pad bool) (version uint32, has, exact bool) {
	for len(b) >= 4 {
		typ := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			return version, has, false
		}
		if typ == msturnAttrVersion && n == 4 {
			version, has = binary.BigEndian.Uint32(b[4:]), true
		}
		if pad {
			n = min((n+3)&^3, len(b)-4)
		}
		b = b[4+n:]
	}
	return version, has, len(b) == 0
}

// msturnMethod names an MS-TURN message type ([MS-TURN] §2.2.1) by its
// method; other types read as "0x" and four hex digits.
func msturnMethod(typ uint16) string {
	switch typ {
	case 0x0001, 0x0101, 0x0111:
		return "binding"
	case 0x0002, 0x0102, 0x0112:
		return "shared-secret"
	case 0x0003, 0x0103, 0x0113:
		return "allocate"
	case 0x0004, 0x0104, 0x0114:
		return "send"
	case 0x0115:
		return "data-indication"
	case 0x0006, 0x0106, 0x0116:
		return "set-active-destination"
	}
	return "0x" + tlsHex16(typ)
}
