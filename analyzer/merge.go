package analyzer

// absorb adds the aggregates of o, another shard's, to a. Hosts and
// services present in both are summed; the example flows and evidence
// kept are those of the earliest flows, as one aggregator would keep.
func (a *aggregator) absorb(o *aggregator) {
	for k, h := range o.hosts {
		if mine := a.hosts[k]; mine != nil {
			mine.absorb(h)
		} else {
			a.hosts[k] = h
		}
	}
	for k, sv := range o.unjudged {
		if mine := a.unjudged[k]; mine != nil {
			mine.merge(sv)
		} else if len(a.unjudged) < maxUnjudged {
			a.unjudged[k] = sv
		} else {
			a.dropped += sv.flows
		}
	}
	a.dropped += o.dropped
	a.records = append(a.records, o.records...)
}

func (h *hostAgg) absorb(o *hostAgg) {
	absorbServices(h.services, o.services)
	absorbServices(h.connects, o.connects)
	absorbServices(h.attempts, o.attempts)
	for k, m := range o.mismatches {
		mine := h.mismatches[k]
		if mine == nil {
			h.mismatches[k] = m
			continue
		}
		if exampleBefore(m.first, m.example, mine.first, mine.example) {
			mine.evidence, mine.reason, mine.obs = m.evidence, m.reason, m.obs
		}
		mine.warning = mine.warning && m.warning
		mine.svcAgg.merge(&m.svcAgg)
	}
	for e := range o.matched {
		h.matched[e] = true
	}
	for addr := range o.seen {
		h.sawAddr(addr)
	}
}

func absorbServices(dst, src map[svcKey]*svcAgg) {
	for k, sv := range src {
		if mine := dst[k]; mine != nil {
			mine.merge(sv)
			mine.verdict = max(mine.verdict, sv.verdict)
		} else {
			dst[k] = sv
		}
	}
}

// exampleBefore reports whether the flow (first, x) comes before (first2,
// y): by first packet, then by endpoints, so that the example a service
// keeps does not depend on the order flows ended in.
func exampleBefore(first int64, x example, first2 int64, y example) bool {
	if first != first2 {
		return first < first2
	}
	if c := x.client.Compare(y.client); c != 0 {
		return c < 0
	}
	return x.server.Compare(y.server) < 0
}
