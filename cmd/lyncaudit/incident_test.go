package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

// inIncidentDir makes a temporary directory holding the capture of
// "lyncgen --incident" (incident.pcapng) and its inventory
// (incident.inventory) the current one, and returns the generator's
// truth and the time of the firewall change.
func inIncidentDir(t *testing.T) (*lyncgen.Truth, time.Time) {
	t.Helper()
	t.Chdir(t.TempDir())
	o := lyncgen.IncidentOptions()
	truth, err := lyncgen.GenerateFile("incident.pcapng", o)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("incident.inventory", []byte(lyncgen.Inventory(o)), 0o644); err != nil {
		t.Fatal(err)
	}
	return truth, o.Start.Add(o.Duration / 2)
}

// conferencing reports whether a truth flow went to a TCP port the
// incident blocks.
func conferencing(f *lyncgen.FlowTruth) bool {
	for _, p := range lyncgen.ConferencingPorts() {
		if p.Transport == f.Transport && p.First == p.Last && f.Server.Port() == p.First {
			return true
		}
	}
	return false
}

// TestIncidentPostMortem walks through a post-mortem of the generated
// incident from the command line, as an engineer would: reports of the
// minutes before and after the firewall change, their diff, the evidence
// of the after report, two sensors merged, and the roles of an inventory
// nobody wrote down; each is checked against the generator's truth.
func TestIncidentPostMortem(t *testing.T) {
	truth, change := inIncidentDir(t)
	at := change.Local().Format("15:04:05") // a time of day is local time
	analyzeJSONWith(t, "incident.inventory", "before.json", "--flows", "--until", at, "incident.pcapng")
	analyzeJSONWith(t, "incident.inventory", "after.json", "--flows", "--since", at, "incident.pcapng")

	t.Run("diff", func(t *testing.T) { checkIncidentDiff(t, truth, change) })
	t.Run("evidence", func(t *testing.T) { checkIncidentEvidence(t, truth, change) })
	t.Run("merge", func(t *testing.T) { checkMergeSensors(t, "incident.inventory", "incident.pcapng") })
	t.Run("roles", func(t *testing.T) { checkIncidentRoles(t) })
}

// checkIncidentDiff diffs the reports before and after the change: every
// conferencing port a Front End served before has disappeared from its
// services, every one the clients then tried in vain has appeared among
// its attempts and its catalog entry is now missing, and none came back.
func checkIncidentDiff(t *testing.T, truth *lyncgen.Truth, change time.Time) {
	served, tried := map[string]bool{}, map[string]bool{}
	oneWay := map[string]bool{} // hosts whose conference media the change cut one way
	for i := range truth.Flows {
		f := &truth.Flows[i]
		if f.Transport == decoders.UDP && f.Blocked && !f.First.Before(change) {
			oneWay[f.Server.Addr().String()] = true
		}
		if !conferencing(f) {
			continue
		}
		k := f.Server.Addr().String() + " " + strconv.Itoa(int(f.Server.Port()))
		switch {
		case f.First.Before(change) && f.Close != lyncgen.CloseSYNOnly:
			served[k] = true
		case !f.First.Before(change) && f.Close == lyncgen.CloseSYNOnly:
			tried[k] = true
		}
	}
	if len(served) == 0 || len(tried) == 0 {
		t.Fatalf("the incident served %d and refused %d conferencing services", len(served), len(tried))
	}

	r := runCmd(t, nil, "diff", "-f", "json", "before.json", "after.json")
	if r.status != 1 {
		t.Fatalf("diff: status %d, want 1 (changes): %s", r.status, r.stderr)
	}
	var d analyzer.Diff
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if d.Before.Window == nil || !d.Before.Window.Until.Equal(change) || d.After.Window == nil || !d.After.Window.Since.Equal(change) {
		t.Errorf("windows %+v and %+v, want until and since %s", d.Before.Window, d.After.Window, change)
	}
	gone, came, missing := map[string]bool{}, map[string]bool{}, map[string]bool{}
	wentOneWay := map[string]bool{}
	for _, s := range d.Services {
		k := s.Host + " " + s.Port
		switch {
		case s.Change == analyzer.ChangeOneWay:
			wentOneWay[s.Host] = true
			if s.Transport != "udp" || s.Port != "49152-57500" || s.OneWayAfter*2 <= s.FlowsAfter {
				t.Errorf("%s %s/%s went one-way with %d of %d flows", s.Host, s.Port, s.Transport, s.OneWayAfter, s.FlowsAfter)
			}
		case s.Change == analyzer.ChangeDisappeared && s.List == "services":
			gone[k] = true
		case s.Change == analyzer.ChangeAppeared && s.List == "attempts":
			came[k] = true
		case s.Change == analyzer.ChangeAppeared && s.List == "services" && served[k]:
			t.Errorf("%s/%s: a blocked conferencing service appeared after the change", k, s.Transport)
		}
	}
	for _, m := range d.Missing {
		if m.Change == analyzer.ChangeAppeared {
			missing[m.Host+" "+m.Port] = true
		}
	}
	for k := range served {
		if !gone[k] {
			t.Errorf("%s/tcp served before the change did not disappear", k)
		}
	}
	for k := range tried {
		if !came[k] {
			t.Errorf("%s/tcp refused after the change did not appear among the attempts", k)
		}
		if served[k] && !missing[k] {
			t.Errorf("%s/tcp served before, refused after: its catalog entry is not newly missing", k)
		}
	}

	if len(oneWay) == 0 || fmt.Sprint(wentOneWay) != fmt.Sprint(oneWay) {
		t.Errorf("media went one-way on %v; the change cut it on %v", wentOneWay, oneWay)
	}

	text := runCmd(t, nil, "diff", "before.json", "after.json")
	for _, want := range []string{"window … → " + change.Format("2006-01-02 15:04:05"), "8057/tcp unanswered", "now missing", "one-way"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("the text diff does not say %q", want)
		}
	}
}

// checkIncidentEvidence writes the evidence of the after report, three
// packets a flow, and reads it back: the packets of every connection the
// firewall left unanswered on a Front End's conferencing port, each
// commented with the missing service it proves, and nothing else but the
// unexpected and mismatch flows of the report.
func checkIncidentEvidence(t *testing.T, truth *lyncgen.Truth, change time.Time) {
	const per = 3
	r := runCmd(t, nil, "analyze", "--inventory", "incident.inventory", "--since", change.Local().Format("15:04:05"), "-f", "json", "--flows",
		"-o", "evidence.json", "--evidence", "evidence.pcapng", "--evidence-packets", strconv.Itoa(per), "incident.pcapng")
	if r.status != 1 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	rep := readReportFile(t, "evidence.json")
	refused := map[string]int{} // "10.10.1.11 8057": connections, by the truth
	for i := range truth.Flows {
		f := &truth.Flows[i]
		if conferencing(f) && f.Blocked && !f.Last.Before(change) {
			refused[f.Server.Addr().String()+" "+strconv.Itoa(int(f.Server.Port()))]++
		}
	}
	want := 0
	for _, f := range rep.Flows {
		if f.Verdict == "unexpected" || f.Verdict == "mismatch" {
			want += int(min(f.Packets, per))
		}
		if refused[f.Server+" "+strconv.Itoa(int(f.ServerPort))] > 0 && f.Unanswered {
			want += int(min(f.Packets, per))
		}
	}
	got := map[string]int{} // packets commented missing, by host and port
	comments := readComments(t, "evidence.pcapng")
	for i, c := range comments {
		var port, host string
		if _, err := fmt.Sscanf(c, "lyncaudit: missing %s on %s", &port, &host); err == nil {
			got[host+" "+strings.TrimSuffix(port, "/tcp")]++
			if !strings.Contains(c, "went unanswered, this one among them") {
				t.Errorf("packet %d: comment %q", i+1, c)
			}
		} else if !strings.HasPrefix(c, "lyncaudit: unexpected ") && !strings.HasPrefix(c, "lyncaudit: mismatch ") {
			t.Errorf("packet %d: comment %q", i+1, c)
		}
	}
	if len(comments) != want {
		t.Errorf("%d evidence packets, want %d", len(comments), want)
	}
	for k, n := range refused {
		if got[k] < n || got[k] > per*n {
			t.Errorf("%s/tcp: %d evidence packets for the %d connections the firewall dropped", k, got[k], n)
		}
	}
	for k := range got {
		if refused[k] == 0 {
			t.Errorf("%s/tcp: evidence of a missing service the firewall did not block", k)
		}
	}
}

// checkIncidentRoles infers the roles of the whole capture without the
// inventory: each server guessed gets roles the generator's inventory
// gives it (a collocated Mediation Server nobody called may go unseen),
// each ambiguous one has its true roles among the candidates, and the
// clients and phones are told apart.
func checkIncidentRoles(t *testing.T) {
	r := runCmd(t, nil, "roles", "-f", "json", "incident.pcapng")
	if r.status != exitOK {
		t.Fatalf("roles: status %d: %s", r.status, r.stderr)
	}
	var inf analyzer.RoleReport
	if err := json.Unmarshal([]byte(r.stdout), &inf); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("incident.inventory")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := rules.ParseInventory(strings.NewReader(string(data)), "incident.inventory")
	if err != nil {
		t.Fatal(err)
	}
	servers := 0
	for _, g := range inf.Hosts {
		line := inv.Lookup(netip.MustParseAddr(g.Address))
		if line == nil {
			if g.Kind == analyzer.GuessServer {
				t.Errorf("%s is in no inventory line, guessed %v", g.Address, g.Roles)
			}
			continue
		}
		truth := strings.Split(line.Roles.String(), ",")
		switch g.Kind {
		case analyzer.GuessServer, analyzer.GuessClient, analyzer.GuessPhone:
			if len(g.Roles) == 0 || g.Roles[0] != truth[0] {
				t.Errorf("%s guessed %v, the inventory says %v", g.Address, g.Roles, truth)
			}
			for _, role := range g.Roles {
				if !slices.Contains(truth, role) {
					t.Errorf("%s guessed %v, the inventory says %v", g.Address, g.Roles, truth)
				}
			}
			if g.Kind == analyzer.GuessServer {
				servers++
			}
		case analyzer.GuessAmbiguous:
			if !slices.ContainsFunc(g.Candidates, func(c analyzer.RoleCandidate) bool { return slices.Equal(c.Roles, truth) }) {
				t.Errorf("%s is ambiguous between %v; the inventory says %v", g.Address, g.Candidates, truth)
			}
		default:
			t.Errorf("%s (%v in the inventory): %s, %s", g.Address, truth, g.Kind, g.Why)
		}
	}
	if servers < 7 {
		t.Errorf("%d servers guessed; the pool has 7 that answer on several catalog services", servers)
	}
}
