package analyzer

import "encoding/binary"

// The flow table is built for its one job: flows live in a slab of fixed
// chunks and are found through an open-addressing index of 32-bit ids,
// hashed from the key. The index costs 4 bytes a slot; keys are stored
// once, in the flows; nothing moves when the table grows; and a packet of
// a known flow costs one hash and, almost always, one probe.
const (
	chunkBits = 12
	chunkSize = 1 << chunkBits // flows per slab chunk
)

// flowList is an intrusive doubly linked list of flows in the order of
// their latest packet, oldest first, so that expiry only looks at the head.
type flowList struct {
	head, tail *Flow
	timeout    int64 // nanoseconds of capture time a flow in this list may stay idle
	n          int
}

// The lists a flow can be in; a flow records the index of its list, not
// a pointer, to stay small.
const (
	noList      = iota
	tcpList     // open TCP flows
	udpList     // UDP flows
	closingList // TCP flows closed by FIN/RST, kept briefly for stragglers
	numLists
)

func (l *flowList) pushBack(f *Flow) {
	f.prev = l.tail
	f.next = nil
	if l.tail != nil {
		l.tail.next = f
	} else {
		l.head = f
	}
	l.tail = f
	l.n++
}

func (l *flowList) remove(f *Flow) {
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		l.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		l.tail = f.prev
	}
	f.prev, f.next = nil, nil
	l.n--
}

// flowTable holds the live flows. Memory is bounded by max: when it is
// full the flow idle the longest is ended early and counted as evicted.
type flowTable struct {
	slots   []uint32 // flow id + 1, or 0 for an empty slot; a power of two long
	chunks  [][]Flow // the slab; a flow's id is its place in it
	freeIDs []uint32 // ids of ended flows, reused first
	nextID  uint32   // ids below it have been handed out
	n       int      // live flows
	max     int
	lists   [numLists]flowList
	evicted uint64
	peak    int
}

func newFlowTable(max int, tcpIdle, udpIdle, linger int64) *flowTable {
	t := &flowTable{slots: make([]uint32, 1024), max: max}
	t.lists[tcpList].timeout = tcpIdle
	t.lists[udpList].timeout = udpIdle
	t.lists[closingList].timeout = linger
	return t
}

func (t *flowTable) len() int { return t.n }

// hashKey mixes a flow key into 64 bits. The flow table indexes by the
// low bits and shards pick by the high ones, so the two stay independent.
func hashKey(k *FlowKey) uint64 {
	h := binary.LittleEndian.Uint64(k.A[8:])*0x9e3779b97f4a7c15 ^
		binary.LittleEndian.Uint64(k.B[8:])*0xc2b2ae3d27d4eb4f ^
		binary.LittleEndian.Uint64(k.A[:8])*0x165667b19e3779f9 ^
		binary.LittleEndian.Uint64(k.B[:8]) ^
		uint64(k.PortA)<<32 ^ uint64(k.PortB)<<16 ^ uint64(k.Transport)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func (t *flowTable) flow(id uint32) *Flow { return &t.chunks[id>>chunkBits][id&(chunkSize-1)] }

// lookup returns the live flow with key k, whose hash is h, or nil.
func (t *flowTable) lookup(k *FlowKey, h uint64) *Flow {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return nil
		}
		if f := t.flow(s - 1); f.Key.equal(k) {
			return f
		}
	}
}

// alloc returns a zeroed flow with key k, whose hash is h, in the table.
// The caller has made room.
func (t *flowTable) alloc(k FlowKey, h uint64) *Flow {
	var id uint32
	if n := len(t.freeIDs); n > 0 {
		id, t.freeIDs = t.freeIDs[n-1], t.freeIDs[:n-1]
	} else {
		id = t.nextID
		t.nextID++
		if int(id>>chunkBits) == len(t.chunks) {
			t.chunks = append(t.chunks, make([]Flow, chunkSize))
		}
	}
	f := t.flow(id)
	*f = Flow{Key: k, id: id}
	if (t.n+1)*2 > len(t.slots) {
		t.grow()
	}
	t.place(f, h)
	t.n++
	t.peak = max(t.peak, t.n)
	return f
}

// place puts f's id in the first free slot from its hash h.
func (t *flowTable) place(f *Flow, h uint64) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = f.id + 1
}

// grow doubles the index; the flows stay where they are.
func (t *flowTable) grow() {
	old := t.slots
	t.slots = make([]uint32, 2*len(old))
	for _, s := range old {
		if s != 0 {
			f := t.flow(s - 1)
			t.place(f, hashKey(&f.Key))
		}
	}
}

// release removes f from the table and keeps its place for reuse.
func (t *flowTable) release(f *Flow) {
	t.unlink(f)
	mask := uint64(len(t.slots) - 1)
	i := hashKey(&f.Key) & mask
	for t.slots[i] != f.id+1 {
		i = (i + 1) & mask
	}
	// Backward-shift deletion: move later entries of the probe run into
	// the hole when their home slot allows, so lookups never need
	// tombstones.
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := hashKey(&t.flow(t.slots[j]-1).Key) & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
	id := f.id
	*f = Flow{}
	t.freeIDs = append(t.freeIDs, id)
}

// each calls fn for every live flow; fn may end the flow it is given.
func (t *flowTable) each(fn func(*Flow)) {
	for id := range t.nextID {
		if f := t.flow(id); f.Key.Transport != 0 {
			fn(f)
		}
	}
}

func (t *flowTable) unlink(f *Flow) {
	if f.list != noList {
		t.lists[f.list].remove(f)
		f.list = noList
	}
}

// touch moves f to the newest end of the list it belongs in now.
func (t *flowTable) touch(f *Flow) {
	l := t.listFor(f)
	if f.list == l && t.lists[l].tail == f {
		return
	}
	t.unlink(f)
	t.lists[l].pushBack(f)
	f.list = l
}

// timeout returns how long f may stay idle in its list.
func (t *flowTable) timeout(f *Flow) int64 { return t.lists[t.listFor(f)].timeout }

// oldest returns the flow whose latest packet is the oldest, or nil.
func (t *flowTable) oldest() *Flow {
	var o *Flow
	for i := tcpList; i < numLists; i++ {
		if h := t.lists[i].head; h != nil && (o == nil || h.last() < o.last()) {
			o = h
		}
	}
	return o
}

// expired returns a flow idle past its list's timeout at capture time now,
// or nil when none is.
func (t *flowTable) expired(now int64) *Flow {
	for i := tcpList; i < numLists; i++ {
		if f := t.lists[i].head; f != nil && now-f.last() > t.lists[i].timeout {
			return f
		}
	}
	return nil
}

// listFor returns the list a flow belongs in now.
func (t *flowTable) listFor(f *Flow) uint8 {
	switch {
	case f.Key.Transport != tcpTransport:
		return udpList
	case f.closed():
		return closingList
	}
	return tcpList
}
