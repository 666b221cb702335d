package filter

import (
	"github.com/gopacket/gopacket/layers"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// layoutKind is how a link type says which network protocol a frame
// carries.
type layoutKind uint8

const (
	kindEtherType layoutKind = iota // a 16-bit EtherType at typeOff
	kindVersion                     // no type field: the IP version nibble (raw IP)
	kindIPv4Only                    // every frame is IPv4
	kindIPv6Only                    // every frame is IPv6
	kindAFHost                      // a 32-bit BSD AF_ value in the capturing host's byte order (NULL)
	kindAFNet                       // a 32-bit BSD AF_ value in network byte order (LOOP)
)

// layout is where a link type puts the fields a filter reads, with
// tcpdump's offsets for it.
type layout struct {
	name    string // for errors
	kind    layoutKind
	typeOff uint32 // offset of the EtherType (kindEtherType)
	netOff  uint32 // offset of the IP header
	vlan    bool   // frames can carry 802.1Q tags where the EtherType is
}

// The layouts, one per group of link types that share offsets. Programs
// are built for each when an expression is compiled.
const (
	layEthernet = iota
	laySLL
	laySLL2
	layRaw
	layIPv4
	layIPv6
	layNull
	layLoop
	numLayouts
)

var layouts = [numLayouts]layout{
	layEthernet: {name: "Ethernet (EN10MB, 1)", kind: kindEtherType, typeOff: 12, netOff: 14, vlan: true},
	laySLL:      {name: "Linux cooked v1 (LINUX_SLL, 113)", kind: kindEtherType, typeOff: 14, netOff: 16},
	laySLL2:     {name: "Linux cooked v2 (LINUX_SLL2, 276)", kind: kindEtherType, typeOff: 0, netOff: 20},
	layRaw:      {name: "raw IP (RAW, 101)", kind: kindVersion},
	layIPv4:     {name: "raw IPv4 (IPV4, 228)", kind: kindIPv4Only},
	layIPv6:     {name: "raw IPv6 (IPV6, 229)", kind: kindIPv6Only},
	layNull:     {name: "BSD loopback (NULL, 0)", kind: kindAFHost, netOff: 4},
	layLoop:     {name: "OpenBSD loopback (LOOP, 108)", kind: kindAFNet, netOff: 4},
}

// Raw IP has had three link type numbers: 101 in files, and the DLT
// numbers 12 (most systems) and 14 (OpenBSD) that older writers used.
const (
	linkTypeRawBSD     decoders.LinkType = 12
	linkTypeRawOpenBSD decoders.LinkType = 14
)

// layoutOf returns the layout index of a link type, or -1.
func layoutOf(lt decoders.LinkType) int {
	switch lt {
	case layers.LinkTypeEthernet:
		return layEthernet
	case layers.LinkTypeLinuxSLL:
		return laySLL
	case layers.LinkTypeLinuxSLL2:
		return laySLL2
	case layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD:
		return layRaw
	case layers.LinkTypeIPv4:
		return layIPv4
	case layers.LinkTypeIPv6:
		return layIPv6
	case layers.LinkTypeNull:
		return layNull
	case layers.LinkTypeLoop:
		return layLoop
	}
	return -1
}

// EtherTypes and BSD address families the programs test.
const (
	etIPv4    = 0x0800
	etARP     = 0x0806
	etRARP    = 0x8035
	etIPv6    = 0x86dd
	et8021Q   = 0x8100
	et8021AD  = 0x88a8
	et8021QQ  = 0x9100 // pre-standard QinQ
	afInet    = 2
	ipFragHdr = 44 // IPv6 Fragment header
)

// afInet6 are the AF_INET6 values of the BSDs (24), FreeBSD (28) and
// Darwin (30), in the order libpcap tests them when reading a file.
var afInet6 = [...]uint32{30, 24, 28}

// swap32 reverses the bytes of v.
func swap32(v uint32) uint32 {
	return v>>24 | (v>>8)&0xff00 | (v<<8)&0xff0000 | v<<24
}

// linkIs returns the condition that a frame carries EtherType et, with
// tags VLAN tags in front of the type field.
func (g *generator) linkIs(et uint32, tags int) *cond {
	l := g.l
	switch l.kind {
	case kindEtherType:
		return testCond(test{size: 2, off: l.typeOff + 4*uint32(tags), jmp: jeq, k: et})
	case kindVersion:
		switch et {
		case etIPv4:
			return testCond(test{size: 1, off: 0, mask: 0xf0, jmp: jeq, k: 0x40})
		case etIPv6:
			return testCond(test{size: 1, off: 0, mask: 0xf0, jmp: jeq, k: 0x60})
		}
	case kindIPv4Only:
		if et == etIPv4 {
			return condTrue
		}
	case kindIPv6Only:
		if et == etIPv6 {
			return condTrue
		}
	case kindAFHost, kindAFNet:
		return g.family(et)
	}
	return condFalse
}

// family tests the loopback header for the family that carries et.
// libpcap reads a NULL header in the byte order of the file it came from;
// a frame does not say which that was, so both orders are accepted. An
// AF_ value is below 256, so a header that matches in the other order
// than its file's would have to be nonsense to begin with.
func (g *generator) family(et uint32) *cond {
	var afs []uint32
	switch et {
	case etIPv4:
		afs = []uint32{afInet}
	case etIPv6:
		afs = afInet6[:]
	default:
		return condFalse
	}
	c := condFalse
	if g.l.kind == kindAFHost {
		for _, af := range afs {
			c = or(c, testCond(test{size: 4, off: 0, jmp: jeq, k: swap32(af)}))
		}
	}
	for _, af := range afs {
		c = or(c, testCond(test{size: 4, off: 0, jmp: jeq, k: af}))
	}
	return c
}
