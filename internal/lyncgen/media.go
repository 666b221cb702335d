package lyncgen

import (
	"fmt"
	"time"
)

// codec is how one media stream is packetised.
type codec struct {
	pt       uint8
	clock    int           // RTP clock rate in Hz
	ptime    time.Duration // packet (audio) or frame (video) interval
	min, max int           // payload bytes per packet, before the SRTP tag
	cnPT     uint8         // comfort noise payload type sent when a talk spurt ends
	video    bool          // frames of one to several packets, marker on the last
}

// The codecs of the scenario's calls. Payload types follow [MS-RTP] and
// [MS-SDPEXT] as quoted in the signature reference (§4.4).
var (
	codecRTAudio = codec{pt: 114, clock: 16000, ptime: 20 * time.Millisecond, min: 44, max: 74, cnPT: 118}
	codecSiren   = codec{pt: 111, clock: 16000, ptime: 20 * time.Millisecond, min: 40, max: 40, cnPT: 118}
	codecSILK    = codec{pt: 104, clock: 16000, ptime: 20 * time.Millisecond, min: 30, max: 68, cnPT: 118}
	codecPCMU    = codec{pt: 0, clock: 8000, ptime: 20 * time.Millisecond, min: 160, max: 160, cnPT: 13}
	codecH264UC  = codec{pt: 122, clock: 90000, ptime: 66667 * time.Microsecond, min: 180, max: 1100, video: true}
)

// rtpStream is one direction of a media flow. Audio alternates talk
// spurts and silences (voice activity detection): a silence sends one
// comfort noise packet and then nothing until the next spurt, whose first
// packet has the marker bit.
type rtpStream struct {
	c        *codec
	srtp     bool
	vad      bool
	end      time.Duration
	nominal  time.Duration // the packet clock: start + n × ptime
	wire     time.Duration // when the next packet appears on the wire (nominal plus jitter)
	start    time.Duration
	seq      uint16
	ts0      uint32 // RTP timestamp at start
	ssrc     uint32
	talking  bool
	cn       bool          // the next packet is the comfort noise that ends a spurt
	switchAt time.Duration // end of the current spurt or silence
	marker   bool
	frame    int           // video: packets left in the current frame
	keyframe bool          // video: the current frame is a key frame
	rtcpAt   time.Duration // RTCP multiplexed on the flow: next report; never without
	rtcpN    uint32        // SRTCP index
	cname    string
	packets  uint32
	octets   uint32
	done     bool
}

// newStream starts a stream at start. With voice activity detection a
// stream that does not talk first opens with comfort noise and a silence.
func newStream(r *rng, m *mediaSpec, start time.Duration, talkFirst bool) rtpStream {
	s := rtpStream{
		c: m.codec, srtp: m.srtp, vad: m.vad, start: start, end: m.end, nominal: start, wire: start,
		seq: r.u16(), ts0: r.u32(), ssrc: r.u32(), talking: true, rtcpAt: never, switchAt: never,
		cname: fmt.Sprintf("%08x-%04x", r.u32(), r.u16()),
	}
	if m.vad {
		s.switchAt = start + spurt(r)
		if !talkFirst {
			s.talking, s.cn = false, true
			s.switchAt = start + pause(r)
		}
	}
	if m.mux {
		s.rtcpAt = start + r.dur(700*time.Millisecond, 1500*time.Millisecond)
	}
	return s
}

// next returns the time of the stream's next packet.
func (s *rtpStream) next() time.Duration {
	if s.done {
		return never
	}
	return min(s.wire, s.rtcpAt)
}

// mediaFlow is a bidirectional RTP flow, built packet by packet as the
// scheduler asks: nothing of it is held in advance.
type mediaFlow struct {
	flowBase
	r    *rng
	s    [2]rtpStream
	stop [2]time.Duration // the incident's change: no packet of a direction from then on; never when it does not block the flow
}

func (f *mediaFlow) next() time.Duration {
	return min(f.s[c2s].next(), f.s[s2c].next())
}

// spurt and pause return the length of a talk spurt and of a silence: in
// a conversation each side talks about 40% of the time.
func spurt(r *rng) time.Duration { return r.dur(500*time.Millisecond, 2000*time.Millisecond) }
func pause(r *rng) time.Duration { return r.dur(800*time.Millisecond, 3200*time.Millisecond) }

// mediaSpec says how a media flow is sent.
type mediaSpec struct {
	codec      *codec
	srtp       bool // SRTP: an authentication tag on each packet, SRTCP
	vad        bool // voice activity detection
	mux        bool // RTCP on the RTP flow (rtcp-mux)
	oneWay     bool // only the client side sends (a camera nobody answers, stray media)
	start, end time.Duration
}

func (f *mediaFlow) step(g *gen) error {
	dir := c2s
	if f.s[s2c].next() < f.s[c2s].next() {
		dir = s2c
	}
	s := &f.s[dir]
	var at time.Duration
	var payload []byte
	if s.rtcpAt <= s.wire {
		at = s.rtcpAt
		payload = f.rtcp(g, s)
	} else {
		at = s.wire
		payload = f.rtp(g, s)
	}
	if f.stop[c2s] != never {
		// The server's stop is the change itself.
		if at >= f.stop[s2c] {
			g.truth.Flows[f.id].Blocked = true
		}
		f.enforceStops(g)
	}
	return g.emit(f.id, at, g.fr.udp(&f.paths[dir], payload))
}

// enforceStops ends each direction whose next packet would come at or
// after its stop, and marks the flow blocked if one did.
func (f *mediaFlow) enforceStops(g *gen) {
	for dir := range f.s {
		if s := &f.s[dir]; !s.done && s.next() >= f.stop[dir] {
			s.done = true
			g.truth.Flows[f.id].Blocked = true
		}
	}
}

// rtp builds the stream's next packet in g's scratch buffer and moves the
// stream on.
func (f *mediaFlow) rtp(g *gen, s *rtpStream) []byte {
	r := f.r
	c := s.c
	ts := s.ts0 + uint32(int64(s.nominal-s.start)*int64(c.clock)/int64(time.Second))
	pt, n, marker := c.pt, 0, false
	switch {
	case s.cn:
		pt, n = c.cnPT, 1
		s.cn = false
	case c.video:
		if s.frame == 0 {
			// A key frame every two seconds in three or four full packets;
			// between them one packet a frame, now and then two.
			s.keyframe = (s.nominal-s.start)%(2*time.Second) < c.ptime
			s.frame = 1
			if r.chance(0.2) {
				s.frame = 2
			}
			if s.keyframe {
				s.frame = 3 + r.intn(2)
			}
		}
		s.frame--
		marker = s.frame == 0
		n = r.between(c.min, c.max*4/10)
		if s.keyframe {
			n = r.between(c.max*3/4, c.max)
		}
	default:
		n = r.between(c.min, c.max)
		marker, s.marker = s.marker, false
	}
	b := appendRTP(g.buf[:0], marker, pt, s.seq, ts, s.ssrc)
	b = append(b, g.randomBytes(r, n)...)
	if s.srtp {
		b = append(b, g.randomBytes(r, srtpTagLen)...)
	}
	s.seq++
	s.packets++
	s.octets += uint32(n)
	g.buf = b
	f.advance(s)
	return b
}

// advance moves the stream to its next packet time: the next video packet
// of the frame, the next frame or audio packet, or past a silence.
func (f *mediaFlow) advance(s *rtpStream) {
	r := f.r
	if s.c.video && s.frame > 0 {
		s.wire += r.dur(80*time.Microsecond, 300*time.Microsecond)
		return
	}
	s.nominal += s.c.ptime
	switch {
	case s.vad && s.talking && s.nominal >= s.switchAt:
		// The spurt ends: this slot carries the comfort noise packet.
		s.talking, s.cn = false, true
		s.switchAt = s.nominal + pause(r)
	case s.vad && !s.talking && !s.cn:
		// Comfort noise sent: skip the silence, on the packet clock.
		for s.nominal < s.switchAt {
			s.nominal += s.c.ptime
		}
		s.talking, s.marker = true, true
		s.switchAt = s.nominal + spurt(r)
	}
	if s.nominal >= s.end {
		s.wire = never
		if s.rtcpAt == never {
			s.done = true
		}
		return
	}
	// Network jitter at the capture point, below a packet interval so the
	// stream stays in order.
	s.wire = s.nominal + r.dur(0, 1500*time.Microsecond)
}

// rtcp builds the multiplexed SRTCP report due now: a sender report and
// the CNAME, or the BYE at the end of the stream.
func (f *mediaFlow) rtcp(g *gen, s *rtpStream) []byte {
	r := f.r
	at := s.rtcpAt
	ts := s.ts0 + uint32(int64(at-s.start)*int64(s.c.clock)/int64(time.Second))
	b := appendRTCPSR(g.buf[:0], s.ssrc, g.o.Start.Add(at), ts, s.packets, s.octets)
	b = appendRTCPSDES(b, s.ssrc, s.cname)
	if at >= s.end {
		b = appendRTCPBye(b, s.ssrc)
		s.rtcpAt = never
		s.done = s.wire == never
	} else {
		s.rtcpAt = min(at+r.dur(4*time.Second, 6*time.Second), s.end+r.dur(time.Millisecond, 30*time.Millisecond))
	}
	s.rtcpN++
	b = sealSRTCPScratch(g, r, b, s.rtcpN)
	g.buf = b
	return b
}

// sealSRTCPScratch is sealSRTCP without allocating: the encrypted part and
// the tag come from the random pool.
func sealSRTCPScratch(g *gen, r *rng, b []byte, index uint32) []byte {
	copy(b[8:], g.randomBytes(r, len(b)-8))
	b = append(b, byte(0x80|index>>24&0x7f), byte(index>>16), byte(index>>8), byte(index))
	return append(b, g.randomBytes(r, srtpTagLen)...)
}

// randomBytes returns n bytes of the random pool from a random offset:
// encrypted payloads without generating fresh randomness per packet.
func (g *gen) randomBytes(r *rng, n int) []byte {
	off := r.intn(len(g.pool) - n)
	return g.pool[off : off+n]
}
