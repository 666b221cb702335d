package analyzer

import (
	"bytes"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

// served builds the activity of a host at addr that answered on each of
// services ("5061/tcp tls", "135/tcp", "445/tcp unknown"), opened flows to
// calls distinct peers and, when phone is set, showed a phone's user agent.
func served(t testing.TB, addr string, calls int, phone bool, services ...string) *activity {
	t.Helper()
	a := &activity{addr: netip.MustParseAddr(addr), served: map[portKey]*servedAgg{}, called: map[netip.Addr]struct{}{}, phone: phone}
	for i := range calls {
		a.called[netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})] = struct{}{}
	}
	for _, s := range services {
		spec, proto, _ := strings.Cut(s, " ")
		port, tr, _ := strings.Cut(spec, "/")
		n, err := strconv.Atoi(port)
		tp, ok := decoders.ParseTransport(tr)
		if err != nil || !ok {
			t.Fatalf("bad service %q", s)
		}
		sv := &servedAgg{protos: map[string]uint64{}, flows: 1, peers: map[netip.Addr]struct{}{netip.MustParseAddr("192.0.2.200"): {}}}
		if proto != "" {
			sv.protos[proto] = 1
		}
		a.served[portKey{uint16(n), tp}] = sv
	}
	return a
}

// clientCall marks a as having made a call the catalog's clients make.
func clientCall(a *activity) *activity {
	a.client = true
	return a
}

// candidateSets lists the role sets of cs as "frontend+mediation".
func candidateSets(cs []RoleCandidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strings.Join(c.Roles, "+")
	}
	return out
}

func TestGuessRoles(t *testing.T) {
	sc := newRoleScorer(rules.Builtin())
	tests := []struct {
		name       string
		host       *activity
		kind       string
		roles      string   // the guess, "+"-joined
		candidates []string // leading candidates, when they matter
		disallowed string   // the guess's ports no role allows
	}{
		{"front end by its payloads", served(t, "10.0.0.1", 2, false, "5061/tcp tls", "443/tcp tls", "4443/tcp tls", "135/tcp dcerpc", "1434/udp sql-browser"),
			GuessServer, "frontend", nil, ""},
		{"pool web and sip ports, answering only, fill frontend-lb", served(t, "10.0.0.1", 0, false, "443/tcp tls", "4443/tcp tls", "5061/tcp tls", "444/tcp tls", "135/tcp dcerpc"),
			GuessServer, "frontend-lb", []string{"frontend-lb", "frontend"}, ""},
		{"the same ports on a host that calls out: a front end", served(t, "10.0.0.1", 1, false, "443/tcp tls", "4443/tcp tls", "5061/tcp tls", "444/tcp tls", "135/tcp dcerpc"),
			GuessServer, "frontend", nil, ""},
		{"collocated mediation", served(t, "10.0.0.1", 2, false, "5061/tcp tls", "444/tcp tls", "135/tcp dcerpc", "5067/tcp tls", "50000/udp rtp"),
			GuessServer, "frontend+mediation", nil, ""},
		{"stand-alone mediation", served(t, "10.0.0.1", 0, false, "5067/tcp tls", "5068/tcp sip", "5070/tcp tls", "1434/udp sql-browser", "50000/udp rtp"),
			GuessServer, "mediation", nil, ""},
		{"director", served(t, "10.0.0.1", 3, false, "80/tcp http", "443/tcp tls", "444/tcp tls", "5061/tcp tls", "1434/udp sql-browser"),
			GuessServer, "director", []string{"director", "frontend"}, ""},
		{"persistent chat", served(t, "10.0.0.1", 1, false, "5041/tcp tls", "881/tcp tls"),
			GuessServer, "persistent-chat", nil, ""},
		{"front end load balancer of a mediation pool", served(t, "10.0.0.1", 0, false, "5061/tcp tls", "443/tcp tls", "444/tcp tls", "5070/tcp"),
			GuessServer, "frontend-lb+mediation-lb", nil, ""},
		{"violations are listed, not absorbed", served(t, "10.0.0.1", 1, false, "5061/tcp tls", "444/tcp tls", "135/tcp dcerpc", "23/tcp unknown", "3389/tcp unknown"),
			GuessServer, "frontend", nil, "23/tcp, 3389/tcp"},
		{"443 alone: office web apps or a web load balancer", served(t, "10.0.0.1", 0, false, "443/tcp tls"),
			GuessAmbiguous, "", []string{"office-web-apps", "director-lb-dns", "persistent-chat", "director-lb"}, ""},
		{"443 and 80: a DNS pool's balancer or a director", served(t, "10.0.0.1", 0, false, "443/tcp tls", "80/tcp http"),
			GuessAmbiguous, "", []string{"frontend-lb-dns", "director"}, ""},
		{"sql back end", served(t, "10.0.0.1", 0, false, "1433/tcp tds", "1434/udp sql-browser"),
			GuessUnknown, "", nil, ""},
		{"sql browser alone says no role", served(t, "10.0.0.1", 0, false, "1434/udp sql-browser"),
			GuessUnknown, "", nil, ""},
		{"more violations than catalog services", served(t, "10.0.0.1", 0, false, "5061/tcp tls", "444/tcp tls", "23/tcp", "3389/tcp", "8081/tcp http"),
			GuessUnknown, "", nil, ""},
		{"pstn gateway", served(t, "10.0.0.1", 1, false, "5081/tcp sip", "5060/udp sip"),
			GuessUnknown, "", nil, ""},
		{"client answering media", served(t, "10.0.0.1", 5, false, "50020/udp rtp"),
			GuessClient, "client", nil, ""},
		{"client answering nothing", served(t, "10.0.0.1", 3, false),
			GuessClient, "client", nil, ""},
		{"caller of two peers is no client", served(t, "10.0.0.1", 2, false),
			"", "", nil, ""},
		{"a call a client makes is enough", clientCall(served(t, "10.0.0.1", 1, false)),
			GuessClient, "client", nil, ""},
		{"a client's call from a server port makes no client", clientCall(served(t, "10.0.0.1", 1, false, "5081/tcp sip")),
			GuessUnknown, "", nil, ""},
		{"media answered, too few calls", served(t, "10.0.0.1", 1, false, "50020/udp rtp"),
			GuessUnknown, "", nil, ""},
		{"a caller answering 5061 is no client", served(t, "10.0.0.1", 9, false, "5061/tcp tls"),
			GuessAmbiguous, "", nil, ""},
		{"phone", served(t, "10.0.0.1", 1, true),
			GuessPhone, "ip-phone", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := sc.guess(tt.host, 0)
			if g.Kind != tt.kind || strings.Join(g.Roles, "+") != tt.roles {
				t.Fatalf("guess %q %q (%s), want %q %q; candidates %v", g.Kind, strings.Join(g.Roles, "+"), g.Why, tt.kind, tt.roles, candidateSets(g.Candidates))
			}
			if got := candidateSets(g.Candidates); tt.candidates != nil && !slices.Equal(got[:min(len(got), len(tt.candidates))], tt.candidates) {
				t.Errorf("candidates %v, want %v first", got, tt.candidates)
			}
			if g.Kind == GuessServer {
				if got := portList(g.Candidates[0].Disallowed); got != tt.disallowed {
					t.Errorf("disallowed %q, want %q", got, tt.disallowed)
				}
			}
		})
	}
}

func TestScoreRoleSet(t *testing.T) {
	sc := newRoleScorer(rules.Builtin())
	model := func(t *testing.T, roles ...rules.Role) *roleModel {
		set := rules.NewRoleSet(roles...)
		for i := range sc.models {
			if sc.models[i].set == set {
				return &sc.models[i]
			}
		}
		t.Fatalf("no model for %s", set)
		return nil
	}
	tests := []struct {
		name        string
		roles       []rules.Role
		host        *activity
		calls       bool
		score       float64
		points      float64
		distinctive int
		disallowed  string
	}{
		{"tls where tls is asked", []rules.Role{rules.Frontend}, served(t, "10.0.0.1", 0, false, "5061/tcp tls", "443/tcp tls"), false, 2, 2, 26, ""},
		{"clear text where tls is asked earns half", []rules.Role{rules.Frontend}, served(t, "10.0.0.1", 0, false, "5061/tcp sip", "443/tcp http"), false, 1, 1, 26, ""},
		{"unnamed payload where dcerpc is asked earns half", []rules.Role{rules.Frontend}, served(t, "10.0.0.1", 0, false, "135/tcp unknown"), false, 0.5, 0.5, 26, ""},
		{"no payload is no evidence against", []rules.Role{rules.Frontend}, served(t, "10.0.0.1", 0, false, "135/tcp"), false, 1, 1, 26, ""},
		{"an entry asking nothing takes anything", []rules.Role{rules.Frontend}, served(t, "10.0.0.1", 0, false, "5060/tcp unknown"), false, 1, 1, 26, ""},
		{"media and sql browser count for nothing", []rules.Role{rules.Frontend}, served(t, "10.0.0.1", 0, false, "1434/udp sql-browser", "50000/udp rtp", "60000/tcp"), false, 0, 0, 26, ""},
		{"each disallowed port costs a point", []rules.Role{rules.Director}, served(t, "10.0.0.1", 0, false, "5061/tcp tls", "3389/tcp", "50000/udp rtp"), false, -1, 1, 5, "3389/tcp, 50000/udp"},
		{"5070 listed twice counts once", []rules.Role{rules.Mediation}, served(t, "10.0.0.1", 0, false, "5070/tcp tls"), false, 1, 1, 3, ""},
		{"collocated mediation uses its own rows", []rules.Role{rules.Frontend, rules.Mediation}, served(t, "10.0.0.1", 0, false, "5070/tcp sip", "5067/tcp tls"), false, 2, 2, 29, ""},
		{"a balancer that calls loses a point", []rules.Role{rules.FrontendLB}, served(t, "10.0.0.1", 0, false, "5061/tcp tls", "1434/udp"), true, -1, 1, 14, "1434/udp"},
		{"cms adds 445", []rules.Role{rules.Frontend, rules.CMS}, served(t, "10.0.0.1", 0, false, "445/tcp unknown"), false, 1, 1, 27, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := model(t, tt.roles...)
			hs, index := keyed(tt.host.services())
			c := m.score(hs, index, tt.calls)
			m.explain(&c, hs, index)
			points := 0.0
			for _, se := range c.Served {
				points += se.Points
			}
			if len(c.Served) != c.nServed || len(c.Disallowed) != c.nDisallowed || points != c.Points {
				t.Errorf("explained %d served (%g points) and %d disallowed; scored %d (%g) and %d",
					len(c.Served), points, len(c.Disallowed), c.nServed, c.Points, c.nDisallowed)
			}
			if c.Score != tt.score || c.Points != tt.points || c.Distinctive != tt.distinctive || portList(c.Disallowed) != tt.disallowed {
				t.Errorf("score %g points %g of %d, disallowed %q; want %g, %g of %d, %q",
					c.Score, c.Points, c.Distinctive, portList(c.Disallowed), tt.score, tt.points, tt.distinctive, tt.disallowed)
			}
			if want := tt.points / float64(tt.distinctive); c.Share != want {
				t.Errorf("share %g, want %g", c.Share, want)
			}
			if len(c.Served)+len(c.Lacks) < c.Distinctive {
				t.Errorf("%d served and %d lacking entries cover fewer than %d distinctive services", len(c.Served), len(c.Lacks), c.Distinctive)
			}
		})
	}
}

func TestRoleSets(t *testing.T) {
	var got []string
	for _, s := range roleSets(rules.Builtin()) {
		got = append(got, strings.ReplaceAll(s.String(), ",", "+"))
	}
	want := []string{
		"frontend", "mediation", "director", "persistent-chat", "office-web-apps", "frontend-lb", "director-lb",
		"mediation-lb", "frontend-lb-dns", "director-lb-dns",
		"frontend+cms", "frontend+mediation", "frontend-lb+mediation-lb",
		"frontend+cms+mediation",
	}
	if !slices.Equal(got, want) {
		t.Errorf("role sets\n got %v\nwant %v", got, want)
	}
}

func TestAnsweredRecord(t *testing.T) {
	tests := []struct {
		name      string
		transport string
		toClient  uint64
		end       EndReason
		want      bool
	}{
		{"syn never answered", "tcp", 0, EndOpen, false},
		{"syn answered by a reset", "tcp", 1, EndRST, false},
		{"syn-ack, capture ended", "tcp", 1, EndOpen, true},
		{"syn-ack then reset", "tcp", 2, EndRST, true},
		{"udp one way", "udp", 0, EndIdle, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FlowRecord{Transport: tt.transport, PacketsToClient: tt.toClient, End: tt.end.String()}
			if got := answeredRecord(&f); got != tt.want {
				t.Errorf("answered %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClientCall(t *testing.T) {
	sc := newRoleScorer(rules.Builtin())
	tests := []struct {
		name       string
		port, from uint16
		t          decoders.Transport
		want       bool
	}{
		{"sip over tls", 5061, 50000, decoders.TCP, true},
		{"https", 443, 50000, decoders.TCP, true},
		{"stun", 3478, 50000, decoders.UDP, true},
		{"dhcp from 68", 67, 68, decoders.UDP, true},
		{"dhcp relayed from 67", 67, 67, decoders.UDP, false},
		{"sip over tcp to 5060", 5060, 50000, decoders.TCP, false},
		{"5061 over udp", 5061, 50000, decoders.UDP, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sc.clientCall(tt.port, tt.t, tt.from); got != tt.want {
				t.Errorf("client call %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPhoneFlow(t *testing.T) {
	tests := []struct {
		name   string
		port   uint16
		detail map[string]string
		want   bool
	}{
		{"http user agent", 57505, map[string]string{"user-agent": "Polycom CX600 Lync Phone Edition 4.0.7577.4512"}, true},
		{"sip user agent", 5061, map[string]string{"user-agent": "OCPhone/4.0.7577.4366 (Microsoft Lync 2010 Phone Edition)"}, true},
		{"dhcp from the phone", 68, map[string]string{"vendor-class": "CPE-OCPHONE"}, true},
		{"dhcp relayed for a phone", 67, map[string]string{"vendor-class": "CPE-OCPHONE"}, false},
		{"lync client", 55175, map[string]string{"user-agent": "UCCAPI/15.0.4569.1503 OC/15.0.4569.1503 (Microsoft Lync)"}, false},
		{"no detail", 1234, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FlowRecord{ClientPort: tt.port, Detail: tt.detail}
			if got := phoneFlow(&f); got != tt.want {
				t.Errorf("phone %v, want %v", got, tt.want)
			}
		})
	}
}

// flowRec is an answered TCP flow record from client to server:port
// carrying proto.
func flowRec(client, server string, port uint16, proto string) FlowRecord {
	return FlowRecord{Client: client, ClientPort: 50000, Server: server, ServerPort: port, Transport: "tcp",
		Protocols: []string{proto}, PacketsToClient: 4, End: EndFIN.String()}
}

// frontEndFlows are the flows of a front end at srv, which calls its SQL
// back end and shows cms by answering 445 to smbFrom.
func frontEndFlows(srv string, smbFrom ...string) []FlowRecord {
	fs := []FlowRecord{
		flowRec("10.9.0.1", srv, 5061, "tls"), flowRec("10.9.0.1", srv, 444, "tls"), flowRec("10.9.0.1", srv, 135, "dcerpc"),
		flowRec(srv, "10.9.0.9", 1433, "tds"),
	}
	for _, c := range smbFrom {
		f := flowRec(c, srv, 445, "")
		f.Protocols, f.Detail = nil, map[string]string{"first-bytes": "0000006cfe534d42"}
		fs = append(fs, f)
	}
	return fs
}

func TestCentralManagementStoreHolder(t *testing.T) {
	tests := []struct {
		name    string
		flows   [][]FlowRecord
		holder  string // the host left with cms, or ""
		warning bool
	}{
		{"one front end answers 445", [][]FlowRecord{frontEndFlows("10.1.0.11"), frontEndFlows("10.1.0.13", "10.1.0.11")}, "10.1.0.13", false},
		{"the holder pushes to another front end", [][]FlowRecord{
			frontEndFlows("10.1.0.11"), frontEndFlows("10.1.0.12", "10.1.0.13"), frontEndFlows("10.1.0.13", "10.1.0.11"),
		}, "10.1.0.13", false},
		{"two front ends reached by replicas alike", [][]FlowRecord{
			frontEndFlows("10.1.0.12", "10.1.0.11"), frontEndFlows("10.1.0.13", "10.1.0.14"),
		}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{Flows: slices.Concat(tt.flows...)}
			inf := InferRoles(rep, rules.Builtin())
			var holders []string
			for _, g := range inf.Hosts {
				if g.Kind == GuessServer && slices.Contains(g.Roles, "cms") {
					holders = append(holders, g.Address)
				}
				if g.Kind == GuessServer && !slices.Contains(g.Roles, "frontend") {
					t.Errorf("%s guessed %v, want a front end", g.Address, g.Roles)
				}
			}
			if want := []string{tt.holder}; tt.holder == "" && len(holders) > 0 || tt.holder != "" && !slices.Equal(holders, want) {
				t.Errorf("cms on %v, want %q", holders, tt.holder)
			}
			if got := len(inf.Warnings) > 0; got != tt.warning {
				t.Errorf("warnings %q, want some: %v", inf.Warnings, tt.warning)
			}
		})
	}
}

func TestDraftLines(t *testing.T) {
	sc := newRoleScorer(rules.Builtin())
	fe := func(addr string) *activity {
		return served(t, addr, 2, false, "5061/tcp tls", "444/tcp tls", "135/tcp dcerpc")
	}
	client := func(addr string) *activity { return served(t, addr, 4, false) }
	acts := []*activity{
		fe("10.1.0.11"), fe("10.1.0.12"), served(t, "10.1.0.13", 0, false, "443/tcp tls"), fe("10.1.0.14"),
		client("10.2.0.1"), client("10.2.0.2"), client("10.2.0.3"), client("10.2.0.5"), served(t, "10.2.0.6", 1, true),
		client("fd00::ffff"), client("fd00::1:0"),
	}
	guesses := make([]RoleGuess, len(acts))
	for i, a := range acts {
		guesses[i] = sc.guess(a, 0)
	}
	var got []string
	for _, l := range draftLines(acts, guesses) {
		got = append(got, l.Spec+" "+strings.Join(l.Roles, " "))
	}
	want := []string{
		"10.1.0.11-10.1.0.12 frontend",
		"10.1.0.14 frontend", // 10.1.0.13 is ambiguous: no line, and no range across it
		"10.2.0.1-10.2.0.3 client",
		"10.2.0.5 client",
		"10.2.0.6 ip-phone",
		"fd00::ffff-fd00::1:0 client",
	}
	if !slices.Equal(got, want) {
		t.Errorf("draft\n got %q\nwant %q", got, want)
	}
}

// inferSample generates a capture with o, analyses it with no inventory
// and infers roles.
func inferSample(t testing.TB, o lyncgen.Options) (*RoleReport, *lyncgen.Truth, *Report) {
	t.Helper()
	var buf bytes.Buffer
	truth, err := lyncgen.Generate(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := capture.NewReader(&buf, "sample.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewConfig()
	cfg.KeepFlows = true
	e := NewEngine(cfg)
	if err := e.Read(r); err != nil {
		t.Fatal(err)
	}
	rep := e.Report()
	return InferRoles(rep, cfg.Catalog), truth, rep
}

// TestInferRolesOnSample holds the inference on the generated sample to
// the inventory the generator wrote: the hosts whose services show their
// roles get them, no guess holds a role the host does not, and the ports a
// guess does not allow are the scenario's deliberate violations.
func TestInferRolesOnSample(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    lyncgen.Options
	}{
		{"sample", lyncgen.SampleOptions()},
		{"eight clients", lyncgen.Options{Seed: 7}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inf, truth, _ := inferSample(t, tt.o)
			inv, err := rules.ParseInventory(strings.NewReader(lyncgen.Inventory(tt.o)), "sample.inventory")
			if err != nil {
				t.Fatal(err)
			}
			byAddr := map[string]RoleGuess{}
			for _, g := range inf.Hosts {
				byAddr[g.Address] = g
			}
			// What the services show: fe01 serves no Mediation port, fe03
			// none but 445 of its collocated Mediation Server.
			want := map[string]string{
				"10.10.1.10":  "frontend-lb",
				"10.10.1.11":  "frontend",
				"10.10.1.12":  "frontend+mediation",
				"10.10.1.13":  "frontend+cms",
				"10.10.2.10":  "director",
				"10.10.3.10":  "mediation",
				"10.10.4.10":  "persistent-chat",
				"10.20.0.21":  "client",
				"10.20.0.22":  "client",
				"10.20.0.250": "client",
				"10.20.1.31":  "ip-phone",
				"fd00:20::21": "client",
			}
			for addr, roles := range want {
				if g := byAddr[addr]; strings.Join(g.Roles, "+") != roles {
					t.Errorf("%s: %s %v (%s), want %s", addr, g.Kind, g.Roles, g.Why, roles)
				}
			}
			owa := byAddr["10.10.5.10"]
			if owa.Kind != GuessAmbiguous || !slices.Contains(candidateSets(owa.Candidates), "office-web-apps") {
				t.Errorf("owa01: %s %v, want ambiguous with office-web-apps among %v", owa.Kind, owa.Roles, candidateSets(owa.Candidates))
			}
			violations := map[string][]string{}
			for _, f := range truth.Flows {
				if f.Want == lyncgen.WantUnexpected && f.Close != lyncgen.CloseSYNOnly {
					k := f.Server.Addr().String()
					violations[k] = append(violations[k], strconv.Itoa(int(f.Server.Port()))+"/"+f.Transport.String())
				}
			}
			for _, g := range inf.Hosts {
				addr := netip.MustParseAddr(g.Address)
				line := inv.Lookup(addr)
				if g.Kind == GuessServer || g.Kind == GuessClient || g.Kind == GuessPhone {
					guessed, _ := roleSetOf(g.Roles)
					if line == nil || !line.Roles.Contains(guessed) {
						t.Errorf("%s guessed %v; the inventory gives %v", g.Address, g.Roles, line)
					}
				}
				if g.Kind != GuessServer {
					continue
				}
				var got []string
				for _, p := range g.Candidates[0].Disallowed {
					got = append(got, strconv.Itoa(int(p.Port))+"/"+p.Transport)
				}
				wantV := violations[g.Address]
				slices.Sort(wantV)
				slices.Sort(got)
				if !slices.Equal(slices.Compact(got), slices.Compact(wantV)) {
					t.Errorf("%s: not allowed %v, the scenario's violations are %v", g.Address, got, wantV)
				}
			}
		})
	}
}

func roleSetOf(ids []string) (rules.RoleSet, bool) {
	var s rules.RoleSet
	for _, id := range ids {
		r, ok := rules.ParseRole(id)
		if !ok {
			return 0, false
		}
		s = s.With(r)
	}
	return s, true
}

func TestInferRolesWithoutFlows(t *testing.T) {
	inf := InferRoles(&Report{}, rules.Builtin())
	if len(inf.Hosts) != 0 || len(inf.Warnings) != 1 || inf.Schema != RolesSchema {
		t.Errorf("hosts %v, warnings %q, schema %q; want none, one warning, %q", inf.Hosts, inf.Warnings, inf.Schema, RolesSchema)
	}
}

func BenchmarkInferRoles(b *testing.B) {
	_, _, rep := inferSample(b, lyncgen.Options{Seed: 7})
	cat := rules.Builtin()
	b.ReportAllocs()
	for b.Loop() {
		InferRoles(rep, cat)
	}
	b.ReportMetric(float64(len(rep.Flows)), "flows")
}

// TestInferRolesOnSharedCaptures infers roles from every real capture:
// each guess is well formed and the draft parses as an inventory.
func TestInferRolesOnSharedCaptures(t *testing.T) {
	for _, name := range sharedFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			checkInference(t, InferRoles(analyzeFile(t, name), rules.Builtin()))
		})
	}
}

// checkInference checks what must hold of any inference: hosts in address
// order with a known kind, named hosts with roles and the others without,
// and a draft that parses as an inventory and names only named hosts,
// each with its own roles.
func checkInference(t *testing.T, inf *RoleReport) {
	t.Helper()
	guesses := map[netip.Addr]RoleGuess{}
	var prev netip.Addr
	for _, g := range inf.Hosts {
		a, err := netip.ParseAddr(g.Address)
		if err != nil || prev.IsValid() && !prev.Less(a) {
			t.Fatalf("host %q out of order after %s", g.Address, prev)
		}
		prev = a
		guesses[a] = g
		named := g.Kind == GuessServer || g.Kind == GuessClient || g.Kind == GuessPhone
		switch {
		case !named && g.Kind != GuessAmbiguous && g.Kind != GuessUnknown:
			t.Errorf("%s: kind %q", g.Address, g.Kind)
		case named != (len(g.Roles) > 0):
			t.Errorf("%s: %s with roles %v", g.Address, g.Kind, g.Roles)
		case g.Kind == GuessServer && !slices.Equal(g.Candidates[0].Roles, g.Roles):
			t.Errorf("%s: roles %v, best candidate %v", g.Address, g.Roles, g.Candidates[0].Roles)
		case g.Kind == GuessAmbiguous && len(g.Candidates) == 0:
			t.Errorf("%s: ambiguous with no candidate", g.Address)
		}
	}
	var text strings.Builder
	for _, l := range inf.Draft {
		text.WriteString(l.Spec + " " + strings.Join(l.Roles, " ") + " # " + l.Note + "\n")
	}
	inv, err := rules.ParseInventory(strings.NewReader(text.String()), "draft")
	if err != nil {
		t.Fatalf("draft does not parse: %v\n%s", err, text.String())
	}
	for _, h := range inv.Hosts {
		for a, n := h.First, 0; a.IsValid() && a.Compare(h.Last) <= 0 && n < 1024; a, n = a.Next(), n+1 {
			g := guesses[a]
			if set, _ := roleSetOf(g.Roles); set != h.Roles {
				t.Errorf("draft line %s gives %s roles %s; its guess is %s %v", h.Spec, a, h.Roles, g.Kind, g.Roles)
			}
		}
	}
}

// flowsFromBytes decodes fuzz input into flow records, 8 bytes each:
// client and server (10.0.0.x, or fd00::x when the top bit is set), the
// server port, flags (bit 0 udp, bits 1-2 how it ended, bit 3 a phone's
// user agent, bit 4 sent from port 68), the protocol (0xff none, 0 payload
// nobody named) and the packets the server sent.
func flowsFromBytes(b []byte) []FlowRecord {
	addr := func(x byte) string {
		if x&0x80 != 0 {
			return netip.AddrFrom16([16]byte{0xfd, 15: x & 0x7f}).String()
		}
		return netip.AddrFrom4([4]byte{10, 0, 0, x}).String()
	}
	var fs []FlowRecord
	for ; len(b) >= 8; b = b[8:] {
		f := FlowRecord{Client: addr(b[0]), ClientPort: 50000, Server: addr(b[1]), ServerPort: uint16(b[2])<<8 | uint16(b[3]),
			Transport: "tcp", End: EndReason(b[4] >> 1 & 3).String(), PacketsToClient: uint64(b[6])}
		if b[4]&1 != 0 {
			f.Transport = "udp"
		}
		if b[4]&8 != 0 {
			f.Detail = map[string]string{"user-agent": "OCPhone/4.0.7577.4366 (Microsoft Lync 2010 Phone Edition)"}
		}
		if b[4]&16 != 0 {
			f.ClientPort = 68
		}
		switch p := decoders.Protocol(b[5]); {
		case b[5] == 0xff:
		case p == decoders.Unknown || p >= decoders.NumProtocols:
			f.Detail = map[string]string{"first-bytes": "00"}
		default:
			f.Protocols = []string{p.String()}
		}
		fs = append(fs, f)
	}
	return fs
}

// flowBytes encodes the flows of r as flowsFromBytes reads them, mapping
// each address to its own number.
func flowBytes(r *Report) []byte {
	ids := map[string]byte{}
	id := func(a string) byte {
		if x, ok := ids[a]; ok {
			return x
		}
		x := byte(len(ids) % 256)
		ids[a] = x
		return x
	}
	var b []byte
	for _, f := range r.Flows {
		flags := byte(0)
		if f.Transport == "udp" {
			flags |= 1
		}
		for e := EndOpen; e <= EndEvicted; e++ {
			if f.End == e.String() {
				flags |= byte(e&3) << 1
			}
		}
		if phoneFlow(&f) {
			flags |= 8
		}
		if f.ClientPort == 68 {
			flags |= 16
		}
		proto := byte(0xff)
		if len(f.Protocols) > 0 {
			p, _ := decoders.ParseProtocol(f.Protocols[0])
			proto = byte(p)
		} else if f.Detail["first-bytes"] != "" {
			proto = 0
		}
		b = append(b, id(f.Client), id(f.Server), byte(f.ServerPort>>8), byte(f.ServerPort), flags, proto, byte(min(f.PacketsToClient, 255)), 0)
	}
	return b
}

// FuzzInferRoles infers roles from arbitrary flow records, seeded with
// the flows of the sample and of the real captures: inference never
// panics, and what it gives is well formed (see checkInference).
func FuzzInferRoles(f *testing.F) {
	_, _, rep := inferSample(f, lyncgen.SampleOptions())
	f.Add(flowBytes(rep))
	if _, err := os.Stat(sharedCaptures); err == nil {
		filepath.WalkDir(sharedCaptures, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".pcap") && !strings.HasSuffix(p, ".pcapng") {
				return nil
			}
			if r, err := capture.Open(p); err == nil {
				cfg := NewConfig()
				cfg.KeepFlows = true
				e := NewEngine(cfg)
				e.Read(r)
				r.Close()
				if b := flowBytes(e.Report()); len(b) > 0 && len(b) <= 8*512 {
					f.Add(b)
				}
			}
			return nil
		})
	}
	cat := rules.Builtin()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 8*1024 {
			return
		}
		checkInference(t, InferRoles(&Report{Flows: flowsFromBytes(b)}, cat))
	})
}
