package analyzer

import (
	"bytes"
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
	_ = lyncgen.FormatPcap
}
