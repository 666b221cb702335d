package analyzer

import (
	"cmp"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// RolesSchema names the version of the role inference model, as Schema
// does for the report.
const RolesSchema = "lyncaudit.roles/1"

// The kinds of RoleGuess.
const (
	GuessServer    = "server"    // roles named from the catalog services the host answered on
	GuessClient    = "client"    // it called as clients do, or many peers, and answered only on client ports
	GuessPhone     = "ip-phone"  // a flow it opened showed a Lync Phone Edition device
	GuessAmbiguous = "ambiguous" // the catalog fits several role sets equally
	GuessUnknown   = "unknown"   // an answering host no role set fits
)

// Thresholds of role inference (see InferRoles).
const (
	// minEvidence is how many distinctive catalog services a guess must
	// rest on: one port (443) fits too many roles to name any.
	minEvidence = 2
	// rivalShare: another role set scoring the same whose share reaches
	// this fraction of the best one's makes the host ambiguous.
	rivalShare = 2.0 / 3
	// minClientPeers is how many distinct peers a host must call to be
	// taken for a client.
	minClientPeers = 3
	// maxCandidates bounds the role sets kept per host in the model.
	maxCandidates = 4
	// balancerCallPenalty is taken from balancer role sets of a host seen
	// opening connections: a virtual IP answers, it does not call.
	balancerCallPenalty = 1
)

// commonPorts are catalog ports any Windows or web server answers on
// (HTTP, HTTPS, the RPC endpoint mapper, SMB): they back a guess but cannot
// make one alone, or every domain controller would be a Front End.
var commonPorts = map[portKey]bool{
	{80, decoders.TCP}: true, {135, decoders.TCP}: true, {443, decoders.TCP}: true,
	{445, decoders.TCP}: true, {8080, decoders.TCP}: true,
}

// evidenced reports whether c rests on enough to be a guess: at least
// minEvidence distinctive services, one of them not on commonPorts.
func evidenced(c RoleCandidate) bool { return c.nServed >= minEvidence && c.nSpecific > 0 }

// RoleReport is what role inference found in captures analysed without
// an inventory: a guess for every address that answered (and for the
// clients), the evidence behind each, and the inventory lines the guesses
// give. Like Report it is plain data; nothing in it renders.
type RoleReport struct {
	Schema    string        `json:"schema"`
	Generator string        `json:"generator"`
	Captures  []CaptureInfo `json:"captures"`
	Catalogs  []string      `json:"catalogs"`
	Flows     uint64        `json:"flows"`
	Hosts     []RoleGuess   `json:"hosts"` // by address
	Draft     []DraftLine   `json:"draft"` // the named guesses, consecutive addresses with the same guess as one range
	Warnings  []string      `json:"warnings,omitempty"`
}

// RoleGuess is the inference for one address.
type RoleGuess struct {
	Address string   `json:"address"`
	Kind    string   `json:"kind"`  // GuessServer, GuessClient, GuessPhone, GuessAmbiguous or GuessUnknown
	Roles   []string `json:"roles"` // the guess; none when ambiguous or unknown
	Why     string   `json:"why"`   // the reason, in a sentence
	// Candidates are the role sets behind the guess, best first: the
	// guess and the next best, or the sets an ambiguous host fits.
	Candidates []RoleCandidate `json:"candidates"`
	Services   []ServedPort    `json:"services"` // every port it answered on
	Peers      int             `json:"peers"`    // distinct addresses it opened flows to

	note string // the draft line's note
}

// RoleCandidate is one role set scored against a host's services.
type RoleCandidate struct {
	Roles       []string      `json:"roles"`
	Score       float64       `json:"score"`           // points, minus one per disallowed service, minus one for a balancer that calls
	Points      float64       `json:"points"`          // 1 per distinctive service answered with the payload the catalog asks for, 0.5 with another
	Distinctive int           `json:"distinctive"`     // the role set's distinctive services
	Share       float64       `json:"share"`           // points / distinctive
	Served      []ServedEntry `json:"served"`          // the distinctive services the host answered on
	Lacks       []EntryRef    `json:"lacks"`           // distinctive entries it never answered
	Disallowed  []ServedPort  `json:"disallowed"`      // services no role of the set allows
	Calls       bool          `json:"calls,omitempty"` // a balancer set lost a point: the host opened connections

	set         rules.RoleSet
	model       int // index of the set's model in the scorer
	nServed     int // distinctive services answered
	nSpecific   int // of those, the ones not on commonPorts
	nDisallowed int // services the set does not allow
}

// ServedEntry is a distinctive catalog service a host answered on.
type ServedEntry struct {
	Port      uint16     `json:"port"`
	Transport string     `json:"transport"`
	Protocols []string   `json:"protocols"`
	Points    float64    `json:"points"` // 1, or 0.5 when the payload is not what the catalog asks for
	Catalog   []EntryRef `json:"catalog"`
}

// ServedPort is a port and transport a host answered on.
type ServedPort struct {
	Port      uint16 `json:"port"`
	Transport string `json:"transport"`
	// Protocols are what its flows' payload was named, most flows first;
	// "unknown" for payload nobody named, none when no flow had payload.
	Protocols []string `json:"protocols"`
	Flows     uint64   `json:"flows"`
	Peers     int      `json:"peers"` // distinct addresses that reached it
}

// DraftLine is one line of the draft inventory.
type DraftLine struct {
	Spec  string   `json:"spec"` // an address, or a range first-last
	Roles []string `json:"roles"`
	Note  string   `json:"note"` // why, in a few words
}

// InferRoles guesses, for each address in r's flows, the roles it holds,
// and drafts the inventory lines the guesses give. r must keep its flows
// (Config.KeepFlows); it is best built without an inventory.
//
// A host's services are the ports it answered on: a TCP port that sent
// more than a lone reset back, any UDP port a flow reached (as analyze
// judges them). Each role set the catalog knows is scored against them:
// every role alone, the combinations its entries name (frontend+mediation,
// frontend+cms, frontend-lb+mediation-lb) and their unions. A set's
// distinctive services are its single-port listen entries, leaving out
// media ranges and the ports every server role has (SQL Browser, 1434),
// which say nothing about which role. The host earns a point for each
// distinctive service it answered on with the payload the entry asks for
// (or none), half a point with another payload, and loses a point for each
// service no entry of the set allows; balancer sets lose one more when the
// host opened connections, since a virtual IP answers and does not call.
// Share is the points over the set's distinctive services: a host
// answering 80, 443, 5061, 5080 and 8080 fills 5 of frontend-lb's 14 and
// 5 of frontend's 26.
//
// Sets rank by score, then share, then fewer roles. The best is the guess
// when it rests on at least two distinctive services, it allows at least
// half of the host's services, and no other set with the same score
// (other than the best plus roles nothing showed) reaches two thirds of
// its share. Failing that, a host that answered only on client ports (no
// port a single-port catalog entry names, on either side) is an ip-phone
// when a flow it opened carried a Lync Phone Edition user agent or DHCP
// vendor class, and a client when it called a port the catalog's client
// entries name (5061, 443, 3478, DHCP from 68) or at least three peers.
// Any other host is ambiguous between the sets scoring the same when the
// best earns a point and allows half its services, and an unknown server
// when it answered on anything.
//
// A deployment has one Central Management store: when several Front End
// guesses answer on its port (445), the one reached there by more peers
// that do not serve 445 themselves (replicas) keeps cms, and the others
// are guessed again without it; on a tie none keeps it.
func InferRoles(r *Report, cat *rules.Catalog) *RoleReport {
	out := &RoleReport{
		Schema: RolesSchema, Generator: r.Generator, Captures: r.Captures, Catalogs: r.Catalogs,
		Flows: r.Totals.Flows, Hosts: []RoleGuess{}, Draft: []DraftLine{}, Warnings: slices.Clone(r.Warnings),
	}
	if r.Flows == nil {
		out.Warnings = append(out.Warnings, "the report kept no flows, so no roles could be inferred")
		return out
	}
	sc := newRoleScorer(cat)
	acts := sc.gather(r.Flows)
	guesses := make([]RoleGuess, len(acts))
	for i, a := range acts {
		guesses[i] = sc.guess(a, 0)
	}
	if w := sc.settleCMS(acts, guesses); w != "" {
		out.Warnings = append(out.Warnings, w)
	}
	for _, g := range guesses {
		if g.Kind != "" {
			out.Hosts = append(out.Hosts, g)
		}
	}
	out.Draft = draftLines(acts, guesses)
	return out
}

// activity is what one address did in the capture.
type activity struct {
	addr   netip.Addr
	served map[portKey]*servedAgg
	called map[netip.Addr]struct{} // peers it opened flows to, at most maxPeers
	phone  bool                    // a flow it opened showed a Lync Phone Edition device
	client bool                    // a flow it opened used a connect entry of the catalog's clients
}

type portKey struct {
	port uint16
	t    decoders.Transport
}

// servedAgg sums the answered flows to one port of a host.
type servedAgg struct {
	protos map[string]uint64
	flows  uint64
	peers  map[netip.Addr]struct{} // at most maxPeers
}

// gather folds flow records into the activity of each address, sorted
// by address.
func (sc *roleScorer) gather(flows []FlowRecord) []*activity {
	m := map[netip.Addr]*activity{}
	get := func(a netip.Addr) *activity {
		x := m[a]
		if x == nil {
			x = &activity{addr: a, served: map[portKey]*servedAgg{}, called: map[netip.Addr]struct{}{}}
			m[a] = x
		}
		return x
	}
	for i := range flows {
		f := &flows[i]
		srv, err1 := netip.ParseAddr(f.Server)
		cli, err2 := netip.ParseAddr(f.Client)
		t, ok := decoders.ParseTransport(f.Transport)
		if err1 != nil || err2 != nil || !ok {
			continue
		}
		if hostAddr(cli) {
			c := get(cli)
			addPeer(c.called, srv)
			c.phone = c.phone || phoneFlow(f)
			c.client = c.client || sc.clientCall(f.ServerPort, t, f.ClientPort)
		}
		if !hostAddr(srv) || !answeredRecord(f) {
			continue
		}
		s := get(srv)
		k := portKey{f.ServerPort, t}
		sv := s.served[k]
		if sv == nil {
			sv = &servedAgg{protos: map[string]uint64{}, peers: map[netip.Addr]struct{}{}}
			s.served[k] = sv
		}
		sv.flows++
		addPeer(sv.peers, cli)
		switch {
		case len(f.Protocols) > 0:
			for _, p := range f.Protocols {
				sv.protos[p]++
			}
		case f.Detail["first-bytes"] != "":
			sv.protos[decoders.Unknown.String()]++
		}
	}
	acts := make([]*activity, 0, len(m))
	for _, a := range m {
		acts = append(acts, a)
	}
	slices.SortFunc(acts, func(x, y *activity) int { return x.addr.Compare(y.addr) })
	return acts
}

// hostAddr reports whether a can be one host's address: not unspecified
// (a DHCP client before it has one), multicast or the IPv4 broadcast.
func hostAddr(a netip.Addr) bool {
	return a.IsGlobalUnicast() || a.IsLinkLocalUnicast() || a.IsLoopback()
}

func addPeer(m map[netip.Addr]struct{}, a netip.Addr) {
	if len(m) < maxPeers {
		m[a] = struct{}{}
	}
}

// answeredRecord reports whether the server of f answered, as the
// aggregator's Flow.answered decides: UDP always; TCP when the server sent
// something other than a lone reset.
func answeredRecord(f *FlowRecord) bool {
	if f.Transport != decoders.TCP.String() {
		return true
	}
	return f.PacketsToClient > 1 || (f.PacketsToClient == 1 && f.End != EndRST.String())
}

// phoneFlow reports whether f, seen from its client, shows a Lync Phone
// Edition device: its SIP or HTTP user agent ("OCPhone/4.0…", "… Lync
// Phone Edition …") or its DHCP vendor class (CPE-OCPHONE), sent from the
// device's own port 68 (not relayed).
func phoneFlow(f *FlowRecord) bool {
	ua := strings.ToLower(f.Detail["user-agent"])
	if strings.Contains(ua, "phone edition") || strings.HasPrefix(ua, "ocphone") {
		return true
	}
	return f.ClientPort == 68 && strings.EqualFold(f.Detail["vendor-class"], "CPE-OCPHONE")
}

// services lists a's served ports, by port and transport.
func (a *activity) services() []ServedPort {
	out := make([]ServedPort, 0, len(a.served))
	for k, sv := range a.served {
		out = append(out, ServedPort{Port: k.port, Transport: k.t.String(), Protocols: rankedNames(sv.protos), Flows: sv.flows, Peers: len(sv.peers)})
	}
	slices.SortFunc(out, func(x, y ServedPort) int {
		return cmp.Or(cmp.Compare(x.Port, y.Port), cmp.Compare(x.Transport, y.Transport))
	})
	return out
}

// rankedNames lists the keys of m by count, most first, then by name.
func rankedNames(m map[string]uint64) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.SortFunc(names, func(x, y string) int { return cmp.Or(cmp.Compare(m[y], m[x]), cmp.Compare(x, y)) })
	return names
}

// roleModel is what scoring needs of the catalog for one role set.
type roleModel struct {
	set         rules.RoleSet
	listen      []*rules.Entry // listen entries that apply to the set
	distinctive []distinctive  // its distinctive services, by port
	balancer    bool           // every role of the set is a load balancer's
}

// distinctive is one distinctive service of a role set: a port, a
// transport and the entries that list it.
type distinctive struct {
	key     portKey
	entries []*rules.Entry
}

// roleScorer scores hosts against the role sets a catalog knows.
type roleScorer struct {
	cat     *rules.Catalog
	models  []roleModel
	single  map[portKey]bool // ports a single-port entry names, on either side: a server's port
	cmsKeys map[portKey]bool // ports only the Central Management store's holder serves
	scratch []*rules.Entry
}

func newRoleScorer(cat *rules.Catalog) *roleScorer {
	sc := &roleScorer{cat: cat, single: map[portKey]bool{}, cmsKeys: map[portKey]bool{}}
	fe, feCMS := rules.NewRoleSet(rules.Frontend), rules.NewRoleSet(rules.Frontend, rules.CMS)
	for _, e := range cat.Entries {
		if e.Empty() || e.Low != e.High {
			continue
		}
		for _, k := range entryKeys(e) {
			sc.single[k] = true
			if e.Side == rules.Listen && e.Roles.Matches(feCMS) && !e.Roles.Matches(fe) {
				sc.cmsKeys[k] = true
			}
		}
	}
	for _, set := range roleSets(cat) {
		sc.models = append(sc.models, sc.model(set))
	}
	return sc
}

// entryKeys returns the port of a single-port entry on each of its
// transports.
func entryKeys(e *rules.Entry) []portKey {
	var ks []portKey
	for _, t := range []decoders.Transport{decoders.TCP, decoders.UDP} {
		if e.Transports.Has(t) {
			ks = append(ks, portKey{e.Low, t})
		}
	}
	return ks
}

// roleSets returns the role sets inference considers: each set a listen
// entry's condition names (cms with frontend, as an inventory gives it),
// and the union of any two of those that share a role. Clients and phones
// are told by other means.
func roleSets(cat *rules.Catalog) []rules.RoleSet {
	var sets []rules.RoleSet
	add := func(s rules.RoleSet) {
		if s.Has(rules.CMS) {
			s = s.With(rules.Frontend)
		}
		if !s.Empty() && !s.Has(rules.Client) && !s.Has(rules.IPPhone) && !slices.Contains(sets, s) {
			sets = append(sets, s)
		}
	}
	for _, e := range cat.Entries {
		if e.Side == rules.Listen && !e.Empty() {
			for _, s := range e.Roles.Any {
				add(s)
			}
		}
	}
	for _, a := range slices.Clone(sets) {
		for _, b := range slices.Clone(sets) {
			if a&b != 0 {
				add(a | b)
			}
		}
	}
	slices.SortFunc(sets, func(x, y rules.RoleSet) int {
		return cmp.Or(cmp.Compare(bits.OnesCount32(uint32(x)), bits.OnesCount32(uint32(y))), cmp.Compare(x, y))
	})
	return sets
}

// model builds the scoring model of one role set.
func (sc *roleScorer) model(set rules.RoleSet) roleModel {
	m := roleModel{set: set, balancer: true}
	for _, r := range set.Roles() {
		m.balancer = m.balancer && isBalancer(r)
	}
	index := map[portKey]int{}
	for _, e := range sc.cat.ForRoles(set) {
		if e.Side != rules.Listen {
			continue
		}
		m.listen = append(m.listen, e)
		if e.Low != e.High || e.Media || everyServer(e) {
			continue
		}
		for _, k := range entryKeys(e) {
			i, ok := index[k]
			if !ok {
				i = len(m.distinctive)
				index[k] = i
				m.distinctive = append(m.distinctive, distinctive{key: k})
			}
			m.distinctive[i].entries = append(m.distinctive[i].entries, e)
		}
	}
	slices.SortFunc(m.distinctive, func(x, y distinctive) int {
		return cmp.Or(cmp.Compare(x.key.port, y.key.port), cmp.Compare(x.key.t, y.key.t))
	})
	return m
}

// isBalancer reports whether r is a hardware load balancer's role.
func isBalancer(r rules.Role) bool { return !r.IsServer() && r != rules.Client && r != rules.IPPhone }

// everyServer reports whether e applies to each server role alone, as
// SQL Browser does: such a port tells servers from the rest, not one role
// from another.
func everyServer(e *rules.Entry) bool {
	for _, r := range rules.AllRoles() {
		if r.IsServer() && !e.Roles.Matches(rules.NewRoleSet(r)) {
			return false
		}
	}
	return true
}

// allows reports whether some listen entry of m covers the port and
// transport of k.
func (m *roleModel) allows(k portKey) bool {
	for _, e := range m.listen {
		if e.Covers(k.port, k.t) {
			return true
		}
	}
	return false
}

// hostService is a service of the host being scored, with its key.
type hostService struct {
	key portKey
	ServedPort
}

// keyed returns services with their keys, and an index by key.
func keyed(services []ServedPort) ([]hostService, map[portKey]int) {
	hs := make([]hostService, len(services))
	index := make(map[portKey]int, len(services))
	for i, s := range services {
		t, _ := decoders.ParseTransport(s.Transport)
		hs[i] = hostService{portKey{s.Port, t}, s}
		index[hs[i].key] = i
	}
	return hs, index
}

// score scores the set of m against a host's services, counting only:
// explain fills in the evidence for the candidates that are kept.
func (m *roleModel) score(hs []hostService, index map[portKey]int, calls bool) RoleCandidate {
	c := RoleCandidate{Distinctive: len(m.distinctive), Calls: calls && m.balancer, set: m.set}
	for _, s := range hs {
		if !m.allows(s.key) {
			c.nDisallowed++
		}
	}
	for _, d := range m.distinctive {
		if i, ok := index[d.key]; ok {
			c.nServed++
			if !commonPorts[d.key] {
				c.nSpecific++
			}
			c.Points += d.points(hs[i].Protocols)
		}
	}
	c.Score = c.Points - float64(c.nDisallowed)
	if c.Calls {
		c.Score -= balancerCallPenalty
	}
	if c.Distinctive > 0 {
		c.Share = c.Points / float64(c.Distinctive)
	}
	return c
}

// points is what answering d with protos earns: 1 when some entry's
// payload fits, else 0.5.
func (d *distinctive) points(protos []string) float64 {
	for _, e := range d.entries {
		if payloadFits(e, protos) {
			return 1
		}
	}
	return 0.5
}

// explain fills in c's evidence: the distinctive services the host
// answered on, those it lacks, and the services the set does not allow.
func (m *roleModel) explain(c *RoleCandidate, hs []hostService, index map[portKey]int) {
	c.Roles = roleIDs(m.set)
	c.Served, c.Lacks, c.Disallowed = []ServedEntry{}, []EntryRef{}, []ServedPort{}
	for _, s := range hs {
		if !m.allows(s.key) {
			c.Disallowed = append(c.Disallowed, s.ServedPort)
		}
	}
	for _, d := range m.distinctive {
		i, ok := index[d.key]
		if !ok {
			for _, e := range d.entries {
				c.Lacks = append(c.Lacks, entryRef(e))
			}
			continue
		}
		s := hs[i]
		se := ServedEntry{Port: s.Port, Transport: s.Transport, Protocols: s.Protocols, Points: d.points(s.Protocols)}
		for _, e := range d.entries {
			se.Catalog = append(se.Catalog, entryRef(e))
		}
		c.Served = append(c.Served, se)
	}
}

// payloadFits reports whether a service whose flows carried protos fits
// what e asks of the payload: e asks nothing, no flow carried payload (no
// evidence either way), or one of protos is what e expects.
func payloadFits(e *rules.Entry, protos []string) bool {
	if len(e.Expect) == 0 || len(protos) == 0 {
		return true
	}
	for _, p := range e.Expect {
		if slices.Contains(protos, p.String()) {
			return true
		}
	}
	return false
}

// rank scores every role set but those holding a role of exclude, best
// first.
func (sc *roleScorer) rank(hs []hostService, index map[portKey]int, calls bool, exclude rules.RoleSet) []RoleCandidate {
	cs := make([]RoleCandidate, 0, len(sc.models))
	for i := range sc.models {
		if sc.models[i].set&exclude == 0 {
			c := sc.models[i].score(hs, index, calls)
			c.model = i
			cs = append(cs, c)
		}
	}
	slices.SortStableFunc(cs, func(x, y RoleCandidate) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(y.Share, x.Share), cmp.Compare(bits.OnesCount32(uint32(x.set)), bits.OnesCount32(uint32(y.set))))
	})
	return cs
}

// redundant reports whether c is a set ranked better (b) plus roles that
// add nothing: the same score with more roles.
func redundant(c, b RoleCandidate) bool {
	return c.set != b.set && c.set.Contains(b.set) && c.Score == b.Score
}

// distinct drops from cs, ranked best first, the candidates that only add
// roles to a better one.
func distinct(cs []RoleCandidate) []RoleCandidate {
	var out []RoleCandidate
	for _, c := range cs {
		if !slices.ContainsFunc(out, func(b RoleCandidate) bool { return redundant(c, b) }) {
			out = append(out, c)
		}
	}
	return out
}

// guess infers the roles of the host a, leaving out role sets holding a
// role of exclude. A host that neither answered nor is a client gives a
// guess with no Kind.
func (sc *roleScorer) guess(a *activity, exclude rules.RoleSet) RoleGuess {
	services := a.services()
	g := RoleGuess{Address: a.addr.String(), Roles: []string{}, Candidates: []RoleCandidate{}, Services: services, Peers: len(a.called)}
	hs, index := keyed(services)
	cs := distinct(sc.rank(hs, index, len(a.called) > 0, exclude))
	var best RoleCandidate
	if len(cs) > 0 {
		best = cs[0]
	}
	var tied []RoleCandidate // the sets the host fits as well as the best
	for _, c := range cs[min(1, len(cs)):] {
		if c.Score == best.Score && c.Share >= best.Share*rivalShare {
			tied = append(tied, c)
		}
	}
	allowedMost := 2*best.nDisallowed <= len(services)
	switch {
	case evidenced(best) && allowedMost && len(tied) == 0:
		g.Kind = GuessServer
		g.Candidates = sc.explain(cs[:min(2, len(cs))], hs, index)
		g.Roles = g.Candidates[0].Roles
		g.Why = serverWhy(g.Candidates[0])
	case sc.clientPorts(hs) && a.phone:
		g.Kind, g.Roles = GuessPhone, []string{rules.IPPhone.String()}
		g.Why = "a flow it opened came from a Lync Phone Edition device"
		g.note = "Lync Phone Edition device"
	case sc.clientPorts(hs) && (a.client || len(a.called) >= minClientPeers):
		g.Kind, g.Roles = GuessClient, []string{rules.Client.String()}
		g.note = "opened flows to " + strconv.Itoa(len(a.called)) + " peers"
		if a.client {
			g.note = "called ports Lync clients call"
		}
		g.Why = "it " + g.note + " and answered only on client ports"
	case best.Points >= 1 && allowedMost:
		g.Kind = GuessAmbiguous
		if !evidenced(best) {
			// Too little evidence to weigh shares: every set with the
			// best score fits.
			tied = tied[:0]
			for _, c := range cs[1:] {
				if c.Score == best.Score {
					tied = append(tied, c)
				}
			}
		}
		g.Candidates = sc.explain(append([]RoleCandidate{best}, tied[:min(len(tied), maxCandidates-1)]...), hs, index)
		g.Why = ambiguousWhy(g.Candidates[0], len(tied))
	case len(services) > 0:
		g.Kind = GuessUnknown
		g.Why = "no role's distinctive catalog services fit what it answered on"
		if best.Points >= 1 {
			g.Candidates = sc.explain(cs[:1], hs, index)
			g.Why = "the best fit, " + strings.Join(g.Candidates[0].Roles, "+") + ", allows too few of its services"
		}
	}
	return g
}

// explain fills in the evidence of the candidates cs, in place, and
// returns them.
func (sc *roleScorer) explain(cs []RoleCandidate, hs []hostService, index map[portKey]int) []RoleCandidate {
	for i := range cs {
		sc.models[cs[i].model].explain(&cs[i], hs, index)
	}
	return cs
}

// clientCall reports whether a flow from local port from to port on t
// is one the catalog's clients make.
func (sc *roleScorer) clientCall(port uint16, t decoders.Transport, from uint16) bool {
	sc.scratch = sc.cat.Match(sc.scratch[:0], rules.NewRoleSet(rules.Client), rules.Connect, port, t)
	for _, e := range sc.scratch {
		if e.From == 0 || e.From == from {
			return true
		}
	}
	return false
}

// clientPorts reports whether a client may answer on every one of
// services and none is a port a single-port entry names: one that some
// role serves, or connects to (a PSTN gateway's 5081).
func (sc *roleScorer) clientPorts(hs []hostService) bool {
	client := rules.NewRoleSet(rules.Client)
	for _, s := range hs {
		if sc.single[s.key] {
			return false
		}
		if v, _ := sc.cat.Judge(client, s.key.port, s.key.t); v != rules.Expected {
			return false
		}
	}
	return true
}

func serverWhy(c RoleCandidate) string {
	s := "it answered on " + strconv.Itoa(len(c.Served)) + " of the " + strconv.Itoa(c.Distinctive) +
		" distinctive catalog services of " + strings.Join(c.Roles, "+")
	if n := len(c.Disallowed); n > 0 {
		s += "; no role of the guess allows " + portList(c.Disallowed)
	}
	return s
}

// ambiguousWhy says why no guess was made for a host whose best set is
// best, with others sets scoring the same.
func ambiguousWhy(best RoleCandidate, others int) string {
	ports := portList(servedPorts(best.Served))
	fit := " role sets fit"
	if others == 0 {
		fit = " fits, on too little evidence to name it"
		return evidenceWhy(best, ports) + "; only " + strings.Join(best.Roles, "+") + fit
	}
	if !evidenced(best) {
		return evidenceWhy(best, ports) + "; " + strconv.Itoa(others+1) + fit
	}
	return "its services fit " + strconv.Itoa(others+1) + " role sets about as well"
}

// evidenceWhy says what little evidence best rests on.
func evidenceWhy(best RoleCandidate, ports string) string {
	if best.nServed < minEvidence {
		return "only " + ports + " fits the catalog"
	}
	return "only ports any Windows or web server answers on (" + ports + ") fit the catalog"
}

func servedPorts(ses []ServedEntry) []ServedPort {
	ps := make([]ServedPort, len(ses))
	for i, se := range ses {
		ps[i] = ServedPort{Port: se.Port, Transport: se.Transport}
	}
	return ps
}

// portList writes ports as "23/tcp, 445/tcp".
func portList(ps []ServedPort) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = strconv.Itoa(int(p.Port)) + "/" + p.Transport
	}
	return strings.Join(ss, ", ")
}

// settleCMS keeps cms for one host at most: see InferRoles. It returns a
// warning when several hosts claim it and none stands out.
func (sc *roleScorer) settleCMS(acts []*activity, guesses []RoleGuess) string {
	cms := rules.CMS.String()
	var claims []int
	for i, g := range guesses {
		if g.Kind == GuessServer && slices.Contains(g.Roles, cms) {
			claims = append(claims, i)
		}
	}
	if len(claims) < 2 {
		return ""
	}
	serving := map[netip.Addr]bool{}
	for _, a := range acts {
		for k := range a.served {
			if sc.cmsKeys[k] {
				serving[a.addr] = true
			}
		}
	}
	holder, most, tie := -1, -1, false
	for _, i := range claims {
		n := sc.replicas(acts[i], serving)
		switch {
		case n > most:
			holder, most, tie = i, n, false
		case n == most:
			tie = true
		}
	}
	var warning string
	if tie {
		holder = -1
		var addrs []string
		for _, i := range claims {
			addrs = append(addrs, guesses[i].Address)
		}
		warning = strings.Join(addrs, ", ") + " all answer like the Central Management store's holder, which a deployment has one of; none is named cms"
	}
	for _, i := range claims {
		if i == holder {
			continue
		}
		g := sc.guess(acts[i], rules.NewRoleSet(rules.CMS))
		if holder >= 0 {
			g.Why += "; the Central Management store is on " + guesses[holder].Address
		}
		guesses[i] = g
	}
	return warning
}

// replicas counts the peers that reached a on a Central Management store
// port and serve none themselves.
func (sc *roleScorer) replicas(a *activity, serving map[netip.Addr]bool) int {
	seen := map[netip.Addr]bool{}
	for k, sv := range a.served {
		if !sc.cmsKeys[k] {
			continue
		}
		for p := range sv.peers {
			if !serving[p] {
				seen[p] = true
			}
		}
	}
	return len(seen)
}

// draftLines turns the named guesses into inventory lines, joining
// consecutive addresses with the same guess into a range.
func draftLines(acts []*activity, guesses []RoleGuess) []DraftLine {
	lines := []DraftLine{}
	var last netip.Addr
	var first netip.Addr
	var n int
	for i, g := range guesses {
		if g.Kind != GuessServer && g.Kind != GuessClient && g.Kind != GuessPhone {
			continue
		}
		a := acts[i].addr
		if k := len(lines) - 1; k >= 0 && last.Next() == a && slices.Equal(lines[k].Roles, g.Roles) {
			n++
			lines[k].Spec = first.String() + "-" + a.String()
			lines[k].Note = strconv.Itoa(n) + " addresses guessed alike"
			last = a
			continue
		}
		first, last, n = a, a, 1
		lines = append(lines, DraftLine{Spec: a.String(), Roles: g.Roles, Note: draftNote(g)})
	}
	return lines
}

// draftNote says in a few words why a guess was made.
func draftNote(g RoleGuess) string {
	if g.Kind != GuessServer {
		return g.note
	}
	c := g.Candidates[0]
	s := strconv.Itoa(len(c.Served)) + " of " + strconv.Itoa(c.Distinctive) + " catalog services"
	if len(c.Disallowed) > 0 {
		s += "; not allowed: " + portList(c.Disallowed)
	}
	return s
}
