package lyncgen

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// newBenchGen returns a generator writing to io.Discard with one media
// flow scheduled, as the hot path of a large capture sees it.
func newBenchGen(tb testing.TB) (*gen, *mediaFlow) {
	tb.Helper()
	o, err := SampleOptions().withDefaults()
	if err != nil {
		tb.Fatal(err)
	}
	cw, err := newCaptureWriter(io.Discard, o.Format, o.Snaplen)
	if err != nil {
		tb.Fatal(err)
	}
	g := &gen{o: o, r: newRNG(1, 0), fr: newFramer(), cw: cw, buf: make([]byte, 0, 2048), pool: newRNG(1, 1).bytes(1 << 16)}
	g.net = newNetwork(g.r, o.Clients)
	n := g.net
	m := mediaSpec{codec: &codecRTAudio, srtp: true, vad: true, mux: true, start: 0, end: 1 << 62}
	g.media(newRNG(1, 2), n.clients[0], 50020, n.fe[0], 50000, verdict{}, m)
	f := g.q[0].src.(*mediaFlow)
	return g, f
}

// step writes the media flow's next packet, as the scheduler's loop does.
func benchStep(g *gen, f *mediaFlow) error {
	if err := f.step(g); err != nil {
		return err
	}
	g.q[0].at = f.next()
	g.q.down(0)
	return nil
}

// TestMediaPacketAllocs proves the steady state allocates nothing per
// packet: building, framing, checksumming and writing a media packet.
func TestMediaPacketAllocs(t *testing.T) {
	g, f := newBenchGen(t)
	if allocs := testing.AllocsPerRun(1000, func() {
		if err := benchStep(g, f); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("%v allocations per media packet, want 0", allocs)
	}
}

func BenchmarkMediaPacket(b *testing.B) {
	g, f := newBenchGen(b)
	b.ReportAllocs()
	start := g.cw.bytes
	for b.Loop() {
		if err := benchStep(g, f); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes((g.cw.bytes - start) / int64(b.N))
}

func BenchmarkGenerateSample(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := Generate(&buf, SampleOptions()); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkGenerate32MB writes a 32 MB capture made mostly of calls, the
// shape of the large captures --size asks for.
func BenchmarkGenerate32MB(b *testing.B) {
	b.ReportAllocs()
	o := Options{Seed: 1, Clients: 200, Calls: 2000, Duration: time.Minute, TargetBytes: 32 << 20}
	var packets int
	for b.Loop() {
		truth, err := Generate(io.Discard, o)
		if err != nil {
			b.Fatal(err)
		}
		packets, _ = truth.Totals()
	}
	b.SetBytes(o.TargetBytes)
	b.ReportMetric(float64(packets), "packets/op")
}
