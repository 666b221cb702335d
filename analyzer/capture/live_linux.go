//go:build linux

package capture

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/lyncaudit/lyncaudit/decoders"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// LiveOptions configures a live capture. Zero values take the defaults.
type LiveOptions struct {
	RingMB      int           // size of the kernel ring, in MiB; default 64
	Promiscuous bool          // capture frames not addressed to the interface (a SPAN port's)
	Filter      FrameFilter   // keep only frames it matches; nil keeps all
	PollTimeout time.Duration // how long Next waits before returning ErrTimeout; default 200 ms
}

// FrameFilter is a capture filter (analyzer/filter's Filter): Match is
// the exact test, Prefilter a program the kernel may run first, or nil.
type FrameFilter interface {
	Match(lt decoders.LinkType, frame []byte) bool
	Prefilter(lt decoders.LinkType) []bpf.RawInstruction
}

// ErrTimeout is returned by Live.Next when no packet arrived within the
// poll timeout, so the caller can look at its clock and signals.
var ErrTimeout = errors.New("no packet within the poll timeout")

// ErrPermission is wrapped by OpenLive's error when the process may not
// open a packet socket.
var ErrPermission = errors.New("capturing needs root or the CAP_NET_RAW capability")

const (
	liveFrameSize = 1 << 16 // frames up to 64 KiB whole: jumbo frames and GRO super-packets
	liveBlockSize = 1 << 20 // TPACKET_V3 block: many frames per wake-up
)

// Live reads frames from a network interface through an AF_PACKET
// TPACKET_V3 ring (gopacket's cgo-free afpacket). Frames are handed out
// without copying, except those whose 802.1Q tag the driver took out:
// the tag is put back, from the socket's auxiliary data, into a buffer
// reused for every such frame, so that VLAN IDs and vlan filters mean
// what they mean in a capture file.
type Live struct {
	tp       *afpacket.TPacket
	name     string
	linkType decoders.LinkType
	filter   FrameFilter
	vlanBuf  []byte
	number   int64
	filtered uint64
}

// OpenLive opens a capture on the named interface.
func OpenLive(iface string, o LiveOptions) (*Live, error) {
	lt, loopback, err := ifaceLinkType(iface)
	if err != nil {
		return nil, err
	}
	if o.RingMB <= 0 {
		o.RingMB = 64
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 200 * time.Millisecond
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(iface),
		afpacket.OptFrameSize(liveFrameSize),
		afpacket.OptBlockSize(liveBlockSize),
		afpacket.OptNumBlocks(max(1, o.RingMB*(1<<20)/liveBlockSize)),
		afpacket.OptPollTimeout(o.PollTimeout),
		afpacket.TPacketVersion3,
	)
	if err != nil {
		return nil, liveError(iface, err)
	}
	l := &Live{tp: tp, name: iface, linkType: lt, filter: o.Filter}
	if o.Promiscuous {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			return nil, liveError(iface, err)
		}
	}
	var prog []bpf.RawInstruction
	switch {
	case loopback:
		// A packet socket sees each loopback packet twice, leaving and
		// arriving; keep one, as libpcap does.
		prog = dropOutgoing
	case o.Filter != nil:
		// The kernel drops what it safely can; Match has the last word.
		prog = o.Filter.Prefilter(lt)
	}
	if prog != nil {
		if err := tp.SetBPF(prog); err != nil {
			tp.Close()
			return nil, fmt.Errorf("%s: attaching the filter: %w", iface, err)
		}
	}
	return l, nil
}

// liveError explains why a capture could not start.
func liveError(iface string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%s: %w (run as root, or grant it with: setcap cap_net_raw,cap_net_admin=eip lyncaudit)", iface, ErrPermission)
	}
	return fmt.Errorf("%s: %w", iface, err)
}

// dropOutgoing keeps only packets that are not outgoing: BPF's ancillary
// load of the packet type (SKF_AD_PKTTYPE), compared with PACKET_OUTGOING.
var dropOutgoing = []bpf.RawInstruction{
	{Op: 0x20, K: 0xfffff000 + 4},  // ld [pkttype]
	{Op: 0x15, Jt: 0, Jf: 1, K: 4}, // jeq #PACKET_OUTGOING
	{Op: 0x06, K: 0},               // ret #0
	{Op: 0x06, K: 0x40000},         // ret #262144
}

// ifaceLinkType returns the link type frames of iface arrive with on a
// raw packet socket (Ethernet framing for Ethernet and loopback devices,
// bare IP for tunnel devices) and whether it is the loopback device.
func ifaceLinkType(iface string) (decoders.LinkType, bool, error) {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		var names []string
		if all, err := net.Interfaces(); err == nil {
			for _, i := range all {
				names = append(names, i.Name)
			}
		}
		return 0, false, fmt.Errorf("no interface named %q (there are: %s)", iface, strings.Join(names, ", "))
	}
	if ifc.Flags&net.FlagUp == 0 {
		return 0, false, fmt.Errorf("%s is down (bring it up with: ip link set %s up)", iface, iface)
	}
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		return 0, false, fmt.Errorf("%s: reading its hardware type: %w", iface, err)
	}
	switch t, _ := strconv.Atoi(strings.TrimSpace(string(b))); t {
	case unix.ARPHRD_ETHER:
		return 1, false, nil
	case unix.ARPHRD_LOOPBACK:
		return 1, true, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_IPGRE, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6:
		return 101, false, nil
	default:
		return 0, false, fmt.Errorf("%s: hardware type %d is not supported (Ethernet, loopback and IP tunnels are)", iface, t)
	}
}

// Next fills p with the next frame, waiting at most the poll timeout; it
// returns ErrTimeout when none came. p.Data is valid until the next call.
func (l *Live) Next(p *Packet) error {
	for {
		data, ci, err := l.tp.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, afpacket.ErrTimeout) {
				return ErrTimeout
			}
			return fmt.Errorf("%s: %w", l.name, err)
		}
		wire := ci.Length
		for _, a := range ci.AncillaryData {
			if v, ok := a.(afpacket.AncillaryVLAN); ok && l.linkType == 1 && len(data) >= 12 {
				data = l.putTagBack(data, v.VLAN)
				wire += 4
			}
		}
		if l.filter != nil && !l.filter.Match(l.linkType, data) {
			l.filtered++
			continue
		}
		l.number++
		*p = Packet{Data: data, Timestamp: ci.Timestamp.UnixNano(), WireLen: max(wire, len(data)),
			LinkType: l.linkType, Number: l.number}
		return nil
	}
}

// putTagBack returns frame with an 802.1Q tag for vid after its MAC
// addresses, built in the reused buffer.
func (l *Live) putTagBack(frame []byte, vid int) []byte {
	l.vlanBuf = append(l.vlanBuf[:0], frame[:12]...)
	l.vlanBuf = append(l.vlanBuf, 0x81, 0x00, byte(vid>>8)&0x0f, byte(vid))
	l.vlanBuf = append(l.vlanBuf, frame[12:]...)
	return l.vlanBuf
}

// LiveStats are the kernel's counters for a live capture.
type LiveStats struct {
	Received uint64 // frames the kernel passed to the socket's filter
	Dropped  uint64 // frames it dropped because the ring was full
	Filtered uint64 // frames the user-space filter dropped
}

// Stats returns the capture's counters since it opened.
func (l *Live) Stats() (LiveStats, error) {
	_, v3, err := l.tp.SocketStats()
	if err != nil {
		return LiveStats{}, fmt.Errorf("%s: reading the kernel's counters: %w", l.name, err)
	}
	return LiveStats{Received: uint64(v3.Packets()), Dropped: uint64(v3.Drops()), Filtered: l.filtered}, nil
}

// Name returns the interface name.
func (l *Live) Name() string { return l.name }

// Format describes the source for reports.
func (l *Live) Format() string { return "live (AF_PACKET TPACKET_V3)" }

// LinkTypes returns the link type of the interface's frames.
func (l *Live) LinkTypes() []decoders.LinkType { return []decoders.LinkType{l.linkType} }

// Close releases the socket and its ring.
func (l *Live) Close() error {
	l.tp.Close()
	return nil
}
