package decoders

import (
	"reflect"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// fuzzSeedsPerCapture caps the frames each shared capture gives the seed
// corpus, spread over the file, so that a large capture does not drown the
// others.
const fuzzSeedsPerCapture = 64

// FuzzDecode decodes arbitrary frames under arbitrary link types. Decode
// must not panic, and when it says OK the Packet must hold together: a TCP
// or UDP packet whose payload lies within the frame.
func FuzzDecode(f *testing.F) {
	if dir, ok := findCaptures(); ok {
		for _, path := range captureFiles(f, dir) {
			frames := readCapture(f, path)
			step := max(1, len(frames)/fuzzSeedsPerCapture)
			for i := 0; i < len(frames); i += step {
				f.Add(uint16(frames[i].lt), frames[i].data)
			}
		}
	}
	for _, tc := range append(realFrameCases(), craftedCases()...) {
		f.Add(uint16(tc.lt), tc.frame)
	}
	reused := NewDecoder()
	f.Fuzz(func(t *testing.T, lt uint16, frame []byte) {
		var p Packet
		r := reused.Decode(LinkType(lt), frame, &p)
		if r >= NumReasons || r == OrphanFragment {
			t.Fatalf("Decode = %v, which it never returns", r)
		}
		// A fresh Decoder must agree: nothing leaks from one frame to the next.
		var fresh Packet
		if r2 := NewDecoder().Decode(LinkType(lt), frame, &fresh); r2 != r || !reflect.DeepEqual(p, fresh) {
			t.Fatalf("reused Decoder gave %v %+v, fresh one %v %+v", r, p, r2, fresh)
		}
		if r != OK {
			return
		}
		checkFuzzedPacket(t, &p, frame)
	})
}

// checkFuzzedPacket checks what an OK Packet must satisfy whatever the frame.
func checkFuzzedPacket(t *testing.T, p *Packet, frame []byte) {
	t.Helper()
	if p.Transport != TCP && p.Transport != UDP {
		t.Errorf("Transport = %v, want tcp or udp", p.Transport)
	}
	if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() {
		t.Errorf("addresses %v → %v, want two of one family", p.Src, p.Dst)
	}
	if p.PayloadLen < len(p.Payload) {
		t.Errorf("PayloadLen = %d, shorter than the %d bytes of Payload", p.PayloadLen, len(p.Payload))
	}
	if p.Tunnels > maxTunnels {
		t.Errorf("Tunnels = %d, more than %d", p.Tunnels, maxTunnels)
	}
	if !p.Fragment.First() && (p.SrcPort != 0 || p.DstPort != 0 || p.Flags != 0 || p.Seq != 0) {
		t.Errorf("later fragment with a transport header: %+v", p)
	}
	if p.Transport == UDP && (p.Flags != 0 || p.Seq != 0) {
		t.Errorf("UDP with TCP fields: %+v", p)
	}
	if n := len(p.Payload); n > 0 && !within(p.Payload, frame) {
		t.Errorf("Payload of %d bytes does not point into the frame of %d bytes", n, len(frame))
	}
}

// within reports whether the non-empty slice s is a part of frame.
func within(s, frame []byte) bool {
	for i := 0; i+len(s) <= len(frame); i++ {
		if &frame[i] == &s[0] {
			return true
		}
	}
	return false
}

// TestFuzzCheckerCatchesACopy makes sure the fuzz property can fail: a
// Payload copied out of the frame is caught.
func TestFuzzCheckerCatchesACopy(t *testing.T) {
	var p Packet
	if r := NewDecoder().Decode(layers.LinkTypeEthernet, frameRTP, &p); r != OK {
		t.Fatalf("Decode = %v", r)
	}
	if !within(p.Payload, frameRTP) {
		t.Fatal("Payload of a real frame is not within it")
	}
	if within(append([]byte(nil), p.Payload...), frameRTP) {
		t.Error("a copy of the payload counts as within the frame")
	}
}
