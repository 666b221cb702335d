package lyncgen

import (
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// phoneFlows writes the Lync Phone Edition phones on VLAN 20: their DHCP
// exchange, relayed by the VLAN's router to the DHCP server; the root
// certificate download on 8080; and their SIP registration.
func (g *gen) phoneFlows() {
	n := g.net
	g.phoneDHCP(g.when(0.0, 0.05))
	for _, ph := range n.phones {
		t0 := g.when(0.08, 0.3)
		g.rootCertificate(ph, t0)
		g.register(ph, n.vip, t0+g.ms(400, 1500),
			expected(decoders.TLS, "tls (sip) from an ip phone on vlan 20, no client certificate, sni "+poolFQDN, whyVIP5061))
	}
}

// phoneDHCP is each phone's DISCOVER, OFFER, REQUEST and ACK as the relay
// and the server exchange them (both on port 67): vendor class
// CPE-OCPHONE, and options 43 (MS-UC-Client) and 120 in the answers.
func (g *gen) phoneDHCP(at time.Duration) {
	n := g.net
	r := g.r
	f := g.udp(n.relay, 67, n.dhcp, 67, outside(decoders.DHCP, "dhcp discover, offer, request, ack relayed for the phones (vendor class CPE-OCPHONE, options 43 and 120)", "10.10.0.67 is the DHCP server, which is not in the inventory (Table 4 row 12: the IP phones use DHCP to find their certificate, provisioning and registrar)"))
	for i, ph := range n.phones {
		xid := r.u32()
		request := func(typ byte) []byte {
			m := &dhcpMsg{op: 1, hops: 1, xid: xid, secs: uint16(i), broadcast: true, giaddr: phoneGateway, chaddr: ph.mac}
			m.opt(optMessageType, typ)
			m.opt(optClientID, append([]byte{1}, ph.mac[:]...)...)
			if typ == dhcpRequest {
				m.opt(optRequestedIP, addr4(ph.addr)...)
				m.opt(optServerID, addr4(n.dhcp.addr)...)
			}
			m.opt(optHostName, []byte(ph.name)...)
			m.opt(optVendorClass, []byte("CPE-OCPHONE")...)
			m.opt(optParamRequest, optSubnetMask, optRouter, optDNS, optDomainName, 42, optVendorInfo, optSIPServer)
			return m.bytes()
		}
		reply := func(typ byte) []byte {
			m := &dhcpMsg{op: 2, xid: xid, secs: uint16(i), broadcast: true, yiaddr: ph.addr, giaddr: phoneGateway, chaddr: ph.mac}
			m.opt(optMessageType, typ)
			m.opt(optServerID, addr4(n.dhcp.addr)...)
			m.opt(optLeaseTime, 0, 1, 0x51, 0x80) // one day
			m.opt(optSubnetMask, 255, 255, 255, 0)
			m.opt(optRouter, addr4(phoneGateway)...)
			m.opt(optDNS, addr4(n.dns.addr)...)
			m.opt(optDomainName, []byte(domain)...)
			m.opt(optVendorInfo, lyncVendorInfo(poolFQDN)...)
			m.opt(optSIPServer, sipServerOption(poolFQDN)...)
			return m.bytes()
		}
		f.send(at, c2s, request(dhcpDiscover))
		f.send(at+g.ms(1, 4), s2c, reply(dhcpOffer))
		at += g.ms(6, 20)
		f.send(at, c2s, request(dhcpRequest))
		f.send(at+g.ms(1, 4), s2c, reply(dhcpAck))
		at += g.ms(300, 2000)
	}
	g.add(f)
}

// rootCertificate is a phone fetching the pool's root certificate over
// HTTP on 8080 before it signs in.
func (g *gen) rootCertificate(ph *host, at time.Duration) {
	r := g.r
	c := &conv{}
	c.say(c2s, g.ms(0.2, 1), httpRequest("GET", "/CertProv/CertProvisioningService.svc/root", poolFQDN+":8080", []header{
		{"User-Agent", uaPhone},
		{"Accept", "application/pkix-cert"},
	}, nil))
	c.say(s2c, g.ms(3, 15), httpResponse(200, "OK", g.o.Start.Add(at), []header{
		{"Content-Type", "application/pkix-cert"},
		{"Server", serverIIS},
	}, fakeCertificate(r, "contoso-DC01-CA")))
	c.end(CloseFIN, s2c, g.ms(10, 100))
	g.tcp(ph, g.net.vip, 8080, at, expected(decoders.HTTP, "http get of the root certificate from an ip phone on vlan 20",
		"Table 2 row 5: the Front End load balancer passes 8080 TCP, clients and devices retrieving the root certificate"), c)
}
