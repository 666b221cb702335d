package filter

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// compareExprs covers every supported form, with addresses and ports
// taken from the shared captures and the crafted frames so that each
// matches something.
var compareExprs = []string{
	"",
	"ip", "ip6", "tcp", "udp", "not ip", "ip or ip6", "ip and not ip6", "not tcp and not udp", "!tcp && !udp", "tcp||udp",
	"ip proto 6", "ip proto 132", "ip proto 1", "ip6 proto 17", "ip6 proto 6", "ip6 proto 0", "proto 17", "proto 132", "ip proto 6 or 17",
	"host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.1", "src or dst host 10.0.0.2",
	"src and dst host 172.16.168.24", "dst and src host 10.0.0.1", "host 192.168.12.169",
	"host 192.168.1.6 and host 52.114.77.33", "ip host 10.0.0.1", "ip src 10.0.0.1", "src 10.77.110.51",
	"dst 10.0.0.1 or 10.0.0.2", "host 10.0.0.1 or 192.168.1.1 or 10.0.0.2", "host 10.0.0.1 and not 10.0.0.2",
	"host 192.168.1.6 and (52.114.77.33 or 52.113.194.132)", "host 10.0.0.1 and (not 10.0.0.2)",
	"host 10.1", "host 192.168", "src host 0.0.0.0",
	"host 2a38:e156:8167:a333:face:b00c:0:24d9", "ip6 src host 2001:db8::1", "dst host fe80::34f7:703d:ac05:43d6",
	"host ::ffff:10.0.0.1", "host fe80::1/128", "src and dst host 2001:db8::1", "host 2001:db8::1 or fe80::1",
	"host 10.0.0.1 or fe80::1",
	"net 192.168.0.0/16", "net 10", "net 172.16", "net 10.0.0.0/8", "net 52.114.0.0 mask 255.255.0.0",
	"net 10.0.0.0 mask 255.0.0.255", "dst net 10.0.0.0/8", "src net 192.168.1.0/24", "ip net 10.0.0.0/30",
	"net 0.0.0.0/0", "net 10.0.0.1/32", "net 10.0.0.1", "net 0", "net 10 or 192.168", "not net 192.168.0.0/16",
	"net 2001:db8::/32", "net fe80::/10", "src net 2a38::/16", "ip6 net 2001:db8:0:1::/64", "net ::/0",
	"net 2001:db8::/33", "ip6 dst net ff00::/8",
	"port 80", "port 5060", "port 443", "src port 443", "dst port 53", "tcp port 443", "udp port 3478",
	"tcp port 80 or 443", "port 5060 or 3478", "udp src or dst port 53", "src and dst port 5060",
	"tcp dst port 80", "port 0", "port 65535", "port 2905", "not port 80", "tcp src port 80 or dst port 80",
	"portrange 1024-65535", "udp portrange 30000-40000", "tcp portrange 5060-5061", "dst portrange 3478-3481",
	"portrange 2000-1000", "portrange 80", "src portrange 1-1023", "portrange 5060-5060 or 53",
	"vlan", "vlan 1611", "vlan 1508 and udp", "vlan and host 10.77.110.51", "vlan 201 and vlan 200",
	"vlan and vlan and tcp", "not vlan and udp", "vlan or udp", "udp or vlan", "vlan 100 and port 80",
	"vlan 200 and vlan 100 and udp", "vlan and ip6", "vlan 0", "vlan 100 or vlan 200", "(vlan) and host 10.0.0.1",
	"vlan (100)", "vlan and not vlan", "vlan and src net 10.0.0.0/8",
	"host 192.168.1.6 and not port 443", "(tcp or udp) and not port 53", "tcp and (port 443 or port 80)",
	"udp and not (port 53 or port 67)", "host 192.168.12.169 || port 3478",
	"tcp port 443 and host 52.114.77.33 and not src port 443", "not (host 10.0.0.1 or host 10.0.0.2)",
	"host 10.0.0.1 or (port 80) or 10.0.0.2", "port 80 and tcp or udp", "not not tcp", "not (not (udp))",
	"ip and (src 10.0.0.1 or dst 10.0.0.2)", "ip6 and udp and port 53", "(ip6 or tcp) and (port 80 or net fe80::/10)",
	"tcp or ip", "port 80 or ip6", "not ip and tcp", "udp and ip",
	longExpr,
}

// longExpr compiles to a program longer than a conditional jump reaches.
var longExpr = func() string {
	var ports []string
	for p := 1; p <= 30; p++ {
		ports = append(ports, fmt.Sprint("port ", 5030+p))
	}
	return "(" + strings.Join(ports, " or ") + ") and host 10.0.0.1 and not net 10.9.0.0/16"
}()

// compareLinkTypes are the link types compared with libpcap; big selects
// a big-endian capture file for NULL, whose header follows the file.
var compareLinkTypes = []struct {
	lt  decoders.LinkType
	big bool
}{
	{layers.LinkTypeEthernet, false},
	{layers.LinkTypeLinuxSLL, false},
	{layers.LinkTypeLinuxSLL2, false},
	{layers.LinkTypeRaw, false},
	{linkTypeRawBSD, false},
	{layers.LinkTypeIPv4, false},
	{layers.LinkTypeIPv6, false},
	{layers.LinkTypeNull, false},
	{layers.LinkTypeNull, true},
	{layers.LinkTypeLoop, false},
}

// corpus returns Ethernet frames: the crafted ones, up to perFile frames
// of each Ethernet capture (when the shared captures are there), and
// every prefix of the crafted frames and of a few captured ones, to see
// where short frames are turned away.
func corpus(t testing.TB, perFile int) [][]byte {
	t.Helper()
	frames := craftedFrames()
	var cut [][]byte
	cut = append(cut, frames...)
	if _, err := os.Stat(capturesDir); err == nil {
		for _, path := range captureFiles(t) {
			n := 0
			for _, f := range readFrames(t, path) {
				if f.lt != layers.LinkTypeEthernet || n >= perFile {
					continue
				}
				frames = append(frames, f.data)
				if n < 3 {
					cut = append(cut, f.data)
				}
				n++
			}
		}
	}
	for _, f := range cut {
		for i := 0; i < len(f) && i < 100; i++ {
			frames = append(frames, f[:i])
		}
	}
	return frames
}

// TestProgramsAgreeWithLibpcap runs libpcap's program (from tcpdump -dd)
// and ours for every expression and link type on every corpus frame, and
// runs ours both through Match and through x/net/bpf's VM: all three must
// keep the same frames.
func TestProgramsAgreeWithLibpcap(t *testing.T) {
	l := newLibpcap(t)
	perFile, exprs := 200, compareExprs
	if testing.Short() {
		perFile, exprs = 20, sample(compareExprs, 8)
	}
	eth := corpus(t, perFile)

	type job struct {
		expr string
		lt   decoders.LinkType
		big  bool
	}
	var jobs []job
	for _, c := range compareLinkTypes {
		for _, e := range exprs {
			jobs = append(jobs, job{e, c.lt, c.big})
		}
	}
	for _, c := range compareLinkTypes {
		l.headerFiles(t, c.lt)
	}
	libProgs := make([][]bpf.RawInstruction, len(jobs))
	libErrs := make([]error, len(jobs))
	parallel(len(jobs), func(i int) {
		libProgs[i], libErrs[i] = l.program(jobs[i].expr, jobs[i].lt, jobs[i].big)
	})

	compared, framesRun := 0, 0
	for i, j := range jobs {
		name := fmt.Sprintf("%d/%v/%q", j.lt, j.big, j.expr)
		f, err := Compile(j.expr)
		if err != nil {
			t.Errorf("%s: Compile: %v", name, err)
			continue
		}
		ours, err := f.Program(j.lt)
		var refused refusal
		if libErrs[i] != nil && !errors.As(libErrs[i], &refused) {
			t.Fatal(libErrs[i])
		}
		if libErrs[i] != nil {
			if !errors.Is(err, ErrLinkType) {
				t.Errorf("%s: libpcap refuses it (%v), we give program or error %v", name, libErrs[i], err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Program: %v; libpcap compiles it", name, err)
			continue
		}
		frames := encapsulateAll(eth, j.lt, j.big)
		libVM, ourVM := newVM(t, libProgs[i]), newVM(t, ours)
		bad := 0
		for _, fr := range frames {
			lib := runVM(t, libVM, fr)
			m := f.Match(j.lt, fr)
			vm := runVM(t, ourVM, fr)
			if lib != m || m != vm {
				if bad < 3 {
					t.Errorf("%s: libpcap %v, Match %v, our program in x/net/bpf %v for frame\n%s", name, lib, m, vm, hex.Dump(fr))
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d frames disagree\nlibpcap:\n%sours:\n%s", name, bad, len(frames), disasm(libProgs[i]), disasm(ours))
		}
		compared++
		framesRun += len(frames)
	}
	t.Logf("compared %d (expression, link type) programs with libpcap's on %d frames in all", compared, framesRun)
}

// encapsulateAll rewrites Ethernet frames for link type lt. NULL and LOOP
// frames come with each AF_INET6 value libpcap accepts, and with Linux's
// (10), which it does not.
func encapsulateAll(eth [][]byte, lt decoders.LinkType, big bool) [][]byte {
	af6s := []uint32{30}
	if lt == layers.LinkTypeNull || lt == layers.LinkTypeLoop {
		af6s = []uint32{24, 28, 30, 10}
	}
	var out [][]byte
	for _, e := range eth {
		for _, af6 := range af6s {
			if b, ok := encapsulate(e, lt, big, af6); ok {
				out = append(out, b)
			}
		}
	}
	return out
}

func runVM(t testing.TB, vm *bpf.VM, data []byte) bool {
	n, err := vm.Run(data)
	if err != nil {
		t.Fatalf("bpf VM: %v", err)
	}
	return n != 0
}

// sample returns every nth expression, and the long one, for -short runs.
func sample(exprs []string, n int) []string {
	var s []string
	for i, e := range exprs {
		if i%n == 0 || e == longExpr {
			s = append(s, e)
		}
	}
	return s
}

// parallel calls fn(0) … fn(n-1) on a few goroutines: tcpdump runs are
// short processes that spend their time starting up.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(2, runtime.NumCPU()) * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
