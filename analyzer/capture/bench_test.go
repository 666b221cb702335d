package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"
)

// Benchmark files hold benchPackets packets of benchSize bytes: an
// Ethernet, IPv4 and UDP header that varies a little, and a payload half
// random and half repeated, so that gzip finds about as much to squeeze as
// in real traffic.
const (
	benchPackets = 100_000
	benchSize    = 230
)

// benchFrames returns n frames of benchSize bytes.
func benchFrames(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	frames := make([][]byte, n)
	for i := range frames {
		f := make([]byte, benchSize)
		copy(f, "\x00\x15\x5d\x01\x02\x03\x00\x15\x5d\x04\x05\x06\x08\x00\x45\x00\x00\xd8")
		binary.BigEndian.PutUint16(f[18:], uint16(i))              // IP ID
		copy(f[26:], []byte{10, 0, byte(i % 7), 10, 10, 0, 0, 20}) // addresses
		binary.BigEndian.PutUint16(f[34:], uint16(50000+i%16))     // source port
		binary.BigEndian.PutUint16(f[36:], 5061)                   // destination port
		for j := 42; j < 42+(benchSize-42)/2; j++ {
			f[j] = byte(rng.Uint32())
		}
		frames[i] = f
	}
	return frames
}

// benchPcap returns a pcap file of n benchmark frames.
func benchPcap(n int) []byte {
	f := pcapFile{magic: 0xa1b2c3d4, linkType: 1}
	for i, d := range benchFrames(n) {
		f.recs = append(f.recs, pcapRec{1700000000 + uint32(i/1000), uint32(i%1000) * 1000, d, benchSize})
	}
	return f.bytes()
}

// benchPcapng returns a pcapng file of n benchmark frames.
func benchPcapng(n int) []byte {
	var w ngFile
	w.section(false).iface(1, 0, tsresol(9))
	for i, d := range benchFrames(n) {
		w.epb(0, 1700000000_000000000+uint64(i)*1000, d, benchSize)
	}
	return w.b
}

// repeatReader serves head once and then body over and over, so that a
// benchmark can read b.N packets without building a file of b.N.
type repeatReader struct {
	head, body []byte
	off        int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	n := copy(p, r.body[r.off:])
	r.off = (r.off + n) % len(r.body)
	return n, nil
}

// endless returns a reader over a file whose header is the first headLen
// bytes of file and whose records repeat without end.
func endless(file []byte, headLen int) io.Reader {
	return &repeatReader{head: file[:headLen], body: file[headLen:]}
}

// TestNextAllocs counts the allocations of reading a batch of packets,
// buffer refills included. Plain files must cost none. compress/flate
// allocates when it meets a new deflate block (its Huffman tables), about
// once per 20 kB of output: that is allowed, and nothing more.
func TestNextAllocs(t *testing.T) {
	const (
		n     = 20_000 // 4.9 MB: the 1 MiB buffer is refilled several times
		batch = n / 2  // AllocsPerRun runs the batch twice, once to warm up
	)
	pcap, pcapng := benchPcap(n), benchPcapng(n)
	tests := []struct {
		name string
		data []byte
		max  float64 // allocations allowed per batch
	}{
		{"pcap", pcap, 0},
		{"pcapng", pcapng, 0},
		{"pcap-gzip", gzipped(t, pcap), batch / 20},
		{"pcapng-gzip", gzipped(t, pcapng), batch / 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(struct{ io.Reader }{bytes.NewReader(tt.data)}, "allocs")
			if err != nil {
				t.Fatal(err)
			}
			var p Packet
			allocs := testing.AllocsPerRun(1, func() {
				for range batch {
					if err := r.Next(&p); err != nil {
						t.Fatal(err)
					}
				}
			})
			if allocs > tt.max {
				t.Errorf("%v allocations for %d packets, want at most %v", allocs, batch, tt.max)
			}
			if p.Number != n || len(p.Data) != benchSize {
				t.Errorf("read up to packet %d of %d bytes, want %d of %d", p.Number, len(p.Data), n, benchSize)
			}
		})
	}
}

// BenchmarkNext reads one packet per operation from an endless file.
func BenchmarkNext(b *testing.B) {
	tests := []struct {
		name string
		make func(n int) []byte
	}{
		{"pcap", benchPcap},
		{"pcapng", benchPcapng},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			const n = 1000
			file, headLen := tt.make(n), len(tt.make(0))
			r, err := NewReader(endless(file, headLen), "bench")
			if err != nil {
				b.Fatal(err)
			}
			var p Packet
			b.SetBytes(int64((len(file) - headLen) / n))
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Next(&p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadFile reads a whole file of 100,000 packets per operation,
// from memory, plain and compressed. Throughput counts the uncompressed
// bytes.
func BenchmarkReadFile(b *testing.B) {
	pcap, pcapng := benchPcap(benchPackets), benchPcapng(benchPackets)
	tests := []struct {
		name string
		file []byte
		size int
	}{
		{"pcap", pcap, len(pcap)},
		{"pcapng", pcapng, len(pcapng)},
		{"pcap-gzip", gzipped(b, pcap), len(pcap)},
		{"pcapng-gzip", gzipped(b, pcapng), len(pcapng)},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(tt.size))
			b.ReportAllocs()
			var p Packet
			for b.Loop() {
				r, err := NewReader(struct{ io.Reader }{bytes.NewReader(tt.file)}, "bench")
				if err != nil {
					b.Fatal(err)
				}
				for {
					if err := r.Next(&p); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
				if p.Number != benchPackets {
					b.Fatalf("read %d packets", p.Number)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchPackets), "ns/packet")
			b.ReportMetric(float64(len(tt.file))/float64(tt.size), "compressed/plain")
		})
	}
}
