package decoders

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mediaPayload is one payload of a flow as the analyzer would hand it to
// the signatures.
type mediaPayload struct {
	frame int
	dir   Dir
	data  []byte
}

// mediaFlow is one TCP or UDP flow of a capture, oriented as the analyzer
// does without a handshake: the client sent the first packet (or the SYN).
type mediaFlow struct {
	transport  Transport
	client     netip.AddrPort
	server     netip.AddrPort
	payloads   []mediaPayload
	nextSeq    [2]uint32 // TCP, per Dir: the sequence number after the highest byte seen
	seqKnown   [2]bool
	firstFrame int
}

func (f *mediaFlow) String() string {
	return fmt.Sprintf("%v %v → %v (frame %d)", f.transport, f.client, f.server, f.firstFrame)
}

// mediaFlowKey identifies a flow whichever way its packets go.
type mediaFlowKey struct {
	transport Transport
	a, b      netip.AddrPort
}

func mediaKeyOf(t Transport, src, dst netip.AddrPort) mediaFlowKey {
	if src.Compare(dst) < 0 {
		return mediaFlowKey{t, src, dst}
	}
	return mediaFlowKey{t, dst, src}
}

// mediaMaxPayloads is how many payloads of each flow mediaFlows keeps: the
// analyzer inspects about 16.
const mediaMaxPayloads = 24

// mediaFlows decodes the capture at path and returns its flows in the
// order they started, each with its first payloads. TCP retransmissions
// are dropped, as the analyzer drops them; out-of-order segments are kept
// (the shared captures have none that matter here).
func mediaFlows(tb testing.TB, path string) []*mediaFlow {
	tb.Helper()
	d := NewDecoder()
	var p Packet
	index := map[mediaFlowKey]*mediaFlow{}
	var flows []*mediaFlow
	for _, fr := range readCapture(tb, path) {
		if d.Decode(fr.lt, fr.data, &p) != OK || !p.Fragment.First() || p.Fragment.IsFragment() {
			continue
		}
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		key := mediaKeyOf(p.Transport, src, dst)
		f := index[key]
		if f == nil {
			if len(p.Payload) == 0 && !(p.Transport == TCP && p.Flags.Has(FlagSYN)) {
				continue
			}
			f = &mediaFlow{transport: p.Transport, client: src, server: dst, firstFrame: fr.number}
			if p.Transport == TCP && p.Flags.Has(FlagSYN|FlagACK) {
				f.client, f.server = dst, src
			}
			index[key] = f
			flows = append(flows, f)
		}
		dir := ToServer
		if src != f.client {
			dir = ToClient
		}
		if p.Transport == TCP {
			end := p.Seq + uint32(len(p.Payload))
			if p.Flags.Has(FlagSYN) || p.Flags.Has(FlagFIN) {
				end++
			}
			if f.seqKnown[dir] && int32(end-f.nextSeq[dir]) <= 0 && len(p.Payload) > 0 {
				continue // a retransmission
			}
			if !f.seqKnown[dir] || int32(end-f.nextSeq[dir]) > 0 {
				f.nextSeq[dir], f.seqKnown[dir] = end, true
			}
		}
		if len(p.Payload) == 0 || len(f.payloads) >= mediaMaxPayloads {
			continue
		}
		f.payloads = append(f.payloads, mediaPayload{fr.number, dir, append([]byte(nil), p.Payload...)})
	}
	return flows
}

// mediaRun feeds a flow's payloads to sig as the analyzer does: until it
// answers Confirmed or Violated, or the payloads run out. It returns the
// answers and the state.
func mediaRun(sig Signature, f *mediaFlow) ([]Answer, *State) {
	s := &State{}
	s.Reset(f.transport, f.client.Port(), f.server.Port())
	var answers []Answer
	for _, p := range f.payloads {
		a := sig.Inspect(s, p.dir, p.data)
		s.Payloads[p.dir]++
		answers = append(answers, a)
		if a == Confirmed || a == Violated {
			break
		}
	}
	return answers, s
}

// mediaLast returns the last answer, or NeedMore when there is none.
func mediaLast(answers []Answer) Answer {
	if len(answers) == 0 {
		return NeedMore
	}
	return answers[len(answers)-1]
}

// mediaNamed reports whether any answer named the flow.
func mediaNamed(answers []Answer) bool {
	for _, a := range answers {
		if a.Named() {
			return true
		}
	}
	return false
}

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
	byCapture := map[string][]*mediaFlow{}
	for _, w := range mediaWants {
		name := fmt.Sprintf("%s/%v/%s", w.capture, w.sig.Protocol(), w.server)
		t.Run(name, func(t *testing.T) {
			flows, ok := byCapture[w.capture]
			if !ok {
				flows = mediaFlows(t, filepath.Join(dir, w.capture))
				byCapture[w.capture] = flows
			}
			f := mediaFind(flows, w.transport, w.client, w.server)
			if f == nil {
				t.Fatalf("no flow %v %s → %s", w.transport, w.client, w.server)
			}
			answers, s := mediaRun(w.sig, f)
			if got := mediaLast(answers); got != w.last {
				t.Errorf("answers %v, want them to end with %v", answers, w.last)
			}
			for k, v := range w.detail {
				if got := s.Detail.Get(k); got != v {
					t.Errorf("detail %s = %q, want %q (all: %v)", k, got, v, s.Detail.Attrs)
				}
			}
			if s.Detail.Media != w.media {
				t.Errorf("media %v, want %v", s.Detail.Media, w.media)
			}
			if !mediaNamed(answers) && (len(s.Detail.Attrs) > 0 || s.Detail.Media != MediaUnknown) {
				t.Errorf("detail %v (media %v) on a flow it did not name", s.Detail.Attrs, s.Detail.Media)
			}
		})
	}
}

// mediaFind returns the flow with these ends, or nil.
func mediaFind(flows []*mediaFlow, t Transport, client, server string) *mediaFlow {
	for _, f := range flows {
		if f.transport == t && f.client.String() == client && f.server.String() == server {
			return f
		}
	}
	return nil
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
	if testing.Short() {
		t.Skip("runs tshark on every shared capture; skipped with -short")
	}
	dir := capturesDir(t)
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: skipping the comparison with Wireshark")
	}
	named := map[Protocol]int{}
	foreign := 0
	for _, path := range captureFiles(t, dir) {
		name, _ := filepath.Rel(dir, path)
		t.Run(name, func(t *testing.T) {
			protos := mediaTsharkProtocols(t, tshark, path)
			for _, f := range mediaFlows(t, path) {
				if len(f.payloads) == 0 {
					continue // a TCP handshake without data
				}
				first := f.payloads[0]
				if top := protos[first.frame]; top != "" && !mediaCompatible[top] {
					foreign++
					mediaFirstViolated(t, f, top)
				}
				for _, sig := range []Signature{stunSig{}, rtpSig{}, rtcpSig{}} {
					if !sig.Accepts(f.transport) {
						continue
					}
					answers, _ := mediaRun(sig, f)
					if !mediaNamed(answers) {
						continue
					}
					named[sig.Protocol()]++
					stun := false
					for _, p := range f.payloads[:len(answers)] {
						top := protos[p.frame]
						stun = stun || top == "stun" || top == "classicstun"
						if !mediaCompatible[top] {
							t.Errorf("%v: %v names it, tshark calls frame %d %q", f, sig.Protocol(), p.frame, top)
						}
					}
					if sig.Protocol() == STUN && !stun {
						t.Errorf("%v: STUN names it, tshark calls none of its frames STUN", f)
					}
				}
			}
		})
	}
	t.Logf("flows named: %v; first payloads of other protocols: %d", named, foreign)
}

// mediaFirstViolated checks the signatures' answer to the first payload of
// a flow that tshark calls top.
func mediaFirstViolated(t *testing.T, f *mediaFlow, top string) {
	t.Helper()
	p := f.payloads[0]
	for _, sig := range []Signature{stunSig{}, rtpSig{}, rtcpSig{}} {
		if !sig.Accepts(f.transport) {
			continue
		}
		s := &State{}
		s.Reset(f.transport, f.client.Port(), f.server.Port())
		a := sig.Inspect(s, p.dir, p.data)
		if _, ok := sig.(rtpSig); ok && (p.data[0] <= 3 || p.data[0]&0xc0 == 0x80) {
			if a.Named() {
				t.Errorf("%v: frame %d (%s) named %v on its own", f, p.frame, top, sig.Protocol())
			}
			continue
		}
		if a != Violated {
			t.Errorf("%v: frame %d (%s, % x…): %v answers %v, want violated", f, p.frame, top, p.data[:min(8, len(p.data))], sig.Protocol(), a)
		}
	}
}

// mediaTsharkProtocols returns, by frame number, the protocol tshark
// dissects right after the innermost UDP or TCP header ("" when none).
func mediaTsharkProtocols(t *testing.T, tshark, path string) map[int]string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.protocols")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.Bytes())
	}
	protos := map[int]string{}
	for line := range strings.Lines(string(out)) {
		num, list, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("tshark output %q: %v", line, err)
		}
		layers := strings.Split(list, ":")
		for i := len(layers) - 1; i >= 0; i-- {
			if layers[i] == "udp" || layers[i] == "tcp" {
				if i+1 < len(layers) {
					protos[n] = layers[i+1]
				}
				break
			}
		}
	}
	return protos
}

// mediaStep is one payload of a table row: its direction and its bytes
// in hex (spaces allowed).
type mediaStep struct {
	dir Dir
	hex string
}

// mediaCase is one row of a signature's table test.
type mediaCase struct {
	name      string
	transport Transport
	steps     []mediaStep
	want      []Answer          // after each step
	detail    map[string]string // Detail once the last step is read; nil: none
	media     MediaKind
}

// mediaHex decodes a hex string with spaces.
func mediaHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatalf("hex %.20q…: %v", s, err)
	}
	return b
}

// mediaTable runs sig over each case, payload by payload.
func mediaTable(t *testing.T, sig Signature, cases []mediaCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) != len(tc.steps) {
				t.Fatalf("%d steps, %d answers wanted", len(tc.steps), len(tc.want))
			}
			s := &State{}
			s.Reset(tc.transport, 50000, 3478)
			for i, step := range tc.steps {
				if got := sig.Inspect(s, step.dir, mediaHex(t, step.hex)); got != tc.want[i] {
					t.Fatalf("payload %d: %v, want %v (detail %v)", i+1, got, tc.want[i], s.Detail.Attrs)
				}
				s.Payloads[step.dir]++
			}
			if len(s.Detail.Attrs) != len(tc.detail) {
				t.Errorf("detail %v, want %v", s.Detail.Attrs, tc.detail)
			}
			for k, v := range tc.detail {
				if got := s.Detail.Get(k); got != v {
					t.Errorf("detail %s = %q, want %q", k, got, v)
				}
			}
			if s.Detail.Media != tc.media {
				t.Errorf("media %v, want %v", s.Detail.Media, tc.media)
			}
		})
	}
}

// Fuzz inputs hold several payloads: each behind a 2-byte header whose
// top bit is the direction and whose other bits are its length.
func mediaFuzzEncode(payloads []mediaPayload) []byte {
	var b []byte
	for _, p := range payloads {
		n := min(len(p.data), 0x7fff)
		b = binary.BigEndian.AppendUint16(b, uint16(p.dir)<<15|uint16(n))
		b = append(b, p.data[:n]...)
	}
	return b
}

func mediaFuzzDecode(b []byte) []mediaPayload {
	var ps []mediaPayload
	for len(b) >= 2 {
		h := binary.BigEndian.Uint16(b)
		n := min(int(h&0x7fff), len(b)-2)
		if n > 0 {
			ps = append(ps, mediaPayload{dir: Dir(h >> 15), data: b[2 : 2+n]})
		}
		b = b[2+n:]
	}
	return ps
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
		for _, fl := range mediaFlows(f, path) {
			if len(fl.payloads) == 0 || !sig.Accepts(fl.transport) {
				continue
			}
			answers, _ := mediaRun(sig, fl)
			if !mediaNamed(answers) {
				if others >= 40 {
					continue
				}
				others++
			}
			f.Add(fl.transport == TCP, mediaFuzzEncode(fl.payloads[:min(len(fl.payloads), 8)]))
		}
	}
}

// mediaFuzzCheck feeds the payloads in data to sig as the analyzer does
// and checks that the answers make sense: once named, the flow stays
// named; Detail is written only once it is; nothing panics.
func mediaFuzzCheck(t *testing.T, sig Signature, tcp bool, data []byte) {
	tr := UDP
	if tcp {
		tr = TCP
	}
	if !sig.Accepts(tr) {
		return
	}
	s := &State{}
	s.Reset(tr, 50000, 3478)
	named := false
	for i, p := range mediaFuzzDecode(data) {
		a := sig.Inspect(s, p.dir, p.data)
		s.Payloads[p.dir]++
		switch {
		case named && !a.Named():
			t.Fatalf("payload %d: %v after the flow was named", i+1, a)
		case a > Violated:
			t.Fatalf("payload %d: answer %d", i+1, a)
		}
		named = named || a.Named()
		if !named && (len(s.Detail.Attrs) > 0 || s.Detail.Media != MediaUnknown) {
			t.Fatalf("payload %d: %v with detail %v, media %v", i+1, a, s.Detail.Attrs, s.Detail.Media)
		}
		if a == Confirmed || a == Violated {
			return
		}
	}
}
