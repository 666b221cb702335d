package filter

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// nodeKind is what an expression node is: an operator or a primitive.
type nodeKind uint8

const (
	nodeAnd nodeKind = iota
	nodeOr
	nodeNot
	nodePrim
)

// node is the parsed expression: a tree of and, or and not over
// primitives. And and or evaluate left then right, as tcpdump's programs do.
type node struct {
	kind        nodeKind
	left, right *node // operands; not uses left
	prim        prim  // when kind is nodePrim
}

// primKind is what a primitive tests.
type primKind uint8

const (
	primHost  primKind = iota // host or net: an address under a mask
	primPort                  // port or portrange
	primProto                 // proto N, tcp, udp
	primLink                  // ip, ip6
	primVLAN                  // vlan, vlan N
)

// qualProto is the protocol qualifier in front of a primitive.
type qualProto uint8

const (
	protoAny qualProto = iota // none written
	protoIP
	protoIP6
	protoTCP
	protoUDP
)

var protoNames = [...]string{protoAny: "", protoIP: "ip", protoIP6: "ip6", protoTCP: "tcp", protoUDP: "udp"}

// qualDir is the direction qualifier. "src or dst" means the same as no
// qualifier, and is normalised to it.
type qualDir uint8

const (
	dirAny    qualDir = iota // src or dst
	dirSrc                   // src
	dirDst                   // dst
	dirSrcDst                // src and dst
)

var dirNames = [...]string{dirAny: "", dirSrc: "src", dirDst: "dst", dirSrcDst: "src and dst"}

// prim is one primitive with its qualifiers resolved.
type prim struct {
	kind  primKind
	proto qualProto
	dir   qualDir

	// primHost: the address and mask, 4 or 16 bytes each; net says it was
	// written (or is best written) as a network.
	addr, mask []byte
	net        bool

	// primPort: the range lo..hi; ranged says it was written as portrange.
	lo, hi uint16
	ranged bool

	// primProto: the IP protocol; abbrev says it was written tcp or udp.
	// primVLAN: the VLAN ID, or -1 for any tagged frame.
	num    int
	abbrev bool

	tags int // VLAN tags in front of this primitive: vlan primitives written before it
	pos  int // byte offset of the primitive in the expression, for errors
}

// String writes the primitive in its normal form: qualifiers in tcpdump's
// order, "src or dst" left out, addresses in their shortest form and
// networks as address/length.
func (p *prim) String() string {
	var b strings.Builder
	word := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	// Qualifiers a kind of primitive cannot take stay zero (protoAny,
	// dirAny), whose names are empty and write nothing.
	word(protoNames[p.proto])
	word(dirNames[p.dir])
	switch p.kind {
	case primVLAN:
		word("vlan")
		if p.num >= 0 {
			word(strconv.Itoa(p.num))
		}
	case primProto:
		if !p.abbrev {
			word("proto")
			word(strconv.Itoa(p.num))
		}
	case primPort:
		if p.ranged {
			word("portrange")
			word(strconv.Itoa(int(p.lo)) + "-" + strconv.Itoa(int(p.hi)))
		} else {
			word("port")
			word(strconv.Itoa(int(p.lo)))
		}
	case primHost:
		word(hostString(p.addr, p.mask, p.net))
	}
	return b.String()
}

// hostString writes an address under a mask as "host A", "net A/len" or,
// for a mask that is not a prefix, "net A mask M".
func hostString(addr, mask []byte, isNet bool) string {
	a, _ := netip.AddrFromSlice(addr)
	ones, bits := net.IPMask(mask).Size()
	switch {
	case bits == 0: // not a prefix
		m, _ := netip.AddrFromSlice(mask)
		return "net " + a.String() + " mask " + m.String()
	case ones == bits && !isNet:
		return "host " + a.String()
	}
	return "net " + a.String() + "/" + strconv.Itoa(ones)
}

// String writes the expression in normal form. And and or have equal
// precedence in tcpdump and group from the left; the normal form puts
// parentheses wherever the operator changes, so that people need not know
// that, and leaves chains of one operator flat.
func (n *node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	switch n.kind {
	case nodePrim:
		b.WriteString(n.prim.String())
	case nodeNot:
		b.WriteString("not ")
		n.left.writeOperand(b, n.kind)
	default:
		n.left.writeOperand(b, n.kind)
		if n.kind == nodeAnd {
			b.WriteString(" and ")
		} else {
			b.WriteString(" or ")
		}
		// The right operand of "a or (b or c)" keeps its parentheses:
		// dropping them would print the same text for another tree.
		if n.right.kind == nodeAnd || n.right.kind == nodeOr {
			b.WriteByte('(')
			n.right.write(b)
			b.WriteByte(')')
			return
		}
		n.right.write(b)
	}
}

// writeOperand writes n as the left operand of an operator of kind
// parent, in parentheses unless it is a primitive, a negation or a chain
// of the same operator.
func (n *node) writeOperand(b *strings.Builder, parent nodeKind) {
	if n.kind == nodePrim || n.kind == nodeNot || n.kind == parent {
		n.write(b)
		return
	}
	b.WriteByte('(')
	n.write(b)
	b.WriteByte(')')
}

// hasVLAN reports whether the tree holds a vlan primitive.
func (n *node) hasVLAN() bool {
	switch n.kind {
	case nodePrim:
		return n.prim.kind == primVLAN
	case nodeNot:
		return n.left.hasVLAN()
	}
	return n.left.hasVLAN() || n.right.hasVLAN()
}

// hasNot reports whether the expression negates anything.
func (n *node) hasNot() bool {
	switch n.kind {
	case nodePrim:
		return false
	case nodeNot:
		return true
	}
	return n.left.hasNot() || n.right.hasNot()
}
