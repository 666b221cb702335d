package filter

import "slices"

// value is what a test compares: a field, under a mask. Packet bytes do
// not change while a program runs, so a value read twice is the same.
type value struct {
	size  uint8
	off   uint32
	ipHdr bool
	ipOff uint32
	mask  uint32
}

func (t *test) value() value {
	return value{size: t.size, off: t.off, ipHdr: t.ipHdr, ipOff: t.ipOff, mask: t.mask}
}

// fact is what the tests on a path have shown about a value.
type fact struct {
	lo, hi uint32   // the value is within lo..hi
	zeros  uint32   // bits known to be clear
	not    []uint32 // values it is known not to be
}

// maxNot bounds the values a fact remembers excluding; more only costs
// compile time, as long chains of "host a or host b …" would.
const maxNot = 32

// facts maps the values tested on the way to a block to what is known
// about them.
type facts map[value]fact

// thread removes tests whose outcome the tests before them decide, as
// libpcap's optimizer does: for every jump, it follows the path the
// target test would take whatever the frame, and jumps to its end. A
// test can only be decided by an earlier test of the same value, which
// loaded it, so a frame cut short is turned away by the same load as
// before. Blocks no jump reaches any more are left out, marked by
// reached.
//
// Blocks run in decreasing id order and jump only to lower ids, so one
// pass in that order sees every jump into a block before the block.
func thread(blocks []*block, entry *block) {
	in := map[*block]facts{entry: {}}
	entry.reached = true
	for i := len(blocks) - 1; i >= 0; i-- {
		b := blocks[i]
		known, ok := in[b]
		delete(in, b)
		if !ok || b.ret {
			continue
		}
		v := b.t.value()
		for o := range 2 {
			edge := known.with(v, refine(known.get(v), &b.t, o == 1))
			to := b.next[o]
			for !to.ret {
				f, ok := edge[to.t.value()]
				if !ok {
					break
				}
				out, decided := decide(f, &to.t)
				if !decided {
					break
				}
				to = to.next[b2i(out)]
			}
			b.next[o] = to
			to.reached = true
			if prev, ok := in[to]; ok {
				in[to] = meetAll(prev, edge)
			} else {
				in[to] = edge
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// get returns what is known of v, or that it may be anything.
func (fs facts) get(v value) fact {
	if f, ok := fs[v]; ok {
		return f
	}
	return fact{lo: 0, hi: 0xffffffff}
}

// with returns a copy of fs with v known to be f.
func (fs facts) with(v value, f fact) facts {
	c := make(facts, len(fs)+1)
	for k, x := range fs {
		c[k] = x
	}
	c[v] = f
	return c
}

// refine adds to f the outcome of test t on its value.
func refine(f fact, t *test, out bool) fact {
	k := t.k
	switch t.jmp {
	case jeq:
		if out {
			return fact{lo: k, hi: k, zeros: ^k}
		}
		return f.exclude(k)
	case jgt:
		if out && k < 0xffffffff {
			f.lo = max(f.lo, k+1)
		} else if !out {
			f.hi = min(f.hi, k)
		}
	case jge:
		if out {
			f.lo = max(f.lo, k)
		} else if k > 0 {
			f.hi = min(f.hi, k-1)
		}
	case jset:
		if !out {
			f.zeros |= k
		}
	}
	return f
}

// exclude returns f knowing that the value is not k.
func (f fact) exclude(k uint32) fact {
	switch {
	case f.excludes(k):
		return f
	case k == f.lo && f.lo < f.hi:
		f.lo++
	case k == f.hi && f.lo < f.hi:
		f.hi--
	case len(f.not) < maxNot:
		f.not = append(slices.Clip(f.not), k)
	}
	return f
}

// excludes reports whether f rules out the value k.
func (f fact) excludes(k uint32) bool {
	return k < f.lo || k > f.hi || k&f.zeros != 0 || slices.Contains(f.not, k)
}

// decide returns the outcome of test t on a value known to be f, and
// whether f decides it.
func decide(f fact, t *test) (out, ok bool) {
	k := t.k
	switch t.jmp {
	case jeq:
		if f.lo == f.hi {
			return f.lo == k, true
		}
		if f.excludes(k) {
			return false, true
		}
	case jgt:
		if f.lo > k {
			return true, true
		}
		if f.hi <= k {
			return false, true
		}
	case jge:
		if f.lo >= k {
			return true, true
		}
		if f.hi < k {
			return false, true
		}
	case jset:
		if k&^f.zeros == 0 {
			return false, true
		}
		if f.lo == f.hi {
			return f.lo&k != 0, true
		}
	}
	return false, false
}

// meetAll returns what holds on both of two paths that join: only values
// known on both, each with what both know of it.
func meetAll(a, b facts) facts {
	m := make(facts, min(len(a), len(b)))
	for v, fa := range a {
		if fb, ok := b[v]; ok {
			m[v] = meet(fa, fb)
		}
	}
	return m
}

// meet returns what two facts about the same value both say.
func meet(a, b fact) fact {
	m := fact{lo: min(a.lo, b.lo), hi: max(a.hi, b.hi), zeros: a.zeros & b.zeros}
	for _, k := range slices.Concat(a.not, b.not) {
		if len(m.not) < maxNot && a.excludes(k) && b.excludes(k) && !m.excludes(k) {
			m.not = append(m.not, k)
		}
	}
	return m
}
