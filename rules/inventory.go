package rules

import (
	"container/heap"
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"sync"
)

// Host is one line of an inventory: an address, CIDR prefix or range, the
// roles of the machines there and an optional name.
type Host struct {
	Spec        string     // the address, prefix or range as written
	First, Last netip.Addr // the addresses covered, inclusive; IPv4-mapped IPv6 is unmapped
	Name        string     // the name= label, or ""
	Roles       RoleSet    // roles as given, with frontend added when cms is
	Pos         Pos        // where Spec starts
}

// Single reports whether h covers exactly one address.
func (h *Host) Single() bool { return h.First == h.Last }

// Size returns how many addresses h covers, saturated at the largest uint64
// (an IPv6 /64 and anything wider).
func (h *Host) Size() uint64 {
	hi, lo := distance(h.First, h.Last)
	if hi != 0 || lo == math.MaxUint64 {
		return math.MaxUint64
	}
	return lo + 1
}

// Contains reports whether a, unmapped if it is IPv4-mapped IPv6, is one of
// h's addresses.
func (h *Host) Contains(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	return a.IsValid() && h.First.Compare(a) <= 0 && a.Compare(h.Last) <= 0
}

// distance returns last-first as a 128-bit number (high and low halves).
// Both addresses must be of the same family.
func distance(first, last netip.Addr) (hi, lo uint64) {
	f, l := first.As16(), last.As16()
	fhi, flo := binary.BigEndian.Uint64(f[:8]), binary.BigEndian.Uint64(f[8:])
	lhi, llo := binary.BigEndian.Uint64(l[:8]), binary.BigEndian.Uint64(l[8:])
	lo = llo - flo
	hi = lhi - fhi
	if llo < flo {
		hi--
	}
	return hi, lo
}

// Inventory says which roles the hosts of a network hold. Lines may
// overlap: the most specific line wins (see Lookup). Hosts must not change
// once Lookup has been called.
type Inventory struct {
	Hosts []*Host // file order

	once    sync.Once
	singles map[netip.Addr]*Host // lines that cover one address
	ranges  []segment            // the other lines, cut into disjoint sorted segments
}

// segment is a run of addresses whose most specific line is host.
type segment struct {
	first, last netip.Addr
	host        *Host
}

// Lookup returns the most specific line that covers a: the one covering the
// fewest addresses, the earlier line among equals, or nil when no line
// covers a. IPv4-mapped IPv6 addresses are looked up as IPv4. Lookup is safe
// for concurrent use, and allocates nothing. A nil inventory covers nothing.
func (inv *Inventory) Lookup(a netip.Addr) *Host {
	if inv == nil || !a.IsValid() {
		return nil
	}
	inv.once.Do(inv.index)
	a = a.Unmap().WithZone("")
	if h, ok := inv.singles[a]; ok {
		return h
	}
	// Find the first segment that ends at or after a.
	segs := inv.ranges
	lo, hi := 0, len(segs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if segs[m].last.Less(a) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(segs) && segs[lo].first.Compare(a) <= 0 {
		return segs[lo].host
	}
	return nil
}

// index builds the lookup structures from inv.Hosts: a map for lines of one
// address, which always win, and for wider lines a sorted list of disjoint
// segments, each labelled with the most specific line covering it.
func (inv *Inventory) index() {
	inv.singles = make(map[netip.Addr]*Host)
	var v4, v6 []ranked
	for i, h := range inv.Hosts {
		first, last := h.First.Unmap().WithZone(""), h.Last.Unmap().WithZone("")
		if !first.IsValid() || first.BitLen() != last.BitLen() || last.Less(first) {
			continue // built by hand and not a range; it covers nothing
		}
		if first == last {
			if _, taken := inv.singles[first]; !taken {
				inv.singles[first] = h
			}
			continue
		}
		hi, lo := distance(first, last)
		r := ranked{host: h, first: first, last: last, sizeHi: hi, sizeLo: lo, order: i}
		if first.Is4() {
			v4 = append(v4, r)
		} else {
			v6 = append(v6, r)
		}
	}
	inv.ranges = appendSegments(nil, v4)
	inv.ranges = appendSegments(inv.ranges, v6)
}

// ranked is an inventory line taking part in the segment sweep.
type ranked struct {
	host           *Host
	first, last    netip.Addr
	sizeHi, sizeLo uint64 // last-first
	order          int    // line order, to break ties
}

// moreSpecific reports whether r wins over s where both cover an address.
func (r *ranked) moreSpecific(s *ranked) bool {
	if r.sizeHi != s.sizeHi {
		return r.sizeHi < s.sizeHi
	}
	if r.sizeLo != s.sizeLo {
		return r.sizeLo < s.sizeLo
	}
	return r.order < s.order
}

// appendSegments sweeps the lines rs, all of one address family, from the
// lowest address up, and appends the segments where some line applies.
// Segments start at every line's first address and just after every line's
// last one; within a segment the set of covering lines does not change, and
// a heap keyed on specificity gives the winner.
func appendSegments(segs []segment, rs []ranked) []segment {
	if len(rs) == 0 {
		return segs
	}
	slices.SortStableFunc(rs, func(a, b ranked) int { return a.first.Compare(b.first) })
	cuts := make([]netip.Addr, 0, 2*len(rs))
	for _, r := range rs {
		cuts = append(cuts, r.first)
		if next := r.last.Next(); next.IsValid() {
			cuts = append(cuts, next)
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)

	var active rankedHeap
	j := 0
	for i, c := range cuts {
		for j < len(rs) && rs[j].first.Compare(c) <= 0 {
			heap.Push(&active, &rs[j])
			j++
		}
		for len(active) > 0 && active[0].last.Less(c) {
			heap.Pop(&active)
		}
		if len(active) == 0 {
			continue
		}
		win := active[0].host
		end := familyEnd(c)
		if i+1 < len(cuts) {
			end = cuts[i+1].Prev()
		}
		if n := len(segs); n > 0 && segs[n-1].host == win && segs[n-1].last.Next() == c {
			segs[n-1].last = end
			continue
		}
		segs = append(segs, segment{first: c, last: end, host: win})
	}
	return segs
}

// familyEnd returns the highest address of a's family.
func familyEnd(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	var b [16]byte
	for i := range b {
		b[i] = 0xff
	}
	return netip.AddrFrom16(b)
}

// rankedHeap is a min-heap of the lines covering the sweep's position, most
// specific first.
type rankedHeap []*ranked

func (h rankedHeap) Len() int           { return len(h) }
func (h rankedHeap) Less(i, j int) bool { return h[i].moreSpecific(h[j]) }
func (h rankedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankedHeap) Push(x any)        { *h = append(*h, x.(*ranked)) }
func (h *rankedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
