package decoders_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

// mediaSampleFlow is one flow of the generated sample: its ground truth and
// its first payloads.
type mediaSampleFlow struct {
	truth    *lyncgen.FlowTruth
	payloads []mediaSamplePayload
}

type mediaSamplePayload struct {
	dir  decoders.Dir
	data []byte
}

type mediaSampleKey struct {
	t              decoders.Transport
	client, server netip.AddrPort
}

// mediaSampleFlows generates the committed sample (the same bytes as
// testdata/sample.pcapng) and returns its flows with their truth.
func mediaSampleFlows(t *testing.T) []*mediaSampleFlow {
	t.Helper()
	var buf bytes.Buffer
	truth, err := lyncgen.Generate(&buf, lyncgen.SampleOptions())
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[mediaSampleKey]*mediaSampleFlow{}
	var flows []*mediaSampleFlow
	for i := range truth.Flows {
		ft := &truth.Flows[i]
		f := &mediaSampleFlow{truth: ft}
		byKey[mediaSampleKey{ft.Transport, ft.Client, ft.Server}] = f
		flows = append(flows, f)
	}
	r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	d := decoders.NewDecoder()
	var p decoders.Packet
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("sample frame %d: %v", n, err)
		}
		intf, err := r.Interface(ci.InterfaceIndex)
		if err != nil {
			t.Fatal(err)
		}
		if d.Decode(intf.LinkType, data, &p) != decoders.OK || p.Fragment.IsFragment() || len(p.Payload) == 0 {
			continue
		}
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		dir := decoders.ToServer
		f := byKey[mediaSampleKey{p.Transport, src, dst}]
		if f == nil {
			dir = decoders.ToClient
			f = byKey[mediaSampleKey{p.Transport, dst, src}]
		}
		if f == nil {
			t.Fatalf("sample frame %d: %v → %v belongs to no flow of the truth", n, src, dst)
		}
		if len(f.payloads) < 24 {
			f.payloads = append(f.payloads, mediaSamplePayload{dir, append([]byte(nil), p.Payload...)})
		}
	}
	return flows
}

// mediaSampleRun feeds a flow's payloads to the signature naming proto until it
// answers Confirmed or Violated, and reports whether it named the flow.
func mediaSampleRun(proto decoders.Protocol, f *mediaSampleFlow) (bool, *decoders.State) {
	sig := decoders.SignatureAt(decoders.SignatureFor(proto))
	s := &decoders.State{}
	if !sig.Accepts(f.truth.Transport) {
		return false, s
	}
	s.Reset(f.truth.Transport, f.truth.Client.Port(), f.truth.Server.Port())
	named := false
	for _, p := range f.payloads {
		a := sig.Inspect(s, p.dir, p.data)
		s.Payloads[p.dir]++
		named = named || a.Named()
		if a == decoders.Confirmed || a == decoders.Violated {
			break
		}
	}
	return named, s
}

// TestMediaSignaturesOnSample runs the STUN, RTP and RTCP signatures over
// every flow of the generated sample: each names exactly the flows whose
// truth is its protocol, with the detail the truth describes.
func TestMediaSignaturesOnSample(t *testing.T) {
	mine := []decoders.Protocol{decoders.STUN, decoders.RTP, decoders.RTCP}
	counts := map[decoders.Protocol]int{}
	for _, f := range mediaSampleFlows(t) {
		ft := f.truth
		for _, proto := range mine {
			named, s := mediaSampleRun(proto, f)
			want := ft.Protocol == proto
			if named != want {
				t.Errorf("%v %v → %v (%v, %q): %v named it: %v, want %v (detail %v)",
					ft.Transport, ft.Client, ft.Server, ft.Protocol, ft.Detail, proto, named, want, s.Detail.Attrs)
				continue
			}
			if !named {
				continue
			}
			counts[proto]++
			mediaCheckSampleDetail(t, f, proto, &s.Detail)
		}
	}
	for _, proto := range mine {
		if counts[proto] == 0 {
			t.Errorf("the sample has no %v flow: nothing was checked", proto)
		}
	}
	t.Logf("flows named: %v", counts)
}

// mediaCheckSampleDetail compares a named flow's Detail with its truth's
// description ("srtp pt=111 siren, rtcp-mux (…)", "rtp pt=0 pcmu …").
func mediaCheckSampleDetail(t *testing.T, f *mediaSampleFlow, proto decoders.Protocol, d *decoders.Detail) {
	t.Helper()
	ft := f.truth
	desc := ft.Detail
	where := ft.Client.String() + " → " + ft.Server.String()
	switch proto {
	case decoders.RTP:
		if _, pt, ok := strings.Cut(desc, "pt="); ok {
			pt, _, _ = strings.Cut(pt, " ")
			pt = strings.TrimSuffix(pt, ",")
			if got := d.Get("pt"); !slices.Contains(strings.Split(got, ","), pt) {
				t.Errorf("%s: pt %q, want it to list %s (%q)", where, got, pt, desc)
			}
		}
		// What the inspected payloads can show: Siren and G.711 by their
		// sizes, H.264UC by its NAL header; SILK and RTAudio are variable
		// rate, and multiplexed SRTCP comes after the budget.
		wantSRTP := ""
		switch {
		case strings.HasPrefix(desc, "srtp pt=111"), strings.HasPrefix(desc, "srtp pt=122"):
			wantSRTP = "likely"
		case strings.HasPrefix(desc, "rtp pt=0"):
			wantSRTP = "no"
		}
		got := d.Get("srtp")
		if wantSRTP != "" && got != wantSRTP {
			t.Errorf("%s: srtp %q, want %q (%q)", where, got, wantSRTP, desc)
		}
		if strings.HasPrefix(desc, "rtp") && got == "likely" || strings.HasPrefix(desc, "srtp") && got == "no" {
			t.Errorf("%s: srtp %q contradicts %q", where, got, desc)
		}
		if d.Get("rtcp") == "mux" && !strings.Contains(desc, "rtcp-mux") {
			t.Errorf("%s: rtcp mux on a flow without (%q)", where, desc)
		}
		wantMedia := decoders.MediaAudio
		if strings.Contains(desc, "video") {
			wantMedia = decoders.MediaVideo
		}
		if d.Media != wantMedia {
			t.Errorf("%s: media %v, want %v (%q)", where, d.Media, wantMedia, desc)
		}
	case decoders.RTCP:
		if got, want := d.Get("srtp"), strings.HasPrefix(desc, "srtcp"); (got == "likely") != want {
			t.Errorf("%s: srtp %q, want likely=%v (%q)", where, got, want, desc)
		}
	case decoders.STUN:
		if got := d.Get("method"); !strings.Contains(desc, got) || got == "" {
			t.Errorf("%s: method %q, not in %q", where, got, desc)
		}
	}
}
