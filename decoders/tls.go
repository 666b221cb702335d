package decoders

import "encoding/binary"

// Budgets, in payloads of the flow (both directions together).
const (
	// tlsHelloBudget: a handshake shows a plausible hello within this
	// many payloads (one, unless the hello is cut into small segments).
	tlsHelloBudget = 4
	// tlsRecordBudget: a flow caught after its handshake shows two valid
	// record headers within this many payloads (a 16 KiB record spans
	// about a dozen segments).
	tlsRecordBudget = 12
	// tlsDetailBudget: past this many payloads an unsettled client
	// certificate question is settled as it stands.
	tlsDetailBudget = 16
)

// maxTLSRecord is the longest record body TLS 1.2 allows: 2^14 bytes of
// plaintext plus 2048 of expansion (RFC 5246 §6.2.3).
const maxTLSRecord = 1<<14 + 2048

// maxSplitHello caps the buffer kept for a hello cut across payloads.
const maxSplitHello = 4096

// tlsState is the TLS and DTLS signatures' memory of one flow (a flow is
// TCP or UDP, so the two never share one). For TLS it follows each
// direction's record and handshake-message boundaries without keeping
// their bytes; only a hello cut across payloads is copied, into a buffer
// allocated on demand and capped at maxSplitHello bytes.
type tlsState struct {
	split   *tlsSplitHello // a hello whose bytes are being gathered; usually nil
	dirs    [2]tlsDir      // TLS: each direction's place in its byte stream
	version uint16         // flow caught after its handshake: the record version every record repeats
	flags   uint8          // tls* flags
	client  uint8          // 1 + the Dir that sent the ClientHello; 0 while unknown
	records uint8          // valid record headers (TLS) or record-only datagrams (DTLS) seen without a hello
}

// tlsState flags.
const (
	tlsConfirmed      = 1 << iota // a plausible hello, or record chaining, named the flow
	tlsSettled                    // the client certificate question is answered (or cannot be)
	tlsViolated                   // the flow is not TLS
	tlsModeSet                    // the first payload chose how the flow is read
	tlsMidStream                  // caught after the handshake: records only, no messages
	tlsSawServerHello             // a TLS ≤ 1.2 ServerHello was seen
	tlsSawHelloDone               // the server's first flight ended (ServerHelloDone)
)

// tlsDir is one direction's position in the TLS byte stream: the record
// and handshake-message headers are assembled byte by byte, so that a
// header cut by a segment boundary costs no buffer.
type tlsDir struct {
	msgLeft uint32 // body bytes of the current handshake message still to come
	recLeft uint16 // body bytes of the current record still to come
	recVer  uint16 // the current record's version
	recType uint8  // the current record's content type
	recN    uint8  // bytes of the current record header seen, 0 to 5
	msgType uint8  // the current handshake message's type
	msgN    uint8  // bytes of the current handshake message header seen, 0 to 4
	flags   uint8  // dir* flags
}

// tlsDir flags.
const (
	dirStarted   = 1 << iota // the direction's first payload was seen
	dirEncrypted             // ChangeCipherSpec was sent: later handshake records are ciphertext
	dirLost                  // the stream no longer parses (a segment the capture missed): stop reading it
	dirHello                 // the direction's first handshake message was seen
	dirSSLv2                 // the direction sent an SSLv2-format ClientHello
)

// tlsSplitHello gathers the hello of one direction when the payload that
// starts it does not hold all of it (large ClientHellos with post-quantum
// key shares, or a hello split on purpose to hide the SNI).
type tlsSplitHello struct {
	dir  Dir
	typ  uint8  // hsClientHello or hsServerHello
	want int    // the message body's length
	b    []byte // the body so far, at most maxSplitHello bytes
}

// tlsSig recognises TLS over TCP (and the SSLv2-format ClientHello) from
// the record layer and the hellos, without reassembling records: each
// direction keeps only its place in the record and handshake-message
// streams. Detail: sni and alpn from the ClientHello; version (the
// ServerHello's, or its supported_versions choice) and cipher from the
// ServerHello; ClientCert from the handshake that follows in the clear in
// TLS ≤ 1.2: a CertificateRequest before ServerHelloDone, then the
// client's Certificate, empty or not. A resumed session shows none of it
// (CertUnknown); TLS 1.3 encrypts it (CertHidden). A hello cut across
// payloads is gathered in a buffer of at most maxSplitHello bytes,
// allocated for that flow alone and dropped once the hello is read.
//
// Budget: a handshake is judged on the first payload (up to
// tlsHelloBudget payloads when the hello is cut small). A flow caught
// after its handshake is named once two payloads hold valid, chained
// record headers, within tlsRecordBudget payloads. After confirming it
// answers ConfirmedMore until the client certificate question is settled,
// at most tlsDetailBudget payloads into the flow.
//
// The MS-TURN pseudo-TLS hellos (one suite, TLS_DH_anon_WITH_RC4_128_MD5,
// no extensions) are Violated, to leave them to msturnSig.
type tlsSig struct{}

// Protocol returns TLS.
func (tlsSig) Protocol() Protocol { return TLS }

// Accepts reports whether t is TCP.
func (tlsSig) Accepts(t Transport) bool { return t == TCP }

// Inspect reads one payload; see tlsSig for the budget.
func (tlsSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	t := &s.tls
	switch {
	case t.flags&tlsViolated != 0:
		return Violated
	case t.flags&tlsSettled != 0:
		return Confirmed
	}
	d := dir & 1
	if t.dirs[d].flags&dirStarted == 0 && len(payload) > 0 {
		t.dirs[d].flags |= dirStarted
		payload = t.start(s, d, payload)
	}
	t.walk(s, d, payload)
	return t.answer(s, tlsHelloBudget)
}

// start reads the first payload of direction d and returns what is left
// for the record walk. The flow's first payload sets how it is read: a
// handshake record, a record of a session already under way, or an
// SSLv2-format ClientHello. Anything else is not TLS.
func (t *tlsState) start(s *State, d Dir, p []byte) []byte {
	if t.flags&tlsModeSet == 0 {
		t.flags |= tlsModeSet
		switch p[0] {
		case tlsHandshake:
			return p
		case tlsChangeCipherSpec, tlsAlert, tlsApplicationData, tlsHeartbeat:
			t.flags |= tlsMidStream
			return p
		}
		size, ok := sslv2ClientHello(p)
		if !ok {
			t.flags |= tlsViolated
			return nil
		}
		t.client = uint8(d) + 1
		t.flags |= tlsConfirmed
		w := &t.dirs[d]
		w.flags |= dirSSLv2
		// Skip the SSLv2 record as an opaque one; a TLS record may follow.
		w.recN, w.recType, w.recLeft = 5, 0, uint16(size)
		return p
	}
	if c := t.client; c != 0 && t.dirs[c-1].flags&dirSSLv2 != 0 && sslv2ServerHello(p) {
		s.Detail.SetString("version", tlsVersionName(0x0002))
		t.settle(s, CertUnknown)
		return nil
	}
	return p
}

// walk follows direction d's records through p.
func (t *tlsState) walk(s *State, d Dir, p []byte) {
	w := &t.dirs[d]
	for len(p) > 0 && w.flags&dirLost == 0 && t.flags&(tlsViolated|tlsSettled) == 0 {
		if w.recN < 5 {
			switch w.recN {
			case 0:
				w.recType = p[0]
			case 1:
				w.recVer = uint16(p[0]) << 8
			case 2:
				w.recVer |= uint16(p[0])
			case 3:
				w.recLeft = uint16(p[0]) << 8
			case 4:
				w.recLeft |= uint16(p[0])
			}
			w.recN++
			p = p[1:]
			if w.recN == 5 {
				t.record(s, d)
			}
			continue
		}
		n := min(int(w.recLeft), len(p))
		if w.recType == tlsHandshake && w.flags&dirEncrypted == 0 && t.flags&tlsMidStream == 0 {
			t.messages(s, d, p[:n])
		}
		p = p[n:]
		w.recLeft -= uint16(n)
		if w.recLeft == 0 {
			w.recN = 0
		}
	}
}

// record judges the record header just assembled in direction d.
func (t *tlsState) record(s *State, d Dir) {
	w := &t.dirs[d]
	if w.recType < tlsChangeCipherSpec || w.recType > tlsHeartbeat ||
		!tlsVersionOK(w.recVer) || w.recLeft == 0 || w.recLeft > maxTLSRecord {
		t.fault(s, d)
		return
	}
	if t.flags&tlsMidStream != 0 {
		if t.version == 0 {
			t.version = w.recVer
		}
		if w.recVer != t.version {
			t.fault(s, d)
			return
		}
		t.records = min(t.records+1, 255)
		return
	}
	switch w.recType {
	case tlsChangeCipherSpec:
		w.flags |= dirEncrypted
		t.changeCipherSpec(s, d)
	case tlsAlert, tlsApplicationData:
		// The handshake failed, or ended out of sight: what was learnt
		// stands. Not so for a client that has not heard the server yet
		// (TLS 1.3 early data).
		if t.flags&tlsConfirmed != 0 && t.heard(d) {
			t.settle(s, s.Detail.ClientCert)
		}
	}
}

// heard reports whether a record from direction d comes after the
// server's answer: it is the server's, or the ServerHello was seen.
func (t *tlsState) heard(d Dir) bool {
	return uint8(d)+1 != t.client || t.flags&tlsSawServerHello != 0
}

// messages follows direction d's handshake messages through b, the part
// of a handshake record's body found in this payload.
func (t *tlsState) messages(s *State, d Dir, b []byte) {
	w := &t.dirs[d]
	for len(b) > 0 && w.flags&dirLost == 0 && t.flags&(tlsViolated|tlsSettled|tlsMidStream) == 0 {
		if w.msgN < 4 {
			if w.msgN == 0 {
				w.msgType, w.msgLeft = b[0], 0
			} else {
				w.msgLeft = w.msgLeft<<8 | uint32(b[0])
			}
			w.msgN++
			b = b[1:]
			if w.msgN == 4 {
				t.message(s, d, b[:min(int(w.msgLeft), len(b))])
				if w.msgLeft == 0 {
					w.msgN = 0
				}
			}
			continue
		}
		n := min(int(w.msgLeft), len(b))
		w.msgLeft -= uint32(n)
		if sp := t.split; sp != nil && sp.dir == d {
			t.gather(s, b[:n], w.msgLeft == 0)
		}
		b = b[n:]
		if w.msgLeft == 0 {
			w.msgN = 0
		}
	}
}

// message handles a handshake message header just read in direction d;
// avail is as much of its body as this payload holds.
func (t *tlsState) message(s *State, d Dir, avail []byte) {
	w := &t.dirs[d]
	typ, n := w.msgType, int(w.msgLeft)
	first := w.flags&dirHello == 0
	w.flags |= dirHello
	if typ != hsClientHello && typ != hsServerHello {
		if first && t.client == 0 && t.flags&tlsConfirmed == 0 {
			// The capture begins inside a handshake (or it is ciphertext):
			// judge the flow by its records alone.
			t.flags |= tlsMidStream
			t.records = 1
			t.version = w.recVer
			return
		}
		t.progress(s, d, typ, n)
		return
	}
	if !first {
		return // renegotiation, a retried hello: the first one told all
	}
	complete := len(avail) == n
	h := parseTLSHello(typ, avail, complete)
	final := complete || h.verdict == helloBad || h.extDone
	if !final && t.split == nil {
		t.split = &tlsSplitHello{dir: d, typ: typ, want: n, b: make([]byte, 0, min(n, maxSplitHello))}
	} else if !final {
		final = true // no room to gather it: the prefix is all there is
	}
	t.hello(s, d, typ, &h, final)
}

// gather adds the next piece of a split hello; once it is all there (or
// the buffer is full), the hello is parsed again and the buffer dropped.
func (t *tlsState) gather(s *State, b []byte, last bool) {
	sp := t.split
	room := maxSplitHello - len(sp.b)
	sp.b = append(sp.b, b[:min(len(b), room)]...)
	if !last && len(b) < room {
		return
	}
	t.split = nil
	h := parseTLSHello(sp.typ, sp.b, len(sp.b) == sp.want)
	t.hello(s, sp.dir, sp.typ, &h, true)
}

// parseTLSHello parses a TLS ClientHello or ServerHello body.
func parseTLSHello(typ uint8, b []byte, complete bool) helloInfo {
	if typ == hsClientHello {
		return parseClientHello(b, complete, false)
	}
	return parseServerHello(b, complete, false)
}

// hello applies a parsed hello of type typ from direction d (TLS or DTLS;
// a HelloVerifyRequest counts as the server's). final says no more of it
// will be parsed: only then is a ServerHello's version taken as known.
func (t *tlsState) hello(s *State, d Dir, typ uint8, h *helloInfo, final bool) {
	switch h.verdict {
	case helloShort:
		return
	case helloBad:
		t.fault(s, d)
		return
	}
	if typ == hsClientHello {
		if h.pseudo && h.noExt {
			t.fault(s, d) // MS-TURN pseudo-TLS: msturnSig's
			return
		}
		if t.client == 0 {
			t.client = uint8(d) + 1
		}
		t.flags |= tlsConfirmed
		if s.ServerPort == 8057 || s.ServerPort == 8058 {
			// PSOM web conferencing runs inside TLS on these ports and
			// shows nothing of itself on the wire ([MS-PSOM]).
			s.Detail.SetString("app", "psom (by port)")
		}
		if h.sni != nil {
			s.Detail.Set("sni", tlsCapDetail(h.sni))
		}
		if h.alpn != nil {
			s.Detail.SetString("alpn", alpnList(h.alpn))
		}
		return
	}
	if typ == hsServerHello && h.suite == suitePseudoTLS {
		t.fault(s, d)
		return
	}
	if t.client == 0 {
		t.client = uint8(d^1) + 1
	}
	t.flags |= tlsConfirmed
	if typ == hsServerHello && final {
		t.serverHello(s, h)
	}
}

// serverHello records what the ServerHello chose. A TLS 1.3 (or DTLS
// 1.3) choice settles the client certificate question: the rest of the
// handshake is encrypted.
func (t *tlsState) serverHello(s *State, h *helloInfo) {
	v := h.version
	if h.selected != 0 {
		v = h.selected
	}
	s.Detail.SetString("version", tlsVersionName(v))
	s.Detail.SetString("cipher", cipherSuiteName(h.suite))
	if t.flags&tlsSawServerHello != 0 {
		return
	}
	t.flags |= tlsSawServerHello
	if v == verTLS13 || v == verDTLS13 {
		t.settle(s, CertHidden)
	}
}

// progress follows the handshake messages after the hellos that answer
// the client certificate question in TLS ≤ 1.2: the server's
// CertificateRequest before its ServerHelloDone, then the client's
// Certificate (empty or not) or, with no request, its ClientKeyExchange.
func (t *tlsState) progress(s *State, d Dir, typ uint8, n int) {
	if t.client == 0 || t.flags&tlsSettled != 0 {
		return
	}
	if uint8(d)+1 != t.client {
		switch typ {
		case hsCertRequest:
			s.Detail.ClientCert = CertRequested
		case hsServerHelloDone:
			t.flags |= tlsSawHelloDone
			if s.Detail.ClientCert != CertRequested {
				t.settle(s, CertNotRequested)
			}
		}
		return
	}
	switch typ {
	case hsCertificate:
		// The body is a 3-byte list length then the list: 3 bytes means empty.
		switch {
		case n == 3:
			t.settle(s, CertEmpty)
		case n > 3:
			t.settle(s, CertSent)
		default:
			t.settle(s, CertUnknown)
		}
	case hsClientKeyExchange:
		// A client asked for a certificate sends a Certificate first, even
		// an empty one (SSL 3.0 sends an alert instead).
		if s.Detail.ClientCert == CertRequested {
			t.settle(s, CertEmpty)
		} else {
			t.settle(s, CertNotRequested)
		}
	}
}

// changeCipherSpec handles a ChangeCipherSpec from direction d. Before
// the client's key exchange it means an abbreviated handshake: a resumed
// session shows no certificates at all.
func (t *tlsState) changeCipherSpec(s *State, d Dir) {
	switch {
	case t.client == 0 || t.flags&tlsSettled != 0 || !t.heard(d):
		// Settled, or a TLS 1.3 client's compatibility CCS before the ServerHello.
	case uint8(d)+1 != t.client && t.flags&tlsSawHelloDone != 0:
		// The server's CCS after a full handshake: the client already answered.
	default:
		t.settle(s, CertUnknown)
	}
}

// settle answers the client certificate question with c.
func (t *tlsState) settle(s *State, c CertStatus) {
	s.Detail.ClientCert = c
	t.flags |= tlsSettled
}

// fault handles bytes that break the grammar in direction d: before
// confirmation the flow is not TLS; after it, a segment the capture
// missed has cost the position in that direction. The other direction
// may still answer the client certificate question (the client's
// Certificate is sent only when asked for); with both lost, what was
// learnt stands.
func (t *tlsState) fault(s *State, d Dir) {
	if t.flags&tlsConfirmed == 0 {
		t.flags |= tlsViolated
		return
	}
	t.dirs[d].flags |= dirLost
	if t.split != nil && t.split.dir == d {
		t.split = nil
	}
	if t.dirs[d^1].flags&dirLost != 0 {
		t.settle(s, s.Detail.ClientCert)
	}
}

// answer says what the payloads so far make of the flow; budget is how
// many payloads a handshake may take to show its hello.
func (t *tlsState) answer(s *State, budget int) Answer {
	seen := int(s.Payloads[0]) + int(s.Payloads[1]) + 1
	switch {
	case t.flags&tlsViolated != 0:
		return Violated
	case t.flags&tlsConfirmed == 0:
		if t.flags&tlsMidStream != 0 {
			if seen >= 2 && t.records >= 2 {
				t.flags |= tlsConfirmed | tlsSettled
				return Confirmed
			}
			budget = tlsRecordBudget
		}
		if seen >= budget {
			t.flags |= tlsViolated
			t.split = nil
			return Violated
		}
		return NeedMore
	case t.flags&tlsSettled != 0:
		return Confirmed
	case seen >= tlsDetailBudget:
		t.settle(s, s.Detail.ClientCert)
		return Confirmed
	}
	return ConfirmedMore
}

// sslv2ClientHello reports whether p starts an SSLv2-format ClientHello
// (RFC 5246 Appendix E.2) and returns the size of its record. A TLS client
// sending one uses a 32-byte challenge; the 16-byte challenge of the
// Google-style ICE pseudo-SSL hello is refused, as Wireshark does.
func sslv2ClientHello(p []byte) (size int, ok bool) {
	if len(p) < 11 || p[0]&0x80 == 0 || p[2] != hsClientHello {
		return 0, false
	}
	n := int(p[0]&0x7f)<<8 | int(p[1])
	version := binary.BigEndian.Uint16(p[3:])
	specs := int(binary.BigEndian.Uint16(p[5:]))
	sid := int(binary.BigEndian.Uint16(p[7:]))
	challenge := int(binary.BigEndian.Uint16(p[9:]))
	switch {
	case version == 0x0002:
		if challenge < 16 || challenge > 32 {
			return 0, false
		}
	case tlsVersionOK(version):
		if challenge != 32 {
			return 0, false
		}
	default:
		return 0, false
	}
	if specs == 0 || specs%3 != 0 || sid != 0 && sid != 16 || n != 9+specs+sid+challenge || 2+n < len(p) {
		return 0, false
	}
	return 2 + n, true
}

// sslv2ServerHello reports whether p starts an SSLv2 SERVER-HELLO, the
// answer of a server that speaks only SSL 2.0.
func sslv2ServerHello(p []byte) bool {
	return len(p) >= 11 && p[0]&0x80 != 0 && p[2] == 4 && binary.BigEndian.Uint16(p[5:]) == 0x0002
}
