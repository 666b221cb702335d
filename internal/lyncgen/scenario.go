package lyncgen

import (
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// The scenario is a Lync Server 2013 Enterprise pool during a busy minute:
//
//   - pool01.contoso.local: Front End Servers fe01-fe03 (10.10.1.11-13,
//     each with a collocated Mediation Server; fe03 holds the Central
//     Management store; fe01 also has fd00:10::11) behind a hardware load
//     balancer VIP (10.10.1.10);
//   - a Director (10.10.2.10), a stand-alone Mediation Server (10.10.3.10),
//     a Persistent Chat Front End (10.10.4.10), an Office Web Apps Server
//     (10.10.5.10);
//   - clients in 10.20.0.0/24 (and fd00:20::/64), Lync Phone Edition
//     phones in 10.20.1.0/24 on the tagged VLAN 20;
//   - outside the inventory: the PSTN gateway (10.30.0.5), the A/V Edge's
//     internal interface (10.40.0.5), the SQL back end (10.10.9.10), DNS
//     (10.10.0.53), DHCP (10.10.0.67), a trusted application server
//     (10.10.6.20), a monitoring station (10.10.0.200), an administrator's
//     PC (10.20.0.250, inside the client range) and an external web site.
//
// Most flows are what the catalog expects. The violations are listed in
// violations; the catalog services left silent on purpose are listed in
// the inventory's comments (see Inventory).
func (g *gen) scenario() {
	g.clientFlows()
	g.phoneFlows()
	g.serverFlows()
	g.pstnFlows()
	g.edgeFlows()
	g.violations()
}

// Domain names of the scenario.
const (
	domain   = "contoso.local"
	poolFQDN = "pool01.contoso.local"
	owaFQDN  = "owa01.contoso.local"
	sipSRV   = "_sipinternaltls._tcp.contoso.local"
)

func (h *host) fqdn() string { return h.name + "." + domain }

// when returns a random time between the fractions lo and hi of the
// scenario's span.
func (g *gen) when(lo, hi float64) time.Duration {
	d := float64(g.o.Duration)
	return g.r.dur(time.Duration(d*lo), time.Duration(d*hi))
}

// ms returns a random duration between lo and hi milliseconds.
func (g *gen) ms(lo, hi float64) time.Duration {
	return g.r.dur(time.Duration(lo*float64(time.Millisecond)), time.Duration(hi*float64(time.Millisecond)))
}

// The verdict constructors, one per wanted verdict.
func expected(p decoders.Protocol, detail, why string) verdict {
	return verdict{p, detail, WantExpected, why}
}

func unexpected(p decoders.Protocol, detail, why string) verdict {
	return verdict{p, detail, WantUnexpected, why}
}

func mismatch(p decoders.Protocol, detail, why string) verdict {
	return verdict{p, detail, WantMismatch, why}
}

func outside(p decoders.Protocol, detail, why string) verdict {
	return verdict{p, detail, WantNone, why}
}

// keepAlive fills a long-lived TLS connection until near the end of the
// span: the client's CRLF CRLF keep-alive (RFC 5626) every half minute or
// so and the server's CRLF, both inside TLS.
func (g *gen) keepAlive(c *conv, start time.Duration, client int) {
	end := g.o.Duration - time.Second
	for {
		gap := g.r.dur(25*time.Second, 35*time.Second)
		if start+c.elapsed()+gap >= end {
			return
		}
		c.sealed(g.r, client, gap, 4)
		c.sealed(g.r, 1-client, g.ms(0.3, 2), 2)
	}
}

// sipTraffic adds a few SIP transactions inside an established TLS
// connection: requests from dir, answers from the other side.
func (g *gen) sipTraffic(c *conv, dir, transactions int, lo, hi time.Duration) {
	for range transactions {
		c.sealed(g.r, dir, g.r.dur(lo, hi), g.r.between(350, 900))
		c.sealed(g.r, 1-dir, g.ms(1, 12), g.r.between(250, 600))
	}
}
