package lyncgen

import (
	"math"
	"slices"
	"time"
)

// never is the next time of a source that has nothing more to write.
const never = time.Duration(math.MaxInt64)

// The two directions of a flow, indexes into flowBase.paths.
const (
	c2s = 0 // client to server
	s2c = 1 // server to client
)

// flowBase is what every flow holds: its row in the truth and its two
// directions on the wire.
type flowBase struct {
	id    int     // index in Truth.Flows
	paths [2]path // c2s and s2c
}

// tcpSeg is one TCP segment of a compiled conversation. Its payload is a
// slice of the sender's stream, so a flow holds each byte once.
type tcpSeg struct {
	at       time.Duration
	seq, ack uint32
	off, n   int32 // payload: stream[dir][off : off+n]
	dir      uint8
	flags    uint8
	syn      bool // carries the handshake options
}

// tcpFlow writes a compiled TCP conversation, one segment per step.
type tcpFlow struct {
	flowBase
	stream [2][]byte
	segs   []tcpSeg
	i      int
}

func (f *tcpFlow) next() time.Duration {
	if f.i < len(f.segs) {
		return f.segs[f.i].at
	}
	return never
}

// The SYN options Windows sends: MSS, window scale 8, SACK permitted.
var (
	synOptions4 = []byte{2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2} // MSS 1460
	synOptions6 = []byte{2, 4, 0x05, 0xa0, 1, 3, 3, 8, 1, 1, 4, 2} // MSS 1440
)

func (f *tcpFlow) step(g *gen) error {
	s := &f.segs[f.i]
	f.i++
	p := &f.paths[s.dir]
	var opts []byte
	window := uint16(513) // 131328 bytes with the window scale of 8
	if s.syn {
		window = 8192
		opts = synOptions4
		if p.srcIP.Is6() {
			opts = synOptions6
		}
	}
	payload := f.stream[s.dir][s.off : s.off+s.n]
	return g.emit(f.id, s.at, g.fr.tcp(p, s.seq, s.ack, s.flags, window, opts, payload))
}

// tcpMsg is one application message of a conversation.
type tcpMsg struct {
	dir  int
	gap  time.Duration // since the previous packet of the flow
	data []byte
}

// conv records a TCP conversation message by message; compile turns it
// into segments with sequence numbers, acknowledgements and timing.
type conv struct {
	msgs      []tcpMsg
	close     string        // CloseFIN, CloseRST, CloseOpen or CloseSYNOnly
	closer    int           // direction that sends the FIN or RST
	closeGap  time.Duration // from the last message to the FIN or RST
	midStream bool          // no handshake: the flow started before the capture
}

// say appends a message from dir, sent gap after the flow's previous
// packet. Several data slices are sent as one message.
func (c *conv) say(dir int, gap time.Duration, data ...[]byte) {
	var n int
	for _, d := range data {
		n += len(d)
	}
	m := make([]byte, 0, n)
	for _, d := range data {
		m = append(m, d...)
	}
	c.msgs = append(c.msgs, tcpMsg{dir: dir, gap: gap, data: m})
}

// elapsed returns the time from the end of the handshake to the last
// message, as the gaps add up (segment spacing and acknowledgements not
// counted).
func (c *conv) elapsed() time.Duration {
	var d time.Duration
	for _, m := range c.msgs {
		d += m.gap
	}
	return d
}

// end says how the conversation ends: the direction that closes it and
// how long after its last message.
func (c *conv) end(how string, closer int, gap time.Duration) {
	c.close, c.closer, c.closeGap = how, closer, gap
}

// tcpTiming is the pace of a conversation on the wire.
type tcpTiming struct {
	rtt time.Duration // round trip between the two hosts
	mss int
}

// synBackoff is when Windows sends an unanswered SYN: at once, then 3 s
// later and 6 s after that, each after the one before.
var synBackoff = [...]time.Duration{0, 3 * time.Second, 6 * time.Second}

// delayedACK is Windows' delayed acknowledgement timer.
const delayedACK = 200 * time.Millisecond

// compile turns the conversation into the segments of f, starting at
// start. It follows TCP as a capture shows it: a three-way handshake,
// data in MSS-sized segments, an acknowledgement for every second
// segment, piggy-backed or delayed acknowledgements for the rest, and the
// close.
func (c *conv) compile(f *tcpFlow, r *rng, start time.Duration, tm tcpTiming) {
	var nxt [2]uint32 // next sequence number per direction
	nxt[c2s], nxt[s2c] = r.u32(), r.u32()
	var segs []tcpSeg
	add := func(at time.Duration, dir int, flags uint8, n int, syn bool) {
		s := tcpSeg{at: at, dir: uint8(dir), flags: flags, seq: nxt[dir], syn: syn,
			off: int32(len(f.stream[dir])), n: int32(n)}
		if flags&tcpACK != 0 {
			s.ack = nxt[1-dir]
		}
		segs = append(segs, s)
	}
	half := func() time.Duration { return r.dur(tm.rtt/3, tm.rtt*2/3) }
	t := start
	if c.close == CloseSYNOnly {
		for _, after := range synBackoff {
			t += after
			add(t, c2s, tcpSYN, 0, true)
		}
		f.segs = segs
		return
	}
	if !c.midStream {
		add(t, c2s, tcpSYN, 0, true)
		nxt[c2s]++
		t += half()
		add(t, s2c, tcpSYN|tcpACK, 0, true)
		nxt[s2c]++
		t += half()
		add(t, c2s, tcpACK, 0, false)
	}
	for i, m := range c.msgs {
		t += m.gap
		var last time.Duration
		for off, k := 0, 0; off < len(m.data); k++ {
			n := min(tm.mss, len(m.data)-off)
			flags := uint8(tcpACK)
			if off+n == len(m.data) {
				flags |= tcpPSH
			}
			add(t, m.dir, flags, n, false)
			f.stream[m.dir] = append(f.stream[m.dir], m.data[off:off+n]...)
			nxt[m.dir] += uint32(n)
			off += n
			last = t
			if k%2 == 1 {
				// The receiver acknowledges every second full segment.
				add(t+half(), 1-m.dir, tcpACK, 0, false)
			}
			t += r.dur(8*time.Microsecond, 25*time.Microsecond)
		}
		t = last
		segments := (len(m.data) + tm.mss - 1) / tm.mss
		if segments%2 == 0 {
			t = max(t, segs[len(segs)-1].at)
			continue
		}
		// The odd last segment: acknowledged by the reply if one comes
		// before the delayed-ACK timer, else by a pure ACK.
		var nextGap time.Duration = never
		nextDir := -1
		if i+1 < len(c.msgs) {
			nextGap, nextDir = c.msgs[i+1].gap, c.msgs[i+1].dir
		} else if c.close == CloseFIN || c.close == CloseRST {
			nextGap, nextDir = c.closeGap, c.closer
		}
		if nextDir == 1-m.dir && nextGap < delayedACK {
			continue
		}
		wait := r.dur(delayedACK/4, delayedACK)
		if nextGap != never && nextGap <= wait {
			wait = (nextGap / 2).Truncate(time.Microsecond)
		}
		if c.close == CloseOpen && i+1 == len(c.msgs) {
			wait = half()
		}
		add(t+wait, 1-m.dir, tcpACK, 0, false)
	}
	if len(segs) > 0 {
		t = max(t, segs[len(segs)-1].at)
	}
	switch c.close {
	case CloseFIN:
		t += c.closeGap
		add(t, c.closer, tcpFIN|tcpACK, 0, false)
		nxt[c.closer]++
		t += half()
		add(t, 1-c.closer, tcpFIN|tcpACK, 0, false)
		nxt[1-c.closer]++
		t += half()
		add(t, c.closer, tcpACK, 0, false)
	case CloseRST:
		t += c.closeGap
		add(t, c.closer, tcpRST|tcpACK, 0, false)
	}
	// Acknowledgements were added at their own times; keep the flow in
	// time order, the order a capture has.
	slices.SortStableFunc(segs, func(a, b tcpSeg) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	f.segs = segs
}

// dgram is one UDP datagram of a flow, or one IPv4 fragment of it.
type dgram struct {
	at   time.Duration
	dir  uint8
	part int8 // -1 for a whole datagram, else the fragment (0 or 1)
	data []byte
}

// udpFlow writes a list of datagrams.
type udpFlow struct {
	flowBase
	d      []dgram
	i      int
	fragID uint16 // IPv4 identification shared by the fragments being written
}

func (f *udpFlow) next() time.Duration {
	if f.i < len(f.d) {
		return f.d[f.i].at
	}
	return never
}

func (f *udpFlow) step(g *gen) error {
	d := &f.d[f.i]
	f.i++
	p := &f.paths[d.dir]
	if d.part < 0 {
		return g.emit(f.id, d.at, g.fr.udp(p, d.data))
	}
	if d.part == 0 {
		f.fragID = p.from.nextIPID()
	}
	return g.emit(f.id, d.at, g.fr.udpFragment(p, d.data, int(d.part), f.fragID))
}

// send appends a whole datagram.
func (f *udpFlow) send(at time.Duration, dir int, data []byte) {
	f.d = append(f.d, dgram{at: at, dir: uint8(dir), part: -1, data: data})
}

// sendFragmented appends a datagram too big for the MTU as its two IPv4
// fragments, the second a few microseconds after the first.
func (f *udpFlow) sendFragmented(at time.Duration, dir int, data []byte) {
	f.d = append(f.d,
		dgram{at: at, dir: uint8(dir), part: 0, data: data},
		dgram{at: at + 12*time.Microsecond, dir: uint8(dir), part: 1, data: data})
}
