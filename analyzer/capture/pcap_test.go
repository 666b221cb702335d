package capture

import (
	"bytes"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// readVariants reads data through each way a capture can arrive: in
// memory, as a stream of unknown size, one byte per read, and compressed.
// Each must give the same packets.
func readVariants(t *testing.T, data []byte, wantFormat string, wantLinks []decoders.LinkType, want []Packet) {
	t.Helper()
	variants := []struct {
		name   string
		src    io.Reader
		format string
	}{
		{"memory", bytes.NewReader(data), wantFormat},
		{"stream", struct{ io.Reader }{bytes.NewReader(data)}, wantFormat},
		{"one-byte", iotest.OneByteReader(bytes.NewReader(data)), wantFormat},
		{"gzip", bytes.NewReader(gzipped(t, data)), wantFormat + " (gzip)"},
		{"gzip-half", iotest.HalfReader(bytes.NewReader(gzipped(t, data))), wantFormat + " (gzip)"},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			r, err := NewReader(v.src, "test.pcap")
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("packets:\n got %+v\nwant %+v", got, want)
			}
			if f := r.Format(); f != v.format {
				t.Errorf("Format() = %q, want %q", f, v.format)
			}
			if lt := r.LinkTypes(); !reflect.DeepEqual(lt, wantLinks) {
				t.Errorf("LinkTypes() = %v, want %v", lt, wantLinks)
			}
			var p Packet
			if err := r.Next(&p); err != io.EOF {
				t.Errorf("Next after the end = %v, want io.EOF", err)
			}
		})
	}
}

func TestPcap(t *testing.T) {
	const sec = 1700000000
	small, cut, zero := frame(60, 1), frame(100, 2), frame(42, 3)
	tests := []struct {
		name     string
		magic    uint32
		big      bool
		linkType uint32
		format   string
		fracs    [3]uint32 // the records' fraction fields
		nsPer    int64     // nanoseconds per fraction unit
		wantLink decoders.LinkType
	}{
		{"little-endian-usec", 0xa1b2c3d4, false, 1, "pcap", [3]uint32{123456, 999999, 0}, 1000, layers.LinkTypeEthernet},
		{"big-endian-usec", 0xa1b2c3d4, true, 1, "pcap", [3]uint32{123456, 999999, 0}, 1000, layers.LinkTypeEthernet},
		{"little-endian-nsec", 0xa1b23c4d, false, 276, "pcap-ns", [3]uint32{123456789, 999999999, 1}, 1, layers.LinkTypeLinuxSLL2},
		{"big-endian-nsec", 0xa1b23c4d, true, 101, "pcap-ns", [3]uint32{123456789, 999999999, 1}, 1, layers.LinkTypeRaw},
		// Bit 28 and the FCS length in bits 29-31 say frames end in a
		// 4-byte FCS; the link type is still Ethernet.
		{"fcs-bits", 0xa1b2c3d4, false, 0x1<<28 | 0x2<<29 | 1, "pcap", [3]uint32{1, 2, 3}, 1000, layers.LinkTypeEthernet},
		{"modified-little-endian", 0xa1b2cd34, false, 1, "pcap-modified", [3]uint32{5, 6, 7}, 1000, layers.LinkTypeEthernet},
		{"modified-big-endian", 0xa1b2cd34, true, 1, "pcap-modified", [3]uint32{5, 6, 7}, 1000, layers.LinkTypeEthernet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := pcapFile{magic: tt.magic, big: tt.big, linkType: tt.linkType, recs: []pcapRec{
				{sec, tt.fracs[0], small, 60},
				{sec + 1, tt.fracs[1], cut, 1514}, // cut by the snap length
				{sec + 2, tt.fracs[2], zero, 0},   // a writer that left the wire length out
			}}
			want := []Packet{
				pkt(1, sec*1e9+int64(tt.fracs[0])*tt.nsPer, small, 60, tt.wantLink, 0),
				pkt(2, (sec+1)*1e9+int64(tt.fracs[1])*tt.nsPer, cut, 1514, tt.wantLink, 0),
				pkt(3, (sec+2)*1e9+int64(tt.fracs[2])*tt.nsPer, zero, 42, tt.wantLink, 0),
			}
			readVariants(t, f.bytes(), tt.format, []decoders.LinkType{tt.wantLink}, want)
		})
	}
}

// TestPcapgoWriter reads what another implementation writes.
func TestPcapgoWriter(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	data := [][]byte{frame(54, 7), frame(1514, 8), frame(0, 0)}
	tests := []struct {
		name   string
		nanos  bool
		format string
		trunc  time.Duration // what the format keeps of the timestamp
	}{
		{"usec", false, "pcap", time.Microsecond},
		{"nsec", true, "pcap-ns", time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := pcapgo.NewWriter(&buf)
			if tt.nanos {
				w = pcapgo.NewWriterNanos(&buf)
			}
			if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
				t.Fatal(err)
			}
			var want []Packet
			for i, d := range data {
				at := ts.Add(time.Duration(i) * time.Second)
				ci := gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(d), Length: len(d) + i}
				if err := w.WritePacket(ci, d); err != nil {
					t.Fatal(err)
				}
				want = append(want, pkt(int64(i+1), at.Truncate(tt.trunc).UnixNano(), d, len(d)+i, layers.LinkTypeEthernet, 0))
			}
			readVariants(t, buf.Bytes(), tt.format, []decoders.LinkType{layers.LinkTypeEthernet}, want)
		})
	}
}

// TestBufferGrowth reads records larger than the read buffer and records
// that straddle its end, from a stream whose size is unknown.
func TestBufferGrowth(t *testing.T) {
	const n = 12
	f := pcapFile{magic: 0xa1b2c3d4, linkType: 1}
	var want []Packet
	for i := range n {
		d := frame(maxCaptureLen-i*1000, byte(i)) // 12 × ~256 KiB crosses the 1 MiB buffer thrice
		f.recs = append(f.recs, pcapRec{uint32(i), 0, d, uint32(len(d))})
		want = append(want, pkt(int64(i+1), int64(i)*1e9, d, len(d), 1, 0))
	}
	r, err := NewReader(struct{ io.Reader }{bytes.NewReader(f.bytes())}, "big.pcap")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d packets, want %d, or their contents differ", len(got), len(want))
	}
	if len(r.buf) != readBufSize {
		t.Errorf("buffer grew to %d bytes for records that fit in %d", len(r.buf), readBufSize)
	}

	// A pcapng block longer than the buffer (its options are) makes the
	// buffer grow, and still reads right.
	big := frame(3000, 9)
	comments := make([]ngOpt, 40) // 40 × 60 kB of comments: one 2.4 MB block
	for i := range comments {
		comments[i] = ngOpt{1, frame(60000, byte(i))}
	}
	g := new(ngFile).section(false).iface(1, 0).epb(0, 5, big, 3000, comments...)
	r, err = NewReader(struct{ io.Reader }{bytes.NewReader(g.b)}, "big.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	got, err = readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if wantOne := []Packet{pkt(1, 5000, big, 3000, 1, 0)}; !reflect.DeepEqual(got, wantOne) {
		t.Errorf("got %+v", got)
	}
	if len(r.buf) <= readBufSize {
		t.Errorf("buffer is %d bytes after a block of %d", len(r.buf), len(g.b))
	}
}
