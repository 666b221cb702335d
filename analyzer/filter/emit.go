package filter

import "golang.org/x/net/bpf"

// Opcodes of the classic BPF instructions the programs use.
const (
	opLdW    = 0x20 // BPF_LD|BPF_W|BPF_ABS
	opLdH    = 0x28 // BPF_LD|BPF_H|BPF_ABS
	opLdB    = 0x30 // BPF_LD|BPF_B|BPF_ABS
	opLdIndW = 0x40 // BPF_LD|BPF_W|BPF_IND
	opLdIndH = 0x48 // BPF_LD|BPF_H|BPF_IND
	opLdIndB = 0x50 // BPF_LD|BPF_B|BPF_IND
	opLdxMSH = 0xb1 // BPF_LDX|BPF_B|BPF_MSH: X = 4*(P[k]&0xf)
	opAndK   = 0x54 // BPF_ALU|BPF_AND|BPF_K
	opJa     = 0x05 // BPF_JMP|BPF_JA; also BPF_JMP|BPF_K, or'ed with a jump condition
	opRetK   = 0x06 // BPF_RET|BPF_K
)

// maxInstructions is the kernel's limit on a classic BPF program
// (BPF_MAXINSNS).
const maxInstructions = 4096

// acceptLen is what a program returns for a frame it keeps: the number
// of bytes to keep, as for libpcap's default snap length of 256 KiB.
const acceptLen = 262144

// block is one test of the program with where it goes next, or a return.
type block struct {
	ret  bool      // a return; k is the value returned
	k    uint32    // for ret
	t    test      // for a test
	next [2]*block // where the test goes when false [0] and true [1]
	id   int       // order of creation: a block runs after every block created after it

	reached bool
	label   int // index of its first instruction in emitter.rev
}

// emit builds the program for c: its tests as blocks, threaded (see
// thread), then written out as instructions.
func emit(c *cond) []bpf.RawInstruction {
	switch c.kind {
	case cTrue:
		return []bpf.RawInstruction{{Op: opRetK, K: acceptLen}}
	case cFalse:
		return []bpf.RawInstruction{{Op: opRetK, K: 0}}
	}
	var g graph
	reject := g.add(&block{ret: true})
	accept := g.add(&block{ret: true, k: acceptLen})
	entry := g.gen(c, accept, reject)
	thread(g.blocks, entry)
	entry = intern(g.blocks, entry)
	var e emitter
	for _, b := range g.blocks {
		if b.reached {
			e.block(b)
		}
	}
	if entry.label != len(e.rev)-1 {
		e.add(bpf.RawInstruction{Op: opJa, K: uint32(len(e.rev) - entry.label - 1)})
	}
	return e.program()
}

// intern merges blocks that do the same test and go to the same places,
// as libpcap's optimizer does; once thread has sent the tests of TCP, UDP
// and SCTP ports to the same places, they become one. It returns the
// block the program starts with.
func intern(blocks []*block, entry *block) *block {
	type key struct {
		ret     bool
		k       uint32
		t       test
		no, yes *block
	}
	seen := make(map[key]*block)
	canon := make(map[*block]*block)
	for _, b := range blocks { // successors first
		if !b.reached {
			continue
		}
		k := key{ret: b.ret, k: b.k}
		if !b.ret {
			b.next[0], b.next[1] = canon[b.next[0]], canon[b.next[1]]
			k.t, k.no, k.yes = b.t, b.next[0], b.next[1]
		}
		if c, ok := seen[k]; ok {
			canon[b] = c
			b.reached = false
			continue
		}
		seen[k] = b
		canon[b] = b
	}
	return canon[entry]
}

// graph holds the blocks of a program in the order they were created,
// which is the reverse of the order they run in.
type graph struct {
	blocks []*block
}

func (g *graph) add(b *block) *block {
	b.id = len(g.blocks)
	g.blocks = append(g.blocks, b)
	return b
}

// gen builds the blocks of c, which goes to t when c holds and to f when
// it does not, and returns its first block. The blocks of an operand
// evaluated later are created first.
func (g *graph) gen(c *cond, t, f *block) *block {
	switch c.kind {
	case cTrue:
		return t
	case cFalse:
		return f
	case cNot:
		return g.gen(c.a, f, t)
	case cAnd:
		return g.gen(c.a, g.gen(c.b, t, f), f)
	case cOr:
		return g.gen(c.a, t, g.gen(c.b, t, f))
	}
	return g.add(&block{t: c.t, next: [2]*block{f, t}})
}

// emitter writes a program backwards, from its last instruction to its
// first, so that every jump target is already placed when the jump is
// written and all jumps go forward, as BPF requires.
type emitter struct {
	rev []bpf.RawInstruction // the program, last instruction first
	// entry[i] is the test whose first instruction is rev[i], so that a
	// test jumping to it can skip reloading what it already holds.
	entry []*test
}

// add appends the instruction that runs before all written so far, and
// returns its label: its rev index. A jump at rev index j to label t
// skips j-t-1 instructions.
func (e *emitter) add(ins bpf.RawInstruction) int {
	e.rev = append(e.rev, ins)
	e.entry = append(e.entry, nil)
	return len(e.rev) - 1
}

// program returns the instructions in execution order.
func (e *emitter) program() []bpf.RawInstruction {
	p := make([]bpf.RawInstruction, len(e.rev))
	for i, ins := range e.rev {
		p[len(p)-1-i] = ins
	}
	return p
}

// block writes a block whose successors are written already.
func (e *emitter) block(b *block) {
	if b.ret {
		b.label = e.add(bpf.RawInstruction{Op: opRetK, K: b.k})
		return
	}
	x := &b.t
	t, f := e.skipReload(x, b.next[1].label), e.skipReload(x, b.next[0].label)
	// A conditional jump reaches 255 instructions; farther targets get
	// an unconditional jump next to it.
	j := len(e.rev)
	if j-t-1 > 255 {
		t = e.add(bpf.RawInstruction{Op: opJa, K: uint32(j - t - 1)})
		j++
	}
	if j-f-1 > 255 {
		f = e.add(bpf.RawInstruction{Op: opJa, K: uint32(j - f - 1)})
		j++
	}
	e.add(bpf.RawInstruction{Op: opJa | x.jmp, Jt: uint8(j - t - 1), Jf: uint8(j - f - 1), K: x.k})
	if x.mask != 0 {
		e.add(bpf.RawInstruction{Op: opAndK, K: x.mask})
	}
	if x.ipHdr {
		e.add(bpf.RawInstruction{Op: loadOp(x.size, true), K: x.ipOff + x.off})
		b.label = e.add(bpf.RawInstruction{Op: opLdxMSH, K: x.ipOff})
	} else {
		b.label = e.add(bpf.RawInstruction{Op: loadOp(x.size, false), K: x.off})
	}
	e.entry[b.label] = x
}

// skipReload moves a jump target past the loads at its start when the
// jumping test leaves the same values in the registers: A holds the field
// when no mask was applied, and X holds the IPv4 header length an ldx of
// the same header put there.
func (e *emitter) skipReload(x *test, target int) int {
	in := e.entry[target]
	if in == nil || in.ipHdr != x.ipHdr || (x.ipHdr && in.ipOff != x.ipOff) {
		return target
	}
	skip := 0
	if in.ipHdr {
		skip++ // X already holds this header's length
	}
	if x.mask == 0 && in.size == x.size && in.off == x.off {
		skip++ // A already holds this field
	}
	return target - skip
}

// loadOp returns the opcode that loads size bytes, at a constant offset
// or at one past X.
func loadOp(size uint8, ind bool) uint16 {
	var op uint16
	switch size {
	case 1:
		op = opLdB
	case 2:
		op = opLdH
	default:
		op = opLdW
	}
	if ind {
		op += opLdIndW - opLdW
	}
	return op
}
