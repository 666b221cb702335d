package analyzer

import (
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

// item is one decoded packet on its way to its shard, its payload copied
// into the batch's arena.
type item struct {
	key  FlowKey
	fwd  bool
	wire int32
	ts   int64
	pkt  decoders.Packet
}

type batch struct {
	items []item
	arena []byte
}

func newBatch() *batch {
	return &batch{items: make([]item, 0, batchItems), arena: make([]byte, 0, batchArena)}
}

// add appends a packet; it reports false, adding nothing, when the batch
// is full.
func (b *batch) add(k FlowKey, fwd bool, p *decoders.Packet, ts int64, wire int) bool {
	n := min(len(p.Payload), batchArena)
	if len(b.items) == cap(b.items) || len(b.arena)+n > cap(b.arena) {
		return false
	}
	start := len(b.arena)
	b.arena = append(b.arena, p.Payload[:n]...)
	b.items = append(b.items, item{key: k, fwd: fwd, wire: int32(wire), ts: ts, pkt: *p})
	b.items[len(b.items)-1].pkt.Payload = b.arena[start:len(b.arena):len(b.arena)]
	return true
}

func (b *batch) reset() {
	b.items = b.items[:0]
	b.arena = b.arena[:0]
}

// shardOf spreads flows over n shards by the high bits of a hash of
// their canonical key, the same for both directions of a flow.
func shardOf(k *FlowKey, n int) int {
	return int((hashKey(k) >> 32) % uint64(n))
}

// pipeline connects the reading goroutine with one goroutine per shard.
type pipeline struct {
	ins, frees []chan *batch
	cur        []*batch
	wg         sync.WaitGroup
}

func (e *Engine) startPipeline() *pipeline {
	n := len(e.shards)
	pl := &pipeline{ins: make([]chan *batch, n), frees: make([]chan *batch, n), cur: make([]*batch, n)}
	for i, s := range e.shards {
		in, free := make(chan *batch, batchesInFlight), make(chan *batch, batchesInFlight+1)
		for range batchesInFlight {
			free <- newBatch()
		}
		pl.ins[i], pl.frees[i], pl.cur[i] = in, free, newBatch()
		pl.wg.Add(1)
		go func() {
			defer pl.wg.Done()
			for b := range in {
				for j := range b.items {
					it := &b.items[j]
					s.packet(it.key, it.fwd, &it.pkt, it.ts, int(it.wire))
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
	k, fwd := keyOf(p)
	i := shardOf(&k, len(pl.cur))
	for !pl.cur[i].add(k, fwd, p, ts, wire) {
		pl.ins[i] <- pl.cur[i]
		pl.cur[i] = <-pl.frees[i]
	}
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
	pl := e.startPipeline()
	defer pl.stop()
	for {
		if err := src.Next(&cp); err != nil {
			return err
		}
		if p := e.decode(&cp); p != nil {
			pl.send(p, cp.Timestamp, cp.WireLen)
		}
	}
}
