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

// This file holds the TLS, DTLS and MS-TURN signatures against every flow
// of the shared captures and the generated sample, and against what
// tshark makes of the same flows.

// tlsFlow is one TCP or UDP flow of a capture, with its payloads in
// capture order.
type tlsFlow struct {
	transport      Transport
	client, server netip.AddrPort
	frames         []int // every frame of the flow
	payloads       []tlsPayload
}

// tlsPayload is one payload of a flow and the frame that carried it.
type tlsPayload struct {
	frame int
	dir   Dir
	data  []byte
}

func (f *tlsFlow) String() string {
	return fmt.Sprintf("%v %v → %v", f.transport, f.client, f.server)
}

// tlsCaptureFlows decodes the capture at path into flows, as the analyzer
// sees them: the client is the sender of a SYN (or of the flow's first
// packet), TCP retransmissions (segments whose end was already seen) and
// non-first fragments are dropped.
func tlsCaptureFlows(tb testing.TB, path string) []*tlsFlow {
	tb.Helper()
	type key struct {
		t    Transport
		a, b netip.AddrPort
	}
	var (
		dec   = NewDecoder()
		p     Packet
		flows []*tlsFlow
		index = map[key]*tlsFlow{}
		ends  = map[key]*[2]uint32{}
	)
	for _, fr := range readCapture(tb, path) {
		if dec.Decode(fr.lt, fr.data, &p) != OK || !p.Fragment.First() {
			continue
		}
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		k := key{p.Transport, src, dst}
		if src.Compare(dst) > 0 {
			k.a, k.b = dst, src
		}
		f := index[k]
		if f == nil {
			f = &tlsFlow{transport: p.Transport, client: src, server: dst}
			if p.Transport == TCP && p.Flags.Has(FlagSYN|FlagACK) {
				f.client, f.server = dst, src
			}
			index[k], ends[k] = f, new([2]uint32)
			flows = append(flows, f)
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
			if e := ends[k]; e[dir] != 0 && int32(end-e[dir]) <= 0 {
				continue
			} else {
				e[dir] = end
			}
		}
		f.payloads = append(f.payloads, tlsPayload{fr.number, dir, p.Payload})
	}
	return flows
}

// tlsInspectFlow feeds a flow's payloads to sig as the analyzer does: at
// most 16, until Violated or Confirmed.
func tlsInspectFlow(sig Signature, f *tlsFlow) (Answer, *State) {
	s := new(State)
	s.Reset(f.transport, f.client.Port(), f.server.Port())
	a := NeedMore
	for i, pl := range f.payloads {
		if i == 16 || a == Violated || a == Confirmed {
			break
		}
		a = sig.Inspect(s, pl.dir, pl.data)
		s.Payloads[pl.dir]++
	}
	return a, s
}

func TestDTLSCaptureFlows(t *testing.T) {
	dir := capturesDir(t)
	for _, tc := range []captureFlowCase{
		{
			// Frames 1–8 STUN Binding (ICE), 9 Client Hello (from the flow's
			// server), 11 Server Hello … Certificate Request, Server Hello
			// Done, 13 Certificate, Client Key Exchange, Certificate Verify.
			name: "webrtc, stun first", file: "zeek/tls/webrtc-stun.pcap", port: 43044, sig: dtlsSig{}, want: Confirmed,
			cert: CertSent, detail: map[string]string{"version": "1.0", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
		},
		{
			// Frames 1–2 STUN, 3 Client Hello, 4 Server Hello … Certificate
			// Request, Server Hello Done, 6 Certificate … (DTLS 1.2).
			name: "webrtc dtls 1.2", file: "ndpi/stun_dtls_rtp.pcapng", port: 19305, sig: dtlsSig{}, want: Confirmed,
			cert: CertSent, detail: map[string]string{"version": "1.2", "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		},
		{
			// Frame 195 STUN, 196 a damaged hello tshark leaves undissected,
			// 197 STUN, 198 Client Hello.
			name: "damaged datagram before the hello", file: "ndpi/stun.pcap", port: 48854, sig: dtlsSig{}, want: ConfirmedMore,
			detail: map[string]string{"alpn": "webrtc,c-webrtc"},
		},
		{
			// Frame 1238 onwards: STUN-range MS-TURN messages only.
			name: "ms-turn is not dtls", file: "ndpi/teams.pcap", port: 50017, sig: dtlsSig{}, want: NeedMore, detail: map[string]string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, dir) })
	}
}

func TestMSTURNCaptureFlows(t *testing.T) {
	dir := capturesDir(t)
	for _, tc := range []captureFlowCase{
		{
			// Frame 1238: STUN 110 Allocate Request bandwidth: 12000.
			name: "teams allocate", file: "ndpi/teams.pcap", transport: UDP, port: 50016, sig: msturnSig{}, want: Confirmed,
			detail: map[string]string{"framing": "udp", "method": "allocate", "ms-version": "6"},
		},
		{
			// Frames 40–70: RFC 5766 TURN over TCP (Google), no MS-TURN.
			name: "rfc 5766 turn over tcp", file: "ndpi/stun_dtls_rtp.pcapng", transport: TCP, port: 50221, sig: msturnSig{}, want: Violated,
			detail: map[string]string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, dir) })
	}
}

// tlsFamily lists the signatures this file checks, with the names tshark's
// frame.protocols may give a flow each may name.
var tlsFamily = []struct {
	sig   Signature
	names []string
}{
	{tlsSig{}, []string{"tls", "ssl"}},
	{dtlsSig{}, []string{"dtls"}},
	// tshark reads MS-TURN as STUN or classic STUN, its pseudo-TLS hellos as TLS.
	{msturnSig{}, []string{"stun", "classicstun", "tls"}},
}

// tsharkFrames returns, per frame number, the fields asked of tshark for
// the capture at path; each value lists one field's occurrences, comma-separated.
func tsharkFrames(t *testing.T, tshark, path string, fields ...string) map[int][]string {
	t.Helper()
	args := []string{"-n", "-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.Bytes())
	}
	rows := map[int][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		n, err := strconv.Atoi(cols[0])
		if err != nil || len(cols) != 1+len(fields) {
			t.Fatalf("tshark %s: line %q", path, sc.Text())
		}
		rows[n] = cols[1:]
	}
	return rows
}

// Fields asked of tshark for the TLS checks, in this order.
var tlsTsharkFields = []string{
	"frame.protocols", "tls.handshake.type", "tls.handshake.extensions_server_name",
	"tls.handshake.certificates_length",
}

// TestTLSFamilyAgreesWithTshark walks every flow of the shared captures
// and the sample: each signature names only flows in which tshark finds
// its protocol; TLS names every flow whose first payload tshark reads as
// a ClientHello, and its SNI and client certificate answer agree with
// tshark's reading of the reassembled handshake.
func TestTLSFamilyAgreesWithTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on every shared capture: skipped with -short")
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not in PATH")
	}
	dir := capturesDir(t)
	for _, path := range append(captureFiles(t, dir), "../testdata/sample.pcapng") {
		name, err := filepath.Rel(dir, path)
		if err != nil || strings.HasPrefix(name, "..") {
			name = filepath.Base(path)
		}
		t.Run(name, func(t *testing.T) {
			rows := tsharkFrames(t, tshark, path, tlsTsharkFields...)
			for _, f := range tlsCaptureFlows(t, path) {
				if len(f.payloads) == 0 {
					continue
				}
				for _, fam := range tlsFamily {
					if !fam.sig.Accepts(f.transport) {
						continue
					}
					a, s := tlsInspectFlow(fam.sig, f)
					theirs := tlsTsharkView(rows, f)
					if a.Named() && !theirs.hasAny(fam.names) {
						t.Errorf("%v: %v names it (%v), tshark finds %v", f, fam.sig.Protocol(), s.Detail.Attrs, theirs.protocols)
					}
					if fam.sig.Protocol() == TLS {
						checkTLSAgainstTshark(t, f, a, s, theirs)
					}
				}
			}
		})
	}
}

// tlsTshark is what tshark found in one flow.
type tlsTshark struct {
	protocols   map[string]bool
	firstHello  bool            // the first payload's frame holds a ClientHello
	sni         string          // the first server_name seen
	types       [2]map[int]bool // handshake types seen, per Dir
	certLengths [2][]int        // certificates_length of the Certificate messages, per Dir
}

func (v *tlsTshark) hasAny(names []string) bool {
	for _, n := range names {
		if v.protocols[n] {
			return true
		}
	}
	return false
}

func tlsTsharkView(rows map[int][]string, f *tlsFlow) *tlsTshark {
	v := &tlsTshark{protocols: map[string]bool{}, types: [2]map[int]bool{{}, {}}}
	dirOf := map[int]Dir{}
	for _, p := range f.payloads {
		dirOf[p.frame] = p.dir
	}
	for _, n := range f.frames {
		row := rows[n]
		if row == nil {
			continue
		}
		for _, p := range strings.Split(row[0], ":") {
			v.protocols[p] = true
		}
		d, ok := dirOf[n]
		if !ok {
			continue
		}
		types := splitInts(row[1])
		if n == f.payloads[0].frame {
			v.firstHello = v.firstHello || len(types) > 0 && types[0] == hsClientHello
		}
		for _, typ := range types {
			v.types[d][typ] = true
		}
		if v.sni == "" && row[2] != "" {
			v.sni, _, _ = strings.Cut(row[2], ",")
		}
		v.certLengths[d] = append(v.certLengths[d], splitInts(row[3])...)
	}
	return v
}

// splitInts reads tshark's comma-separated numbers.
func splitInts(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// checkTLSAgainstTshark compares one flow's TLS answer with tshark's
// reading. tshark reassembles, so it may see more; the signature must not
// see anything tshark does not.
func checkTLSAgainstTshark(t *testing.T, f *tlsFlow, a Answer, s *State, v *tlsTshark) {
	t.Helper()
	if v.firstHello && !a.Named() && pseudoTLSHello(f.payloads[0].data) == 0 {
		t.Errorf("%v: tshark reads a ClientHello first, TLS answers %v", f, a)
	}
	if !a.Named() {
		return
	}
	if got := s.Detail.Get("sni"); got != "" && got != v.sni {
		t.Errorf("%v: sni %q, tshark %q", f, got, v.sni)
	}
	client := ToServer
	if s.tls.client == 2 {
		client = ToClient
	}
	server := client ^ 1
	switch s.Detail.ClientCert {
	case CertSent, CertEmpty:
		lengths := v.certLengths[client]
		if len(lengths) == 0 || (lengths[0] == 0) != (s.Detail.ClientCert == CertEmpty) {
			t.Errorf("%v: client certificate %v, tshark sees types %v, certificate lengths %v", f, s.Detail.ClientCert, v.types, lengths)
		}
	case CertNotRequested:
		// tshark's reassembly may lose messages of a flow with segments
		// missing, so only a contradiction counts.
		if v.types[server][hsCertRequest] || v.types[client][hsCertificate] {
			t.Errorf("%v: client certificate %v, tshark sees types %v", f, s.Detail.ClientCert, v.types)
		}
	case CertRequested:
		if !v.types[server][hsCertRequest] {
			t.Errorf("%v: client certificate %v, tshark sees types %v", f, s.Detail.ClientCert, v.types)
		}
	}
}
