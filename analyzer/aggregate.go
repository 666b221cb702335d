package analyzer

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// maxPeers bounds the distinct peer addresses remembered per service, and
// maxUnjudged the services of servers outside the inventory, so that a
// flood of new addresses cannot grow memory without limit.
const (
	maxPeers    = 4096
	maxUnjudged = 20_000
	// perAddressMax is the largest range of server addresses reported
	// address by address; bigger ranges, and client ranges, are reported
	// as one line.
	perAddressMax = 256
)

// svcKey names a service of a host: a port and transport, or a whole
// port range the catalog allows (a media range), so that a Front End
// taking calls on thousands of media ports has one media service, not
// thousands.
type svcKey struct {
	port, end uint16 // end > port for a range
	t         decoders.Transport
}

// overflowKey collects the services of a host beyond maxServices: a port
// scan should not grow memory, nor bury the report.
var overflowKey = func(t decoders.Transport) svcKey { return svcKey{0, 65535, t} }

// maxServices bounds the distinct services kept per host.
const maxServices = 4096

// serviceKey returns the key a flow to port counts under: the narrowest
// range the allowing entries give when all of them are ranges, else the
// port itself.
func serviceKey(port uint16, t decoders.Transport, entries []*rules.Entry) svcKey {
	k := svcKey{port, port, t}
	for i, e := range entries {
		if e.High == e.Low {
			return svcKey{port, port, t}
		}
		if i == 0 || int(e.High)-int(e.Low) < int(k.end)-int(k.port) {
			k.port, k.end = e.Low, e.High
		}
	}
	return k
}

// svcAgg sums the flows of one service.
type svcAgg struct {
	key     svcKey
	verdict rules.Verdict
	entries []*rules.Entry
	flows   uint64
	oneWay  uint64 // UDP flows its server never sent on
	packets uint64
	bytes   uint64
	first   int64
	last    int64
	protos  map[decoders.Protocol]uint64
	conf    Confidence
	peers   map[netip.Addr]struct{}
	example example
}

// example names a flow kept as evidence, without formatting it until the
// report is built.
type example struct {
	client, server netip.AddrPort
	t              decoders.Transport
	first          int64
}

// ref formats the example for the report.
func (x example) ref() FlowRef {
	if !x.client.IsValid() {
		return FlowRef{}
	}
	return FlowRef{Client: x.client.Addr().String(), ClientPort: x.client.Port(), Server: x.server.Addr().String(),
		ServerPort: x.server.Port(), Transport: x.t.String(), FirstSeen: nanoTime(x.first)}
}

func (s *svcAgg) add(f *Flow, peer netip.Addr, ex example, p decoders.Protocol, c Confidence) {
	oneWay := f.Key.Transport == decoders.UDP && f.dir[f.server].packets == 0
	s.tally(f.first(), f.last(), f.dir[0].packets+f.dir[1].packets, f.dir[0].bytes+f.dir[1].bytes, oneWay, peer, ex, p, c)
}

// tally adds one flow, first and last seen at those times, to the
// service: a flow ending in the engine or a flow record being merged.
func (s *svcAgg) tally(first, last int64, packets, bytes uint64, oneWay bool, peer netip.Addr, ex example, p decoders.Protocol, c Confidence) {
	if s.flows == 0 || exampleBefore(first, ex, s.first, s.example) {
		s.first = first
		s.example = ex
	}
	s.last = max(s.last, last)
	s.flows++
	if oneWay {
		s.oneWay++
	}
	s.packets += packets
	s.bytes += bytes
	if s.protos == nil {
		s.protos = make(map[decoders.Protocol]uint64, 1)
	}
	s.protos[p]++
	s.conf = max(s.conf, c)
	if s.peers == nil {
		s.peers = make(map[netip.Addr]struct{}, 1)
	}
	if len(s.peers) < maxPeers {
		s.peers[peer] = struct{}{}
	}
}

// hostKey names a host of the report: one address of an inventory line
// reported address by address, or a whole line (addr invalid).
type hostKey struct {
	addr netip.Addr
	line *rules.Host
}

type hostAgg struct {
	key        hostKey
	services   map[svcKey]*svcAgg
	connects   map[svcKey]*svcAgg
	attempts   map[svcKey]*svcAgg
	mismatches map[mmKey]*mmAgg // mismatched flows by service and observed protocol
	matched    map[*rules.Entry]bool
	seen       map[netip.Addr]struct{} // addresses of the line seen in flows
}

func newHostAgg(k hostKey) *hostAgg {
	return &hostAgg{
		key:        k,
		services:   map[svcKey]*svcAgg{},
		connects:   map[svcKey]*svcAgg{},
		attempts:   map[svcKey]*svcAgg{},
		mismatches: map[mmKey]*mmAgg{},
		matched:    map[*rules.Entry]bool{},
		seen:       map[netip.Addr]struct{}{},
	}
}

func (h *hostAgg) sawAddr(a netip.Addr) {
	if len(h.seen) < maxPeers {
		h.seen[a] = struct{}{}
	}
}

func (h *hostAgg) service(m map[svcKey]*svcAgg, k svcKey) *svcAgg {
	s := m[k]
	if s == nil && len(m) >= maxServices {
		k = overflowKey(k.t)
		s = m[k]
	}
	if s == nil {
		s = &svcAgg{key: k}
		m[k] = s
	}
	return s
}

// mmKey names the mismatched flows of a service that carried one protocol.
type mmKey struct {
	svc   svcKey
	proto decoders.Protocol
}

// mmAgg sums mismatched flows, with what the catalog asked for, why the
// payload breaks it, and the evidence of the first such flow.
type mmAgg struct {
	svcAgg
	expected, reason string
	warning          bool
	evidence         string
	obs              rules.Observed // of the first flow, to judge again on reload
}

// mismatch adds a mismatched flow to the host's findings.
func (h *hostAgg) mismatch(k svcKey, j judgement, f *Flow, peer netip.Addr, ex example) {
	mk := mmKey{k, j.proto}
	m := h.mismatches[mk]
	if m == nil {
		m = &mmAgg{svcAgg: svcAgg{key: k, entries: j.entries}, expected: j.payload.Expected, reason: j.payload.Reason, warning: j.payload.Warning}
		h.mismatches[mk] = m
	}
	if m.flows == 0 || exampleBefore(f.first(), ex, m.first, m.example) {
		m.evidence = evidence(&f.class)
		m.reason = j.payload.Reason
		m.obs = j.obs
		m.obs.Protocols = append([]decoders.Protocol(nil), j.obs.Protocols...)
	}
	// A service is only a warning while every flow of it is.
	m.warning = m.warning && j.payload.Warning
	m.add(f, peer, ex, j.proto, j.conf)
}

type unjKey struct {
	server netip.Addr
	svc    svcKey
}

// aggregator judges ended flows and sums them per host and service.
type aggregator struct {
	cat      *rules.Catalog
	inv      *rules.Inventory
	keep     bool
	hosts    map[hostKey]*hostAgg
	unjudged map[unjKey]*svcAgg
	dropped  uint64 // unjudged flows beyond maxUnjudged services
	records  []FlowRecord
	scratch  []*rules.Entry
}

func newAggregator(cat *rules.Catalog, inv *rules.Inventory, keep bool) *aggregator {
	a := &aggregator{
		cat:      cat,
		inv:      inv,
		keep:     keep,
		hosts:    map[hostKey]*hostAgg{},
		unjudged: map[unjKey]*svcAgg{},
	}
	a.declare()
	return a
}

// perAddress reports whether the hosts of line h are reported one by one.
func perAddress(h *rules.Host) bool {
	if h.Single() {
		return true
	}
	return (h.Roles.IsServer() || hasLB(h.Roles)) && h.Size() <= perAddressMax
}

// lbRoles are the load balancer roles.
var lbRoles = rules.NewRoleSet(rules.FrontendLB, rules.DirectorLB, rules.MediationLB, rules.FrontendLBDNS, rules.DirectorLBDNS)

func hasLB(rs rules.RoleSet) bool {
	return rs&lbRoles != 0
}

// declare creates the hosts the report lists even when the capture never
// shows them: a silent server is a finding.
func (a *aggregator) declare() {
	if a.inv == nil {
		return
	}
	for _, h := range a.inv.Hosts {
		if !perAddress(h) {
			if h.Roles.IsServer() || hasLB(h.Roles) {
				a.hostFor(h.First, h)
			}
			continue
		}
		for addr := h.First; addr.IsValid() && addr.Compare(h.Last) <= 0; addr = addr.Next() {
			if a.inv.Lookup(addr) == h {
				a.hostFor(addr, h)
			}
		}
	}
}

func (a *aggregator) hostFor(addr netip.Addr, line *rules.Host) *hostAgg {
	k := hostKey{line: line}
	if perAddress(line) {
		k.addr = addr
	}
	h := a.hosts[k]
	if h == nil {
		h = newHostAgg(k)
		a.hosts[k] = h
	}
	return h
}

// orient decides which side of a new flow serves, before any TCP flags
// are looked at. A side serves its port when its host has a listen entry
// for it, or the other host has a connect entry for it. In order:
//
//  1. a single-port catalog entry on one side only (a Front End's 5061);
//  2. a system port (below 1024) on one side only (DNS, DHCP, HTTP);
//  3. for UDP, the first datagram's destination: UDP has no handshake, and
//     in SIP, STUN, DNS, SQL Browser and media exchanges the first datagram
//     goes to the listener, while both ports are often in ranges the
//     catalog allows (a Front End's media range, a client's 1024-65535);
//  4. for TCP caught mid-stream, the port in the lower IANA class
//     (registered below 49152, then dynamic), then the narrower catalog
//     range, then the lower port.
//
// A SYN or SYN-ACK seen later overrides all of this.
func (a *aggregator) orient(f *Flow, fwd bool) {
	w0, w1 := a.evidence(f, 0), a.evidence(f, 1)
	c0, c1 := portClass(f.Key.PortA), portClass(f.Key.PortB)
	dst := int8(0)
	if fwd {
		dst = 1
	}
	f.serverBy = ByCatalog
	switch {
	case w0 == 1 && w1 != 1:
		f.server = 0
	case w1 == 1 && w0 != 1:
		f.server = 1
	case (c0 == 0) != (c1 == 0):
		f.server, f.serverBy = 0, ByPort
		if c1 == 0 {
			f.server = 1
		}
	case f.Key.Transport == decoders.UDP:
		f.server, f.serverBy = dst, ByPort
	case c0 != c1:
		f.server, f.serverBy = 0, ByPort
		if c1 < c0 {
			f.server = 1
		}
	case w0 != w1:
		f.server = 0
		if w1 < w0 {
			f.server = 1
		}
	case f.Key.PortA != f.Key.PortB:
		f.server, f.serverBy = 0, ByPort
		if f.Key.PortB < f.Key.PortA {
			f.server = 1
		}
	default:
		f.server, f.serverBy = dst, ByPort
	}
}

// portClass returns 0 for system ports, 1 for registered, 2 for dynamic.
func portClass(p uint16) int {
	switch {
	case p < 1024:
		return 0
	case p < 49152:
		return 1
	}
	return 2
}

// noEvidence is the width of an absent catalog match: wider than any range.
const noEvidence = 1 << 17

// evidence returns the width of the narrowest catalog entry saying that
// side s serves its port, or noEvidence.
func (a *aggregator) evidence(f *Flow, s int) int {
	_, port := f.Key.endpoint(s)
	_, peerPort := f.Key.endpoint(1 - s)
	best := noEvidence
	if h := f.hosts[s]; h != nil {
		a.scratch = a.cat.Match(a.scratch[:0], h.Roles, rules.Listen, port, f.Key.Transport)
		best = min(best, narrowest(a.scratch, 0))
	}
	if h := f.hosts[1-s]; h != nil {
		a.scratch = a.cat.Match(a.scratch[:0], h.Roles, rules.Connect, port, f.Key.Transport)
		best = min(best, narrowest(a.scratch, peerPort))
	}
	return best
}

// narrowest returns the width of the narrowest entry, skipping connect
// entries whose local port is not from.
func narrowest(es []*rules.Entry, from uint16) int {
	w := noEvidence
	for _, e := range es {
		if e.From != 0 && from != 0 && e.From != from {
			continue
		}
		w = min(w, int(e.High)-int(e.Low)+1)
	}
	return w
}

// judgement is what judge concluded about one flow.
type judgement struct {
	v       rules.Verdict // 0 when the server is not in the inventory
	verdict string        // expected, unexpected, mismatch, unjudged
	entries []*rules.Entry
	proto   decoders.Protocol
	conf    Confidence
	payload rules.PayloadVerdict
	obs     rules.Observed // what the payload verdict was based on
}

// judge decides a flow's verdict, without recording it anywhere.
func (a *aggregator) judge(f *Flow) judgement {
	s, c := int(f.server), 1-int(f.server)
	_, srvPort := f.Key.endpoint(s)
	t := f.Key.Transport
	j := judgement{verdict: "unjudged", proto: f.class.protocol()}
	if j.proto != decoders.Unknown {
		j.conf = ConfDPI
	}
	if line := f.hosts[s]; line != nil {
		j.v, j.entries = a.cat.Judge(line.Roles, srvPort, t)
		if j.v == rules.Expected {
			var peer rules.RoleSet
			if p := f.hosts[c]; p != nil {
				peer = p.Roles
			}
			j.obs = a.observed(f, peer)
			j.payload = rules.CheckPayload(j.entries, j.obs)
			if !j.payload.OK {
				j.v = rules.Mismatch
			}
		}
		j.verdict = j.v.String()
	}
	if j.conf == ConfNone {
		j.proto, j.conf = guess(j.entries, t, srvPort)
	}
	return j
}

// flow judges an ended flow and adds it to its hosts and services.
func (a *aggregator) flow(f *Flow) {
	s, c := int(f.server), 1-int(f.server)
	srv, srvPort := f.Key.endpoint(s)
	cli, cliPort := f.Key.endpoint(c)
	t := f.Key.Transport
	ref := example{client: netip.AddrPortFrom(cli, cliPort), server: netip.AddrPortFrom(srv, srvPort), t: t, first: f.first()}
	answered := f.answered()
	j := a.judge(f)
	key := serviceKey(srvPort, t, j.entries)
	if line := f.hosts[s]; line != nil {
		h := a.hostFor(srv, line)
		h.sawAddr(srv)
		// A port nobody answered was not served: the attempt is judged
		// (an unexpected one is still a finding) but it does not satisfy
		// the catalog entry.
		m := h.attempts
		if answered {
			m = h.services
			for _, e := range j.entries {
				h.matched[e] = true
			}
		}
		sv := h.service(m, key)
		sv.entries = j.entries
		sv.verdict = max(sv.verdict, j.v) // Mismatch outranks Expected
		sv.add(f, cli, ref, j.proto, j.conf)
		if j.v == rules.Mismatch {
			// A mismatch names its own port, even inside a media range.
			h.mismatch(svcKey{srvPort, srvPort, t}, j, f, cli, ref)
		}
	} else {
		a.unjudge(f, srv, cli, ref, key, j.proto, j.conf)
	}
	if line := f.hosts[c]; line != nil {
		h := a.hostFor(cli, line)
		h.sawAddr(cli)
		if answered {
			a.connect(h, line, f, srv, cliPort, ref, svcKey{srvPort, srvPort, t}, j.proto, j.conf)
		}
	}
	if a.keep {
		a.record(f, ref, j)
	}
}

// observed gathers what payload inspection said about f for the catalog.
func (a *aggregator) observed(f *Flow, peer rules.RoleSet) rules.Observed {
	obs := rules.Observed{
		Protocols: f.class.protocols(),
		Payload:   (f.payload[0] || f.payload[1]) && !f.class.undecided,
		Peer:      peer,
	}
	if d := f.class.detail; d != nil {
		obs.ClientCert = d.ClientCert
	}
	return obs
}

// connect credits the catalog's connect entries that a flow the host
// initiated satisfies.
func (a *aggregator) connect(h *hostAgg, line *rules.Host, f *Flow, srv netip.Addr, cliPort uint16, ref example, key svcKey, p decoders.Protocol, c Confidence) {
	a.scratch = a.cat.Match(a.scratch[:0], line.Roles, rules.Connect, key.port, key.t)
	var hit []*rules.Entry
	for _, e := range a.scratch {
		if e.From == 0 || e.From == cliPort {
			hit = append(hit, e)
		}
	}
	if len(hit) == 0 {
		return
	}
	sv := h.service(h.connects, key)
	sv.verdict, sv.entries = rules.Expected, hit
	sv.add(f, srv, ref, p, c)
	for _, e := range hit {
		h.matched[e] = true
	}
}

func (a *aggregator) unjudge(f *Flow, srv, cli netip.Addr, ref example, key svcKey, p decoders.Protocol, c Confidence) {
	if sv := unjudgedService(a.unjudged, unjKey{srv, key}, &a.dropped); sv != nil {
		sv.add(f, cli, ref, p, c)
	}
}

// unjudgedService returns m's service k of a server outside the
// inventory, making it unless m holds maxUnjudged services already: then
// it counts the flow in *dropped and returns nil.
func unjudgedService(m map[unjKey]*svcAgg, k unjKey, dropped *uint64) *svcAgg {
	sv := m[k]
	if sv == nil {
		if len(m) >= maxUnjudged {
			*dropped++
			return nil
		}
		sv = &svcAgg{key: k.svc}
		m[k] = sv
	}
	return sv
}

// unjudgedNote is the report's warning about the flows unjudgedService
// left out.
func unjudgedNote(dropped uint64) string {
	return strconv.FormatUint(dropped, 10) + " flows to servers outside the inventory were not summarised: more than " + strconv.Itoa(maxUnjudged) + " such services"
}

func (a *aggregator) record(f *Flow, ex example, j judgement) {
	s, cl := f.server, 1-f.server
	ref := ex.ref()
	r := FlowRecord{
		Client: ref.Client, ClientPort: ref.ClientPort, Server: ref.Server, ServerPort: ref.ServerPort,
		Transport: ref.Transport, Protocol: j.proto.String(), Protocols: protocolList(f.class.protocols()),
		Confidence: j.conf.String(), Verdict: j.verdict, Detail: detailMap(&f.class),
		ServerBy: f.serverBy.String(), End: f.end.String(), Unanswered: !f.answered(),
		Packets:         f.dir[0].packets + f.dir[1].packets,
		Bytes:           f.dir[0].bytes + f.dir[1].bytes,
		PacketsToServer: f.dir[cl].packets, PacketsToClient: f.dir[s].packets,
		BytesToServer: f.dir[cl].bytes, BytesToClient: f.dir[s].bytes,
		FirstSeen: ref.FirstSeen, LastSeen: time.Unix(0, f.last()).UTC(),
	}
	for _, e := range j.entries {
		r.Catalog = append(r.Catalog, e.Ref())
	}
	if j.verdict == rules.Mismatch.String() {
		r.Expected, r.Reason, r.Warning = j.payload.Expected, j.payload.Reason, j.payload.Warning
	}
	a.records = append(a.records, r)
}
