package analyzer

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/rules"
)

func TestZZProfile(t *testing.T) {
	name := os.Getenv("PROF_FILE")
	if name == "" {
		t.Skip()
	}
	invb, _ := os.ReadFile(os.Getenv("PROF_INV"))
	inv, _ := rules.ParseInventory(strings.NewReader(string(invb)), "inv")
	r, err := capture.Open(name) // mapped
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewConfig()
	cfg.Inventory = inv
	cfg.Workers, _ = strconv.Atoi(os.Getenv("PROF_WORKERS"))
	e := NewEngine(cfg)
	e.Read(r)
	e.Report()
}
