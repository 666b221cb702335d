package capture

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// The pcapng block types this package reads; all others are skipped.
const (
	blockSectionHeader = 0x0a0d0d0a
	blockInterface     = 1
	blockPacket        = 2 // obsolete, still written by old tools
	blockSimplePacket  = 3
	blockEnhanced      = 6
)

// magicPcapng is the section header block's type, the file's first bytes.
var magicPcapng = [4]byte{0x0a, 0x0d, 0x0d, 0x0a}

// The byte-order magic of a section header block, as it reads in each
// byte order.
var (
	byteOrderLittle = [4]byte{0x4d, 0x3c, 0x2b, 0x1a}
	byteOrderBig    = [4]byte{0x1a, 0x2b, 0x3c, 0x4d}
)

// Minimum lengths of the blocks read, header and trailer included.
const (
	minBlockLen         = 12
	minSectionHeaderLen = 28
	minInterfaceLen     = 20
	minPacketLen        = 32 // enhanced and obsolete packet blocks
	minSimplePacketLen  = 16
)

// maxBlockLen bounds the blocks this package holds in its buffer: section
// headers, interfaces and packets. A packet block is at most 262144 bytes
// of data and a few options; 16 MiB leaves room for any options a tool
// writes and still rejects lengths that are damage. Other blocks are
// skipped without being held, whatever their length.
const maxBlockLen = 16 << 20

// Interface description block options that bear on timestamps.
const (
	optEndOfOpt = 0
	optTSResol  = 9
	optTSOffset = 14
)

// iface is what a packet needs from its interface description block.
type iface struct {
	linkType decoders.LinkType
	snaplen  uint32
	units    uint64 // timestamp units per second
	mul      uint64 // nanoseconds per unit when units divides 1e9, else 0
	offset   int64  // seconds added to every timestamp (if_tsoffset)
}

// setResolution applies an if_tsresol value: 10^-v seconds, or 2^-v when
// the top bit is set.
func (i *iface) setResolution(v byte) error {
	if v&0x80 != 0 {
		exp := v & 0x7f
		if exp > 63 {
			return fmt.Errorf("if_tsresol 2^-%d is finer than this reader handles", exp)
		}
		i.units = 1 << exp
	} else {
		if v > 19 {
			return fmt.Errorf("if_tsresol 10^-%d is finer than this reader handles", v)
		}
		i.units = 1
		for range v {
			i.units *= 10
		}
	}
	i.mul = 0
	if 1e9%i.units == 0 {
		i.mul = 1e9 / i.units
	}
	return nil
}

// nanos converts a timestamp in the interface's units to nanoseconds since
// the epoch. Timestamps beyond 2262 wrap, as int64 nanoseconds must.
func (i *iface) nanos(ts uint64) int64 {
	if i.mul != 0 {
		return int64(ts*i.mul) + i.offset*1e9
	}
	sec, frac := ts/i.units, ts%i.units
	// frac*1e9 can exceed 64 bits for fine binary resolutions; the
	// quotient cannot, since frac < units.
	hi, lo := bits.Mul64(frac, 1e9)
	ns, _ := bits.Div64(hi, lo, i.units)
	return int64(sec)*1e9 + int64(ns) + i.offset*1e9
}

// blockName names a block type for messages.
func blockName(typ uint32) string {
	switch typ {
	case blockSectionHeader:
		return "section header block"
	case blockInterface:
		return "interface description block"
	case blockPacket:
		return "packet block"
	case blockSimplePacket:
		return "simple packet block"
	case blockEnhanced:
		return "enhanced packet block"
	}
	return fmt.Sprintf("block of type 0x%08x", typ)
}

// nextPcapng reads blocks up to the next packet.
func (r *Reader) nextPcapng(p *Packet) error {
	for {
		r.recPos = r.pos
		have, err := r.fill(8)
		if have < 8 {
			if have == 0 && err == io.EOF {
				return io.EOF
			}
			return r.cut(err, "block header", int64(have), 8)
		}
		switch typ := r.u32(r.buf[r.start:]); typ {
		case blockEnhanced:
			return r.readEnhanced(p)
		case blockSimplePacket:
			return r.readSimple(p)
		case blockPacket:
			return r.readObsolete(p)
		case blockInterface:
			err = r.readInterface()
		case blockSectionHeader:
			err = r.readSectionHeader()
		default:
			err = r.skipBlock(typ)
		}
		if err != nil {
			return err
		}
	}
}

// checkLen checks a block's length field against the block's minimum.
func (r *Reader) checkLen(typ, blen, minLen uint32) error {
	switch {
	case blen%4 != 0:
		return r.fail(ErrCorrupt, "%s length %d is not a multiple of 4", blockName(typ), blen)
	case blen < minLen:
		return r.fail(ErrCorrupt, "%s length %d is below the minimum of %d", blockName(typ), blen, minLen)
	}
	return nil
}

// block returns the whole block at the read position, of type typ, after
// checking its length fields; the caller consumes it.
func (r *Reader) block(typ, minLen uint32) ([]byte, error) {
	blen := r.u32(r.buf[r.start+4:])
	if err := r.checkLen(typ, blen, minLen); err != nil {
		return nil, err
	}
	if blen > maxBlockLen {
		return nil, r.fail(ErrCorrupt, "%s length %d is above the %d this reader accepts", blockName(typ), blen, maxBlockLen)
	}
	n := int(blen)
	if have, err := r.fill(n); have < n {
		return nil, r.cut(err, blockName(typ), int64(have), int64(n))
	}
	b := r.buf[r.start : r.start+n]
	if trail := r.u32(b[n-4:]); trail != blen {
		return nil, r.fail(ErrCorrupt, "%s length is %d at the start but %d at the end", blockName(typ), blen, trail)
	}
	return b, nil
}

// skipBlock consumes a block this package does not read, streaming it
// rather than holding it, and checks its trailing length.
func (r *Reader) skipBlock(typ uint32) error {
	blen := r.u32(r.buf[r.start+4:])
	if err := r.checkLen(typ, blen, minBlockLen); err != nil {
		return err
	}
	body := int64(blen) - 4
	if done, err := r.skip(body); done < body {
		return r.cut(err, blockName(typ), done, int64(blen))
	}
	if have, err := r.fill(4); have < 4 {
		return r.cut(err, blockName(typ), body+int64(have), int64(blen))
	}
	if trail := r.u32(r.buf[r.start:]); trail != blen {
		return r.fail(ErrCorrupt, "%s length is %d at the start but %d at the end", blockName(typ), blen, trail)
	}
	r.consume(4)
	return nil
}

// readSectionHeader reads a section header block, which sets the byte
// order of the blocks after it and starts a new set of interfaces.
func (r *Reader) readSectionHeader() error {
	const magicEnd = 12
	if have, err := r.fill(magicEnd); have < magicEnd {
		return r.cut(err, "section header block", int64(have), minSectionHeaderLen)
	}
	switch bom := [4]byte(r.buf[r.start+8 : r.start+magicEnd]); bom {
	case byteOrderLittle:
		r.big = false
	case byteOrderBig:
		r.big = true
	default:
		return r.fail(ErrCorrupt, "section header block has byte-order magic % x", bom[:])
	}
	b, err := r.block(blockSectionHeader, minSectionHeaderLen)
	if err != nil {
		return err
	}
	if major, minor := r.u16(b[12:]), r.u16(b[14:]); major != 1 {
		return r.fail(ErrCorrupt, "pcapng version %d.%d is not supported", major, minor)
	}
	r.ifaces = r.ifaces[:0]
	r.consume(len(b))
	return nil
}

// readInterfaces reads the blocks that follow the first section header up
// to the first packet, so that LinkTypes knows the interfaces before any
// packet is read. A packet, a new section, the end of the file or a
// failure to read is left for Next.
func (r *Reader) readInterfaces() error {
	for {
		r.recPos = r.pos
		if have, _ := r.fill(8); have < 8 {
			return nil
		}
		var err error
		switch typ := r.u32(r.buf[r.start:]); typ {
		case blockEnhanced, blockSimplePacket, blockPacket, blockSectionHeader:
			return nil
		case blockInterface:
			err = r.readInterface()
		default:
			err = r.skipBlock(typ)
		}
		if err != nil {
			return err
		}
	}
}

// readInterface reads an interface description block.
func (r *Reader) readInterface() error {
	b, err := r.block(blockInterface, minInterfaceLen)
	if err != nil {
		return err
	}
	// Without if_tsresol, timestamps count microseconds.
	ifc := iface{linkType: decoders.LinkType(r.u16(b[8:])), snaplen: r.u32(b[12:]), units: 1e6, mul: 1e3}
	if err := r.interfaceOptions(&ifc, b[16:len(b)-4]); err != nil {
		return err
	}
	r.ifaces = append(r.ifaces, ifc)
	r.linkTypes = append(r.linkTypes, ifc.linkType)
	r.consume(len(b))
	return nil
}

// interfaceOptions applies the options of an interface description block
// that bear on timestamps. Like Wireshark, it ignores an option whose
// value has the wrong size, but an option that runs past the block is
// damage.
func (r *Reader) interfaceOptions(ifc *iface, opts []byte) error {
	for len(opts) >= 4 {
		code, n := r.u16(opts), int(r.u16(opts[2:]))
		if code == optEndOfOpt {
			break
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(opts) {
			return r.fail(ErrCorrupt, "interface description block option %d of %d bytes runs past the block's end", code, n)
		}
		v := opts[4 : 4+n]
		switch {
		case code == optTSResol && n == 1:
			if err := ifc.setResolution(v[0]); err != nil {
				return r.fail(ErrCorrupt, "interface description block: %v", err)
			}
		case code == optTSOffset && n == 8:
			ifc.offset = int64(r.u64(v))
		}
		opts = opts[4+padded:]
	}
	return nil
}

// packetIface returns the interface a packet block names, which must have
// been declared in this section.
func (r *Reader) packetIface(typ uint32, id uint32) (*iface, error) {
	if id >= uint32(len(r.ifaces)) {
		return nil, r.fail(ErrCorrupt, "%s names interface %d, but the section declares %d", blockName(typ), id, len(r.ifaces))
	}
	return &r.ifaces[id], nil
}

// readEnhanced reads an enhanced packet block.
func (r *Reader) readEnhanced(p *Packet) error {
	b, err := r.block(blockEnhanced, minPacketLen)
	if err != nil {
		return err
	}
	id := r.u32(b[8:])
	return r.packet(p, blockEnhanced, b, id)
}

// readObsolete reads an obsolete packet block, laid out as an enhanced
// packet block with a 16-bit interface ID followed by a drop count.
func (r *Reader) readObsolete(p *Packet) error {
	b, err := r.block(blockPacket, minPacketLen)
	if err != nil {
		return err
	}
	id := uint32(r.u16(b[8:]))
	return r.packet(p, blockPacket, b, id)
}

// packet delivers the packet of an enhanced or obsolete packet block b,
// whose fields after the interface ID are laid out alike.
func (r *Reader) packet(p *Packet, typ uint32, b []byte, id uint32) error {
	ifc, err := r.packetIface(typ, id)
	if err != nil {
		return err
	}
	ts := uint64(r.u32(b[12:]))<<32 | uint64(r.u32(b[16:]))
	caplen, wire := r.u32(b[20:]), r.u32(b[24:])
	if caplen > maxCaptureLen {
		return r.fail(ErrCorrupt, "%s claims %d captured bytes, more than the %d any capture tool writes", blockName(typ), caplen, maxCaptureLen)
	}
	if caplen > uint32(len(b)-minPacketLen) {
		return r.fail(ErrCorrupt, "%s claims %d captured bytes, more than its length of %d holds", blockName(typ), caplen, len(b))
	}
	end := 28 + int(caplen)
	r.lastTS = ifc.nanos(ts)
	r.deliver(p, b[28:end:end], wire, ifc, int(id))
	r.consume(len(b))
	return nil
}

// readSimple reads a simple packet block. It has no timestamp, so it gets
// the previous packet's; it belongs to the section's first interface, and
// its captured length is the least of the wire length, the interface's
// snap length and the room in the block.
func (r *Reader) readSimple(p *Packet) error {
	b, err := r.block(blockSimplePacket, minSimplePacketLen)
	if err != nil {
		return err
	}
	ifc, err := r.packetIface(blockSimplePacket, 0)
	if err != nil {
		return err
	}
	wire := r.u32(b[8:])
	caplen := min(wire, uint32(len(b)-minSimplePacketLen))
	if ifc.snaplen != 0 {
		caplen = min(caplen, ifc.snaplen)
	}
	if caplen > maxCaptureLen {
		return r.fail(ErrCorrupt, "%s holds %d captured bytes, more than the %d any capture tool writes", blockName(blockSimplePacket), caplen, maxCaptureLen)
	}
	end := 12 + int(caplen)
	r.deliver(p, b[12:end:end], wire, ifc, 0)
	r.consume(len(b))
	return nil
}

// deliver fills p with a pcapng packet stamped r.lastTS.
func (r *Reader) deliver(p *Packet, data []byte, wire uint32, ifc *iface, id int) {
	r.number++
	*p = Packet{
		Data:      data,
		Timestamp: r.lastTS,
		WireLen:   max(int(wire), len(data)),
		LinkType:  ifc.linkType,
		Interface: id,
		Number:    r.number,
	}
}
