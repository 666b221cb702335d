package filter

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// FuzzCompile compiles arbitrary expressions. An expression either fails
// with an *Error whose column lies in it, or compiles to programs that
// x/net/bpf accepts and the kernel would (at most 4096 instructions), and
// its normal form compiles to the same String and the same programs.
func FuzzCompile(f *testing.F) {
	for _, e := range compareExprs {
		f.Add(e)
	}
	for _, e := range agreeExprs {
		f.Add(e)
	}
	for _, e := range []string{
		"ether host 1:2:3:4:5:6", "tcp[13] & 2 != 0", "host 10.0.0.1 and ((10.0.0.2))", "net 10.0.0.0 mask 255",
		"vlan ((100)", "portrange 10-", "host ::ffff:1.2.3.4/96", "src and dst or", "!!!", "((((", "host 1.2.3.4%x",
	} {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Compile(expr)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q): %T is not an *Error: %v", expr, err, err)
			}
			if e.Column < 1 || e.Column > len(expr)+1 || e.Err == nil {
				t.Fatalf("Compile(%q): column %d out of 1..%d, or no sentinel: %v", expr, e.Column, len(expr)+1, err)
			}
			return
		}
		norm := flt.String()
		again, err := Compile(norm)
		if err != nil {
			t.Fatalf("normal form %q of %q does not compile: %v", norm, expr, err)
		}
		if again.String() != norm {
			t.Fatalf("normal form of %q is not stable: %q then %q", expr, norm, again.String())
		}
		for i := range layouts {
			if !slices.Equal(flt.progs[i], again.progs[i]) || (flt.errs[i] == nil) != (again.errs[i] == nil) {
				t.Fatalf("%s: %q and its normal form %q compile differently", layouts[i].name, expr, norm)
			}
			if flt.errs[i] != nil {
				if !errors.Is(flt.errs[i], ErrLinkType) {
					t.Fatalf("%s: %q: %v", layouts[i].name, expr, flt.errs[i])
				}
				continue
			}
			prog := flt.progs[i]
			if len(prog) > maxInstructions {
				t.Fatalf("%q: %d instructions", expr, len(prog))
			}
			insns, ok := bpf.Disassemble(prog)
			if !ok {
				t.Fatalf("%q: program does not disassemble", expr)
			}
			if _, err := bpf.NewVM(insns); err != nil {
				t.Fatalf("%q: %v\n%s", expr, err, disasm(prog))
			}
		}
	})
}

// fuzzFilters are compiled once for FuzzMatch: between them they use
// every kind of test the programs hold.
var fuzzFilters = []string{
	"vlan and vlan 100 and (tcp port 80 or udp portrange 1024-65535)",
	"host 10.0.0.1 or net 2001:db8::/33 or src and dst net 192.168.0.0/16",
	"not ip6 proto 17 and not ip proto 6 and dst port 53",
	"net 10.0.0.0 mask 255.0.0.255 or ip6 host ::ffff:10.0.0.1 or vlan or net ::/0",
	longExpr,
}

// FuzzMatch runs frames of every link type through a few filters:
// Match never panics, always agrees with running Program's output in
// x/net/bpf's VM, and with running the program built without thread and
// intern, which must change how a frame is judged in no case, cut short
// or not. The seeds are frames of the shared captures and the crafted
// frames.
func FuzzMatch(f *testing.F) {
	lts := []decoders.LinkType{
		layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw,
		layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeNull, layers.LinkTypeLoop,
	}
	type compiled struct {
		f     *Filter
		vms   []*bpf.VM // by lts index; nil without a program
		plain []*bpf.VM // the same, not threaded nor interned
	}
	var filters []compiled
	for _, e := range fuzzFilters {
		flt, err := Compile(e)
		if err != nil {
			f.Fatal(err)
		}
		c := compiled{f: flt, vms: make([]*bpf.VM, len(lts)), plain: make([]*bpf.VM, len(lts))}
		for i, lt := range lts {
			if prog, err := flt.Program(lt); err == nil {
				c.vms[i] = newVM(f, prog)
				c.plain[i] = newVM(f, plainProgram(f, flt, lt))
			}
		}
		filters = append(filters, c)
	}
	seeds := craftedFrames()
	if _, err := os.Stat(capturesDir); err == nil {
		for _, path := range captureFiles(f) {
			for j, fr := range readFrames(f, path) {
				if j < 20 {
					seeds = append(seeds, fr.data[:min(len(fr.data), 512)])
				}
			}
		}
	}
	for i, fr := range seeds {
		f.Add(uint8(i%len(lts)), fr)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		i := int(which) % len(lts)
		for _, c := range filters {
			m := c.f.Match(lts[i], data)
			if c.vms[i] == nil {
				if m {
					t.Fatalf("Match keeps a frame of link type %d, which has no program", lts[i])
				}
				continue
			}
			if v := runVM(t, c.vms[i], data); m != v {
				t.Fatalf("link type %d: Match %v, VM %v for %x", lts[i], m, v, data)
			}
			if p := runVM(t, c.plain[i], data); m != p {
				t.Fatalf("link type %d: Match %v, program without thread and intern %v for %x", lts[i], m, p, data)
			}
		}
	})
}

// plainProgram builds f's program for lt as emit does, but without
// thread and intern: every test of every primitive, in the order libpcap
// generates them.
func plainProgram(t testing.TB, f *Filter, lt decoders.LinkType) []bpf.RawInstruction {
	t.Helper()
	g := generator{l: &layouts[layoutOf(lt)]}
	c, err := g.lower(f.tree)
	if err != nil {
		t.Fatal(err)
	}
	if c.kind == cTrue || c.kind == cFalse {
		return emit(c)
	}
	var gr graph
	reject := gr.add(&block{ret: true})
	accept := gr.add(&block{ret: true, k: acceptLen})
	gr.gen(c, accept, reject)
	var e emitter
	for _, b := range gr.blocks {
		e.block(b)
	}
	return e.program()
}
