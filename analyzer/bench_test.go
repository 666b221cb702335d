package analyzer

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

// BenchmarkEngine runs the whole engine (read, decode, flows, verdicts,
// report) over the generated sample, reporting the cost per packet.
func BenchmarkEngine(b *testing.B) {
	data, err := os.ReadFile("../testdata/sample.pcapng")
	if err != nil {
		b.Fatal(err)
	}
	invText, err := os.ReadFile("../testdata/sample.inventory")
	if err != nil {
		b.Fatal(err)
	}
	inv, err := rules.ParseInventory(bytes.NewReader(invText), "sample.inventory")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var packets uint64
	for b.Loop() {
		r, err := capture.NewReader(bytes.NewReader(data), "sample.pcapng")
		if err != nil {
			b.Fatal(err)
		}
		cfg := NewConfig()
		cfg.Inventory = inv
		e := NewEngine(cfg)
		if err := e.Read(r); err != nil {
			b.Fatal(err)
		}
		packets += e.Report().Totals.Packets
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/packet")
}

// BenchmarkSteadyState measures one packet of a flow that already exists,
// the path almost every packet of a capture takes.
func BenchmarkSteadyState(b *testing.B) {
	e := NewEngine(NewConfig())
	p := frame(b, pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:50020", udp: true, payload: strings.Repeat("\x80\x72", 100)})
	e.Packet(&p)
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for b.Loop() {
		p.Timestamp += 20e6
		e.Packet(&p)
	}
}

// BenchmarkNewFlows measures packets that each open a flow, up to the
// flow cap and beyond it, where each one evicts the oldest.
func BenchmarkNewFlows(b *testing.B) {
	cfg := NewConfig()
	cfg.MaxFlows = 1 << 16
	e := NewEngine(cfg)
	p := frame(b, pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:50020", udp: true, payload: "x"})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		// Rewrite the source address and port in place: 10.x.y.z:port.
		p.Data[14+12+1], p.Data[14+12+2], p.Data[14+12+3] = byte(i>>16), byte(i>>8), byte(i)
		p.Data[14+20], p.Data[14+20+1] = byte(i>>24), byte(i>>3)
		p.Timestamp += 1000
		e.Packet(&p)
	}
}

// BenchmarkFlowLookup finds flows in a table of 100,000.
func BenchmarkFlowLookup(b *testing.B) {
	t := newFlowTable(1<<20, 1e12, 1e12, 1e12)
	keys := make([]FlowKey, 100_000)
	hashes := make([]uint64, len(keys))
	for i := range keys {
		k := FlowKey{PortA: uint16(1024 + i%60000), PortB: 5061, Transport: tcpTransport}
		k.A[10], k.A[11], k.A[12], k.A[13], k.A[14], k.A[15] = 0xff, 0xff, 10, byte(i>>16), byte(i>>8), byte(i)
		k.B[10], k.B[11], k.B[12], k.B[15] = 0xff, 0xff, 10, 1
		keys[i], hashes[i] = k, hashKey(&k)
		t.alloc(k, hashes[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if t.lookup(&keys[i], hashes[i]) == nil {
			b.Fatal("flow not found")
		}
		if i++; i == len(keys) {
			i = 0
		}
	}
}

// BenchmarkEngineWorkers runs the engine over a generated capture of a
// few hundred thousand packets held in memory, on one and on two workers.
func BenchmarkEngineWorkers(b *testing.B) {
	data, inv, _ := generated(b, lyncgen.Options{Seed: 3, Clients: 50, Calls: 60, Format: lyncgen.FormatPcap})
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var packets uint64
			for b.Loop() {
				r, err := capture.NewReader(bytes.NewReader(data), "gen.pcap")
				if err != nil {
					b.Fatal(err)
				}
				cfg := NewConfig()
				cfg.Inventory, cfg.Workers = inv, w
				e := NewEngine(cfg)
				if err := e.Read(r); err != nil {
					b.Fatal(err)
				}
				packets += e.Report().Totals.Packets
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/packet")
		})
	}
}
