package decoders

import (
	"fmt"
	"path/filepath"
	"testing"
)

// This file holds the STUN, RTP and RTCP signatures against flows of the
// shared captures that tshark and nDPI label, and against what tshark
// makes of every flow.

// mediaSignatures are the signatures checked here.
var mediaSignatures = []Signature{stunSig{}, rtpSig{}, rtcpSig{}}

// mediaWant is what one signature must make of one flow of a shared
// capture.
type mediaWant struct {
	capture        string
	transport      Transport
	client, server string
	sig            Signature
	last           Answer            // the answer it ends with
	detail         map[string]string // Detail values that must be there
	media          MediaKind
}

// mediaWants are the STUN, RTP and RTCP flows of the shared captures, as
// tshark (with SDP, or its STUN and RTCP heuristics) and nDPI label them,
// and flows that look close but are something else.
var mediaWants = []mediaWant{
	// RTP set up by SIP/SDP: G.711 A-law in clear, 160-byte payloads.
	{"ndpi/sip.pcap", UDP, "192.168.1.2:30000", "212.242.33.36:40392", rtpSig{}, ConfirmedMore,
		map[string]string{"pt": "8", "ssrcs": "1", "srtp": "no"}, MediaAudio},
	// The RTCP flow beside it has a single packet: not enough.
	{"ndpi/sip.pcap", UDP, "192.168.1.2:30001", "212.242.33.36:40393", rtcpSig{}, NeedMore, nil, MediaUnknown},
	// SIPp's one-way G.711 A-law stream, which tshark only calls data.
	{"sipp/g711a.pcap", UDP, "10.1.3.143:5000", "10.1.6.18:2006", rtpSig{}, Confirmed,
		map[string]string{"pt": "8", "ssrcs": "1", "srtp": "no"}, MediaAudio},
	// RTP over TCP with RFC 4571 framing, 1214-byte segments of one packet.
	{"ndpi/rtp.pcapng", TCP, "172.16.168.24:40252", "172.16.168.64:5000", rtpSig{}, Confirmed,
		map[string]string{"pt": "8", "framing": "rfc4571", "srtp": "no"}, MediaAudio},
	// H.263 video (static PT 34, 90 kHz), frames of several packets.
	{"ndpi/rtp.pcapng", UDP, "10.204.220.71:6000", "10.204.220.171:6000", rtpSig{}, ConfirmedMore,
		map[string]string{"pt": "34", "ssrcs": "1"}, MediaVideo},
	// Audio on VLAN 1508 with one CSRC, after a 16-byte non-RTP packet.
	{"ndpi/rtp.pcapng", UDP, "10.140.67.167:55402", "148.153.85.97:6008", rtpSig{}, Confirmed,
		map[string]string{"pt": "111"}, MediaAudio},
	{"heplify/sip_ipv4_tcp.pcap", UDP, "10.33.6.101:6050", "10.33.6.100:6000", rtpSig{}, Confirmed,
		map[string]string{"pt": "8", "ssrcs": "2", "srtp": "no"}, MediaAudio},
	{"heplify/sip_ipv4_tcp.pcap", UDP, "10.33.6.101:6051", "10.33.6.100:6001", rtcpSig{}, Confirmed,
		map[string]string{"pt": "200,202", "ssrcs": "2"}, MediaUnknown},
	{"heplify/rtp_rtcp_sip_ipv4_udp.pcap", UDP, "200.57.7.204:8001", "200.57.7.196:40377", rtcpSig{}, Confirmed,
		map[string]string{"pt": "200,201,202"}, MediaUnknown},
	// RTP signature against a STUN flow: the RTCP packets are SRTCP
	// (Teams, tag of 10 bytes, indexes 0, 1…), the STUN checks skipped.
	{"ndpi/teams.pcap", UDP, "93.71.110.205:16333", "192.168.1.6:50036", rtcpSig{}, Confirmed,
		map[string]string{"srtp": "likely", "pt": "206,201"}, MediaUnknown},
	// DNS whose transaction ID looks like RTCP (9F CF) but whose lengths
	// do not chain: both give up on the first payload.
	{"ndpi/teams.pcap", UDP, "192.168.1.6:60837", "192.168.1.1:53", rtcpSig{}, Violated, nil, MediaUnknown},
	{"ndpi/teams.pcap", UDP, "192.168.1.6:60837", "192.168.1.1:53", rtpSig{}, Violated, nil, MediaUnknown},

	// ICE-TCP with RFC 4571 framing and MS-ICE2 attributes (nDPI: Skype_TeamsCall).
	{"ndpi/stun.pcap", TCP, "10.77.110.51:41588", "10.206.50.239:42000", stunSig{}, Confirmed,
		map[string]string{"method": "binding", "version": "rfc5389", "framing": "rfc4571", "ice": "ms-ice2", "ice-impl": "3"}, MediaUnknown},
	// TURN over TCP, messages back to back.
	{"ndpi/stun.pcap", TCP, "54.1.57.155:37257", "87.47.100.17:3478", stunSig{}, Confirmed,
		map[string]string{"method": "allocate", "version": "rfc5389"}, MediaUnknown},
	{"ndpi/stun_dtls_rtp.pcapng", TCP, "192.168.12.182:50221", "142.250.82.249:3478", stunSig{}, Confirmed,
		map[string]string{"method": "allocate"}, MediaUnknown},
	{"ndpi/stun.pcap", UDP, "192.168.12.169:38123", "31.13.86.54:40003", stunSig{}, Confirmed,
		map[string]string{"method": "allocate"}, MediaUnknown},
	// Captured from its server's side: a ChannelBind response first.
	{"ndpi/stun.pcap", UDP, "[2600:1900:4160:5999:0:19::]:3478", "[2001:b07:a3d:c112:48a1:1094:1227:281e]:48094", stunSig{}, Confirmed,
		map[string]string{"method": "channelbind"}, MediaUnknown},
	// Teams ICE checks: RFC 5389 with IMPLEMENTATION-VERSION 7.
	{"ndpi/teams.pcap", UDP, "192.168.1.6:50016", "192.168.0.4:50005", stunSig{}, Confirmed,
		map[string]string{"method": "binding", "ice": "ms-ice2", "ice-impl": "7"}, MediaUnknown},
	{"ndpi/teams.pcap", UDP, "52.114.252.8:3479", "192.168.1.6:50016", stunSig{}, Confirmed,
		map[string]string{"ice": "ms-ice2"}, MediaUnknown},
	// Teams' relay allocations carry MS-TURN's MAGIC-COOKIE first: MS-TURN's.
	{"ndpi/teams.pcap", UDP, "192.168.1.6:50016", "52.114.250.123:3478", stunSig{}, Violated, nil, MediaUnknown},
	// Encrypted traffic to the Teams relay port, STUN by port only in nDPI.
	{"ndpi/teams.pcap", UDP, "192.168.1.6:51681", "52.114.77.136:3478", stunSig{}, Violated, nil, MediaUnknown},
	{"ndpi/teams.pcap", UDP, "192.168.1.6:51681", "52.114.77.136:3478", rtpSig{}, Violated, nil, MediaUnknown},
	{"zeek/tls/webrtc-stun.pcap", UDP, "192.168.6.82:51462", "74.201.205.9:43044", stunSig{}, Confirmed,
		map[string]string{"method": "binding", "ice": "rfc8445"}, MediaUnknown},
	{"arkime/stun-ice-testcall.pcap", UDP, "192.168.43.155:60020", "74.125.141.127:19302", stunSig{}, Confirmed,
		map[string]string{"method": "binding"}, MediaUnknown},
}

// TestMediaOnCaptures checks mediaWants.
func TestMediaOnCaptures(t *testing.T) {
	dir := capturesDir(t)
	for _, w := range mediaWants {
		name := fmt.Sprintf("%s/%v/%s", w.capture, w.sig.Protocol(), w.server)
		t.Run(name, func(t *testing.T) {
			f := flowBetween(captureFlows(t, filepath.Join(dir, w.capture)), w.transport, w.client, w.server)
			if f == nil {
				t.Fatalf("no flow %v %s → %s", w.transport, w.client, w.server)
			}
			in := InspectFlow(w.sig, f, MediaBudget)
			s := in.State
			if got := in.Last(); got != w.last {
				t.Errorf("answers %v, want them to end with %v", in.Answers, w.last)
			}
			for k, v := range w.detail {
				if got := s.Detail.Get(k); got != v {
					t.Errorf("detail %s = %q, want %q (all: %v)", k, got, v, s.Detail.Attrs)
				}
			}
			if s.Detail.Media != w.media {
				t.Errorf("media %v, want %v", s.Detail.Media, w.media)
			}
			if !in.Named() && (len(s.Detail.Attrs) > 0 || s.Detail.Media != MediaUnknown) {
				t.Errorf("detail %v (media %v) on a flow it did not name", s.Detail.Attrs, s.Detail.Media)
			}
		})
	}
}

// mediaCompatible are the protocols tshark may name (right after UDP or
// TCP) on a flow the STUN, RTP or RTCP signature names: the RFC 7983
// family, and data for what it cannot tell.
var mediaCompatible = map[string]bool{
	"stun": true, "classicstun": true, "turnchannel": true, "dtls": true, "rtp": true, "rtcp": true,
	"srtp": true, "srtcp": true, "rtpevent": true, "data": true, "_ws.malformed": true,
}

// TestMediaAgreesWithTshark runs the three signatures over every flow of
// every shared capture and checks each flow they name against tshark's
// dissection of the same frames: nothing tshark calls another protocol,
// and for STUN, frames tshark calls STUN. And the first payload of every
// flow that tshark calls another protocol must be Violated at once, but by
// RTP when it starts with 0–3 (where it waits for RTP after keep-alives)
// or has RTP's version bits (where it waits for a second packet).
func TestMediaAgreesWithTshark(t *testing.T) {
	tshark := tsharkPath(t)
	named := map[Protocol]int{}
	foreign := 0
	eachCapture(t, func(t *testing.T, _, path string) {
		protos := tsharkProtocols(t, tshark, path)
		for _, f := range captureFlows(t, path) {
			if len(f.Payloads) == 0 {
				continue // a TCP handshake without data
			}
			if top := protos[f.Payloads[0].Frame].afterTransport(); top != "" && !mediaCompatible[top] {
				foreign++
				mediaFirstViolated(t, f, top)
			}
			for _, sig := range mediaSignatures {
				if !sig.Accepts(f.Transport) {
					continue
				}
				in := InspectFlow(sig, f, MediaBudget)
				if !in.Named() {
					continue
				}
				named[sig.Protocol()]++
				stun := false
				for _, p := range f.Payloads[:len(in.Answers)] {
					top := protos[p.Frame].afterTransport()
					stun = stun || top == "stun" || top == "classicstun"
					if !mediaCompatible[top] {
						t.Errorf("%v: %v names it, tshark calls frame %d %q", f, sig.Protocol(), p.Frame, top)
					}
				}
				if sig.Protocol() == STUN && !stun {
					t.Errorf("%v: STUN names it, tshark calls none of its frames STUN", f)
				}
			}
		}
	})
	t.Logf("flows named: %v; first payloads of other protocols: %d", named, foreign)
}

// mediaFirstViolated checks the signatures' answer to the first payload of
// a flow that tshark calls top.
func mediaFirstViolated(t *testing.T, f *PayloadFlow, top string) {
	t.Helper()
	p := f.Payloads[0]
	for _, sig := range mediaSignatures {
		if !sig.Accepts(f.Transport) {
			continue
		}
		s := &State{}
		s.Reset(f.Transport, f.Client.Port(), f.Server.Port())
		a := sig.Inspect(s, p.Dir, p.Data)
		if _, ok := sig.(rtpSig); ok && (p.Data[0] <= 3 || p.Data[0]&0xc0 == 0x80) {
			if a.Named() {
				t.Errorf("%v: frame %d (%s) named %v on its own", f, p.Frame, top, sig.Protocol())
			}
			continue
		}
		if a != Violated {
			t.Errorf("%v: frame %d (%s, % x…): %v answers %v, want violated", f, p.Frame, top, p.Data[:min(8, len(p.Data))], sig.Protocol(), a)
		}
	}
}

// mediaFuzzSeed adds to f the first payloads of every flow of the shared
// captures that sig names, and of as many of the others, when the
// captures are there.
func mediaFuzzSeed(f *testing.F, sig Signature) {
	dir, ok := findCaptures()
	if !ok {
		return
	}
	others := 0
	for _, path := range captureFiles(f, dir) {
		for _, fl := range captureFlows(f, path) {
			if len(fl.Payloads) == 0 || !sig.Accepts(fl.Transport) {
				continue
			}
			if !InspectFlow(sig, fl, MediaBudget).Named() {
				if others >= 40 {
					continue
				}
				others++
			}
			f.Add(fl.Transport == TCP, packPayloads(fl.Payloads[:min(len(fl.Payloads), 8)]))
		}
	}
}
