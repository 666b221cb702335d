package analyzer

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
)

// sharedCaptures is where the peers' real captures live, beside the project.
const sharedCaptures = "../../shared/captures"

// sharedFiles lists the capture files under sharedCaptures, or skips.
func sharedFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(sharedCaptures); err != nil {
		t.Skipf("shared captures not found at %s: %v", sharedCaptures, err)
	}
	var files []string
	filepath.WalkDir(sharedCaptures, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// analyzeFile runs the engine over one capture with timeouts long enough
// that no flow of these short captures ends idle.
func analyzeFile(t *testing.T, name string) *Report {
	t.Helper()
	cfg := NewConfig()
	cfg.TCPIdle, cfg.UDPIdle = 24*time.Hour, 24*time.Hour
	cfg.KeepFlows = true
	r, err := capture.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	e := NewEngine(cfg)
	if err := e.Read(r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e.Report()
}

// TestSharedCapturesAreAccountedFor reads every real capture: each is read
// to its end, every packet is either decoded or counted under a reason,
// and the packet count is the one capinfos gives.
func TestSharedCapturesAreAccountedFor(t *testing.T) {
	capinfos, _ := exec.LookPath("capinfos")
	for _, name := range sharedFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			rep := analyzeFile(t, name)
			tot := rep.Totals
			skipped := uint64(0)
			for reason, n := range tot.Undecodable {
				if reason == "" || n == 0 {
					t.Errorf("bad undecodable entry %q=%d", reason, n)
				}
				skipped += n
			}
			if tot.Decoded+skipped != tot.Packets {
				t.Errorf("decoded %d + undecodable %d != packets %d", tot.Decoded, skipped, tot.Packets)
			}
			if capinfos == "" {
				return
			}
			out, err := exec.Command(capinfos, "-M", "-c", "-T", "-r", name).Output()
			if err != nil {
				t.Fatalf("capinfos: %v", err)
			}
			fields := strings.Split(strings.TrimSpace(string(out)), "\t")
			want, err := strconv.ParseUint(fields[len(fields)-1], 10, 64)
			if err != nil {
				t.Fatalf("capinfos output %q: %v", out, err)
			}
			if tot.Packets != want {
				t.Errorf("read %d packets, capinfos says %d", tot.Packets, want)
			}
		})
	}
}

// TestFlowsMatchTsharkConversations holds the flow table's keying against
// tshark's: the number of TCP and UDP flows equals the number of distinct
// innermost five-tuples tshark decodes (TCP streams, UDP conversations),
// for the captures where tshark and lyncaudit see the same packets.
func TestFlowsMatchTsharkConversations(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	if testing.Short() {
		t.Skip("slow: runs tshark on every capture")
	}
	// Where tshark decodes packets lyncaudit does not (ICMP-quoted headers,
	// a fuzzed TCP header) or the reverse, the counts differ for a reason
	// the decoder's own tshark test explains frame by frame.
	skip := map[string]string{
		"fuzz-2006-06-26-2594.pcap": "randomly corrupted headers",
		"erspan.pcap":               "outer IP fragments of the tunnel",
	}
	for _, name := range sharedFiles(t) {
		base := filepath.Base(name)
		t.Run(base, func(t *testing.T) {
			if why := skip[base]; why != "" {
				t.Skip(why)
			}
			out, err := exec.Command(tshark, "-n", "-r", name, "-T", "fields", "-E", "separator=|",
				"-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
				"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
				"-Y", "(tcp or udp) and not icmp and not icmpv6").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			tuples := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if line == "" {
					continue
				}
				f := strings.Split(line, "|")
				last := func(s string) string { return s[strings.LastIndexByte(s, ',')+1:] }
				src, dst := last(f[0]+f[1]), last(f[2]+f[3])
				sp, dp, proto := last(f[4]), last(f[5]), "tcp"
				if sp == "" {
					sp, dp, proto = last(f[6]), last(f[7]), "udp"
				}
				a, b := src+"/"+sp, dst+"/"+dp
				if b < a {
					a, b = b, a
				}
				tuples[proto+" "+a+" "+b] = true
			}
			rep := analyzeFile(t, name)
			if got := rep.Totals.Flows; got != uint64(len(tuples)) {
				t.Errorf("%d flows, tshark shows %d distinct five-tuples", got, len(tuples))
			}
		})
	}
}
