package decoders

import (
	"strconv"
	"strings"
	"testing"
)

// This file holds the TLS, DTLS and MS-TURN signatures against every flow
// of the shared captures and the generated sample, and against what
// tshark makes of the same flows.

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

// Fields asked of tshark for the TLS checks, in this order.
var tlsTsharkFields = []string{
	"tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.certificates_length",
}

// TestTLSFamilyAgreesWithTshark walks every flow of the shared captures
// and the sample: each signature names only flows in which tshark finds
// its protocol; TLS names every flow whose first payload tshark reads as
// a ClientHello, and its SNI and client certificate answer agree with
// tshark's reading of the reassembled handshake.
func TestTLSFamilyAgreesWithTshark(t *testing.T) {
	tshark := tsharkPath(t)
	eachCaptureAndSample(t, func(t *testing.T, _, path string) {
		protos := tsharkProtocols(t, tshark, path)
		rows := tsharkFields(t, tshark, path, nil, tlsTsharkFields...)
		for _, f := range captureFlows(t, path) {
			if len(f.Payloads) == 0 {
				continue
			}
			for _, fam := range tlsFamily {
				if !fam.sig.Accepts(f.Transport) {
					continue
				}
				in := InspectFlow(fam.sig, f, InspectBudget)
				a, s := in.Last(), in.State
				theirs := tlsTsharkView(protos, rows, f)
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

// tlsTsharkView gathers what tshark found in the frames of f, from each
// frame's protocols and its tlsTsharkFields.
func tlsTsharkView(protos map[int]tsharkLayers, rows map[int][]string, f *PayloadFlow) *tlsTshark {
	v := &tlsTshark{protocols: map[string]bool{}, types: [2]map[int]bool{{}, {}}}
	dirOf := map[int]Dir{}
	for _, p := range f.Payloads {
		dirOf[p.Frame] = p.Dir
	}
	for _, n := range f.Frames {
		row := rows[n]
		if row == nil {
			continue
		}
		for _, p := range protos[n] {
			v.protocols[p] = true
		}
		d, ok := dirOf[n]
		if !ok {
			continue
		}
		types := splitInts(row[0])
		if n == f.Payloads[0].Frame {
			v.firstHello = v.firstHello || len(types) > 0 && types[0] == hsClientHello
		}
		for _, typ := range types {
			v.types[d][typ] = true
		}
		if v.sni == "" && row[1] != "" {
			v.sni, _, _ = strings.Cut(row[1], ",")
		}
		v.certLengths[d] = append(v.certLengths[d], splitInts(row[2])...)
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
func checkTLSAgainstTshark(t *testing.T, f *PayloadFlow, a Answer, s *State, v *tlsTshark) {
	t.Helper()
	if v.firstHello && !a.Named() && pseudoTLSHello(f.Payloads[0].Data) == 0 {
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
