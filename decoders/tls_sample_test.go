package decoders_test

import (
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

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
	for _, f := range sampleFlows(t) {
		ft := f.truth
		if len(f.Payloads) == 0 {
			continue
		}
		name := ft.Transport.String() + " " + ft.Client.String() + " → " + ft.Server.String()
		for _, proto := range []decoders.Protocol{decoders.TLS, decoders.DTLS, decoders.MSTURN} {
			in := f.inspect(proto, decoders.InspectBudget)
			a, s := in.Last(), in.State
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
