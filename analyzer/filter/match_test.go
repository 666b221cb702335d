package filter

import (
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// TestMatch pins down the behaviours of tcpdump that surprise people,
// on frames built for each. TestProgramsAgreeWithLibpcap holds all of
// them against libpcap too.
func TestMatch(t *testing.T) {
	tcp80 := ipv4("10.0.0.1", "10.0.0.2", 6, ports(1234, 80), ip4opts{})
	udp53 := ipv4("10.0.0.1", "10.9.9.9", 17, ports(40000, 53), ip4opts{})
	tests := []struct {
		Name  string
		Expr  string
		LT    decoders.LinkType
		Frame []byte
		Want  bool
	}{
		{"host is ARP sender", "host 10.0.0.1", layers.LinkTypeEthernet, ether(etARP, arp(1, "10.0.0.1", "10.0.0.2")), true},
		{"host is ARP target", "dst host 10.0.0.2", layers.LinkTypeEthernet, ether(etARP, arp(1, "10.0.0.1", "10.0.0.2")), true},
		{"host is RARP target", "host 10.0.0.2", layers.LinkTypeEthernet, ether(etRARP, arp(3, "0.0.0.0", "10.0.0.2")), true},
		{"ip host is not ARP", "ip host 10.0.0.1", layers.LinkTypeEthernet, ether(etARP, arp(1, "10.0.0.1", "10.0.0.2")), false},
		{"src and dst", "src and dst host 10.0.0.1", layers.LinkTypeEthernet, ether(etIPv4, tcp80), false},
		{"partial host is a net", "host 10.0", layers.LinkTypeEthernet, ether(etIPv4, udp53), true},
		{"mask not a prefix", "net 10.0.0.0 mask 255.0.0.255", layers.LinkTypeEthernet, ether(etIPv4, tcp80), false},
		{"port on first fragment", "port 80", layers.LinkTypeEthernet, ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1, 80), ip4opts{more: true})), true},
		{"port not on later fragment", "port 80", layers.LinkTypeEthernet, ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1, 80), ip4opts{fragOff: 185})), false},
		{"port after IPv4 options", "dst port 443", layers.LinkTypeEthernet, ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1, 443), ip4opts{ihl: 6})), true},
		{"port covers SCTP", "port 2905", layers.LinkTypeEthernet, ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 132, ports(1, 2905), ip4opts{})), true},
		{"tcp port is not SCTP", "tcp port 2905", layers.LinkTypeEthernet, ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 132, ports(1, 2905), ip4opts{})), false},
		{"IPv6 port in fixed header", "port 3478", layers.LinkTypeEthernet, ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", 17, ports(3478, 1))), true},
		{"IPv6 port not behind extension", "port 3478", layers.LinkTypeEthernet, ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", 17, ports(3478, 1), 0)), false},
		{"IPv6 tcp behind fragment header", "tcp", layers.LinkTypeEthernet, ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", 6, ports(80, 1), 44)), true},
		{"IPv6 udp not behind hop-by-hop", "udp", layers.LinkTypeEthernet, ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", 17, ports(80, 1), 0)), false},
		{"untagged misses vlan", "vlan", layers.LinkTypeEthernet, ether(etIPv4, tcp80), false},
		{"vlan ID", "vlan 100 and port 80", layers.LinkTypeEthernet, ether(etIPv4, tcp80, tag{et8021Q, 100}), true},
		{"no vlan, no shift", "port 80", layers.LinkTypeEthernet, ether(etIPv4, tcp80, tag{et8021Q, 100}), false},
		{"802.1ad outer tag", "vlan 200 and vlan 100 and udp", layers.LinkTypeEthernet, ether(etIPv4, udp53, tag{et8021AD, 200}, tag{et8021Q, 100}), true},
		{"QinQ 0x9100", "vlan 7", layers.LinkTypeEthernet, ether(etIPv4, udp53, tag{et8021QQ, 7}), true},
		{"vlan shifts what follows", "not vlan and udp", layers.LinkTypeEthernet, ether(etIPv4, udp53), false},
		{"vlan shifts the other branch", "vlan or udp", layers.LinkTypeEthernet, ether(etIPv4, udp53), false},
		{"cooked", "udp dst port 53", layers.LinkTypeLinuxSLL, mustEncap(ether(etIPv4, udp53), layers.LinkTypeLinuxSLL), true},
		{"cooked v2 ARP", "host 10.0.0.1", layers.LinkTypeLinuxSLL2, mustEncap(ether(etARP, arp(1, "10.0.0.1", "10.0.0.2")), layers.LinkTypeLinuxSLL2), true},
		{"raw IPv6", "ip6 and udp", layers.LinkTypeRaw, mustEncap(ether(etIPv6, ipv6("::1", "::2", 17, ports(1, 2))), layers.LinkTypeRaw), true},
		{"raw IPv4 is never ip6", "ip6", layers.LinkTypeIPv4, tcp80, false},
		{"raw IPv6 is always ip6", "ip6", layers.LinkTypeIPv6, []byte{}, true},
		{"NULL little-endian", "ip", layers.LinkTypeNull, append([]byte{2, 0, 0, 0}, tcp80...), true},
		{"NULL big-endian", "ip", layers.LinkTypeNull, append([]byte{0, 0, 0, 2}, tcp80...), true},
		{"NULL Darwin IPv6", "ip6", layers.LinkTypeNull, append([]byte{30, 0, 0, 0}, make([]byte, 40)...), true},
		{"NULL Linux AF_INET6 is not IPv6 in a file", "ip6", layers.LinkTypeNull, append([]byte{10, 0, 0, 0}, make([]byte, 40)...), false},
		{"LOOP network order", "tcp", layers.LinkTypeLoop, append([]byte{0, 0, 0, 2}, tcp80...), true},
		{"LOOP host order is not", "tcp", layers.LinkTypeLoop, append([]byte{2, 0, 0, 0}, tcp80...), false},
		{"cut short in a field", "not port 80", layers.LinkTypeEthernet, ether(etIPv4, tcp80)[:36], false},
		{"empty frame", "not tcp", layers.LinkTypeEthernet, nil, false},
		{"empty expression", "", layers.LinkTypeEthernet, nil, true},
		{"unsupported link type", "", 147, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			f, err := Compile(tt.Expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tt.LT, tt.Frame); got != tt.Want {
				prog, _ := f.Program(tt.LT)
				t.Fatalf("Match(%d, %x) = %v for %q, want %v\n%s", tt.LT, tt.Frame, got, tt.Expr, tt.Want, disasm(prog))
			}
		})
	}
}

func mustEncap(eth []byte, lt decoders.LinkType) []byte {
	b, ok := encapsulate(eth, lt, false, 30)
	if !ok {
		panic("frame cannot be rewritten for link type " + lt.String())
	}
	return b
}

// TestMatchAgreesWithVM runs Match and the x/net/bpf VM on Program's
// output for every comparison expression and link type, on the crafted
// frames and every prefix of them. It needs neither tcpdump nor the
// shared captures.
func TestMatchAgreesWithVM(t *testing.T) {
	var eth [][]byte
	for _, f := range craftedFrames() {
		for i := 0; i <= len(f); i++ {
			eth = append(eth, f[:i])
		}
	}
	exprs := compareExprs
	if testing.Short() {
		exprs = sample(compareExprs, 4)
	}
	n := 0
	for _, expr := range exprs {
		f, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range compareLinkTypes {
			prog, err := f.Program(c.lt)
			if err != nil {
				continue
			}
			vm := newVM(t, prog)
			for _, fr := range encapsulateAll(eth, c.lt, c.big) {
				if m, v := f.Match(c.lt, fr), runVM(t, vm, fr); m != v {
					t.Fatalf("%q, link type %d: Match %v, VM %v for %x\n%s", expr, c.lt, m, v, fr, disasm(prog))
				}
				n++
			}
		}
	}
	t.Logf("%d frames", n)
}

// TestLongJumps checks that a program longer than a conditional jump can
// span still goes where it should: a frame that fails the first test must
// reach the reject at the end.
func TestLongJumps(t *testing.T) {
	f, err := Compile(longExpr)
	if err != nil {
		t.Fatal(err)
	}
	prog, _ := f.Program(layers.LinkTypeEthernet)
	if len(prog) < 300 {
		t.Fatalf("%d instructions: too short to need long jumps", len(prog))
	}
	long := 0
	for _, ins := range prog {
		if ins.Op == opJa {
			long++
		}
	}
	if long == 0 {
		t.Fatalf("no unconditional jump in %d instructions", len(prog))
	}
	in := ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 17, ports(5031, 1), ip4opts{}))
	out := ether(etIPv4, ipv4("10.0.0.1", "10.9.0.2", 17, ports(5031, 1), ip4opts{}))
	if !f.Match(layers.LinkTypeEthernet, in) || f.Match(layers.LinkTypeEthernet, out) {
		t.Fatalf("long program keeps the wrong frames")
	}
	for _, fr := range [][]byte{in, out, ether(etARP, arp(1, "10.0.0.1", "10.0.0.2"))} {
		if f.Match(layers.LinkTypeEthernet, fr) != runVM(t, newVM(t, prog), fr) {
			t.Fatalf("Match and VM disagree on %x", fr)
		}
	}
}

// TestMatchAllocs proves that Match allocates nothing per frame.
func TestMatchAllocs(t *testing.T) {
	f, err := Compile("vlan and host 10.0.0.1 and (tcp port 80 or udp portrange 1024-65535) and not net fe80::/10")
	if err != nil {
		t.Fatal(err)
	}
	fr := ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1234, 80), ip4opts{}), tag{et8021Q, 5})
	if !f.Match(layers.LinkTypeEthernet, fr) {
		t.Fatal("frame not kept")
	}
	if n := testing.AllocsPerRun(1000, func() { f.Match(layers.LinkTypeEthernet, fr) }); n != 0 {
		t.Fatalf("Match allocates %v times per frame", n)
	}
}

// TestProgramIsCopy checks that changing what Program returns does not
// change the filter.
func TestProgramIsCopy(t *testing.T) {
	f, err := Compile("tcp")
	if err != nil {
		t.Fatal(err)
	}
	prog, _ := f.Program(layers.LinkTypeEthernet)
	for i := range prog {
		prog[i].Op = opRetK
		prog[i].K = 0
	}
	fr := ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1, 2), ip4opts{}))
	if !f.Match(layers.LinkTypeEthernet, fr) {
		t.Fatal("Match changed with the slice Program returned")
	}
}

func TestHasVLAN(t *testing.T) {
	tests := []struct {
		Name, Expr string
		Want       bool
	}{
		{"empty", "", false},
		{"none", "host 10.0.0.1 and (tcp or udp)", false},
		{"alone", "vlan", true},
		{"deep", "tcp and (port 80 or not vlan 10)", true},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			f, err := Compile(tt.Expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.HasVLAN(); got != tt.Want {
				t.Fatalf("Compile(%q).HasVLAN() = %v, want %v", tt.Expr, got, tt.Want)
			}
		})
	}
}
