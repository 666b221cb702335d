package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// This file builds capture files byte by byte for the tests, in either
// byte order, including what common writers never produce (simple and
// obsolete packet blocks, big-endian sections, damaged lengths).

// byteOrder encodes the fields of a test file.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// order returns the byte order named by big.
func order(big bool) byteOrder {
	if big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// pcapFile describes a pcap file to build.
type pcapFile struct {
	magic    uint32 // 0xa1b2c3d4, 0xa1b23c4d or 0xa1b2cd34
	big      bool
	linkType uint32
	recs     []pcapRec
}

// pcapRec is one record of a pcapFile.
type pcapRec struct {
	sec, frac uint32
	data      []byte
	wire      uint32
}

// bytes encodes the file.
func (f pcapFile) bytes() []byte {
	o := order(f.big)
	b := o.AppendUint32(nil, f.magic)
	b = o.AppendUint16(b, 2)
	b = o.AppendUint16(b, 4)
	b = o.AppendUint32(b, 0)     // thiszone
	b = o.AppendUint32(b, 0)     // sigfigs
	b = o.AppendUint32(b, 65535) // snaplen
	b = o.AppendUint32(b, f.linkType)
	for _, r := range f.recs {
		b = o.AppendUint32(b, r.sec)
		b = o.AppendUint32(b, r.frac)
		b = o.AppendUint32(b, uint32(len(r.data)))
		b = o.AppendUint32(b, r.wire)
		if f.magic == 0xa1b2cd34 {
			b = o.AppendUint32(b, 2)      // ifindex
			b = o.AppendUint16(b, 0x0800) // protocol
			b = append(b, 0, 0)           // packet type, padding
		}
		b = append(b, r.data...)
	}
	return b
}

// ngFile builds a pcapng file block by block.
type ngFile struct {
	o byteOrder
	b []byte
}

// ngOpt is one option of a block.
type ngOpt struct {
	code uint16
	val  []byte
}

// section starts a section in the given byte order.
func (f *ngFile) section(big bool, opts ...ngOpt) *ngFile {
	f.o = order(big)
	body := f.o.AppendUint32(nil, 0x1a2b3c4d)
	body = f.o.AppendUint16(body, 1)
	body = f.o.AppendUint16(body, 0)
	body = f.o.AppendUint64(body, ^uint64(0)) // section length unknown
	return f.block(blockSectionHeader, f.options(body, opts))
}

// iface adds an interface description block.
func (f *ngFile) iface(linkType uint16, snaplen uint32, opts ...ngOpt) *ngFile {
	body := f.o.AppendUint16(nil, linkType)
	body = f.o.AppendUint16(body, 0)
	body = f.o.AppendUint32(body, snaplen)
	return f.block(blockInterface, f.options(body, opts))
}

// epb adds an enhanced packet block.
func (f *ngFile) epb(id uint32, ts uint64, data []byte, wire uint32, opts ...ngOpt) *ngFile {
	body := f.o.AppendUint32(nil, id)
	body = f.o.AppendUint32(body, uint32(ts>>32))
	body = f.o.AppendUint32(body, uint32(ts))
	body = f.o.AppendUint32(body, uint32(len(data)))
	body = f.o.AppendUint32(body, wire)
	body = pad(append(body, data...))
	return f.block(blockEnhanced, f.options(body, opts))
}

// pb adds an obsolete packet block.
func (f *ngFile) pb(id uint16, ts uint64, data []byte, wire uint32) *ngFile {
	body := f.o.AppendUint16(nil, id)
	body = f.o.AppendUint16(body, 0) // drops
	body = f.o.AppendUint32(body, uint32(ts>>32))
	body = f.o.AppendUint32(body, uint32(ts))
	body = f.o.AppendUint32(body, uint32(len(data)))
	body = f.o.AppendUint32(body, wire)
	return f.block(blockPacket, pad(append(body, data...)))
}

// spb adds a simple packet block.
func (f *ngFile) spb(data []byte, wire uint32) *ngFile {
	body := f.o.AppendUint32(nil, wire)
	return f.block(blockSimplePacket, pad(append(body, data...)))
}

// block adds a block of any type around body, which must be padded.
func (f *ngFile) block(typ uint32, body []byte) *ngFile {
	n := uint32(12 + len(body))
	f.b = f.o.AppendUint32(f.b, typ)
	f.b = f.o.AppendUint32(f.b, n)
	f.b = append(f.b, body...)
	f.b = f.o.AppendUint32(f.b, n)
	return f
}

// options appends opts and the end-of-options marker to body.
func (f *ngFile) options(body []byte, opts []ngOpt) []byte {
	if len(opts) == 0 {
		return body
	}
	for _, o := range opts {
		body = f.o.AppendUint16(body, o.code)
		body = f.o.AppendUint16(body, uint16(len(o.val)))
		body = pad(append(body, o.val...))
	}
	return append(body, 0, 0, 0, 0)
}

// tsresol returns an if_tsresol option.
func tsresol(v byte) ngOpt { return ngOpt{optTSResol, []byte{v}} }

// tsoffset returns an if_tsoffset option in the file's current byte order.
func (f *ngFile) tsoffset(sec int64) ngOpt {
	return ngOpt{optTSOffset, f.o.AppendUint64(nil, uint64(sec))}
}

// pad pads b with zeros to a multiple of 4 bytes.
func pad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// gzipped compresses b.
func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// frame returns n bytes that differ with seed, standing in for a frame.
func frame(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

// readAll reads r to its end, copying each packet's data, and returns the
// packets and the error that ended the reading (nil at io.EOF).
func readAll(r *Reader) ([]Packet, error) {
	var pkts []Packet
	for {
		var p Packet
		err := r.Next(&p)
		if err == io.EOF { // not wrapped: callers compare with ==
			return pkts, nil
		}
		if err != nil {
			return pkts, err
		}
		p.Data = bytes.Clone(p.Data)
		pkts = append(pkts, p)
	}
}

// pkt returns the Packet wanted in a test.
func pkt(n int64, ts int64, data []byte, wire int, lt decoders.LinkType, ifc int) Packet {
	return Packet{Data: data, Timestamp: ts, WireLen: wire, LinkType: lt, Interface: ifc, Number: n}
}
