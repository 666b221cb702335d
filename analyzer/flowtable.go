package analyzer

// flowList is an intrusive doubly linked list of flows in the order of
// their latest packet, oldest first, so that expiry only looks at the head.
type flowList struct {
	head, tail *Flow
	timeout    int64 // nanoseconds of capture time a flow in this list may stay idle
	n          int
}

func (l *flowList) pushBack(f *Flow) {
	f.list = l
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
	f.prev, f.next, f.list = nil, nil, nil
	l.n--
}

// touch moves f to the back of list l (its newest position).
func (l *flowList) touch(f *Flow) {
	if f.list == l && l.tail == f {
		return
	}
	if f.list != nil {
		f.list.remove(f)
	}
	l.pushBack(f)
}

// flowTable holds the live flows. Memory is bounded by max: when it is
// full the flow idle the longest is ended early and counted as evicted.
type flowTable struct {
	flows   map[FlowKey]*Flow
	max     int
	tcp     flowList // open TCP flows
	udp     flowList // UDP flows
	closing flowList // TCP flows closed by FIN/RST, kept briefly for stragglers
	free    []*Flow  // ended flows kept for reuse, so steady state allocates nothing
	evicted uint64
	peak    int
}

func newFlowTable(max int, tcpIdle, udpIdle, linger int64) *flowTable {
	t := &flowTable{flows: make(map[FlowKey]*Flow, min(max, 1024)), max: max}
	t.tcp.timeout = tcpIdle
	t.udp.timeout = udpIdle
	t.closing.timeout = linger
	return t
}

func (t *flowTable) len() int { return len(t.flows) }

// alloc returns a zeroed flow, reusing an ended one when possible.
func (t *flowTable) alloc() *Flow {
	if n := len(t.free); n > 0 {
		f := t.free[n-1]
		t.free = t.free[:n-1]
		*f = Flow{}
		return f
	}
	return new(Flow)
}

// insert adds f under its key. The caller has made room.
func (t *flowTable) insert(f *Flow) {
	t.flows[f.Key] = f
	if len(t.flows) > t.peak {
		t.peak = len(t.flows)
	}
}

// release removes f from the table and keeps it for reuse.
func (t *flowTable) release(f *Flow) {
	if f.list != nil {
		f.list.remove(f)
	}
	delete(t.flows, f.Key)
	if len(t.free) < 4096 {
		t.free = append(t.free, f)
	}
}

// oldest returns the flow whose latest packet is the oldest, or nil.
func (t *flowTable) oldest() *Flow {
	var o *Flow
	for _, l := range [...]*flowList{&t.closing, &t.udp, &t.tcp} {
		if l.head != nil && (o == nil || l.head.last() < o.last()) {
			o = l.head
		}
	}
	return o
}

// expired returns a flow idle past its list's timeout at capture time now,
// or nil when none is.
func (t *flowTable) expired(now int64) *Flow {
	for _, l := range [...]*flowList{&t.closing, &t.udp, &t.tcp} {
		if f := l.head; f != nil && now-f.last() > l.timeout {
			return f
		}
	}
	return nil
}

// listFor returns the expiry list a flow belongs in now.
func (t *flowTable) listFor(f *Flow) *flowList {
	switch {
	case f.Key.Transport != tcpTransport:
		return &t.udp
	case f.closed():
		return &t.closing
	}
	return &t.tcp
}
