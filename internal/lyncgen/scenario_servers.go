package lyncgen

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// serverFlows writes the pool's own traffic: SIP over MTLS between the
// Front Ends, with the Director, the Mediation Server and Persistent Chat;
// the conferencing services' SIP ports; web traffic between servers;
// DCOM; the Bandwidth Policy Service over net.tcp; the Central Management
// store's replication; SQL Browser queries; and the back end.
func (g *gen) serverFlows() {
	n := g.net
	fe1, fe2, fe3 := n.fe[0], n.fe[1], n.fe[2]

	g.mtls(fe1, fe2, 5061, g.when(0.0, 0.1), true, expected(decoders.TLS, "mtls (sip between front ends)", whyFE5061S2S))
	g.mtls(fe2, fe3, 5061, g.when(0.0, 0.1), true, expected(decoders.TLS, "mtls (sip between front ends)", whyFE5061S2S))
	g.mtls(fe1, n.dir, 5061, g.when(0.0, 0.1), true, expected(decoders.TLS, "mtls (sip, front end to director)", "Table 1 row 45: Director 5061 TCP, internal communications between servers"))
	g.mtls(n.dir, fe3, 5061, g.when(0.0, 0.1), true, expected(decoders.TLS, "mtls (sip, director to front end)", whyFE5061S2S))
	g.midStream(n.dir, fe2, 5061, expected(decoders.TLS, "mtls application data only: the handshake happened before the capture", whyFE5061S2S))

	// The conferencing and application services listen on their own SIP
	// ports; the Front Ends reach each other's over MTLS.
	services := []struct {
		from, to *host
		port     uint16
		why      string
	}{
		{fe1, fe2, 5062, "Table 1 row 6: Front End 5062 TCP, IM Conferencing"},
		{fe2, fe3, 5063, "Table 1 row 9: Front End 5063 TCP, A/V Conferencing"},
		{fe3, fe1, 5065, "Table 1 row 27: Front End 5065 TCP, Application Sharing"},
		{fe1, fe3, 5071, "Table 1 row 33: Front End 5071 TCP, Response Group"},
	}
	for i, s := range services {
		if i%2 == 1 {
			// SChannel resumes the session it holds with that server: no
			// certificates show.
			g.resumed(s.from, s.to, s.port, g.when(0.05, 0.6), expected(decoders.TLS, fmt.Sprintf("tls resumed session, abbreviated handshake (sip to port %d)", s.port), s.why))
			continue
		}
		g.mtls(s.from, s.to, s.port, g.when(0.05, 0.6), false, expected(decoders.TLS, fmt.Sprintf("mtls (sip to port %d)", s.port), s.why))
	}

	g.mtls(fe1, n.med, 5070, g.when(0.0, 0.2), true, expected(decoders.TLS, "mtls (sip, front end to mediation server)", "Table 1 row 49: Mediation Servers 5070 TCP (MTLS), SIP from the Front End Servers"))
	g.mtls(fe1, n.pchat, 5041, g.when(0.0, 0.2), true, expected(decoders.TLS, "mtls (persistent chat sip)", "Table 1 row 50: Persistent Chat Front End 5041 TCP (MTLS)"))
	g.https(fe2, n.pchat, 881, n.pchat.fqdn(), g.when(0.1, 0.7), expected(decoders.TLS, "tls (persistent chat wcf)", "Table 1 row 51: Persistent Chat Front End 881 TCP (TLS) and TCP (MTLS)"))
	g.https(n.dir, fe2, 444, fe2.fqdn(), g.when(0.1, 0.7), expected(decoders.TLS, "tls (https, focus and director to front end)", "Table 1 row 4: Front End 444 HTTPS, between the Focus and the servers"))
	g.https(n.dir, fe1, 4443, "lyncdiscoverinternal."+domain, g.when(0.1, 0.7), expected(decoders.TLS, "tls (https, autodiscover between pools)", "Table 1 row 14: Front End 4443 HTTPS, inter-pool communications for autodiscover"))

	g.dcom(fe2, fe1, g.when(0.1, 0.8))
	g.bandwidthPolicy(fe1, fe2, 448, g.when(0.05, 0.5), "Table 1 row 36: Front End 448 TCP, Bandwidth Policy Service call admission control")
	g.replication(fe1, fe3, g.when(0.1, 0.4), expected(decoders.Unknown, "smb2 negotiate (replica to the central management store holder)", "Table 1 row 37: 445 TCP on the Front End where the Central Management store resides (Master Replicator Agent)"))

	// fe03, holding the Central Management store, asks each server's SQL
	// Browser for the local configuration store instance.
	for _, h := range []*host{fe1, fe2, n.dir, n.med, n.pchat} {
		g.sqlBrowser(fe3, h, "RTCLOCAL", g.when(0.05, 0.9), expected(decoders.SQLBrowser, "sql browser clnt_ucast_inst RTCLOCAL and svr_resp", "Table 1 rows 1 and 38: all servers, 1434 UDP SQL Browser"))
	}
	g.sqlBrowser(fe1, n.sql, "RTC", g.when(0.0, 0.05), outside(decoders.SQLBrowser, "sql browser clnt_ucast_inst RTC and svr_resp", whySQL))
	g.tds(fe1, g.when(0.05, 0.1))

	g.trustedApp(n.trusted, fe1, g.when(0.05, 0.5))
}

const whySQL = "10.10.9.10 is the SQL Server back end, which is not in the inventory"

// mtls is SIP over mutual TLS between two servers: both certificates
// exchanged, then SIP transactions; long-lived connections stay open.
func (g *gen) mtls(cli, srv *host, port uint16, at time.Duration, longLived bool, v verdict) {
	r := g.r
	c := &conv{}
	tlsSession{sni: srv.fqdn(), server: fakeCertificate(r, srv.fqdn(), srv.fqdn(), poolFQDN), request: true,
		client: fakeCertificate(r, cli.fqdn(), cli.fqdn(), poolFQDN)}.handshake(c, r)
	g.sipTraffic(c, c2s, 1, 5*time.Millisecond, 3*time.Second)
	if longLived {
		g.keepAlive(c, at, c2s)
		c.end(CloseOpen, c2s, 0)
	} else {
		c.end(CloseFIN, c2s, g.ms(500, 5000))
	}
	g.tcp(cli, srv, port, at, v, c)
}

// resumed is a short SIP connection whose TLS session is resumed.
func (g *gen) resumed(cli, srv *host, port uint16, at time.Duration, v verdict) {
	c := &conv{}
	tlsSession{sni: srv.fqdn(), resume: true}.handshake(c, g.r)
	g.sipTraffic(c, c2s, 1, 5*time.Millisecond, time.Second)
	c.end(CloseFIN, c2s, g.ms(500, 5000))
	g.tcp(cli, srv, port, at, v, c)
}

// midStream is an MTLS connection established before the capture began:
// only application data, no handshake.
func (g *gen) midStream(cli, srv *host, port uint16, v verdict) {
	c := &conv{midStream: true}
	c.sealed(g.r, c2s, g.ms(100, 900), g.r.between(700, 1400))
	c.sealed(g.r, s2c, g.ms(1, 6), g.r.between(500, 900))
	g.sipTraffic(c, s2c, 1, time.Second, 8*time.Second)
	g.keepAlive(c, 0, c2s)
	c.end(CloseOpen, c2s, 0)
	g.tcp(cli, srv, port, 0, v, c)
}

// https is a short HTTPS exchange between servers.
func (g *gen) https(cli, srv *host, port uint16, sni string, at time.Duration, v verdict) {
	r := g.r
	c := &conv{}
	tlsSession{sni: sni, server: fakeCertificate(r, srv.fqdn(), srv.fqdn(), poolFQDN)}.handshake(c, r)
	c.sealed(r, c2s, g.ms(1, 200), r.between(400, 900))
	c.sealed(r, s2c, g.ms(3, 40), r.between(300, 1200))
	c.end(CloseFIN, c2s, g.ms(1000, 4000))
	g.tcp(cli, srv, port, at, v, c)
}

// dcom is a DCE/RPC bind to ISystemActivator on 135, the first step of a
// DCOM call between Front Ends (moving users, address book sync).
func (g *gen) dcom(cli, srv *host, at time.Duration) {
	c := &conv{}
	callID := uint32(g.r.between(1, 20))
	c.say(c2s, g.ms(0.2, 1), dcerpcBindActivator(callID))
	c.say(s2c, g.ms(0.3, 2), dcerpcBindAck(callID, g.r.u32()&0xffff))
	c.end(CloseFIN, c2s, g.ms(5, 50))
	g.tcp(cli, srv, 135, at, expected(decoders.DCERPC, "dce/rpc bind to isystemactivator 000001a0-0000-0000-c000-000000000046", "Table 1 row 5: Front End 135 DCOM and RPC"), c)
}

// bandwidthPolicy is the Bandwidth Policy Service over net.tcp: the .NET
// Message Framing preamble asks to upgrade to TLS, the server agrees,
// then mutual TLS and framed WCF messages.
func (g *gen) bandwidthPolicy(cli, srv *host, port uint16, at time.Duration, why string) {
	r := g.r
	c := &conv{}
	c.say(c2s, g.ms(0.2, 1), netTCPPreamble(fmt.Sprintf("net.tcp://%s:%d/LS/PDP/BandwidthPolicyService", srv.fqdn(), port)))
	c.say(s2c, g.ms(0.3, 2), netTCPUpgradeResponse)
	tlsSession{server: fakeCertificate(r, srv.fqdn(), srv.fqdn(), poolFQDN), request: true,
		client: fakeCertificate(r, cli.fqdn(), cli.fqdn())}.handshake(c, r)
	c.sealed(r, c2s, g.ms(1, 3), 1)   // preamble end
	c.sealed(r, s2c, g.ms(0.5, 2), 1) // preamble ack
	for range r.between(1, 2) {
		c.sealed(r, c2s, g.ms(500, 4000), r.between(300, 900))
		c.sealed(r, s2c, g.ms(2, 15), r.between(200, 700))
	}
	c.end(CloseOpen, c2s, 0)
	g.tcp(cli, srv, port, at, expected(decoders.NetTCP, "net.tcp preamble (upgrade to application/ssl-tls), then mtls", why), c)
}

// replication is SMB on 445 between servers: the NEGOTIATE exchange of a
// file copy for the Central Management store's replicas.
func (g *gen) replication(cli, srv *host, at time.Duration, v verdict) {
	c := &conv{}
	c.say(c2s, g.ms(0.2, 1), smb2NegotiateRequest(g.r))
	now := uint64(g.o.Start.Add(at).Unix()+11644473600) * 1e7 // Windows FILETIME
	c.say(s2c, g.ms(0.5, 3), smb2NegotiateResponse(g.r, now))
	c.end(CloseFIN, c2s, g.ms(20, 200))
	g.tcp(cli, srv, 445, at, v, c)
}

// sqlBrowser is one SQL Server Resolution Protocol exchange.
func (g *gen) sqlBrowser(cli, srv *host, instance string, at time.Duration, v verdict) {
	f := g.udp(cli, cli.ephemeral.take(), srv, 1434, v)
	f.send(at, c2s, sqlBrowserInstanceQuery(instance))
	f.send(at+g.ms(0.3, 2), s2c, sqlBrowserResponse(srv.name, instance, "11.0.5058.0", uint16(g.r.between(49152, 57000))))
	g.add(f)
}

// tds is a Front End opening a connection to the SQL back end: the
// PRELOGIN exchange.
func (g *gen) tds(fe *host, at time.Duration) {
	c := &conv{}
	c.say(c2s, g.ms(0.2, 1), tdsPreloginRequest(g.r, "RTC"))
	c.say(s2c, g.ms(0.5, 2), tdsPreloginResponse())
	c.end(CloseFIN, c2s, g.ms(100, 500))
	g.tcp(fe, g.net.sql, 1433, at, outside(decoders.TDS, "tds prelogin", whySQL), c)
}

// trustedApp is a trusted application server on the Front End's 5060
// static route, in clear SIP: it subscribes to presence, gets NOTIFY and
// BENOTIFY, and publishes with SERVICE.
func (g *gen) trustedApp(app, fe *host, at time.Duration) {
	r := g.r
	local := netip.AddrPortFrom(app.addr, app.ephemeral.next) // the port g.tcp takes next
	feAP := netip.AddrPortFrom(fe.addr, 5060)
	d := newSIPDialog(r, "TCP", local, "<sip:presencemonitor@contoso.com>", "<sip:alice@contoso.com>", uaUCMA, uaServer)
	d.at = g.o.Start.Add(at)
	c := &conv{}
	c.say(c2s, g.ms(0.3, 1), d.request("SUBSCRIBE", "sip:alice@contoso.com", "application/msrtc-adrl-categorylist+xml",
		`<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="sip:presencemonitor@contoso.com" name=""><action name="subscribe" id="1"><adhocList><resource uri="sip:alice@contoso.com"/></adhocList><categoryList xmlns="http://schemas.microsoft.com/2006/09/sip/categorylist"><category name="state"/><category name="note"/></categoryList></action></batchSub>`,
		header{"Contact", fmt.Sprintf("<sip:%s;transport=tcp>", local)},
		header{"Event", "presence"},
		header{"Accept", "application/msrtc-event-categories+xml, application/rlmi+xml"},
		header{"Supported", "ms-benotify, eventlist"},
		header{"Expires", "3600"}))
	c.say(s2c, g.ms(2, 10), d.response(200, "OK", "", "",
		header{"Contact", fmt.Sprintf("<sip:%s;transport=tcp>", feAP)},
		header{"Expires", "3600"},
		header{"Require", "eventlist"}))
	fed := d.reverse(feAP, uaServer, uaUCMA)
	state := `<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:alice@contoso.com"><category name="state" instance="1" publishTime="2026-03-02T10:38:11Z"><state xsi:type="aggregateState" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>3500</availability></state></category></categories>`
	c.say(s2c, g.ms(1, 5), fed.request("NOTIFY", "sip:"+local.String()+";transport=tcp", "application/msrtc-event-categories+xml", state,
		header{"Event", "presence"}, header{"Subscription-State", "active;expires=3600"}))
	c.say(c2s, g.ms(0.5, 2), fed.response(200, "OK", "", ""))
	c.say(c2s, g.ms(3000, 9000), d.request("SERVICE", "sip:presencemonitor@contoso.com", "application/msrtc-category-publish+xml",
		`<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:presencemonitor@contoso.com"><publication categoryName="state" instance="0" container="2" version="1" expireType="endpoint"><state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" manual="false" xsi:type="machineState"><availability>3500</availability></state></publication></publications></publish>`))
	c.say(s2c, g.ms(2, 10), d.response(200, "OK", "", ""))
	busy := `<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:alice@contoso.com"><category name="state" instance="1" publishTime="2026-03-02T10:41:02Z"><state xsi:type="aggregateState" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>6500</availability></state></category></categories>`
	c.say(s2c, g.ms(5000, 15000), fed.request("BENOTIFY", "sip:"+local.String()+";transport=tcp", "application/msrtc-event-categories+xml", busy,
		header{"Event", "presence"}, header{"Subscription-State", "active;expires=3600"}))
	c.end(CloseOpen, c2s, 0)
	g.tcp(app, fe, 5060, at, expected(decoders.SIP, "sip SUBSCRIBE, NOTIFY, SERVICE, BENOTIFY in clear from a trusted application", "Table 1 row 2: Front End 5060 TCP, static routes to trusted services"), c)
}
