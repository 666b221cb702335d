package decoders

import (
	"testing"
)

// quickAgrees checks Quick's promise on one frame: when it reads a tuple,
// Decode either fails or decodes the same tuple.
func quickAgrees(t *testing.T, what string, lt LinkType, frame []byte) (quick bool) {
	t.Helper()
	var q Tuple
	if !Quick(lt, frame, &q) {
		return false
	}
	var p Packet
	if NewDecoder().Decode(lt, frame, &p) != OK {
		return true
	}
	got := Tuple{Src: p.Src.As16(), Dst: p.Dst.As16(), SrcPort: p.SrcPort, DstPort: p.DstPort, Transport: p.Transport, V6: p.Src.Is6()}
	if got != q || p.Fragment.IsFragment() || p.Tunnels != 0 {
		t.Errorf("%s: Quick read %+v, Decode %+v (fragment %v, tunnels %d)", what, q, got, p.Fragment.IsFragment(), p.Tunnels)
	}
	return true
}

// TestQuickAgreesWithDecode holds Quick to Decode on every frame of the
// shared captures, the sample and the crafted frames of the decode tests.
func TestQuickAgreesWithDecode(t *testing.T) {
	quick, all := 0, 0
	eachCaptureAndSample(t, func(t *testing.T, name, path string) {
		for _, fr := range readCapture(t, path) {
			all++
			if quickAgrees(t, name, fr.lt, fr.data) {
				quick++
			}
		}
	})
	for _, tc := range append(realFrameCases(), craftedCases()...) {
		all++
		if quickAgrees(t, tc.name, tc.lt, tc.frame) {
			quick++
		}
	}
	t.Logf("Quick read %d of %d frames; Decode agreed on each", quick, all)
	if quick == 0 {
		t.Error("Quick read no frame at all")
	}
}

func FuzzQuick(f *testing.F) {
	for _, tc := range append(realFrameCases(), craftedCases()...) {
		f.Add(uint16(tc.lt), tc.frame)
	}
	f.Fuzz(func(t *testing.T, lt uint16, frame []byte) {
		quickAgrees(t, "fuzz input", LinkType(lt), frame)
	})
}

func BenchmarkQuick(b *testing.B) {
	frame := realFrameCases()[0].frame
	lt := realFrameCases()[0].lt
	var q Tuple
	b.ReportAllocs()
	for b.Loop() {
		Quick(lt, frame, &q)
	}
}
