package decoders_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

// tlsSampleFlow is one flow of the generated sample, with its truth and
// its payloads in capture order.
type tlsSampleFlow struct {
	truth    *lyncgen.FlowTruth
	payloads []tlsSamplePayload
}

type tlsSamplePayload struct {
	dir  decoders.Dir
	data []byte
}

// tlsSampleFlows generates the sample capture (the bytes of
// testdata/sample.pcapng) and returns its flows with their truth.
func tlsSampleFlows(t *testing.T) []*tlsSampleFlow {
	t.Helper()
	var buf bytes.Buffer
	truth, err := lyncgen.Generate(&buf, lyncgen.SampleOptions())
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		t              decoders.Transport
		client, server netip.AddrPort
	}
	byKey := map[key]*tlsSampleFlow{}
	flows := make([]*tlsSampleFlow, len(truth.Flows))
	for i := range truth.Flows {
		ft := &truth.Flows[i]
		flows[i] = &tlsSampleFlow{truth: ft}
		byKey[key{ft.Transport, ft.Client, ft.Server}] = flows[i]
	}
	r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	d := decoders.NewDecoder()
	var p decoders.Packet
	for n := 1; ; n++ {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return flows
		}
		if err != nil {
			t.Fatalf("sample frame %d: %v", n, err)
		}
		if d.Decode(r.LinkType(), data, &p) != decoders.OK || len(p.Payload) == 0 || !p.Fragment.First() {
			continue
		}
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		if f := byKey[key{p.Transport, src, dst}]; f != nil {
			f.payloads = append(f.payloads, tlsSamplePayload{decoders.ToServer, bytes.Clone(p.Payload)})
		} else if f := byKey[key{p.Transport, dst, src}]; f != nil {
			f.payloads = append(f.payloads, tlsSamplePayload{decoders.ToClient, bytes.Clone(p.Payload)})
		}
	}
}

// tlsSampleRun feeds a flow to the signature naming proto as the analyzer
// does (at most 16 payloads, until Violated or Confirmed).
func tlsSampleRun(proto decoders.Protocol, f *tlsSampleFlow) (decoders.Answer, *decoders.State) {
	sig := decoders.SignatureAt(decoders.SignatureFor(proto))
	s := new(decoders.State)
	s.Reset(f.truth.Transport, f.truth.Client.Port(), f.truth.Server.Port())
	a := decoders.NeedMore
	if !sig.Accepts(f.truth.Transport) {
		return decoders.Violated, s
	}
	for i, pl := range f.payloads {
		if i == 16 || a == decoders.Violated || a == decoders.Confirmed {
			break
		}
		a = sig.Inspect(s, pl.dir, pl.data)
		s.Payloads[pl.dir]++
	}
	return a, s
}

// tlsSampleCert reads the client certificate outcome the generator's
// description of a TLS flow implies.
func tlsSampleCert(detail string) decoders.CertStatus {
	switch {
	case strings.Contains(detail, "application data only"), strings.Contains(detail, "resumed session"):
		return decoders.CertUnknown
	case strings.Contains(detail, "empty certificate"):
		return decoders.CertEmpty
	case strings.HasPrefix(detail, "mtls"):
		return decoders.CertSent
	}
	return decoders.CertNotRequested
}

// TestTLSFamilyOnSample holds the TLS, DTLS and MS-TURN signatures against
// the generator's truth for every flow of the sample: each names exactly
// the flows whose payload is its protocol (those that start as something
// else, such as net.tcp upgraded to TLS, excepted), with the SNI, the
// client certificate outcome and the MS-TURN framing the truth gives.
func TestTLSFamilyOnSample(t *testing.T) {
	named := map[decoders.Protocol]int{}
	for _, f := range tlsSampleFlows(t) {
		ft := f.truth
		if len(f.payloads) == 0 {
			continue
		}
		name := ft.Transport.String() + " " + ft.Client.String() + " → " + ft.Server.String()
		for _, proto := range []decoders.Protocol{decoders.TLS, decoders.DTLS, decoders.MSTURN} {
			a, s := tlsSampleRun(proto, f)
			if ft.Protocol != proto {
				if a.Named() {
					t.Errorf("%s (%s, %q): %v names it", name, ft.Protocol, ft.Detail, proto)
				}
				continue
			}
			if !a.Named() {
				t.Errorf("%s (%q): %v answers %v", name, ft.Detail, proto, a)
				continue
			}
			named[proto]++
			switch proto {
			case decoders.TLS:
				if got, want := s.Detail.ClientCert, tlsSampleCert(ft.Detail); got != want {
					t.Errorf("%s (%q): client certificate %v, want %v", name, ft.Detail, got, want)
				}
				if _, sni, ok := strings.Cut(ft.Detail, "sni "); ok && s.Detail.Get("sni") != sni {
					t.Errorf("%s (%q): sni %q, want %q", name, ft.Detail, s.Detail.Get("sni"), sni)
				}
				if !ft.MidStream && s.Detail.Get("version") != "1.2" {
					t.Errorf("%s (%q): version %q, want 1.2", name, ft.Detail, s.Detail.Get("version"))
				}
			case decoders.MSTURN:
				want := "udp"
				if ft.Transport == decoders.TCP {
					want = "pseudo-tls"
				}
				if got := s.Detail.Get("framing"); got != want || s.Detail.Get("method") != "allocate" {
					t.Errorf("%s (%q): detail %v, want framing %s and method allocate", name, ft.Detail, s.Detail.Attrs, want)
				}
			}
		}
	}
	// The sample holds TLS (mutual, resumed, mid-stream…) and MS-TURN over
	// UDP and TCP, but no DTLS.
	if named[decoders.TLS] < 20 || named[decoders.MSTURN] != 2 {
		t.Errorf("named %v flows, want at least 20 TLS and 2 MS-TURN", named)
	}
}
