package decoders

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// viewFields are the fields asked of tshark for each frame, in order.
var viewFields = []string{
	"frame.protocols",
	"ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
	"tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
}

// flowView is the innermost TCP or UDP packet of a frame as one decoder
// sees it; the zero value means there is none (or, for a later fragment,
// none whose ports can be known).
type flowView struct {
	src, dst   netip.Addr
	sport      uint16
	dport      uint16
	transport  Transport
	protocols  string // tshark's frame.protocols
	icmpQuoted bool   // tshark found the packet quoted inside an ICMP error
}

func (v flowView) String() string {
	if v.transport == 0 {
		return "none"
	}
	return fmt.Sprintf("%v %v:%d → %v:%d", v.transport, v.src, v.sport, v.dst, v.dport)
}

// tsharkViews runs tshark on the capture at path, with IP reassembly off so
// that fragments stay apart as Decode sees them, and returns each frame's
// innermost TCP/UDP packet by frame number.
func tsharkViews(t *testing.T, tshark, path string) map[int]flowView {
	t.Helper()
	noDefrag := []string{"-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"}
	views := make(map[int]flowView)
	for n, cols := range tsharkFields(t, tshark, path, noDefrag, viewFields...) {
		views[n] = innermost(cols)
	}
	return views
}

// innermost picks the innermost TCP/UDP packet out of one frame's
// viewFields: tshark lists each field once per layer, outermost first.
func innermost(cols []string) flowView {
	protos := strings.Split(cols[0], ":")
	v := flowView{protocols: cols[0], icmpQuoted: slices.Contains(protos, "icmp") || slices.Contains(protos, "icmpv6")}
	ipAt := max(lastIndex(protos, "ip"), lastIndex(protos, "ipv6"))
	l4At := max(lastIndex(protos, "tcp"), lastIndex(protos, "udp"))
	if ipAt < 0 || l4At < ipAt {
		return v
	}
	srcCol, dstCol := 1, 2
	if protos[ipAt] == "ipv6" {
		srcCol, dstCol = 3, 4
	}
	sportCol, dportCol, tr := 5, 6, TCP
	if protos[l4At] == "udp" {
		sportCol, dportCol, tr = 7, 8, UDP
	}
	src, err1 := netip.ParseAddr(last(cols[srcCol]))
	dst, err2 := netip.ParseAddr(last(cols[dstCol]))
	sport, err3 := strconv.ParseUint(last(cols[sportCol]), 10, 16)
	dport, err4 := strconv.ParseUint(last(cols[dportCol]), 10, 16)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return v // a header tshark found malformed has no usable fields
	}
	v.src, v.dst, v.sport, v.dport, v.transport = src, dst, uint16(sport), uint16(dport), tr
	return v
}

func lastIndex(s []string, x string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == x {
			return i
		}
	}
	return -1
}

func last(list string) string { return list[strings.LastIndexByte(list, ',')+1:] }

// decodeView is Decode's flowView of a frame. A later fragment has no ports
// to compare, as for tshark.
func decodeView(d *Decoder, f captureFrame) (flowView, Reason) {
	var p Packet
	r := d.Decode(f.lt, f.data, &p)
	if r != OK || !p.Fragment.First() {
		return flowView{}, r
	}
	return flowView{src: p.Src, dst: p.Dst, sport: p.SrcPort, dport: p.DstPort, transport: p.Transport}, r
}

// TestDecodeAgreesWithTshark decodes every frame of every shared capture
// and compares the innermost TCP/UDP packet with tshark's. Disagreements
// that come from a known difference are counted apart; any other fails.
func TestDecodeAgreesWithTshark(t *testing.T) {
	tshark := tsharkPath(t)
	var total, agreed, onPackets, explained int
	eachCapture(t, func(t *testing.T, _, path string) {
		views := tsharkViews(t, tshark, path)
		d := NewDecoder()
		frames := readCapture(t, path)
		why := map[string]int{}
		same, packets := 0, 0
		for _, f := range frames {
			ours, reason := decodeView(d, f)
			theirs, ok := views[f.number]
			if !ok {
				t.Fatalf("frame %d: tshark has no line for it", f.number)
			}
			theirs2 := theirs
			theirs2.protocols, theirs2.icmpQuoted = "", false
			if ours == theirs2 {
				same++
				if ours.transport != 0 {
					packets++
				}
				continue
			}
			if because := explain(reason, theirs); because != "" {
				why[because]++
				continue
			}
			t.Errorf("frame %d (%s): Decode %v (%v), tshark %v", f.number, theirs.protocols, ours, reason, theirs)
		}
		t.Logf("%d frames: %d agree (%d on a TCP/UDP packet), %d differ for known reasons %v",
			len(frames), same, packets, len(frames)-same, why)
		total += len(frames)
		agreed += same
		onPackets += packets
		for _, n := range why {
			explained += n
		}
	})
	t.Logf("all captures: %d frames, %d agree with tshark (%d on a TCP/UDP packet), %d differ for known reasons",
		total, agreed, onPackets, explained)
}

// explain names the known reason why Decode and tshark disagree on a frame,
// or returns "".
func explain(reason Reason, theirs flowView) string {
	switch {
	case theirs.icmpQuoted && reason == OtherIPProto:
		// An ICMP error quotes the head of the packet it answers; tshark
		// decodes the quote, Decode counts the ICMP packet.
		return "icmp-quote"
	case reason == MalformedL4 && theirs.transport != 0:
		// The IP length leaves less than a TCP or UDP header; tshark still
		// shows the ports it read before the header ran out.
		return "short-l4-header"
	}
	return ""
}
