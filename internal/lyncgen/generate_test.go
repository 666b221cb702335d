package lyncgen

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

var update = flag.Bool("update", false, "rewrite the committed sample (../../testdata/sample.*) from SampleOptions")

// The committed sample, relative to this package.
var (
	samplePcapng    = filepath.Join("..", "..", "testdata", "sample.pcapng")
	sampleInventory = filepath.Join("..", "..", "testdata", "sample.inventory")
)

func TestGenerateIsDeterministic(t *testing.T) {
	for _, format := range []string{FormatPcapng, FormatPcap} {
		t.Run(format, func(t *testing.T) {
			o := SampleOptions()
			o.Format = format
			a, ta := generate(t, o)
			b, tb := generate(t, o)
			if !bytes.Equal(a, b) {
				t.Fatalf("two generations differ (%d and %d bytes)", len(a), len(b))
			}
			if len(ta.Flows) != len(tb.Flows) {
				t.Fatalf("truths differ: %d and %d flows", len(ta.Flows), len(tb.Flows))
			}
			o.Seed++
			c, _ := generate(t, o)
			if bytes.Equal(a, c) {
				t.Fatal("another seed gave the same bytes")
			}
		})
	}
}

// TestCommittedSample holds testdata/sample.pcapng and sample.inventory to
// a fresh generation; go test -run TestCommittedSample -update rewrites them.
func TestCommittedSample(t *testing.T) {
	capture, truth := generate(t, SampleOptions())
	inventory := Inventory(SampleOptions())
	if *update {
		if err := os.WriteFile(samplePcapng, capture, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sampleInventory, []byte(inventory), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(samplePcapng)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCommittedSample -update to write it)", err)
	}
	if !bytes.Equal(committed, capture) {
		t.Errorf("%s differs from a fresh generation (%d and %d bytes); run go test -run TestCommittedSample -update", samplePcapng, len(committed), len(capture))
	}
	inv, err := os.ReadFile(sampleInventory)
	if err != nil {
		t.Fatal(err)
	}
	if string(inv) != inventory {
		t.Errorf("%s differs from Inventory(SampleOptions())", sampleInventory)
	}
	packets, _ := truth.Totals()
	if len(capture) >= 300000 || packets >= 3000 {
		t.Errorf("the sample is %d bytes and %d packets; it must stay under 300000 bytes and 3000 packets", len(capture), packets)
	}
}

// TestTruthMatchesCapture decodes the capture with gopacket, places every
// frame in its flow and checks the truth's counts, times and VLANs.
func TestTruthMatchesCapture(t *testing.T) {
	for _, format := range []string{FormatPcapng, FormatPcap} {
		t.Run(format, func(t *testing.T) {
			o := SampleOptions()
			o.Format = format
			capture, truth := generate(t, o)
			frames := readBack(t, capture, truth)
			packets, bytes := truth.Totals()
			if len(frames) != packets {
				t.Fatalf("capture has %d frames, truth says %d", len(frames), packets)
			}
			var wire int64
			for _, f := range frames {
				wire += int64(f.wire)
			}
			if wire != bytes {
				t.Errorf("capture has %d wire bytes, truth says %d", wire, bytes)
			}
			byFlow := flowFrames(frames, len(truth.Flows))
			for i, ft := range truth.Flows {
				fs := byFlow[i]
				name := fmt.Sprintf("flow %d %v %v-%v %q", i, ft.Transport, ft.Client, ft.Server, ft.Detail)
				if len(fs) != ft.Packets || len(fs) == 0 {
					t.Errorf("%s: %d frames, truth says %d", name, len(fs), ft.Packets)
					continue
				}
				var b int64
				for _, f := range fs {
					b += int64(f.wire)
					if f.vlan != ft.VLAN {
						t.Errorf("%s: frame on VLAN %d, truth says %d", name, f.vlan, ft.VLAN)
						break
					}
				}
				if b != ft.Bytes {
					t.Errorf("%s: %d bytes, truth says %d", name, b, ft.Bytes)
				}
				if !fs[0].ts.Equal(ft.First) || !fs[len(fs)-1].ts.Equal(ft.Last) {
					t.Errorf("%s: frames from %v to %v, truth says %v to %v", name, fs[0].ts, fs[len(fs)-1].ts, ft.First, ft.Last)
				}
				if fs[0].dir != c2s && !ft.MidStream {
					t.Errorf("%s: the server side sent the first frame", name)
				}
			}
			for i := 1; i < len(frames); i++ {
				if frames[i].ts.Before(frames[i-1].ts) {
					t.Fatalf("frame %d is older than frame %d", i+1, i)
				}
			}
		})
	}
}

// TestTCPConversations checks every TCP flow as a TCP stack would: the
// handshake, sequence numbers that follow the bytes sent, acknowledgements
// of bytes really sent, and the close the truth states.
func TestTCPConversations(t *testing.T) {
	capture, truth := generate(t, SampleOptions())
	byFlow := flowFrames(readBack(t, capture, truth), len(truth.Flows))
	for i, ft := range truth.Flows {
		if ft.Transport != decoders.TCP {
			continue
		}
		t.Run(fmt.Sprintf("%d-%s", i, ft.Server), func(t *testing.T) {
			fs := byFlow[i]
			if err := checkTCP(fs, ft); err != nil {
				t.Errorf("%s: %v", ft.Detail, err)
			}
		})
	}
}

func checkTCP(fs []seenFrame, ft FlowTruth) error {
	var next [2]uint32 // next sequence number expected per direction
	var known [2]bool
	var fin [2]bool
	synOnly := true
	for n, f := range fs {
		syn, ack := f.tcpFlags&tcpSYN != 0, f.tcpFlags&tcpACK != 0
		if !syn {
			synOnly = false
		}
		if syn {
			if n > 0 && f.dir == c2s && ft.Close != CloseSYNOnly {
				return fmt.Errorf("frame %d: a SYN after the start", n)
			}
			next[f.dir], known[f.dir] = f.seq+1, true
			if f.dir == s2c && f.ack != next[c2s] {
				return fmt.Errorf("frame %d: SYN-ACK acknowledges %d, want %d", n, f.ack, next[c2s])
			}
			continue
		}
		if !known[f.dir] {
			if !ft.MidStream {
				return fmt.Errorf("frame %d: data before the handshake", n)
			}
			next[f.dir], known[f.dir] = f.seq, true
		}
		if ft.Blocked && f.dir == c2s && int32(next[c2s]-f.seq) > 0 {
			// After the incident's change, the client retransmits what
			// it already sent.
			if end := f.seq + uint32(len(f.payload)); int32(next[c2s]-end) < 0 {
				return fmt.Errorf("frame %d: retransmission of %d to %d, beyond %d sent", n, f.seq, end, next[c2s])
			}
			continue
		}
		if f.seq != next[f.dir] {
			return fmt.Errorf("frame %d: sequence %d, want %d", n, f.seq, next[f.dir])
		}
		if ack && known[1-f.dir] && f.ack != next[1-f.dir] && f.ack+uint32(0) > next[1-f.dir] {
			return fmt.Errorf("frame %d: acknowledges %d, beyond %d sent", n, f.ack, next[1-f.dir])
		}
		next[f.dir] += uint32(len(f.payload))
		if f.tcpFlags&tcpFIN != 0 {
			next[f.dir]++
			fin[f.dir] = true
		}
	}
	last := fs[len(fs)-1]
	switch ft.Close {
	case CloseFIN:
		if !fin[c2s] || !fin[s2c] {
			return fmt.Errorf("close %q but FINs were c2s %v, s2c %v", ft.Close, fin[c2s], fin[s2c])
		}
	case CloseRST:
		if last.tcpFlags&tcpRST == 0 {
			return fmt.Errorf("close %q but the last frame has flags %#x", ft.Close, last.tcpFlags)
		}
	case CloseOpen:
		if fin[c2s] || fin[s2c] || last.tcpFlags&tcpRST != 0 {
			return fmt.Errorf("close %q but the flow was closed", ft.Close)
		}
	case CloseSYNOnly:
		if !synOnly {
			return fmt.Errorf("close %q but more than SYNs were sent", ft.Close)
		}
	default:
		return fmt.Errorf("close %q is not one of the Close values", ft.Close)
	}
	return nil
}

// TestFramesAreWellFormed checks headers gopacket does not verify: the
// IPv4, TCP and UDP checksums, the Ethernet minimum size, and TTLs.
func TestFramesAreWellFormed(t *testing.T) {
	capture, truth := generate(t, SampleOptions())
	next, err := packetReader(capture)
	if err != nil {
		t.Fatal(err)
	}
	frames := len(readBack(t, capture, truth))
	for n := 1; n <= frames; n++ {
		data, _, err := next()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 60 {
			t.Fatalf("frame %d is %d bytes, under the Ethernet minimum", n, len(data))
		}
		if err := verifyChecksums(data); err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
	}
}

// verifyChecksums checks a frame's IP and transport checksums with a plain
// RFC 1071 sum, written independently of the generator's.
func verifyChecksums(frame []byte) error {
	off := 12
	etherType := binary.BigEndian.Uint16(frame[off:])
	if etherType == 0x8100 {
		off += 4
		etherType = binary.BigEndian.Uint16(frame[off:])
	}
	ip := frame[off+2:]
	var pseudo []byte
	var proto byte
	var l4 []byte
	switch etherType {
	case 0x0800:
		hl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if onesSum(ip[:hl]) != 0xffff {
			return fmt.Errorf("bad IPv4 header checksum")
		}
		if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return nil // a fragment: its transport checksum covers the whole datagram
		}
		proto = ip[9]
		l4 = ip[hl:total]
		pseudo = append(append([]byte{}, ip[12:20]...), 0, proto, byte(len(l4)>>8), byte(len(l4)))
	case 0x86dd:
		proto = ip[6]
		l4 = ip[40 : 40+int(binary.BigEndian.Uint16(ip[4:]))]
		pseudo = append(append([]byte{}, ip[8:40]...), 0, 0, byte(len(l4)>>8), byte(len(l4)), 0, 0, 0, proto)
	default:
		return fmt.Errorf("ether type %#x", etherType)
	}
	if onesSum(append(pseudo, l4...)) != 0xffff {
		return fmt.Errorf("bad checksum of IP protocol %d", proto)
	}
	return nil
}

func onesSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// TestTruthRows checks the truth itself: verdicts and reasons filled in,
// and every violation and special case the scenario promises present.
func TestTruthRows(t *testing.T) {
	_, truth := generate(t, SampleOptions())
	for i, f := range truth.Flows {
		switch f.Want {
		case WantExpected, WantUnexpected, WantMismatch, WantNone:
		default:
			t.Errorf("flow %d: want %q", i, f.Want)
		}
		if f.Why == "" || f.Detail == "" {
			t.Errorf("flow %d (%v): empty why or detail", i, f.Server)
		}
	}
	has := func(server string, tr decoders.Transport, want string, p decoders.Protocol, detail string) bool {
		for _, f := range truth.Flows {
			if f.Server.String() == server && f.Transport == tr && f.Want == want && f.Protocol == p && strings.Contains(f.Detail, detail) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name, server string
		tr           decoders.Transport
		want         string
		proto        decoders.Protocol
		detail       string
	}{
		{"client tls to the vip", "10.10.1.10:5061", decoders.TCP, WantExpected, decoders.TLS, "no client certificate"},
		{"mtls between front ends", "10.10.1.12:5061", decoders.TCP, WantExpected, decoders.TLS, "mtls"},
		{"mid-stream mtls", "10.10.1.12:5061", decoders.TCP, WantExpected, decoders.TLS, "before the capture"},
		{"ipv6 registration", "[fd00:10::11]:5061", decoders.TCP, WantExpected, decoders.TLS, "ipv6"},
		{"dcom", "10.10.1.11:135", decoders.TCP, WantExpected, decoders.DCERPC, "isystemactivator"},
		{"bandwidth policy 448", "10.10.1.12:448", decoders.TCP, WantExpected, decoders.NetTCP, "net.tcp"},
		{"bandwidth policy 5080 on the vip", "10.10.1.10:5080", decoders.TCP, WantExpected, decoders.NetTCP, "net.tcp"},
		{"cms replication", "10.10.1.13:445", decoders.TCP, WantExpected, decoders.Unknown, "smb2"},
		{"sql browser", "10.10.2.10:1434", decoders.UDP, WantExpected, decoders.SQLBrowser, "RTCLOCAL"},
		{"gateway sip 5068", "10.10.3.10:5068", decoders.TCP, WantExpected, decoders.SIP, "INVITE"},
		{"trusted app 5060", "10.10.1.11:5060", decoders.TCP, WantExpected, decoders.SIP, "BENOTIFY"},
		{"stun to the edge", "10.40.0.5:3478", decoders.UDP, WantNone, decoders.STUN, "binding"},
		{"ms-turn to the edge", "10.40.0.5:3478", decoders.UDP, WantNone, decoders.MSTURN, "allocate"},
		{"ms-turn over tcp 443", "10.40.0.5:443", decoders.TCP, WantNone, decoders.MSTURN, "pseudo-tls"},
		{"dhcp inform", "10.10.0.67:67", decoders.UDP, WantNone, decoders.DHCP, "inform"},
		{"dns srv", "10.10.0.53:53", decoders.UDP, WantNone, decoders.DNS, "_sipinternaltls"},
		{"rdp", "10.10.2.10:3389", decoders.TCP, WantUnexpected, decoders.Unknown, "rdp"},
		{"telnet", "10.10.1.12:23", decoders.TCP, WantUnexpected, decoders.Unknown, "telnet"},
		{"smb off the cms", "10.10.1.12:445", decoders.TCP, WantUnexpected, decoders.Unknown, "smb2"},
		{"admin page", "10.10.3.10:8081", decoders.TCP, WantUnexpected, decoders.HTTP, "admin"},
		{"snmp on the vip", "10.10.1.10:161", decoders.UDP, WantUnexpected, decoders.Unknown, "snmp"},
		{"fragmented invite", "10.10.3.10:5060", decoders.UDP, WantUnexpected, decoders.SIP, "two ipv4 fragments"},
		{"rtp outside the media range", "10.10.3.10:9000", decoders.UDP, WantUnexpected, decoders.RTP, "9000"},
		{"syn only", "10.10.5.10:80", decoders.TCP, WantUnexpected, decoders.Unknown, "syn only"},
		{"clear sip on 5061", "10.10.1.11:5061", decoders.TCP, WantMismatch, decoders.SIP, "REGISTER"},
		{"http on 443", "10.10.2.10:443", decoders.TCP, WantMismatch, decoders.HTTP, "clear"},
		{"no client cert on 5070", "10.10.3.10:5070", decoders.TCP, WantMismatch, decoders.TLS, "no client cert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !has(tt.server, tt.tr, tt.want, tt.proto, tt.detail) {
				t.Errorf("no %v flow to %s wanting %q with protocol %v and detail %q", tt.tr, tt.server, tt.want, tt.proto, tt.detail)
			}
		})
	}
	var shell, media, video, peer, rtcp, vlan int
	for _, f := range truth.Flows {
		switch {
		case f.Want == WantMismatch && strings.Contains(f.Detail, "shell") && f.Server.Port() >= 49152 && f.Server.Port() <= 57500:
			shell++
		case f.Protocol == decoders.RTP && strings.Contains(f.Detail, "video") && f.Server.Port() >= 57501:
			video++
		case f.Protocol == decoders.RTP && strings.Contains(f.Detail, "peer-to-peer"):
			peer++
		case f.Protocol == decoders.RTP && f.Want == WantExpected:
			media++
		case f.Protocol == decoders.RTCP:
			rtcp++
		}
		if f.VLAN == 20 {
			vlan++
		}
	}
	if shell != 1 || video == 0 || peer == 0 || media == 0 || rtcp == 0 || vlan == 0 {
		t.Errorf("shell %d, video %d, peer %d, other media %d, rtcp %d, vlan 20 %d flows", shell, video, peer, media, rtcp, vlan)
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
	}{
		{"short duration", func(o *Options) { o.Duration = time.Second }},
		{"one client", func(o *Options) { o.Clients = 1 }},
		{"too many clients", func(o *Options) { o.Clients = MaxClients + 1 }},
		{"negative calls", func(o *Options) { o.Calls = -1 }},
		{"max call under min", func(o *Options) { o.MinCall, o.MaxCall = 5*time.Second, 4*time.Second }},
		{"format", func(o *Options) { o.Format = "erf" }},
		{"snaplen", func(o *Options) { o.Snaplen = 10 }},
		{"target", func(o *Options) { o.TargetBytes = -5 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := SampleOptions()
			tt.edit(&o)
			var buf bytes.Buffer
			if _, err := Generate(&buf, o); err == nil || !errorsIs(err, ErrOptions) {
				t.Fatalf("Generate = %v, want an ErrOptions error", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// TestSnaplen cuts frames: the captured bytes shrink, the truth's wire
// bytes do not.
func TestSnaplen(t *testing.T) {
	o := SampleOptions()
	full, truth := generate(t, o)
	o.Snaplen = 96
	cut, cutTruth := generate(t, o)
	if len(cut) >= len(full) {
		t.Fatalf("snaplen 96 gave %d bytes, full %d", len(cut), len(full))
	}
	_, a := truth.Totals()
	_, b := cutTruth.Totals()
	if a != b {
		t.Errorf("wire bytes %d with snaplen 96, %d without", b, a)
	}
	next, err := packetReader(cut)
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := next()
		if err != nil {
			break
		}
		if len(data) > 96 || ci.CaptureLength > ci.Length {
			t.Fatalf("frame of %d bytes (%d on the wire) with snaplen 96", len(data), ci.Length)
		}
	}
}

// TestTargetBytes grows a capture to a size and checks it lands near it.
func TestTargetBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 8 MB")
	}
	const target = 8 << 20
	o := Options{Seed: 3, Calls: 400, TargetBytes: target}
	capture, truth := generate(t, o)
	if d := float64(len(capture)-target) / target; d < -0.05 || d > 0.05 {
		t.Errorf("capture is %d bytes for a target of %d (%+.1f%%)", len(capture), target, 100*d)
	}
	packets, _ := truth.Totals()
	frames := readBack(t, capture, truth)
	if len(frames) != packets {
		t.Errorf("capture has %d frames, truth says %d", len(frames), packets)
	}
	// Times are whole microseconds, so that a pcap copy says the same.
	for i, f := range frames {
		if f.ts.Nanosecond()%1000 != 0 {
			t.Fatalf("frame %d at %v is not on a microsecond", i+1, f.ts)
		}
	}
}

func TestInventory(t *testing.T) {
	inv := Inventory(SampleOptions())
	for _, want := range []string{
		"10.10.1.11-10.10.1.13", "frontend mediation cms", "frontend-lb", "director", "mediation",
		"persistent-chat", "office-web-apps", "10.20.0.0/24", "fd00:20::/64", "fd00:10::11", "ip-phone",
	} {
		if !strings.Contains(inv, want) {
			t.Errorf("inventory lacks %q", want)
		}
	}
	for n, line := range strings.Split(inv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[len(f)-1], "name=") {
			t.Errorf("line %d %q is not: address roles... name=", n+1, line)
		}
	}
}
