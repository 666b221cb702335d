package analyzer

import (
	"net/netip"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// Reload switches the engine to a new catalog and inventory without
// losing a flow: the live command calls it on SIGHUP. Flows in the table
// are looked up again and judged by the new rules when they end. What
// flows that already ended added up to is kept and judged again service
// by service: port verdicts, catalog entries, connect entries and missing
// entries follow the new rules, and a mismatch stays one while the new
// catalog still refuses the payload it showed.
func (e *Engine) Reload(cat *rules.Catalog, inv *rules.Inventory) {
	if cat == nil {
		cat = rules.Builtin()
	}
	e.cfg.Catalog, e.cfg.Inventory = cat, inv
	for _, s := range e.shards {
		s.table.each(func(f *Flow) {
			f.hosts = [2]*rules.Host{}
			if inv != nil {
				f.hosts[0], f.hosts[1] = inv.Lookup(f.Key.addr(0)), inv.Lookup(f.Key.addr(1))
			}
		})
		s.agg = s.agg.rekey(cat, inv)
	}
}

// rekey returns the aggregates judged again under cat and inv.
func (a *aggregator) rekey(cat *rules.Catalog, inv *rules.Inventory) *aggregator {
	n := newAggregator(cat, inv, a.keep)
	n.records, n.dropped = a.records, a.dropped
	for _, h := range a.hosts {
		addr := h.key.addr
		if !addr.IsValid() {
			// A range reported as one host moves as a whole, to wherever
			// its first address now belongs.
			addr = h.key.line.First
		}
		n.moveHost(h, addr)
	}
	for k, sv := range a.unjudged {
		n.moveService(k.server, k.svc, sv, nil)
	}
	return n
}

// moveHost adds the aggregates of an old host, at addr, to n.
func (n *aggregator) moveHost(h *hostAgg, addr netip.Addr) {
	for k, sv := range h.services {
		n.moveService(addr, k, sv, h)
	}
	line := n.lookup(addr)
	if line == nil {
		return
	}
	nh := n.hostFor(addr, line)
	for a := range h.seen {
		nh.sawAddr(a)
	}
	for k, sv := range h.attempts {
		v, es := n.cat.Judge(line.Roles, k.port, k.t)
		dst := nh.service(nh.attempts, k)
		dst.merge(sv)
		dst.verdict, dst.entries = v, es
	}
	for k, sv := range h.connects {
		es := n.connectEntries(line, k, sv.example.client.Port())
		if len(es) == 0 {
			continue
		}
		dst := nh.service(nh.connects, k)
		dst.merge(sv)
		dst.verdict, dst.entries = rules.Expected, es
		for _, e := range es {
			nh.matched[e] = true
		}
	}
}

// moveService adds an old service of server to n, judging its port again;
// from is the old host whose mismatches it had, or nil.
func (n *aggregator) moveService(server netip.Addr, k svcKey, sv *svcAgg, from *hostAgg) {
	line := n.lookup(server)
	if line == nil {
		u := n.unjudged[unjKey{server, k}]
		if u == nil {
			u = &svcAgg{key: k}
			n.unjudged[unjKey{server, k}] = u
		}
		u.merge(sv)
		return
	}
	h := n.hostFor(server, line)
	h.sawAddr(server)
	v, es := n.cat.Judge(line.Roles, k.port, k.t)
	if v == rules.Expected && from != nil {
		for mk, m := range from.mismatches {
			if mk.svc.t != k.t || mk.svc.port < k.port || mk.svc.port > max(k.end, k.port) {
				continue
			}
			p := rules.CheckPayload(es, m.obs)
			if p.OK {
				continue
			}
			mc := *m
			mc.svcAgg = *m.svcAgg.clone()
			mc.entries, mc.expected, mc.reason, mc.warning = es, p.Expected, p.Reason, p.Warning
			h.mismatches[mk] = &mc
			v = rules.Mismatch
		}
	}
	dst := h.service(h.services, k)
	dst.merge(sv)
	dst.verdict, dst.entries = max(dst.verdict, v), es
	for _, e := range es {
		h.matched[e] = true
	}
}

// connectEntries returns the connect entries of line a flow to k from
// local port from satisfies.
func (n *aggregator) connectEntries(line *rules.Host, k svcKey, from uint16) []*rules.Entry {
	var hit []*rules.Entry
	for _, e := range n.cat.Match(nil, line.Roles, rules.Connect, k.port, k.t) {
		if e.From == 0 || e.From == from {
			hit = append(hit, e)
		}
	}
	return hit
}

func (n *aggregator) lookup(a netip.Addr) *rules.Host {
	if n.inv == nil {
		return nil
	}
	return n.inv.Lookup(a)
}

// merge adds the counts of o to s.
func (s *svcAgg) merge(o *svcAgg) {
	if o.flows == 0 {
		return
	}
	if s.flows == 0 || exampleBefore(o.first, o.example, s.first, s.example) {
		s.first, s.example = o.first, o.example
	}
	s.last = max(s.last, o.last)
	s.flows += o.flows
	s.oneWay += o.oneWay
	s.packets += o.packets
	s.bytes += o.bytes
	s.conf = max(s.conf, o.conf)
	if s.protos == nil {
		s.protos = map[decoders.Protocol]uint64{}
	}
	for p, c := range o.protos {
		s.protos[p] += c
	}
	if s.peers == nil {
		s.peers = map[netip.Addr]struct{}{}
	}
	for p := range o.peers {
		if len(s.peers) >= maxPeers {
			break
		}
		s.peers[p] = struct{}{}
	}
}
