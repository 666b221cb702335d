package analyzer

import (
	"encoding/binary"
	"sync"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/decoders"
)

// Batching between the reading goroutine and the shards: big enough that
// channel operations cost little per packet, small enough to keep every
// shard busy.
const (
	batchItems      = 512
	batchArena      = 256 << 10 // payload bytes per batch
	batchesInFlight = 4         // per shard, queued and being processed
)

// item is one packet on its way to its shard: a frame Quick read, which
// the shard decodes itself, or a packet the reader decoded (a fragment, a
// tunnel), its payload copied. Either way its bytes sit in the batch's
// arena.
type item struct {
	lt   decoders.LinkType
	pkt  int32 // index of the decoded packet in the batch's pkts, or -1: data is the frame
	wire int32
	ts   int64
	data []byte
}

type batch struct {
	items  []item
	pkts   []decoders.Packet // the packets the reader decoded, few
	arena  []byte
	used   int  // payload bytes in the batch, copied or not
	stable bool // the source's bytes outlive the batch: no copy is needed
}

func newBatch(stable bool) *batch {
	b := &batch{items: make([]item, 0, batchItems), stable: stable}
	if !stable {
		b.arena = make([]byte, 0, batchArena)
	}
	return b
}

// copyIn copies b into the arena, or reports false when the batch is full.
// When the source's bytes stay valid (a mapped file) it only counts them,
// against the same budget, and hands them on as they are.
func (b *batch) copyIn(data []byte) ([]byte, bool) {
	n := min(len(data), batchArena)
	if len(b.items) == cap(b.items) || b.used+n > batchArena {
		return nil, false
	}
	b.used += n
	if b.stable {
		return data[:n:n], true
	}
	start := len(b.arena)
	b.arena = append(b.arena, data[:n]...)
	return b.arena[start:len(b.arena):len(b.arena)], true
}

// add appends a decoded packet; it reports false when the batch is full.
func (b *batch) add(p *decoders.Packet, ts int64, wire int) bool {
	payload, ok := b.copyIn(p.Payload)
	if !ok {
		return false
	}
	b.pkts = append(b.pkts, *p)
	b.pkts[len(b.pkts)-1].Payload = payload
	b.items = append(b.items, item{pkt: int32(len(b.pkts) - 1), wire: int32(wire), ts: ts})
	return true
}

// addRaw appends a frame for the shard to decode; it reports false when
// the batch is full.
func (b *batch) addRaw(cp *capture.Packet) bool {
	data, ok := b.copyIn(cp.Data)
	if !ok {
		return false
	}
	b.items = append(b.items, item{pkt: -1, lt: cp.LinkType, wire: int32(cp.WireLen), ts: cp.Timestamp, data: data})
	return true
}

func (b *batch) reset() {
	b.items = b.items[:0]
	b.pkts = b.pkts[:0]
	b.arena = b.arena[:0]
	b.used = 0
}

// shardOf spreads flows over n shards by a hash of their five-tuple that
// is the same for both directions: the sum of the two endpoints' hashes.
// It needs no canonical key, which the shard builds itself.
func shardOf(t *decoders.Tuple, n int) int {
	h := endpointHash(&t.Src, t.SrcPort) + endpointHash(&t.Dst, t.DstPort) + uint64(t.Transport)
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return int((h & 0xffffffff) * uint64(n) >> 32)
}

func endpointHash(a *[16]byte, port uint16) uint64 {
	return (binary.LittleEndian.Uint64(a[:8])*0x9e3779b97f4a7c15^binary.LittleEndian.Uint64(a[8:]))*0xc2b2ae3d27d4eb4f ^ uint64(port)*0x165667b19e3779f9
}

// pipeline connects the reading goroutine with one goroutine per shard.
type pipeline struct {
	ins, frees []chan *batch
	cur        []*batch
	wg         sync.WaitGroup
}

func (e *Engine) startPipeline(stable bool) *pipeline {
	n := len(e.shards)
	pl := &pipeline{ins: make([]chan *batch, n), frees: make([]chan *batch, n), cur: make([]*batch, n)}
	for i, s := range e.shards {
		in, free := make(chan *batch, batchesInFlight), make(chan *batch, batchesInFlight+1)
		for range batchesInFlight {
			free <- newBatch(stable)
		}
		pl.ins[i], pl.frees[i], pl.cur[i] = in, free, newBatch(stable)
		pl.wg.Add(1)
		go func() {
			defer pl.wg.Done()
			for b := range in {
				for j := range b.items {
					s.item(b, &b.items[j])
				}
				b.reset()
				free <- b
			}
		}()
	}
	return pl
}

// send hands a decoded packet to its shard.
func (pl *pipeline) send(p *decoders.Packet, ts int64, wire int) {
	t := decoders.Tuple{Src: p.Src.As16(), Dst: p.Dst.As16(), SrcPort: p.SrcPort, DstPort: p.DstPort, Transport: p.Transport}
	i := shardOf(&t, len(pl.cur))
	for !pl.cur[i].add(p, ts, wire) {
		pl.next(i)
	}
}

// sendRaw hands a frame Quick read to its shard, to decode there.
func (pl *pipeline) sendRaw(t *decoders.Tuple, cp *capture.Packet) {
	i := shardOf(t, len(pl.cur))
	for !pl.cur[i].addRaw(cp) {
		pl.next(i)
	}
}

// next queues shard i's full batch and takes an empty one.
func (pl *pipeline) next(i int) {
	pl.ins[i] <- pl.cur[i]
	pl.cur[i] = <-pl.frees[i]
}

// stop hands over what is left and waits for the shards to finish it.
func (pl *pipeline) stop() {
	for i, b := range pl.cur {
		if len(b.items) > 0 {
			pl.ins[i] <- b
		}
		close(pl.ins[i])
	}
	pl.wg.Wait()
}

// readAll feeds every packet of src to the engine: on this goroutine, or
// spread over the shards' goroutines when there are several.
func (e *Engine) readAll(src Source) error {
	var cp capture.Packet
	if len(e.shards) == 1 {
		for {
			if err := src.Next(&cp); err != nil {
				return err
			}
			e.Packet(&cp)
		}
	}
	// A mapped file's packets stay where they are until it is closed, after
	// the shards are done: they are handed over without a copy.
	st, _ := src.(interface{ Stable() bool })
	pl := e.startPipeline(st != nil && st.Stable())
	defer pl.stop()
	var t decoders.Tuple
	for {
		if err := src.Next(&cp); err != nil {
			return err
		}
		if !e.accept(&cp) {
			continue
		}
		// The reading goroutine does as little as it can: plain frames go
		// to their shard undecoded; fragments and tunnels it decodes here,
		// where the fragments' ports are known.
		if decoders.Quick(cp.LinkType, cp.Data, &t) {
			pl.sendRaw(&t, &cp)
		} else if p := e.decodeAccepted(&cp); p != nil {
			pl.send(p, cp.Timestamp, cp.WireLen)
		}
	}
}
