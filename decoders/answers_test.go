package decoders

import (
	"encoding/binary"
	"testing"
)

// answerRule changes what checkAnswers holds one signature to.
type answerRule uint8

const (
	// settled: after Confirmed or Violated, where the analyzer stops, more
	// payloads get the same answer. The TLS family promises it.
	settled answerRule = 1 << iota
	// emptyValues lets Detail values be empty: tlsSig records an empty
	// "alpn" when the first name of an ALPN list is empty or overruns it.
	emptyValues
)

// checkAnswers shows sig the payloads on a fresh State (transport tr,
// ports client and server), as the analyzer would, and fails t at the
// first answer that breaks what the analyzer relies on:
//   - every answer is one of the four;
//   - once the flow is named, later answers name it too;
//   - Detail (Attrs and Media) is written only once the flow is named;
//   - every value is non-empty and within the signature's cap.
//
// It stops at Confirmed or Violated, as the analyzer does, unless rules
// say otherwise. A signature that does not judge flows of tr is shown
// nothing.
func checkAnswers(t *testing.T, sig Signature, tr Transport, client, server uint16, payloads []FlowPayload, rules ...answerRule) {
	t.Helper()
	var rule answerRule
	for _, r := range rules {
		rule |= r
	}
	if !sig.Accepts(tr) {
		return
	}
	var s State
	s.Reset(tr, client, server)
	valueCap := detailCap(sig.Protocol())
	named, done := false, NeedMore
	for i, p := range payloads {
		got := sig.Inspect(&s, p.Dir, p.Data)
		s.Payloads[p.Dir]++
		switch {
		case done != NeedMore:
			if got != done {
				t.Fatalf("payload %d: %v after %v", i+1, got, done)
			}
			continue
		case got > Violated:
			t.Fatalf("payload %d: answer %v", i+1, got)
		case named && !got.Named():
			t.Fatalf("payload %d: %v after the flow was named", i+1, got)
		}
		named = named || got.Named()
		if !named && (len(s.Detail.Attrs) > 0 || s.Detail.Media != MediaUnknown) {
			t.Fatalf("payload %d: %v with detail %v, media %v", i+1, got, s.Detail.Attrs, s.Detail.Media)
		}
		for _, a := range s.Detail.Attrs {
			if a.Value == "" && rule&emptyValues == 0 || len(a.Value) > valueCap {
				t.Fatalf("payload %d: detail %s has %d bytes", i+1, a.Key, len(a.Value))
			}
		}
		if got == Confirmed || got == Violated {
			if rule&settled == 0 {
				return
			}
			done = got
		}
	}
}

// transportFor returns TCP when tcp is set, else UDP: fuzz inputs pick
// the transport with a bool.
func transportFor(tcp bool) Transport {
	if tcp {
		return TCP
	}
	return UDP
}

// detailCap is the most bytes the signature naming p keeps of a value it
// copies from packets into Detail.
func detailCap(p Protocol) int {
	switch p {
	case TLS, DTLS, MSTURN:
		return tlsMaxDetail
	case SIP, HTTP, HTTP2, DNS, DHCP:
		return textMaxValue
	case STUN:
		return stunMaxDetail
	}
	return maxDetailValue // the others, and RTP and RTCP, which copy only numbers
}

// Fuzz targets turn their input into a flow's payloads in one of three
// ways, kept apart because the seed corpora depend on them.

// alternating cuts data into payloads of alternating directions: the first
// cut bytes long (modulo the length), the rest in pieces of 1+cut%piece
// bytes. An empty first piece still takes its direction.
func alternating(data []byte, cut uint16, piece int) []FlowPayload {
	c := int(cut) % (len(data) + 1)
	parts := [][]byte{data[:c]}
	for rest := data[c:]; len(rest) > 0; {
		n := min(len(rest), 1+int(cut)%piece)
		parts = append(parts, rest[:n])
		rest = rest[n:]
	}
	var ps []FlowPayload
	for i, p := range parts {
		if len(p) > 0 {
			ps = append(ps, FlowPayload{Dir: Dir(i % 2), Data: p})
		}
	}
	return ps
}

// cutInFour cuts data into at most four payloads, the first three as long
// as cuts say (a cut of 0, or past the end, takes the rest), each sent in
// the direction of the matching bit of dirs, lowest first.
func cutInFour(data []byte, cuts [3]uint16, dirs uint8) []FlowPayload {
	var ps []FlowPayload
	for i := 0; len(data) > 0 && i < 4; i++ {
		n := len(data)
		if i < len(cuts) && cuts[i] > 0 && int(cuts[i]) < n {
			n = int(cuts[i])
		}
		ps = append(ps, FlowPayload{Dir: Dir(dirs >> i & 1), Data: data[:n]})
		data = data[n:]
	}
	return ps
}

// packPayloads writes payloads as one fuzz input: each behind a 2-byte
// header whose top bit is its direction and whose other bits are its
// length (clipped at 32767).
func packPayloads(payloads []FlowPayload) []byte {
	var b []byte
	for _, p := range payloads {
		n := min(len(p.Data), 0x7fff)
		b = binary.BigEndian.AppendUint16(b, uint16(p.Dir)<<15|uint16(n))
		b = append(b, p.Data[:n]...)
	}
	return b
}

// unpackPayloads reads the payloads packPayloads wrote, skipping empty
// ones and clipping the last to what is left.
func unpackPayloads(b []byte) []FlowPayload {
	var ps []FlowPayload
	for len(b) >= 2 {
		h := binary.BigEndian.Uint16(b)
		n := min(int(h&0x7fff), len(b)-2)
		if n > 0 {
			ps = append(ps, FlowPayload{Dir: Dir(h >> 15), Data: b[2 : 2+n]})
		}
		b = b[2+n:]
	}
	return ps
}
