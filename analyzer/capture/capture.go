// Package capture reads packet capture files: pcap (both byte orders,
// micro- and nanosecond timestamps, and the modified format of Alexey
// Kuznetsov's patches), pcapng (several sections, several interfaces each
// with its own link type, timestamp resolution and offset), either one
// gzip-compressed, from a file or from standard input.
//
// The format is told by the file's first bytes, never by its name:
//
//	d4 c3 b2 a1 / a1 b2 c3 d4   pcap, microseconds (little / big endian)
//	4d 3c b2 a1 / a1 b2 3c 4d   pcap, nanoseconds
//	34 cd b2 a1 / a1 b2 cd 34   pcap, modified format
//	0a 0d 0d 0a                 pcapng
//	1f 8b                       gzip, holding one of the above
//
// A Reader reads the file through one large buffer and hands out each
// packet's bytes as a slice of it, so that reading costs no allocation per
// packet:
//
//	r, err := capture.Open(name)
//	if err != nil {
//		return err
//	}
//	defer r.Close()
//	var p capture.Packet
//	for {
//		err := r.Next(&p)
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err // an *Error; the packets before it were good
//		}
//		use(p.Data)
//	}
package capture

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"slices"
	"syscall"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Packet is one captured frame.
type Packet struct {
	Data      []byte            // captured bytes; valid only until the next call to Next
	Timestamp int64             // nanoseconds since the Unix epoch
	WireLen   int               // length on the wire (>= len(Data))
	LinkType  decoders.LinkType // link layer of Data, from the file or its interface
	Interface int               // pcapng interface index within its section (0 for pcap)
	Number    int64             // 1-based packet number within this file
}

// Reader reads the packets of one capture file in order.
type Reader struct {
	name    string
	file    *os.File // opened by Open, closed by Close
	raw     countingReader
	gz      *gzip.Reader
	src     io.Reader // &raw, or gz over it
	mapped  []byte    // the whole file, when it is mapped into memory (buf is it)
	dropped int       // mapped bytes before it have been let go of
	size    int64
	format  string

	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	pos        int64 // offset in the capture of buf[start]
	srcErr     error // the source's error, once it has been returned

	recPos   int64 // offset of the record or block being read, for errors
	inHeader bool  // reading the file header: errors name no packet
	number   int64 // packets delivered so far
	err      error // Next's sticky result once it is not nil
	big      bool  // the file or section is big-endian

	linkTypes []decoders.LinkType

	// pcap
	pcapLinkType decoders.LinkType
	pcapHdrLen   int   // record header length: 16, or 24 in the modified format
	pcapFrac     int64 // nanoseconds per unit of the record's fraction field

	// pcapng
	pcapng bool
	ifaces []iface // interfaces of the current section
	lastTS int64   // timestamp of the last packet, for simple packet blocks
}

// Open opens the named capture file; "-" reads standard input. It reads
// the file header, so an empty file or one that is no capture fails here.
func Open(name string) (*Reader, error) {
	if name == "-" {
		return NewReader(os.Stdin, "standard input")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	}
	var r *Reader
	if m := mapFile(f, fi.Size()); m != nil && !(m[0] == 0x1f && m[1] == 0x8b) {
		r, err = newMappedReader(m, name)
	} else {
		if m != nil {
			unmapFile(m) // gzip: read through the decompressor
		}
		r, err = NewReader(f, name)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewReader reads a capture from src, which it does not close; name is
// what errors call it. It reads the file header, so an empty stream or one
// that is no capture fails here.
func NewReader(src io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, size: sizeOf(src), inHeader: true}
	r.raw.r = src

	var head [4]byte
	n, err := io.ReadFull(&r.raw, head[:])
	switch {
	case n == 0 && err == io.EOF:
		return nil, r.errorAt(ErrEmpty)
	case err != nil && err != io.ErrUnexpectedEOF:
		return nil, r.errorAt(err)
	}
	if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		if err := r.openGzip(head[:n]); err != nil {
			return nil, err
		}
	} else {
		r.src = &r.raw
		r.buf = make([]byte, bufSizeFor(r.size))
		r.end = copy(r.buf, head[:n])
	}
	if err := r.readFileHeader(); err != nil {
		return nil, err
	}
	r.inHeader = false
	return r, nil
}

// newMappedReader reads a capture held whole in memory: a mapped file.
func newMappedReader(m []byte, name string) (*Reader, error) {
	r := &Reader{name: name, size: int64(len(m)), inHeader: true, mapped: m, buf: m, end: len(m), srcErr: io.EOF}
	r.src = &r.raw
	if err := r.readFileHeader(); err != nil {
		unmapFile(m)
		return nil, err
	}
	r.inHeader = false
	return r, nil
}

// openGzip puts a gzip reader between the source, whose first bytes were
// head, and the read buffer.
func (r *Reader) openGzip(head []byte) error {
	gz, err := gzip.NewReader(io.MultiReader(bytes.NewReader(head), &r.raw))
	if err != nil {
		if gerr := r.gzipError(err); gerr != nil {
			return gerr
		}
		return r.errorAt(err)
	}
	r.gz = gz
	r.src = gz
	r.buf = make([]byte, readBufSize)
	return nil
}

// sizeOf returns the length of src when it is a regular file or an
// in-memory reader, and -1 otherwise.
func sizeOf(src io.Reader) int64 {
	switch s := src.(type) {
	case *os.File:
		if fi, err := s.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	case interface{ Size() int64 }:
		return s.Size()
	}
	return -1
}

// readFileHeader tells the format by the first bytes and reads the header.
func (r *Reader) readFileHeader() error {
	have, err := r.fill(4)
	if have == 0 && err == io.EOF {
		if r.gz != nil {
			return r.fail(ErrEmpty, "nothing inside the gzip stream")
		}
		return r.errorAt(ErrEmpty)
	}
	head := r.buf[r.start : r.start+have]
	if have == 4 && magicPcapng == [4]byte(head) {
		r.format = "pcapng"
		r.pcapng = true
		if err := r.readSectionHeader(); err != nil {
			return err
		}
		return r.readInterfaces()
	}
	if have == 4 {
		if f, ok := pcapFormats[[4]byte(head)]; ok {
			return r.readPcapHeader(f)
		}
	}
	if err != io.EOF && have < 4 {
		return r.readError(err)
	}
	if have < 4 && isMagicPrefix(head) {
		return r.fail(ErrTruncated, "file header has %d bytes", have)
	}
	return r.errorAt(notCapture(head, r.gz != nil))
}

// isMagicPrefix reports whether b begins one of the formats' magic numbers.
func isMagicPrefix(b []byte) bool {
	if slices.Equal(b, magicPcapng[:len(b)]) {
		return true
	}
	for m := range pcapFormats {
		if slices.Equal(b, m[:len(b)]) {
			return true
		}
	}
	return false
}

// Next reads the next packet into p. It returns io.EOF at the clean end of
// the file, and otherwise an *Error, after which it returns that same
// error again: the packets delivered before it were whole.
func (r *Reader) Next(p *Packet) error {
	if r.err != nil {
		return r.err
	}
	var err error
	if r.pcapng {
		err = r.nextPcapng(p)
	} else {
		err = r.nextPcap(p)
	}
	if err != nil {
		r.err = err
	}
	return err
}

// Close releases the file opened by Open. It does not close the reader
// given to NewReader.
func (r *Reader) Close() error {
	if r.mapped != nil {
		unmapFile(r.mapped)
		r.mapped, r.buf = nil, nil
	}
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	return err
}

// Name returns the name errors use: the one given to Open or NewReader,
// or "standard input".
func (r *Reader) Name() string { return r.name }

// Format returns "pcap", "pcap-ns", "pcap-modified" or "pcapng", with
// " (gzip)" appended when the file is compressed.
func (r *Reader) Format() string {
	if r.gz != nil {
		return r.format + " (gzip)"
	}
	return r.format
}

// LinkTypes returns the link types declared so far: the file's one for
// pcap; for pcapng, one for each interface description block read so far,
// in all sections, which after Open or NewReader are those that come
// before the first packet. It returns a copy.
func (r *Reader) LinkTypes() []decoders.LinkType { return slices.Clone(r.linkTypes) }

// Stable reports whether a packet's Data stays valid after the next call
// to Next, until Close: true when the file is mapped into memory, so that
// a packet can be handed to another goroutine without copying it.
func (r *Reader) Stable() bool { return r.mapped != nil }

// BytesRead returns how many bytes have been read from the file (the
// compressed bytes for a gzip file), for showing progress against Size.
func (r *Reader) BytesRead() int64 {
	if r.mapped != nil {
		return r.pos
	}
	return r.raw.n
}

// Size returns the file's size when it is known (a regular file or an
// in-memory reader), and -1 otherwise.
func (r *Reader) Size() int64 { return r.size }
