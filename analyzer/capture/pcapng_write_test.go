package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// written is what a pcapng stream holds, as a reader other than ours
// (gopacket's) sees it: the section comment, each packet's comments and
// the link type of each interface.
type written struct {
	section  string
	comments [][]string
	links    []decoders.LinkType
}

// readWritten reads b with pcapgo.NgReader.
func readWritten(t *testing.T, b []byte) written {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatalf("pcapgo cannot read the stream: %v", err)
	}
	var w written
	w.section = r.SectionInfo().Comment
	for {
		_, _, opts, err := r.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("pcapgo reading packet %d: %v", len(w.comments)+1, err)
		}
		w.comments = append(w.comments, opts.Comments)
	}
	for i := range r.NInterfaces() {
		ifc, err := r.Interface(i)
		if err != nil {
			t.Fatal(err)
		}
		w.links = append(w.links, ifc.LinkType)
	}
	return w
}

// writeAll writes pkts with comments through a Writer whose first
// interface has link type first.
func writeAll(t testing.TB, first decoders.LinkType, section string, pkts []Packet, comments []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, first, section)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pkts {
		if err := w.WritePacket(&pkts[i], comments[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriter writes packets and reads them back with this package's
// reader (bytes, times, lengths, link types) and with gopacket's (the
// comments and interfaces).
func TestWriter(t *testing.T) {
	long := strings.Repeat("é", maxCommentLen) // 2 bytes a character: must be cut
	tests := []struct {
		name      string
		first     decoders.LinkType
		section   string
		pkts      []Packet
		comments  []string
		wantLinks []decoders.LinkType // interfaces declared, in order
		wantNotes []string            // comments read back
	}{
		{
			name:      "no packets",
			first:     layers.LinkTypeEthernet,
			section:   "nothing to show",
			wantLinks: []decoders.LinkType{layers.LinkTypeEthernet},
		},
		{
			name:  "one link type, comments of every length padding needs",
			first: layers.LinkTypeEthernet,
			pkts: []Packet{
				pkt(1, 1_700_000_000_123_456_789, frame(60, 1), 60, layers.LinkTypeEthernet, 0),
				pkt(2, 1_700_000_000_123_456_790, frame(61, 2), 1514, layers.LinkTypeEthernet, 0),
				pkt(3, 1_700_000_001_000_000_000, frame(62, 3), 62, layers.LinkTypeEthernet, 0),
				pkt(4, 1_700_000_002_000_000_000, frame(63, 4), 63, layers.LinkTypeEthernet, 0),
			},
			comments:  []string{"a", "ab", "abc", "abcd"},
			wantLinks: []decoders.LinkType{layers.LinkTypeEthernet},
			wantNotes: []string{"a", "ab", "abc", "abcd"},
		},
		{
			name:  "a new link type adds an interface, the first stays unused",
			first: layers.LinkTypeLinuxSLL,
			pkts: []Packet{
				pkt(1, 1e18, frame(40, 9), 40, layers.LinkTypeRaw, 0),
				pkt(2, 1e18+1, frame(44, 8), 44, layers.LinkTypeNull, 0),
				pkt(3, 1e18+2, frame(48, 7), 48, layers.LinkTypeRaw, 0),
			},
			comments:  []string{"raw", "", "raw again"},
			wantLinks: []decoders.LinkType{layers.LinkTypeLinuxSLL, layers.LinkTypeRaw, layers.LinkTypeNull},
			wantNotes: []string{"raw", "", "raw again"},
		},
		{
			name:      "comments made valid UTF-8 and cut to what an option holds",
			first:     layers.LinkTypeEthernet,
			section:   "bad \xff byte",
			pkts:      []Packet{pkt(1, 5, frame(20, 0), 20, layers.LinkTypeEthernet, 0), pkt(2, 6, frame(20, 0), 20, layers.LinkTypeEthernet, 0)},
			comments:  []string{"bad \xff\xfe bytes", long},
			wantLinks: []decoders.LinkType{layers.LinkTypeEthernet},
			wantNotes: []string{"bad \uFFFD bytes", long[:maxCommentLen-1]},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := writeAll(t, tt.first, tt.section, tt.pkts, tt.comments)
			r, err := NewReader(bytes.NewReader(b), "written")
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tt.pkts)
			for i := range want {
				want[i].Interface = slices.Index(tt.wantLinks, want[i].LinkType)
			}
			if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
				t.Errorf("read back\n%+v\nwant\n%+v", got, want)
			}
			if !slices.Equal(r.LinkTypes(), tt.wantLinks) {
				t.Errorf("interfaces %v, want %v", r.LinkTypes(), tt.wantLinks)
			}
			ng := readWritten(t, b)
			if ng.section != fitComment(tt.section) {
				t.Errorf("section comment %q, want %q", ng.section, fitComment(tt.section))
			}
			if !slices.Equal(ng.links, tt.wantLinks) {
				t.Errorf("pcapgo sees interfaces %v, want %v", ng.links, tt.wantLinks)
			}
			if len(ng.comments) != len(tt.wantNotes) {
				t.Fatalf("pcapgo read %d packets, want %d", len(ng.comments), len(tt.wantNotes))
			}
			for i, note := range tt.wantNotes {
				var want []string
				if note != "" {
					want = []string{note}
				}
				if !slices.Equal(ng.comments[i], want) {
					t.Errorf("packet %d: comments %.40q, want %.40q", i+1, ng.comments[i], want)
				}
			}
		})
	}
}

func TestFitComment(t *testing.T) {
	tests := []struct {
		name, in string
		wantLen  int
	}{
		{"empty", "", 0},
		{"ascii", "lyncaudit: unexpected 3389/tcp", 30},
		{"invalid byte replaced", "a\xffb", 5},
		{"at the limit", strings.Repeat("x", maxCommentLen), maxCommentLen},
		{"over the limit", strings.Repeat("x", maxCommentLen+1), maxCommentLen},
		{"cut before a split character", strings.Repeat("x", maxCommentLen-1) + "€", maxCommentLen - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fitComment(tt.in)
			if len(got) != tt.wantLen || !utf8.ValidString(got) || !strings.HasPrefix(strings.ToValidUTF8(tt.in, "\uFFFD"), got) {
				t.Errorf("fitComment(%.20q…) = %d bytes (valid %v), want %d", tt.in, len(got), utf8.ValidString(got), tt.wantLen)
			}
		})
	}
}

// TestWriterRealCapture copies every packet of a real capture with two
// link types through a Writer, each commented with its number, and holds
// the copy against the original as this package and tshark read them.
func TestWriterRealCapture(t *testing.T) {
	realCaptures(t) // skips without them
	name := filepath.Join(capturesDir, "pcapplusplus", "many_interfaces-1.pcapng")
	r, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := readAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	comments := make([]string, len(pkts))
	for i := range pkts {
		comments[i] = "lyncaudit: packet " + strconv.Itoa(i+1) + " of " + filepath.Base(name)
	}
	b := writeAll(t, pkts[0].LinkType, "copy of "+filepath.Base(name), pkts, comments)
	back, err := readAll(mustReader(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(pkts) {
		t.Fatalf("read back %d packets, wrote %d", len(back), len(pkts))
	}
	var links []decoders.LinkType
	for i := range pkts {
		p, q := pkts[i], back[i]
		if !bytes.Equal(p.Data, q.Data) || p.Timestamp != q.Timestamp || p.WireLen != q.WireLen || p.LinkType != q.LinkType {
			t.Errorf("packet %d differs: %d bytes at %d of %d on link %d, read back %d bytes at %d of %d on link %d",
				i+1, len(p.Data), p.Timestamp, p.WireLen, p.LinkType, len(q.Data), q.Timestamp, q.WireLen, q.LinkType)
		}
		if !slices.Contains(links, p.LinkType) {
			links = append(links, p.LinkType)
		}
	}
	if len(links) < 2 {
		t.Errorf("the capture has link types %v; the test needs two", links)
	}
	if got := readWritten(t, b).links; !slices.Equal(got, links) {
		t.Errorf("interfaces %v, want one per link type %v", got, links)
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not on PATH")
	}
	file := filepath.Join(t.TempDir(), "copy.pcapng")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got := tsharkFields(t, file, "frame.comment", "frame.time_epoch", "frame.len", "frame.cap_len")
	var want []string
	for i, p := range pkts {
		want = append(want, strings.Join([]string{comments[i], epoch(p.Timestamp), strconv.Itoa(p.WireLen), strconv.Itoa(len(p.Data))}, "\t"))
	}
	if !slices.Equal(got, want) {
		t.Errorf("tshark reads\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWriterEmptyTshark checks that a stream without packets is a capture
// tshark opens, and shows empty.
func TestWriterEmptyTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not on PATH")
	}
	file := filepath.Join(t.TempDir(), "empty.pcapng")
	if err := os.WriteFile(file, writeAll(t, layers.LinkTypeEthernet, "empty", nil, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := tsharkFields(t, file, "frame.number"); len(got) != 0 {
		t.Errorf("tshark shows %q, want no packet", got)
	}
}

// tsharkFields returns tshark's lines of fields for each packet of file.
func tsharkFields(t *testing.T, file string, fields ...string) []string {
	t.Helper()
	args := []string{"-r", file, "-T", "fields"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command("tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.Bytes())
	}
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func mustReader(t *testing.T, b []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), "written")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// FuzzWriter writes one packet of any bytes, link type and comment, and
// wants this package and gopacket to read back the same packet and the
// comment as fitComment makes it.
func FuzzWriter(f *testing.F) {
	if _, err := os.Stat(capturesDir); err == nil {
		name := filepath.Join(capturesDir, "pcapplusplus", "many_interfaces-1.pcapng")
		if r, err := Open(name); err == nil {
			pkts, _ := readAll(r)
			r.Close()
			for _, p := range pkts[:min(len(pkts), 8)] {
				f.Add(p.Data, uint16(p.LinkType), "lyncaudit: unexpected 3389/tcp on 10.10.2.10 (director)")
			}
		}
	}
	f.Add([]byte{}, uint16(1), "")
	f.Add(frame(3, 0), uint16(101), "\xff")
	f.Fuzz(func(t *testing.T, data []byte, lt uint16, comment string) {
		if len(data) > maxCaptureLen {
			return
		}
		p := Packet{Data: data, Timestamp: 1_700_000_000_000_000_001, WireLen: len(data) + 4, LinkType: decoders.LinkType(lt), Number: 1}
		b := writeAll(t, layers.LinkTypeEthernet, comment, []Packet{p}, []string{comment})
		got, err := readAll(mustReader(t, b))
		if err != nil {
			t.Fatal(err)
		}
		p.Interface = 0
		if lt != uint16(layers.LinkTypeEthernet) {
			p.Interface = 1
		}
		if len(got) != 1 || !bytes.Equal(got[0].Data, p.Data) || got[0].Timestamp != p.Timestamp ||
			got[0].WireLen != p.WireLen || got[0].LinkType != p.LinkType || got[0].Interface != p.Interface {
			t.Fatalf("read back %+v, wrote %+v", got, p)
		}
		ng := readWritten(t, b)
		want := fitComment(comment)
		if ng.section != want || len(ng.comments) != 1 || (want == "") != (len(ng.comments[0]) == 0) ||
			(want != "" && ng.comments[0][0] != want) {
			t.Fatalf("comments %.40q and %.40q read back, want %.40q", ng.section, ng.comments, want)
		}
	})
}

// BenchmarkWriterPacket writes a commented 1514-byte packet.
func BenchmarkWriterPacket(b *testing.B) {
	w, err := NewWriter(io.Discard, layers.LinkTypeEthernet, "bench")
	if err != nil {
		b.Fatal(err)
	}
	p := pkt(1, 1_700_000_000_000_000_000, frame(1514, 0), 1514, layers.LinkTypeEthernet, 0)
	const note = "lyncaudit: unexpected 3389/tcp on 10.10.2.10 (director): the catalog lists no 3389/tcp for director"
	b.SetBytes(int64(len(p.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WritePacket(&p, note); err != nil {
			b.Fatal(err)
		}
	}
}
