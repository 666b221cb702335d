package rules

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// ParseInventory reads an inventory: one line per address, CIDR prefix
// (IPv4 or IPv6) or range of addresses ("10.1.0.11-10.1.0.13"), followed by
// one or more role ids and an optional name=LABEL, in any order. "#" starts a
// comment anywhere on a line; blank lines are ignored. A host given cms also
// gets frontend, since the Central Management Store lives on a Front End
// Server. file names r in positions. On failure the error is an [ErrorList]
// holding every bad line, sorted by position.
func ParseInventory(r io.Reader, file string) (*Inventory, error) {
	p := &inventoryParser{file: file, ranges: map[[2]netip.Addr]*Host{}}
	readLines(r, file, &p.errs, p.line)
	if len(p.errs) > 0 {
		p.errs.Sort()
		return nil, p.errs
	}
	return &Inventory{Hosts: p.hosts}, nil
}

// inventoryParser holds the state of ParseInventory between lines.
type inventoryParser struct {
	file   string
	errs   ErrorList
	hosts  []*Host
	ranges map[[2]netip.Addr]*Host // first and last address → line, for duplicates
}

func (p *inventoryParser) errorf(line, col int, sentinel error, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.errs.Add(Pos{File: p.file, Line: line, Column: col}, fmt.Errorf("%w: %s", sentinel, msg))
}

func (p *inventoryParser) line(s string, n int) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	fs := splitFields(s, 1)
	if len(fs) == 0 {
		return
	}
	spec := fs[0]
	h := &Host{Spec: spec.text, Pos: Pos{File: p.file, Line: n, Column: spec.col}}
	before := len(p.errs)
	p.addresses(h, spec, n)
	named, roleErr := false, false
	for _, f := range fs[1:] {
		if label, ok := strings.CutPrefix(f.text, "name="); ok {
			p.name(h, label, named, n, f.col)
			named = true
			continue
		}
		if strings.Contains(f.text, "=") {
			p.errorf(n, f.col, ErrSyntax, "unknown setting %q; the only setting is name=LABEL", f.text)
			continue
		}
		r, ok := ParseRole(f.text)
		if !ok {
			p.errorf(n, f.col, ErrUnknownRole, "%q; valid roles: %s", f.text, roleList())
			roleErr = true
			continue
		}
		h.Roles = h.Roles.With(r)
	}
	if h.Roles.Empty() && !roleErr {
		p.errorf(n, spec.col, ErrNoRole, "%s has no role; give one or more of: %s", spec.text, roleList())
	}
	if h.Roles.Has(CMS) {
		h.Roles = h.Roles.With(Frontend)
	}
	if len(p.errs) > before {
		return
	}
	key := [2]netip.Addr{h.First, h.Last}
	if first, dup := p.ranges[key]; dup {
		p.errorf(n, spec.col, ErrDuplicate, "%s covers the same addresses as %s at %s", spec.text, first.Spec, first.Pos)
		return
	}
	p.ranges[key] = h
	p.hosts = append(p.hosts, h)
}

// name sets h's name from the LABEL of a name=LABEL token at column col.
func (p *inventoryParser) name(h *Host, label string, named bool, n, col int) {
	switch {
	case named:
		p.errorf(n, col, ErrDuplicate, "name given twice for %s", h.Spec)
	case label == "":
		p.errorf(n, col, ErrBadName, "name= needs a label, such as name=fe01")
	case !utf8.ValidString(label) || hasControl(label):
		p.errorf(n, col, ErrBadName, "name %q is not printable UTF-8 text", label)
	default:
		h.Name = label
	}
}

// addresses sets h.First and h.Last from the address, prefix or range f.
func (p *inventoryParser) addresses(h *Host, f field, n int) {
	s := f.text
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			p.errorf(n, f.col, ErrBadAddress, "%q is not a CIDR prefix", s)
		case pfx.Masked() != pfx:
			p.errorf(n, f.col, ErrBadAddress, "%s has host bits set; the prefix is %s", s, pfx.Masked())
		default:
			if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
				pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
			}
			h.First, h.Last = pfx.Addr(), lastAddr(pfx)
		}
		return
	}
	firstText, lastText, isRange := strings.Cut(s, "-")
	first, ok := p.addr(firstText, n, f.col)
	if !isRange {
		h.First, h.Last = first, first
		return
	}
	last, ok2 := p.addr(lastText, n, f.col+len(firstText)+1)
	switch {
	case !ok || !ok2:
	case first.BitLen() != last.BitLen():
		p.errorf(n, f.col, ErrBadAddress, "range %s mixes IPv4 and IPv6", s)
	case last.Less(first):
		p.errorf(n, f.col, ErrBadAddress, "range %s runs backwards", s)
	default:
		h.First, h.Last = first, last
	}
}

// addr parses one address at column col, unmapping IPv4-mapped IPv6.
func (p *inventoryParser) addr(s string, n, col int) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		p.errorf(n, col, ErrBadAddress, "%q is not an IP address, CIDR prefix or range", s)
		return netip.Addr{}, false
	case a.Zone() != "":
		p.errorf(n, col, ErrBadAddress, "%s has a zone; inventory addresses have none", s)
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// lastAddr returns the highest address of p, which must be masked.
func lastAddr(p netip.Prefix) netip.Addr {
	if p.Addr().Is4() {
		b := p.Addr().As4()
		setHostBits(b[:], p.Bits())
		return netip.AddrFrom4(b)
	}
	b := p.Addr().As16()
	setHostBits(b[:], p.Bits())
	return netip.AddrFrom16(b)
}

// setHostBits sets every bit of b after the first bits.
func setHostBits(b []byte, bits int) {
	for i := bits; i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
}
