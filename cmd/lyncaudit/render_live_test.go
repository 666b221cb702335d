package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/rules"
)

// TestLiveViews renders the dashboard, the summary line and the JSONL
// summary of the sample, as a live run would show it, against golden files.
func TestLiveViews(t *testing.T) {
	invText, _ := os.ReadFile("../../testdata/sample.inventory")
	inv, err := rules.ParseInventory(bytes.NewReader(invText), "sample.inventory")
	if err != nil {
		t.Fatal(err)
	}
	r, err := capture.Open("../../testdata/sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg := analyzer.NewConfig()
	cfg.Inventory = inv
	var alerts []analyzer.Alert
	cfg.OnAlert = func(a analyzer.Alert) { alerts = append(alerts, a) }
	eng := analyzer.NewEngine(cfg)
	if err := eng.Read(r); err != nil {
		t.Fatal(err)
	}
	snap := eng.Snapshot()
	e := &env{getenv: func(string) string { return "" }, isTerminal: func(io.Writer) bool { return false }}
	st := newStyles(e, io.Discard)
	compareGolden(t, filepath.Join("testdata", "live.dashboard"), dashboard(st, snap, alerts))
	compareGolden(t, filepath.Join("testdata", "live.summary"), summaryLine(snap)+"\n")
	var b bytes.Buffer
	writeJSONLine(&b, summaryOf(snap))
	for _, a := range alerts {
		writeJSONLine(&b, a)
	}
	compareGolden(t, filepath.Join("testdata", "live.jsonl"), b.String())
}
