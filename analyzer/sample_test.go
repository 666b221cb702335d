package analyzer

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

// generated writes a capture with o and returns it, the inventory the
// generator wrote for it, and its ground truth.
func generated(t testing.TB, o lyncgen.Options) ([]byte, *rules.Inventory, *lyncgen.Truth) {
	t.Helper()
	var buf bytes.Buffer
	truth, err := lyncgen.Generate(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := rules.ParseInventory(strings.NewReader(lyncgen.Inventory(o)), "sample.inventory")
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), inv, truth
}

// analyzeGenerated generates a capture with o, analyses it with the
// inventory the generator wrote for it, and returns the report and the
// generator's ground truth.
func analyzeGenerated(t testing.TB, o lyncgen.Options) (*Report, *lyncgen.Truth) {
	t.Helper()
	return analyzeGeneratedWith(t, o, NewConfig())
}

// analyzeGeneratedWith is analyzeGenerated with cfg, to which it adds the
// inventory and KeepFlows.
func analyzeGeneratedWith(t testing.TB, o lyncgen.Options, cfg Config) (*Report, *lyncgen.Truth) {
	t.Helper()
	data, inv, truth := generated(t, o)
	r, err := capture.NewReader(bytes.NewReader(data), "sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Inventory = inv
	cfg.KeepFlows = true
	e := NewEngine(cfg)
	if err := e.Read(r); err != nil {
		t.Fatal(err)
	}
	return e.Report(), truth
}

// TestSampleVerdictsMatchTheGenerator holds every flow of the generated
// sample to the generator's ground truth: the same flows, the same client
// and server sides, the same packets, and the verdict the scenario built
// the flow to get.
func TestSampleVerdictsMatchTheGenerator(t *testing.T) {
	rep, truth := analyzeGenerated(t, lyncgen.SampleOptions())
	checkTruth(t, rep, truth)
}

// TestIncidentVerdictsMatchTheGenerator does the same on a ten-minute
// capture with a firewall change halfway: the conferencing connections
// cut or refused after it are still the flows the generator wrote.
func TestIncidentVerdictsMatchTheGenerator(t *testing.T) {
	rep, truth := analyzeGenerated(t, lyncgen.IncidentOptions())
	checkTruth(t, rep, truth)
}

// checkTruth holds every flow of rep to the generator's truth.
func checkTruth(t *testing.T, rep *Report, truth *lyncgen.Truth) {
	t.Helper()
	type key struct {
		a, b netip.AddrPort
		t    string
	}
	canon := func(x, y netip.AddrPort, tr string) key {
		if y.Compare(x) < 0 {
			x, y = y, x
		}
		return key{x, y, tr}
	}
	got := map[key]FlowRecord{}
	for _, f := range rep.Flows {
		c := netip.AddrPortFrom(netip.MustParseAddr(f.Client), f.ClientPort)
		s := netip.AddrPortFrom(netip.MustParseAddr(f.Server), f.ServerPort)
		got[canon(c, s, f.Transport)] = f
	}
	if len(rep.Flows) != len(truth.Flows) {
		t.Errorf("%d flows, the generator wrote %d", len(rep.Flows), len(truth.Flows))
	}
	var bad []string
	for _, want := range truth.Flows {
		k := canon(want.Client, want.Server, want.Transport.String())
		f, ok := got[k]
		if !ok {
			bad = append(bad, fmt.Sprintf("missing flow %s → %s %s", want.Client, want.Server, want.Transport))
			continue
		}
		server := netip.AddrPortFrom(netip.MustParseAddr(f.Server), f.ServerPort)
		wantVerdict := want.Want
		switch wantVerdict {
		case lyncgen.WantNone:
			wantVerdict = "unjudged"
		}
		if server != want.Server || f.Verdict != wantVerdict || f.Packets != uint64(want.Packets) {
			bad = append(bad, fmt.Sprintf("%s → %s %s: got server %s, verdict %s, %d packets; want server %s, verdict %s, %d packets (%s)",
				want.Client, want.Server, want.Transport, server, f.Verdict, f.Packets, want.Server, wantVerdict, want.Packets, want.Why))
		}
		// The payload names the protocol the generator wrote; flows of
		// protocols outside the vocabulary (RDP, SMB, telnet, SNMP) stay
		// unknown rather than being guessed from their port.
		gotProto := f.Protocol
		if f.Confidence != "dpi" {
			gotProto = "unknown"
		}
		if gotProto != want.Protocol.String() {
			bad = append(bad, fmt.Sprintf("%s → %s %s: named %s (%s, all %v), want %s (%s)",
				want.Client, want.Server, want.Transport, f.Protocol, f.Confidence, f.Protocols, want.Protocol, want.Detail))
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

// TestSampleMissingEntries checks the catalog services the sample's
// scenario leaves silent on purpose are reported missing, host by host,
// and nothing else is.
func TestSampleMissingEntries(t *testing.T) {
	rep, _ := analyzeGenerated(t, lyncgen.SampleOptions())
	rows := func(table string, rs ...int) []string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s#%d", table, r))
		}
		sort.Strings(out)
		return out
	}
	exactly := map[string][]string{
		"10.10.2.10": rows("server_ports", 41, 42, 43),                // Director: 5060, 444, 80
		"10.10.4.10": rows("server_ports", 52),                        // Persistent Chat: 443
		"10.10.1.10": rows("hlb_only", 2, 3, 7, 8, 9, 10, 11, 12, 14), // the pool's VIP
		"10.10.5.10": rows("server_ports", 1, 38),                     // Office Web Apps: SQL Browser
	}
	// Silent on every Front End of the pool.
	everyFE := rows("server_ports", 8, 15, 16, 17, 18, 20, 21, 29, 30, 31, 32, 34)
	for _, h := range rep.Hosts {
		var got []string
		for _, m := range h.Missing {
			got = append(got, m.Ref)
		}
		sort.Strings(got)
		if want, ok := exactly[h.Address]; ok {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s missing %v, want %v", h.Address, got, want)
			}
		}
		if strings.HasPrefix(h.Address, "10.10.1.1") && h.Address != "10.10.1.10" {
			for _, ref := range everyFE {
				if !slices.Contains(got, ref) {
					t.Errorf("%s: %s not reported missing", h.Address, ref)
				}
			}
		}
	}
}
