//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// netns is a pair of network namespaces joined by a veth pair: the
// server side (10.99.0.1) and the client side (10.99.0.2).
type netns struct {
	server, client string // namespace names
	serverIf       string // the server side's veth, where lyncaudit captures
}

// newNetns creates the namespaces, or skips the test when it cannot.
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the live end-to-end test creates network namespaces and needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the live end-to-end test needs ip (iproute2)")
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	n := &netns{server: "la-s" + id, client: "la-c" + id, serverIf: "las" + id}
	clientIf := "lac" + id
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", n.server)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.server).Run() })
	ip("netns", "add", n.client)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.client).Run() })
	ip("link", "add", n.serverIf, "netns", n.server, "type", "veth", "peer", "name", clientIf, "netns", n.client)
	ip("-n", n.server, "addr", "add", peerServer+"/24", "dev", n.serverIf)
	ip("-n", n.client, "addr", "add", peerClient+"/24", "dev", clientIf)
	for _, x := range [][2]string{{n.server, n.serverIf}, {n.client, clientIf}, {n.server, "lo"}, {n.client, "lo"}} {
		ip("-n", x[0], "link", "set", x[1], "up")
	}
	return n
}

// inNetns returns a command running this test binary in namespace ns, as
// lyncaudit (main) or as a peer.
func inNetns(ns string, env []string, args ...string) *exec.Cmd {
	self, _ := os.Executable()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, self}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestLiveEndToEnd runs lyncaudit live on a veth between two namespaces
// while real peers talk across it: mutual TLS on 5061, SIP over UDP, RTP
// into the audio media range, HTTP on 80, plain HTTP where the catalog asks
// for HTTPS, and a TCP service the catalog does not allow. It checks the
// JSONL alerts as they come, then stops lyncaudit with SIGINT and checks
// the final report is complete.
func TestLiveEndToEnd(t *testing.T) {
	n := newNetns(t)
	dir := t.TempDir()
	if err := writeCerts(dir); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "lab.inventory")
	os.WriteFile(inv, []byte(peerServer+" frontend name=fe\n"+peerClient+" director name=dir\n"), 0o644)
	out := filepath.Join(dir, "live.jsonl")
	certs := "LYNCAUDIT_TEST_CERTS=" + dir

	live := inNetns(n.server, []string{"LYNCAUDIT_TEST_MAIN=1"}, "live", "-i", n.serverIf, "--inventory", inv,
		"--format", "jsonl", "--interval", "1s", "--flows", "-o", out)
	var stderr strings.Builder
	live.Stderr = &stderr
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer live.Process.Kill()
	waitFor(t, "lyncaudit to start capturing", func() bool { return strings.Contains(readFile(out), "capturing on") })

	servers := inNetns(n.server, []string{"LYNCAUDIT_TEST_PEER=servers", certs})
	ready, _ := servers.StdoutPipe()
	servers.Stderr = os.Stderr
	if err := servers.Start(); err != nil {
		t.Fatal(err)
	}
	defer servers.Process.Kill()
	if line, _ := bufio.NewReader(ready).ReadString('\n'); line != "ready\n" {
		t.Fatalf("servers said %q", line)
	}
	clients := inNetns(n.client, []string{"LYNCAUDIT_TEST_PEER=clients", certs})
	if b, err := clients.CombinedOutput(); err != nil {
		t.Fatalf("clients: %v\n%s", err, b)
	}

	wantAlerts := []string{"mismatch 4443/tcp http", "unexpected 2323/tcp unknown", "unexpected 5060/udp sip"}
	var alerts []string
	waitFor(t, "the alerts", func() bool {
		alerts = nil
		for _, l := range jsonLines(readFile(out)) {
			if l["type"] == "alert" {
				alerts = append(alerts, fmt.Sprintf("%s %v/%s %s", l["kind"], l["port"], l["transport"], l["protocol"]))
			}
		}
		slices.Sort(alerts)
		return len(alerts) >= len(wantAlerts)
	})
	if !slices.Equal(alerts, wantAlerts) {
		t.Errorf("alerts %q, want %q", alerts, wantAlerts)
	}

	// SIGHUP reloads the inventory and catalog, and the run goes on.
	live.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(readFile(out), "reloaded the inventory and catalog") })

	live.Process.Signal(syscall.SIGINT)
	err := live.Wait()
	if code := live.ProcessState.ExitCode(); code != exitFindings {
		t.Fatalf("lyncaudit live exited %d (%v), want %d: %s", code, err, exitFindings, stderr.String())
	}
	rep := finalReport(t, out)
	fe := host(rep, peerServer)
	if fe == nil {
		t.Fatalf("no host %s in the final report", peerServer)
	}
	var services []string
	for _, s := range fe.Services {
		services = append(services, fmt.Sprintf("%s/%s %s %s", s.PortText(), s.Transport, s.Verdict, strings.Join(s.Protocols, ",")))
	}
	want := []string{"80/tcp expected http", "2323/tcp unexpected unknown", "4443/tcp mismatch http",
		"5060/udp unexpected sip", "5061/tcp expected tls", "49152-57500/udp expected rtp"}
	if !slices.Equal(services, want) {
		t.Errorf("services of %s:\n %q\nwant\n %q", peerServer, services, want)
	}
	var missing []string
	for _, m := range fe.Missing {
		missing = append(missing, m.Ref)
	}
	for _, ref := range []string{"server_ports#4", "server_ports#5", "server_ports#7"} { // 444, 135, 8057
		if !slices.Contains(missing, ref) {
			t.Errorf("%s not reported missing: %v", ref, missing)
		}
	}
	for _, ref := range []string{"server_ports#3", "server_ports#11", "server_ports#39"} { // 5061, 80, audio range
		if slices.Contains(missing, ref) {
			t.Errorf("%s reported missing though it was seen", ref)
		}
	}
	var tlsFlow *analyzer.FlowRecord
	for i, f := range rep.Flows {
		if f.ServerPort == 5061 {
			tlsFlow = &rep.Flows[i]
		}
	}
	if tlsFlow == nil || tlsFlow.Detail["client-cert"] != "sent" || tlsFlow.Verdict != "expected" {
		t.Errorf("the 5061 flow: %+v, want mutual TLS (client-cert sent), expected", tlsFlow)
	}
	if rep.Captures[0].KernelReceived == 0 || rep.Totals.Packets == 0 {
		t.Errorf("no packets counted: %+v", rep.Captures)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

func jsonLines(s string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(s, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// finalReport returns the report line of a JSONL stream.
func finalReport(t *testing.T, name string) *analyzer.Report {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(readFile(name)), "\n")
	last := lines[len(lines)-1]
	var r struct {
		Type string `json:"type"`
		analyzer.Report
	}
	if err := json.Unmarshal([]byte(last), &r); err != nil || r.Type != "report" {
		t.Fatalf("the last line is not the report (%v): %.200s", err, last)
	}
	return &r.Report
}

func host(r *analyzer.Report, addr string) *analyzer.HostReport {
	for i := range r.Hosts {
		if r.Hosts[i].Address == addr {
			return &r.Hosts[i]
		}
	}
	return nil
}

// TestLivePrivileges checks the error a user without CAP_NET_RAW gets,
// and that --user drops to another user and goes on capturing.
func TestLivePrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run lyncaudit as another user")
	}
	// A copy of this test binary that another user may run.
	dir, err := os.MkdirTemp("", "lyncaudit-priv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	self := filepath.Join(dir, "lyncaudit.test")
	me, _ := os.Executable()
	b, err := os.ReadFile(me)
	if err == nil {
		err = os.WriteFile(self, b, 0o755)
	}
	if err != nil {
		t.Fatalf("copying the test binary: %v", err)
	}
	cmd := exec.Command(self, "live", "-i", "lo", "--duration", "1s")
	cmd.Env = append(os.Environ(), "LYNCAUDIT_TEST_MAIN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState == nil {
		t.Skipf("cannot run the test binary as uid 65534: %s", out)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInput || !strings.Contains(string(out), "needs root or the CAP_NET_RAW capability") {
		t.Errorf("as nobody: exit %d, output %q; want 2 and the capability named", code, out)
	}

	cmd = exec.Command(self, "live", "-i", "lo", "--duration", "1500ms", "--user", "nobody", "-f", "json")
	cmd.Env = append(os.Environ(), "LYNCAUDIT_TEST_MAIN=1")
	out, err = cmd.Output()
	if err != nil && cmd.ProcessState.ExitCode() != exitFindings {
		t.Fatalf("--user nobody: %v", err)
	}
	var r analyzer.Report
	if err := json.Unmarshal(out, &r); err != nil || r.Schema != analyzer.Schema {
		t.Errorf("--user nobody wrote no report (%v): %.200s", err, out)
	}
	cmd = exec.Command(self, "live", "-i", "lo", "--duration", "1s", "--user", "no-such-user-here")
	cmd.Env = append(os.Environ(), "LYNCAUDIT_TEST_MAIN=1")
	out, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitInput || !strings.Contains(string(out), "no-such-user-here") {
		t.Errorf("unknown --user: exit %d, output %q", code, out)
	}
}
