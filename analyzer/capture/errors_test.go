package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// put32 returns a copy of b with the 32-bit little-endian field at off set
// to v.
func put32(b []byte, off int, v uint32) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

// cat joins byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// Layout of the pcap file the error cases damage: a 24-byte header and
// three records of 16 + 60 bytes, at 24, 100 and 176; it ends at 252.
func threePcap() []byte {
	f := pcapFile{magic: 0xa1b2c3d4, linkType: 1}
	for i := range 3 {
		f.recs = append(f.recs, pcapRec{uint32(i), 0, frame(60, byte(i)), 60})
	}
	return f.bytes()
}

// Layout of the pcapng file the error cases damage: a 28-byte section
// header, a 20-byte interface at 28 and three enhanced packet blocks of 92
// bytes at 48, 140 and 232; it ends at 324.
func threePcapng() []byte {
	var w ngFile
	w.section(false).iface(1, 0)
	for i := range 3 {
		w.epb(0, uint64(i), frame(60, byte(i)), 60)
	}
	return w.b
}

// unknownBlock returns a little-endian block of type 0xbad, n bytes long.
func unknownBlock(n int) []byte {
	var w ngFile
	w.o = binary.LittleEndian
	return w.block(0xbad, make([]byte, n-12)).b
}

func TestErrors(t *testing.T) {
	errBoom := errors.New("boom")
	pc, ng := threePcap(), threePcapng()
	gz := gzipped(t, pc)
	var spbOnly, badIDBOption, badResol ngFile
	spbOnly.section(false).spb(frame(10, 1), 10)
	badIDBOption.section(false).iface(1, 0, tsresol(6))
	binary.LittleEndian.PutUint16(badIDBOption.b[28+16+2:], 200) // the option's length
	badResol.section(false).iface(1, 0, tsresol(20))
	hugeEPB := new(ngFile).section(false).iface(1, 0).epb(0, 0, make([]byte, 300000), 300000).b
	modified := pcapFile{magic: 0xa1b2cd34, linkType: 1, recs: []pcapRec{{1, 2, frame(10, 0), 10}}}.bytes()

	tests := []struct {
		name    string
		in      []byte
		src     io.Reader // read instead of in when set
		packets int       // delivered before the error
		kind    error     // what errors.Is must find
		msg     string
	}{
		// Not a capture at all.
		{name: "empty", in: nil, kind: ErrEmpty,
			msg: "t.pcap: byte 0: empty file"},
		{name: "gzip-of-nothing", in: gzipped(t, nil), kind: ErrEmpty,
			msg: "t.pcap: byte 0: empty file: nothing inside the gzip stream"},
		{name: "pdf", in: []byte("%PDF-1.7\n"), kind: ErrNotCapture,
			msg: "t.pcap: byte 0: not a pcap or pcapng file (starts with 25 50 44 46: PDF?)"},
		{name: "text", in: []byte("hello, world"), kind: ErrNotCapture,
			msg: "t.pcap: byte 0: not a pcap or pcapng file (starts with 68 65 6c 6c: text?)"},
		{name: "binary", in: []byte{0, 1, 2, 3, 4, 5}, kind: ErrNotCapture,
			msg: "t.pcap: byte 0: not a pcap or pcapng file (starts with 00 01 02 03)"},
		{name: "one-byte", in: []byte{0}, kind: ErrNotCapture,
			msg: "t.pcap: byte 0: not a pcap or pcapng file (starts with 00)"},
		{name: "gzip-of-zip", in: gzipped(t, []byte("PK\x03\x04rest")), kind: ErrNotCapture,
			msg: "t.pcap: byte 0: not a pcap or pcapng file (gzip content starts with 50 4b 03 04: zip?)"},

		// pcap.
		{name: "pcap-magic-cut", in: pc[:2], kind: ErrTruncated,
			msg: "t.pcap: byte 0: truncated file: file header has 2 bytes"},
		{name: "pcap-header-cut", in: pc[:20], kind: ErrTruncated,
			msg: "t.pcap: byte 0: truncated file: file header has 20 of 24 bytes"},
		{name: "pcap-version", in: put32(pc, 4, 1|4<<16), kind: ErrCorrupt,
			msg: "t.pcap: byte 0: corrupt file: pcap version 1.4 is not supported"},
		{name: "pcap-record-header-cut", in: pc[:100+7], packets: 1, kind: ErrTruncated,
			msg: "t.pcap: packet 2 at byte 100: truncated file: record header has 7 of 16 bytes"},
		{name: "pcap-record-data-cut", in: pc[:176+16+10], packets: 2, kind: ErrTruncated,
			msg: "t.pcap: packet 3 at byte 176: truncated file: packet data has 10 of 60 bytes"},
		{name: "pcap-record-data-missing", in: pc[:176+16], packets: 2, kind: ErrTruncated,
			msg: "t.pcap: packet 3 at byte 176: truncated file: packet data has 0 of 60 bytes"},
		{name: "pcap-caplen-huge", in: put32(pc, 100+8, 1<<20), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 100: corrupt file: record claims 1048576 captured bytes, more than the 262144 any capture tool writes"},
		{name: "pcap-modified-record-cut", in: modified[:24+20], kind: ErrTruncated,
			msg: "t.pcap: packet 1 at byte 24: truncated file: record header has 20 of 24 bytes"},

		// gzip.
		{name: "gzip-header-cut", in: gz[:2], kind: ErrTruncated,
			msg: "t.pcap: byte 0: truncated file: gzip stream ends early"},
		{name: "gzip-trailer-cut", in: gz[:len(gz)-4], packets: 3, kind: ErrTruncated,
			msg: "t.pcap: packet 4 at byte 252: truncated file: gzip stream ends early"},
		{name: "gzip-checksum", in: put32(gz, len(gz)-8, 0), packets: 3, kind: ErrCorrupt,
			msg: "t.pcap: packet 4 at byte 252: corrupt file: gzip: invalid checksum"},

		// pcapng.
		{name: "shb-cut", in: ng[:10], kind: ErrTruncated,
			msg: "t.pcap: byte 0: truncated file: section header block has 10 of 28 bytes"},
		{name: "shb-byte-order", in: put32(ng, 8, 0x04030201), kind: ErrCorrupt,
			msg: "t.pcap: byte 0: corrupt file: section header block has byte-order magic 01 02 03 04"},
		{name: "shb-version", in: put32(ng, 12, 2), kind: ErrCorrupt,
			msg: "t.pcap: byte 0: corrupt file: pcapng version 2.0 is not supported"},
		{name: "shb-length-odd", in: put32(ng, 4, 30), kind: ErrCorrupt,
			msg: "t.pcap: byte 0: corrupt file: section header block length 30 is not a multiple of 4"},
		{name: "shb-length-short", in: put32(ng, 4, 24), kind: ErrCorrupt,
			msg: "t.pcap: byte 0: corrupt file: section header block length 24 is below the minimum of 28"},
		{name: "idb-option-overrun", in: badIDBOption.b, kind: ErrCorrupt,
			msg: "t.pcap: byte 28: corrupt file: interface description block option 9 of 200 bytes runs past the block's end"},
		{name: "idb-resolution", in: badResol.b, kind: ErrCorrupt,
			msg: "t.pcap: byte 28: corrupt file: interface description block: if_tsresol 10^-20 is finer than this reader handles"},
		{name: "idb-cut", in: ng[:28+10], kind: ErrTruncated,
			msg: "t.pcap: byte 28: truncated file: interface description block has 10 of 20 bytes"},
		{name: "idb-after-packet", in: cat(ng[:140], badResol.b[28:]), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: interface description block: if_tsresol 10^-20 is finer than this reader handles"},
		{name: "block-header-cut", in: ng[:140+5], packets: 1, kind: ErrTruncated,
			msg: "t.pcap: packet 2 at byte 140: truncated file: block header has 5 of 8 bytes"},
		{name: "epb-cut", in: ng[:140+50], packets: 1, kind: ErrTruncated,
			msg: "t.pcap: packet 2 at byte 140: truncated file: enhanced packet block has 50 of 92 bytes"},
		{name: "epb-length-short", in: put32(ng, 140+4, 28), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: enhanced packet block length 28 is below the minimum of 32"},
		{name: "epb-length-huge", in: put32(ng, 140+4, 1<<31), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: enhanced packet block length 2147483648 is above the 16777216 this reader accepts"},
		{name: "epb-trailer", in: put32(ng, 232-4, 96), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: enhanced packet block length is 92 at the start but 96 at the end"},
		{name: "epb-caplen-past-block", in: put32(ng, 140+20, 61), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: enhanced packet block claims 61 captured bytes, more than its length of 92 holds"},
		{name: "epb-caplen-huge", in: hugeEPB, kind: ErrCorrupt,
			msg: "t.pcap: packet 1 at byte 48: corrupt file: enhanced packet block claims 300000 captured bytes, more than the 262144 any capture tool writes"},
		{name: "epb-undeclared-interface", in: put32(ng, 140+8, 1), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: enhanced packet block names interface 1, but the section declares 1"},
		{name: "spb-without-interface", in: spbOnly.b, kind: ErrCorrupt,
			msg: "t.pcap: packet 1 at byte 28: corrupt file: simple packet block names interface 0, but the section declares 0"},
		{name: "skipped-block-cut", in: cat(ng[:140], unknownBlock(1000)[:500]), packets: 1, kind: ErrTruncated,
			msg: "t.pcap: packet 2 at byte 140: truncated file: block of type 0x00000bad has 500 of 1000 bytes"},
		{name: "skipped-block-trailer-cut", in: cat(ng[:140], unknownBlock(1000)[:998]), packets: 1, kind: ErrTruncated,
			msg: "t.pcap: packet 2 at byte 140: truncated file: block of type 0x00000bad has 998 of 1000 bytes"},
		{name: "skipped-block-trailer", in: cat(ng[:140], put32(unknownBlock(1000), 996, 1004), ng[140:]), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: block of type 0x00000bad length is 1000 at the start but 1004 at the end"},
		{name: "skipped-block-length-odd", in: cat(ng[:140], put32(unknownBlock(1000), 4, 999)), packets: 1, kind: ErrCorrupt,
			msg: "t.pcap: packet 2 at byte 140: corrupt file: block of type 0x00000bad length 999 is not a multiple of 4"},
		{name: "second-section-byte-order", in: cat(ng, put32(threePcapng()[:28], 8, 0)), packets: 3, kind: ErrCorrupt,
			msg: "t.pcap: packet 4 at byte 324: corrupt file: section header block has byte-order magic 00 00 00 00"},
		{name: "second-section-forgets-interfaces", in: cat(ng, ng[:28], ng[48:140]), packets: 3, kind: ErrCorrupt,
			msg: "t.pcap: packet 4 at byte 352: corrupt file: enhanced packet block names interface 0, but the section declares 0"},
		{name: "second-section-cut", in: cat(ng, ng[:20]), packets: 3, kind: ErrTruncated,
			msg: "t.pcap: packet 4 at byte 324: truncated file: section header block has 20 of 28 bytes"},

		// Read errors pass through, with where they happened.
		{name: "read-error-in-header", src: io.MultiReader(bytes.NewReader(pc[:10]), iotest.ErrReader(errBoom)), kind: errBoom,
			msg: "t.pcap: byte 0: boom"},
		{name: "read-error-in-packet", src: io.MultiReader(bytes.NewReader(pc[:150]), iotest.ErrReader(errBoom)), packets: 1, kind: errBoom,
			msg: "t.pcap: packet 2 at byte 100: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == nil {
				src = bytes.NewReader(tt.in)
			}
			var got []Packet
			r, err := NewReader(src, "t.pcap")
			if err == nil {
				got, err = readAll(r)
			}
			if len(got) != tt.packets {
				t.Errorf("delivered %d packets before the error, want %d", len(got), tt.packets)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.msg)
			}
			if err.Error() != tt.msg {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.msg)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.kind)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is a %T, want *Error", err)
			}
			if r != nil {
				var p Packet
				if again := r.Next(&p); again != err {
					t.Errorf("Next after the error = %v, want the same error", again)
				}
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"header", &Error{File: "a.pcap", Offset: 0, Err: ErrEmpty}, "a.pcap: byte 0: empty file"},
		{"packet", &Error{File: "a.pcap", Packet: 7, Offset: 1234, Err: ErrTruncated}, "a.pcap: packet 7 at byte 1234: truncated file"},
		{"name-with-newline", &Error{File: "a\nb", Packet: 1, Offset: 24, Err: ErrCorrupt}, `"a\nb": packet 1 at byte 24: corrupt file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
