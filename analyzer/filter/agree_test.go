package filter

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// agreeExprs holds every supported form once, with the addresses, ports
// and VLAN IDs of the shared captures, so that each keeps some packets.
var agreeExprs = []string{
	"",
	"ip", "ip6", "tcp", "udp", "not tcp and not udp",
	"ip proto 17", "ip6 proto 17", "proto 6",
	"host 192.168.1.6", "src host 192.168.12.169", "vlan and vlan and dst host 10.0.0.2",
	"src and dst host 127.0.0.1",
	"ip host 192.168.1.253", "host 10.0.0.1 or 10.77.110.51 or 172.16.168.24",
	"host 2a38:e156:8167:a333:face:b00c:0:24d9", "ip6 dst host 2001:b07:a3d:c112:48a1:1094:1227:281e",
	"net 192.168.0.0/16", "net 10", "net 172.16", "net 52.114.0.0 mask 255.255.0.0", "src net 10.0.0.0/8",
	"net 2001:b07::/32", "src net 3516:bf0b::/32", "not net 192.168.0.0/16",
	"port 5060", "port 443", "src port 443", "dst port 53", "tcp port 443", "udp port 3478 or 19302",
	"src or dst port 5060", "src and dst port 5060",
	"portrange 1024-65535", "udp portrange 30000-40000", "tcp dst portrange 5060-5061",
	"vlan", "vlan 1611", "vlan 1508 and udp", "vlan 201 and vlan 200", "vlan and vlan and tcp",
	"udp and not vlan", "vlan or udp",
	"host 192.168.1.6 and not port 443", "(tcp or udp) and not port 53", "tcp and (port 443 or port 80)",
	"host 192.168.1.6 and (52.114.77.33 or 52.113.194.132)", "!tcp && !(udp || ip6)",
	"tcp port 443 and host 52.114.77.33 and not src port 443",
}

// captureUnit is a capture file tcpdump can read, with the frames in it.
type captureUnit struct {
	name   string // for messages
	path   string
	lt     decoders.LinkType
	frames []frame
}

// TestAgreeWithTcpdump filters every shared capture with every
// expression of agreeExprs, and also copies of some captures rewritten
// for the other link types, and compares the packets Match keeps with
// those tcpdump writes. They must be the same as tcpdump -O keeps (no
// optimizer); they may differ from plain tcpdump only on packets where
// tcpdump and tcpdump -O differ too: packets cut short inside a field the
// expression reads, which libpcap's optimizer may not read.
func TestAgreeWithTcpdump(t *testing.T) {
	l := newLibpcap(t)
	units := agreeUnits(t, l)
	exprs := agreeExprs
	if testing.Short() {
		exprs = []string{"host 192.168.1.6 and not port 443", "vlan and udp", "net 2001:b07::/32 or portrange 1024-65535"}
	}

	type job struct {
		u    *captureUnit
		expr string
	}
	var jobs []job
	for i := range units {
		for _, e := range exprs {
			jobs = append(jobs, job{&units[i], e})
		}
	}
	var mu sync.Mutex
	compared, optimizerOnly := 0, 0
	var failures []string
	keptBy := map[string]int{}
	parallel(len(jobs), func(i int) {
		u, expr := jobs[i].u, jobs[i].expr
		r := agreeOne(l, u, expr)
		mu.Lock()
		defer mu.Unlock()
		if r.failure != "" {
			failures = append(failures, r.failure)
		}
		if r.compared {
			compared++
		}
		optimizerOnly += r.optimizerOnly
		keptBy[expr] += r.kept
	})
	slices.Sort(failures)
	for _, f := range failures {
		t.Error(f)
	}
	for _, e := range exprs {
		if keptBy[e] == 0 {
			t.Errorf("%q keeps no packet of any capture: the comparison proves little", e)
		}
	}
	t.Logf("compared %d (capture, expression) pairs with tcpdump; %d packets differ only from optimised tcpdump, as tcpdump -O does", compared, optimizerOnly)
}

// agreement is the outcome of comparing one capture and expression.
type agreement struct {
	compared      bool
	kept          int    // packets both keep
	optimizerOnly int    // packets only libpcap's optimizer keeps differently
	failure       string // why they disagree
}

// agreeOne compares one capture and expression.
func agreeOne(l *libpcap, u *captureUnit, expr string) agreement {
	name := fmt.Sprintf("%s %q", u.name, expr)
	fail := func(format string, args ...any) agreement {
		return agreement{failure: name + ": " + fmt.Sprintf(format, args...)}
	}
	f, err := Compile(expr)
	if err != nil {
		return fail("Compile: %v", err)
	}
	_, progErr := f.Program(u.lt)
	plain, err := l.keep(u.path, expr, false)
	if err != nil {
		var refused refusal
		switch {
		case !errors.As(err, &refused):
			return fail("%v", err)
		case strings.Contains(err.Error(), "expression rejects all packets"):
			plain = nil
		case errors.Is(progErr, ErrLinkType):
			return agreement{compared: true}
		default:
			return fail("tcpdump refuses it (%v); we do not (%v)", err, progErr)
		}
	}
	if progErr != nil {
		return fail("Program: %v; tcpdump filters it", progErr)
	}
	var ours []int64
	for _, fr := range u.frames {
		if f.Match(u.lt, fr.data) {
			ours = append(ours, fr.num)
		}
	}
	keptPlain := align(u.frames, plain)
	if slices.Equal(ours, keptPlain) {
		return agreement{compared: true, kept: len(ours)}
	}
	unopt, err := l.keep(u.path, expr, true)
	if err != nil && !strings.Contains(err.Error(), "expression rejects all packets") {
		return fail("tcpdump -O: %v", err)
	}
	keptUnopt := align(u.frames, unopt)
	if !slices.Equal(ours, keptUnopt) {
		return fail("we keep %s, tcpdump -O keeps %s", diffNums(ours, keptUnopt), diffNums(keptUnopt, ours))
	}
	return agreement{compared: true, kept: len(ours), optimizerOnly: len(symDiff(keptPlain, keptUnopt))}
}

// align returns the numbers of the frames tcpdump wrote: its output is
// the input with packets left out, so each written packet is the next
// input frame with the same bytes and time.
func align(in []frame, kept []frame) []int64 {
	var nums []int64
	j := 0
	for _, fr := range in {
		if j < len(kept) && kept[j].ts/1000 == fr.ts/1000 && bytes.Equal(kept[j].data, fr.data) {
			nums = append(nums, fr.num)
			j++
		}
	}
	return nums
}

// diffNums lists the packet numbers in a and not in b, for messages.
func diffNums(a, b []int64) string {
	var d []string
	for _, n := range a {
		if !slices.Contains(b, n) {
			d = append(d, fmt.Sprint(n))
		}
	}
	if len(d) == 0 {
		return "no other packets"
	}
	return "packets " + strings.Join(d, ", ")
}

func symDiff(a, b []int64) []int64 {
	var d []int64
	for _, n := range a {
		if !slices.Contains(b, n) {
			d = append(d, n)
		}
	}
	for _, n := range b {
		if !slices.Contains(a, n) {
			d = append(d, n)
		}
	}
	return d
}

// agreeUnits returns the captures to compare: each shared capture as it
// is, split by link type when tcpdump refuses a pcapng file that mixes
// them, and copies of a few Ethernet captures rewritten for every other
// link type.
func agreeUnits(t *testing.T, l *libpcap) []captureUnit {
	dir := t.TempDir()
	var units []captureUnit
	for _, path := range captureFiles(t) {
		frames := readFrames(t, path)
		name, _ := filepath.Rel(capturesDir, path)
		byLT := map[decoders.LinkType][]frame{}
		var lts []decoders.LinkType
		for _, f := range frames {
			if _, ok := byLT[f.lt]; !ok {
				lts = append(lts, f.lt)
			}
			byLT[f.lt] = append(byLT[f.lt], f)
		}
		if len(lts) == 1 {
			units = append(units, captureUnit{name, path, lts[0], frames})
			continue
		}
		// libpcap reads one link type per file: tcpdump stops at the
		// first interface of another type.
		if _, err := l.keep(path, "", false); err == nil || !strings.Contains(err.Error(), "different from the type of the first interface") {
			t.Errorf("%s mixes link types %v, and tcpdump reads it: %v", name, lts, err)
		}
		t.Logf("%s: tcpdump refuses a pcapng file that mixes link types %v; comparing on one pcap file per link type", name, lts)
		for _, lt := range lts {
			p := filepath.Join(dir, fmt.Sprintf("%s-lt%d.pcap", filepath.Base(path), lt))
			writePcap(t, p, lt, byLT[lt], false)
			units = append(units, captureUnit{fmt.Sprintf("%s (link type %d only)", name, lt), p, lt, byLT[lt]})
		}
	}
	for _, src := range []string{"ndpi/teams.pcap", "ndpi/stun.pcap", "zeek/erspan.pcap"} {
		frames := readFrames(t, filepath.Join(capturesDir, src))
		for _, c := range compareLinkTypes {
			if c.lt == layers.LinkTypeEthernet {
				continue
			}
			var out []frame
			for _, f := range frames {
				if b, ok := encapsulate(f.data, c.lt, c.big, 30); ok {
					f.data, f.wire = b, len(b)
					out = append(out, f)
				}
			}
			order := ""
			if c.big {
				order = ", big-endian"
			}
			p := filepath.Join(dir, fmt.Sprintf("%s-lt%d%s.pcap", filepath.Base(src), c.lt, strings.TrimPrefix(order, ", ")))
			writePcap(t, p, c.lt, out, c.big)
			units = append(units, captureUnit{fmt.Sprintf("%s rewritten for link type %d%s", src, c.lt, order), p, c.lt, out})
		}
	}
	return units
}

// keep runs tcpdump -r file -w - expr (with -O if unopt) and returns the
// packets it writes, or a refusal with tcpdump's message.
func (l *libpcap) keep(file, expr string, unopt bool) ([]frame, error) {
	args := []string{"-n", "-r", file, "-w", "-", "--", expr}
	if unopt {
		args = append([]string{"-O"}, args...)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(l.bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if stderr.Len() == 0 {
			return nil, fmt.Errorf("running tcpdump: %v", err)
		}
		return nil, refusal(tcpdumpError(stderr.String()))
	}
	return readAll(&stdout)
}
