package filter

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// address parses the address, number, network or port range at the
// current token under the qualifiers q, and builds its primitive.
func (p *parser) address(q qual) (*node, error) {
	t := p.peek()
	if !q.set {
		return nil, p.needsQualifier(t)
	}
	p.next()
	var pr prim
	var err error
	switch w := t.text; {
	case isDigits(w):
		pr, err = p.numberPrim(q, t)
	case strings.ContainsRune(w, ':'):
		pr, err = p.ipv6Prim(q, t)
	case isDotted(w):
		pr, err = p.ipv4Prim(q, t)
	case q.addr == addrPortRange && strings.ContainsRune(w, '-') && w[0] >= '0' && w[0] <= '9':
		pr, err = p.rangePrim(q, t)
	case q.addr == addrPort && strings.ContainsRune(w, '-'):
		err = errorAt(t.pos, ErrInvalid, "invalid port "+strconv.Quote(w), ": for a range write portrange "+w)
	case w[0] >= '0' && w[0] <= '9':
		err = errorAt(t.pos, ErrInvalid, "invalid number "+strconv.Quote(w), ": write numbers in decimal")
	default:
		err = p.nameError(q, t)
	}
	if err != nil {
		return nil, err
	}
	pr.proto, pr.dir, pr.pos = q.proto, q.dir, t.pos
	return p.prim(pr), nil
}

// isDotted reports whether w is made of digits and dots, with at least one
// dot: what an IPv4 address, whole or partial, looks like.
func isDotted(w string) bool {
	if !strings.ContainsRune(w, '.') {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] != '.' && (w[i] < '0' || w[i] > '9') {
			return false
		}
	}
	return true
}

// numberPrim builds the primitive for a plain number: a port, a protocol,
// or a network number that tcpdump widens to its class ("net 10" is
// 10.0.0.0/8, "net 172.16" is written with a dot and parsed as an address).
func (p *parser) numberPrim(q qual, t token) (prim, error) {
	v, err := p.number(t)
	if err != nil {
		return prim{}, err
	}
	switch q.addr {
	case addrPort, addrPortRange:
		if err := p.checkPortProto(q, t); err != nil {
			return prim{}, err
		}
		if v > 65535 {
			return prim{}, errorAt(t.pos, ErrInvalid, "invalid port "+strconv.Quote(t.text), ": above 65535")
		}
		return prim{kind: primPort, lo: uint16(v), hi: uint16(v), ranged: q.addr == addrPortRange}, nil
	case addrProto:
		if q.proto == protoTCP || q.proto == protoUDP {
			return prim{}, p.qualError(q, t.pos, t.text, "only ip or ip6 can qualify proto")
		}
		if v > 255 {
			return prim{}, errorAt(t.pos, ErrInvalid, "invalid protocol number "+strconv.Quote(t.text), ": above 255")
		}
		return prim{kind: primProto, num: int(v)}, nil
	case addrNet:
		if err := p.checkV4Proto(q, t); err != nil {
			return prim{}, err
		}
		// libpcap's promotion of a short network number.
		mask := uint32(0xffffffff)
		for v != 0 && v&0xff000000 == 0 {
			v <<= 8
			mask <<= 8
		}
		return hostPrim(be32(v), be32(mask), true), nil
	}
	as, _ := netip.AddrFromSlice(be32(v))
	return prim{}, errorAt(t.pos, ErrInvalid, "invalid address "+strconv.Quote(t.text),
		": a number is not an address (tcpdump would read it as "+as.String()+"); for a port write \"port "+t.text+"\"")
}

// ipv4Prim builds a host or network from a whole or partial dotted
// address, with an optional "/len" or "mask M".
func (p *parser) ipv4Prim(q qual, t token) (prim, error) {
	addr, bits, err := parseIPv4(t)
	if err != nil {
		return prim{}, err
	}
	switch q.addr {
	case addrPort, addrPortRange, addrProto:
		return prim{}, p.qualError(q, t.pos, t.text, "an IPv4 address takes host or net")
	}
	if err := p.checkV4Proto(q, t); err != nil {
		return prim{}, err
	}
	mask := net.CIDRMask(bits, 32)
	end := t.pos + len(t.text)
	masked := false
	switch n := p.peek(); {
	case n.kind == tokSlash:
		l, lend, err := p.maskLength(32)
		if err != nil {
			return prim{}, err
		}
		mask, masked, end = net.CIDRMask(l, 32), true, lend
	case isWord(n, "mask"):
		p.next()
		mt := p.next()
		if mt.kind != tokWord || !isDotted(mt.text) {
			return prim{}, p.unexpected(mt)
		}
		m, _, err := parseIPv4(mt)
		if err != nil {
			return prim{}, err
		}
		mask, masked, end = m, true, mt.pos+len(mt.text)
	}
	return networkPrim(q, t.pos, p.src[t.pos:end], addr, mask, masked, q.addr == addrNet || bits < 32)
}

// parseIPv4 reads a dotted address of two to four decimal parts; a
// partial one ("10.1") stands for its network, 10.1.0.0 with 16 bits.
func parseIPv4(t token) (addr []byte, bits int, err error) {
	parts := strings.Split(t.text, ".")
	bad := errorAt(t.pos, ErrInvalid, "invalid IPv4 address "+strconv.Quote(t.text), "")
	if len(parts) > 4 {
		return nil, 0, bad
	}
	addr = make([]byte, 4)
	for i, s := range parts {
		if s == "" || (len(s) > 1 && s[0] == '0') {
			return nil, 0, bad
		}
		v, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return nil, 0, bad
		}
		addr[i] = byte(v)
	}
	return addr, 8 * len(parts), nil
}

// ipv6Prim builds a host or network from an IPv6 address with an
// optional "/len".
func (p *parser) ipv6Prim(q qual, t token) (prim, error) {
	a, err := netip.ParseAddr(t.text)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return prim{}, errorAt(t.pos, ErrInvalid, "invalid IPv6 address "+strconv.Quote(t.text), "")
	}
	bits, end := 128, t.pos+len(t.text)
	if p.peek().kind == tokSlash {
		if bits, end, err = p.maskLength(128); err != nil {
			return prim{}, err
		}
	}
	text := p.src[t.pos:end]
	switch {
	case q.addr == addrPort || q.addr == addrPortRange || q.addr == addrProto:
		return prim{}, p.qualError(q, t.pos, text, "an IPv6 address takes host or net")
	case q.proto == protoIP:
		return prim{}, p.qualError(q, t.pos, text, "ip qualifies IPv4 addresses; write ip6")
	case q.proto == protoTCP || q.proto == protoUDP:
		return prim{}, p.qualError(q, t.pos, text, "tcp and udp qualify only port and portrange")
	}
	a16 := a.As16()
	return networkPrim(q, t.pos, text, a16[:], net.CIDRMask(bits, 128), bits != 128, q.addr == addrNet)
}

// maskLength reads the "/len" at the current token, len at most limit,
// and returns len and the end of its text.
func (p *parser) maskLength(limit int) (bits, end int, err error) {
	p.next()
	lt := p.next()
	if lt.kind != tokWord || !isDigits(lt.text) {
		return 0, 0, p.unexpected(lt)
	}
	l, err := p.number(lt)
	if err != nil {
		return 0, 0, err
	}
	if l > uint32(limit) {
		return 0, 0, errorAt(lt.pos, ErrInvalid, "invalid mask length "+strconv.Quote(lt.text), ": above "+strconv.Itoa(limit))
	}
	return int(l), lt.pos + len(lt.text), nil
}

// networkPrim finishes an IPv4 or IPv6 host or net written as text at
// pos: a mask (masked) needs net in front, and the address must have no
// bits outside it.
func networkPrim(q qual, pos int, text string, addr, mask []byte, masked, isNet bool) (prim, error) {
	if masked && q.addr != addrNet {
		return prim{}, errorAt(pos, ErrInvalid, "invalid "+strconv.Quote(text), ": a mask needs net in front (net "+text+")")
	}
	if hostBits(addr, mask) {
		return prim{}, errorAt(pos, ErrInvalid, "invalid network "+strconv.Quote(text), ": host bits are set")
	}
	return hostPrim(addr, mask, isNet), nil
}

// rangePrim builds a port range from "lo-hi"; tcpdump swaps a range
// written high to low.
func (p *parser) rangePrim(q qual, t token) (prim, error) {
	lo, hi, ok := strings.Cut(t.text, "-")
	bad := errorAt(t.pos, ErrInvalid, "invalid port range "+strconv.Quote(t.text), ": write two port numbers, such as 1024-65535")
	if !ok || !isDigits(lo) || !isDigits(hi) || (len(lo) > 1 && lo[0] == '0') || (len(hi) > 1 && hi[0] == '0') {
		return prim{}, bad
	}
	if err := p.checkPortProto(q, t); err != nil {
		return prim{}, err
	}
	a, errA := strconv.ParseUint(lo, 10, 16)
	b, errB := strconv.ParseUint(hi, 10, 16)
	if errA != nil || errB != nil {
		return prim{}, errorAt(t.pos, ErrInvalid, "invalid port range "+strconv.Quote(t.text), ": above 65535")
	}
	if a > b {
		a, b = b, a
	}
	return prim{kind: primPort, lo: uint16(a), hi: uint16(b), ranged: true}, nil
}

// nameError reports a name where an address or number must be: names
// are not looked up, so that a filter never depends on the resolver.
func (p *parser) nameError(q qual, t token) error {
	switch q.addr {
	case addrPort, addrPortRange:
		return errorAt(t.pos, ErrUnsupported, "unsupported port name "+strconv.Quote(t.text), ": write the port number; names are not resolved")
	case addrProto:
		return errorAt(t.pos, ErrUnsupported, "unsupported protocol name "+strconv.Quote(t.text), ": write the protocol number (tcp is 6, udp is 17)")
	}
	return errorAt(t.pos, ErrUnsupported, "unsupported host name "+strconv.Quote(t.text), ": write an IPv4 or IPv6 address; names are not resolved")
}

// checkV4Proto refuses protocol qualifiers that cannot go with an IPv4
// host or network, as libpcap does.
func (p *parser) checkV4Proto(q qual, t token) error {
	switch q.proto {
	case protoIP6:
		return p.qualError(q, t.pos, t.text, "ip6 qualifies IPv6 addresses; write ip")
	case protoTCP, protoUDP:
		return p.qualError(q, t.pos, t.text, "tcp and udp qualify only port and portrange")
	}
	return nil
}

// checkPortProto refuses ip and ip6 in front of port, as libpcap does.
func (p *parser) checkPortProto(q qual, t token) error {
	if q.proto == protoIP || q.proto == protoIP6 {
		return p.qualError(q, t.pos, t.text, "only tcp or udp can qualify a port")
	}
	return nil
}

// qualError reports qualifiers that do not fit the address text at pos.
func (p *parser) qualError(q qual, pos int, text, why string) error {
	quals := strings.Fields(protoNames[q.proto] + " " + dirNames[q.dir] + " " + addrNames[q.addr])
	return errorAt(pos, ErrInvalid, "invalid "+strconv.Quote(strings.Join(append(quals, text), " ")), ": "+why)
}

// hostPrim builds a host or net primitive.
func hostPrim(addr, mask []byte, isNet bool) prim {
	return prim{kind: primHost, addr: addr, mask: mask, net: isNet}
}

// hostBits reports whether addr has bits set outside mask.
func hostBits(addr, mask []byte) bool {
	for i := range addr {
		if addr[i]&^mask[i] != 0 {
			return true
		}
	}
	return false
}

func be32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
