package analyzer

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// report turns the aggregates into the report model: hosts, findings and
// the summary of servers outside the inventory.
func (a *aggregator) report() *Report {
	r := &Report{Hosts: []HostReport{}, Findings: []Finding{}, Unjudged: []Unjudged{}}
	keys := make([]hostKey, 0, len(a.hosts))
	for k := range a.hosts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareHostKeys)
	for _, k := range keys {
		hr, fs := a.hostReport(a.hosts[k])
		r.Hosts = append(r.Hosts, hr)
		r.Findings = append(r.Findings, fs...)
	}
	slices.SortStableFunc(r.Findings, func(x, y Finding) int { return cmp.Compare(kindRank(y.Kind), kindRank(x.Kind)) })
	r.Unjudged = unjudgedList(a.unjudged)
	if a.dropped > 0 {
		r.Warnings = append(r.Warnings, unjudgedNote(a.dropped))
	}
	if a.keep {
		r.Flows = a.records
		if r.Flows == nil {
			r.Flows = []FlowRecord{}
		}
		slices.SortFunc(r.Flows, compareRecords)
	}
	return r
}

// unjudgedList summarises the services of servers outside the inventory,
// busiest first.
func unjudgedList(m map[unjKey]*svcAgg) []Unjudged {
	out := make([]Unjudged, 0, len(m))
	for k, sv := range m {
		out = append(out, Unjudged{
			Server: k.server.String(), Port: k.svc.port, Transport: k.svc.t.String(),
			Protocols: protoNames(sv.protos), Flows: sv.flows, Packets: sv.packets, Bytes: sv.bytes,
			Clients: len(sv.peers), FirstSeen: nanoTime(sv.first), LastSeen: nanoTime(sv.last),
		})
	}
	slices.SortFunc(out, func(x, y Unjudged) int {
		return cmp.Or(cmp.Compare(y.Flows, x.Flows), cmp.Compare(x.Server, y.Server), cmp.Compare(x.Port, y.Port), cmp.Compare(x.Transport, y.Transport))
	})
	return out
}

// kindRank orders findings in the report, most serious first.
func kindRank(kind string) int {
	switch kind {
	case "mismatch":
		return 3
	case "unexpected":
		return 2
	case "missing":
		return 1
	}
	return 0
}

func compareHostKeys(x, y hostKey) int {
	xa, ya := x.addr, y.addr
	if !xa.IsValid() {
		xa = x.line.First
	}
	if !ya.IsValid() {
		ya = y.line.First
	}
	return cmp.Or(xa.Compare(ya), cmp.Compare(x.line.Pos.Line, y.line.Pos.Line))
}

func (a *aggregator) hostReport(h *hostAgg) (HostReport, []Finding) {
	line := h.key.line
	hr := HostReport{
		Address: line.Spec, Name: line.Name, Roles: roleIDs(line.Roles), Line: line.Pos.String(),
		Seen: len(h.seen) > 0, Services: services(h.services), Connects: services(h.connects),
		Attempts: services(h.attempts), Missing: []EntryRef{},
	}
	if h.key.addr.IsValid() {
		hr.Address = h.key.addr.String()
	} else {
		hr.Addresses = len(h.seen)
	}
	details := map[string]string{}
	for _, e := range a.cat.ForRoles(line.Roles) {
		if h.matched[e] {
			continue
		}
		ref := entryRef(e)
		hr.Missing = append(hr.Missing, ref)
		details[ref.Ref] = missingDetail(e)
	}
	fs := hostFindings(hr, line.Roles, mismatchFindings(h, hr), func(ref EntryRef) string { return details[ref.Ref] })
	return hr, fs
}

// hostFindings returns the findings of a host's report, in the order the
// report gives them: unexpected services, the mismatches given, unexpected
// ports others only tried, and the missing entries, each with the detail
// missing gives it. A missing listen entry that others tried in vain (the
// firewall in front of the server drops them) carries those attempts as
// its flows, so that the finding says what the capture shows.
func hostFindings(hr HostReport, roles rules.RoleSet, mismatches []Finding, missing func(EntryRef) string) []Finding {
	var fs []Finding
	unexpected := func(sv Service, note string) {
		if sv.Verdict != rules.Unexpected.String() {
			return
		}
		ex := sv.Example
		fs = append(fs, Finding{
			Kind: sv.Verdict, Host: hr.Address, Name: hr.Name, Roles: hr.Roles,
			Port: sv.PortText(), Transport: sv.Transport, Protocol: first(sv.Protocols),
			Flows: sv.Flows, Packets: sv.Packets, Bytes: sv.Bytes, FirstSeen: sv.FirstSeen, LastSeen: sv.LastSeen,
			Example: &ex, Detail: "the catalog lists no " + sv.PortText() + "/" + sv.Transport + " for " + roles.String() + note,
		})
	}
	for _, sv := range hr.Services {
		note := ""
		if slices.Contains(sv.Protocols, "rtp") {
			note = "; it carries rtp outside any media range the catalog gives these roles"
		}
		unexpected(sv, note)
	}
	fs = append(fs, mismatches...)
	for _, sv := range hr.Attempts {
		unexpected(sv, "; attempted, never answered")
	}
	for _, ref := range hr.Missing {
		f := Finding{
			Kind: rules.Missing.String(), Host: hr.Address, Name: hr.Name, Roles: hr.Roles,
			Port: ref.Port, Transport: ref.Transport, Protocol: ref.Protocol,
			Catalog: []EntryRef{ref}, Detail: missing(ref),
		}
		triedInVain(&f, ref, hr.Attempts)
		fs = append(fs, f)
	}
	return fs
}

// triedInVain credits a missing finding with the attempts on the ports
// of its listen entry: their flows, packets, bytes, times and earliest
// example, and a note in the detail.
func triedInVain(f *Finding, ref EntryRef, attempts []Service) {
	lo, hi, ok := portSpan(ref.Port)
	if !ok || ref.Side != rules.Listen.String() {
		return
	}
	for _, sv := range attempts {
		if sv.Port < lo || sv.Port > hi || !slices.Contains(strings.Split(ref.Transport, "+"), sv.Transport) {
			continue
		}
		f.Flows += sv.Flows
		f.Packets += sv.Packets
		f.Bytes += sv.Bytes
		if f.FirstSeen.IsZero() || sv.FirstSeen.Before(f.FirstSeen) {
			f.FirstSeen = sv.FirstSeen
			ex := sv.Example
			f.Example = &ex
		}
		if sv.LastSeen.After(f.LastSeen) {
			f.LastSeen = sv.LastSeen
		}
	}
	switch {
	case f.Flows == 1:
		f.Detail += "; 1 connection to it " + neverAnswered
	case f.Flows > 1:
		f.Detail += "; " + strconv.FormatUint(f.Flows, 10) + " connections to it " + neverAnswered
	}
}

// neverAnswered ends the note triedInVain adds to a missing finding.
const neverAnswered = "went unanswered"

// untried returns a missing finding's detail without triedInVain's note.
func untried(detail string) string {
	if i := strings.LastIndex(detail, "; "); i >= 0 && strings.HasSuffix(detail, neverAnswered) {
		return detail[:i]
	}
	return detail
}

// mismatchFindings returns one finding per service and observed protocol
// whose payload breaks what the catalog asks for.
func mismatchFindings(h *hostAgg, hr HostReport) []Finding {
	keys := make([]mmKey, 0, len(h.mismatches))
	for k := range h.mismatches {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y mmKey) int {
		return cmp.Or(cmp.Compare(x.svc.port, y.svc.port), cmp.Compare(x.svc.t, y.svc.t), cmp.Compare(x.proto, y.proto))
	})
	var fs []Finding
	for _, k := range keys {
		m := h.mismatches[k]
		ex := m.example.ref()
		f := Finding{
			Kind: rules.Mismatch.String(), Host: hr.Address, Name: hr.Name, Roles: hr.Roles,
			Port: portText(k.svc), Transport: k.svc.t.String(), Protocol: k.proto.String(),
			Expected: m.expected, Warning: m.warning, Flows: m.flows, Packets: m.packets, Bytes: m.bytes,
			FirstSeen: nanoTime(m.first), LastSeen: nanoTime(m.last), Example: &ex, Detail: m.reason,
			Evidence: m.evidence,
		}
		for _, e := range m.entries {
			f.Catalog = append(f.Catalog, entryRef(e))
		}
		fs = append(fs, f)
	}
	return fs
}

// portEnd returns the last port of a range service, or 0 for one port.
func portEnd(k svcKey) uint16 {
	if k.end > k.port {
		return k.end
	}
	return 0
}

func portText(k svcKey) string {
	if k.end > k.port {
		return strconv.Itoa(int(k.port)) + "-" + strconv.Itoa(int(k.end))
	}
	return strconv.Itoa(int(k.port))
}

func missingDetail(e *rules.Entry) string {
	what := e.Service
	if what == "" {
		what = e.Source
	}
	if e.Side == rules.Connect {
		return "never seen connecting to " + e.PortText() + "/" + e.Transports.String() + " (" + what + ")"
	}
	return "never seen serving " + e.PortText() + "/" + e.Transports.String() + " (" + what + ")"
}

func services(m map[svcKey]*svcAgg) []Service {
	out := make([]Service, 0, len(m))
	for _, sv := range m {
		s := Service{
			Port: sv.key.port, PortEnd: portEnd(sv.key), Transport: sv.key.t.String(), Protocols: protoNames(sv.protos),
			Confidence: sv.conf.String(), Catalog: []EntryRef{},
			Flows: sv.flows, OneWay: sv.oneWay, Packets: sv.packets, Bytes: sv.bytes, Peers: len(sv.peers),
			FirstSeen: nanoTime(sv.first), LastSeen: nanoTime(sv.last), Example: sv.example.ref(),
		}
		if sv.verdict != 0 {
			s.Verdict = sv.verdict.String()
		}
		for _, e := range sv.entries {
			s.Catalog = append(s.Catalog, entryRef(e))
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y Service) int {
		return cmp.Or(cmp.Compare(x.Port, y.Port), cmp.Compare(x.Transport, y.Transport))
	})
	return out
}

func entryRef(e *rules.Entry) EntryRef {
	return EntryRef{
		Ref: e.Ref(), Table: e.Table, Row: e.Row, Service: e.Service, Port: e.PortText(),
		Transport: e.Transports.String(), Protocol: e.Protocol, Side: e.Side.String(),
	}
}

// protoNames lists protocols by flow count, most first, then by name.
func protoNames(m map[decoders.Protocol]uint64) []string {
	ps := make([]decoders.Protocol, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(x, y decoders.Protocol) int {
		return cmp.Or(cmp.Compare(m[y], m[x]), cmp.Compare(x.String(), y.String()))
	})
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return names
}

func roleIDs(rs rules.RoleSet) []string {
	var ids []string
	for _, r := range rs.Roles() {
		ids = append(ids, r.String())
	}
	return ids
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func nanoTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// countVerdicts counts services and missing entries by verdict.
func countVerdicts(r *Report) map[string]int {
	m := map[string]int{}
	for _, h := range r.Hosts {
		for _, s := range h.Services {
			m[s.Verdict]++
		}
		m[rules.Missing.String()] += len(h.Missing)
	}
	return m
}

// compareRecords orders flow records by first packet, then by endpoints,
// so that the order does not depend on when flows ended.
func compareRecords(x, y FlowRecord) int {
	return cmp.Or(x.FirstSeen.Compare(y.FirstSeen), cmp.Compare(x.Client, y.Client), cmp.Compare(x.ClientPort, y.ClientPort),
		cmp.Compare(x.Server, y.Server), cmp.Compare(x.ServerPort, y.ServerPort), cmp.Compare(x.Transport, y.Transport),
		x.LastSeen.Compare(y.LastSeen))
}
