package analyzer

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// readNDPI reads the flow lines of ndpiReader's result file (.out): after
// the totals, one line per flow, such as
//
//	<tab>33<tab>UDP 93.71.110.205:16332 <-> 192.168.1.6:50016 [proto: 78.38/STUN.Skype_TeamsCall][IP: …][Confidence: DPI]…
//
// The label is the name after the slash; its key is the master protocol
// (the part before the dot), lower case. A flow nDPI matched only by port
// keeps that in its label ("SIP [Match by port]"), since it is a guess.
// Flows of other transports (ICMP, protocol numbers) are not ours to name
// and are left out.
func readNDPI(name string, data []byte) ([]peerClaim, error) {
	var claims []peerClaim
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if !strings.HasPrefix(text, "\t") || !strings.Contains(text, "[proto: ") {
			continue
		}
		c, ok, err := ndpiFlow(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if ok {
			c.where = name + ":" + strconv.Itoa(line)
			claims = append(claims, c)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return claims, nil
}

// ndpiFlow parses one flow line; ok is false for a transport we do not follow.
func ndpiFlow(text string) (c peerClaim, ok bool, err error) {
	// "\t<n>\t<TRANSPORT> <addr:port> <-> <addr:port> [VLAN: n][proto: …]…"
	_, rest, found := strings.Cut(strings.TrimPrefix(text, "\t"), "\t")
	if !found {
		return c, false, fmt.Errorf("no tab after the flow number")
	}
	f := strings.SplitN(rest, " ", 5)
	if len(f) < 5 {
		return c, false, fmt.Errorf("flow line %q: too few fields", rest)
	}
	tr, known := decoders.ParseTransport(f[0])
	if !known {
		return c, false, nil
	}
	if f[2] != "<->" && f[2] != "->" {
		return c, false, fmt.Errorf("flow line %q: %q where -> or <-> belongs", rest, f[2])
	}
	xs, err := ndpiEndpoints(f[1])
	if err != nil {
		return c, false, err
	}
	ys, err := ndpiEndpoints(f[3])
	if err != nil {
		return c, false, err
	}
	for _, x := range xs {
		for _, y := range ys {
			c.tuples = append(c.tuples, newTuple(tr, x, y))
		}
	}
	label, ok := bracket(f[4], "proto")
	if !ok {
		return c, false, fmt.Errorf("flow line %q: no [proto: …]", rest)
	}
	_, names, _ := strings.Cut(label, "/")
	master, _, _ := strings.Cut(names, ".")
	if master == "" {
		return c, false, fmt.Errorf("flow line %q: proto %q has no name", rest, label)
	}
	c.peer, c.tr, c.label, c.key = "ndpi", tr, names, strings.ToLower(master)
	if conf, _ := bracket(f[4], "Confidence"); conf != "" && conf != "DPI" && c.key != "unknown" {
		c.label += " [" + conf + "]"
	}
	return c, true, nil
}

// bracket returns the value of the first "[name: value]" field in s.
func bracket(s, name string) (string, bool) {
	_, v, ok := strings.Cut(s, "["+name+": ")
	if !ok {
		return "", false
	}
	v, _, ok = strings.Cut(v, "]")
	return v, ok
}

// ndpiEndpoints parses "10.0.0.1:5060" or "[2001:db8::1]:3478". nDPI
// (3b1286ab) can print an IPv6 address with two "::" runs, such as
// "2600:1900:4160:5999::19::", which names no single address: every
// address it could stand for is returned, and the flow table decides.
func ndpiEndpoints(s string) ([]netip.AddrPort, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return nil, fmt.Errorf("endpoint %q has no port", s)
	}
	port, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: bad port", s)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]")
	addrs, err := looseAddrs(host)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %v", s, err)
	}
	eps := make([]netip.AddrPort, len(addrs))
	for j, a := range addrs {
		eps[j] = netip.AddrPortFrom(a, uint16(port))
	}
	return eps, nil
}

// looseAddrs parses an address, allowing an IPv6 address with more than
// one "::": each way of sharing the missing zero groups among the runs
// (each run standing for at least one) gives a candidate.
func looseAddrs(s string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return []netip.Addr{a}, nil
	}
	runs := strings.Split(s, "::")
	if len(runs) < 3 || len(runs) > 8 {
		return nil, fmt.Errorf("bad address %q", s)
	}
	groups := make([][]string, len(runs))
	missing := 8
	for i, r := range runs {
		if r != "" {
			groups[i] = strings.Split(r, ":")
			missing -= len(groups[i])
		}
	}
	var addrs []netip.Addr
	var share func(i, left int, parts []string)
	share = func(i, left int, parts []string) {
		parts = append(parts[:len(parts):len(parts)], groups[i]...)
		if i == len(runs)-1 {
			if a, err := netip.ParseAddr(strings.Join(parts, ":")); err == nil && left == 0 {
				addrs = append(addrs, a)
			}
			return
		}
		for n := 1; n <= left; n++ {
			zeros := parts[:len(parts):len(parts)]
			for range n {
				zeros = append(zeros, "0")
			}
			share(i+1, left-n, zeros)
		}
	}
	share(0, missing, nil)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("bad address %q", s)
	}
	return addrs, nil
}

func TestReadNDPI(t *testing.T) {
	tests := []struct {
		capture string
		flows   int    // TCP and UDP flow lines, detected or not
		tuple   string // one of them
		label   string // its label
		key     string // its key
	}{
		{"teams.pcap", 82, "udp 93.71.110.205:16332 <-> 192.168.1.6:50016", "STUN.Skype_TeamsCall", "stun"},
		{"teams.pcap", 82, "udp 192.168.1.6:51681 <-> 52.114.77.136:3478", "Skype_TeamsCall [Match by port]", "skype_teamscall"},
		{"teams.pcap", 82, "tcp 151.11.50.139:2222 <-> 192.168.1.6:54750", "Unknown", "unknown"},
		{"stun.pcap", 8, "tcp 10.77.110.51:41588 <-> 10.206.50.239:42000", "STUN.Skype_TeamsCall", "stun"},
		{"stun.pcap", 8, "udp [2001:b07:a3d:c112:48a1:1094:1227:281e]:48094 <-> [2600:1900:4160:5999:0:19::]:3478", "STUN", "stun"},
		{"rtp.pcapng", 4, "udp 10.140.67.167:55402 <-> 148.153.85.97:6008", "RTP", "rtp"},
		{"fuzz-2006-06-26-2594.pcap", 241, "udp 192.168.1.2:5060 <-> 212.242.33.35:17860", "SIP [Match by port]", "sip"},
		{"fuzz-2006-06-26-2594.pcap", 241, "udp 192.168.1.2:138 <-> 192.168.1.255:138", "NetBIOS.SMBv1", "netbios"},
	}
	for _, tt := range tests {
		t.Run(tt.capture+"/"+tt.tuple, func(t *testing.T) {
			want, err := parseTuple(tt.tuple)
			if err != nil {
				t.Fatal(err)
			}
			claims := peerResult(t, filepath.Join("ndpi", tt.capture+".expected.out"), readNDPI)
			if len(claims) != tt.flows {
				t.Errorf("%d TCP/UDP flows, want %d", len(claims), tt.flows)
			}
			for _, c := range claims {
				for _, ft := range c.tuples {
					if ft != want {
						continue
					}
					if c.label != tt.label || c.key != tt.key || c.peer != "ndpi" {
						t.Errorf("%s: %s label %q key %q, want %q %q", c.where, c.peer, c.label, c.key, tt.label, tt.key)
					}
					return
				}
			}
			t.Errorf("no flow %s", tt.tuple)
		})
	}
}

func TestLooseAddrs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"192.168.1.2", []string{"192.168.1.2"}},
		{"2001:b07:a3d:c112:48a1:1094:1227:281e", []string{"2001:b07:a3d:c112:48a1:1094:1227:281e"}},
		// As nDPI prints 2600:1900:4160:5999:0:19:0:0 in stun.pcap's result.
		{"2600:1900:4160:5999::19::", []string{"2600:1900:4160:5999:0:19::", "2600:1900:4160:5999::19:0"}},
		{"1::2::3::4", []string{"1:0:2:0:3::4", "1:0:2::3:0:4", "1::2:0:3:0:4"}},
		{"1:2:3:4:5:6::7::", nil},
		{"nonsense", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			addrs, err := looseAddrs(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("looseAddrs(%q) = %v, want an error", tt.in, addrs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("looseAddrs(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzNDPI checks that the .out reader never panics and that every flow it
// returns has a transport we follow, a key, and tuples that read back.
func FuzzNDPI(f *testing.F) {
	addFuzzSeeds(f, "ndpi/*.expected.out", "\n\t1\t")
	f.Add([]byte("\t1\tUDP [1::2::3]:1 -> 10.0.0.1:2 [proto: 78.38/STUN.X][Confidence: Match by port]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		claims, err := readNDPI("fuzz", data)
		if err != nil {
			return
		}
		for _, c := range claims {
			if c.tr != decoders.TCP && c.tr != decoders.UDP || c.key == "" || len(c.tuples) == 0 {
				t.Fatalf("%s: bad claim %+v", c.where, c)
			}
			for _, ft := range c.tuples {
				back, err := parseTuple(ft.String())
				if err != nil || back != ft {
					t.Fatalf("%s: tuple %v reads back as %v, %v", c.where, ft, back, err)
				}
			}
		}
	})
}
