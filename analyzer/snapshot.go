package analyzer

import (
	"maps"
	"slices"
)

// Snapshot returns the report as it would be if the capture ended now,
// without ending any flow: the live command redraws it every interval.
// Flows still in the table are judged as they stand.
func (e *Engine) Snapshot() *Report {
	agg, tl := e.shards[0].agg.clone(), e.shards[0].tl.clone()
	for _, s := range e.shards[1:] {
		agg.absorb(s.agg.clone())
		tl.absorb(s.tl.clone())
	}
	for _, s := range e.shards {
		s.table.each(agg.flow)
	}
	return e.build(agg, tl)
}

// clone returns a deep copy of t.
func (t *timeline) clone() *timeline {
	c := *t
	c.b = make([]tlBucket, len(t.b))
	for i := range t.b {
		c.b[i] = t.b[i]
		c.b[i].roles = slices.Clone(t.b[i].roles)
	}
	return &c
}

// clone returns a deep copy of the aggregates, which flow can then add to
// without touching a.
func (a *aggregator) clone() *aggregator {
	c := *a
	c.scratch = nil
	c.hosts = make(map[hostKey]*hostAgg, len(a.hosts))
	for k, h := range a.hosts {
		c.hosts[k] = h.clone()
	}
	c.unjudged = cloneServices(a.unjudged)
	c.records = append([]FlowRecord(nil), a.records...)
	return &c
}

func (h *hostAgg) clone() *hostAgg {
	c := *h
	c.services = cloneServices(h.services)
	c.connects = cloneServices(h.connects)
	c.attempts = cloneServices(h.attempts)
	c.mismatches = make(map[mmKey]*mmAgg, len(h.mismatches))
	for k, m := range h.mismatches {
		mc := *m
		mc.svcAgg = *m.svcAgg.clone()
		c.mismatches[k] = &mc
	}
	c.matched = maps.Clone(h.matched)
	c.seen = maps.Clone(h.seen)
	return &c
}

func cloneServices[K comparable](m map[K]*svcAgg) map[K]*svcAgg {
	c := make(map[K]*svcAgg, len(m))
	for k, s := range m {
		c[k] = s.clone()
	}
	return c
}

func (s *svcAgg) clone() *svcAgg {
	c := *s
	c.protos = maps.Clone(s.protos)
	c.peers = maps.Clone(s.peers)
	return &c
}
