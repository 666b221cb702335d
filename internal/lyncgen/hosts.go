package lyncgen

import (
	"fmt"
	"net/netip"
)

// host is one machine of the scenario, with the counters that make its
// traffic look like one machine's: IPv4 identification, ephemeral ports
// and media ports.
type host struct {
	name    string // short name, as in the inventory's name=
	addr    netip.Addr
	lan     netip.Prefix // the host's subnet: hosts on the same one talk without the router
	mac     mac
	ttl     uint8  // initial TTL or hop limit of its operating system
	vlan    uint16 // tagged on the capture when the host's own segment is captured
	spanned bool   // the capture sees the host's segment

	ipID      uint16
	ephemeral portCounter // TCP/UDP client ports
	audio     portCounter // RTP ports for audio (RTCP on the next port)
	video     portCounter // RTP ports for video
}

// portCounter hands out ports in [lo, hi] in order, by a step, wrapping.
type portCounter struct {
	next, lo, hi, step uint16
}

func newPorts(r *rng, lo, hi, step uint16, spread int) portCounter {
	first := lo + uint16(r.intn(spread))/step*step
	return portCounter{next: first, lo: lo, hi: hi, step: step}
}

func (c *portCounter) take() uint16 {
	p := c.next
	if uint32(c.next)+uint32(c.step) > uint32(c.hi) {
		c.next = c.lo
	} else {
		c.next += c.step
	}
	return p
}

func (h *host) nextIPID() uint16 {
	h.ipID++
	return h.ipID
}

// The operating systems' initial TTLs.
const (
	ttlWindows = 128
	ttlLinux   = 64
	ttlNetwork = 255 // routers, load balancers and gateways
)

// phoneGateway is the router's address on the phone VLAN.
var phoneGateway = netip.MustParseAddr("10.20.1.254")

// routerMAC is the HSRP virtual MAC of the default gateway of every subnet.
var routerMAC = mac{0x00, 0x00, 0x0c, 0x07, 0xac, 0x01}

// macFor derives a host's MAC from a vendor prefix and its address, so that
// addresses and MACs stay paired across runs.
func macFor(oui [3]byte, a netip.Addr) mac {
	b := a.As16()
	return mac{oui[0], oui[1], oui[2], b[13], b[14], b[15]}
}

// Vendor prefixes of the scenario's machines.
var (
	ouiHyperV  = [3]byte{0x00, 0x15, 0x5d} // virtual servers
	ouiDell    = [3]byte{0xd4, 0xbe, 0xd9} // client PCs
	ouiPolycom = [3]byte{0x00, 0x04, 0xf2} // IP phones
	ouiF5      = [3]byte{0x00, 0x01, 0xd7} // the hardware load balancer
	ouiAudioC  = [3]byte{0x00, 0x90, 0x8f} // the PSTN gateway
)

// hostSpec describes a host to create.
type hostSpec struct {
	name    string
	addr    string
	bits    int // subnet prefix length
	oui     [3]byte
	ttl     uint8
	vlan    uint16
	spanned bool
}

func newHost(r *rng, s hostSpec) *host {
	a := netip.MustParseAddr(s.addr)
	h := &host{
		name: s.name, addr: a, lan: netip.PrefixFrom(a, s.bits).Masked(),
		mac: macFor(s.oui, a), ttl: s.ttl, vlan: s.vlan, spanned: s.spanned,
		ipID: r.u16(),
	}
	switch s.ttl {
	case ttlWindows:
		h.ephemeral = newPorts(r, 49152, 65535, 1, 12000) // Windows dynamic port range
	default:
		h.ephemeral = newPorts(r, 32768, 60999, 1, 20000) // Linux and embedded stacks
	}
	return h
}

// network is the scenario's set of hosts.
type network struct {
	fe      [3]*host // Front End Servers with collocated Mediation; fe[2] holds the CMS
	fe6     *host    // fe01's IPv6 address
	vip     *host    // hardware load balancer VIP of the Front End pool
	dir     *host    // Director
	med     *host    // stand-alone Mediation Server
	pchat   *host    // Persistent Chat Front End Server
	owa     *host    // Office Web Apps Server
	gw      *host    // PSTN gateway
	edge    *host    // A/V Edge internal interface
	sql     *host    // SQL Server back end
	dns     *host    // DNS server
	dhcp    *host    // DHCP server
	trusted *host    // trusted application server (a static route target)
	nms     *host    // network monitoring station
	admin   *host    // an administrator's workstation
	relay   *host    // the router, relaying the phones' DHCP
	web     *host    // an external web site
	clients []*host
	client6 *host // the first client's IPv6 address
	phones  []*host
}

// Addresses and names of the scenario. The inventory, written by
// Inventory, covers the Lync servers, the load balancer VIP, the clients
// and the phones; the others stay outside it on purpose.
func newNetwork(r *rng, clients int) *network {
	srv := func(name, addr string) *host {
		return newHost(r, hostSpec{name: name, addr: addr, bits: 24, oui: ouiHyperV, ttl: ttlWindows, spanned: true})
	}
	n := &network{}
	for i := range n.fe {
		n.fe[i] = srv(fmt.Sprintf("fe%02d", i+1), fmt.Sprintf("10.10.1.%d", 11+i))
	}
	n.fe6 = srv("fe01", "fd00:10::11")
	n.fe6.lan = netip.MustParsePrefix("fd00:10::/64")
	n.fe6.mac = n.fe[0].mac
	n.vip = newHost(r, hostSpec{name: "pool01", addr: "10.10.1.10", bits: 24, oui: ouiF5, ttl: ttlNetwork, spanned: true})
	n.dir = srv("dir01", "10.10.2.10")
	n.med = srv("med01", "10.10.3.10")
	n.pchat = srv("pchat01", "10.10.4.10")
	n.owa = srv("owa01", "10.10.5.10")
	n.trusted = srv("ucapp01", "10.10.6.20")
	n.sql = srv("sql01", "10.10.9.10")
	n.dns = srv("dc01", "10.10.0.53")
	n.dhcp = srv("dhcp01", "10.10.0.67")
	n.nms = newHost(r, hostSpec{name: "nms01", addr: "10.10.0.200", bits: 24, oui: ouiHyperV, ttl: ttlLinux, spanned: true})
	n.gw = newHost(r, hostSpec{name: "gw01", addr: "10.30.0.5", bits: 24, oui: ouiAudioC, ttl: ttlLinux, spanned: true})
	n.gw.audio = newPorts(r, 6000, 6999, 2, 500)
	n.edge = srv("edge01-int", "10.40.0.5")
	n.web = newHost(r, hostSpec{name: "www", addr: "198.51.100.80", bits: 24, oui: ouiHyperV, ttl: ttlLinux})
	n.admin = newHost(r, hostSpec{name: "admin01", addr: "10.20.0.250", bits: 24, oui: ouiDell, ttl: ttlWindows})
	// The router relays the phone VLAN's DHCP (giaddr phoneGateway) from
	// its interface on the servers' subnet.
	n.relay = newHost(r, hostSpec{name: "rtr01", addr: "10.10.0.1", bits: 24, oui: [3]byte{0x00, 0x00, 0x0c}, ttl: ttlNetwork})
	n.relay.mac = routerMAC

	for _, h := range []*host{n.fe[0], n.fe[1], n.fe[2], n.med} {
		h.audio = newPorts(r, 49152, 57500, 2, 8000)
		h.video = newPorts(r, 57502, 65534, 2, 7000)
	}
	for i := range clients {
		c := newHost(r, hostSpec{name: fmt.Sprintf("pc%03d", i+1), addr: fmt.Sprintf("10.20.0.%d", 21+i), bits: 24, oui: ouiDell, ttl: ttlWindows})
		// The clients' media ports as a managed Lync deployment sets them
		// (audio from 50020, video from 58000); they wrap within the
		// catalog's 1024-65535.
		c.audio = portCounter{next: 50020, lo: 50020, hi: 65534, step: 2}
		c.video = portCounter{next: 58000, lo: 58000, hi: 65534, step: 2}
		n.clients = append(n.clients, c)
	}
	n.client6 = newHost(r, hostSpec{name: "pc001", addr: "fd00:20::21", bits: 64, oui: ouiDell, ttl: ttlWindows})
	n.client6.mac = n.clients[0].mac
	phones := max(1, clients/4)
	for i := range phones {
		// Lync Phone Edition runs on Windows Embedded CE.
		n.phones = append(n.phones, newHost(r, hostSpec{name: fmt.Sprintf("phone%02d", i+1), addr: fmt.Sprintf("10.20.1.%d", 31+i), bits: 24, oui: ouiPolycom, ttl: ttlWindows, vlan: 20, spanned: true}))
	}
	return n
}

// paths returns the two directions of a flow between cli and srv as the
// capture sees them. Hosts on one subnet talk directly. Otherwise the
// capture sits on one of the two segments and sees the other host's
// frames arrive from the router: on a tagged client's segment (the phone
// VLAN trunk), else on the server's when it is spanned, else on the
// client's.
func paths(cli *host, cport uint16, srv *host, sport uint16) [2]path {
	var ps [2]path
	ps[c2s] = path{from: cli, srcIP: cli.addr, dstIP: srv.addr, sport: cport, dport: sport}
	ps[s2c] = path{from: srv, srcIP: srv.addr, dstIP: cli.addr, sport: sport, dport: cport}
	switch {
	case cli.lan == srv.lan:
		ps[c2s].link = link{src: cli.mac, dst: srv.mac, vlan: cli.vlan}
		ps[s2c].link = link{src: srv.mac, dst: cli.mac, vlan: cli.vlan}
	case cli.vlan != 0 || !srv.spanned:
		ps[c2s].link = link{src: cli.mac, dst: routerMAC, vlan: cli.vlan}
		ps[s2c].link = link{src: routerMAC, dst: cli.mac, vlan: cli.vlan, routed: true}
	default:
		ps[c2s].link = link{src: routerMAC, dst: srv.mac, vlan: srv.vlan, routed: true}
		ps[s2c].link = link{src: srv.mac, dst: routerMAC, vlan: srv.vlan}
	}
	return ps
}
