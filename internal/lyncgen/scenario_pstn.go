package lyncgen

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// pstnFlows writes the PSTN gateway's traffic with the Mediation Servers:
// SIP over TLS on 5067 to both, an inbound call in clear SIP over TCP on
// 5068 with its media, and a collocated Mediation Server's keep-alive to
// the gateway's 5081.
func (g *gen) pstnFlows() {
	n := g.net
	g.gatewayTLS(n.med, g.when(0.0, 0.1), expected(decoders.TLS, "tls (sip from the pstn gateway)", "Table 1 row 47: Mediation Servers 5067 TCP (TLS), SIP from the PSTN gateway"))
	g.gatewayTLS(n.fe[1], g.when(0.0, 0.1), expected(decoders.TLS, "tls (sip from the pstn gateway to a collocated mediation server)", "Table 1 row 23: Front End Servers with a collocated Mediation Server, 5067 TCP (TLS)"))
	g.inboundCall(g.when(0.3, 0.45))
	g.gatewayOptions(n.fe[1], g.when(0.1, 0.5))
}

// gatewayTLS is the gateway's SIP over TLS: server certificate only,
// OPTIONS keep-alives inside.
func (g *gen) gatewayTLS(med *host, at time.Duration, v verdict) {
	r := g.r
	c := &conv{}
	tlsSession{sni: med.fqdn(), server: fakeCertificate(r, med.fqdn(), med.fqdn())}.handshake(c, r)
	for range r.between(1, 2) {
		c.sealed(r, c2s, g.ms(100, 15000), r.between(450, 600))
		c.sealed(r, s2c, g.ms(1, 5), r.between(450, 700))
	}
	c.end(CloseOpen, c2s, 0)
	g.tcp(g.net.gw, med, 5067, at, v, c)
}

// inboundCall is a call from the PSTN to a client: the gateway's INVITE
// to the stand-alone Mediation Server on 5068 (clear SIP over TCP), and
// the media of both legs with the ports the SDP names.
func (g *gen) inboundCall(at time.Duration) {
	n := g.net
	r := g.r
	gwPort, medPort := n.gw.audio.take(), n.med.audio.take()
	local := netip.AddrPortFrom(n.gw.addr, n.gw.ephemeral.next) // the port g.tcp takes next
	medAP := netip.AddrPortFrom(n.med.addr, 5068)
	ruri := fmt.Sprintf("sip:+14255550123@%s:5068;user=phone", n.med.addr)
	d := newSIPDialog(r, "TCP", local, "<sip:+12065550100@10.30.0.5;user=phone>", "<sip:+14255550123@contoso.com;user=phone>", uaGateway, uaMediation)
	d.at = g.o.Start.Add(at)
	c := &conv{}
	c.say(c2s, g.ms(0.3, 1), d.request("OPTIONS", fmt.Sprintf("sip:%s:5068", n.med.addr), "", ""))
	c.say(s2c, g.ms(1, 4), d.response(200, "OK", "", "", header{"Allow", "INVITE, BYE, ACK, CANCEL, OPTIONS, INFO, NOTIFY, REFER, PRACK, UPDATE"}))

	d = newSIPDialog(r, "TCP", local, `"Fabrikam Sales" <sip:+12065550100@10.30.0.5;user=phone>`, "<sip:+14255550123@contoso.com;user=phone>", uaGateway, uaMediation)
	d.at = g.o.Start.Add(at)
	contact := header{"Contact", fmt.Sprintf("<sip:+12065550100@%s;transport=tcp>", local)}
	invite := g.ms(2000, 6000)
	c.say(c2s, invite, d.request("INVITE", ruri, "application/sdp", sdpG711(r, "AudiocodesGW", n.gw.addr, gwPort),
		contact,
		header{"Supported", "em,timer,replaces,path,resource-priority"},
		header{"Allow", "REGISTER,OPTIONS,INVITE,ACK,CANCEL,BYE,NOTIFY,PRACK,REFER,INFO,SUBSCRIBE,UPDATE"},
		header{"Session-Expires", "1800"},
		header{"Min-SE", "90"}))
	c.say(s2c, g.ms(1, 5), d.response(100, "Trying", "", ""))
	ring := g.ms(2000, 5000)
	c.say(s2c, ring, d.response(180, "Ringing", "", "", header{"Contact", fmt.Sprintf("<sip:%s;transport=tcp>", medAP)}))
	answer := g.ms(1500, 4000)
	c.say(s2c, answer, d.response(200, "OK", "application/sdp", sdpG711(r, "-", n.med.addr, medPort),
		header{"Contact", fmt.Sprintf("<sip:%s;transport=tcp>", medAP)},
		header{"Session-Expires", "1800;refresher=uac"},
		header{"Require", "timer"}))
	c.say(c2s, g.ms(2, 10), d.request("ACK", ruri, "", "", contact))

	// The call is answered about here; it lasts a few seconds.
	start := at + c.elapsed() + g.ms(20, 60)
	length := g.r.dur(g.o.MinCall, g.o.MaxCall)
	cl := n.clients[len(n.clients)-1]
	g.pstnCall(newRNG(g.o.Seed, 3), cl, n.med, gwPort, medPort, start, start+length)

	c.say(c2s, length+g.ms(100, 300), d.request("BYE", ruri, "", "", contact))
	c.say(s2c, g.ms(2, 10), d.response(200, "OK", "", ""))
	c.end(CloseOpen, c2s, 0)
	g.tcp(n.gw, n.med, 5068, at, expected(decoders.SIP, "sip OPTIONS, INVITE, 100, 180, 200, ACK, BYE in clear over tcp", "Table 1 row 48: Mediation Servers 5068 TCP, SIP from the PSTN gateway"), c)
}

// gatewayOptions is a collocated Mediation Server checking the gateway
// with OPTIONS on the gateway's 5081.
func (g *gen) gatewayOptions(med *host, at time.Duration) {
	n := g.net
	local := netip.AddrPortFrom(med.addr, med.ephemeral.next)
	d := newSIPDialog(g.r, "TCP", local, fmt.Sprintf("<sip:%s>", med.fqdn()), fmt.Sprintf("<sip:%s:5081>", n.gw.addr), uaMediation, uaGateway)
	d.at = g.o.Start.Add(at)
	c := &conv{}
	c.say(c2s, g.ms(0.3, 1), d.request("OPTIONS", fmt.Sprintf("sip:%s:5081;transport=tcp", n.gw.addr), "", ""))
	c.say(s2c, g.ms(1, 6), d.response(200, "OK", "", "", header{"Allow", "REGISTER,OPTIONS,INVITE,ACK,CANCEL,BYE,NOTIFY,PRACK,REFER,INFO,SUBSCRIBE,UPDATE"}))
	c.end(CloseFIN, c2s, g.ms(50, 500))
	g.tcp(med, n.gw, 5081, at, outside(decoders.SIP, "sip OPTIONS in clear over tcp",
		"10.30.0.5 is the PSTN gateway, not in the inventory; Table 1 row 25 names 5081 as the gateway's port for SIP from a collocated Mediation Server"), c)
}
