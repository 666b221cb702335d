package filter

import (
	"fmt"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Filter is a compiled capture filter: the expression and a classic BPF
// program for each link type it can be applied to. A Filter is safe for
// concurrent use.
type Filter struct {
	tree  *node // nil for the empty expression, which keeps every frame
	progs [numLayouts][]bpf.RawInstruction
	errs  [numLayouts]error  // why a layout has no program
	runs  [numLayouts][]insn // progs as Match runs them
}

// Compile parses a tcpdump filter expression and builds its programs. The
// empty expression keeps every frame. The error is an *Error naming the
// column of the offending text.
func Compile(expr string) (*Filter, error) {
	tree, err := parse(expr)
	if err != nil {
		return nil, err
	}
	f := &Filter{tree: tree}
	for i := range layouts {
		c := condTrue
		if tree != nil {
			g := generator{l: &layouts[i]}
			if c, err = g.lower(tree); err != nil {
				f.errs[i] = err
				continue
			}
		}
		f.progs[i] = emit(c)
		if n := len(f.progs[i]); n > maxInstructions {
			return nil, &Error{Column: 1, Err: ErrUnsupported, msg: fmt.Sprintf(
				"expression too long at column 1: %d instructions for %s, and the kernel takes %d", n, layouts[i].name, maxInstructions)}
		}
		f.runs[i] = dense(f.progs[i])
	}
	return f, nil
}

// String returns the expression in normal form: "and", "or" and "not"
// spelled out, the qualifiers an address inherits written in front of it,
// networks as address/length, and parentheses wherever "and" and "or"
// meet (tcpdump gives them equal precedence, left to right). Compiling it
// gives the same programs.
func (f *Filter) String() string {
	if f.tree == nil {
		return ""
	}
	return f.tree.String()
}

// Program returns the classic BPF program for frames of link type lt, as
// tcpdump builds it for a capture file of that link type: Ethernet (1),
// Linux cooked v1 (113) and v2 (276), raw IP (101, and 12 and 14 of old
// writers), raw IPv4 (228) and IPv6 (229), and BSD loopback NULL (0) and
// LOOP (108). The caller owns the returned slice. The error wraps
// ErrLinkType when the link type is not one of those, or when the
// expression asks for what its frames cannot have, such as a VLAN tag
// outside Ethernet.
//
// The Ethernet and raw IP programs can be attached to an AF_PACKET socket
// (SO_ATTACH_FILTER). The kernel runs them on the frame as the driver
// hands it over, and most drivers take the outer VLAN tag out of the frame
// into the packet's metadata (rx-vlan-offload): then an expression with
// vlan keeps nothing, and one without keeps tagged frames as if untagged.
// Live capture of such an expression (see HasVLAN) should filter in user
// space instead, with Match on frames whose tag has been put back from
// the socket's auxiliary data.
func (f *Filter) Program(lt decoders.LinkType) ([]bpf.RawInstruction, error) {
	i := layoutOf(lt)
	if i < 0 {
		what := fmt.Sprintf("link type %d", int(lt))
		if name := lt.String(); !strings.HasPrefix(name, "Unknown") {
			what += " (" + name + ")"
		}
		return nil, &Error{Err: ErrLinkType, msg: what + " is not supported: filters apply to Ethernet, Linux cooked, raw IP and BSD loopback"}
	}
	if f.errs[i] != nil {
		return nil, f.errs[i]
	}
	return append([]bpf.RawInstruction(nil), f.progs[i]...), nil
}

// Match reports whether the filter keeps a frame of link type lt. It
// runs the program Program returns, allocating nothing; a frame of a link
// type for which Program returns an error is not kept, so callers should
// call Program once for each link type they meet and report its error.
func (f *Filter) Match(lt decoders.LinkType, frame []byte) bool {
	i := layoutOf(lt)
	if i < 0 {
		return false
	}
	prog := f.runs[i]
	return prog != nil && run(prog, frame) != 0
}

// HasVLAN reports whether the expression has a vlan primitive, whose
// tests the kernel cannot run on frames the driver has taken the tag out
// of (see Program).
func (f *Filter) HasVLAN() bool {
	return f.tree != nil && f.tree.hasVLAN()
}

// Prefilter returns a program the kernel can run on an AF_PACKET socket
// of link type lt to drop frames early, or nil when none can be trusted.
// The kernel sees frames whose VLAN tag the driver took out, so a tagged
// frame looks untagged to it: an expression without vlan and without
// negation then keeps a superset of what Match keeps on the frame with
// its tag put back, and is safe as a first pass. With vlan or not, it
// could drop frames Match would keep, so the capture must filter in user
// space only. Either way Match has the last word.
func (f *Filter) Prefilter(lt decoders.LinkType) []bpf.RawInstruction {
	if f.tree == nil || f.tree.hasVLAN() || f.tree.hasNot() {
		return nil
	}
	p, err := f.Program(lt)
	if err != nil {
		return nil
	}
	return p
}
