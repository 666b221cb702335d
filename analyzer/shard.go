package analyzer

import (
	"github.com/lyncaudit/lyncaudit/decoders"
)

// shard owns a share of the flows (all of them when the engine runs on
// one goroutine): their table, their payload inspection, and what their
// verdicts add up to. Both directions of a flow fall in the same shard,
// so shards never share a flow and can run side by side.
type shard struct {
	cfg   *Config
	table *flowTable
	insp  *inspector
	agg   *aggregator
	tl    *timeline
	now   int64 // latest capture time this shard has seen
	swept int64 // capture time of its last expiry sweep
	flows uint64

	alerted map[alertKey]struct{} // alerts already given

	// Frames the reading goroutine handed over undecoded (see item).
	dec     *decoders.Decoder
	pkt     decoders.Packet
	decoded uint64
	undec   [decoders.NumReasons]uint64
}

// item folds one packet of batch b the reading goroutine handed over.
func (s *shard) item(b *batch, it *item) {
	var p *decoders.Packet
	if it.pkt >= 0 {
		p = &b.pkts[it.pkt]
	} else {
		p = &s.pkt
		if r := s.dec.Decode(it.lt, it.data, p); r != decoders.OK {
			s.undec[r]++
			return
		}
		s.decoded++
	}
	k, fwd := keyOf(p)
	s.packet(k, fwd, p, it.ts, int(it.wire))
}

func newShard(cfg *Config, maxFlows int) *shard {
	return &shard{
		cfg:   cfg,
		table: newFlowTable(maxFlows, int64(cfg.TCPIdle), int64(cfg.UDPIdle), int64(cfg.Linger)),
		insp:  newInspector(maxInspected),
		agg:   newAggregator(cfg.Catalog, cfg.Inventory, cfg.KeepFlows),
		tl:    newTimeline(cfg.Bucket),
		dec:   decoders.NewDecoder(),
	}
}

// packet folds a decoded packet into its flow: k and fwd are its
// canonical key and direction, ts its capture time, wire its frame length.
func (s *shard) packet(k FlowKey, fwd bool, p *decoders.Packet, ts int64, wire int) {
	s.packetHashed(k, hashKey(&k), fwd, p, ts, wire)
}

// packetHashed is packet with the key's hash already known.
func (s *shard) packetHashed(k FlowKey, h uint64, fwd bool, p *decoders.Packet, ts int64, wire int) {
	s.advance(ts)
	f := s.table.lookup(&k, h)
	if f != nil && ts-f.last() > s.table.timeout(f) {
		// Idle past its timeout: whether or not a sweep has come by yet,
		// this packet starts a new flow, so flows do not depend on when
		// sweeps happen.
		s.end(f, endReason(f, EndIdle))
		f = nil
	}
	if f == nil {
		f = s.newFlow(k, h, fwd)
	}
	d := 0
	if !fwd {
		d = 1
	}
	f.add(d, ts, wire, p.PayloadLen)
	if p.Transport == decoders.TCP {
		tcpFlags(f, d, p.Flags)
	}
	if !f.class.done {
		s.insp.observe(f, d, p)
		if f.class.done {
			s.alert(f, false)
		}
	}
	s.count(f, ts, wire)
	s.table.touch(f)
}

// tcpFlags records what a TCP packet's flags say about the flow's state
// and, before a handshake was seen, about which side is the server.
func tcpFlags(f *Flow, d int, fl decoders.TCPFlags) {
	if fl.Has(decoders.FlagRST) {
		f.rst = true
		f.rstFrom[d]++
	}
	if fl.Has(decoders.FlagFIN) {
		f.fin[d] = true
	}
	if fl.Has(decoders.FlagSYN) && f.serverBy > BySYN {
		if fl.Has(decoders.FlagACK) {
			if f.serverBy > BySYNACK {
				f.server, f.serverBy = int8(d), BySYNACK
			}
		} else {
			f.server, f.serverBy = int8(1-d), BySYN
		}
	}
}

// newFlow creates the flow for key k, making room in the table first.
func (s *shard) newFlow(k FlowKey, h uint64, fwd bool) *Flow {
	if s.table.len() >= s.table.max {
		if o := s.table.oldest(); o != nil {
			s.end(o, EndEvicted)
			s.table.evicted++
		}
	}
	f := s.table.alloc(k, h)
	if inv := s.cfg.Inventory; inv != nil {
		f.hosts[0] = inv.Lookup(k.addr(0))
		f.hosts[1] = inv.Lookup(k.addr(1))
	}
	s.agg.orient(f, fwd)
	s.flows++
	return f
}

// advance moves capture time forward and ends the flows that went idle,
// checking at most once per second of capture time.
func (s *shard) advance(ts int64) {
	if ts <= s.now {
		return
	}
	s.now = ts
	if ts-s.swept < 1e9 {
		return
	}
	s.sweep(ts)
}

// sweep ends every flow idle past its timeout at capture time now.
func (s *shard) sweep(now int64) {
	s.swept = now
	for f := s.table.expired(now); f != nil; f = s.table.expired(now) {
		s.end(f, endReason(f, EndIdle))
	}
}

// endReason prefers what the packets said (FIN, RST) over why the flow is
// being ended now.
func endReason(f *Flow, why EndReason) EndReason {
	switch {
	case f.rst:
		return EndRST
	case f.fin[0] && f.fin[1]:
		return EndFIN
	}
	return why
}

// count adds a packet to the timeline under its flow's protocol. Until the
// flow is named (or given up on), its packets wait in its own counters;
// then they are added at once, in the bucket of its first packet, so the
// timeline never counts a flow under a name it was about to lose, and is
// the same however flows are spread over shards.
func (s *shard) count(f *Flow, ts int64, wire int) {
	switch {
	case f.counted:
		s.tl.packet(f, ts, wire)
	case f.class.done:
		s.tl.flow(f)
		f.counted = true
	}
}

// end judges a flow and frees it.
func (s *shard) end(f *Flow, why EndReason) {
	f.end = why
	s.insp.finish(f)
	if !f.counted {
		s.tl.flow(f)
	}
	s.tl.ended(f)
	s.alert(f, true)
	s.agg.flow(f)
	s.table.release(f)
}

// finish ends every flow at the end of the capture, whose last packet came
// at now: those idle past their timeout by then as idle, the rest as open.
func (s *shard) finish(now int64) {
	s.sweep(max(now, s.now))
	s.table.each(func(f *Flow) { s.end(f, endReason(f, EndOpen)) })
}
