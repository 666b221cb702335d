package decoders

import "testing"

// This file walks every flow of the shared captures through the DCE/RPC,
// net.tcp, SQL Browser and TDS signatures, as the analyzer feeds them.

// msSignatures are the signatures checked here.
var msSignatures = []Signature{dcerpcSig{}, nettcpSig{}, sqlBrowserSig{}, tdsSig{}}

// msWantDCERPC lists the flows of the shared captures that carry DCE/RPC
// straight over TCP, as tshark dissects them: capture → server port →
// the interface the bind names.
var msWantDCERPC = map[string]map[uint16]string{
	"zeek/dce-rpc/kerberos135_auth.pcapng": {135: "isystemactivator"},
	"suricata-verify/zerologon/input.pcap": {135: "epmapper", 49668: "netlogon"},
}

// TestMSSignaturesOnCaptures checks that the DCE/RPC signature names the
// DCE/RPC flows of the shared captures (and not SMB's, which carry it in
// named pipes), with their interface, and that no signature here names
// anything else: no public capture holds net.tcp, SQL Browser or TDS.
func TestMSSignaturesOnCaptures(t *testing.T) {
	eachCapture(t, func(t *testing.T, name, path string) {
		named := 0
		for _, f := range captureFlows(t, path) {
			for _, sig := range msSignatures {
				in := InspectFlow(sig, f, InspectBudget)
				want := ""
				if sig.Protocol() == DCERPC && f.Transport == TCP {
					want = msWantDCERPC[name][f.Server.Port()]
				}
				switch ok := in.Named(); {
				case ok && want == "":
					t.Errorf("%v named %v (first payload frame %d): %v", sig.Protocol(), f, f.Payloads[0].Frame, in.State.Detail.Attrs)
				case !ok && want != "" && len(f.Payloads) > 0:
					t.Errorf("%v missed %v (first payload frame %d)", sig.Protocol(), f, f.Payloads[0].Frame)
				case ok:
					named++
					if got := in.State.Detail.Get("interface"); got != want {
						t.Errorf("%v: interface %q, want %q", f, got, want)
					}
				}
			}
		}
		if named > 0 {
			t.Logf("%d flows named", named)
		}
		if want := len(msWantDCERPC[name]); want > 0 && named < want {
			t.Errorf("%d flows named, want at least %d", named, want)
		}
	})
}

// TestMSSignaturesAgreeWithTshark holds the DCE/RPC and TDS signatures
// against tshark, flow by flow, on the shared captures and the generated
// sample: a flow is named exactly when tshark dissects the protocol right
// over TCP (not inside SMB) in one of its frames. tshark has no heuristic
// for net.tcp, and no dissector for SQL Browser.
func TestMSSignaturesAgreeWithTshark(t *testing.T) {
	tshark := tsharkPath(t)
	eachCaptureAndSample(t, func(t *testing.T, _, path string) {
		protos := tsharkProtocols(t, tshark, path)
		for _, f := range captureFlows(t, path) {
			if len(f.Payloads) == 0 || f.Transport != TCP {
				continue
			}
			for _, sig := range []Signature{dcerpcSig{}, tdsSig{}} {
				layer := sig.Protocol().String()
				inFlow := false
				for _, n := range f.Frames {
					inFlow = inFlow || protos[n].carries("tcp", layer)
				}
				if in := InspectFlow(sig, f, InspectBudget); in.Named() != inFlow {
					t.Errorf("%v on %v (first payload frame %d): named %v, tshark finds tcp:%s: %v; detail %v",
						sig.Protocol(), f, f.Payloads[0].Frame, in.Named(), layer, inFlow, in.State.Detail.Attrs)
				}
			}
		}
	})
}
