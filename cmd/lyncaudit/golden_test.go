package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenReports renders the bundled sample in every format and
// compares it with the golden files; go test -update rewrites them.
func TestGoldenReports(t *testing.T) {
	for _, tt := range []struct {
		format string
		args   []string
	}{
		{"text", nil},
		{"json", nil},
		{"csv", nil},
		{"md", nil},
		{"csv", []string{"--flows"}},
	} {
		name := "sample." + tt.format
		if len(tt.args) > 0 {
			name = "sample.flows." + tt.format
		}
		t.Run(name, func(t *testing.T) {
			// One worker: peak_flows is exact then, and the same on any machine.
			args := append([]string{"analyze", "--workers", "1", "--inventory", "../../testdata/sample.inventory", "-f", tt.format}, tt.args...)
			r := runCmd(t, nil, append(args, "../../testdata/sample.pcapng")...)
			if r.status == exitInput {
				t.Fatalf("status %d: %s", r.status, r.stderr)
			}
			compareGolden(t, filepath.Join("testdata", name), r.stdout)
		})
	}
}

func TestGoldenCatalog(t *testing.T) {
	for _, f := range []string{"text", "json", "csv"} {
		t.Run(f, func(t *testing.T) {
			r := runCmd(t, nil, "catalog", "-f", f)
			if r.status != 0 {
				t.Fatalf("status %d: %s", r.status, r.stderr)
			}
			compareGolden(t, filepath.Join("testdata", "catalog."+f), r.stdout)
		})
	}
}

// compareGolden reports the first line where got differs from the file.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s:%d differs (go test -update rewrites it)\n got: %q\nwant: %q", path, i+1, g, w)
		}
	}
}
