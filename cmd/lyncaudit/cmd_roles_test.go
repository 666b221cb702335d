package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

func TestGoldenRoles(t *testing.T) {
	for _, f := range []string{"text", "inventory"} {
		t.Run(f, func(t *testing.T) {
			r := runCmd(t, nil, "roles", "--workers", "1", "-f", f, "../../testdata/sample.pcapng")
			if r.status != exitOK {
				t.Fatalf("status %d: %s", r.status, r.stderr)
			}
			compareGolden(t, filepath.Join("testdata", "roles."+f), r.stdout)
		})
	}
}

// TestRolesDraftFeedsAnalyze drafts an inventory from a generated capture,
// feeds it back to analyze, and checks that every unexpected finding is
// one of the scenario's deliberate violations and that the roles
// explanation listed it among the ports no role of the guess allows.
func TestRolesDraftFeedsAnalyze(t *testing.T) {
	var capt bytes.Buffer
	truth, err := lyncgen.Generate(&capt, lyncgen.SampleOptions())
	if err != nil {
		t.Fatal(err)
	}
	pcap := writeFile(t, "sample.pcapng", capt.Bytes())

	r := runCmd(t, nil, "roles", "-f", "json", pcap)
	if r.status != exitOK {
		t.Fatalf("roles: status %d: %s", r.status, r.stderr)
	}
	var inf analyzer.RoleReport
	if err := json.Unmarshal([]byte(r.stdout), &inf); err != nil {
		t.Fatal(err)
	}
	if inf.Schema != analyzer.RolesSchema {
		t.Errorf("schema %q, want %q", inf.Schema, analyzer.RolesSchema)
	}
	disallowed := map[string]bool{} // "10.10.1.12 23/tcp"
	named := map[string]bool{}
	for _, g := range inf.Hosts {
		if len(g.Roles) > 0 {
			named[g.Address] = true
		}
		if g.Kind == analyzer.GuessServer {
			for _, p := range g.Candidates[0].Disallowed {
				disallowed[g.Address+" "+strconv.Itoa(int(p.Port))+"/"+p.Transport] = true
			}
		}
	}
	violations := map[string]bool{}
	for _, f := range truth.Flows {
		if f.Want == lyncgen.WantUnexpected {
			violations[f.Server.Addr().String()+" "+strconv.Itoa(int(f.Server.Port()))+"/"+f.Transport.String()] = true
		}
	}

	d := runCmd(t, nil, "roles", "-f", "inventory", pcap)
	if d.status != exitOK {
		t.Fatalf("roles -f inventory: status %d: %s", d.status, d.stderr)
	}
	inv, err := rules.ParseInventory(strings.NewReader(d.stdout), "draft.inventory")
	if err != nil {
		t.Fatalf("the draft does not parse: %v\n%s", err, d.stdout)
	}
	for _, h := range inv.Hosts {
		for a := h.First; a.IsValid() && a.Compare(h.Last) <= 0; a = a.Next() {
			if !named[a.String()] {
				t.Errorf("draft line %s covers %s, which roles did not name", h.Spec, a)
			}
		}
	}

	a := runCmd(t, nil, "analyze", "-f", "json", "--fail-on", "none", "--inventory", writeFile(t, "draft.inventory", []byte(d.stdout)), pcap)
	if a.status != exitOK {
		t.Fatalf("analyze: status %d: %s", a.status, a.stderr)
	}
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(a.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var unexpected []string
	for _, f := range rep.Findings {
		if f.Kind != rules.Unexpected.String() {
			continue
		}
		k := f.Host + " " + f.Port + "/" + f.Transport
		unexpected = append(unexpected, k)
		if !violations[k] {
			t.Errorf("unexpected %s is not one of the scenario's violations", k)
		}
		if !disallowed[k] {
			t.Errorf("unexpected %s was not listed by roles as allowed by no role of the guess", k)
		}
	}
	if len(unexpected) == 0 {
		t.Error("the scenario's violations on named hosts were not found")
	}
	slices.Sort(unexpected)
	t.Logf("unexpected with the draft: %v", unexpected)
}

func TestRolesUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		status int
		out    string // a substring of stdout, or of stderr when the status is not 0
	}{
		{"help", []string{"help", "roles"}, exitOK, "usage: lyncaudit roles"},
		{"listed", []string{"help"}, exitOK, "roles      guess each server's roles"},
		{"bad format", []string{"roles", "-f", "csv", "x.pcap"}, exitInput, `unknown --format "csv" (want text, inventory or json)`},
		{"no captures", []string{"roles"}, exitInput, "no capture files given"},
		{"bad filter", []string{"roles", "--filter", "port", "x.pcap"}, exitInput, "lyncaudit roles:"},
		{"missing file", []string{"roles", "/nonexistent/x.pcap"}, exitInput, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, nil, tt.args...)
			got := r.stdout
			if tt.status != exitOK {
				got = r.stderr
			}
			if r.status != tt.status || !strings.Contains(got, tt.out) {
				t.Errorf("status %d, output %q; want %d and %q", r.status, got, tt.status, tt.out)
			}
		})
	}
}
