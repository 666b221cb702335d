package lyncgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// seenFrame is one frame of a generated capture as gopacket decodes it,
// attributed to a flow of the truth.
type seenFrame struct {
	ts       time.Time
	wire     int
	flow     int // index in Truth.Flows
	dir      int // c2s or s2c
	vlan     uint16
	ttl      uint8
	tcpFlags uint8
	seq, ack uint32
	payload  []byte // transport payload; for fragments the IP payload
	fragment bool
}

// flowKey is a flow's five-tuple as the truth states it.
type flowKey struct {
	client, server netip.AddrPort
	transport      decoders.Transport
}

// readBack decodes every frame of a generated capture and attributes it to
// its flow in truth. It fails the test on frames it cannot decode or place.
func readBack(t testing.TB, capture []byte, truth *Truth) []seenFrame {
	t.Helper()
	keys := make(map[flowKey]int, len(truth.Flows))
	for i, f := range truth.Flows {
		k := flowKey{f.Client, f.Server, f.Transport}
		if j, dup := keys[k]; dup {
			t.Fatalf("flows %d and %d share the five-tuple %v %v-%v", j, i, f.Transport, f.Client, f.Server)
		}
		keys[k] = i
	}
	next, err := packetReader(capture)
	if err != nil {
		t.Fatal(err)
	}
	// IPv4 fragments are placed by the flow of their first fragment.
	type fragKey struct {
		src, dst netip.Addr
		id       uint16
	}
	fragFlow := map[fragKey][2]int{}
	// Decode the link, IP and transport headers only: gopacket guesses a
	// payload's protocol from its port (UDP 6343 is sFlow, say), which is
	// not the truth's business.
	var (
		eth     layers.Ethernet
		dot1q   layers.Dot1Q
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		udp     layers.UDP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp, &payload)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	var out []seenFrame
	for n := 1; ; n++ {
		data, ci, err := next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("packet %d: %v", n, err)
		}
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			t.Fatalf("packet %d: %v", n, err)
		}
		sf := seenFrame{ts: ci.Timestamp, wire: ci.Length, flow: -1}
		var src, dst netip.Addr
		var tr decoders.Transport
		var sport, dport uint16
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeDot1Q:
				sf.vlan = dot1q.VLANIdentifier
			case layers.LayerTypeIPv4:
				src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
				dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
				sf.ttl = ip4.TTL
				if ip4.Flags&layers.IPv4MoreFragments != 0 || ip4.FragOffset != 0 {
					sf.fragment = true
					sf.payload = append([]byte(nil), ip4.Payload...)
				}
			case layers.LayerTypeIPv6:
				src, _ = netip.AddrFromSlice(ip6.SrcIP)
				dst, _ = netip.AddrFromSlice(ip6.DstIP)
				sf.ttl = ip6.HopLimit
			case layers.LayerTypeTCP:
				sport, dport, tr = uint16(tcp.SrcPort), uint16(tcp.DstPort), decoders.TCP
				sf.seq, sf.ack, sf.payload = tcp.Seq, tcp.Ack, append([]byte(nil), tcp.Payload...)
				sf.tcpFlags = tcpFlagBits(&tcp)
			case layers.LayerTypeUDP:
				sport, dport, tr = uint16(udp.SrcPort), uint16(udp.DstPort), decoders.UDP
				sf.payload = append([]byte(nil), udp.Payload...)
			}
		}
		if sf.fragment {
			fk := fragKey{src, dst, ip4.Id}
			if ip4.FragOffset == 0 {
				sport = binary.BigEndian.Uint16(ip4.Payload)
				dport = binary.BigEndian.Uint16(ip4.Payload[2:])
				sf.flow, sf.dir = placeFlow(keys, netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport), decoders.UDP)
				fragFlow[fk] = [2]int{sf.flow, sf.dir}
			} else if fd, ok := fragFlow[fk]; ok {
				sf.flow, sf.dir = fd[0], fd[1]
			}
			if sf.flow < 0 {
				t.Fatalf("packet %d: fragment %v of no flow", n, fk)
			}
			out = append(out, sf)
			continue
		}
		if tr == 0 {
			t.Fatalf("packet %d: layers %v, no TCP or UDP", n, decoded)
		}
		sf.flow, sf.dir = placeFlow(keys, netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport), tr)
		if sf.flow < 0 {
			t.Fatalf("packet %d: %v %v:%d > %v:%d is in no flow of the truth", n, tr, src, sport, dst, dport)
		}
		out = append(out, sf)
	}
}

func placeFlow(keys map[flowKey]int, src, dst netip.AddrPort, tr decoders.Transport) (int, int) {
	if i, ok := keys[flowKey{src, dst, tr}]; ok {
		return i, c2s
	}
	if i, ok := keys[flowKey{dst, src, tr}]; ok {
		return i, s2c
	}
	return -1, 0
}

func tcpFlagBits(l *layers.TCP) uint8 {
	var f uint8
	for _, b := range []struct {
		set bool
		bit uint8
	}{{l.FIN, tcpFIN}, {l.SYN, tcpSYN}, {l.RST, tcpRST}, {l.PSH, tcpPSH}, {l.ACK, tcpACK}} {
		if b.set {
			f |= b.bit
		}
	}
	return f
}

// packetReader opens a pcap or pcapng capture held in memory.
func packetReader(capture []byte) (func() ([]byte, gopacket.CaptureInfo, error), error) {
	if bytes.HasPrefix(capture, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(capture), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, err
		}
		return r.ReadPacketData, nil
	}
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		return nil, err
	}
	return r.ReadPacketData, nil
}

// generate runs Generate into memory, failing the test on error.
func generate(t testing.TB, o Options) ([]byte, *Truth) {
	t.Helper()
	var buf bytes.Buffer
	truth, err := Generate(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), truth
}

// flowFrames groups frames by flow.
func flowFrames(frames []seenFrame, nflows int) [][]seenFrame {
	out := make([][]seenFrame, nflows)
	for _, f := range frames {
		out[f.flow] = append(out[f.flow], f)
	}
	return out
}

// stream returns the payload bytes one direction of a flow sent, in order.
func stream(frames []seenFrame, dir int) []byte {
	var b []byte
	for _, f := range frames {
		if f.dir == dir && !f.fragment {
			b = append(b, f.payload...)
		}
	}
	return b
}

// firstPayload returns the first non-empty payload of a direction.
func firstPayload(frames []seenFrame, dir int) []byte {
	for _, f := range frames {
		if f.dir == dir && len(f.payload) > 0 && !f.fragment {
			return f.payload
		}
	}
	return nil
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
