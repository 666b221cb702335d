package decoders_test

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

// msSampleFlow is one flow of the generated sample with its truth and
// its payloads.
type msSampleFlow struct {
	truth    *lyncgen.FlowTruth
	payloads []msSamplePayload
}

type msSamplePayload struct {
	dir  decoders.Dir
	data []byte
}

// msSampleFlows generates the sample capture (the bytes of
// testdata/sample.pcapng) and returns its flows with their truth.
func msSampleFlows(t *testing.T) []*msSampleFlow {
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
	byKey := map[key]*msSampleFlow{}
	flows := make([]*msSampleFlow, len(truth.Flows))
	for i := range truth.Flows {
		ft := &truth.Flows[i]
		flows[i] = &msSampleFlow{truth: ft}
		byKey[key{ft.Transport, ft.Client, ft.Server}] = flows[i]
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
			return flows
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
		dir, f := decoders.ToServer, byKey[key{p.Transport, src, dst}]
		if f == nil {
			dir, f = decoders.ToClient, byKey[key{p.Transport, dst, src}]
		}
		if f == nil {
			t.Fatalf("sample frame %d: %v → %v is in no flow of the truth", n, src, dst)
		}
		f.payloads = append(f.payloads, msSamplePayload{dir, bytes.Clone(p.Payload)})
	}
}

// msSampleWant is the Detail wanted of the sample's flows of each
// protocol; a key with an empty value only has to be there.
var msSampleWant = map[decoders.Protocol]map[string]string{
	decoders.DCERPC:     {"ptype": "bind", "interface": "isystemactivator"},
	decoders.NetTCP:     {"via": "", "mode": "duplex", "encoding": "binary-session", "upgrade": "ssl-tls"},
	decoders.SQLBrowser: {"server": "", "instance": "", "version": "11.0.5058.0", "tcp": ""},
	decoders.TDS:        {"type": "prelogin", "encryption": "off", "instance": "RTC", "version": "11.0.5058.0"},
}

// TestMSSignaturesOnSample runs the DCE/RPC, net.tcp, SQL Browser and TDS
// signatures over every flow of the generated sample, as the analyzer
// would (16 payloads at most, until Confirmed or Violated): each names
// exactly the flows whose truth is its protocol, with the wanted Detail.
func TestMSSignaturesOnSample(t *testing.T) {
	flows := msSampleFlows(t)
	named := map[decoders.Protocol]int{}
	for proto, want := range msSampleWant {
		sig := decoders.SignatureAt(decoders.SignatureFor(proto))
		for _, f := range flows {
			ft := f.truth
			ok, s := msSampleRun(sig, f)
			if ok != (ft.Protocol == proto) {
				t.Errorf("%v %v → %v (truth %v, %q): %v named it: %v; detail %v",
					ft.Transport, ft.Client, ft.Server, ft.Protocol, ft.Detail, proto, ok, s.Detail.Attrs)
				continue
			}
			if !ok {
				continue
			}
			named[proto]++
			got := map[string]string{}
			for _, a := range s.Detail.Attrs {
				got[a.Key] = a.Value
			}
			for k, v := range want {
				if g, present := got[k]; !present || v != "" && g != v {
					t.Errorf("%v → %v: %v detail %q = %q, want %q (all: %v)", ft.Client, ft.Server, proto, k, g, v, got)
				}
			}
			if !maps.EqualFunc(got, want, func(string, string) bool { return true }) {
				t.Errorf("%v → %v: %v detail keys %v, want those of %v", ft.Client, ft.Server, proto, got, want)
			}
			if proto == decoders.SQLBrowser && !strings.Contains(ft.Detail, got["instance"]) {
				t.Errorf("%v → %v: instance %q, not in the truth %q", ft.Client, ft.Server, got["instance"], ft.Detail)
			}
		}
		if named[proto] == 0 {
			t.Errorf("the sample has no %v flow: nothing was checked", proto)
		}
	}
	t.Logf("flows named: %v", named)
}

// msSampleRun feeds a flow to sig, and reports whether sig named it.
func msSampleRun(sig decoders.Signature, f *msSampleFlow) (bool, *decoders.State) {
	s := new(decoders.State)
	ft := f.truth
	s.Reset(ft.Transport, ft.Client.Port(), ft.Server.Port())
	if !sig.Accepts(ft.Transport) {
		return false, s
	}
	named := false
	for i, p := range f.payloads {
		if i == 16 {
			break
		}
		a := sig.Inspect(s, p.dir, p.data)
		s.Payloads[p.dir]++
		named = named || a.Named()
		if a == decoders.Confirmed || a == decoders.Violated {
			break
		}
	}
	return named, s
}
