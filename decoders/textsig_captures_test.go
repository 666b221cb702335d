package decoders

import "testing"

// This file walks the shared captures flow by flow, the way the analyzer
// feeds signatures, and holds the SIP, HTTP, HTTP/2, DNS and DHCP
// signatures against what tshark makes of the same flows.

// textSignatures are the signatures this file checks, by name.
var textSignatures = []struct {
	name string
	sig  Signature
}{
	{"sip", sipSig{}}, {"http", httpSig{}}, {"http2", http2Sig{}}, {"dns", dnsSig{}}, {"dhcp", dhcpSig{}},
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
	eachCapture(t, func(t *testing.T, name, path string) {
		got := map[string]int{}
		for _, f := range captureFlows(t, path) {
			if len(f.Payloads) == 0 {
				continue
			}
			for _, ts := range textSignatures {
				if InspectFlow(ts.sig, f, InspectBudget).Last().Named() {
					got[ts.name]++
				}
			}
		}
		want := textNamedFlows[name]
		for _, ts := range textSignatures {
			if got[ts.name] != want[ts.name] {
				t.Errorf("%s names %d flows, want %d", ts.name, got[ts.name], want[ts.name])
			}
		}
	})
}

// textTsharkNames are the names tshark's frame.protocols gives each protocol.
var textTsharkNames = map[Protocol][]string{
	SIP:   {"sip"},
	HTTP:  {"http"},
	HTTP2: {"http2"},
	DNS:   {"dns", "mdns", "llmnr"},
	DHCP:  {"dhcp", "bootp"},
}

// TestTextSignaturesAgreeWithTshark walks every flow of the shared
// captures and checks that the SIP, HTTP, HTTP/2, DNS and DHCP signatures
// name a flow only when tshark finds that protocol in it, and name every
// flow whose first payload tshark dissects as their protocol (fuzzed
// frames that tshark marks malformed aside).
func TestTextSignaturesAgreeWithTshark(t *testing.T) {
	tshark := tsharkPath(t)
	eachCapture(t, func(t *testing.T, name, path string) {
		protos := tsharkProtocols(t, tshark, path)
		for _, f := range captureFlows(t, path) {
			if len(f.Payloads) == 0 {
				continue
			}
			first := protos[f.Payloads[0].Frame]
			for _, ts := range textSignatures {
				in := InspectFlow(ts.sig, f, InspectBudget)
				a, p := in.Last(), ts.sig.Protocol()
				inFlow := false
				for _, n := range f.Frames {
					inFlow = inFlow || protos[n].has(textTsharkNames[p]...)
				}
				inFirst := first.has(textTsharkNames[p]...) && !first.has("_ws.malformed")
				switch {
				case a.Named() && !inFlow:
					t.Errorf("%s named %v (frame %d) but tshark finds no %s in it: %v", ts.name, f, f.Payloads[0].Frame, p, in.State.Detail.Attrs)
				case !a.Named() && inFirst && !textTsharkExempt(name):
					t.Errorf("%s answers %v on %v (frame %d) but tshark dissects %s", ts.name, a, f, f.Payloads[0].Frame, first)
				}
			}
		}
	})
}

// textTsharkExempt tells the captures where a signature may leave unnamed
// what tshark dissects: the fuzzed capture, whose damaged messages tshark
// dissects as far as it can (often without marking them malformed) and
// the signatures rightly reject.
func textTsharkExempt(capture string) bool {
	return capture == "ndpi/fuzz-2006-06-26-2594.pcap"
}
