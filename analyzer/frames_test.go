package analyzer

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/decoders"
)

// t0 is the capture time the synthetic packets of these tests start at.
var t0 = time.Date(2026, 3, 2, 10, 40, 0, 0, time.UTC)

// pkt describes one synthetic packet for the engine tests.
type pkt struct {
	at       time.Duration // after t0
	src, dst string        // "10.0.0.1:5061"
	udp      bool
	flags    string // TCP flags: any of "SAFRP"
	payload  string
	ipID     uint16
	fragOff  uint16 // in 8-byte units
	moreFrag bool
}

// frame builds the Ethernet frame of p.
func frame(t testing.TB, p pkt) capture.Packet {
	t.Helper()
	src, dst := netip.MustParseAddrPort(p.src), netip.MustParseAddrPort(p.dst)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice(), Id: p.ipID, FragOffset: p.fragOff}
	if p.moreFrag {
		ip.Flags = layers.IPv4MoreFragments
	}
	ls := []gopacket.SerializableLayer{eth, ip}
	if p.fragOff != 0 {
		ip.Protocol = layers.IPProtocolUDP
		ls = append(ls, gopacket.Payload(p.payload))
	} else if p.udp {
		ip.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
		u.SetNetworkLayerForChecksum(ip)
		ls = append(ls, u, gopacket.Payload(p.payload))
	} else {
		ip.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Window: 8192, DataOffset: 5}
		for _, c := range p.flags {
			switch c {
			case 'S':
				tcp.SYN = true
			case 'A':
				tcp.ACK = true
			case 'F':
				tcp.FIN = true
			case 'R':
				tcp.RST = true
			case 'P':
				tcp.PSH = true
			}
		}
		tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, tcp, gopacket.Payload(p.payload))
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if p.moreFrag && p.udp && p.fragOff == 0 {
		// FixLengths set the UDP length to this fragment's; a real first
		// fragment announces the whole datagram.
		data[14+20+4], data[14+20+5] = 0x10, 0x00
	}
	return capture.Packet{Data: data, WireLen: len(data), Timestamp: t0.Add(p.at).UnixNano(), LinkType: decoders.LinkType(1)}
}

// sliceSource serves prepared packets as a capture source.
type sliceSource struct {
	pkts []capture.Packet
	i    int
}

func (s *sliceSource) Next(p *capture.Packet) error {
	if s.i == len(s.pkts) {
		return io.EOF
	}
	*p = s.pkts[s.i]
	s.i++
	return nil
}
func (s *sliceSource) Name() string                   { return "synthetic" }
func (s *sliceSource) Format() string                 { return "test" }
func (s *sliceSource) LinkTypes() []decoders.LinkType { return []decoders.LinkType{1} }

// run feeds ps to a fresh engine with cfg and returns the report.
func run(t testing.TB, cfg Config, ps ...pkt) *Report {
	t.Helper()
	src := &sliceSource{}
	for _, p := range ps {
		src.pkts = append(src.pkts, frame(t, p))
	}
	cfg.KeepFlows = true
	e := NewEngine(cfg)
	if err := e.Read(src); err != nil {
		t.Fatal(err)
	}
	return e.Report()
}
