package analyzer

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// ReportFile is a report and the name of the file it was read from, which
// error messages and the combined report's notes cite.
type ReportFile struct {
	Name   string
	Report *Report
}

// sameFlowWithin is how far apart two sensors may date the first packet of
// one flow: their clocks and their distances from the hosts differ.
const sameFlowWithin = time.Second

// maxCombinedBuckets bounds a combined timeline: sensors whose captures lie
// far apart get longer buckets rather than millions of empty ones.
const maxCombinedBuckets = 1 << 16

// Combine merges the reports of sensors that watched the same network
// (several SPAN ports), each made with the same inventory and with flow
// records, into one report of the same schema that counts every flow once.
//
// A flow in two reports is one flow when its canonical five-tuple is the
// same and its first packets lie within a second of each other; the record
// with more packets is kept. From the unique flows Combine computes again
// the hosts' services, connects and attempts (flows, packets, bytes, first
// and last seen, protocols, peers, verdict), the unexpected and mismatch
// findings, the servers outside the inventory and the flow totals. A
// catalog entry is missing when every report listing the host has it
// missing. Frames outside flows (undecodable, filtered, outside the time
// window) cannot be told apart by sensor: they are added up. Timelines are
// added up, coarsened to the longest bucket, less the packets of each
// flow's records not kept, taken off the buckets the flow spans in
// proportion (see uncount); the unanswered connections are counted again
// from the unique flows. A report whose captures repeat an
// earlier one's (the same files read again) adds only its flows, so a
// report combined with itself is unchanged.
//
// Whether a TCP flow was answered (older records do not say) and the
// catalog range its port counts under are taken from the report the
// record came from: the host lists the service either among its services
// or among its attempts. Only when it lists the port in both does the
// record decide (an attempt when the server sent nothing, or one reset
// after a SYN).
//
// Errors are *ReportError values naming the file: ErrSchema, ErrNoFlows
// for a report without flow records, ErrIncompatible for reports of
// different inventories, ErrBadReport for a record that does not parse.
func Combine(inputs []ReportFile) (*Report, error) {
	if len(inputs) == 0 {
		return nil, errors.New("no reports to combine")
	}
	c := &combiner{inputs: inputs, hostIdx: map[string]*combHost{}, tuples: map[combTuple][]int{}}
	for i := range inputs {
		if err := c.check(i); err != nil {
			return nil, err
		}
	}
	if err := c.collectHosts(); err != nil {
		return nil, err
	}
	for i := range inputs {
		if err := c.collectFlows(i); err != nil {
			return nil, err
		}
	}
	for i := range c.flows {
		c.count(&c.flows[i])
	}
	return c.report()
}

// combiner holds the state of one Combine.
type combiner struct {
	inputs  []ReportFile
	repeats []bool // the input's captures repeat an earlier input's

	hosts   []*combHost          // every inventory host of every input, in report order
	hostIdx map[string]*combHost // by address
	inv     *rules.Inventory     // a line per host, to look flow addresses up
	lines   map[*rules.Host]*combHost

	flows  []combFlow
	tuples map[combTuple][]int // indexes into flows
	copies []combFlow          // the records not kept of flows several inputs saw

	unjudged map[unjKey]*svcAgg
	dropped  uint64
	builtin  map[string]*rules.Entry
}

// combHost is one host of the combined report.
type combHost struct {
	report  HostReport // what the first report listing it says; services recomputed
	line    *rules.Host
	agg     *hostAgg
	inputs  []*HostReport // the host in each input, nil where not listed
	missing []EntryRef    // missing in every input listing it
	// The catalog references each recomputed service cites, by list.
	catalogs [3]map[svcKey][]EntryRef
}

// The lists of a host a service sits in, indexes into serviceLists and
// combHost.catalogs.
const (
	listServices = iota
	listConnects
	listAttempts
)

// combTuple is a flow's canonical five-tuple: the lower endpoint first.
type combTuple struct {
	a, b netip.AddrPort
	t    decoders.Transport
}

// combFlow is one unique flow and the input its record came from.
type combFlow struct {
	rec            *FlowRecord
	src            int // the input the record came from
	last           int // the last input that matched it
	tuple          combTuple
	client, server netip.AddrPort
	t              decoders.Transport
	first, end     int64
	proto          decoders.Protocol
	conf           Confidence
	verdict        rules.Verdict // 0 when unjudged
	answered       bool          // the server sent more than resets
}

// check refuses an input that is not a report with flow records.
func (c *combiner) check(i int) error {
	in := c.inputs[i]
	r := in.Report
	fail := func(err error) error { return &ReportError{File: in.Name, Offset: -1, Err: err} }
	switch {
	case r == nil:
		return fail(fmt.Errorf("%w: empty", ErrBadReport))
	case r.Schema != Schema:
		return fail(fmt.Errorf("%w %q (want %s)", ErrSchema, r.Schema, Schema))
	case r.Flows == nil && r.Totals.Flows > 0:
		return fail(fmt.Errorf("%w: the report counts %d flows but lists none", ErrNoFlows, r.Totals.Flows))
	}
	c.repeats = append(c.repeats, false)
	sig := captureSignature(r)
	for j := range i {
		if captureSignature(c.inputs[j].Report) == sig {
			c.repeats[i] = true
			break
		}
	}
	return nil
}

// captureSignature names the captures a report read and its time window:
// two reports with the same signature read the same packets.
func captureSignature(r *Report) string {
	var b strings.Builder
	for _, ci := range r.Captures {
		fmt.Fprintf(&b, "%q %s %d %d %d %d\n", ci.Name, ci.Format, ci.Packets, ci.Bytes, ci.FirstSeen.UnixNano(), ci.LastSeen.UnixNano())
	}
	if w := r.Window; w != nil {
		fmt.Fprintf(&b, "window %d %d\n", w.Since.UnixNano(), w.Until.UnixNano())
	}
	return b.String()
}

// collectHosts gathers the hosts of every input and checks that the inputs
// judged them alike: the same roles for an address, and the same hosts
// reported address by address (the inventory declares those whether or
// not the capture shows them).
func (c *combiner) collectHosts() error {
	var declared map[string]bool
	for i, in := range c.inputs {
		fail := func(format string, args ...any) error {
			return &ReportError{File: in.Name, Offset: -1, Err: fmt.Errorf("%w: "+format, append([]any{ErrIncompatible}, args...)...)}
		}
		mine := map[string]bool{}
		for j := range in.Report.Hosts {
			hr := &in.Report.Hosts[j]
			if _, err := netip.ParseAddr(hr.Address); err == nil {
				mine[hr.Address] = true
			}
			h := c.hostIdx[hr.Address]
			if h == nil {
				line, err := hostLine(hr)
				if err != nil {
					return &ReportError{File: in.Name, Offset: -1, Err: err}
				}
				h = &combHost{report: *hr, line: line, inputs: make([]*HostReport, len(c.inputs))}
				c.hostIdx[hr.Address] = h
				c.hosts = append(c.hosts, h)
			} else if !slices.Equal(h.report.Roles, hr.Roles) {
				return fail("%s has roles %s here and %s in %s", hr.Address, strings.Join(hr.Roles, ","), strings.Join(h.report.Roles, ","), c.inputs[firstListing(h)].Name)
			}
			h.inputs[i] = hr
		}
		if i == 0 {
			declared = mine
			continue
		}
		for a := range declared {
			if !mine[a] {
				return fail("%s, a host of %s, is not in this report", a, c.inputs[0].Name)
			}
		}
		for a := range mine {
			if !declared[a] {
				return fail("%s is not in %s", a, c.inputs[0].Name)
			}
		}
	}
	slices.SortStableFunc(c.hosts, func(x, y *combHost) int {
		return cmp.Or(x.line.First.Compare(y.line.First), cmp.Compare(inventoryLineNumber(x.report.Line), inventoryLineNumber(y.report.Line)))
	})
	c.inv = &rules.Inventory{}
	c.lines = map[*rules.Host]*combHost{}
	for _, h := range c.hosts {
		c.inv.Hosts = append(c.inv.Hosts, h.line)
		c.lines[h.line] = h
		h.agg = newHostAgg(hostKey{line: h.line})
		for k := range h.catalogs {
			h.catalogs[k] = map[svcKey][]EntryRef{}
		}
		h.missing = intersectMissing(h.inputs)
	}
	c.unjudged = map[unjKey]*svcAgg{}
	return nil
}

func firstListing(h *combHost) int {
	for i, hr := range h.inputs {
		if hr != nil {
			return i
		}
	}
	return 0
}

// hostLine makes an inventory line for a reported host: its address, or
// for a range reported as one host, the prefix or range it was written as.
func hostLine(hr *HostReport) (*rules.Host, error) {
	var roles rules.RoleSet
	for _, id := range hr.Roles {
		r, ok := rules.ParseRole(id)
		if !ok {
			return nil, fmt.Errorf("%w: host %s has unknown role %q", ErrBadReport, hr.Address, id)
		}
		roles = roles.With(r)
	}
	inv, err := rules.ParseInventory(strings.NewReader(hr.Address+" client\n"), "report")
	if err != nil || len(inv.Hosts) != 1 || strings.ContainsAny(hr.Address, " \t#") {
		return nil, fmt.Errorf("%w: host %q is not an address, prefix or range", ErrBadReport, hr.Address)
	}
	line := inv.Hosts[0]
	line.Roles, line.Name = roles, hr.Name
	return line, nil
}

// inventoryLineNumber returns the line of "file:line", or 0.
func inventoryLineNumber(pos string) int {
	i := strings.LastIndexByte(pos, ':')
	n, err := strconv.Atoi(pos[i+1:])
	if err != nil {
		return 0
	}
	return n
}

// intersectMissing returns the entries missing in every report listing
// the host, in catalog order.
func intersectMissing(hrs []*HostReport) []EntryRef {
	out := []EntryRef{}
	var first *HostReport
	for _, hr := range hrs {
		if hr != nil {
			first = hr
			break
		}
	}
	if first == nil {
		return out
	}
	for _, e := range first.Missing {
		everywhere := true
		for _, hr := range hrs {
			if hr != nil && !slices.ContainsFunc(hr.Missing, func(m EntryRef) bool { return m.Ref == e.Ref }) {
				everywhere = false
				break
			}
		}
		if everywhere {
			out = append(out, e)
		}
	}
	return out
}

// collectFlows adds the flow records of input i, folding each into a flow
// another input already holds when it is the same flow.
func (c *combiner) collectFlows(i int) error {
	in := c.inputs[i]
	for j := range in.Report.Flows {
		f, err := parseRecord(&in.Report.Flows[j])
		if err != nil {
			return &ReportError{File: in.Name, Offset: -1, Flow: j + 1, Err: err}
		}
		f.src, f.last = i, i
		best, bestGap := -1, int64(0)
		for _, k := range c.tuples[f.tuple] {
			o := &c.flows[k]
			if o.last == i {
				continue // the input's own records are distinct flows
			}
			gap := f.first - o.first
			if gap < 0 {
				gap = -gap
			}
			if gap <= int64(sameFlowWithin) && (best < 0 || gap < bestGap) {
				best, bestGap = k, gap
			}
		}
		if best < 0 {
			c.tuples[f.tuple] = append(c.tuples[f.tuple], len(c.flows))
			c.flows = append(c.flows, f)
			continue
		}
		o := &c.flows[best]
		if f.rec.Packets > o.rec.Packets {
			*o, f = f, *o
		}
		c.copies = append(c.copies, f)
		o.last = i
	}
	return nil
}

// parseRecord reads the addresses, transport and verdict of a record.
func parseRecord(r *FlowRecord) (combFlow, error) {
	f := combFlow{rec: r, first: r.FirstSeen.UnixNano(), end: r.LastSeen.UnixNano()}
	cli, err := netip.ParseAddr(r.Client)
	if err != nil {
		return f, fmt.Errorf("%w: client %q is not an address", ErrBadReport, r.Client)
	}
	srv, err := netip.ParseAddr(r.Server)
	if err != nil {
		return f, fmt.Errorf("%w: server %q is not an address", ErrBadReport, r.Server)
	}
	var ok bool
	if f.t, ok = decoders.ParseTransport(r.Transport); !ok {
		return f, fmt.Errorf("%w: transport %q is neither tcp nor udp", ErrBadReport, r.Transport)
	}
	if f.proto, ok = decoders.ParseProtocol(r.Protocol); !ok {
		return f, fmt.Errorf("%w: unknown protocol %q", ErrBadReport, r.Protocol)
	}
	if f.conf, ok = parseConfidence(r.Confidence); !ok {
		return f, fmt.Errorf("%w: unknown confidence %q", ErrBadReport, r.Confidence)
	}
	if r.Verdict != "unjudged" {
		if f.verdict, ok = rules.ParseVerdict(r.Verdict); !ok || f.verdict == rules.Missing {
			return f, fmt.Errorf("%w: unknown verdict %q", ErrBadReport, r.Verdict)
		}
	}
	f.client, f.server = netip.AddrPortFrom(cli, r.ClientPort), netip.AddrPortFrom(srv, r.ServerPort)
	f.tuple = combTuple{f.client, f.server, f.t}
	if f.server.Compare(f.client) < 0 {
		f.tuple.a, f.tuple.b = f.server, f.client
	}
	return f, nil
}

func parseConfidence(s string) (Confidence, bool) {
	for c, name := range confNames {
		if name == s {
			return Confidence(c), true
		}
	}
	return 0, false
}

// addTo adds flow f to the aggregate s, with peer as its peer, as
// svcAgg.add does for a flow of the engine.
func (f *combFlow) addTo(s *svcAgg, peer netip.Addr) {
	ex := example{client: f.client, server: f.server, t: f.t, first: f.first}
	s.tally(f.first, f.end, f.rec.Packets, f.rec.Bytes, f.oneWay(), peer, ex, f.proto, f.conf)
}

// oneWay reports whether a UDP flow's server never sent on it.
func (f *combFlow) oneWay() bool { return f.t == decoders.UDP && f.rec.PacketsToClient == 0 }

// count adds a unique flow to its hosts' services, as the engine does
// when a flow ends.
func (c *combiner) count(f *combFlow) {
	srv := c.lines[c.inv.Lookup(f.server.Addr())]
	cli := c.lines[c.inv.Lookup(f.client.Addr())]
	f.answered = !refused(f.rec)
	if srv != nil {
		srv.agg.sawAddr(f.server.Addr())
		var key svcKey
		var list int
		f.answered, list, key = srv.place(f)
		m := srv.agg.services
		if list == listAttempts {
			m = srv.agg.attempts
		}
		sv := srv.agg.service(m, key)
		sv.verdict = max(sv.verdict, f.verdict)
		f.addTo(sv, f.client.Addr())
		if _, ok := srv.catalogs[list][sv.key]; !ok {
			srv.catalogs[list][sv.key] = srv.catalogOf(f.src, list, sv.key)
		}
		if f.verdict == rules.Mismatch {
			srv.mismatch(f)
		}
	} else {
		c.unjudge(f)
	}
	if cli != nil {
		cli.agg.sawAddr(f.client.Addr())
		if f.answered {
			c.connect(cli, f)
		}
	}
}

// refused reports whether a TCP flow's server answered nothing but resets,
// as its record says or, for a record written before it said so, as far
// as it tells: the server sent nothing, or, after a SYN, a single packet
// ending the flow with a reset.
func refused(r *FlowRecord) bool {
	if r.Transport != "tcp" {
		return false
	}
	return r.Unanswered || r.PacketsToClient == 0 || (r.ServerBy == "syn" && r.End == "reset" && r.PacketsToClient == 1)
}

// place decides where flow f counts for its server's host: the list
// (services or attempts) and the service key the report it came from used,
// which say whether the server answered and which catalog range the port
// falls in.
func (h *combHost) place(f *combFlow) (answered bool, list int, key svcKey) {
	port := f.server.Port()
	key = svcKey{port, port, f.t}
	answered = !refused(f.rec)
	hr := h.inputs[f.src]
	if hr == nil {
		return answered, listOf(answered), key
	}
	sk, inServices := findService(hr.Services, port, f.t)
	ak, inAttempts := findService(hr.Attempts, port, f.t)
	switch {
	case f.t != decoders.TCP:
		answered = true
	case inServices && !inAttempts:
		answered = true
	case inAttempts && !inServices:
		answered = false
	}
	switch {
	case answered && inServices, !answered && !inAttempts && inServices:
		key = sk
	case inAttempts:
		key = ak
	}
	return answered, listOf(answered), key
}

func listOf(answered bool) int {
	if answered {
		return listServices
	}
	return listAttempts
}

// findService returns the key of the service of ss that port counts
// under: the port itself, or else the narrowest range holding it.
func findService(ss []Service, port uint16, t decoders.Transport) (svcKey, bool) {
	var best svcKey
	found := false
	for _, s := range ss {
		if s.Transport != t.String() {
			continue
		}
		end := max(s.PortEnd, s.Port)
		if port < s.Port || port > end {
			continue
		}
		if end == s.Port {
			return svcKey{port, port, t}, true
		}
		if !found || int(end)-int(s.Port) < int(best.end)-int(best.port) {
			best, found = svcKey{s.Port, end, t}, true
		}
	}
	return best, found
}

// catalogOf returns the catalog references the service key of list cites
// in input i.
func (h *combHost) catalogOf(i, list int, key svcKey) []EntryRef {
	hr := h.inputs[i]
	if hr == nil {
		return []EntryRef{}
	}
	ss := [][]Service{hr.Services, hr.Connects, hr.Attempts}[list]
	for _, s := range ss {
		if s.Port == key.port && max(s.PortEnd, s.Port) == key.end && s.Transport == key.t.String() {
			return slices.Clone(s.Catalog)
		}
	}
	return []EntryRef{}
}

// mismatch adds a mismatched flow to its host's findings.
func (h *combHost) mismatch(f *combFlow) {
	port := f.server.Port()
	mk := mmKey{svcKey{port, port, f.t}, f.proto}
	m := h.agg.mismatches[mk]
	if m == nil {
		m = &mmAgg{svcAgg: svcAgg{key: mk.svc}, warning: f.rec.Warning}
		h.agg.mismatches[mk] = m
	}
	ex := example{client: f.client, server: f.server, t: f.t, first: f.first}
	if m.flows == 0 || exampleBefore(f.first, ex, m.first, m.example) {
		m.expected, m.reason, m.evidence = f.rec.Expected, f.rec.Reason, detailText(f.rec.Detail)
	}
	m.warning = m.warning && f.rec.Warning
	f.addTo(&m.svcAgg, f.client.Addr())
}

// connect credits the client host's connect service the flow satisfies:
// one the report it came from lists for the port, when the entries it
// cites do not ask for another local port.
func (c *combiner) connect(h *combHost, f *combFlow) {
	hr := h.inputs[f.src]
	if hr == nil {
		return
	}
	port := f.server.Port()
	for _, s := range hr.Connects {
		if s.Port != port || s.PortEnd > s.Port || s.Transport != f.t.String() || !c.fromAllowed(s.Catalog, f.client.Port()) {
			continue
		}
		key := svcKey{port, port, f.t}
		sv := h.agg.service(h.agg.connects, key)
		sv.verdict = rules.Expected
		f.addTo(sv, f.server.Addr())
		if _, ok := h.catalogs[listConnects][sv.key]; !ok {
			h.catalogs[listConnects][sv.key] = slices.Clone(s.Catalog)
		}
		return
	}
}

// fromAllowed reports whether a flow from local port from satisfies one of
// the connect entries refs. The built-in catalog says which entries ask
// for a local port (DHCP's 68); an entry it does not hold is taken to
// ask for none.
func (c *combiner) fromAllowed(refs []EntryRef, from uint16) bool {
	if c.builtin == nil {
		c.builtin = map[string]*rules.Entry{}
		for _, e := range rules.Builtin().Entries {
			c.builtin[e.Ref()] = e
		}
	}
	for _, r := range refs {
		e := c.builtin[r.Ref]
		if e == nil || e.From == 0 || e.From == from {
			return true
		}
	}
	return len(refs) == 0
}

func (c *combiner) unjudge(f *combFlow) {
	port := f.server.Port()
	if sv := unjudgedService(c.unjudged, unjKey{f.server.Addr(), svcKey{port, port, f.t}}, &c.dropped); sv != nil {
		f.addTo(sv, f.client.Addr())
	}
}

// report builds the combined report.
func (c *combiner) report() (*Report, error) {
	r := &Report{
		Schema: Schema, Generator: c.inputs[0].Report.Generator, Captures: []CaptureInfo{},
		Hosts: []HostReport{}, Findings: []Finding{}, Unjudged: []Unjudged{}, Flows: []FlowRecord{},
	}
	ci := c.cited()
	for _, h := range c.hosts {
		hr, fs := h.hostReport(ci)
		r.Hosts = append(r.Hosts, hr)
		r.Findings = append(r.Findings, fs...)
	}
	slices.SortStableFunc(r.Findings, func(x, y Finding) int { return cmp.Compare(kindRank(y.Kind), kindRank(x.Kind)) })
	r.Unjudged = unjudgedList(c.unjudged)
	// Sorting pointers moves less than sorting the records.
	recs := make([]*FlowRecord, len(c.flows))
	for i := range c.flows {
		recs[i] = c.flows[i].rec
	}
	slices.SortFunc(recs, func(x, y *FlowRecord) int { return compareRecords(*x, *y) })
	r.Flows = make([]FlowRecord, len(recs))
	for i, rec := range recs {
		r.Flows[i] = *rec
	}
	c.totals(r)
	r.Totals.Verdicts = countVerdicts(r)
	tl, err := c.timeline(r.Findings)
	if err != nil {
		return nil, err
	}
	r.Timeline = tl
	c.notes(r)
	return r, nil
}

// cited gathers from the inputs' findings what the flow records do not
// hold: the detail of each missing finding, by host and catalog reference,
// and the catalog references of each mismatch finding.
type cited struct {
	missing    map[diffMissingKey]string
	mismatches map[diffFindingKey][]EntryRef
}

func (c *combiner) cited() cited {
	ci := cited{missing: map[diffMissingKey]string{}, mismatches: map[diffFindingKey][]EntryRef{}}
	for _, in := range c.inputs {
		for _, f := range in.Report.Findings {
			switch {
			case f.Kind == rules.Missing.String() && len(f.Catalog) > 0:
				ci.missing[diffMissingKey{f.Host, f.Catalog[0].Ref}] = untried(f.Detail)
			case f.Kind == rules.Mismatch.String():
				ci.mismatches[diffFindingKey{f.Kind, f.Host, f.Port, f.Transport, f.Protocol}] = f.Catalog
			}
		}
	}
	return ci
}

// hostReport returns the host's report and findings, in the order the
// engine gives them.
func (h *combHost) hostReport(ci cited) (HostReport, []Finding) {
	hr := h.report
	hr.Seen = len(h.agg.seen) > 0
	hr.Addresses = 0
	if !perAddress(h.line) {
		hr.Addresses = len(h.agg.seen)
	}
	lists := []*[]Service{&hr.Services, &hr.Connects, &hr.Attempts}
	for i, m := range []map[svcKey]*svcAgg{h.agg.services, h.agg.connects, h.agg.attempts} {
		ss := services(m)
		for j := range ss {
			end := max(ss[j].PortEnd, ss[j].Port)
			t, _ := decoders.ParseTransport(ss[j].Transport)
			if refs := h.catalogs[i][svcKey{ss[j].Port, end, t}]; refs != nil {
				ss[j].Catalog = refs
			}
		}
		*lists[i] = ss
	}
	hr.Missing = h.missing
	var mismatches []Finding
	for _, f := range mismatchFindings(h.agg, hr) {
		f.Catalog = findingCatalog(f, ci.mismatches, hr.Services)
		mismatches = append(mismatches, f)
	}
	fs := hostFindings(hr, h.line.Roles, mismatches, func(ref EntryRef) string { return ci.missing[diffMissingKey{hr.Address, ref.Ref}] })
	return hr, fs
}

// findingCatalog returns the catalog references of a mismatch finding: as
// an input's finding for the same port and protocol cites them, or else
// those of the service holding the port.
func findingCatalog(f Finding, byFinding map[diffFindingKey][]EntryRef, ss []Service) []EntryRef {
	if refs, ok := byFinding[diffFindingKey{f.Kind, f.Host, f.Port, f.Transport, f.Protocol}]; ok {
		return slices.Clone(refs)
	}
	port, _ := strconv.Atoi(f.Port)
	for _, s := range ss {
		if s.Transport == f.Transport && port >= int(s.Port) && port <= int(max(s.PortEnd, s.Port)) && len(s.Catalog) > 0 {
			return slices.Clone(s.Catalog)
		}
	}
	return nil
}

// totals adds up the flow totals of the unique flows and the other
// counters of every input that read captures of its own.
func (c *combiner) totals(r *Report) {
	t := &r.Totals
	t.Flows = uint64(len(c.flows))
	t.Undecodable = map[string]uint64{}
	for i := range c.flows {
		t.Packets += c.flows[i].rec.Packets
		t.Bytes += c.flows[i].rec.Bytes
	}
	t.Decoded = t.Packets
	filter := ""
	for i, in := range c.inputs {
		it := in.Report.Totals
		t.MaxFlows = max(t.MaxFlows, it.MaxFlows)
		if i == 0 {
			filter = it.Filter
		} else if it.Filter != filter {
			filter = ""
		}
		if c.repeats[i] {
			continue
		}
		r.Captures = append(r.Captures, in.Report.Captures...)
		var fp, fb uint64
		for _, f := range in.Report.Flows {
			fp += f.Packets
			fb += f.Bytes
		}
		// Frames in no flow (undecodable, filtered, outside the window)
		// are each sensor's own.
		t.Packets += sub(it.Packets, fp)
		t.Decoded += sub(it.Decoded, fp)
		t.Bytes += sub(it.Bytes, fb)
		t.Filtered += it.Filtered
		t.OutsideWindow += it.OutsideWindow
		for k, n := range it.Undecodable {
			t.Undecodable[k] += n
		}
		t.Evicted += it.Evicted
		t.PeakFlows += it.PeakFlows
		if !it.FirstSeen.IsZero() && (t.FirstSeen.IsZero() || it.FirstSeen.Before(t.FirstSeen)) {
			t.FirstSeen = it.FirstSeen
		}
		if it.LastSeen.After(t.LastSeen) {
			t.LastSeen = it.LastSeen
		}
	}
	t.Filter = filter
}

// sub returns a-b, or 0 when b is larger.
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// notes sets what the combined report says about where it came from: the
// inventory and catalogs, the time window, and the warnings of the inputs
// with one of its own.
func (c *combiner) notes(r *Report) {
	var names, invs []string
	sameWindow := true
	for i, in := range c.inputs {
		names = append(names, in.Name)
		if in.Report.Inventory != "" && !slices.Contains(invs, in.Report.Inventory) {
			invs = append(invs, in.Report.Inventory)
		}
		for _, cat := range in.Report.Catalogs {
			if !slices.Contains(r.Catalogs, cat) {
				r.Catalogs = append(r.Catalogs, cat)
			}
		}
		for _, w := range in.Report.Warnings {
			if !slices.Contains(r.Warnings, w) {
				r.Warnings = append(r.Warnings, w)
			}
		}
		if i > 0 && !sameWindowOf(in.Report.Window, c.inputs[0].Report.Window) {
			sameWindow = false
		}
	}
	if r.Catalogs == nil {
		r.Catalogs = []string{}
	}
	r.Inventory = strings.Join(invs, ", ")
	if sameWindow && c.inputs[0].Report.Window != nil {
		w := *c.inputs[0].Report.Window
		r.Window = &w
	}
	if len(c.inputs) > 1 {
		note := "combined from " + strconv.Itoa(len(c.inputs)) + " reports (" + strings.Join(names, ", ") +
			"): each flow counted once; frames outside flows add up every sensor's, and the timeline's buckets share out the flows several sensors saw"
		for i, rep := range c.repeats {
			if rep {
				note += "; " + c.inputs[i].Name + " read the same captures as an earlier report: only its flows were used"
			}
		}
		r.Warnings = append(r.Warnings, note)
	}
	if !sameWindow {
		r.Warnings = append(r.Warnings, "the reports analysed different time windows")
	}
	if c.dropped > 0 {
		r.Warnings = append(r.Warnings, unjudgedNote(c.dropped))
	}
}

func sameWindowOf(x, y *Window) bool {
	if x == nil || y == nil {
		return x == y
	}
	return x.Since.Equal(y.Since) && x.Until.Equal(y.Until)
}

// timeline adds up the inputs' timelines, coarsened to the longest bucket,
// less the records not kept, counts the unanswered connections of the
// unique flows, and attaches the combined findings to the buckets they
// started in.
func (c *combiner) timeline(findings []Finding) (*Timeline, error) {
	var dur int64
	var tls []*Timeline
	lo, hi := int64(math.MaxInt64), int64(0)
	for i, in := range c.inputs {
		tl := in.Report.Timeline
		if tl == nil || c.repeats[i] {
			continue
		}
		d, err := bucketLength(tl)
		if err != nil {
			return nil, &ReportError{File: in.Name, Offset: -1, Err: err}
		}
		for _, b := range tl.Buckets {
			if b.Start.Before(minBucketStart) || b.Start.After(maxBucketStart) {
				return nil, &ReportError{File: in.Name, Offset: -1, Err: fmt.Errorf("%w: timeline bucket at %s", ErrBadReport, b.Start.Format(time.RFC3339))}
			}
			lo, hi = min(lo, b.Start.UnixNano()), max(hi, b.Start.UnixNano())
		}
		dur = max(dur, d)
		tls = append(tls, tl)
	}
	if len(tls) == 0 {
		return nil, nil
	}
	for lo <= hi && (hi-lo)/dur >= maxCombinedBuckets {
		dur *= 2
	}
	out := &Timeline{Bucket: time.Duration(dur).String(), BucketSeconds: float64(dur) / 1e9, Buckets: []Bucket{}}
	if lo > hi {
		return out, nil
	}
	first := lo - lo%dur
	n := (hi-hi%dur-first)/dur + 1
	for i := range n {
		out.Buckets = append(out.Buckets, Bucket{Start: nanoTime(first + i*dur), Protocols: map[string]Count{}, Roles: map[string]Count{}, Findings: []int{}})
	}
	for _, tl := range tls {
		for _, b := range tl.Buckets {
			ob := &out.Buckets[(b.Start.UnixNano()-first)/dur]
			ob.Packets += b.Packets
			ob.Bytes += b.Bytes
			addCounts(ob.Protocols, b.Protocols)
			addCounts(ob.Roles, b.Roles)
		}
	}
	for i := range c.copies {
		if f := &c.copies[i]; c.inputs[f.src].Report.Timeline != nil && !c.repeats[f.src] {
			c.uncount(out, first, dur, f)
		}
	}
	// The unanswered connections are counted again from the unique flows,
	// so that one two sensors saw counts once.
	in := func(t time.Time) bool { return !t.Before(out.Buckets[0].Start) && t.Before(nanoTime(first+n*dur)) }
	for i := range c.flows {
		f := &c.flows[i]
		if !in(f.rec.FirstSeen) {
			continue
		}
		if f.t == decoders.TCP && !f.answered {
			out.Buckets[(f.first-first)/dur].Unanswered++
		}
		if f.oneWay() {
			out.Buckets[(f.first-first)/dur].OneWay++
		}
	}
	for i, f := range findings {
		if in(f.FirstSeen) {
			j := (f.FirstSeen.UnixNano() - first) / dur
			out.Buckets[j].Findings = append(out.Buckets[j].Findings, i)
		}
	}
	return out, nil
}

// uncount takes off the timeline what the record not kept of a flow two
// inputs saw added to its input's timeline. Records do not say which
// bucket each packet fell in: the packets and bytes come off the buckets
// from the first packet's to the last's in proportion to what each holds
// for the server's roles (all of it, for a flow within one bucket), under
// those roles and the record's protocol (or unknown, as the flow was
// before it was named), never below zero.
func (c *combiner) uncount(out *Timeline, first, dur int64, f *combFlow) {
	role := "none"
	if h := c.lines[c.inv.Lookup(f.server.Addr())]; h != nil {
		role = joinRoles(h.line.Roles)
	}
	n := int64(len(out.Buckets))
	b0 := min(max((f.first-first)/dur, 0), n-1)
	b1 := min(max((f.rec.LastSeen.UnixNano()-first)/dur, b0), n-1)
	var heldPkts, heldBytes uint64
	for j := b0; j <= b1; j++ {
		heldPkts += out.Buckets[j].Roles[role].Packets
		heldBytes += out.Buckets[j].Roles[role].Bytes
	}
	var cumPkts, cumBytes, donePkts, doneBytes uint64
	for j := b0; j <= b1; j++ {
		b := &out.Buckets[j]
		held := b.Roles[role]
		cumPkts, cumBytes = cumPkts+held.Packets, cumBytes+held.Bytes
		pk := share(f.rec.Packets, cumPkts, heldPkts) - donePkts
		by := share(f.rec.Bytes, cumBytes, heldBytes) - doneBytes
		donePkts, doneBytes = donePkts+pk, doneBytes+by
		pk, by = min(pk, b.Packets), min(by, b.Bytes)
		b.Packets, b.Bytes = b.Packets-pk, b.Bytes-by
		takeCount(b.Roles, role, pk, by)
		// Each packet counted under the flow's name when it came: the
		// record's, an earlier one's (stun, then rtp), unknown before any.
		for _, p := range slices.Concat([]string{f.rec.Protocol}, f.rec.Protocols, []string{decoders.Unknown.String()}) {
			pk, by = takeCount(b.Protocols, p, pk, by)
		}
		for _, p := range slices.Sorted(maps.Keys(b.Protocols)) {
			pk, by = takeCount(b.Protocols, p, pk, by)
		}
	}
}

// share returns total × part / whole, rounded down, without overflow;
// all of total when whole is zero or part is whole.
func share(total, part, whole uint64) uint64 {
	if whole == 0 || part >= whole {
		return total
	}
	hi, lo := bits.Mul64(total, part)
	q, _ := bits.Div64(hi, lo, whole)
	return q
}

// takeCount takes up to packets and bytes off m[key], dropping the key
// when nothing is left, and returns what it could not take.
func takeCount(m map[string]Count, key string, packets, bytes uint64) (uint64, uint64) {
	c, ok := m[key]
	if !ok {
		return packets, bytes
	}
	p, b := min(packets, c.Packets), min(bytes, c.Bytes)
	c.Packets, c.Bytes = c.Packets-p, c.Bytes-b
	if c.Packets == 0 && c.Bytes == 0 {
		delete(m, key)
	} else {
		m[key] = c
	}
	return packets - p, bytes - b
}

// The span of time a timeline bucket may start in: Unix nanoseconds hold
// it without overflow, and the arithmetic above stays positive.
var (
	minBucketStart = time.Unix(0, 0)
	maxBucketStart = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// bucketLength returns a timeline's bucket length in nanoseconds.
func bucketLength(tl *Timeline) (int64, error) {
	d, err := time.ParseDuration(tl.Bucket)
	if err != nil || d <= 0 {
		d = time.Duration(tl.BucketSeconds * 1e9)
	}
	if d <= 0 || d > 24*time.Hour*365*100 {
		return 0, fmt.Errorf("%w: timeline bucket %q is not a length", ErrBadReport, tl.Bucket)
	}
	return int64(d), nil
}

func addCounts(dst, src map[string]Count) {
	for k, v := range src {
		c := dst[k]
		c.Packets += v.Packets
		c.Bytes += v.Bytes
		dst[k] = c
	}
}
