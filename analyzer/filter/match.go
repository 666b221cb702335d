package filter

import (
	"encoding/binary"

	"golang.org/x/net/bpf"
)

// insn is an instruction of a program as Match runs it: the opcode
// renumbered densely so that run's switch compiles to a jump table.
type insn struct {
	op     uint8
	jt, jf uint8
	k      uint32
}

// The dense opcodes, one for each BPF instruction emit writes.
const (
	iRet uint8 = iota
	iJa
	iJeq
	iJgt
	iJge
	iJset
	iLdB
	iLdH
	iLdW
	iLdIndB
	iLdIndH
	iLdIndW
	iLdxMSH
	iAnd
	iBad // anything else, which drops the frame
)

// dense renumbers a program's opcodes for run.
func dense(prog []bpf.RawInstruction) []insn {
	out := make([]insn, len(prog))
	for i, r := range prog {
		op := iBad
		switch r.Op {
		case opRetK:
			op = iRet
		case opJa:
			op = iJa
		case opJa | jeq:
			op = iJeq
		case opJa | jgt:
			op = iJgt
		case opJa | jge:
			op = iJge
		case opJa | jset:
			op = iJset
		case opLdB:
			op = iLdB
		case opLdH:
			op = iLdH
		case opLdW:
			op = iLdW
		case opLdIndB:
			op = iLdIndB
		case opLdIndH:
			op = iLdIndH
		case opLdIndW:
			op = iLdIndW
		case opLdxMSH:
			op = iLdxMSH
		case opAndK:
			op = iAnd
		}
		out[i] = insn{op: op, jt: r.Jt, jf: r.Jf, k: r.K}
	}
	return out
}

// run executes a program on one frame and returns what it returns: the
// bytes to keep, 0 to drop. A load past the end of the frame drops it,
// as in the kernel.
func run(prog []insn, p []byte) uint32 {
	var a, x uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		k := uint(in.k)
		switch in.op {
		case iRet:
			return in.k
		case iJa:
			pc += int(in.k)
		case iJeq:
			if a == in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case iJgt:
			if a > in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case iJge:
			if a >= in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case iJset:
			if a&in.k != 0 {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case iLdIndB:
			k += uint(x)
			fallthrough
		case iLdB:
			if k >= uint(len(p)) {
				return 0
			}
			a = uint32(p[k])
		case iLdIndH:
			k += uint(x)
			fallthrough
		case iLdH:
			if k >= uint(len(p)) || uint(len(p))-k < 2 {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(p[k:]))
		case iLdIndW:
			k += uint(x)
			fallthrough
		case iLdW:
			if k >= uint(len(p)) || uint(len(p))-k < 4 {
				return 0
			}
			a = binary.BigEndian.Uint32(p[k:])
		case iLdxMSH:
			if k >= uint(len(p)) {
				return 0
			}
			x = uint32(p[k]&0x0f) << 2
		case iAnd:
			a &= in.k
		default:
			return 0
		}
	}
	return 0
}
