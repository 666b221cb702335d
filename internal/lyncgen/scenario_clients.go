package lyncgen

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Why lines shared by client flows.
const (
	whyDNSServer = "10.10.0.53 is the DNS server, which is not in the inventory"
	whyVIP5061   = "Table 2 row 1: the Front End load balancer passes 5061 TCP (TLS)"
	whyFE5061    = "Table 1 row 3: Front End 5061 TCP (TLS), SIP between server and client (TLS)"
	whyFE5061S2S = "Table 1 row 3: Front End 5061 TCP (TLS), SIP between servers (MTLS)"
	whyVIP443    = "Table 2 row 6: the Front End load balancer passes 443 HTTPS"
)

// clientFlows writes what each client PC does: look the pool up in DNS,
// register over TLS and stay connected, use the web services; some also
// fetch the address book over HTTP, join a web conference (PSOM), open
// Office Web Apps, ask DHCP for the Lync settings, browse the web or test
// the A/V Edge.
func (g *gen) clientFlows() {
	n := g.net
	for i, cl := range n.clients {
		t0 := g.when(0.01, 0.3)
		g.dnsLookup(cl, t0)
		target, why := n.vip, whyVIP5061
		if i%2 == 1 {
			target, why = n.fe[i%3], whyFE5061
		}
		g.register(cl, target, g.ms(30, 90)+t0, expected(decoders.TLS, "tls (sip), no client certificate, sni "+poolFQDN, why))
		g.webServices(cl, t0+g.ms(2000, 6000))
	}
	// The one-off uses, shared out among the clients in turn.
	pc := func(i int) *host { return n.clients[i%len(n.clients)] }
	g.dhcpInform(pc(0), g.when(0.0, 0.05))
	g.addressBook(pc(0), g.when(0.2, 0.5))
	g.msturnUDP(pc(0), g.when(0.1, 0.4))
	g.psom(pc(1), n.fe[1], g.when(0.1, 0.5))
	g.externalWeb(pc(1), g.when(0.2, 0.8))
	g.stunBinding(pc(1), g.when(0.1, 0.4))
	g.officeWebApps(pc(2), g.when(0.3, 0.7))
	g.msturnTCP(pc(2), g.when(0.1, 0.4))

	// The first client also registers over IPv6, straight to fe01.
	g.register(n.client6, n.fe6, g.when(0.05, 0.2),
		expected(decoders.TLS, "tls (sip) over ipv6, no client certificate, sni "+poolFQDN, whyFE5061+"; fd00:10::11 is a frontend in the inventory"))
}

// dnsLookup is a client locating its pool: the SRV record of
// _sipinternaltls._tcp, then the address of the pool, each from its own
// source port as Windows does.
func (g *gen) dnsLookup(cl *host, at time.Duration) {
	n := g.net
	q := dnsQuery(g.r.u16(), sipSRV, dnsTypeSRV)
	f := g.udp(cl, cl.ephemeral.take(), n.dns, 53, outside(decoders.DNS, "dns srv "+sipSRV, whyDNSServer))
	f.send(at, c2s, q)
	f.send(at+g.ms(0.4, 2), s2c, dnsResponse(q, dnsRR{dnsTypeSRV, 3600, dnsSRV(0, 0, 5061, poolFQDN)}))
	g.add(f)

	at += g.ms(3, 6)
	q = dnsQuery(g.r.u16(), poolFQDN, dnsTypeA)
	f = g.udp(cl, cl.ephemeral.take(), n.dns, 53, outside(decoders.DNS, "dns a "+poolFQDN, whyDNSServer))
	f.send(at, c2s, q)
	f.send(at+g.ms(0.4, 2), s2c, dnsResponse(q, dnsRR{dnsTypeA, 1200, dnsA(n.vip.addr)}))
	g.add(f)
}

// register is a client's SIP connection: TLS with the pool's certificate
// and no client certificate, a registration, then keep-alives until the
// capture ends.
func (g *gen) register(cl, srv *host, at time.Duration, v verdict) {
	r := g.r
	c := &conv{}
	tlsSession{sni: poolFQDN, server: fakeCertificate(r, srv.fqdn(), poolFQDN, srv.fqdn())}.handshake(c, r)
	// A registration refresh in the security association the client
	// already holds: REGISTER, 200 OK, then the Front End's BENOTIFY for
	// the contact list.
	c.sealed(r, c2s, g.ms(1, 5), r.between(1000, 1300))
	c.sealed(r, s2c, g.ms(5, 20), r.between(700, 1000))
	c.sealed(r, s2c, g.ms(200, 900), r.between(400, 700))
	g.keepAlive(c, at, c2s)
	c.end(CloseOpen, c2s, 0)
	g.tcp(cl, srv, 5061, at, v, c)
}

// webServices is the client's HTTPS session with the pool's web
// services: autodiscover, then the address book and UCWA requests.
func (g *gen) webServices(cl *host, at time.Duration) {
	n := g.net
	r := g.r
	c := &conv{}
	tlsSession{sni: "lyncdiscoverinternal." + domain, server: fakeCertificate(r, poolFQDN, poolFQDN, "lyncdiscoverinternal."+domain)}.handshake(c, r)
	c.sealed(r, c2s, g.ms(2, 40), r.between(400, 700))
	c.sealed(r, s2c, g.ms(8, 60), r.between(600, 1500))
	c.end(CloseFIN, c2s, g.ms(2000, 8000))
	g.tcp(cl, n.vip, 443, at, expected(decoders.TLS, "tls (https web services), sni lyncdiscoverinternal."+domain, whyVIP443), c)
}

// addressBook downloads the address book delta over HTTP.
func (g *gen) addressBook(cl *host, at time.Duration) {
	n := g.net
	r := g.r
	file := fmt.Sprintf("/abs/int/handler/D-%04x-%04x.lsabs", r.intn(0x10000), r.intn(0x10000))
	c := &conv{}
	c.say(c2s, g.ms(0.2, 1), httpRequest("GET", file, poolFQDN, []header{
		{"Accept", "*/*"},
		{"User-Agent", uaABS},
		{"Accept-Encoding", "identity"},
		{"Connection", "Keep-Alive"},
	}, nil))
	body := r.bytes(r.between(300, 700))
	c.say(s2c, g.ms(2, 10), httpResponse(200, "OK", g.o.Start.Add(at), []header{
		{"Content-Type", "application/octet-stream"},
		{"Last-Modified", g.o.Start.Add(-9 * time.Hour).UTC().Format(time.RFC1123)},
		{"Accept-Ranges", "bytes"},
		{"ETag", fmt.Sprintf(`"%s:0"`, r.hex(16))},
		{"Server", serverIIS},
		{"X-Powered-By", "ASP.NET"},
	}, body))
	c.end(CloseFIN, c2s, g.ms(50, 400))
	g.tcp(cl, n.vip, 80, at, expected(decoders.HTTP, "http get "+file, "Table 2 row 4: the Front End load balancer passes 80 HTTP"), c)
}

// psom is a web conference's data channel: PSOM inside TLS to 8057.
func (g *gen) psom(cl, fe *host, at time.Duration) {
	r := g.r
	c := &conv{}
	tlsSession{sni: poolFQDN, server: fakeCertificate(r, fe.fqdn(), poolFQDN, fe.fqdn())}.handshake(c, r)
	for range r.between(2, 3) {
		c.sealed(r, c2s, g.ms(30, 900), r.between(100, 400))
		c.sealed(r, s2c, g.ms(2, 20), r.between(150, 900))
	}
	c.end(CloseFIN, c2s, g.ms(500, 3000))
	g.tcp(cl, fe, 8057, at, expected(decoders.TLS, "tls (psom, web conferencing)", "Table 1 row 7: Front End 8057 TCP (TLS), PSOM from clients"), c)
}

// officeWebApps opens a PowerPoint presentation on the Office Web Apps
// Server.
func (g *gen) officeWebApps(cl *host, at time.Duration) {
	r := g.r
	c := &conv{}
	tlsSession{sni: owaFQDN, server: fakeCertificate(r, owaFQDN, owaFQDN)}.handshake(c, r)
	c.sealed(r, c2s, g.ms(2, 20), r.between(800, 1200))
	c.sealed(r, s2c, g.ms(30, 120), r.between(1500, 2500))
	c.end(CloseFIN, c2s, g.ms(1000, 5000))
	g.tcp(cl, g.net.owa, 443, at, expected(decoders.TLS, "tls (https), sni "+owaFQDN, "Table 1 row 40: Office Web Apps Servers 443"), c)
}

// externalWeb is a client browsing the internet.
func (g *gen) externalWeb(cl *host, at time.Duration) {
	r := g.r
	c := &conv{}
	tlsSession{sni: "www.example.com", server: fakeCertificate(r, "www.example.com", "www.example.com", "example.com")}.handshake(c, r)
	c.sealed(r, c2s, g.ms(1, 10), r.between(400, 700))
	c.sealed(r, s2c, g.ms(40, 90), r.between(1000, 2000))
	c.end(CloseFIN, s2c, g.ms(3000, 9000))
	g.tcp(cl, g.net.web, 443, at, outside(decoders.TLS, "tls (https), sni www.example.com", "198.51.100.80 is an external web site, not in the inventory"), c)
}

// dhcpInform is a Lync client asking DHCP for its settings (vendor class
// MS-UC-Client): the server answers with options 43 and 120.
func (g *gen) dhcpInform(cl *host, at time.Duration) {
	n := g.net
	r := g.r
	xid := r.u32()
	inform := &dhcpMsg{op: 1, xid: xid, ciaddr: cl.addr, chaddr: cl.mac}
	inform.opt(optMessageType, dhcpInform)
	inform.opt(optClientID, append([]byte{1}, cl.mac[:]...)...)
	inform.opt(optHostName, []byte(cl.name)...)
	inform.opt(optVendorClass, []byte("MS-UC-Client")...)
	inform.opt(optParamRequest, optSubnetMask, optDomainName, optRouter, optDNS, optVendorInfo, optSIPServer)
	ack := &dhcpMsg{op: 2, xid: xid, ciaddr: cl.addr, chaddr: cl.mac}
	ack.opt(optMessageType, dhcpAck)
	ack.opt(optServerID, addr4(n.dhcp.addr)...)
	ack.opt(optSubnetMask, 255, 255, 255, 0)
	ack.opt(optDomainName, []byte(domain)...)
	ack.opt(optVendorInfo, lyncVendorInfo(poolFQDN)...)
	ack.opt(optSIPServer, sipServerOption(poolFQDN)...)
	f := g.udp(cl, 68, n.dhcp, 67, outside(decoders.DHCP, "dhcp inform, vendor class MS-UC-Client, options 43 and 120", "10.10.0.67 is the DHCP server, which is not in the inventory (Table 4 row 1: clients use DHCP to find the registrar)"))
	f.send(at, c2s, inform.bytes())
	f.send(at+g.ms(0.5, 3), s2c, ack.bytes())
	g.add(f)
}

// stunBinding is a client learning its reflexive address from the A/V
// Edge's internal interface (RFC 5389 Binding).
func (g *gen) stunBinding(cl *host, at time.Duration) {
	r := g.r
	port := cl.audio.take()
	tx := r.bytes(12)
	req := stunMessage(stunBindingRequest, tx)
	resp := stunMessage(stunBindingSuccess, tx,
		stunAttr(stunMappedAddress, stunAddress(netip.AddrPortFrom(cl.addr, port))),
		stunAttr(stunXORMapped, stunXORAddress(netip.AddrPortFrom(cl.addr, port))))
	f := g.udp(cl, port, g.net.edge, 3478, outside(decoders.STUN, "stun binding request and success (rfc 5389)", whyEdge+"; Table 4 row 5 lists 3478 UDP (STUN/MSTURN) for clients"))
	f.send(at, c2s, req)
	f.send(at+g.ms(0.5, 2), s2c, resp)
	g.add(f)
}

// whyEdge says why flows to the A/V Edge have no verdict.
const whyEdge = "10.40.0.5 is the A/V Edge's internal interface, which is not in the inventory"

// msturnUDP is a client allocating a relay on the A/V Edge over UDP 3478.
func (g *gen) msturnUDP(cl *host, at time.Duration) {
	n := g.net
	port := cl.audio.take()
	msgs := msturnAllocation(g.r, netip.AddrPortFrom(netip.MustParseAddr("203.0.113.10"), uint16(g.r.between(50000, 59999))), netip.AddrPortFrom(cl.addr, port))
	f := g.udp(cl, port, n.edge, 3478, outside(decoders.MSTURN, "ms-turn allocate, 401 with realm and nonce, allocate with integrity, success (ms-version 2, magic-cookie attribute)", whyEdge+"; Table 4 row 5 lists 3478 UDP (STUN/MSTURN) for clients"))
	for i, m := range msgs {
		f.send(at, i%2, m)
		at += g.ms(0.5, 3)
		if i == 1 {
			at += g.ms(2, 8)
		}
	}
	g.add(f)
}

// msturnTCP is a client reaching the A/V Edge over TCP 443: the
// pseudo-TLS hello pair, the allocation in TURN control frames, then
// media in end-to-end data frames.
func (g *gen) msturnTCP(cl *host, at time.Duration) {
	r := g.r
	c := &conv{}
	c.say(c2s, g.ms(0.3, 1), pseudoTLSClientHello(r))
	c.say(s2c, g.ms(0.5, 2), pseudoTLSServerHello(r))
	msgs := msturnAllocation(r, netip.AddrPortFrom(netip.MustParseAddr("203.0.113.10"), uint16(r.between(50000, 59999))), netip.AddrPortFrom(cl.addr, cl.ephemeral.next)) // the port g.tcp takes next
	for i, m := range msgs {
		c.say(i%2, g.ms(0.5, 3), msturnFrame(msturnControl, m))
	}
	ssrc, seq, ts := r.u32(), r.u16(), r.u32()
	for i := range 6 {
		rtp := appendRTP(nil, i == 0, codecSILK.pt, seq+uint16(i), ts+uint32(i)*320, ssrc)
		rtp = append(rtp, r.bytes(r.between(codecSILK.min, codecSILK.max)+srtpTagLen)...)
		c.say(c2s, g.ms(18, 22), msturnFrame(msturnData, rtp))
	}
	c.end(CloseFIN, c2s, g.ms(100, 400))
	g.tcp(cl, g.net.edge, 443, at, outside(decoders.MSTURN, "ms-turn over tcp 443: pseudo-tls hellos, then 02/03 00 LL LL frames", whyEdge+"; Table 4 row 4 lists 443 TCP (STUN/MSTURN) for clients"), c)
}
