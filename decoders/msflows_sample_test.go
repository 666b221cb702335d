package decoders_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

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
	flows := sampleFlows(t)
	named := map[decoders.Protocol]int{}
	for proto, want := range msSampleWant {
		for _, f := range flows {
			ft := f.truth
			in := f.inspect(proto, decoders.InspectBudget)
			ok, s := in.Named(), in.State
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
