package capture

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// maxSeedLen caps the seeds taken from real captures: their first dozens
// of packets show every structure the file has, and short inputs keep
// each run, and the minimizing of each new interesting input, fast.
const maxSeedLen = 4 << 10

// minPacketBytes is the fewest bytes any packet record takes (a pcap
// record header), so a file of n bytes holds fewer than n/minPacketBytes+1
// packets.
const minPacketBytes = 12

// FuzzReader reads arbitrary files. It must never panic, never hand out
// more data than the wire length, number packets 1, 2, 3…, end within as
// many packets as the bytes allow, fail only with the package's errors,
// and read back the same packets after writing them out again.
func FuzzReader(f *testing.F) {
	if _, err := os.Stat(capturesDir); err == nil {
		err := filepath.WalkDir(capturesDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || (filepath.Ext(path) != ".pcap" && filepath.Ext(path) != ".pcapng") {
				return err
			}
			b, err := os.ReadFile(path)
			f.Add(b[:min(len(b), maxSeedLen)])
			return err
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	sections, _ := twoSections()
	modified := pcapFile{magic: 0xa1b2cd34, big: true, linkType: 1, recs: []pcapRec{{1, 2, frame(10, 0), 10}}}.bytes()
	nanos := pcapFile{magic: 0xa1b23c4d, linkType: 101, recs: []pcapRec{{1, 2, frame(10, 0), 100}}}.bytes()
	for _, b := range [][]byte{threePcap(), threePcapng(), sections, modified, nanos, gzipped(f, threePcap()), gzipped(f, sections)} {
		f.Add(b)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			checkError(t, err, 0)
			return
		}
		limit := len(data)/minPacketBytes + 1
		if r.gz != nil {
			limit *= 1032 // deflate's best ratio
		}
		var pkts []Packet
		for {
			var p Packet
			err := r.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				checkError(t, err, int64(len(pkts))+1)
				if again := r.Next(&p); again != err {
					t.Fatalf("Next after %v returned %v", err, again)
				}
				return
			}
			if len(pkts) == limit {
				t.Fatalf("more than %d packets from %d bytes", limit, len(data))
			}
			if len(p.Data) > p.WireLen || p.Number != int64(len(pkts))+1 || !slices.Contains(r.LinkTypes(), p.LinkType) {
				t.Fatalf("packet %d: Number %d, %d bytes of %d, link type %d of %v", len(pkts)+1, p.Number, len(p.Data), p.WireLen, p.LinkType, r.LinkTypes())
			}
			p.Data = bytes.Clone(p.Data)
			pkts = append(pkts, p)
		}
		roundTrip(t, pkts)
	})
}

// checkError fails the test unless err is an *Error for the given packet
// wrapping one of the package's sentinels: reading from memory has no
// other way to fail.
func checkError(t *testing.T, err error, packet int64) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is a %T, not an *Error", err, err)
	}
	if e.Packet != packet {
		t.Fatalf("error %v names packet %d, want %d", err, e.Packet, packet)
	}
	for _, kind := range []error{ErrNotCapture, ErrEmpty, ErrTruncated, ErrCorrupt} {
		if errors.Is(err, kind) {
			return
		}
	}
	t.Fatalf("error %v wraps none of the package's sentinels", err)
}

// roundTrip writes pkts to a pcapng file, one nanosecond interface per
// link type, reads them back and wants them unchanged.
func roundTrip(t *testing.T, pkts []Packet) {
	t.Helper()
	var w ngFile
	w.section(false)
	var links []decoders.LinkType
	want := slices.Clone(pkts)
	for i, p := range pkts {
		id := slices.Index(links, p.LinkType)
		if id < 0 {
			id = len(links)
			links = append(links, p.LinkType)
			w.iface(uint16(p.LinkType), 0, tsresol(9))
		}
		w.epb(uint32(id), uint64(p.Timestamp), p.Data, uint32(p.WireLen))
		want[i].Interface = id
	}
	r, err := NewReader(bytes.NewReader(w.b), "round-trip")
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Fatalf("read back %d packets, wrote %d, or they differ", len(got), len(want))
	}
}
