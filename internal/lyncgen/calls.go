package lyncgen

import (
	"fmt"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// callKind is the shape of an audio/video call.
type callKind int

const (
	callVideo      callKind = iota // a conference the client escalates to video
	callPeer                       // two clients, peer to peer
	callConference                 // client and the A/V Conferencing service of a Front End
	callPSTN                       // a client and the PSTN through the Mediation Server
)

// Why lines of the media flows.
const (
	whyFEAudio     = "Table 1 row 39: 49152-57500 TCP/UDP is the audio media range of all internal servers; the A/V Conferencing service on the Front End terminates audio"
	whyFEVideo     = "Table 1 row 10: 57501-65535 TCP/UDP is the Front End's video media range (A/V Conferencing service)"
	whyClientMedia = "Table 4 rows 8-9: clients use 1024-65535 TCP/UDP for peer-to-peer audio and video"
	whyMedAudio    = "Table 1 row 39: 49152-57500 TCP/UDP is the audio media range of all internal servers; the Mediation Server terminates audio"
)

// call is a started call: when it ends and the bytes it is expected to
// write, for the spawner's size planning.
type call struct {
	start, end time.Duration
	bytes      int64
}

// mediaFileBytes estimates the bytes a stream writes to the file: packets
// times frame and record size, halved by voice activity detection.
func mediaFileBytes(c *codec, d time.Duration, srtp, vad bool) int64 {
	packets := float64(d) / float64(c.ptime)
	size := float64(ethHeaderLen+ipv4HeaderLen+udpHeaderLen+12+32) + float64(c.min+c.max)/2
	if c.video {
		// One key frame in 30 of three or four big packets; the others
		// 1.2 small ones on average.
		packets *= 1.2 + 3.5/30
		size = float64(ethHeaderLen+ipv4HeaderLen+udpHeaderLen+12+32) + float64(c.min+c.max*4/10)/2 + float64(c.max)/10
	}
	if srtp {
		size += srtpTagLen
	}
	if vad {
		packets *= 0.42
	}
	return int64(packets * size)
}

// media schedules an RTP flow from cli:cport to srv:sport. The client
// side sends first, so that it is the flow's client.
func (g *gen) media(r *rng, cli *host, cport uint16, srv *host, sport uint16, v verdict, m mediaSpec) int64 {
	f := &mediaFlow{r: r, stop: [2]time.Duration{never, never}}
	f.paths = paths(cli, cport, srv, sport)
	f.id = g.newTruth(&f.paths, decoders.UDP, v)
	f.s[c2s] = newStream(r, &m, m.start, true)
	bytes := mediaFileBytes(m.codec, m.end-m.start, m.srtp, m.vad)
	if m.oneWay {
		f.s[s2c] = rtpStream{done: true}
	} else {
		answer := m.start + r.dur(20*time.Millisecond, 180*time.Millisecond)
		f.s[s2c] = newStream(r, &m, answer, false)
		bytes += mediaFileBytes(m.codec, m.end-answer, m.srtp, m.vad)
	}
	if g.fw.covers(&f.paths, decoders.UDP) {
		f.stop = g.fw.mediaStops(m.start)
		f.enforceStops(g)
	}
	g.add(f)
	return bytes
}

// rtcpFlow schedules the RTCP flow beside an RTP flow (RTP port + 1):
// reports every five seconds or so in each direction, and a BYE at the end.
func (g *gen) rtcpFlow(r *rng, cli *host, cport uint16, srv *host, sport uint16, v verdict,
	srtp bool, clock int, start, end time.Duration) {
	f := g.udp(cli, cport, srv, sport, v)
	var ssrc [2]uint32
	ssrc[c2s], ssrc[s2c] = r.u32(), r.u32()
	cname := [2]string{fmt.Sprintf("%s@%s", r.hex(8), cli.addr), fmt.Sprintf("%s@%s", r.hex(8), srv.addr)}
	var first time.Duration // the client's first report
	for dir := range 2 {
		index := uint32(0)
		at := start + time.Duration(dir)*r.dur(50*time.Millisecond, 300*time.Millisecond) + r.dur(800*time.Millisecond, 1500*time.Millisecond)
		for {
			last := at >= end
			if last {
				at = end + r.dur(2*time.Millisecond, 40*time.Millisecond)
			}
			// In a call shorter than the first report both sides send only
			// their BYE; the client's still goes first, as the truth says.
			if dir == c2s && first == 0 {
				first = at
			} else if dir == s2c && at <= first {
				at = first + time.Millisecond
			}
			elapsed := at - start
			rtpTS := uint32(int64(elapsed) * int64(clock) / int64(time.Second))
			packets := uint32(elapsed / (20 * time.Millisecond) * 6 / 10)
			b := appendRTCPSR(nil, ssrc[dir], g.o.Start.Add(at), rtpTS, packets, packets*60)
			b = appendRTCPSDES(b, ssrc[dir], cname[dir])
			if last {
				b = appendRTCPBye(b, ssrc[dir])
			}
			if srtp {
				index++
				b = sealSRTCP(r, b, index)
			}
			f.send(at, dir, b)
			if last {
				break
			}
			at += r.dur(4500*time.Millisecond, 5500*time.Millisecond)
		}
	}
	// The two directions were laid out one after the other.
	sortDgrams(f.d)
	g.add(f)
}

// startCall starts a call of the given kind at start, lasting length, and
// returns it.
func (g *gen) startCall(r *rng, kind callKind, start, length time.Duration) call {
	n := g.net
	end := start + length
	cl := n.clients[r.intn(len(n.clients))]
	var bytes int64
	switch kind {
	case callConference, callVideo:
		fe := n.fe[r.intn(len(n.fe))]
		cport, sport := cl.audio.take(), fe.audio.take()
		bytes += g.media(r, cl, cport, fe, sport,
			verdict{decoders.RTP, "srtp pt=114 rtaudio (conference audio)", WantExpected, whyFEAudio},
			mediaSpec{codec: &codecRTAudio, srtp: true, vad: true, start: start, end: end})
		g.rtcpFlow(r, cl, cport+1, fe, sport+1,
			verdict{decoders.RTCP, "srtcp (conference audio)", WantExpected, whyFEAudio},
			true, codecRTAudio.clock, start, end)
		if kind == callVideo {
			// Video is added once the call is under way, for its last
			// third or so.
			vstart := start + (length * 6 / 10).Truncate(time.Microsecond) + r.dur(0, length/10)
			// Nobody else in the conference has a camera: video goes one way.
			bytes += g.media(r, cl, cl.video.take(), fe, fe.video.take(),
				verdict{decoders.RTP, "srtp pt=122 h264uc 90 kHz, rtcp-mux, client to mcu only (conference video)", WantExpected, whyFEVideo},
				mediaSpec{codec: &codecH264UC, srtp: true, mux: true, oneWay: true, start: vstart, end: end})
		}
	case callPeer:
		callee := n.clients[r.intn(len(n.clients))]
		for callee == cl {
			callee = n.clients[r.intn(len(n.clients))]
		}
		bytes += g.media(r, cl, cl.audio.take(), callee, callee.audio.take(),
			verdict{decoders.RTP, "srtp pt=104 silk 16 kHz, rtcp-mux (peer-to-peer audio)", WantExpected, whyClientMedia},
			mediaSpec{codec: &codecSILK, srtp: true, vad: true, mux: true, start: start, end: end})
	case callPSTN:
		med := n.med
		if r.chance(0.5) {
			med = n.fe[r.intn(len(n.fe))] // a collocated Mediation Server
		}
		bytes += g.pstnCall(r, cl, med, n.gw.audio.take(), med.audio.take(), start, end)
	}
	return call{start: start, end: end, bytes: bytes}
}

// pstnCall schedules the media of a call between client cl and the PSTN:
// SRTP between the client and the Mediation Server, plain G.711 RTP and
// RTCP between the Mediation Server (port medPort) and the gateway (port
// gwPort).
func (g *gen) pstnCall(r *rng, cl, med *host, gwPort, medPort uint16, start, end time.Duration) int64 {
	n := g.net
	bytes := g.media(r, cl, cl.audio.take(), med, med.audio.take(),
		verdict{decoders.RTP, "srtp pt=111 siren, rtcp-mux (pstn call, client leg)", WantExpected, whyMedAudio},
		mediaSpec{codec: &codecSiren, srtp: true, vad: true, mux: true, start: start, end: end})
	gwStart := start + r.dur(5*time.Millisecond, 40*time.Millisecond)
	bytes += g.media(r, n.gw, gwPort, med, medPort,
		verdict{decoders.RTP, "rtp pt=0 pcmu (pstn call, gateway leg)", WantExpected, whyMedAudio},
		mediaSpec{codec: &codecPCMU, vad: true, start: gwStart, end: end})
	g.rtcpFlow(r, n.gw, gwPort+1, med, medPort+1,
		verdict{decoders.RTCP, "rtcp (pstn call, gateway leg)", WantExpected, whyMedAudio},
		false, codecPCMU.clock, gwStart, end)
	return bytes
}

// spawner starts the calls: Calls of them spread over Duration, or, with
// a target size, calls at the same average rate until the bytes written
// and the bytes the running calls will still write reach the target.
type spawner struct {
	r      *rng
	starts []time.Duration // fixed mode: the remaining start times
	at     time.Duration
	i      int
	mean   time.Duration // target mode: mean time between calls
	target int64
	active []call
}

func newSpawner(g *gen) *spawner {
	s := &spawner{r: newRNG(g.o.Seed, 2), target: g.o.TargetBytes}
	if s.target > 0 {
		s.mean = max(g.o.Duration/time.Duration(max(g.o.Calls, 1)), time.Millisecond)
		s.at = 2 * time.Second
		return s
	}
	// Calls start and end inside the capture span.
	lo := 2 * time.Second
	hi := max(g.o.Duration-g.o.MaxCall-time.Second, lo)
	for range g.o.Calls {
		s.starts = append(s.starts, s.r.dur(lo, hi))
	}
	sortDurations(s.starts)
	s.at = never
	if len(s.starts) > 0 {
		s.at = s.starts[0]
	}
	return s
}

func (s *spawner) next() time.Duration { return s.at }

func (s *spawner) step(g *gen) error {
	r := s.r
	length := r.dur(g.o.MinCall, g.o.MaxCall)
	kind := callKind(s.i % 4)
	if s.target > 0 {
		kind = callKind(r.intn(4))
	}
	c := g.startCall(newRNG(g.o.Seed, 1<<32+uint64(s.i)), kind, s.at, length)
	s.i++
	if s.target == 0 {
		s.at = never
		if s.i < len(s.starts) {
			s.at = s.starts[s.i]
		}
		return nil
	}
	s.active = append(s.active, c)
	if g.cw.bytes+s.pending(s.at) >= s.target {
		s.at = never
		return nil
	}
	// Exponential gaps: calls arrive as a Poisson process.
	s.at += time.Duration(float64(s.mean) * expRand(r)).Truncate(time.Microsecond)
	return nil
}

// pending returns the bytes the running calls will still write after now,
// and forgets the calls that have ended.
func (s *spawner) pending(now time.Duration) int64 {
	var sum int64
	live := s.active[:0]
	for _, c := range s.active {
		if c.end <= now {
			continue
		}
		live = append(live, c)
		sum += int64(float64(c.bytes) * float64(c.end-now) / float64(c.end-c.start))
	}
	s.active = live
	return sum
}
