package capture

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Timestamps of the sections built by twoSections, in each interface's
// units.
const (
	sec0  = 1700000000
	usec  = sec0*1_000_000 + 123456        // interface 0: microseconds
	nsec  = sec0*1_000_000_000 + 123456789 // interface 1: nanoseconds, 100 s offset
	bin   = sec0<<20 | 1                   // interface 2: 2^-20 s, 1/1048576 s ≈ 953.67 ns
	msec  = (sec0+2)*1000 + 500            // section 2, interface 0: milliseconds, -10 s offset
	nsec2 = (sec0+3)*1_000_000_000 + 7     // section 2, interface 1: nanoseconds
)

// twoSections builds a pcapng file of a little-endian section with three
// interfaces of different link types and resolutions, followed by a
// big-endian section with two more, with every kind of packet block and
// blocks this package skips in between.
func twoSections() ([]byte, []Packet) {
	a, b, c, d, e, f, g := frame(60, 1), frame(20, 2), frame(40, 3), frame(33, 4), frame(64, 5), frame(30, 6), frame(70, 7)
	var w ngFile
	w.section(false, ngOpt{4, []byte("lyncaudit test")}) // shb_userappl
	w.iface(1, 64)
	w.iface(101, 0, tsresol(9), w.tsoffset(100), ngOpt{2, []byte("eth1")})
	w.iface(113, 0, tsresol(0x80|20))
	w.block(4, pad([]byte{0, 0, 0, 0}))                      // name resolution block, empty
	w.epb(0, usec, a, 60, ngOpt{1, []byte("a comment")})     // opt_comment
	w.epb(1, nsec, b, 1500)                                  // cut by the snap length
	w.block(5, w.o.AppendUint32(make([]byte, 12), 0))        // interface statistics block
	w.block(0x40000bad, pad([]byte("custom block payload"))) // custom, copiable
	w.epb(2, bin, c, 40)
	w.pb(1, nsec+1_000_000_000, d, 33) // obsolete packet block
	w.spb(e, 100)                      // 100 on the wire, 64 kept by interface 0
	w.spb(f, 30)                       // 30 bytes padded to 32 in the block
	w.section(true)
	w.iface(1, 0, tsresol(3), w.tsoffset(-10))
	w.iface(276, 0, tsresol(9))
	w.epb(1, nsec2, g, 70)
	w.epb(0, msec, a, 60)
	want := []Packet{
		pkt(1, usec*1000, a, 60, layers.LinkTypeEthernet, 0),
		pkt(2, nsec+100e9, b, 1500, layers.LinkTypeRaw, 1),
		pkt(3, sec0*1e9+953, c, 40, layers.LinkTypeLinuxSLL, 2),
		pkt(4, nsec+1e9+100e9, d, 33, layers.LinkTypeRaw, 1),
		pkt(5, nsec+1e9+100e9, e, 100, layers.LinkTypeEthernet, 0),
		pkt(6, nsec+1e9+100e9, f, 30, layers.LinkTypeEthernet, 0),
		pkt(7, nsec2, g, 70, layers.LinkTypeLinuxSLL2, 1),
		pkt(8, (sec0+2-10)*1e9+500e6, a, 60, layers.LinkTypeEthernet, 0),
	}
	return w.b, want
}

var twoSectionsLinks = []decoders.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL,
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2,
}

func TestPcapngSections(t *testing.T) {
	data, want := twoSections()
	readVariants(t, data, "pcapng", twoSectionsLinks, want)
}

// TestLinkTypesAtOpen checks that the interfaces declared before the first
// packet are known as soon as the file is open.
func TestLinkTypesAtOpen(t *testing.T) {
	sections, _ := twoSections()
	var late ngFile
	late.section(false).block(4, make([]byte, 4)).iface(113, 0).epb(0, 0, nil, 0).iface(1, 0)
	tests := []struct {
		name string
		data []byte
		want []decoders.LinkType
	}{
		{"pcap", threePcap(), []decoders.LinkType{1}},
		{"first-section", sections, twoSectionsLinks[:3]},
		{"after-a-skipped-block", late.b, []decoders.LinkType{113}},
		{"no-interface", new(ngFile).section(true).b, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.data), "t.pcapng")
			if err != nil {
				t.Fatal(err)
			}
			if got := r.LinkTypes(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LinkTypes() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPcapngBigEndian(t *testing.T) {
	a := frame(50, 9)
	var w ngFile
	w.section(true).iface(1, 0).epb(0, usec, a, 50).spb(a, 50)
	readVariants(t, w.b, "pcapng", []decoders.LinkType{1}, []Packet{
		pkt(1, usec*1000, a, 50, 1, 0),
		pkt(2, usec*1000, a, 50, 1, 0),
	})
}

// TestPcapngSimpleFirst checks that a simple packet block with no packet
// before it is stamped 0, and that a snap length of 0 means no limit.
func TestPcapngSimpleFirst(t *testing.T) {
	a := frame(1514, 1)
	var w ngFile
	w.section(false).iface(1, 0).spb(a, 1514)
	readVariants(t, w.b, "pcapng", []decoders.LinkType{1}, []Packet{pkt(1, 0, a, 1514, 1, 0)})
}

func TestResolution(t *testing.T) {
	tests := []struct {
		name   string
		resol  byte
		offset int64
		ts     uint64
		want   int64
	}{
		{"seconds", 0, 0, sec0, sec0 * 1e9},
		{"milliseconds", 3, 0, sec0*1000 + 1, sec0*1e9 + 1e6},
		{"microseconds", 6, 0, usec, usec * 1000},
		{"nanoseconds", 9, 0, nsec, nsec},
		{"picoseconds", 12, 0, 1000*1e12 + 1999, 1000*1e9 + 1},
		{"10^-19", 19, 0, 1e19 - 1, 999999999},
		{"2^-0", 0x80, 0, sec0, sec0 * 1e9},
		{"2^-9 divides a second exactly", 0x80 | 9, 0, sec0<<9 | 256, sec0*1e9 + 5e8},
		{"2^-20", 0x80 | 20, 0, bin, sec0*1e9 + 953},
		{"2^-32", 0x80 | 32, 0, 1<<32 | 1<<31, 1e9 + 5e8},
		{"2^-63", 0x80 | 63, 0, 1<<63 - 1, 999999999},
		{"negative offset", 6, -sec0, usec, 123456000},
		{"positive offset", 9, 3600, 0, 3600e9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ifc iface
			if err := ifc.setResolution(tt.resol); err != nil {
				t.Fatal(err)
			}
			ifc.offset = tt.offset
			if got := ifc.nanos(tt.ts); got != tt.want {
				t.Errorf("nanos(%d) = %d, want %d", tt.ts, got, tt.want)
			}
		})
	}
	for _, bad := range []byte{20, 0x80 | 64, 0xff} {
		var ifc iface
		if err := ifc.setResolution(bad); err == nil {
			t.Errorf("setResolution(%#x) accepted a resolution it cannot convert", bad)
		}
	}
}

// TestPcapngPcapgoWriter reads what another implementation writes,
// interface statistics and packet comments included.
func TestPcapngPcapgoWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := w.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkTypeRaw})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2023, 1, 2, 3, 4, 5, 6, time.UTC)
	a, b := frame(90, 1), frame(45, 2)
	if err := w.WritePacketWithOptions(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: 90, Length: 1000}, a,
		pcapgo.NgPacketOptions{Comments: []string{"first"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{PacketsReceived: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts.Add(time.Second), CaptureLength: 45, Length: 45, InterfaceIndex: raw}, b); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	readVariants(t, buf.Bytes(), "pcapng", []decoders.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, []Packet{
		pkt(1, ts.UnixNano(), a, 1000, layers.LinkTypeEthernet, 0),
		pkt(2, ts.Add(time.Second).UnixNano(), b, 45, layers.LinkTypeRaw, 1),
	})
}
