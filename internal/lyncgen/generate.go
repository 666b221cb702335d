package lyncgen

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// source is anything the scheduler runs in time order: a flow writing its
// packets, or the call spawner starting new flows.
type source interface {
	next() time.Duration // time of the next step from the capture start; never when done
	step(g *gen) error
}

// gen is one run of Generate.
type gen struct {
	o     Options
	r     *rng // the scenario's choices, drawn in a fixed order
	net   *network
	fr    *framer
	cw    *captureWriter
	truth Truth
	fw    *firewall // the incident's firewall change; nil for none
	q     queue
	pool  []byte // random bytes that stand in for encrypted media payloads
	buf   []byte // scratch for a media payload

	seq     uint64 // sources scheduled so far
	packets int    // frames written so far
}

// GenerateFile writes the capture of o to the file name, as Generate
// does, and returns its ground truth.
func GenerateFile(name string, o Options) (*Truth, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	truth, err := Generate(f, o)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return truth, err
}

// Generate writes a capture of the scenario to w, in time order, and
// returns its ground truth. The same Options always give the same bytes.
// Memory grows with the flows open at one time and with the truth's one
// row per flow, not with the packets.
func Generate(w io.Writer, o Options) (*Truth, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	cw, err := newCaptureWriter(w, o.Format, o.Snaplen)
	if err != nil {
		return nil, fmt.Errorf("lyncgen: writing the file header: %w", err)
	}
	g := &gen{o: o, r: newRNG(o.Seed, 0), fr: newFramer(), cw: cw, buf: make([]byte, 0, 2048)}
	g.pool = newRNG(o.Seed, 1).bytes(1 << 16)
	g.net = newNetwork(g.r, o.Clients)
	g.fw = newFirewall(o.Incident, g.net)
	g.scenario()
	g.add(newSpawner(g))
	if o.Incident != nil {
		g.add(newConferencer(g))
	}
	if err := g.run(); err != nil {
		return &g.truth, err
	}
	if g.fw != nil {
		g.fw.phases(&g.truth, o.Start)
	}
	if err := cw.flush(); err != nil {
		return &g.truth, fmt.Errorf("lyncgen: writing the capture: %w", err)
	}
	return &g.truth, nil
}

// run writes every source's steps in time order; among steps at the same
// time, the source created first goes first.
func (g *gen) run() error {
	for len(g.q) > 0 {
		src := g.q[0].src
		if err := src.step(g); err != nil {
			return err
		}
		// step may have added sources; they sort after this one, which is
		// still at the top.
		if at := src.next(); at == never {
			g.q.popTop()
		} else {
			g.q[0].at = at
			g.q.down(0)
		}
	}
	return nil
}

// add schedules a source.
func (g *gen) add(s source) {
	if f, ok := s.(*udpFlow); ok && g.fw.covers(&f.paths, decoders.UDP) {
		// A UDP flow's datagrams are all listed by the time it is
		// scheduled, so the change is applied to them here.
		g.truth.Flows[f.id].Blocked = g.fw.cutUDP(f)
	}
	if at := s.next(); at != never {
		g.seq++
		g.q.push(entry{at: at, seq: g.seq, src: s})
	}
}

// emit writes the frame of flow id seen at offset at from the start.
func (g *gen) emit(id int, at time.Duration, frame []byte) error {
	ts := g.o.Start.Add(at)
	f := &g.truth.Flows[id]
	if f.Packets == 0 {
		f.First = ts
	}
	f.Last = ts
	f.Packets++
	f.Bytes += int64(len(frame))
	g.packets++
	if err := g.cw.write(ts, frame); err != nil {
		return fmt.Errorf("lyncgen: writing packet %d (flow %d to %v): %w", g.packets, id, f.Server, err)
	}
	return nil
}

// verdict is what the scenario says about a flow: its real protocol and
// the verdict its server side deserves.
type verdict struct {
	proto  decoders.Protocol
	detail string
	want   string
	why    string
}

// newTruth adds a truth row for a flow from cli to srv and returns its id.
func (g *gen) newTruth(ps *[2]path, tr decoders.Transport, v verdict) int {
	p := &ps[c2s]
	g.truth.Flows = append(g.truth.Flows, FlowTruth{
		Client:    netip.AddrPortFrom(p.srcIP, p.sport),
		Server:    netip.AddrPortFrom(p.dstIP, p.dport),
		Transport: tr, Protocol: v.proto, Detail: v.detail, Want: v.want, Why: v.why,
		VLAN: p.vlan,
	})
	return len(g.truth.Flows) - 1
}

// tcp schedules a TCP conversation from a fresh port of cli to port dport
// of srv, starting at start.
func (g *gen) tcp(cli, srv *host, dport uint16, start time.Duration, v verdict, c *conv) {
	g.tcpWith(g.r, cli, srv, dport, start, v, c)
}

// tcpWith is tcp drawing the conversation's timing and sequence numbers
// from r. When the incident's firewall change blocks the flow, the
// conversation is compiled all the same, so that the draws do not depend
// on the change, then cut.
func (g *gen) tcpWith(r *rng, cli, srv *host, dport uint16, start time.Duration, v verdict, c *conv) {
	f := &tcpFlow{}
	f.paths = paths(cli, cli.ephemeral.take(), srv, dport)
	blocked := g.fw.covers(&f.paths, decoders.TCP)
	refused := blocked && start >= g.fw.at
	if refused {
		v = refusedVerdict(v)
	}
	f.id = g.newTruth(&f.paths, decoders.TCP, v)
	t := &g.truth.Flows[f.id]
	t.Close, t.MidStream = c.close, c.midStream
	if t.Close == "" {
		t.Close = CloseOpen
	}
	mss := 1460
	if cli.addr.Is6() {
		mss = 1440
	}
	c.compile(f, r, start, tcpTiming{rtt: g.rtt(r, cli, srv), mss: mss})
	switch {
	case refused:
		refuseTCP(f)
		t.Close, t.Blocked = CloseSYNOnly, true
	case blocked:
		if close, cut := g.fw.cutTCP(f, c.midStream); cut {
			t.Close, t.Blocked = close, true
			if close == CloseSYNOnly {
				syns := refusedVerdict(v)
				t.Protocol, t.Detail = syns.proto, syns.detail
			}
		}
	}
	g.add(f)
}

// udp creates a UDP flow between the given ports; the caller fills in its
// datagrams and schedules it with add.
func (g *gen) udp(cli *host, cport uint16, srv *host, sport uint16, v verdict) *udpFlow {
	f := &udpFlow{}
	f.paths = paths(cli, cport, srv, sport)
	f.id = g.newTruth(&f.paths, decoders.UDP, v)
	return f
}

// rtt draws the round trip between two hosts from r: a LAN's for hosts
// in one building, more for the external site.
func (g *gen) rtt(r *rng, a, b *host) time.Duration {
	if a == g.net.web || b == g.net.web {
		return r.dur(18*time.Millisecond, 30*time.Millisecond)
	}
	return r.dur(300*time.Microsecond, 1500*time.Microsecond)
}

// entry is a scheduled source; seq breaks ties in creation order.
type entry struct {
	at  time.Duration
	seq uint64
	src source
}

// queue is a binary min-heap of entries by (at, seq). It is typed rather
// than built on container/heap, whose interface methods would box each
// entry: the scheduler touches the top once per packet.
type queue []entry

func (q queue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *queue) push(e entry) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *queue) popTop() {
	h := *q
	last := len(h) - 1
	h[0] = h[last]
	h[last] = entry{}
	*q = h[:last]
	if last > 0 {
		q.down(0)
	}
}

func (q queue) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(q) {
			return
		}
		m := l
		if r := l + 1; r < len(q) && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			return
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
}
