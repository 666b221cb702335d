package lyncgen

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// capturesDir holds real captures from other projects, beside the
// project's folder.
var capturesDir = filepath.Join("..", "..", "..", "shared", "captures")

// FuzzGenerate generates small captures from random options and holds
// each to the properties the sample is tested for: every frame decodes
// and lands in a flow of the truth, the counts match, every TCP flow is
// consistent and every payload parses as its protocol.
func FuzzGenerate(f *testing.F) {
	f.Add(int64(1), uint8(0), uint8(0), uint8(50), false)
	f.Add(int64(20130901), uint8(3), uint8(5), uint8(0), true)
	f.Add(int64(-7), uint8(200), uint8(12), uint8(255), false)
	f.Fuzz(func(t *testing.T, seed int64, clients, calls, seconds uint8, pcap bool) {
		o := Options{
			Seed:     seed,
			Clients:  2 + int(clients)%7,
			Calls:    1 + int(calls)%5,
			Duration: time.Duration(10+int(seconds)%50) * time.Second,
			MinCall:  time.Second,
			MaxCall:  time.Duration(1+int(calls)%4) * time.Second,
		}
		if pcap {
			o.Format = FormatPcap
		}
		capture, truth := generate(t, o)
		frames := readBack(t, capture, truth)
		if packets, _ := truth.Totals(); len(frames) != packets {
			t.Fatalf("%d frames, truth says %d", len(frames), packets)
		}
		byFlow := flowFrames(frames, len(truth.Flows))
		for i, ft := range truth.Flows {
			if len(byFlow[i]) != ft.Packets {
				t.Fatalf("flow %d %q: %d frames, truth says %d", i, ft.Detail, len(byFlow[i]), ft.Packets)
			}
			if ft.Transport == 6 {
				if err := checkTCP(byFlow[i], ft); err != nil {
					t.Fatalf("flow %d %q: %v", i, ft.Detail, err)
				}
			}
			if err := checkPayload(byFlow[i], ft); err != nil {
				t.Fatalf("flow %d %q: %v", i, ft.Detail, err)
			}
		}
	})
}

// FuzzClientHello builds ClientHellos for arbitrary server names and
// checks that gopacket reads the same name back. The seeds are the server
// names of the ClientHellos in the real captures.
func FuzzClientHello(f *testing.F) {
	for _, sni := range realSNIs(f) {
		f.Add(sni, int64(1))
	}
	f.Add(poolFQDN, int64(2))
	f.Fuzz(func(t *testing.T, sni string, seed int64) {
		if sni == "" || len(sni) > 253 {
			return // a host name is 1 to 253 bytes (RFC 1035)
		}
		rec := tlsRecords(tlsHandshake, tls12, tlsClientHello(newRNG(seed, 0), sni, nil))
		var tl layers.TLS
		if err := tl.DecodeFromBytes(rec, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		if len(tl.Handshake) != 1 || string(tl.Handshake[0].ClientHello.SNI) != sni {
			t.Fatalf("SNI %q read back as %q", sni, tl.Handshake[0].ClientHello.SNI)
		}
		if err := checkTLSRecords(rec); err != nil {
			t.Fatal(err)
		}
		if got := handshakeTypes(rec); !bytes.Equal(got, []byte{hsClientHello}) {
			t.Fatalf("messages %v", got)
		}
	})
}

// realSNIs returns the server names of the TLS ClientHellos in the real
// captures, or none when the folder is absent.
func realSNIs(tb testing.TB) []string {
	seen := map[string]bool{}
	var out []string
	filepath.WalkDir(capturesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		next, err := packetReader(data)
		if err != nil {
			return nil
		}
		for {
			frame, _, err := next()
			if err != nil {
				return nil
			}
			p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
			tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !ok || len(tcp.Payload) < 6 || tcp.Payload[0] != tlsHandshake || tcp.Payload[5] != hsClientHello {
				continue
			}
			var tl layers.TLS
			if tl.DecodeFromBytes(tcp.Payload, gopacket.NilDecodeFeedback) != nil {
				continue
			}
			for _, h := range tl.Handshake {
				if sni := string(h.ClientHello.SNI); sni != "" && !seen[sni] {
					seen[sni] = true
					out = append(out, sni)
				}
			}
		}
	})
	tb.Logf("%d server names from the captures in %s", len(out), capturesDir)
	return out
}
