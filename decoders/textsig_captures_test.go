package decoders

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// This file walks the shared captures flow by flow, the way the analyzer
// feeds signatures, and holds the SIP, HTTP, HTTP/2, DNS and DHCP
// signatures against what tshark makes of the same flows.

// textFlow is one TCP or UDP flow of a capture, with its payloads in
// capture order.
type textFlow struct {
	transport Transport
	client    netip.AddrPort
	server    netip.AddrPort
	payloads  []textPayload
	frames    []int // every frame of the flow, payload or not
}

// textPayload is one payload of a flow.
type textPayload struct {
	frame int
	dir   Dir
	data  []byte
}

func (f *textFlow) String() string {
	return fmt.Sprintf("%v %v → %v", f.transport, f.client, f.server)
}

// textFlowKey identifies a flow whichever way its packets go.
type textFlowKey struct {
	transport Transport
	a, b      netip.AddrPort
}

func newTextFlowKey(t Transport, src, dst netip.AddrPort) textFlowKey {
	if src.Compare(dst) > 0 {
		src, dst = dst, src
	}
	return textFlowKey{t, src, dst}
}

// textWalkFlows decodes every frame of the capture at path and returns its
// flows in order of first appearance. Like the analyzer, it drops empty
// payloads, TCP retransmissions (segments whose end was already seen) and
// non-first IP fragments, and takes as client the sender of a SYN, else
// the sender of the flow's first packet.
func textWalkFlows(tb testing.TB, path string) []*textFlow {
	tb.Helper()
	var (
		dec   = NewDecoder()
		p     Packet
		flows []*textFlow
		index = map[textFlowKey]*textFlow{}
		next  = map[textFlowKey]*[2]uint32{} // TCP: end of the highest segment per Dir
	)
	for _, fr := range readCapture(tb, path) {
		if dec.Decode(fr.lt, fr.data, &p) != OK || !p.Fragment.First() {
			continue
		}
		src := netip.AddrPortFrom(p.Src, p.SrcPort)
		dst := netip.AddrPortFrom(p.Dst, p.DstPort)
		key := newTextFlowKey(p.Transport, src, dst)
		f := index[key]
		if f == nil {
			f = &textFlow{transport: p.Transport, client: src, server: dst}
			if p.Transport == TCP && p.Flags.Has(FlagSYN) && p.Flags.Has(FlagACK) {
				f.client, f.server = dst, src
			}
			index[key] = f
			flows = append(flows, f)
			next[key] = &[2]uint32{}
		}
		f.frames = append(f.frames, fr.number)
		dir := ToServer
		if src != f.client {
			dir = ToClient
		}
		if len(p.Payload) == 0 {
			continue
		}
		if p.Transport == TCP {
			end := p.Seq + uint32(len(p.Payload))
			seen := next[key]
			if seen[dir] != 0 && int32(end-seen[dir]) <= 0 {
				continue // a retransmission
			}
			seen[dir] = end
		}
		f.payloads = append(f.payloads, textPayload{fr.number, dir, p.Payload})
	}
	return flows
}

// textSignatures are the signatures this file checks, by name.
var textSignatures = []struct {
	name string
	sig  Signature
}{
	{"sip", sipSig{}}, {"http", httpSig{}}, {"http2", http2Sig{}}, {"dns", dnsSig{}}, {"dhcp", dhcpSig{}},
}

// textInspect feeds the flow's payloads to sig as the analyzer does: at
// most 16, stopping at Violated or Confirmed. It returns the last answer
// and the State.
func textInspect(sig Signature, f *textFlow) (Answer, *State) {
	s := new(State)
	s.Reset(f.transport, f.client.Port(), f.server.Port())
	a := NeedMore
	if !sig.Accepts(f.transport) {
		return Violated, s
	}
	for i, pl := range f.payloads {
		if i == 16 {
			break
		}
		a = sig.Inspect(s, pl.dir, pl.data)
		s.Payloads[pl.dir]++
		if a == Violated || a == Confirmed {
			break
		}
	}
	return a, s
}

// textNamedFlows is how many flows of each shared capture each signature
// names: the fast regression check, with TestTextSignaturesAgreeWithTshark
// (which tshark must run) saying why these numbers are right. Captures
// not listed have no flow any of these signatures names.
var textNamedFlows = map[string]map[string]int{
	"arkime/twovlan.pcap":                         {"http": 1},
	"heplify/rtp_rtcp_sip_ipv4_udp.pcap":          {"http": 25, "sip": 2},
	"heplify/sip_ipv4_tcp.pcap":                   {"sip": 1},
	"ndpi/fuzz-2006-06-26-2594.pcap":              {"dhcp": 1, "dns": 102, "sip": 7},
	"ndpi/sip.pcap":                               {"sip": 2},
	"ndpi/teams.pcap":                             {"dhcp": 2, "dns": 22},
	"pcapplusplus/many_interfaces-1.pcapng":       {"dns": 7},
	"suricata-verify/decode-sll2-01/input.pcap":   {"http": 1},
	"suricata-verify/sip-tcp-method/sip-tcp.pcap": {"sip": 1},
	"wireshark-notes/websocket-sip.pcapng":        {"http": 1},
	"zeek/dhcp/dhcp.pcap":                         {"dhcp": 4},
	"zeek/erspan.pcap":                            {"dns": 7, "http": 5},
	"zeek/pcapng-multi-interface.pcapng":          {"dns": 3},
}

// TestTextSignaturesOnCaptures counts the flows each signature names in
// each shared capture.
func TestTextSignaturesOnCaptures(t *testing.T) {
	dir := capturesDir(t)
	for _, path := range captureFiles(t, dir) {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			got := map[string]int{}
			for _, f := range textWalkFlows(t, path) {
				if len(f.payloads) == 0 {
					continue
				}
				for _, ts := range textSignatures {
					if a, _ := textInspect(ts.sig, f); a.Named() {
						got[ts.name]++
					}
				}
			}
			want := textNamedFlows[rel]
			for _, ts := range textSignatures {
				if got[ts.name] != want[ts.name] {
					t.Errorf("%s names %d flows, want %d", ts.name, got[ts.name], want[ts.name])
				}
			}
		})
	}
}

// textTsharkNames are the names tshark's frame.protocols gives each protocol.
var textTsharkNames = map[Protocol][]string{
	SIP:   {"sip"},
	HTTP:  {"http"},
	HTTP2: {"http2"},
	DNS:   {"dns", "mdns", "llmnr"},
	DHCP:  {"dhcp", "bootp"},
}

// textTsharkProtocols returns, per frame number, the protocols tshark finds in
// the capture at path.
func textTsharkProtocols(t *testing.T, tshark, path string) map[int][]string {
	t.Helper()
	cmd := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.protocols")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.Bytes())
	}
	protos := map[int][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		num, list, _ := strings.Cut(sc.Text(), "\t")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("tshark %s: line %q: %v", path, sc.Text(), err)
		}
		protos[n] = strings.Split(list, ":")
	}
	return protos
}

// TestTextSignaturesAgreeWithTshark walks every flow of the shared
// captures and checks that the SIP, HTTP, HTTP/2, DNS and DHCP signatures
// name a flow only when tshark finds that protocol in it, and name every
// flow whose first payload tshark dissects as their protocol (fuzzed
// frames that tshark marks malformed aside).
func TestTextSignaturesAgreeWithTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on every shared capture: skipped with -short")
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not in PATH")
	}
	dir := capturesDir(t)
	for _, path := range captureFiles(t, dir) {
		rel, _ := filepath.Rel(dir, path)
		t.Run(rel, func(t *testing.T) {
			protos := textTsharkProtocols(t, tshark, path)
			for _, f := range textWalkFlows(t, path) {
				if len(f.payloads) == 0 {
					continue
				}
				first := protos[f.payloads[0].frame]
				for _, ts := range textSignatures {
					a, s := textInspect(ts.sig, f)
					p := ts.sig.Protocol()
					inFlow, inFirst := false, false
					for _, n := range f.frames {
						inFlow = inFlow || textHasAny(protos[n], textTsharkNames[p])
					}
					inFirst = textHasAny(first, textTsharkNames[p]) && !textHasAny(first, []string{"_ws.malformed"})
					switch {
					case a.Named() && !inFlow:
						t.Errorf("%s named %v (frame %d) but tshark finds no %s in it: %v", ts.name, f, f.payloads[0].frame, p, s.Detail.Attrs)
					case !a.Named() && inFirst && !textTsharkExempt(rel, f, p):
						t.Errorf("%s answers %v on %v (frame %d) but tshark dissects %s", ts.name, a, f, f.payloads[0].frame, first)
					}
				}
			}
		})
	}
}

func textHasAny(list, names []string) bool {
	for _, a := range list {
		for _, b := range names {
			if a == b {
				return true
			}
		}
	}
	return false
}

// textTsharkExempt tells the flows where a signature may leave unnamed what
// tshark dissects: the fuzzed capture, whose damaged messages tshark
// dissects as far as it can (often without marking them malformed) and
// the signatures rightly reject.
func textTsharkExempt(capture string, _ *textFlow, _ Protocol) bool {
	return capture == filepath.Join("ndpi", "fuzz-2006-06-26-2594.pcap")
}
