package lyncgen

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// violations writes the traffic a correct analyzer must flag.
//
// Unexpected (the port is not in the catalog for any of the host's
// roles): RDP to the Director, telnet to a Front End, SMB to a Front End
// that does not hold the Central Management store, an HTTP admin page on
// the Mediation Server, SNMP on the VIP, a SIP INVITE over UDP 5060 (in
// two IPv4 fragments) and RTP on UDP 9000 to the Mediation Server, and a
// SYN nobody answers on the Office Web Apps Server's port 80.
//
// Mismatch (the port is allowed, the payload is not what the catalog
// says): cleartext SIP on a Front End's 5061, plain HTTP on the
// Director's 443, TLS without a client certificate on the Mediation
// Server's 5070, and an interactive text session in a Front End's audio
// media range.
func (g *gen) violations() {
	n := g.net
	fe1, fe2, fe3 := n.fe[0], n.fe[1], n.fe[2]

	g.rdp(n.admin, n.dir, g.when(0.1, 0.8))
	g.telnet(n.admin, fe2, g.when(0.1, 0.8))
	g.replication(fe3, fe2, g.when(0.1, 0.5), unexpected(decoders.Unknown, "smb2 negotiate (central management store holder to another front end)",
		"445 is in the catalog only on the Front End holding the Central Management store (Table 1 row 37); 10.10.1.12 does not hold it"))
	g.adminPage(n.clients[0], n.med, g.when(0.2, 0.8))
	g.snmp(n.nms, n.vip, g.when(0.1, 0.9))
	g.udpInvite(g.when(0.2, 0.7))
	g.strayRTP(g.when(0.2, 0.7))
	g.unanswered(n.admin, n.owa, 80, g.when(0.6, 0.9))

	g.clearRegister(n.clients[1%len(n.clients)], fe1, g.when(0.1, 0.8))
	g.plainHTTPS(n.clients[0], n.dir, g.when(0.1, 0.8))
	g.noClientCert(fe3, n.med, g.when(0.1, 0.8))
	g.shell(n.admin, fe2, g.when(0.2, 0.8))
}

// rdp is an administrator's Remote Desktop connection: the X.224
// negotiation, then the TLS handshake CredSSP runs in, then the
// administrator gives up at the credentials prompt.
func (g *gen) rdp(cli, srv *host, at time.Duration) {
	r := g.r
	c := &conv{}
	c.say(c2s, g.ms(0.3, 1), rdpConnectionRequest("administr"))
	c.say(s2c, g.ms(1, 4), rdpConnectionConfirm())
	tlsSession{server: fakeCertificate(r, srv.fqdn(), srv.fqdn())}.handshake(c, r)
	c.sealed(r, c2s, g.ms(2, 10), r.between(200, 500))
	c.sealed(r, s2c, g.ms(2, 10), r.between(200, 400))
	c.end(CloseRST, c2s, g.ms(5000, 20000))
	g.tcp(cli, srv, 3389, at, unexpected(decoders.Unknown, "rdp: x.224 connection request and confirm, then tls",
		"3389 (Remote Desktop) is not in the catalog for the director role"), c)
}

// telnet is a telnet session to a Front End: option negotiation, the
// login prompt, a user name.
func (g *gen) telnet(cli, srv *host, at time.Duration) {
	c := &conv{}
	c.say(s2c, g.ms(1, 5), telnetServerHello())
	c.say(c2s, g.ms(0.5, 3), telnetClientReply())
	c.say(s2c, g.ms(5, 20), telnetBanner)
	c.say(c2s, g.ms(2000, 5000), []byte("administrator\r\n"))
	c.say(s2c, g.ms(1, 5), []byte("administrator\r\npassword: "))
	c.end(CloseFIN, c2s, g.ms(3000, 8000))
	g.tcp(cli, srv, 23, at, unexpected(decoders.Unknown, "telnet: option negotiation and login prompt",
		"23 (telnet) is not in the catalog for the frontend or mediation roles"), c)
}

// adminPage is an HTTP admin page on the Mediation Server's 8081.
func (g *gen) adminPage(cli, srv *host, at time.Duration) {
	c := &conv{}
	c.say(c2s, g.ms(0.2, 1), httpRequest("GET", "/admin/status", fmt.Sprintf("%s:8081", srv.fqdn()), []header{
		{"User-Agent", uaBrowser},
		{"Accept", "text/html, application/xhtml+xml, */*"},
		{"Connection", "Keep-Alive"},
	}, nil))
	c.say(s2c, g.ms(2, 10), httpResponse(200, "OK", g.o.Start.Add(at), []header{
		{"Content-Type", "text/html; charset=utf-8"},
		{"Server", serverAdmin},
	}, []byte("<html><head><title>Mediation diagnostics</title></head><body><h1>med01</h1><p>Gateway peers: 1 up</p></body></html>")))
	c.end(CloseFIN, c2s, g.ms(500, 3000))
	g.tcp(cli, srv, 8081, at, unexpected(decoders.HTTP, "http get /admin/status",
		"8081 is not in the catalog for the mediation role"), c)
}

// snmp is a monitoring station polling the VIP's SNMP agent.
func (g *gen) snmp(nms, vip *host, at time.Duration) {
	id := g.r.u32()
	f := g.udp(nms, nms.ephemeral.take(), vip, 161, unexpected(decoders.Unknown, "snmp v2c get-request sysDescr.0 and response",
		"161/udp (SNMP) is not in the catalog for the frontend-lb role"))
	f.send(at, c2s, snmpGetSysDescr("public", id))
	f.send(at+g.ms(0.5, 3), s2c, snmpSysDescrResponse("public", id, "BIG-IP 11.6.1 Build 0.0.317 Final"))
	g.add(f)
}

// udpInvite is the gateway, misconfigured for UDP, sending a large INVITE
// to the Mediation Server's 5060: too big for one packet, it travels as
// two IPv4 fragments, and nothing answers.
func (g *gen) udpInvite(at time.Duration) {
	n := g.net
	r := g.r
	local := netip.AddrPortFrom(n.gw.addr, 5060)
	d := newSIPDialog(r, "UDP", local, `"Fabrikam Support" <sip:+12065550177@10.30.0.5;user=phone>`, "<sip:+14255550144@contoso.com;user=phone>", uaGateway, "")
	ruri := fmt.Sprintf("sip:+14255550144@%s;user=phone", n.med.addr)
	invite := d.request("INVITE", ruri, "application/sdp", sdpGatewayFull(r, n.gw.addr, 7810),
		header{"Contact", fmt.Sprintf("<sip:+12065550177@%s>", local)},
		header{"Supported", "em,100rel,timer,replaces,path,resource-priority,sdp-anat"},
		header{"Allow", "REGISTER,OPTIONS,INVITE,ACK,CANCEL,BYE,NOTIFY,PRACK,REFER,INFO,SUBSCRIBE,UPDATE"},
		header{"P-Asserted-Identity", `"Fabrikam Support" <sip:+12065550177@10.30.0.5>`},
		header{"Remote-Party-ID", `"Fabrikam Support" <sip:+12065550177@10.30.0.5>;party=calling;screen=yes;privacy=off`},
		header{"Diversion", "<sip:+14255550100@10.30.0.5>;reason=no-answer;counter=1"},
		header{"Session-Expires", "1800"},
		header{"Min-SE", "90"})
	f := g.udp(n.gw, 5060, n.med, 5060, unexpected(decoders.SIP, fmt.Sprintf("sip INVITE over udp, %d bytes in two ipv4 fragments", len(invite)),
		"5060/udp is not in the catalog for the mediation role (Lync takes SIP from gateways over TCP 5068 and TLS 5067)"))
	f.sendFragmented(at, c2s, invite)
	g.add(f)
}

// strayRTP is G.711 RTP the gateway sends to a port outside every media
// range of the Mediation Server.
func (g *gen) strayRTP(at time.Duration) {
	n := g.net
	g.media(newRNG(g.o.Seed, 4), n.gw, n.gw.audio.take(), n.med, 9000,
		unexpected(decoders.RTP, "rtp pt=0 pcmu to udp 9000",
			"9000/udp is not in the catalog for the mediation role: it is outside the audio media range 49152-57500 (Table 1 row 39), so the port fails before the payload is judged"),
		mediaSpec{codec: &codecPCMU, oneWay: true, start: at, end: at + 200*time.Millisecond})
}

// unanswered is a connection attempt nobody answers: three SYNs.
func (g *gen) unanswered(cli, srv *host, port uint16, at time.Duration) {
	c := &conv{}
	c.end(CloseSYNOnly, c2s, 0)
	g.tcp(cli, srv, port, at, unexpected(decoders.Unknown, "syn only, retransmitted, never answered",
		fmt.Sprintf("%d/tcp is not in the catalog for the office-web-apps role (only 443 is, Table 1 row 40); the attempt is the only evidence", port)), c)
}

// clearRegister is a client misconfigured for TCP: cleartext SIP on the
// Front End's TLS port, challenged all the same.
func (g *gen) clearRegister(cl, fe *host, at time.Duration) {
	r := g.r
	local := netip.AddrPortFrom(cl.addr, cl.ephemeral.next)
	d := newSIPDialog(r, "TCP", local, "<sip:bob@contoso.com>", "<sip:bob@contoso.com>", uaLync, uaServer)
	d.epid = r.hex(10)
	d.at = g.o.Start.Add(at)
	c := &conv{}
	c.say(c2s, g.ms(0.3, 1), d.request("REGISTER", "sip:contoso.com", "", "", lyncClientHeaders(r, local, "TCP")...))
	c.say(s2c, g.ms(2, 8), d.response(401, "Unauthorized", "", "", registrarChallenge(fe.fqdn())...))
	c.end(CloseFIN, c2s, g.ms(100, 1000))
	g.tcp(cl, fe, 5061, at, mismatch(decoders.SIP, "sip REGISTER and 401 in clear text",
		"Table 1 row 3 allows 5061 on a Front End as TCP (TLS); this payload is cleartext SIP"), c)
}

// plainHTTPS is plain HTTP sent to the Director's HTTPS port.
func (g *gen) plainHTTPS(cl, dir *host, at time.Duration) {
	c := &conv{}
	c.say(c2s, g.ms(0.2, 1), httpRequest("GET", "/autodiscover/autodiscoverservice.svc/root?originalDomain=contoso.com", dir.fqdn()+":443", []header{
		{"Accept", "application/vnd.microsoft.rtc.autodiscover+xml;v=1"},
		{"User-Agent", uaLyncWeb},
	}, nil))
	c.say(s2c, g.ms(1, 5), httpResponse(400, "Bad Request", g.o.Start.Add(at), []header{
		{"Content-Type", "text/html; charset=us-ascii"},
		{"Server", "Microsoft-HTTPAPI/2.0"},
		{"Connection", "close"},
	}, []byte("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Bad Request</TITLE></HEAD><BODY><h2>Bad Request</h2></BODY></HTML>\r\n")))
	c.end(CloseFIN, s2c, g.ms(0.1, 1))
	g.tcp(cl, dir, 443, at, mismatch(decoders.HTTP, "http get in clear on 443",
		"Table 1 row 44 allows 443 on a Director as HTTPS; this payload is plain HTTP"), c)
}

// noClientCert is a Front End reaching the Mediation Server's MTLS port
// without a certificate: the server asks for one, gets an empty
// Certificate message and ends the handshake with a fatal alert.
func (g *gen) noClientCert(fe, med *host, at time.Duration) {
	r := g.r
	c := &conv{}
	tlsSession{sni: med.fqdn(), server: fakeCertificate(r, med.fqdn(), med.fqdn()), request: true, refuse: true}.handshake(c, r)
	c.end(CloseRST, s2c, g.ms(0.1, 1))
	g.tcp(fe, med, 5070, at, mismatch(decoders.TLS, "tls no client cert: certificate requested, empty certificate sent, handshake_failure alert",
		"Table 1 row 49 requires MTLS on the Mediation Server's 5070 (SIP from the Front End Servers); no client certificate was sent (row 46 lists the same port as plain TCP, the same service)"), c)
}

// shell is an interactive text session on a TCP port in the Front End's
// audio media range.
func (g *gen) shell(cli, fe *host, at time.Duration) {
	port := fe.audio.take()
	c := &conv{}
	c.say(s2c, g.ms(1, 5), []byte("Microsoft Windows [Version 6.3.9600]\r\n(c) 2013 Microsoft Corporation. All rights reserved.\r\n\r\nC:\\Windows\\system32>"))
	for _, cmd := range []string{"whoami\r\n", "ipconfig /all\r\n", "net localgroup administrators\r\n"} {
		c.say(c2s, g.ms(1500, 6000), []byte(cmd))
		c.say(s2c, g.ms(5, 60), []byte(cmd+"contoso\\svc-backup\r\n\r\nC:\\Windows\\system32>"))
	}
	c.end(CloseFIN, c2s, g.ms(2000, 9000))
	g.tcp(cli, fe, port, at, mismatch(decoders.Unknown, "interactive shell text",
		fmt.Sprintf("Table 1 rows 28 and 39 allow TCP %d (49152-57500) on a Front End for media and application sharing; this payload is a text shell", port)), c)
}
