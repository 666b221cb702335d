package lyncgen

import "github.com/lyncaudit/lyncaudit/decoders"

// edgeFlows writes the A/V Edge internal interface's connections into the
// pool: call admission control with the Bandwidth Policy Service through
// the VIP, and SIP over MTLS with the Director.
func (g *gen) edgeFlows() {
	n := g.net
	g.bandwidthPolicy(n.edge, n.vip, 5080, g.when(0.0, 0.2), "Table 2 row 13: the Front End load balancer passes 5080 TCP (Bandwidth Policy Service, A/V Edge TURN traffic)")
	g.mtls(n.edge, n.dir, 5061, g.when(0.0, 0.1), true, expected(decoders.TLS, "mtls (sip, edge to director)", "Table 1 row 45: Director 5061 TCP, internal communications between servers"))
}
