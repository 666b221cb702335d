package capture

import (
	"encoding/binary"
	"io"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// maxCaptureLen bounds one packet's captured length. tcpdump and dumpcap
// never capture more than 262144 bytes of a packet, and Wireshark refuses
// longer packets for every link type that carries IP; it allows more only
// for USB, D-Bus and EBHSCR, which lyncaudit does not decode. A longer
// length is damage, and saying so at that record beats reading garbage as
// packets.
const maxCaptureLen = 262144

// pcapFileHeaderLen is the length of the pcap file header.
const pcapFileHeaderLen = 24

// pcapFormat is what a pcap magic number says about the file.
type pcapFormat struct {
	name      string
	big       bool
	nanos     bool // the fraction field counts nanoseconds, not microseconds
	recHdrLen int
}

// pcapFormats maps the magic numbers, as the file's first four bytes, to
// their formats.
var pcapFormats = map[[4]byte]pcapFormat{
	{0xd4, 0xc3, 0xb2, 0xa1}: {"pcap", false, false, 16},
	{0xa1, 0xb2, 0xc3, 0xd4}: {"pcap", true, false, 16},
	{0x4d, 0x3c, 0xb2, 0xa1}: {"pcap-ns", false, true, 16},
	{0xa1, 0xb2, 0x3c, 0x4d}: {"pcap-ns", true, true, 16},
	// The modified format adds the interface index, protocol and packet
	// type (8 bytes) to each record header.
	{0x34, 0xcd, 0xb2, 0xa1}: {"pcap-modified", false, false, 24},
	{0xa1, 0xb2, 0xcd, 0x34}: {"pcap-modified", true, false, 24},
}

// readPcapHeader reads the pcap file header.
func (r *Reader) readPcapHeader(f pcapFormat) error {
	r.format = f.name
	r.big = f.big
	r.pcapHdrLen = f.recHdrLen
	r.pcapFrac = 1000
	if f.nanos {
		r.pcapFrac = 1
	}
	have, err := r.fill(pcapFileHeaderLen)
	if have < pcapFileHeaderLen {
		return r.cut(err, "file header", int64(have), pcapFileHeaderLen)
	}
	h := r.buf[r.start : r.start+pcapFileHeaderLen]
	major, minor := r.u16(h[4:]), r.u16(h[6:])
	if major != 2 {
		return r.fail(ErrCorrupt, "pcap version %d.%d is not supported", major, minor)
	}
	// The upper 16 bits of the link type field say whether frames end in
	// an FCS and how long it is; the link type is the lower 16.
	r.pcapLinkType = decoders.LinkType(r.u32(h[20:]) & 0xffff)
	r.linkTypes = []decoders.LinkType{r.pcapLinkType}
	r.consume(pcapFileHeaderLen)
	return nil
}

// nextPcap reads one pcap record.
func (r *Reader) nextPcap(p *Packet) error {
	r.recPos = r.pos
	hl := r.pcapHdrLen
	have, err := r.fill(hl)
	if have < hl {
		if have == 0 && err == io.EOF {
			return io.EOF
		}
		return r.cut(err, "record header", int64(have), int64(hl))
	}
	h := r.buf[r.start : r.start+hl]
	sec, frac := r.u32(h[0:]), r.u32(h[4:])
	caplen, wire := r.u32(h[8:]), r.u32(h[12:])
	if caplen > maxCaptureLen {
		return r.fail(ErrCorrupt, "record claims %d captured bytes, more than the %d any capture tool writes", caplen, maxCaptureLen)
	}
	n := hl + int(caplen)
	if have, err = r.fill(n); have < n {
		return r.cut(err, "packet data", int64(have-hl), int64(caplen))
	}
	// The full slice expression keeps an append to Data from overwriting
	// the next record.
	data := r.buf[r.start+hl : r.start+n : r.start+n]
	r.number++
	*p = Packet{
		Data:      data,
		Timestamp: int64(sec)*1e9 + int64(frac)*r.pcapFrac,
		WireLen:   max(int(wire), len(data)), // some writers put 0 or less than caplen
		LinkType:  r.pcapLinkType,
		Number:    r.number,
	}
	r.consume(n)
	return nil
}

// u16 decodes a 16-bit field in the file's or section's byte order.
func (r *Reader) u16(b []byte) uint16 {
	if r.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

// u32 decodes a 32-bit field in the file's or section's byte order.
func (r *Reader) u32(b []byte) uint32 {
	if r.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// u64 decodes a 64-bit field in the file's or section's byte order.
func (r *Reader) u64(b []byte) uint64 {
	if r.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}
