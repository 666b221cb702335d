package lyncgen

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// generateFile writes a capture with o to a file called name in a
// directory of the test's, for the tools that read only files.
func generateFile(t *testing.T, name string, o Options) (string, *Truth) {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	truth, err := GenerateFile(file, o)
	if err != nil {
		t.Fatal(err)
	}
	return file, truth
}

// tsharkOn returns a function that runs tshark on file with more
// arguments and returns its output: RTP looked for by heuristics too, and
// every checksum checked, so that a bad one shows as an expert error.
func tsharkOn(t *testing.T, tshark, file string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		args = append([]string{"-n", "-r", file, "-o", "rtp.heuristic_rtp:TRUE",
			"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"}, args...)
		out, err := exec.Command(tshark, args...).Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
}

// TestTshark has Wireshark dissect the sample: the protocol hierarchy
// must show what the scenario writes, and the expert report must hold no
// error (no malformed packet, no bad checksum). Skipped without tshark.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed")
	}
	file, _ := generateFile(t, "sample.pcapng", SampleOptions())
	run := tsharkOn(t, tshark, file)
	phs := run("-q", "-z", "io,phs")
	for _, proto := range []string{"tls", "sip", "rtp", "rtcp", "stun", "classicstun", "dhcp", "dns", "http", "dcerpc", "smb2", "telnet", "snmp", "tds", "vlan", "ipv6"} {
		if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(proto) + `\s+frames:`).MatchString(phs) {
			t.Errorf("the protocol hierarchy lacks %s:\n%s", proto, phs)
		}
	}
	if strings.Contains(phs, "_ws.malformed") {
		t.Errorf("malformed packets:\n%s", phs)
	}
	expert := run("-q", "-z", "expert,error")
	if strings.Contains(expert, "Errors (") {
		t.Errorf("tshark reports errors:\n%s", expert)
	}
}

// TestCapinfos counts the sample's packets with capinfos and holds the
// count to the truth's. Skipped without capinfos.
func TestCapinfos(t *testing.T) {
	capinfos, err := exec.LookPath("capinfos")
	if err != nil {
		t.Skip("capinfos is not installed")
	}
	file, truth := generateFile(t, "sample.pcapng", SampleOptions())
	out, err := exec.Command(capinfos, "-c", "-M", "-T", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	// The table has a header line, then: file name, tab, packet count.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := strings.Split(lines[len(lines)-1], "\t")
	packets, _ := truth.Totals()
	if got := strings.TrimSpace(fields[len(fields)-1]); got != strconv.Itoa(packets) {
		t.Errorf("capinfos counts %s packets, the truth %d", got, packets)
	}
}
