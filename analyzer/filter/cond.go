package filter

// condKind is what a condition node is.
type condKind uint8

const (
	cTrue condKind = iota
	cFalse
	cAnd
	cOr
	cNot
	cTest
)

// cond is a primitive lowered for one link type: tests of packet fields
// joined by and, or and not, evaluated left to right and stopping early,
// as a BPF program does.
type cond struct {
	kind condKind
	a, b *cond // operands; not uses a
	t    test  // when kind is cTest
}

// The jump conditions of tests.
const (
	jeq  = 0x10 // BPF_JEQ: A == k
	jgt  = 0x20 // BPF_JGT: A > k
	jge  = 0x30 // BPF_JGE: A >= k
	jset = 0x40 // BPF_JSET: A & k != 0
)

// test loads a field, masks it, and compares it with a constant.
type test struct {
	size uint8  // bytes loaded: 1, 2 or 4
	off  uint32 // offset from the start of the frame, or from the end of the IPv4 header when ipHdr is set
	// ipHdr makes the load relative to the end of the IPv4 header that
	// starts at ipOff, whose length the program reads from the header.
	ipHdr bool
	ipOff uint32
	mask  uint32 // ANDed with the field first; 0 for none
	jmp   uint16 // jeq, jgt, jge or jset
	k     uint32
}

var (
	condTrue  = &cond{kind: cTrue}
	condFalse = &cond{kind: cFalse}
)

func testCond(t test) *cond { return &cond{kind: cTest, t: t} }

// and joins two conditions, folding constants. The constants come from
// link types that cannot carry a protocol (ARP on raw IP) or always do
// (IPv4 on raw IPv4), where libpcap's generated code holds no test either.
func and(a, b *cond) *cond {
	switch {
	case a.kind == cFalse || b.kind == cTrue:
		return a
	case a.kind == cTrue:
		return b
	case b.kind == cFalse:
		return b
	}
	return &cond{kind: cAnd, a: a, b: b}
}

// or joins two conditions, folding constants. "a or true" stays: a's
// tests still turn away a frame too short for them.
func or(a, b *cond) *cond {
	switch {
	case a.kind == cTrue || b.kind == cFalse:
		return a
	case a.kind == cFalse:
		return b
	}
	return &cond{kind: cOr, a: a, b: b}
}

// not negates a condition, folding constants and double negation.
func not(a *cond) *cond {
	switch a.kind {
	case cTrue:
		return condFalse
	case cFalse:
		return condTrue
	case cNot:
		return a.a
	}
	return &cond{kind: cNot, a: a}
}
