package analyzer

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors wrapped by every [ReportError], so that callers can tell
// the kinds of bad report apart with errors.Is.
var (
	ErrNotReport    = errors.New("not a lyncaudit report")
	ErrSchema       = errors.New("unsupported report schema")
	ErrBadReport    = errors.New("malformed report")
	ErrNoFlows      = errors.New("no flow records")
	ErrIncompatible = errors.New("reports of different inventories")
)

// ReportError is a problem with a saved report, and where it is.
type ReportError struct {
	File   string // the name given to ReadReport or Combine
	Offset int64  // bytes read when decoding stopped, or -1 when the problem has no one place
	Flow   int    // 1-based index of the flow record at fault, or 0
	Err    error  // one of the Err sentinels, wrapped with the details
}

// Error returns one line: "FILE: byte N: message", "FILE: flow N: message"
// or "FILE: message".
func (e *ReportError) Error() string {
	name := e.File
	if strings.ContainsAny(name, "\r\n") {
		name = strconv.Quote(name)
	}
	switch {
	case e.Offset >= 0:
		return fmt.Sprintf("%s: byte %d: %v", name, e.Offset, e.Err)
	case e.Flow > 0:
		return fmt.Sprintf("%s: flow %d: %v", name, e.Flow, e.Err)
	}
	return fmt.Sprintf("%s: %v", name, e.Err)
}

// Unwrap returns the wrapped error, so that errors.Is finds the sentinel.
func (e *ReportError) Unwrap() error { return e.Err }

// ReadReport reads a JSON report that analyze wrote. Anything else (not
// JSON, JSON without a schema field, another schema, fields of the wrong
// type) is a *ReportError naming the file and, where it can, the byte.
func ReadReport(r io.Reader, name string) (*Report, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &ReportError{File: name, Offset: -1, Err: err}
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(name, ErrNotReport, err)
	}
	switch {
	case head.Schema == nil:
		return nil, &ReportError{File: name, Offset: -1, Err: fmt.Errorf("%w: it has no schema field", ErrNotReport)}
	case *head.Schema != Schema:
		return nil, &ReportError{File: name, Offset: -1, Err: fmt.Errorf("%w %q (want %s)", ErrSchema, *head.Schema, Schema)}
	}
	rep := new(Report)
	if err := json.Unmarshal(data, rep); err != nil {
		return nil, jsonError(name, ErrBadReport, err)
	}
	return rep, nil
}

// jsonError turns a decoding error into a *ReportError at its byte.
func jsonError(name string, sentinel, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &ReportError{File: name, Offset: syn.Offset, Err: fmt.Errorf("%w: not JSON: %s", sentinel, syn.Error())}
	case errors.As(err, &typ) && typ.Field == "":
		return &ReportError{File: name, Offset: typ.Offset, Err: fmt.Errorf("%w: a JSON %s, not an object", sentinel, typ.Value)}
	case errors.As(err, &typ):
		return &ReportError{File: name, Offset: typ.Offset, Err: fmt.Errorf("%w: %s is a JSON %s, want %s", sentinel, typ.Field, typ.Value, typ.Type)}
	}
	return &ReportError{File: name, Offset: -1, Err: fmt.Errorf("%w: %s", sentinel, strings.TrimPrefix(err.Error(), "json: "))}
}

// DiffSchema names the version of the Diff model. It changes when a field
// changes meaning or goes away; new fields may appear without a change.
const DiffSchema = "lyncaudit.diff/1"

// The changes a diff reports.
const (
	ChangeDisappeared = "disappeared" // in the first report only
	ChangeAppeared    = "appeared"    // in the second report only
	ChangeVerdict     = "verdict"     // in both, with another verdict
	ChangeOneWay      = "one-way"     // in both, a UDP service whose flows now mostly go one way
	ChangeTwoWay      = "two-way"     // in both, a UDP service whose flows mostly go both ways again
)

// Diff is what changed between two reports of the same network, such as
// before and after a firewall change. Its JSON form is schema
// lyncaudit.diff/1:
//
//	{
//	  "schema": "lyncaudit.diff/1",
//	  "before": {"file": "monday.json", "generator": "lyncaudit 1.2", "captures": ["mon.pcapng"],
//	             "packets": 1129, "flows": 70, "first_seen": "…", "last_seen": "…",
//	             "verdicts": {"expected": 35, "missing": 152, …}},
//	  "after": {…},
//	  "summary": {"changes": 4, "services_disappeared": 1, "services_appeared": 0, "verdicts_changed": 1,
//	              "findings_disappeared": 1, "findings_appeared": 0, "missing_disappeared": 0, "missing_appeared": 1},
//	  "services": [{"change": "disappeared", "host": "10.10.4.10", "name": "pchat01", "roles": ["persistent-chat"],
//	                "list": "services", "port": "5041", "transport": "tcp", "protocols": ["tls"],
//	                "verdict_before": "expected", "flows_before": 1, "flows_after": 0,
//	                "catalog": ["server_ports#50"]}, …],
//	  "findings": [{"change": "disappeared", "kind": "unexpected", "host": "10.10.2.10", "port": "3389",
//	                "transport": "tcp", "protocol": "unknown", "flows": 1, "detail": "…"}, …],
//	  "missing": [{"change": "appeared", "host": "10.10.4.10", "ref": "server_ports#50", "table": "server_ports",
//	               "row": 50, "service": "…", "port": "5041", "transport": "tcp", "side": "listen"}, …]
//	}
//
// A service is keyed by host, list ("services", "connects" or "attempts",
// the host report's field it sits in), port or range and transport; a
// finding by kind, host, port, transport and protocol; a missing entry by
// host and catalog reference. Missing findings are not repeated among the
// findings: the missing entries name them by catalog row. The lists are
// sorted by change (disappeared, appeared, verdict, one-way, two-way),
// then host address. A UDP service whose flows went from mostly both ways
// to mostly one way (more than half of them never heard from the server:
// media a firewall now drops on its way back) is a one-way change, and the
// reverse a two-way change; a change of verdict outranks both.
type Diff struct {
	Schema   string          `json:"schema"`
	Before   DiffSide        `json:"before"`
	After    DiffSide        `json:"after"`
	Summary  DiffSummary     `json:"summary"`
	Services []ServiceChange `json:"services"`
	Findings []FindingChange `json:"findings"`
	Missing  []MissingChange `json:"missing"`
}

// DiffSide describes one of the two reports compared.
type DiffSide struct {
	File      string         `json:"file"` // set by the caller
	Generator string         `json:"generator"`
	Captures  []string       `json:"captures"`
	Packets   uint64         `json:"packets"`
	Flows     uint64         `json:"flows"`
	FirstSeen time.Time      `json:"first_seen,omitzero"`
	LastSeen  time.Time      `json:"last_seen,omitzero"`
	Window    *Window        `json:"window,omitempty"`         // the report's --since/--until, when it had one
	Outside   uint64         `json:"outside_window,omitempty"` // of Packets, those outside the window
	Verdicts  map[string]int `json:"verdicts"`                 // the report's services and missing entries by verdict
}

// DiffSummary counts the changes of each kind; Changes is their sum.
type DiffSummary struct {
	Changes             int `json:"changes"`
	ServicesDisappeared int `json:"services_disappeared"`
	ServicesAppeared    int `json:"services_appeared"`
	VerdictsChanged     int `json:"verdicts_changed"`
	OneWayChanged       int `json:"one_way_changed"` // one-way and two-way changes
	FindingsDisappeared int `json:"findings_disappeared"`
	FindingsAppeared    int `json:"findings_appeared"`
	MissingDisappeared  int `json:"missing_disappeared"`
	MissingAppeared     int `json:"missing_appeared"`
}

// ServiceChange is a service of a host that appeared, disappeared or
// changed verdict.
type ServiceChange struct {
	Change        string   `json:"change"`
	Host          string   `json:"host"`
	Name          string   `json:"name,omitempty"`
	Roles         []string `json:"roles"`
	List          string   `json:"list"` // "services", "connects" or "attempts"
	Port          string   `json:"port"` // a number, or a range
	Transport     string   `json:"transport"`
	Protocols     []string `json:"protocols"` // in the second report, or the first when it disappeared
	VerdictBefore string   `json:"verdict_before,omitempty"`
	VerdictAfter  string   `json:"verdict_after,omitempty"`
	FlowsBefore   uint64   `json:"flows_before"`
	FlowsAfter    uint64   `json:"flows_after"`
	OneWayBefore  uint64   `json:"one_way_before,omitempty"` // of FlowsBefore, UDP flows the server never sent on
	OneWayAfter   uint64   `json:"one_way_after,omitempty"`
	Catalog       []string `json:"catalog,omitempty"` // references of the entries that allow it
}

// FindingChange is an unexpected or mismatch finding that appeared or
// disappeared.
type FindingChange struct {
	Change    string `json:"change"`
	Kind      string `json:"kind"`
	Host      string `json:"host"`
	Name      string `json:"name,omitempty"`
	Port      string `json:"port"`
	Transport string `json:"transport"`
	Protocol  string `json:"protocol,omitempty"`
	Warning   bool   `json:"warning,omitempty"`
	Flows     uint64 `json:"flows"` // in the report that has it
	Detail    string `json:"detail,omitempty"`
}

// MissingChange is a catalog entry of a host that became missing
// ("appeared") or was seen again ("disappeared").
type MissingChange struct {
	Change string `json:"change"`
	Host   string `json:"host"`
	Name   string `json:"name,omitempty"`
	EntryRef
}

// The lists of a host report a service can sit in, in report order.
var serviceLists = []string{"services", "connects", "attempts"}

type diffSvcKey struct {
	host, list, port, transport string
}

type diffSvc struct {
	host *HostReport
	list string
	svc  *Service
}

type diffFindingKey struct {
	kind, host, port, transport, protocol string
}

type diffMissingKey struct {
	host, ref string
}

type diffMissing struct {
	host  *HostReport
	ref   EntryRef
	order int // place in the host's missing list, which follows the catalog
}

// DiffReports compares two reports and returns what changed from before to
// after. The caller names the files in Before.File and After.File.
func DiffReports(before, after *Report) *Diff {
	d := &Diff{
		Schema: DiffSchema, Before: diffSide(before), After: diffSide(after),
		Services: []ServiceChange{}, Findings: []FindingChange{}, Missing: []MissingChange{},
	}
	d.diffServices(before, after)
	d.diffFindings(before, after)
	d.diffMissing(before, after)
	s := &d.Summary
	for _, c := range d.Services {
		switch c.Change {
		case ChangeDisappeared:
			s.ServicesDisappeared++
		case ChangeAppeared:
			s.ServicesAppeared++
		case ChangeVerdict:
			s.VerdictsChanged++
		default:
			s.OneWayChanged++
		}
	}
	for _, c := range d.Findings {
		if c.Change == ChangeAppeared {
			s.FindingsAppeared++
		} else {
			s.FindingsDisappeared++
		}
	}
	for _, c := range d.Missing {
		if c.Change == ChangeAppeared {
			s.MissingAppeared++
		} else {
			s.MissingDisappeared++
		}
	}
	s.Changes = len(d.Services) + len(d.Findings) + len(d.Missing)
	return d
}

func diffSide(r *Report) DiffSide {
	s := DiffSide{
		Generator: r.Generator, Captures: []string{}, Packets: r.Totals.Packets, Flows: r.Totals.Flows,
		FirstSeen: r.Totals.FirstSeen, LastSeen: r.Totals.LastSeen, Window: r.Window, Outside: r.Totals.OutsideWindow, Verdicts: r.Totals.Verdicts,
	}
	for _, c := range r.Captures {
		s.Captures = append(s.Captures, c.Name)
	}
	if s.Verdicts == nil {
		s.Verdicts = map[string]int{}
	}
	return s
}

// diffServiceIndex indexes every service, connect and attempt of r.
func diffServiceIndex(r *Report) map[diffSvcKey]diffSvc {
	m := map[diffSvcKey]diffSvc{}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		for li, list := range [][]Service{h.Services, h.Connects, h.Attempts} {
			for j := range list {
				s := &list[j]
				m[diffSvcKey{h.Address, serviceLists[li], s.PortText(), s.Transport}] = diffSvc{h, serviceLists[li], s}
			}
		}
	}
	return m
}

func (d *Diff) diffServices(before, after *Report) {
	b, a := diffServiceIndex(before), diffServiceIndex(after)
	for k, x := range b {
		y, ok := a[k]
		switch {
		case !ok:
			c := serviceChange(ChangeDisappeared, x)
			c.VerdictBefore, c.FlowsBefore = x.svc.Verdict, x.svc.Flows
			d.Services = append(d.Services, c)
		case x.svc.Verdict != y.svc.Verdict:
			d.Services = append(d.Services, bothChange(ChangeVerdict, x, y))
		case !mostlyOneWay(x.svc) && mostlyOneWay(y.svc):
			d.Services = append(d.Services, bothChange(ChangeOneWay, x, y))
		case mostlyOneWay(x.svc) && !mostlyOneWay(y.svc):
			d.Services = append(d.Services, bothChange(ChangeTwoWay, x, y))
		}
	}
	for k, y := range a {
		if _, ok := b[k]; !ok {
			c := serviceChange(ChangeAppeared, y)
			c.VerdictAfter, c.FlowsAfter = y.svc.Verdict, y.svc.Flows
			d.Services = append(d.Services, c)
		}
	}
	slices.SortFunc(d.Services, func(x, y ServiceChange) int {
		return cmp.Or(cmp.Compare(changeRank(x.Change), changeRank(y.Change)), compareHostText(x.Host, y.Host),
			cmp.Compare(slices.Index(serviceLists, x.List), slices.Index(serviceLists, y.List)),
			comparePortText(x.Port, y.Port), cmp.Compare(x.Transport, y.Transport))
	})
}

// bothChange is the change of a service both reports have.
func bothChange(change string, x, y diffSvc) ServiceChange {
	c := serviceChange(change, y)
	c.VerdictBefore, c.FlowsBefore, c.OneWayBefore = x.svc.Verdict, x.svc.Flows, x.svc.OneWay
	c.VerdictAfter, c.FlowsAfter, c.OneWayAfter = y.svc.Verdict, y.svc.Flows, y.svc.OneWay
	return c
}

// mostlyOneWay reports whether more than half of a service's flows are
// UDP flows its server never sent on.
func mostlyOneWay(s *Service) bool { return s.OneWay*2 > s.Flows }

func serviceChange(change string, s diffSvc) ServiceChange {
	c := ServiceChange{
		Change: change, Host: s.host.Address, Name: s.host.Name, Roles: s.host.Roles, List: s.list,
		Port: s.svc.PortText(), Transport: s.svc.Transport, Protocols: s.svc.Protocols,
	}
	if c.Roles == nil {
		c.Roles = []string{}
	}
	if c.Protocols == nil {
		c.Protocols = []string{}
	}
	for _, e := range s.svc.Catalog {
		c.Catalog = append(c.Catalog, e.Ref)
	}
	return c
}

// diffFindingIndex indexes r's unexpected and mismatch findings.
func diffFindingIndex(r *Report) map[diffFindingKey]*Finding {
	m := map[diffFindingKey]*Finding{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Kind == "missing" {
			continue
		}
		m[diffFindingKey{f.Kind, f.Host, f.Port, f.Transport, f.Protocol}] = f
	}
	return m
}

func (d *Diff) diffFindings(before, after *Report) {
	b, a := diffFindingIndex(before), diffFindingIndex(after)
	add := func(change string, from, other map[diffFindingKey]*Finding) {
		for k, f := range from {
			if _, ok := other[k]; ok {
				continue
			}
			d.Findings = append(d.Findings, FindingChange{
				Change: change, Kind: f.Kind, Host: f.Host, Name: f.Name, Port: f.Port, Transport: f.Transport,
				Protocol: f.Protocol, Warning: f.Warning, Flows: f.Flows, Detail: f.Detail,
			})
		}
	}
	add(ChangeDisappeared, b, a)
	add(ChangeAppeared, a, b)
	slices.SortFunc(d.Findings, func(x, y FindingChange) int {
		return cmp.Or(cmp.Compare(changeRank(x.Change), changeRank(y.Change)), cmp.Compare(kindRank(y.Kind), kindRank(x.Kind)),
			compareHostText(x.Host, y.Host), comparePortText(x.Port, y.Port), cmp.Compare(x.Transport, y.Transport),
			cmp.Compare(x.Protocol, y.Protocol))
	})
}

// diffMissingIndex indexes the missing entries of r's hosts.
func diffMissingIndex(r *Report) map[diffMissingKey]diffMissing {
	m := map[diffMissingKey]diffMissing{}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		for j, e := range h.Missing {
			m[diffMissingKey{h.Address, e.Ref}] = diffMissing{h, e, j}
		}
	}
	return m
}

func (d *Diff) diffMissing(before, after *Report) {
	b, a := diffMissingIndex(before), diffMissingIndex(after)
	type ordered struct {
		MissingChange
		order int
	}
	var out []ordered
	add := func(change string, from, other map[diffMissingKey]diffMissing) {
		for k, m := range from {
			if _, ok := other[k]; !ok {
				out = append(out, ordered{MissingChange{Change: change, Host: m.host.Address, Name: m.host.Name, EntryRef: m.ref}, m.order})
			}
		}
	}
	add(ChangeDisappeared, b, a)
	add(ChangeAppeared, a, b)
	slices.SortFunc(out, func(x, y ordered) int {
		return cmp.Or(cmp.Compare(changeRank(x.Change), changeRank(y.Change)), compareHostText(x.Host, y.Host),
			cmp.Compare(x.order, y.order), cmp.Compare(x.Ref, y.Ref))
	})
	for _, o := range out {
		d.Missing = append(d.Missing, o.MissingChange)
	}
}

func changeRank(c string) int {
	switch c {
	case ChangeDisappeared:
		return 0
	case ChangeAppeared:
		return 1
	case ChangeVerdict:
		return 2
	case ChangeOneWay:
		return 3
	}
	return 4
}

// compareHostText orders host addresses as the report does: by their
// first address, then as text (for a prefix or range and its first
// address alike).
func compareHostText(x, y string) int {
	return cmp.Or(hostTextAddr(x).Compare(hostTextAddr(y)), cmp.Compare(x, y))
}

// hostTextAddr returns the first address of a host report's address: an
// address, a CIDR prefix or a first-last range. It is the zero Addr,
// which sorts first, for anything else.
func hostTextAddr(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().Addr().Unmap()
	}
	first, _, _ := strings.Cut(s, "-")
	if a, err := netip.ParseAddr(first); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// comparePortText orders "443" before "5061" before "49152-57500".
func comparePortText(x, y string) int {
	return cmp.Or(cmp.Compare(portTextLow(x), portTextLow(y)), cmp.Compare(x, y))
}

func portTextLow(s string) int {
	low, _, _ := strings.Cut(s, "-")
	n, err := strconv.Atoi(low)
	if err != nil {
		return -1
	}
	return n
}
