package decoders

import "encoding/binary"

// DTLS budgets, in datagrams of the flow.
const (
	// dtlsBudget: a flow shows a DTLS hello (or two datagrams of records)
	// within this many datagrams. ICE checks (STUN) come first on a WebRTC
	// or Lync media 5-tuple, so it is larger than TLS's.
	dtlsBudget = 12
	// dtlsHeader is the size of a DTLS record header (RFC 6347 §4.1).
	dtlsHeader = 13
	// dtlsMsgHeader is the size of a DTLS handshake message header
	// (RFC 6347 §4.2.2): the TLS one plus message_seq and the fragment's
	// offset and length.
	dtlsMsgHeader = 12
)

// dtlsSig recognises DTLS 1.0 and 1.2 over UDP: a datagram of records
// (content type 20 to 25, version FE FF or FE FD, epoch, 48-bit sequence,
// length) chained to its end, holding a ClientHello, HelloVerifyRequest or
// ServerHello. Like tlsSig it then follows the handshake in the clear to
// learn whether the client sent a certificate, and it shares tlsState.
//
// Budget: STUN datagrams (first byte 0 to 3, RFC 7983) that share the
// 5-tuple are passed over; the flow is named or given up within
// dtlsBudget datagrams. A flow caught after its handshake is named after
// two datagrams of well-formed records with no hello, without detail.
// After confirming it answers ConfirmedMore until the client certificate
// question is settled, at most tlsDetailBudget datagrams into the flow.
type dtlsSig struct{}

// Protocol returns DTLS.
func (dtlsSig) Protocol() Protocol { return DTLS }

// Accepts reports whether t is UDP.
func (dtlsSig) Accepts(t Transport) bool { return t == UDP }

// Inspect reads one datagram; see dtlsSig for the budget.
func (dtlsSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	t := &s.tls
	switch {
	case t.flags&tlsViolated != 0:
		return Violated
	case t.flags&tlsSettled != 0:
		return Confirmed
	case len(payload) == 0:
		return t.dtlsAnswer(s)
	}
	d := dir & 1
	switch b := payload[0]; {
	case b <= 3:
		// STUN multiplexed on the same 5-tuple (RFC 7983 §7).
	case b >= tlsChangeCipherSpec && b <= tlsCID:
		if !t.datagram(s, d, payload) && !dtlsDamaged(payload) {
			t.fault(s, d)
		}
	default:
		// Media after the handshake is fine; before it, this is not DTLS.
		if t.flags&tlsConfirmed == 0 {
			t.flags |= tlsViolated
		}
	}
	return t.dtlsAnswer(s)
}

// dtlsAnswer is answer with the datagram budget, and naming a flow caught
// after its handshake from two datagrams of records.
func (t *tlsState) dtlsAnswer(s *State) Answer {
	if t.flags&(tlsConfirmed|tlsViolated) == 0 && t.records >= 2 {
		t.flags |= tlsConfirmed | tlsSettled
		return Confirmed
	}
	return t.answer(s, dtlsBudget)
}

// datagram walks the DTLS records of one datagram from direction d and
// reports whether they chain exactly to its end.
func (t *tlsState) datagram(s *State, d Dir, p []byte) bool {
	cleartext := false
	for len(p) > 0 {
		typ, ok := dtlsRecord(p)
		if !ok {
			return false
		}
		epoch := binary.BigEndian.Uint16(p[3:])
		n := int(binary.BigEndian.Uint16(p[11:]))
		body := p[dtlsHeader : dtlsHeader+n]
		p = p[dtlsHeader+n:]
		if epoch != 0 {
			continue // ciphertext
		}
		cleartext = true
		switch typ {
		case tlsHandshake:
			if !t.dtlsMessages(s, d, body) {
				return false
			}
		case tlsChangeCipherSpec:
			t.changeCipherSpec(s, d)
		case tlsAlert:
			if t.flags&tlsConfirmed != 0 && t.heard(d) {
				t.settle(s, s.Detail.ClientCert)
			}
		}
		if t.flags&(tlsViolated|tlsSettled) != 0 {
			return true
		}
	}
	if !cleartext && t.flags&tlsConfirmed == 0 {
		t.records = min(t.records+1, 255)
	}
	return true
}

// dtlsDamaged reports whether p, which does not parse as DTLS records,
// still starts with a DTLS record's type and version: a datagram some
// stacks send damaged (or obfuscated) ahead of the real ClientHello. It
// is passed over, within the budget, rather than held against the flow.
func dtlsDamaged(p []byte) bool {
	return len(p) >= 3 && p[0] >= tlsChangeCipherSpec && p[0] <= tlsCID && dtlsVersionOK(binary.BigEndian.Uint16(p[1:]))
}

// dtlsRecord reports whether p starts with a DTLS 1.0/1.2 record header
// whose body fits in p, and returns its content type.
func dtlsRecord(p []byte) (typ uint8, ok bool) {
	if len(p) < dtlsHeader {
		return 0, false
	}
	typ = p[0]
	version := binary.BigEndian.Uint16(p[1:])
	n := int(binary.BigEndian.Uint16(p[11:]))
	return typ, typ >= tlsChangeCipherSpec && typ <= tlsCID && dtlsVersionOK(version) &&
		n > 0 && n <= maxTLSRecord && dtlsHeader+n <= len(p)
}

// dtlsMessages walks the handshake fragments of one cleartext record body
// from direction d and reports whether they fit it. Each fragment carries
// the whole message header, so a message's type and length are known from
// its first fragment whatever the datagram boundaries.
func (t *tlsState) dtlsMessages(s *State, d Dir, b []byte) bool {
	for len(b) > 0 {
		if len(b) < dtlsMsgHeader {
			return false
		}
		typ := b[0]
		n := tlsUint24(b[1:])
		off, size := tlsUint24(b[6:]), tlsUint24(b[9:])
		if off+size > n || dtlsMsgHeader+size > len(b) {
			return false
		}
		if off == 0 {
			t.dtlsMessage(s, d, typ, n, b[dtlsMsgHeader:dtlsMsgHeader+size])
			if t.flags&(tlsViolated|tlsSettled) != 0 {
				return true
			}
		}
		b = b[dtlsMsgHeader+size:]
	}
	return true
}

// dtlsMessage handles the first fragment of a handshake message of type
// typ and length n; a retransmitted flight repeats what was already learnt.
func (t *tlsState) dtlsMessage(s *State, d Dir, typ uint8, n int, frag []byte) {
	complete := len(frag) == n
	var h helloInfo
	switch typ {
	case hsClientHello:
		h = parseClientHello(frag, complete, true)
	case hsServerHello:
		h = parseServerHello(frag, complete, true)
	case hsHelloVerify:
		h = parseHelloVerify(frag, complete)
	default:
		t.progress(s, d, typ, n)
		return
	}
	t.hello(s, d, typ, &h, complete || h.extDone)
}

// tlsUint24 reads a 24-bit big-endian number.
func tlsUint24(b []byte) int { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }
