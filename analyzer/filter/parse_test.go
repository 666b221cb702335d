package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

func TestCompileNormalForm(t *testing.T) {
	tests := []struct {
		Name, Expr, Want string
	}{
		{"empty", "", ""},
		{"blank", " \t\n", ""},
		{"ip", "ip", "ip"},
		{"symbols", "host 10.0.0.1 && !port 80 || tcp", "(host 10.0.0.1 and not port 80) or tcp"},
		{"inherited port", "port 80 or 443", "port 80 or port 443"},
		{"inherited proto and port", "tcp port 80 or 443", "tcp port 80 or tcp port 443"},
		{"inherited dir", "tcp src port 80 or 443", "tcp src port 80 or tcp src port 443"},
		{"inherited net", "net 10 or 192.168", "net 10.0.0.0/8 or net 192.168.0.0/16"},
		{"inherited in parentheses", "host 10.0.0.1 and (10.0.0.2 or not 10.0.0.3)", "host 10.0.0.1 and (host 10.0.0.2 or not host 10.0.0.3)"},
		{"inherited negated", "port 80 and not 443", "port 80 and not port 443"},
		{"inherited across a group", "host 10.0.0.1 or (port 80) or 10.0.0.2", "host 10.0.0.1 or port 80 or host 10.0.0.2"},
		{"src or dst", "src or dst host 10.0.0.1", "host 10.0.0.1"},
		{"dst or src", "dst or src port 53", "port 53"},
		{"src and dst", "dst and src net 10.0.0.0/8", "src and dst net 10.0.0.0/8"},
		{"direction alone", "src 10.0.0.1", "src host 10.0.0.1"},
		{"class net", "net 10", "net 10.0.0.0/8"},
		{"class net of 0", "net 0", "net 0.0.0.0/32"},
		{"partial host", "host 10.1", "net 10.1.0.0/16"},
		{"mask", "net 10.0.0.0 mask 255.0.0.0", "net 10.0.0.0/8"},
		{"partial mask", "net 10.0.0.0 mask 255.255", "net 10.0.0.0/16"},
		{"mask not a prefix", "net 10.0.0.0 mask 255.0.255.0", "net 10.0.0.0 mask 255.0.255.0"},
		{"whole net", "net 10.1.2.3", "net 10.1.2.3/32"},
		{"net /0", "net 0.0.0.0/0", "net 0.0.0.0/0"},
		{"ipv6 host", "host 2001:DB8:0:0::1", "host 2001:db8::1"},
		{"ipv6 /128", "host fe80::1/128", "host fe80::1"},
		{"ipv4-mapped", "ip6 host ::ffff:10.0.0.1", "ip6 host ::ffff:10.0.0.1"},
		{"ipv6 net", "src net fe80::/10", "src net fe80::/10"},
		{"ipv6 net /0", "net ::/0", "net ::/0"},
		{"portrange swapped", "portrange 2000-1000", "portrange 1000-2000"},
		{"portrange one", "udp dst portrange 80", "udp dst portrange 80-80"},
		{"proto", "ip proto 6 or 17", "ip proto 6 or ip proto 17"},
		{"proto both", "proto 132", "proto 132"},
		{"vlan", "vlan and vlan 100", "vlan and vlan 100"},
		{"vlan in parentheses", "vlan ((100))", "vlan 100"},
		{"parentheses", "((tcp))", "tcp"},
		{"left to right", "tcp and udp or ip", "(tcp and udp) or ip"},
		{"right group kept", "tcp or (udp or ip)", "tcp or (udp or ip)"},
		{"left group flat", "(tcp or udp) or ip", "tcp or udp or ip"},
		{"not group", "not (tcp or udp)", "not (tcp or udp)"},
		{"not not", "!(!tcp)", "not not tcp"},
		{"not and", "not tcp and udp", "not tcp and udp"},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			f, err := Compile(tt.Expr)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.Expr, err)
			}
			if got := f.String(); got != tt.Want {
				t.Fatalf("Compile(%q).String() = %q, want %q", tt.Expr, got, tt.Want)
			}
			// The normal form compiles to the same programs.
			g, err := Compile(tt.Want)
			if err != nil {
				t.Fatalf("Compile(%q) of the normal form: %v", tt.Want, err)
			}
			if g.String() != tt.Want {
				t.Errorf("normal form %q is not stable: %q", tt.Want, g.String())
			}
			for i := range layouts {
				if !slices.Equal(f.progs[i], g.progs[i]) {
					t.Errorf("%s: %q and its normal form %q compile differently", layouts[i].name, tt.Expr, tt.Want)
				}
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	const supported = "; supported: host, net, port, portrange, src, dst, tcp, udp, ip, ip6, proto, vlan, and, or, not, parentheses"
	tests := []struct {
		Name, Expr string
		Err        error
		Column     int
		Msg        string
	}{
		{"ether", "ether host 1:2:3:4:5:6", ErrUnsupported, 1, `filter: unsupported "ether host" at column 1` + supported},
		{"ether src", "tcp and ether src host 1:2:3:4:5:6", ErrUnsupported, 9, `filter: unsupported "ether src host" at column 9` + supported},
		{"arp", "arp", ErrUnsupported, 1, `filter: unsupported "arp" at column 1` + supported},
		{"sctp", "port 80 and sctp", ErrUnsupported, 13, `filter: unsupported "sctp" at column 13` + supported},
		{"byte offset", "tcp[13] & 2 != 0", ErrUnsupported, 1, `filter: unsupported "tcp[13]" at column 1` + supported},
		{"ip byte", "ip[0] = 0x45", ErrUnsupported, 1, `filter: unsupported "ip[0]" at column 1` + supported},
		{"len", "ip and len <= 100", ErrUnsupported, 8, `filter: unsupported "len" at column 8` + supported},
		{"gateway", "gateway 10.0.0.1", ErrUnsupported, 1, `filter: unsupported "gateway" at column 1` + supported},
		{"broadcast", "ip broadcast", ErrUnsupported, 1, `filter: unsupported "ip broadcast" at column 1` + supported},
		{"ampersand", "tcp & udp", ErrUnsupported, 5, `filter: unsupported "&" at column 5` + supported},
		{"non-ascii", "host é", ErrUnsupported, 6, `filter: unsupported "é" at column 6` + supported},
		{"host name", "host localhost", ErrUnsupported, 6, `filter: unsupported host name "localhost" at column 6: write an IPv4 or IPv6 address; names are not resolved`},
		{"port name", "port http", ErrUnsupported, 6, `filter: unsupported port name "http" at column 6: write the port number; names are not resolved`},
		{"port range names", "portrange ftp-http", ErrUnsupported, 11, `filter: unsupported port name "ftp-http" at column 11: write the port number; names are not resolved`},
		{"protocol name", `ip proto \tcp`, ErrUnsupported, 10, `filter: unsupported protocol name "\\tcp" at column 10: write the protocol number (tcp is 6, udp is 17)`},

		{"bare address", "10.0.0.1", ErrSyntax, 1, `filter: syntax error at column 1: "10.0.0.1" needs a qualifier such as host, net or port in front of it`},
		{"bare after proto", "tcp and 80", ErrSyntax, 9, `filter: syntax error at column 9: "80" needs a qualifier such as host, net or port in front of it`},
		{"bare after vlan", "vlan 10 or 20", ErrSyntax, 12, `filter: syntax error at column 12: "20" needs a qualifier such as host, net or port in front of it`},
		{"bare after leading group", "(port 80) or 10.0.0.2", ErrSyntax, 14, `filter: syntax error at column 14: "10.0.0.2" needs a qualifier such as host, net or port in front of it`},
		{"ends after qualifier", "host", ErrSyntax, 5, `filter: syntax error at column 5: expression ends after "host"`},
		{"ends after and", "host 10.0.0.1 and", ErrSyntax, 18, `filter: syntax error at column 18: expression ends after "and"`},
		{"ends after not", "not", ErrSyntax, 4, `filter: syntax error at column 4: expression ends after "not"`},
		{"unclosed", "(tcp", ErrSyntax, 5, `filter: syntax error at column 5: expression ends after "tcp"`},
		{"empty group", "()", ErrSyntax, 2, `filter: syntax error at column 2: unexpected ")"`},
		{"stray close", "tcp)", ErrSyntax, 4, `filter: syntax error at column 4: unexpected ")"`},
		{"upper case", "HOST 10.0.0.1", ErrSyntax, 1, `filter: syntax error at column 1: unexpected "HOST" (keywords are lower case)`},
		{"upper case and", "tcp AND udp", ErrSyntax, 5, `filter: syntax error at column 5: unexpected "AND" (keywords are lower case)`},
		{"two directions", "src dst 10.0.0.1", ErrSyntax, 5, `filter: syntax error at column 5: unexpected "dst"`},
		{"proto then address", "ip6 10.0.0.1", ErrSyntax, 5, `filter: syntax error at column 5: unexpected "10.0.0.1"`},
		{"nested address group", "host 10.0.0.1 and ((10.0.0.2))", ErrSyntax, 20, `filter: syntax error at column 20: unexpected "("`},
		{"primitive in address group", "host 10.0.0.1 and (10.0.0.2 or port 80)", ErrSyntax, 32, `filter: syntax error at column 32: unexpected "port"`},
		{"short mask", "net 10/8", ErrSyntax, 7, `filter: syntax error at column 7: unexpected "/"`},
		{"number mask", "net 10.0.0.0 mask 255", ErrSyntax, 19, `filter: syntax error at column 19: unexpected "255"`},

		{"bad ipv4", "host 300.1.1.1", ErrInvalid, 6, `filter: invalid IPv4 address "300.1.1.1" at column 6`},
		{"five parts", "host 1.2.3.4.5", ErrInvalid, 6, `filter: invalid IPv4 address "1.2.3.4.5" at column 6`},
		{"leading zero part", "host 010.0.0.1", ErrInvalid, 6, `filter: invalid IPv4 address "010.0.0.1" at column 6`},
		{"bad ipv6", "host fe80::1::2", ErrInvalid, 6, `filter: invalid IPv6 address "fe80::1::2" at column 6`},
		{"zone", "host fe80::1%eth0", ErrInvalid, 6, `filter: invalid IPv6 address "fe80::1%eth0" at column 6`},
		{"port too big", "port 65536", ErrInvalid, 6, `filter: invalid port "65536" at column 6: above 65535`},
		{"range too big", "portrange 1-65536", ErrInvalid, 11, `filter: invalid port range "1-65536" at column 11: above 65535`},
		{"range in port", "port 80-90", ErrInvalid, 6, `filter: invalid port "80-90" at column 6: for a range write portrange 80-90`},
		{"octal", "port 080", ErrInvalid, 6, `filter: invalid number "080" at column 6: write numbers in decimal without leading zeros`},
		{"hex", "port 0x50", ErrInvalid, 6, `filter: invalid number "0x50" at column 6: write numbers in decimal`},
		{"huge", "net 4294967296", ErrInvalid, 5, `filter: invalid number "4294967296" at column 5: above 4294967295`},
		{"vlan too big", "vlan 4096", ErrInvalid, 6, `filter: invalid VLAN ID "4096" at column 6: above 4095`},
		{"protocol too big", "proto 256", ErrInvalid, 7, `filter: invalid protocol number "256" at column 7: above 255`},
		{"host bits", "net 10.1.2.3/8", ErrInvalid, 5, `filter: invalid network "10.1.2.3/8" at column 5: host bits are set`},
		{"host bits mask", "net 10.1.0.0 mask 255.0.0.0", ErrInvalid, 5, `filter: invalid network "10.1.0.0 mask 255.0.0.0" at column 5: host bits are set`},
		{"host bits v6", "net fe80::1/10", ErrInvalid, 5, `filter: invalid network "fe80::1/10" at column 5: host bits are set`},
		{"mask too long", "net 10.0.0.0/33", ErrInvalid, 14, `filter: invalid mask length "33" at column 14: above 32`},
		{"mask too long v6", "net ::/129", ErrInvalid, 8, `filter: invalid mask length "129" at column 8: above 128`},
		{"mask on host", "host 10.0.0.0/8", ErrInvalid, 6, `filter: invalid "10.0.0.0/8" at column 6: a mask needs net in front (net 10.0.0.0/8)`},
		{"mask on default", "src 10.0.0.0/8", ErrInvalid, 5, `filter: invalid "10.0.0.0/8" at column 5: a mask needs net in front (net 10.0.0.0/8)`},
		{"mask on v6 host", "host fe80::/64", ErrInvalid, 6, `filter: invalid "fe80::/64" at column 6: a mask needs net in front (net fe80::/64)`},
		{"number as host", "host 10", ErrInvalid, 6, `filter: invalid address "10" at column 6: a number is not an address (tcpdump would read it as 0.0.0.10); for a port write "port 10"`},
		{"number inherits dir", "tcp src port 80 or dst 443", ErrInvalid, 24, `filter: invalid address "443" at column 24: a number is not an address (tcpdump would read it as 0.0.1.187); for a port write "port 443"`},
		{"ip6 on v4", "ip6 host 10.0.0.1", ErrInvalid, 10, `filter: invalid "ip6 host 10.0.0.1" at column 10: ip6 qualifies IPv6 addresses; write ip`},
		{"ip on v6", "ip host fe80::1", ErrInvalid, 9, `filter: invalid "ip host fe80::1" at column 9: ip qualifies IPv4 addresses; write ip6`},
		{"tcp on host", "tcp host 10.0.0.1", ErrInvalid, 10, `filter: invalid "tcp host 10.0.0.1" at column 10: tcp and udp qualify only port and portrange`},
		{"udp on v6 net", "udp net fe80::/10", ErrInvalid, 9, `filter: invalid "udp net fe80::/10" at column 9: tcp and udp qualify only port and portrange`},
		{"ip on port", "ip port 80", ErrInvalid, 9, `filter: invalid "ip port 80" at column 9: only tcp or udp can qualify a port`},
		{"address as port", "port fe80::1", ErrInvalid, 6, `filter: invalid "port fe80::1" at column 6: an IPv6 address takes host or net`},
		{"inherited port on address", "host 10.0.0.1 and (port 80 or 10.0.0.2)", ErrInvalid, 31, `filter: invalid "port 10.0.0.2" at column 31: an IPv4 address takes host or net`},
		{"tcp proto", "tcp proto 6", ErrInvalid, 11, `filter: invalid "tcp proto 6" at column 11: only ip or ip6 can qualify proto`},

		{"nesting", strings.Repeat("!", 1001) + "tcp", ErrUnsupported, 1001, `filter: nesting too deep at column 1001: more than 1000 levels of parentheses and not`},
		{"primitives", strings.Repeat("tcp or ", 2048) + "tcp", ErrUnsupported, 14337, `filter: expression too long at column 14337: more than 2048 primitives`},
		{"instructions", longPorts(300), ErrUnsupported, 1, `filter: expression too long at column 1: 4735 instructions for Ethernet (EN10MB, 1), and the kernel takes 4096`},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			f, err := Compile(tt.Expr)
			if err == nil {
				t.Fatalf("Compile(%q) = %q, want an error", tt.Expr, f)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) error %T is not an *Error", tt.Expr, err)
			}
			if err.Error() != tt.Msg || e.Column != tt.Column || !errors.Is(err, tt.Err) {
				t.Errorf("Compile(%q) error:\n got %q (column %d, %v)\nwant %q (column %d, %v)",
					tt.Expr, err, e.Column, e.Err, tt.Msg, tt.Column, tt.Err)
			}
		})
	}
}

// TestProgramErrors checks the link types and link-type-specific
// expressions that have no program.
func TestProgramErrors(t *testing.T) {
	tests := []struct {
		Name string
		Expr string
		LT   uint16
		Msg  string
	}{
		{"unknown link type", "tcp", 147, "filter: link type 147 is not supported: filters apply to Ethernet, Linux cooked, raw IP and BSD loopback"},
		{"802.11", "tcp", 105, "filter: link type 105 (802.11) is not supported: filters apply to Ethernet, Linux cooked, raw IP and BSD loopback"},
		{"vlan on cooked", "tcp and vlan 10", 113, `filter: "vlan" at column 9: Linux cooked v1 (LINUX_SLL, 113) frames carry no VLAN tags`},
		{"vlan on raw", "vlan", 101, `filter: "vlan" at column 1: raw IP (RAW, 101) frames carry no VLAN tags`},
		{"vlan on loopback", "not vlan", 0, `filter: "vlan" at column 5: BSD loopback (NULL, 0) frames carry no VLAN tags`},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			f, err := Compile(tt.Expr)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := f.Program(decoders.LinkType(tt.LT))
			if err == nil {
				t.Fatalf("Program(%d) = %d instructions, want an error", tt.LT, len(prog))
			}
			if err.Error() != tt.Msg || !errors.Is(err, ErrLinkType) {
				t.Errorf("Program(%d) error:\n got %q\nwant %q", tt.LT, err, tt.Msg)
			}
			if f.Match(decoders.LinkType(tt.LT), ether(etIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, ports(1, 2), ip4opts{}))) {
				t.Errorf("Match keeps a frame of link type %d, which has no program", tt.LT)
			}
		})
	}
}

// longPorts returns "port 1 or port 2 or …" with n ports.
func longPorts(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprint("port ", i+1)
	}
	return strings.Join(p, " or ")
}
