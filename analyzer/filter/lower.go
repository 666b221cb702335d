package filter

import "encoding/binary"

// generator lowers an expression to conditions for one layout, test for
// test in the order libpcap's gencode.c generates them, so that a frame
// cut short by the snap length is turned away at the same point.
type generator struct {
	l *layout
}

// IP protocol numbers that port primitives look for.
const (
	ipprotoTCP  = 6
	ipprotoUDP  = 17
	ipprotoSCTP = 132
)

// lower lowers the tree n.
func (g *generator) lower(n *node) (*cond, error) {
	switch n.kind {
	case nodeAnd, nodeOr:
		a, err := g.lower(n.left)
		if err != nil {
			return nil, err
		}
		b, err := g.lower(n.right)
		if err != nil {
			return nil, err
		}
		if n.kind == nodeAnd {
			return and(a, b), nil
		}
		return or(a, b), nil
	case nodeNot:
		a, err := g.lower(n.left)
		if err != nil {
			return nil, err
		}
		return not(a), nil
	}
	return g.prim(&n.prim)
}

// prim lowers one primitive.
func (g *generator) prim(p *prim) (*cond, error) {
	switch p.kind {
	case primLink:
		if p.proto == protoIP {
			return g.linkIs(etIPv4, p.tags), nil
		}
		return g.linkIs(etIPv6, p.tags), nil
	case primVLAN:
		if !g.l.vlan {
			return nil, g.noVLAN(p.pos)
		}
		return g.vlan(p), nil
	case primProto:
		return g.proto(p), nil
	case primPort:
		return or(g.port4(p), g.port6(p)), nil
	}
	if len(p.addr) == 16 {
		return g.hostop6(p), nil
	}
	c := g.hostop(p, etIPv4, 12, 16)
	if p.proto == protoAny {
		c = or(c, g.hostop(p, etARP, 14, 24))
		c = or(c, g.hostop(p, etRARP, 14, 24))
	}
	return c, nil
}

func (g *generator) noVLAN(pos int) error {
	return errorAt(pos, ErrLinkType, `"vlan"`, ": "+g.l.name+" frames carry no VLAN tags")
}

// netOff returns where the IP header starts behind tags VLAN tags.
func (g *generator) netOff(tags int) uint32 { return g.l.netOff + 4*uint32(tags) }

// dirs combines the source and destination tests of a primitive as its
// direction qualifier says; src is built, and so tested, first.
func dirs(d qualDir, src, dst func() *cond) *cond {
	switch d {
	case dirSrc:
		return src()
	case dirDst:
		return dst()
	case dirSrcDst:
		s := src()
		return and(s, dst())
	}
	s := src()
	return or(s, dst())
}

// hostop tests an IPv4 address at srcOff or dstOff in the network header
// of frames of EtherType et: IPv4 itself, or ARP and RARP sender and
// target, which tcpdump's "host" also matches.
func (g *generator) hostop(p *prim, et uint32, srcOff, dstOff uint32) *cond {
	addr := binary.BigEndian.Uint32(p.addr)
	mask := binary.BigEndian.Uint32(p.mask)
	at := func(off uint32) func() *cond {
		return func() *cond {
			return and(g.linkIs(et, p.tags), g.word(g.netOff(p.tags)+off, addr, mask))
		}
	}
	return dirs(p.dir, at(srcOff), at(dstOff))
}

// hostop6 tests an IPv6 address in the source (8) or destination (24)
// field, a 32-bit word at a time from the first.
func (g *generator) hostop6(p *prim) *cond {
	at := func(off uint32) func() *cond {
		return func() *cond {
			c := g.linkIs(etIPv6, p.tags)
			base := g.netOff(p.tags) + off
			for i := 0; i < 16; i += 4 {
				m := binary.BigEndian.Uint32(p.mask[i:])
				if m == 0 {
					// The mask is a prefix: the words left are all
					// ignored, and only need to be there.
					return and(c, present(base+12))
				}
				c = and(c, g.word(base+uint32(i), binary.BigEndian.Uint32(p.addr[i:]), m))
			}
			return c
		}
	}
	return dirs(p.dir, at(8), at(24))
}

// word tests the 32-bit word at off under mask.
func (g *generator) word(off, v, mask uint32) *cond {
	switch mask {
	case 0:
		return present(off)
	case 0xffffffff:
		mask = 0
	}
	return testCond(test{size: 4, off: off, mask: mask, jmp: jeq, k: v})
}

// present is a test that only loads the 32-bit word at off: it holds
// when the frame is long enough. libpcap loads a word the mask ignores,
// and a frame that ends before it is turned away.
func present(off uint32) *cond {
	return testCond(test{size: 4, off: off, jmp: jge, k: 0})
}

// portProtos returns the transports a port primitive covers, in the
// order libpcap tests them: SCTP, TCP and UDP unless qualified.
func portProtos(p *prim) []uint32 {
	switch p.proto {
	case protoTCP:
		return []uint32{ipprotoTCP}
	case protoUDP:
		return []uint32{ipprotoUDP}
	}
	return []uint32{ipprotoSCTP, ipprotoTCP, ipprotoUDP}
}

// port4 tests the ports of IPv4 packets that are not fragments past the
// first, reading the header length from the packet.
func (g *generator) port4(p *prim) *cond {
	nl := g.netOff(p.tags)
	c := condFalse
	for _, proto := range portProtos(p) {
		op := and(testCond(test{size: 1, off: nl + 9, jmp: jeq, k: proto}),
			not(testCond(test{size: 2, off: nl + 6, jmp: jset, k: 0x1fff})))
		ports := dirs(p.dir,
			func() *cond { return portAtom(p, test{size: 2, off: 0, ipHdr: true, ipOff: nl}) },
			func() *cond { return portAtom(p, test{size: 2, off: 2, ipHdr: true, ipOff: nl}) })
		c = or(c, and(op, ports))
	}
	return and(g.linkIs(etIPv4, p.tags), c)
}

// port6 tests the ports of IPv6 packets whose fixed header's next header
// is the transport: libpcap does not walk extension headers for ports.
func (g *generator) port6(p *prim) *cond {
	nl := g.netOff(p.tags)
	c := condFalse
	for _, proto := range portProtos(p) {
		op := testCond(test{size: 1, off: nl + 6, jmp: jeq, k: proto})
		ports := dirs(p.dir,
			func() *cond { return portAtom(p, test{size: 2, off: nl + 40}) },
			func() *cond { return portAtom(p, test{size: 2, off: nl + 42}) })
		c = or(c, and(op, ports))
	}
	return and(g.linkIs(etIPv6, p.tags), c)
}

// portAtom compares the port that load reads with the primitive's port
// or range.
func portAtom(p *prim, load test) *cond {
	if !p.ranged {
		load.jmp, load.k = jeq, uint32(p.lo)
		return testCond(load)
	}
	ge, gt := load, load
	ge.jmp, ge.k = jge, uint32(p.lo)
	gt.jmp, gt.k = jgt, uint32(p.hi)
	return and(testCond(ge), not(testCond(gt)))
}

// proto tests the IP protocol: the IPv4 protocol field, and the IPv6 next
// header or the one after a Fragment header, as libpcap does.
func (g *generator) proto(p *prim) *cond {
	nl := g.netOff(p.tags)
	k := uint32(p.num)
	v4 := func() *cond {
		return and(g.linkIs(etIPv4, p.tags), testCond(test{size: 1, off: nl + 9, jmp: jeq, k: k}))
	}
	v6 := func() *cond {
		next := testCond(test{size: 1, off: nl + 6, jmp: jeq, k: k})
		frag := and(testCond(test{size: 1, off: nl + 6, jmp: jeq, k: ipFragHdr}),
			testCond(test{size: 1, off: nl + 40, jmp: jeq, k: k}))
		return and(g.linkIs(etIPv6, p.tags), or(next, frag))
	}
	switch p.proto {
	case protoIP:
		return v4()
	case protoIP6:
		return v6()
	}
	c := v4()
	return or(c, v6())
}

// vlan tests for an 802.1Q, 802.1ad or pre-standard QinQ tag where the
// EtherType would be, and its VLAN ID when one is given.
func (g *generator) vlan(p *prim) *cond {
	c := condFalse
	for _, tpid := range []uint32{et8021Q, et8021AD, et8021QQ} {
		c = or(c, g.linkIs(tpid, p.tags))
	}
	if p.num < 0 {
		return c
	}
	return and(c, testCond(test{size: 2, off: g.netOff(p.tags), mask: 0x0fff, jmp: jeq, k: uint32(p.num)}))
}
