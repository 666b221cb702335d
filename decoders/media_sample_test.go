package decoders_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// TestMediaSignaturesOnSample runs the STUN, RTP and RTCP signatures over
// every flow of the generated sample: each names exactly the flows whose
// truth is its protocol, with the detail the truth describes.
func TestMediaSignaturesOnSample(t *testing.T) {
	mine := []decoders.Protocol{decoders.STUN, decoders.RTP, decoders.RTCP}
	counts := map[decoders.Protocol]int{}
	for _, f := range sampleFlows(t) {
		ft := f.truth
		for _, proto := range mine {
			in := f.inspect(proto, decoders.MediaBudget)
			named, s := in.Named(), in.State
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
func mediaCheckSampleDetail(t *testing.T, f sampleFlow, proto decoders.Protocol, d *decoders.Detail) {
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
