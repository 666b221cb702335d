package lyncgen

import (
	"fmt"
	"strings"
)

// Inventory returns the inventory that goes with the scenario Generate
// writes for o: one line per address, range (first-last) or CIDR with its
// role ids and a name=, and comments saying what is left out on purpose.
// A single address inside a range wins over the range (fe03 holds the
// Central Management store besides the pool's roles).
func Inventory(o Options) string {
	o, err := o.withDefaults()
	if err != nil {
		o = SampleOptions()
	}
	var b strings.Builder
	line := func(addr, roles, name string) {
		fmt.Fprintf(&b, "%-26s %-26s name=%s\n", addr, roles, name)
	}
	b.WriteString(`# Lync Server 2013 pool of contoso.local, as lyncgen's scenario builds it.
# One line per address, range (first-last) or CIDR: its roles, then name=.
# Where lines overlap, the most specific one wins.

# Front End pool pool01.contoso.local: three Enterprise Edition Front End
# Servers, fe01-fe03, each with a collocated Mediation Server.
`)
	line("10.10.1.11-10.10.1.13", "frontend mediation", "pool01")
	b.WriteString("# fe03 also holds the Central Management store; this line wins over the\n# range above, so it repeats the pool's roles.\n")
	line("10.10.1.13", "frontend mediation cms", "fe03.contoso.local")
	b.WriteString("# fe01's IPv6 address.\n")
	line("fd00:10::11", "frontend", "fe01.contoso.local")
	b.WriteString("# The hardware load balancer's virtual IP for the pool.\n")
	line("10.10.1.10", "frontend-lb", "pool01-vip")
	b.WriteString("\n")
	line("10.10.2.10", "director", "dir01.contoso.local")
	line("10.10.3.10", "mediation", "med01.contoso.local")
	line("10.10.4.10", "persistent-chat", "pchat01.contoso.local")
	line("10.10.5.10", "office-web-apps", "owa01.contoso.local")
	b.WriteString("\n")
	fmt.Fprintf(&b, "# Client PCs (10.20.0.21 upward, %d of them) and an administrator's PC\n# (10.20.0.250).\n", o.Clients)
	line("10.20.0.0/24", "client", "clients")
	line("fd00:20::/64", "client", "clients-v6")
	b.WriteString("# Lync Phone Edition phones on VLAN 20.\n")
	line("10.20.1.0/24", "ip-phone", "phones-vlan20")
	b.WriteString(`
# Not in the inventory on purpose: the PSTN gateway 10.30.0.5, the A/V
# Edge's internal interface 10.40.0.5, the SQL back end 10.10.9.10, DNS
# 10.10.0.53, DHCP 10.10.0.67, the router 10.10.0.1, a trusted application
# server 10.10.6.20, a monitoring station 10.10.0.200 and an external web
# site 198.51.100.80.
#
# Catalog services the scenario leaves silent on purpose (the analyzer
# reports them missing):
#   Front End Servers, on all three: 5064, 5066, 5072, 5073, 5075, 5076,
#     8058, 8060, 8061, 5086, 5087, 8404 (Table 1 rows 20, 32, 21, 29, 30,
#     31, 8, 15, 16, 17, 18, 34); 80, 443 and 8080, which clients reach
#     through the VIP only; 5068 and 5070 of the collocated Mediation
#     Servers (rows 24, 22). The other Front End services show on one or
#     two of the three servers and are missing on the rest.
#   Front End load balancer: 444, 135, 4443, 448, 5071, 5072, 5073, 5075,
#     5076 (Table 2 rows 2, 3, 7, 14, 12, 8, 9, 10, 11). Row 16 (5070, when
#     the pool also runs Mediation) applies to a VIP listed as both
#     frontend-lb and mediation-lb; this one is listed as frontend-lb only.
#   Director: 5060, 80, 444 (Table 1 rows 41, 43, 42).
#   Persistent Chat: 443 (Table 1 row 52).
`)
	return b.String()
}
