package decoders

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// rtpHeaderLen is the fixed RTP header (RFC 3550 §5.1).
const rtpHeaderLen = 12

// rtpType is what the signature knows of one payload type.
type rtpType struct {
	kind   MediaKind
	clock  uint32 // static types' clock rate in Hz (RFC 3551 §6); 0 when unknown
	change bool   // comfort noise, DTMF, RED or FEC: may alternate with the codec
}

// rtpTypes gives each payload type's media kind, from [MS-RTP] §2.2.1
// with nDPI's completion of it (signatures.md §4.4) for the dynamic range
// and from RFC 3551 §6 for the static one; other dynamic types are
// MediaUnknown.
var rtpTypes = [128]rtpType{
	0:  {MediaAudio, 8000, false}, // PCMU
	3:  {MediaAudio, 8000, false}, // GSM
	4:  {MediaAudio, 8000, false}, // G723
	5:  {MediaAudio, 8000, false}, // DVI4
	6:  {MediaAudio, 16000, false},
	7:  {MediaAudio, 8000, false},  // LPC
	8:  {MediaAudio, 8000, false},  // PCMA
	9:  {MediaAudio, 8000, false},  // G722 (its RTP clock is 8000 by RFC 3551's erratum)
	10: {MediaAudio, 44100, false}, // L16 stereo
	11: {MediaAudio, 44100, false}, // L16
	12: {MediaAudio, 8000, false},  // QCELP
	13: {MediaAudio, 8000, true},   // CN
	14: {MediaAudio, 90000, false}, // MPA
	15: {MediaAudio, 8000, false},  // G728
	16: {MediaAudio, 11025, false}, // DVI4
	17: {MediaAudio, 22050, false}, // DVI4
	18: {MediaAudio, 8000, false},  // G729
	19: {MediaAudio, 0, true},      // the CN of RFC 1890's drafts
	25: {MediaVideo, 90000, false}, // CelB
	26: {MediaVideo, 90000, false}, // JPEG
	28: {MediaVideo, 90000, false}, // nv
	31: {MediaVideo, 90000, false}, // H261
	32: {MediaVideo, 90000, false}, // MPV
	33: {MediaVideo, 90000, false}, // MP2T
	34: {MediaVideo, 90000, false}, // H263

	97:  {MediaAudio, 0, true},  // RED
	101: {MediaAudio, 0, true},  // DTMF (telephone-event)
	103: {MediaAudio, 0, false}, // SILK narrowband
	104: {MediaAudio, 0, false}, // SILK wideband
	106: {MediaAudio, 0, false}, // Opus
	111: {MediaAudio, 0, false}, // Siren
	112: {MediaAudio, 0, false}, // G.722.1
	114: {MediaAudio, 0, false}, // RTAudio wideband
	115: {MediaAudio, 0, false}, // RTAudio narrowband
	116: {MediaAudio, 0, false}, // G.726
	117: {MediaAudio, 0, false}, // G.722
	118: {MediaAudio, 0, true},  // CN wideband
	121: {MediaVideo, 0, false}, // RTVideo
	122: {MediaVideo, 0, false}, // H.264UC
	123: {MediaVideo, 0, true},  // ULPFEC-UC
	127: {MediaData, 0, false},  // x-data (application sharing)
}

// rtpH264UC is the payload type of Lync's H.264 video, whose payload
// starts with an H.264 NAL unit header (RFC 6184 §5.3).
const rtpH264UC = 122

// rtpFrames gives, for the audio codecs whose payload size follows from
// the timestamp (RFC 3551 §4.5; Siren at Lync's fixed 16 kbit/s on a
// 16 kHz clock), the bytes of one frame and the timestamp ticks it lasts.
var rtpFrames = [128]struct{ bytes, ticks uint32 }{
	0:   {1, 1},    // PCMU
	3:   {33, 160}, // GSM
	8:   {1, 1},    // PCMA
	9:   {1, 1},    // G722: 64 kbit/s on an 8000 Hz RTP clock
	15:  {5, 20},   // G728
	18:  {10, 80},  // G729
	111: {40, 320}, // Siren: 20 ms frames of 40 bytes
}

// rtpHeader is the part of an RTP header the signature follows.
type rtpHeader struct {
	pt     uint8
	padded bool
	seq    uint16
	ts     uint32
	ssrc   uint32
	start  int // offset of the payload, after CSRCs and the extension
}

// parseRTP reads the RTP header at the start of b (RFC 3550 §5.1), as nDPI
// does: version 2, a payload type that is static (0–34) or dynamic
// (96–127), and CSRCs and extension within b. The padding count is not
// checked: SRTP encrypts it.
func parseRTP(b []byte, h *rtpHeader) bool {
	if len(b) < rtpHeaderLen || b[0]&0xc0 != 0x80 {
		return false
	}
	pt := b[1] & 0x7f
	if pt > 34 && pt < 96 {
		return false
	}
	start := rtpHeaderLen + int(b[0]&0x0f)*4
	if b[0]&0x10 != 0 {
		if len(b) < start+4 {
			return false
		}
		start += 4 + int(binary.BigEndian.Uint16(b[start+2:]))*4
	}
	if start > len(b) {
		return false
	}
	*h = rtpHeader{
		pt:     pt,
		padded: b[0]&0x20 != 0,
		seq:    binary.BigEndian.Uint16(b[2:4]),
		ts:     binary.BigEndian.Uint32(b[4:8]),
		ssrc:   binary.BigEndian.Uint32(b[8:12]),
		start:  start,
	}
	return true
}

// isRTCPMux reports whether a packet on an RTP flow is RTCP by its second
// byte (RFC 5761 §4: 192–223).
func isRTCPMux(b []byte) bool { return len(b) >= 2 && b[1] >= 192 && b[1] <= 223 }

// rtcpInfo is what parseRTCP learnt of one compound packet.
type rtcpInfo struct {
	ssrc  uint32   // sender SSRC of the first packet
	types [4]uint8 // packet types, in order (only the first of an encrypted one)
	n     uint8    // types recorded
	srtcp bool     // an SRTCP trailer ends it
	index uint32   // its SRTCP index
}

// SRTCP trailers (RFC 3711 §3.4, RFC 7714 §9.1): where the compound packet
// ends and where the E flag and 31-bit index sit, from the datagram's end.
var srtcpLayouts = [...]struct{ trailer, index int }{
	{4 + 10, 14}, // index, then the 80-bit HMAC-SHA1 tag (AES_CM_128_HMAC_SHA1_80, Lync's)
	{4 + 4, 8},   // index, then the 32-bit tag
	{16 + 4, 4},  // AEAD: the 16-byte GCM tag, then the index
}

// srtcpMaxIndex bounds a plausible SRTCP index: it counts the reports of
// one source from 0, about one every five seconds.
const srtcpMaxIndex = 1 << 16

// parseRTCP checks b as an RTCP compound packet (RFC 3550 §6.1): the first
// packet is a report or one of those a reduced-size or Microsoft compound
// starts with (types 200–207), and the packets' lengths chain exactly to
// the end of b. Failing that, as SRTCP: only the first packet's header and
// sender SSRC are in clear, and the datagram ends with the E flag and SRTCP
// index and the authentication tag in one of srtcpLayouts, the E flag set
// (or, when clear, the packets chaining to the trailer) and the index
// small.
func parseRTCP(b []byte, r *rtcpInfo) bool {
	*r = rtcpInfo{}
	if len(b) < 8 || b[0]&0xc0 != 0x80 || b[1] < 200 || b[1] > 207 {
		return false
	}
	first := (int(binary.BigEndian.Uint16(b[2:4])) + 1) * 4
	if first > len(b) {
		return false
	}
	r.ssrc = binary.BigEndian.Uint32(b[4:8])
	if walkRTCP(b, r) {
		return true
	}
	for _, l := range srtcpLayouts {
		end := len(b) - l.trailer
		if end < first || end%4 != 0 {
			continue
		}
		e := binary.BigEndian.Uint32(b[len(b)-l.index:])
		if e&0x7fffffff >= srtcpMaxIndex {
			continue
		}
		if e&0x80000000 != 0 {
			r.types[0], r.n = b[1], 1
		} else if !walkRTCP(b[:end], r) {
			continue
		}
		r.srtcp, r.index = true, e&0x7fffffff
		return true
	}
	return false
}

// walkRTCP reports whether the RTCP packets in b chain exactly to its end,
// each of version 2 and type 192–223, padding only on the last (RFC 3550
// Appendix A.2), and records their types in r.
func walkRTCP(b []byte, r *rtcpInfo) bool {
	r.n = 0
	for off := 0; off < len(b); {
		if len(b)-off < 4 || b[off]&0xc0 != 0x80 || b[off+1] < 192 || b[off+1] > 223 {
			return false
		}
		next := off + (int(binary.BigEndian.Uint16(b[off+2:]))+1)*4
		if next > len(b) || (b[off]&0x20 != 0 && next != len(b)) {
			return false
		}
		if int(r.n) < len(r.types) {
			r.types[r.n] = b[off+1]
			r.n++
		}
		off = next
	}
	return true
}

// rtpLooksClear reports whether a payload repeats byte values far more
// than ciphertext does: fewer than 44 distinct values in its first 64
// bytes. Random bytes show 57 on average (standard deviation 2.3), so
// encrypted media essentially never passes; silence and most speech in
// G.711 do, compressed codecs do not.
func rtpLooksClear(p []byte) bool {
	const sample, threshold = 64, 44
	if len(p) < sample {
		return false
	}
	var seen [4]uint64
	for _, c := range p[:sample] {
		seen[c>>6] |= 1 << (c & 63)
	}
	n := bits.OnesCount64(seen[0]) + bits.OnesCount64(seen[1]) + bits.OnesCount64(seen[2]) + bits.OnesCount64(seen[3])
	return n < threshold
}

// rtpStepFits reports whether a timestamp step suits the clock of the
// static payload type pt over seqStep packets: audio advances between
// packets by at least 2.5 ms of its clock (G.728's frame) and video by
// zero (packets of one frame) or more; a silence can make any step longer,
// so only a minute is ruled out.
func rtpStepFits(pt uint8, seqStep uint16, tsStep int32) bool {
	t := rtpTypes[pt]
	if t.clock == 0 {
		return true
	}
	if int64(tsStep) > 60*int64(t.clock) {
		return false
	}
	if t.kind == MediaVideo || pt == 14 {
		return true
	}
	return int64(tsStep)*400 >= int64(seqStep)*int64(t.clock)
}

// rtpTagEvidence compares an audio packet's payload size with the time it
// lasted (the next packet's timestamp step) for the codecs of rtpFrames:
// equal means clear RTP, longer by an SRTP authentication tag (4, 10 or 16
// bytes) means SRTP. It returns rtpClear, rtpSRTP or 0.
func rtpTagEvidence(pt uint8, size uint16, tsStep int32) uint8 {
	if rtpFrames[pt&0x7f].ticks == 0 || tsStep <= 0 {
		return 0
	}
	f := rtpFrames[pt&0x7f]
	if uint32(tsStep)%f.ticks != 0 {
		return 0
	}
	switch int64(size) - int64(uint32(tsStep)/f.ticks*f.bytes) {
	case 0:
		return rtpClear
	case 4, 10, 16:
		return rtpSRTP
	}
	return 0
}

// Evidence about encryption (rtpState.evidence).
const (
	rtpSRTP  = 1 << iota // an SRTP tag or SRTCP trailer was seen
	rtpClear             // a payload was seen in clear
)

// Framing of RTP over TCP (rtpState.framing).
const (
	rtpFramingNone    = iota
	rtpFramingRFC4571 // a 2-byte length before each packet (RFC 4571)
	rtpFramingMSTURN  // MS-TURN's 4-byte header: 02/03 00 and a length ([MS-TURN] §2.1.4)
)

// Budgets of the RTP signature, in payloads.
const (
	rtpMaxBad      = 4  // payloads or steps that are not RTP before giving up
	rtpMaxPayloads = 16 // payloads in all, to name the flow and then to fill its detail
	rtpWantPerDir  = 4  // RTP packets each direction shows before the detail is complete
)

// rtpSlots is how many SSRCs a flow's state follows. Lync's video sends
// several layers, each with its own SSRC, on one flow.
const rtpSlots = 4

// rtpMaxPTs is how many payload types Detail lists.
const rtpMaxPTs = 4

// rtpSlot follows one SSRC in one direction.
type rtpSlot struct {
	ssrc uint32
	ts   uint32
	seq  uint16
	size uint16 // payload bytes of its last packet, 0 when unknown
	pt   uint8
	dir  uint8 // Dir+1; 0 for a free slot
}

// rtpState is what the RTP and RTCP signatures remember of a flow; rtcp
// belongs to the RTCP signature alone.
type rtpState struct {
	slots    [rtpSlots]rtpSlot
	pts      [rtpMaxPTs]uint8 // payload types, in order of appearance
	npts     uint8
	overflow bool  // more SSRCs than slots
	named    bool  // confirmed
	good     uint8 // sequence steps that fit
	bad      uint8 // payloads and steps that do not
	payloads uint8
	rtcpMux  uint8    // RTCP packets among the RTP
	perDir   [2]uint8 // RTP packets per direction
	evidence uint8    // rtpSRTP, rtpClear
	nalF     uint8    // H.264 payloads with the forbidden bit set
	framing  uint8
	heard    bool       // an RTP, RTCP or RFC 7983 packet was seen
	skip     [2]uint16  // TCP, per Dir: bytes of a frame that go on in the next segment
	part     [2][3]byte // TCP, per Dir: the start of a frame header cut by the segment's end
	partN    [2]uint8   // TCP, per Dir: how many bytes part holds
	rtcp     rtcpState
}

// rtpSig recognises RTP and SRTP over UDP, and over TCP with RFC 4571 or
// MS-TURN framing. A packet is RTP when parseRTP accepts it; the flow is
// RTP when, SSRC by SSRC and direction by direction, sequence numbers
// advance in small steps (up to 32, for loss), timestamps do not go back,
// the payload type stays the same apart from switches to and from comfort
// noise, DTMF, RED and FEC (13, 19, 97, 101, 118, 123), and static types'
// timestamps advance at their clock rate (rtpStepFits). Two such steps
// name the flow. RTCP on the flow (RFC 5761: second byte 192–223) that
// parseRTCP accepts is counted, not held against it; STUN, ZRTP, DTLS and
// TURN ChannelData packets (RFC 7983 first bytes 0–79) are skipped.
//
// SRTP cannot be told from RTP by its header, and a compressed codec's
// payload looks as random as ciphertext, so "srtp" is "likely" only on
// positive evidence: an SRTCP trailer on multiplexed RTCP (rare within
// the budget: reports come every few seconds); a G.711, G.722, GSM,
// G.728, G.729 or Siren payload longer than its timestamp step by a tag's
// length (4, 10 or 16 bytes); or H.264UC (122) payloads with the NAL
// header's forbidden bit set, which clear H.264 never has. It is "no"
// when such a payload is exactly as long as its timestamp step, or when a
// payload repeats bytes as no ciphertext does (rtpLooksClear), and absent
// when nothing tells.
//
// Budget: RTP gives up at once when the first payload is not of the RTP
// family and starts with a byte above 3 (below, applications put
// keep-alives and handshakes before their RTP); after rtpMaxBad payloads
// or steps that do not fit; and after rtpMaxPayloads payloads without two
// steps that do. Once named it answers ConfirmedMore until each direction
// has shown rtpWantPerDir RTP packets, then Confirmed; a one-way stream
// ends at rtpMaxPayloads.
//
// Detail: "pt" (payload types in order of appearance: "114,13"), "ssrcs"
// (how many; "4+" beyond what it follows), "srtp" ("likely" or "no"),
// "rtcp" ("mux" when RTCP shares the flow), "framing" over TCP ("rfc4571",
// "ms-turn"), and Media from the payload types (video, else data, else
// audio, else unknown).
type rtpSig struct{}

func (rtpSig) Protocol() Protocol       { return RTP }
func (rtpSig) Accepts(t Transport) bool { return t == TCP || t == UDP }

// Inspect implements Signature.
func (rtpSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.rtp
	if st.payloads < 255 {
		st.payloads++
	}
	bad := st.bad
	if s.Transport == TCP {
		st.segment(dir&1, payload)
	} else {
		st.packet(dir&1, payload, true)
	}
	if !st.named {
		switch {
		case st.good >= 2:
			st.named = true
		case st.bad >= rtpMaxBad || st.payloads >= rtpMaxPayloads:
			return Violated
		case st.bad > bad && !st.heard && (len(payload) == 0 || payload[0] > 3):
			// Nothing of the RTP family yet, and this is not one of the
			// keep-alives or handshakes some applications send first.
			return Violated
		default:
			return NeedMore
		}
	}
	st.record(&s.Detail)
	if st.payloads >= rtpMaxPayloads || st.perDir[0] >= rtpWantPerDir && st.perDir[1] >= rtpWantPerDir {
		return Confirmed
	}
	return ConfirmedMore
}

// segment reads a TCP segment as framed packets, following a frame, or a
// frame header, that goes on into the direction's next segment.
func (st *rtpState) segment(d Dir, b []byte) {
	if st.framing == rtpFramingNone {
		st.framing = rtpFramingOf(b)
		if st.framing == rtpFramingNone {
			st.fail()
			return
		}
	}
	hl := 2
	if st.framing == rtpFramingMSTURN {
		hl = 4
	}
	switch skip := int(st.skip[d]); {
	case st.partN[d] > 0:
		var h [4]byte
		k := copy(h[:], st.part[d][:st.partN[d]])
		m := copy(h[k:hl], b)
		if k+m < hl {
			copy(st.part[d][:], h[:k+m])
			st.partN[d] = uint8(k + m)
			return
		}
		st.partN[d] = 0
		if b = st.frame(d, h[:hl], b[m:]); b == nil {
			return
		}
	case skip >= len(b):
		st.skip[d] -= uint16(len(b))
		return
	case skip > 0:
		b = b[skip:]
		st.skip[d] = 0
	}
	for len(b) > 0 {
		if len(b) < hl {
			st.partN[d] = uint8(copy(st.part[d][:], b))
			return
		}
		if b = st.frame(d, b[:hl], b[hl:]); b == nil {
			return
		}
	}
}

// frame reads one frame: its header hdr and what follows in the segment,
// b. It returns the rest of the segment after the frame, or nil when the
// frame goes on in the next segment or hdr is not a frame header.
func (st *rtpState) frame(d Dir, hdr, b []byte) []byte {
	n, data, ok := rtpFrame(st.framing, hdr)
	if !ok {
		st.fail()
		return nil
	}
	if n > len(b) {
		st.skip[d] = uint16(n - len(b))
		if data {
			st.packet(d, b, false)
		}
		return nil
	}
	if data {
		st.packet(d, b[:n], true)
	}
	return b[n:]
}

// rtpFramingOf tells how the first segment of an RTP-over-TCP flow frames
// its packets. An RFC 4571 prefix is followed by version 2 where an MS-TURN
// header has the high byte of its length, below 0x80 for frames under
// 32 KiB, so the two cannot be confused.
func rtpFramingOf(b []byte) uint8 {
	switch {
	case len(b) >= 2+rtpHeaderLen && b[2]&0xc0 == 0x80 && binary.BigEndian.Uint16(b) >= 8:
		return rtpFramingRFC4571
	case len(b) >= 4+rtpHeaderLen && (b[0] == 2 || b[0] == 3) && b[1] == 0 && b[4]&0xc0 == 0x80:
		return rtpFramingMSTURN
	}
	return rtpFramingNone
}

// rtpFrame reads a frame header (2 bytes for RFC 4571, 4 for MS-TURN) and
// returns the length of what follows it, whether the frame carries media
// (MS-TURN's control frames, type 2, carry TURN messages) and whether hdr
// is a frame header at all.
func rtpFrame(framing uint8, hdr []byte) (n int, data, ok bool) {
	if framing == rtpFramingRFC4571 {
		return int(binary.BigEndian.Uint16(hdr)), true, true
	}
	if (hdr[0] != 2 && hdr[0] != 3) || hdr[1] != 0 {
		return 0, false, false
	}
	return int(binary.BigEndian.Uint16(hdr[2:])), hdr[0] == 3, true
}

// fail counts a payload or step that is not RTP; once named, nothing is.
func (st *rtpState) fail() {
	if !st.named && st.bad < 255 {
		st.bad++
	}
}

// packet reads one datagram, or one TCP frame's content (whole unless the
// frame goes on in the next segment).
func (st *rtpState) packet(d Dir, b []byte, whole bool) {
	switch {
	case !whole && len(b) < rtpHeaderLen:
		return // too little of a frame to judge
	case len(b) == 0:
		st.fail()
		return
	}
	switch stunDemux(b[0]) {
	case firstSTUN, firstZRTP, firstDTLS, firstChannelData:
		if !rtpSkippable(b, whole) {
			st.fail()
			return
		}
		st.heard = true
		return
	case firstRTP:
	default:
		st.fail()
		return
	}
	if isRTCPMux(b) {
		var r rtcpInfo
		if !parseRTCP(b, &r) {
			st.fail()
			return
		}
		st.heard = true
		if st.rtcpMux < 255 {
			st.rtcpMux++
		}
		if r.srtcp {
			st.evidence |= rtpSRTP
		}
		return
	}
	var h rtpHeader
	if !parseRTP(b, &h) {
		st.fail()
		return
	}
	st.heard = true
	st.rtpPacket(d, &h, b, whole)
}

// rtpSkippable reports whether a packet that RFC 7983 sends elsewhere
// looks like what its first byte says: a STUN header whose length fits,
// DTLS with its FE version byte, ChannelData whose length fits, or ZRTP
// with its magic cookie (RFC 6189 §5).
func rtpSkippable(b []byte, whole bool) bool {
	switch stunDemux(b[0]) {
	case firstSTUN:
		return len(b) >= stunHeaderLen && (!whole || stunHeaderLen+int(binary.BigEndian.Uint16(b[2:4])) == len(b))
	case firstDTLS:
		return len(b) >= 13 && b[1] == 0xfe
	case firstChannelData:
		_, ok := stunChannelData(b, UDP)
		return ok || !whole
	case firstZRTP:
		return len(b) >= 12 && b[0] == 0x10 && b[1] == 0 && string(b[4:8]) == "ZRTP"
	}
	return false
}

// rtpPacket follows one RTP packet's stream.
func (st *rtpState) rtpPacket(d Dir, h *rtpHeader, b []byte, whole bool) {
	payload := b[h.start:]
	size := uint16(0)
	if whole && !h.padded && len(payload) < 1<<16 {
		size = uint16(len(payload))
	}
	if rtpLooksClear(payload) {
		st.evidence |= rtpClear
	}
	if h.pt == rtpH264UC && len(payload) > 0 && payload[0]&0x80 != 0 && st.nalF < 255 {
		if st.nalF++; st.nalF >= 2 {
			st.evidence |= rtpSRTP
		}
	}
	sl := st.slot(d, h.ssrc)
	if sl == nil {
		return
	}
	if sl.dir == 0 {
		*sl = rtpSlot{ssrc: h.ssrc, ts: h.ts, seq: h.seq, size: size, pt: h.pt, dir: uint8(d) + 1}
		st.seen(d, h.pt)
		return
	}
	const maxGap = 32
	step := h.seq - sl.seq
	tsStep := int32(h.ts - sl.ts)
	switch {
	case step == 0 && tsStep == 0:
		return // the same packet twice, as a SPAN port may deliver it
	case step == 0 || step > maxGap && step < 1<<16-maxGap:
		st.fail()
	case step >= 1<<16-maxGap:
		return // late: reordered in the network
	case tsStep < 0 || !rtpSwitchFits(sl.pt, h.pt) || sl.pt == h.pt && !rtpStepFits(h.pt, step, tsStep):
		st.fail()
	default:
		if st.good < 255 {
			st.good++
		}
		if step == 1 && sl.pt == h.pt && sl.size > 0 {
			st.evidence |= rtpTagEvidence(h.pt, sl.size, tsStep)
		}
	}
	sl.ts, sl.seq, sl.size, sl.pt = h.ts, h.seq, size, h.pt
	st.seen(d, h.pt)
}

// rtpSwitchFits reports whether a stream may go from payload type from to
// payload type to.
func rtpSwitchFits(from, to uint8) bool {
	return from == to || rtpTypes[from].change || rtpTypes[to].change
}

// slot returns the slot following ssrc in direction d, taking a free one
// for a new SSRC, or nil when all are taken.
func (st *rtpState) slot(d Dir, ssrc uint32) *rtpSlot {
	for i := range st.slots {
		sl := &st.slots[i]
		if sl.dir == 0 {
			return sl
		}
		if sl.dir == uint8(d)+1 && sl.ssrc == ssrc {
			return sl
		}
	}
	st.overflow = true
	return nil
}

// seen counts an RTP packet of payload type pt in direction d.
func (st *rtpState) seen(d Dir, pt uint8) {
	if st.perDir[d] < 255 {
		st.perDir[d]++
	}
	for _, p := range st.pts[:st.npts] {
		if p == pt {
			return
		}
	}
	if int(st.npts) < len(st.pts) {
		st.pts[st.npts] = pt
		st.npts++
	}
}

// record writes the flow's Detail; it allocates only when a value changes.
func (st *rtpState) record(d *Detail) {
	var buf [32]byte
	b := buf[:0]
	for i, pt := range st.pts[:st.npts] {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(pt), 10)
	}
	rtpSetBytes(d, "pt", b)
	n := 0
	for _, sl := range st.slots {
		if sl.dir != 0 {
			n++
		}
	}
	b = strconv.AppendUint(buf[:0], uint64(n), 10)
	if st.overflow {
		b = append(b, '+')
	}
	rtpSetBytes(d, "ssrcs", b)
	switch {
	case st.evidence&rtpSRTP != 0:
		d.SetString("srtp", "likely")
	case st.evidence&rtpClear != 0:
		d.SetString("srtp", "no")
	}
	if st.rtcpMux > 0 {
		d.SetString("rtcp", "mux")
	}
	switch st.framing {
	case rtpFramingRFC4571:
		d.SetString("framing", "rfc4571")
	case rtpFramingMSTURN:
		d.SetString("framing", "ms-turn")
	}
	d.Media = rtpMedia(st.pts[:st.npts])
}

// rtpSetBytes records key = value unless it already holds that value:
// Detail.Set copies value into a new string, which refreshing Detail packet
// after packet must not do.
func rtpSetBytes(d *Detail, key string, value []byte) {
	if d.Get(key) != string(value) {
		d.Set(key, value)
	}
}

// rtpMedia names what a flow's payload types carry: video when any is
// video (video flows also carry FEC), else data, else audio.
func rtpMedia(pts []uint8) MediaKind {
	var has [4]bool
	for _, pt := range pts {
		if k := rtpTypes[pt&0x7f].kind; int(k) < len(has) {
			has[k] = true
		}
	}
	for _, k := range [...]MediaKind{MediaVideo, MediaData, MediaAudio} {
		if has[k] {
			return k
		}
	}
	return MediaUnknown
}

// Budget of the RTCP signature, in payloads.
const rtcpMaxPayloads = 8

// rtcpState is what the RTCP signature remembers of a flow.
type rtcpState struct {
	ssrc     [2]uint32 // per Dir: sender SSRC of its first packet
	index    [2]uint16 // per Dir: SRTCP index of its last packet (below srtcpMaxIndex)
	types    [4]uint8  // packet types, in order of appearance
	ntypes   uint8
	heard    [2]bool // per Dir: a packet was seen (ssrc is set)
	indexed  [2]bool // per Dir: an SRTCP packet was seen (index is set)
	good     uint8
	payloads uint8
}

// rtcpSig recognises flows that carry RTCP alone (RFC 3550 §6), as the
// RTP port plus one does without rtcp-mux: compound packets that parseRTCP
// accepts (starting with a report, BYE, APP or PSFB…, their lengths
// chaining exactly to the end of the datagram, or to an SRTCP trailer).
// Two such packets name the flow, provided that in each direction the
// sender SSRC stays the same and SRTCP indexes increase. STUN and DTLS
// packets (RFC 7983) are skipped; anything else ends the flow for RTCP, so
// an RTP flow with multiplexed RTCP is left to the RTP signature.
//
// Budget: RTCP decides within rtcpMaxPayloads payloads, and on the first
// that is neither RTCP nor skippable.
//
// Detail: "pt" (RTCP packet types in order of appearance: "200,202,203";
// of SRTCP only the first packet's is in clear), "ssrcs" (sender SSRCs:
// one per direction heard) and "srtp" = "likely" when SRTCP trailers end
// the packets.
type rtcpSig struct{}

func (rtcpSig) Protocol() Protocol       { return RTCP }
func (rtcpSig) Accepts(t Transport) bool { return t == UDP }

// Inspect implements Signature.
func (rtcpSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.rtp.rtcp
	d := dir & 1
	st.payloads++
	var r rtcpInfo
	switch {
	case parseRTCP(payload, &r):
		if st.fits(d, &r) {
			st.good++
		}
	case rtcpSkippable(payload):
	default:
		return Violated
	}
	if st.good >= 2 {
		st.record(&s.Detail)
		return Confirmed
	}
	if st.payloads >= rtcpMaxPayloads {
		return Violated
	}
	return NeedMore
}

// rtcpSkippable reports whether a packet on an RTCP flow is STUN or DTLS
// sharing its 5-tuple (RFC 7983): ICE checks its RTCP component too.
func rtcpSkippable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch stunDemux(b[0]) {
	case firstSTUN, firstDTLS:
		return rtpSkippable(b, true)
	}
	return false
}

// fits reports whether a compound packet agrees with the earlier ones of
// its direction (the same sender SSRC, a larger SRTCP index by at most
// 64), and remembers it.
func (st *rtcpState) fits(d Dir, r *rtcpInfo) bool {
	ok := !st.heard[d] || st.ssrc[d] == r.ssrc
	st.heard[d], st.ssrc[d] = true, r.ssrc
	if r.srtcp {
		last := uint32(st.index[d])
		if st.indexed[d] && (r.index <= last || r.index > last+64) {
			ok = false
		}
		st.indexed[d], st.index[d] = true, uint16(r.index)
	}
	for _, t := range r.types[:r.n] {
		st.addType(t)
	}
	return ok
}

func (st *rtcpState) addType(t uint8) {
	for _, x := range st.types[:st.ntypes] {
		if x == t {
			return
		}
	}
	if int(st.ntypes) < len(st.types) {
		st.types[st.ntypes] = t
		st.ntypes++
	}
}

// record writes the Detail of a confirmed RTCP flow.
func (st *rtcpState) record(d *Detail) {
	var buf [24]byte
	b := buf[:0]
	for i, t := range st.types[:st.ntypes] {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(t), 10)
	}
	d.Set("pt", b)
	n := 0
	for _, heard := range st.heard {
		if heard {
			n++
		}
	}
	d.SetString("ssrcs", strconv.Itoa(n))
	if st.indexed[0] || st.indexed[1] {
		d.SetString("srtp", "likely")
	}
}
