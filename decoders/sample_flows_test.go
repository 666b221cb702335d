package decoders_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

// sampleFlow is one flow of the generated sample: the generator's truth
// about it, and what signatures see of it.
type sampleFlow struct {
	truth *lyncgen.FlowTruth
	*decoders.PayloadFlow
}

// sampleFlows generates the sample capture (the bytes of
// ../testdata/sample.pcapng) and returns its flows in the order of the
// generator's truth, each oriented as its truth says.
func sampleFlows(t *testing.T) []sampleFlow {
	t.Helper()
	var buf bytes.Buffer
	truth, err := lyncgen.Generate(&buf, lyncgen.SampleOptions())
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		t    decoders.Transport
		a, b netip.AddrPort
	}
	keyOf := func(t decoders.Transport, a, b netip.AddrPort) key {
		if a.Compare(b) > 0 {
			a, b = b, a
		}
		return key{t, a, b}
	}
	seen := map[key]*decoders.PayloadFlow{}
	for _, f := range decoders.FlowsOf(t, "the generated sample", buf.Bytes()) {
		seen[keyOf(f.Transport, f.Client, f.Server)] = f
	}
	flows := make([]sampleFlow, len(truth.Flows))
	for i := range truth.Flows {
		ft := &truth.Flows[i]
		k := keyOf(ft.Transport, ft.Client, ft.Server)
		f := seen[k]
		if f == nil {
			t.Fatalf("the generated sample has no packet of %v %v → %v", ft.Transport, ft.Client, ft.Server)
		}
		delete(seen, k)
		f.Orient(ft.Client)
		flows[i] = sampleFlow{ft, f}
	}
	for _, f := range seen {
		t.Fatalf("the generated sample's %v is in no flow of the truth", f)
	}
	return flows
}

// inspect shows the flow to the signature naming proto, as InspectFlow
// does.
func (f sampleFlow) inspect(proto decoders.Protocol, budget int) decoders.Inspection {
	return decoders.InspectFlow(decoders.SignatureAt(decoders.SignatureFor(proto)), f.PayloadFlow, budget)
}
