package analyzer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
)

// TestWorkersGiveTheSameReport analyses one generated capture on one
// goroutine and spread over several: the reports, every flow record
// included, must be the same. Only the peak of live flows differs (each
// worker counts its own), so it is left out.
func TestWorkersGiveTheSameReport(t *testing.T) {
	o := lyncgen.Options{Seed: 7, Clients: 40, Calls: 30, Duration: 4 * time.Minute}
	data, inv, _ := generated(t, o)
	report := func(workers int) []byte {
		r, err := capture.NewReader(bytes.NewReader(data), "gen.pcapng")
		if err != nil {
			t.Fatal(err)
		}
		cfg := NewConfig()
		cfg.Inventory = inv
		cfg.KeepFlows = true
		cfg.UDPIdle = 20 * time.Second // some flows end idle and come back
		cfg.Workers = workers
		e := NewEngine(cfg)
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		rep := e.Report()
		rep.Totals.PeakFlows = 0
		b, err := json.MarshalIndent(rep, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	one := report(1)
	if !bytes.Contains(one, []byte(`"end": "idle"`)) {
		t.Fatal("no flow ended idle: the capture does not exercise timeouts")
	}
	for _, n := range []int{2, 3, 8} {
		if got := report(n); !bytes.Equal(got, one) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(one), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%d workers: line %d differs:\n got: %s\nwant: %s", n, i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("%d workers: %d lines, one worker %d", n, len(gl), len(wl))
		}
	}
}
