package analyzer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

// samplePackets returns the generated sample's packets, copied, and its
// inventory.
func samplePackets(t *testing.T) ([]capture.Packet, *rules.Inventory) {
	t.Helper()
	data, inv, _ := generated(t, lyncgen.SampleOptions())
	r, err := capture.NewReader(bytes.NewReader(data), "sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	var ps []capture.Packet
	for {
		var p capture.Packet
		if err := r.Next(&p); err != nil {
			break
		}
		p.Data = append([]byte(nil), p.Data...)
		ps = append(ps, p)
	}
	return ps, inv
}

// TestAlertsMatchFindings checks that each unexpected and mismatched
// finding of the final report was alerted exactly once, while packets
// were still arriving.
func TestAlertsMatchFindings(t *testing.T) {
	ps, inv := samplePackets(t)
	cfg := NewConfig()
	cfg.Inventory = inv
	var alerts []string
	cfg.OnAlert = func(a Alert) {
		alerts = append(alerts, fmt.Sprintf("%s %s %d/%s %s", a.Kind, a.Host, a.Port, a.Transport, a.Protocol))
	}
	e := NewEngine(cfg)
	for i := range ps {
		e.Packet(&ps[i])
	}
	during := len(alerts)
	rep := e.Report()
	var findings []string
	for _, f := range rep.Findings {
		if f.Kind != "missing" {
			findings = append(findings, fmt.Sprintf("%s %s %s/%s %s", f.Kind, f.Host, f.Port, f.Transport, f.Protocol))
		}
	}
	slices.Sort(alerts)
	slices.Sort(findings)
	if !slices.Equal(alerts, findings) {
		t.Errorf("alerts\n%s\nfindings\n%s", strings.Join(alerts, "\n"), strings.Join(findings, "\n"))
	}
	if during == 0 {
		t.Error("no alert came before the capture ended")
	}
}

// TestSnapshotLeavesTheRunUntouched takes snapshots while packets arrive:
// each is a complete report, and the final report is the same as a run
// that took none.
func TestSnapshotLeavesTheRunUntouched(t *testing.T) {
	ps, inv := samplePackets(t)
	run := func(snapEvery int) (*Report, []*Report) {
		cfg := NewConfig()
		cfg.Inventory = inv
		cfg.KeepFlows = true
		e := NewEngine(cfg)
		var snaps []*Report
		for i := range ps {
			e.Packet(&ps[i])
			if snapEvery > 0 && i%snapEvery == snapEvery-1 {
				snaps = append(snaps, e.Snapshot())
			}
		}
		return e.Report(), snaps
	}
	plain, _ := run(0)
	withSnaps, snaps := run(100)
	a, _ := json.Marshal(plain)
	b, _ := json.Marshal(withSnaps)
	if !bytes.Equal(a, b) {
		t.Error("taking snapshots changed the final report")
	}
	if len(snaps) < 5 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	for i := 1; i < len(snaps); i++ {
		if snaps[i].Totals.Packets <= snaps[i-1].Totals.Packets || uint64(len(snaps[i].Flows)) < uint64(len(snaps[i-1].Flows)) {
			t.Errorf("snapshot %d went backwards: %d packets, %d flows after %d, %d", i,
				snaps[i].Totals.Packets, len(snaps[i].Flows), snaps[i-1].Totals.Packets, len(snaps[i-1].Flows))
		}
	}
	last := snaps[len(snaps)-1]
	if len(last.Flows) != len(plain.Flows) && last.Totals.Packets == plain.Totals.Packets {
		t.Errorf("a snapshot of every packet has %d flows, the report %d", len(last.Flows), len(plain.Flows))
	}
}

// TestReloadJudgesAgain starts with an inventory that gets the Director's
// role wrong and reloads the right one halfway: the Director is then
// judged as a Director, both for the flows that had ended and for those
// still open, and no flow is lost.
func TestReloadJudgesAgain(t *testing.T) {
	ps, inv := samplePackets(t)
	wrongText := strings.Replace(lyncgen.Inventory(lyncgen.SampleOptions()), "10.10.2.10                 director", "10.10.2.10                 mediation", 1)
	wrong, err := rules.ParseInventory(strings.NewReader(wrongText), "wrong.inventory")
	if err != nil {
		t.Fatal(err)
	}
	if wrong.Lookup(netipMust("10.10.2.10")).Roles.String() != "mediation" {
		t.Fatal("the wrong inventory does not change the Director's role")
	}
	cfg := NewConfig()
	cfg.Inventory = wrong
	e := NewEngine(cfg)
	for i := range ps {
		if i == len(ps)/2 {
			e.Reload(rules.Builtin(), inv)
		}
		e.Packet(&ps[i])
	}
	rep := e.Report()
	cfg.Inventory = inv
	right := NewEngine(cfg)
	for i := range ps {
		right.Packet(&ps[i])
	}
	want := right.Report()
	if rep.Totals.Flows != want.Totals.Flows {
		t.Errorf("%d flows after the reload, %d without", rep.Totals.Flows, want.Totals.Flows)
	}
	dir := func(r *Report) string {
		for _, h := range r.Hosts {
			if h.Address == "10.10.2.10" {
				var ss []string
				for _, s := range h.Services {
					ss = append(ss, fmt.Sprintf("%d/%s:%s", s.Port, s.Transport, s.Verdict))
				}
				var ms []string
				for _, m := range h.Missing {
					ms = append(ms, m.Ref)
				}
				return fmt.Sprintf("roles %v services %v missing %v", h.Roles, ss, ms)
			}
		}
		return "absent"
	}
	got, exp := dir(rep), dir(want)
	if got != exp {
		t.Errorf("Director after reload:\n %s\nwant\n %s", got, exp)
	}
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }
