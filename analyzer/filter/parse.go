package filter

import (
	"fmt"
	"strconv"
	"strings"
)

// qualAddr is the address-kind qualifier of a primitive.
type qualAddr uint8

const (
	addrAny qualAddr = iota // none written: an address means a host
	addrHost
	addrNet
	addrPort
	addrPortRange
	addrProto
)

var addrNames = [...]string{addrAny: "", addrHost: "host", addrNet: "net", addrPort: "port", addrPortRange: "portrange", addrProto: "proto"}

// qual is the set of qualifiers a bare address inherits. tcpdump lets an
// address after "and" or "or" stand alone and take the qualifiers of the
// primitive before it ("port 80 or 443"); after a primitive without
// qualifiers ("tcp", "vlan") or at the start, set is false and a bare
// address is an error.
type qual struct {
	set   bool
	proto qualProto
	dir   qualDir
	addr  qualAddr
	pos   int // where the qualifiers were written, for errors
}

// parser turns tokens into a tree, following the grammar of libpcap's
// grammar.y for the subset it supports, including how qualifiers flow to
// bare addresses and how each vlan moves the offsets of what follows it.
type parser struct {
	src   string
	toks  []token
	i     int
	tags  int // vlan primitives parsed so far
	prims int // primitives parsed so far
	depth int // parentheses and nots open
}

// Limits that keep compiling bounded: no program that fits the kernel has
// more primitives (each costs at least two instructions on Ethernet), and
// people do not nest deeper.
const (
	maxPrims = maxInstructions / 2
	maxDepth = 1000
)

// parse parses an expression; an empty one gives a nil tree, which
// matches every frame.
func parse(src string) (*node, error) {
	p := &parser{src: src, toks: lex(src)}
	if p.peek().kind == tokEOF {
		return nil, nil
	}
	n, _, err := p.expr(qual{})
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// isWord reports whether t is the keyword kw.
func isWord(t token, kw string) bool { return t.kind == tokWord && t.text == kw }

// binop reports the operator t is, if it is "and" or "or" in either
// spelling.
func binop(t token) (nodeKind, bool) {
	switch {
	case t.kind == tokAndAnd || isWord(t, "and"):
		return nodeAnd, true
	case t.kind == tokOrOr || isWord(t, "or"):
		return nodeOr, true
	}
	return 0, false
}

func isNot(t token) bool { return t.kind == tokBang || isWord(t, "not") }

// expr parses terms joined by and/or, left to right with equal
// precedence, as tcpdump does. ctx is the qualifier set in force before
// the expression (tcpdump's $<blk>0), which a parenthesised first term
// hands on.
func (p *parser) expr(ctx qual) (*node, qual, error) {
	n, q, err := p.term(ctx)
	if err != nil {
		return nil, q, err
	}
	for {
		op, ok := binop(p.peek())
		if !ok {
			return n, q, nil
		}
		p.next()
		var m *node
		if p.startsID() {
			m, q, err = p.id(q)
		} else {
			m, q, err = p.term(q)
		}
		if err != nil {
			return nil, q, err
		}
		n = &node{kind: op, left: n, right: m}
	}
}

// startsID reports whether what follows an operator is a bare address
// (possibly negated or in parentheses) rather than a primitive: tcpdump's
// grammar tells them apart by the first token that is not "not" or "(".
func (p *parser) startsID() bool {
	for k := 0; ; k++ {
		t := p.peekAt(k)
		if isNot(t) || t.kind == tokLParen {
			continue
		}
		return t.kind == tokWord && !isKeyword(t.text)
	}
}

// term is a primitive, a parenthesised expression, or "not" before one.
func (p *parser) term(ctx qual) (*node, qual, error) {
	if err := p.enter(); err != nil {
		return nil, ctx, err
	}
	defer p.leave()
	if isNot(p.peek()) {
		p.next()
		n, q, err := p.term(ctx)
		if err != nil {
			return nil, q, err
		}
		return &node{kind: nodeNot, left: n}, q, nil
	}
	t := p.peek()
	switch t.kind {
	case tokLParen:
		p.next()
		n, _, err := p.expr(ctx)
		if err != nil {
			return nil, ctx, err
		}
		if err := p.expect(tokRParen); err != nil {
			return nil, ctx, err
		}
		// tcpdump hands the qualifiers from before the parenthesis on
		// to a bare address after it.
		return n, ctx, nil
	case tokWord:
		return p.keywordTerm(t)
	}
	return nil, ctx, p.unexpected(t)
}

// keywordTerm parses a primitive that starts with the word t.
func (p *parser) keywordTerm(t token) (*node, qual, error) {
	switch t.text {
	case "vlan":
		return p.vlan()
	case "ip", "ip6", "tcp", "udp":
		if n := p.peekAt(1); n.kind == tokOther && n.text == "[" {
			return nil, qual{}, p.unsupported(t.pos, p.bracketed(t.pos))
		}
		if !isQualifier(p.peekAt(1)) {
			p.next()
			pr := protoAbbrev(t)
			pr.pos = t.pos
			return p.prim(pr), qual{}, nil
		}
		return p.head()
	case "src", "dst", "host", "net", "port", "portrange", "proto":
		return p.head()
	}
	if isKeyword(t.text) {
		if t.text == "and" || t.text == "or" || t.text == "not" || t.text == "mask" {
			return nil, qual{}, p.unexpected(t)
		}
		return nil, qual{}, p.unsupported(t.pos, p.keywordSpan())
	}
	return nil, qual{}, p.needsQualifier(t)
}

// isQualifier reports whether t can follow a protocol name to make it a
// qualifier ("tcp port", "ip src") rather than a primitive of its own.
func isQualifier(t token) bool {
	if t.kind != tokWord {
		return false
	}
	switch t.text {
	case "src", "dst", "host", "net", "port", "portrange", "proto",
		"gateway", "broadcast", "multicast", "protochain":
		return true
	}
	return false
}

// protoAbbrev builds the primitive that a protocol name alone stands for.
func protoAbbrev(t token) prim {
	switch t.text {
	case "ip":
		return prim{kind: primLink, proto: protoIP}
	case "ip6":
		return prim{kind: primLink, proto: protoIP6}
	case "tcp":
		return prim{kind: primProto, proto: protoTCP, num: 6, abbrev: true}
	}
	return prim{kind: primProto, proto: protoUDP, num: 17, abbrev: true}
}

// prim finishes a primitive: it records how many VLAN tags the vlan
// primitives before it have put in front of it.
func (p *parser) prim(pr prim) *node {
	p.prims++
	pr.tags = p.tags
	if pr.kind == primVLAN {
		p.tags++
	}
	return &node{kind: nodePrim, prim: pr}
}

// vlan parses "vlan" and "vlan N" (N may sit in parentheses, as tcpdump
// allows).
func (p *parser) vlan() (*node, qual, error) {
	start := p.next()
	pr := prim{kind: primVLAN, num: -1, pos: start.pos}
	depth := 0
	for p.peekAt(depth).kind == tokLParen {
		depth++
	}
	if t := p.peekAt(depth); t.kind == tokWord && isDigits(t.text) {
		for range depth {
			p.next()
		}
		t = p.next()
		v, err := p.number(t)
		if err != nil {
			return nil, qual{}, err
		}
		if v > 4095 {
			return nil, qual{}, errorAt(t.pos, ErrInvalid, "invalid VLAN ID "+strconv.Quote(t.text), ": above 4095")
		}
		for range depth {
			if err := p.expect(tokRParen); err != nil {
				return nil, qual{}, err
			}
		}
		pr.num = int(v)
	}
	return p.prim(pr), qual{}, nil
}

// head parses the qualifiers of a primitive, then its address.
func (p *parser) head() (*node, qual, error) {
	q := qual{set: true, pos: p.peek().pos}
	if t := p.peek(); t.kind == tokWord {
		switch t.text {
		case "ip":
			q.proto = protoIP
		case "ip6":
			q.proto = protoIP6
		case "tcp":
			q.proto = protoTCP
		case "udp":
			q.proto = protoUDP
		}
		if q.proto != protoAny {
			p.next()
		}
	}
	if t := p.peek(); isWord(t, "proto") {
		p.next()
		q.addr = addrProto
		return p.id(q)
	}
	hasDir := false
	if t := p.peek(); isWord(t, "src") || isWord(t, "dst") {
		p.next()
		hasDir = true
		other := "dst"
		q.dir = dirSrc
		if t.text == "dst" {
			q.dir, other = dirDst, "src"
		}
		if op, ok := binop(p.peek()); ok && isWord(p.peekAt(1), other) {
			p.next()
			p.next()
			q.dir = dirAny
			if op == nodeAnd {
				q.dir = dirSrcDst
			}
		}
	}
	t := p.peek()
	switch {
	case isWord(t, "host"):
		q.addr = addrHost
	case isWord(t, "net"):
		q.addr = addrNet
	case isWord(t, "port"):
		q.addr = addrPort
	case isWord(t, "portrange"):
		q.addr = addrPortRange
	case isWord(t, "gateway") || isWord(t, "broadcast") || isWord(t, "multicast") || isWord(t, "protochain"):
		return nil, q, p.unsupported(q.pos, p.src[q.pos:t.pos+len(t.text)])
	case !hasDir:
		return nil, q, p.unexpected(t)
	}
	if q.addr != addrAny {
		p.next()
	}
	return p.id(q)
}

// id parses what tcpdump calls an id: an address, "not" before one, or a
// parenthesised list of them joined by and/or, all under the qualifiers q.
func (p *parser) id(q qual) (*node, qual, error) {
	if err := p.enter(); err != nil {
		return nil, q, err
	}
	defer p.leave()
	t := p.peek()
	switch {
	case isNot(t):
		p.next()
		n, q, err := p.id(q)
		if err != nil {
			return nil, q, err
		}
		return &node{kind: nodeNot, left: n}, q, nil
	case t.kind == tokLParen:
		p.next()
		// The first address in the parentheses cannot itself be in
		// parentheses: libpcap's grammar has no rule for it.
		if p.peek().kind == tokLParen {
			return nil, q, p.unexpected(p.peek())
		}
		n, q, err := p.id(q)
		if err != nil {
			return nil, q, err
		}
		for {
			op, ok := binop(p.peek())
			if !ok {
				break
			}
			p.next()
			var m *node
			if m, q, err = p.id(q); err != nil {
				return nil, q, err
			}
			n = &node{kind: op, left: n, right: m}
		}
		if err := p.expect(tokRParen); err != nil {
			return nil, q, err
		}
		return n, q, nil
	case t.kind == tokWord && !isKeyword(t.text):
		n, err := p.address(q)
		return n, q, err
	}
	return nil, q, p.unexpected(t)
}

// enter counts one more level of nesting and refuses too many, and too
// many primitives.
func (p *parser) enter() error {
	p.depth++
	t := p.peek()
	switch {
	case p.depth > maxDepth:
		return errorAt(t.pos, ErrUnsupported, "nesting too deep", fmt.Sprintf(": more than %d levels of parentheses and not", maxDepth))
	case p.prims >= maxPrims:
		return errorAt(t.pos, ErrUnsupported, "expression too long", fmt.Sprintf(": more than %d primitives", maxPrims))
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// expect consumes a token of kind k or reports what is there instead.
func (p *parser) expect(k tokKind) error {
	if p.peek().kind != k {
		return p.unexpected(p.peek())
	}
	p.next()
	return nil
}

// unexpected reports a token that has no place where it is.
func (p *parser) unexpected(t token) error {
	if t.kind == tokEOF {
		what := "expression"
		if p.i > 0 {
			what = strconv.Quote(p.toks[p.i-1].text)
		}
		return errorAt(t.pos, ErrSyntax, "syntax error", ": expression ends after "+what)
	}
	if t.kind == tokOther {
		return p.unsupported(t.pos, t.text)
	}
	if lower := strings.ToLower(t.text); lower != t.text && isKeyword(lower) {
		return errorAt(t.pos, ErrSyntax, "syntax error", ": unexpected "+strconv.Quote(t.text)+" (keywords are lower case)")
	}
	return errorAt(t.pos, ErrSyntax, "syntax error", ": unexpected "+strconv.Quote(t.text))
}

// needsQualifier reports an address written where a primitive must start.
func (p *parser) needsQualifier(t token) error {
	if lower := strings.ToLower(t.text); lower != t.text && isKeyword(lower) {
		return p.unexpected(t)
	}
	return errorAt(t.pos, ErrSyntax, "syntax error", ": "+strconv.Quote(t.text)+
		" needs a qualifier such as host, net or port in front of it")
}

// unsupported reports tcpdump syntax outside the subset, quoting text.
func (p *parser) unsupported(pos int, text string) error {
	return errorAt(pos, ErrUnsupported, "unsupported "+strconv.Quote(text), "; "+supportedList)
}

// keywordSpan returns the unsupported keyword at the current token with
// the qualifier keywords after it ("ether host"), to quote in an error.
func (p *parser) keywordSpan() string {
	first := p.peek()
	end := first.pos + len(first.text)
	for k := 1; ; k++ {
		t := p.peekAt(k)
		if t.kind != tokWord || !(isQualifier(t) || isWord(t, "src") || isWord(t, "dst")) {
			break
		}
		end = t.pos + len(t.text)
	}
	if t := p.peekAt(1); t.kind == tokOther && t.text == "[" {
		return p.bracketed(first.pos)
	}
	return p.src[first.pos:end]
}

// bracketed returns the text from pos through the next "]" (or to the
// end), to quote a byte-offset expression such as tcp[13].
func (p *parser) bracketed(pos int) string {
	if j := strings.IndexByte(p.src[pos:], ']'); j >= 0 {
		return p.src[pos : pos+j+1]
	}
	return p.src[pos:]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// number parses a decimal number of up to 32 bits. tcpdump also reads
// hexadecimal and, with a leading zero, octal; those are refused rather
// than risk reading "010" differently from what its writer meant.
func (p *parser) number(t token) (uint32, error) {
	if !isDigits(t.text) || (len(t.text) > 1 && t.text[0] == '0') {
		return 0, errorAt(t.pos, ErrInvalid, "invalid number "+strconv.Quote(t.text), ": write numbers in decimal without leading zeros")
	}
	v, err := strconv.ParseUint(t.text, 10, 32)
	if err != nil {
		return 0, errorAt(t.pos, ErrInvalid, "invalid number "+strconv.Quote(t.text), ": above 4294967295")
	}
	return uint32(v), nil
}

// keywords are the words of tcpdump's filter language. Those outside the
// subset are reported as unsupported rather than as unresolved names.
var keywords = wordSet(`
	and or not src dst host net mask port portrange proto vlan ip ip6 tcp udp
	gateway protochain arp rarp sctp icmp igmp igrp pim vrrp carp radio icmp6
	ah esp atalk aarp decnet lat sca moprc mopdl iso esis es-is isis is-is l1 l2
	iih lsp snp csnp psnp clnp stp ipx netbeui link ether ppp slip fddi tr wlan
	less greater byte broadcast multicast len inbound outbound ifindex mpls
	pppoed pppoes geneve lane llc metac bcc oam oamf4 oamf4ec oamf4sc sc ilmic
	vpi vci connectmsg metaconnect on ifname rnr rulenum reason rset srnr
	subrulenum action fisu lssu lsu msu hfisu hlssu hmsu sio opc dpc sls hsio
	hopc hdpc hsls type subtype direction dir ra ta addr1 addr2 addr3 addr4
	address1 address2 address3 address4 retransmit`)

func wordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

func isKeyword(w string) bool { return keywords[w] }
