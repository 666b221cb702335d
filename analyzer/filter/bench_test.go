package filter

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// benchExprs are filters people put on a SPAN port, short and long.
var benchExprs = []struct {
	name, expr string
}{
	{"host", "host 192.168.1.6"},
	{"host-not-port", "host 192.168.1.6 and not port 443"},
	{"udp-range", "udp portrange 1024-65535"},
	{"vlan-net", "vlan and net 10.0.0.0/8 and tcp port 5061"},
	{"long", longExpr},
}

// benchFrames returns the Ethernet frames of a shared capture, or the
// crafted frames when the captures are not there.
func benchFrames(b *testing.B) [][]byte {
	frames := craftedFrames()
	if u := capturesDir + "/ndpi/teams.pcap"; fileExists(u) {
		frames = frames[:0]
		for _, f := range readFrames(b, u) {
			frames = append(frames, f.data)
		}
	}
	return frames
}

// BenchmarkMatch runs Match over the frames of a capture; ns/op is per
// frame.
func BenchmarkMatch(b *testing.B) {
	frames := benchFrames(b)
	for _, be := range benchExprs {
		b.Run(be.name, func(b *testing.B) {
			f, err := Compile(be.expr)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			kept := 0
			for i := 0; b.Loop(); i++ {
				if f.Match(layers.LinkTypeEthernet, frames[i%len(frames)]) {
					kept++
				}
			}
			_ = kept
		})
	}
}

// BenchmarkVM runs the same programs in x/net/bpf's VM, for comparison.
func BenchmarkVM(b *testing.B) {
	frames := benchFrames(b)
	for _, be := range benchExprs {
		b.Run(be.name, func(b *testing.B) {
			f, err := Compile(be.expr)
			if err != nil {
				b.Fatal(err)
			}
			prog, _ := f.Program(layers.LinkTypeEthernet)
			vm := newVM(b, prog)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := vm.Run(frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompile measures parsing and building the programs for every
// link type.
func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("host 192.168.1.6 and not port 443 and (vlan or net 2001:db8::/32)"); err != nil {
			b.Fatal(err)
		}
	}
}
