package rules

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// referenceCSV is the row-by-row transcription of the published tables,
// kept beside the project.
const referenceCSV = "../../shared/reference/catalog.csv"

// tableSizes is the number of rows of each published table.
var tableSizes = []struct {
	table string
	rows  int
}{
	{"server_ports", 52},
	{"hlb_only", 20},
	{"hlb_dns", 7},
	{"client_ports", 12},
}

func TestBuiltinTables(t *testing.T) {
	c := Builtin()
	if got, want := len(c.Entries), 91; got != want {
		t.Fatalf("builtin catalog has %d entries, want %d", got, want)
	}
	i := 0
	for _, ts := range tableSizes {
		t.Run(ts.table, func(t *testing.T) {
			for row := 1; row <= ts.rows; row, i = row+1, i+1 {
				e := c.Entries[i]
				if e.Table != ts.table || e.Row != row {
					t.Fatalf("entry %d is %s, want %s#%d (tables in page order, rows 1..%d each once)", i, e.Ref(), ts.table, row, ts.rows)
				}
				if e.Pos.File != builtinName || e.Pos.Line == 0 {
					t.Errorf("%s: position %v does not name the data file", e.Ref(), e.Pos)
				}
			}
		})
	}
}

// TestBuiltinAgreesWithReference holds every entry's published facts
// against the reference transcription of the English tables.
func TestBuiltinAgreesWithReference(t *testing.T) {
	f, err := os.Open(referenceCSV)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("reference tables not found at %s (a checkout without ../shared); skipping", referenceCSV)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	c := Builtin()
	if len(recs)-1 != len(c.Entries) {
		t.Fatalf("reference has %d rows, catalog %d entries", len(recs)-1, len(c.Entries))
	}
	for _, rec := range recs[1:] {
		cell := func(name string) string { return rec[col[name]] }
		note, _, _ := strings.Cut(cell("source_row_note"), ";")
		row, err := strconv.Atoi(strings.TrimPrefix(note, "row "))
		if err != nil {
			t.Fatalf("reference row note %q", note)
		}
		ref := cell("table") + "#" + strconv.Itoa(row)
		t.Run(ref, func(t *testing.T) {
			e := c.Lookup(cell("table"), row)
			if e == nil {
				t.Fatal("no entry")
			}
			low, high := atoiOrZero(cell("port_low")), atoiOrZero(cell("port_high"))
			if e.PublishedPort == "67/68" {
				// The reference stores the two DHCP ports as a range;
				// the catalog says: to server port 67, from local port 68.
				if int(e.Low) != low || int(e.High) != low || int(e.From) != high || e.Side != Connect {
					t.Errorf("DHCP ports: got %s from %d, side %v; want %d from %d, connect", e.PortText(), e.From, e.Side, low, high)
				}
			} else if int(e.Low) != low || int(e.High) != high {
				t.Errorf("port: got %s, want %d-%d", e.PortText(), low, high)
			}
			for _, c := range []struct{ field, got, want string }{
				{"transport", e.Transports.String(), cell("transport")},
				{"protocol", e.Protocol, cell("protocol_as_english")},
				{"source", e.Source, cell("role")},
				{"service", e.Service, cell("service")},
			} {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
				}
			}
			if notes := cell("used_for_english"); notes != "" {
				if run := sharedRun(e.About, notes, 6); run != "" {
					t.Errorf("about repeats the published notes (%q); describe the row in our own words", run)
				}
			}
		})
	}
}

func atoiOrZero(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// sharedRun returns the first run of n words of b that also appears in a,
// ignoring case, or "".
func sharedRun(a, b string, n int) string {
	la := " " + strings.Join(strings.Fields(strings.ToLower(a)), " ") + " "
	wb := strings.Fields(strings.ToLower(b))
	for i := 0; i+n <= len(wb); i++ {
		run := strings.Join(wb[i:i+n], " ")
		if strings.Contains(la, " "+run+" ") {
			return run
		}
	}
	return ""
}

// dumpCatalog renders every parsed field of c, one block per entry, so that
// a change to the data file or to its parser shows up as a reviewable diff.
func dumpCatalog(c *Catalog) string {
	var b strings.Builder
	for _, e := range c.Entries {
		fmt.Fprintf(&b, "%s @ %s\n", e.Ref(), e.Pos)
		if e.Empty() {
			b.WriteString("  empty: matches nothing\n")
		} else {
			fmt.Fprintf(&b, "  %s %s/%s", e.Side, e.PortText(), e.Transports)
			if e.From != 0 {
				fmt.Fprintf(&b, " from %d", e.From)
			}
			fmt.Fprintf(&b, "  roles: %s", e.Roles)
			if len(e.Expect) > 0 {
				fmt.Fprintf(&b, "  expect: %v", e.Expect)
			}
			if e.MTLS != MTLSNo {
				b.WriteString("  mtls=" + e.MTLS.String())
			}
			if e.Media {
				b.WriteString("  media")
			}
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  published: source %q, service %q, protocol %q", e.Source, e.Service, e.Protocol)
		if e.PublishedPort != "" {
			fmt.Fprintf(&b, ", port %q", e.PublishedPort)
		}
		fmt.Fprintf(&b, "\n  about: %s\n\n", e.About)
	}
	return b.String()
}

func TestBuiltinGolden(t *testing.T) {
	checkGolden(t, filepath.Join("testdata", "catalog.golden"), dumpCatalog(Builtin()))
}

// checkGolden compares got with the golden file, or rewrites it under -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d (go test -update rewrites it):\ngot:  %q\nwant: %q", path, i+1, g, w)
		}
	}
}

// withoutPos returns copies of es with their positions cleared, for
// comparing entries read from different files.
func withoutPos(es []*Entry) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = *e
		out[i].Pos = Pos{}
	}
	return out
}

// roundTrip writes c and parses the output back.
func roundTrip(t testing.TB, c *Catalog) (*Catalog, []byte) {
	var buf bytes.Buffer
	n, err := c.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	text := slices.Clone(buf.Bytes())
	back, err := ParseCatalog(&buf, "written")
	if err != nil {
		t.Fatalf("parsing WriteTo output: %v\n%s", err, text)
	}
	return back, text
}

func TestCatalogRoundTrip(t *testing.T) {
	user := parseCatalogFile(t, filepath.Join("testdata", "sfb.catalog"))
	odd := &Catalog{Entries: []*Entry{{
		Table: "mine", Row: 7, Source: "  padded  ", Service: `"quoted"`, Protocol: "a # b",
		About: "#starts with a hash", PublishedPort: "C#", Low: 1, High: 1,
		Transports: UDPOnly, Side: Connect, From: 9,
		Roles: Condition{Any: []RoleSet{NewRoleSet(Client), NewRoleSet(Frontend, Mediation)}, Unless: NewRoleSet(CMS, Director)},
	}}}
	for _, tt := range []struct {
		name string
		c    *Catalog
	}{
		{"builtin", Builtin()},
		{"user", user},
		{"quoting", odd},
	} {
		t.Run(tt.name, func(t *testing.T) {
			back, text := roundTrip(t, tt.c)
			if got, want := withoutPos(back.Entries), withoutPos(tt.c.Entries); !reflect.DeepEqual(got, want) {
				t.Errorf("entries differ after WriteTo and ParseCatalog\ngot:  %+v\nwant: %+v\n%s", got, want, text)
			}
		})
	}
}

func parseCatalogFile(t testing.TB, path string) *Catalog {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := ParseCatalog(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMerge(t *testing.T) {
	base := Builtin()
	user := parseCatalogFile(t, filepath.Join("testdata", "sfb.catalog"))
	merged := base.Merge(user)

	if got, want := len(merged.Entries), len(base.Entries)+1; got != want {
		t.Fatalf("merged catalog has %d entries, want %d", got, want)
	}
	for i, e := range base.Entries {
		m := merged.Entries[i]
		if m.Ref() != e.Ref() {
			t.Fatalf("entry %d is %s after merging, want %s in place", i, m.Ref(), e.Ref())
		}
		replaced := e.Table == "client_ports" && (e.Row == 8 || e.Row == 9)
		if replaced != (m != e) {
			t.Errorf("%s: replaced = %v, want %v", e.Ref(), m != e, replaced)
		}
	}
	if last := merged.Entries[len(merged.Entries)-1]; last.Ref() != "sfb_server_ports#1" || last.PortText() != "445" {
		t.Errorf("last entry is %s port %s, want the added sfb_server_ports#1 on 445", last.Ref(), last.PortText())
	}
	if e := base.Lookup("client_ports", 8); e.PortText() != "1024-65535" {
		t.Errorf("merging changed the base catalog: client_ports#8 is %s", e.PortText())
	}

	fe, client := NewRoleSet(Frontend), NewRoleSet(Client)
	for _, tt := range []struct {
		name      string
		c         *Catalog
		roles     RoleSet
		port      uint16
		t         decoders.Transport
		want      Verdict
		wantEntry []string
	}{
		{"builtin frontend 445", base, fe, 445, decoders.TCP, Unexpected, nil},
		{"merged frontend 445", merged, fe, 445, decoders.TCP, Expected, []string{"sfb_server_ports#1"}},
		{"builtin client 1500", base, client, 1500, decoders.UDP, Expected, []string{"client_ports#8", "client_ports#9"}},
		{"merged client 1500", merged, client, 1500, decoders.UDP, Unexpected, nil},
		{"merged client 50019", merged, client, 50019, decoders.UDP, Expected, []string{"client_ports#8", "client_ports#9"}},
		{"merged client 50020", merged, client, 50020, decoders.UDP, Unexpected, nil},
		{"merged client 50000 tcp", merged, client, 50000, decoders.TCP, Expected, []string{"client_ports#8", "client_ports#9", "client_ports#10", "client_ports#11"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, es := tt.c.Judge(tt.roles, tt.port, tt.t)
			if v != tt.want || !slices.Equal(refs(es), tt.wantEntry) {
				t.Errorf("Judge = %v %v, want %v %v", v, refs(es), tt.want, tt.wantEntry)
			}
		})
	}
}

func refs(es []*Entry) []string {
	var rs []string
	for _, e := range es {
		rs = append(rs, e.Ref())
	}
	return rs
}

// rowRefs returns table#from … table#to.
func rowRefs(table string, from, to int) []string {
	var rs []string
	for r := from; r <= to; r++ {
		rs = append(rs, table+"#"+strconv.Itoa(r))
	}
	return rs
}

func TestForRoles(t *testing.T) {
	c := Builtin()
	allServers := []string{"server_ports#1", "server_ports#38"}
	frontendOnly := func() []string {
		var rs []string
		for _, e := range c.Entries {
			if e.Roles.String() == "frontend" {
				rs = append(rs, e.Ref())
			}
		}
		return rs
	}()
	for _, tt := range []struct {
		name    string
		roles   RoleSet
		want    []string // exactly these, when set
		has     []string
		hasNone []string
	}{
		{name: "collocated mediation", roles: NewRoleSet(Frontend, Mediation),
			has: rowRefs("server_ports", 22, 26), hasNone: rowRefs("server_ports", 46, 49)},
		{name: "stand-alone mediation", roles: NewRoleSet(Mediation),
			want: append(slices.Clone(allServers[:2]), "server_ports#39", "server_ports#46", "server_ports#47", "server_ports#48", "server_ports#49")},
		{name: "frontend without cms", roles: NewRoleSet(Frontend),
			has: frontendOnly, hasNone: append([]string{"server_ports#37"}, rowRefs("server_ports", 22, 26)...)},
		{name: "cms", roles: NewRoleSet(CMS, Frontend),
			has: append([]string{"server_ports#37"}, frontendOnly...)},
		{name: "office web apps", roles: NewRoleSet(OfficeWebApps),
			want: []string{"server_ports#1", "server_ports#38", "server_ports#40"}},
		{name: "persistent chat", roles: NewRoleSet(PersistentChat),
			want: append(slices.Clone(allServers), rowRefs("server_ports", 50, 52)...)},
		{name: "director", roles: NewRoleSet(Director),
			want: append(allServers[:2:2], "server_ports#41", "server_ports#42", "server_ports#43", "server_ports#44", "server_ports#45")},
		{name: "frontend-lb", roles: NewRoleSet(FrontendLB), want: rowRefs("hlb_only", 1, 14)},
		{name: "mediation-lb", roles: NewRoleSet(MediationLB), want: []string{"hlb_only#15"}},
		{name: "frontend-lb+mediation-lb", roles: NewRoleSet(FrontendLB, MediationLB),
			want: append(rowRefs("hlb_only", 1, 15), "hlb_only#16")},
		{name: "director-lb", roles: NewRoleSet(DirectorLB), want: rowRefs("hlb_only", 17, 20)},
		{name: "frontend-lb-dns", roles: NewRoleSet(FrontendLBDNS), want: rowRefs("hlb_dns", 1, 4)},
		{name: "director-lb-dns", roles: NewRoleSet(DirectorLBDNS), want: []string{"hlb_dns#5", "hlb_dns#7"}},
		{name: "client", roles: NewRoleSet(Client), want: rowRefs("client_ports", 1, 11)},
		{name: "ip-phone", roles: NewRoleSet(IPPhone), want: []string{"client_ports#12"}},
		{name: "no roles", roles: 0, want: nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := refs(c.ForRoles(tt.roles))
			if tt.want != nil || (tt.has == nil && tt.hasNone == nil) {
				if !slices.Equal(got, tt.want) {
					t.Errorf("ForRoles(%v) =\n%v\nwant\n%v", tt.roles, got, tt.want)
				}
			}
			for _, r := range tt.has {
				if !slices.Contains(got, r) {
					t.Errorf("ForRoles(%v) lacks %s", tt.roles, r)
				}
			}
			for _, r := range tt.hasNone {
				if slices.Contains(got, r) {
					t.Errorf("ForRoles(%v) has %s", tt.roles, r)
				}
			}
		})
	}
}

// TestEveryServerRoleGetsAllServersRows checks the "All Servers" rows
// (SQL Browser) reach every server role, while the "All internal servers"
// audio range (row 39) reaches only the roles its notes name as
// terminating audio.
func TestEveryServerRoleGetsAllServersRows(t *testing.T) {
	c := Builtin()
	audio := NewRoleSet(Frontend, CMS, Mediation)
	for _, r := range AllRoles() {
		t.Run(r.String(), func(t *testing.T) {
			got := refs(c.ForRoles(NewRoleSet(r)))
			for _, ref := range []string{"server_ports#1", "server_ports#38"} {
				if slices.Contains(got, ref) != r.IsServer() {
					t.Errorf("%s in ForRoles(%s) = %v, want %v", ref, r, !r.IsServer(), r.IsServer())
				}
			}
			if want := audio.Has(r); slices.Contains(got, "server_ports#39") != want {
				t.Errorf("server_ports#39 in ForRoles(%s) = %v, want %v", r, !want, want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	c := Builtin()
	client, phone := NewRoleSet(Client), NewRoleSet(IPPhone)
	fm := NewRoleSet(Frontend, Mediation)
	for _, tt := range []struct {
		name  string
		roles RoleSet
		side  Side
		port  uint16
		t     decoders.Transport
		want  []string
	}{
		{"client connects to 443", client, Connect, 443, decoders.TCP, []string{"client_ports#2", "client_ports#3", "client_ports#4"}},
		{"client does not listen on 443", client, Listen, 443, decoders.TCP, nil},
		{"client listens on 1024", client, Listen, 1024, decoders.TCP, rowRefs("client_ports", 8, 11)},
		{"client connects to 3478/udp", client, Connect, 3478, decoders.UDP, []string{"client_ports#5"}},
		{"client connects to 3478/tcp", client, Connect, 3478, decoders.TCP, nil},
		{"client connects to 5061", client, Connect, 5061, decoders.TCP, []string{"client_ports#6"}},
		{"client listens on 6891", client, Listen, 6891, decoders.TCP, rowRefs("client_ports", 7, 11)},
		{"client listens on 6891/udp", client, Listen, 6891, decoders.UDP, []string{"client_ports#8", "client_ports#9"}},
		{"client DHCP to 67", client, Connect, 67, decoders.UDP, []string{"client_ports#1"}},
		{"client DHCP not to 68", client, Connect, 68, decoders.UDP, nil},
		{"client does not serve 67", client, Listen, 67, decoders.UDP, nil},
		{"phone DHCP to 67", phone, Connect, 67, decoders.UDP, []string{"client_ports#12"}},
		{"phone has no media rows", phone, Listen, 50000, decoders.UDP, nil},
		{"collocated mediation connects to gateway 5081", fm, Connect, 5081, decoders.TCP, []string{"server_ports#25"}},
		{"collocated mediation does not serve 5081", fm, Listen, 5081, decoders.TCP, nil},
		{"frontend connects to E9-1-1 5066", NewRoleSet(Frontend), Connect, 5066, decoders.TCP, []string{"server_ports#32"}},
		{"frontend media 60000/tcp", NewRoleSet(Frontend), Listen, 60000, decoders.TCP, []string{"server_ports#10", "server_ports#28"}},
		{"frontend media 50000/udp", NewRoleSet(Frontend), Listen, 50000, decoders.UDP, []string{"server_ports#39"}},
		{"frontend media 57500/tcp", NewRoleSet(Frontend), Listen, 57500, decoders.TCP, []string{"server_ports#28", "server_ports#39"}},
		{"frontend media 57501/udp", NewRoleSet(Frontend), Listen, 57501, decoders.UDP, []string{"server_ports#10"}},
		{"empty row matches nothing", NewRoleSet(AllRoles()...), Listen, 0, decoders.TCP, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Match(nil, tt.roles, tt.side, tt.port, tt.t)
			if !slices.Equal(refs(got), tt.want) {
				t.Errorf("Match = %v, want %v", refs(got), tt.want)
			}
		})
	}
	if e := c.Lookup("client_ports", 1); e.From != 68 || e.PublishedPort != "67/68" {
		t.Errorf("client_ports#1: from %d, published %q; want from 68, published 67/68", e.From, e.PublishedPort)
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	c := Builtin()
	dst := make([]*Entry, 0, 16)
	fe := NewRoleSet(Frontend, Mediation, CMS)
	allocs := testing.AllocsPerRun(100, func() {
		dst = c.Match(dst[:0], fe, Listen, 60000, decoders.TCP)
	})
	if allocs != 0 || len(dst) != 2 {
		t.Errorf("Match: %v allocations and %d matches, want 0 and 2", allocs, len(dst))
	}
}

func BenchmarkMatch(b *testing.B) {
	c := Builtin()
	dst := make([]*Entry, 0, 16)
	fe := NewRoleSet(Frontend, CMS)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Match(dst[:0], fe, Listen, 5061, decoders.TCP)
	}
}

func TestEntryMethods(t *testing.T) {
	c := Builtin()
	for _, tt := range []struct {
		ref, port       string
		empty           bool
		covers, refuses [][2]int // port, transport number
	}{
		{ref: "server_ports#3", port: "5061", covers: [][2]int{{5061, 6}}, refuses: [][2]int{{5061, 17}, {5060, 6}, {5062, 6}}},
		{ref: "server_ports#39", port: "49152-57500", covers: [][2]int{{49152, 6}, {57500, 17}}, refuses: [][2]int{{49151, 17}, {57501, 6}, {50000, 1}}},
		{ref: "hlb_dns#6", port: "", empty: true, refuses: [][2]int{{0, 6}, {0, 17}, {443, 6}}},
		{ref: "client_ports#1", port: "67", covers: [][2]int{{67, 17}}, refuses: [][2]int{{68, 17}, {67, 6}}},
	} {
		t.Run(tt.ref, func(t *testing.T) {
			table, row, _ := strings.Cut(tt.ref, "#")
			e := c.Lookup(table, atoiOrZero(row))
			if e == nil || e.Ref() != tt.ref {
				t.Fatalf("Lookup(%s) = %v", tt.ref, e)
			}
			if e.PortText() != tt.port || e.Empty() != tt.empty {
				t.Errorf("PortText %q Empty %v, want %q %v", e.PortText(), e.Empty(), tt.port, tt.empty)
			}
			for _, pt := range tt.covers {
				if !e.Covers(uint16(pt[0]), decoders.Transport(pt[1])) {
					t.Errorf("does not cover %d/%v", pt[0], decoders.Transport(pt[1]))
				}
			}
			for _, pt := range tt.refuses {
				if e.Covers(uint16(pt[0]), decoders.Transport(pt[1])) {
					t.Errorf("covers %d/%v", pt[0], decoders.Transport(pt[1]))
				}
			}
		})
	}
	if e := c.Lookup("server_ports", 53); e != nil {
		t.Errorf("Lookup(server_ports, 53) = %s, want nil", e.Ref())
	}
}

func TestTransportsAndSides(t *testing.T) {
	for _, tt := range []struct {
		in       string
		want     Transports
		str      string
		tcp, udp bool
	}{
		{"tcp", TCPOnly, "tcp", true, false},
		{"UDP", UDPOnly, "udp", false, true},
		{"tcp+udp", TCPAndUDP, "tcp+udp", true, true},
		{"udp+tcp", TCPAndUDP, "tcp+udp", true, true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseTransports(tt.in)
			if !ok || got != tt.want || got.String() != tt.str || got.Has(decoders.TCP) != tt.tcp || got.Has(decoders.UDP) != tt.udp {
				t.Errorf("ParseTransports(%q) = %v %v (%q, tcp %v, udp %v)", tt.in, got, ok, got, got.Has(decoders.TCP), got.Has(decoders.UDP))
			}
		})
	}
	for _, bad := range []string{"", "sctp", "tcp+", "tcp/udp"} {
		if got, ok := ParseTransports(bad); ok {
			t.Errorf("ParseTransports(%q) = %v, want failure", bad, got)
		}
	}
	for _, s := range []Side{Listen, Connect} {
		if got, ok := ParseSide(strings.ToUpper(s.String())); !ok || got != s {
			t.Errorf("ParseSide(%q) = %v %v", strings.ToUpper(s.String()), got, ok)
		}
	}
	if _, ok := ParseSide("serve"); ok {
		t.Error(`ParseSide("serve") succeeded`)
	}
	if got := Side(0).String(); got != "side-0" {
		t.Errorf("Side(0) = %q", got)
	}
}

func TestCondition(t *testing.T) {
	c := Condition{Any: []RoleSet{NewRoleSet(Frontend, Mediation), NewRoleSet(Director)}, Unless: NewRoleSet(CMS)}
	if got, want := c.String(), "frontend+mediation director unless cms"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		host RoleSet
		want bool
	}{
		{NewRoleSet(Frontend, Mediation), true},
		{NewRoleSet(Frontend, Mediation, Client), true},
		{NewRoleSet(Frontend), false},
		{NewRoleSet(Director), true},
		{NewRoleSet(Director, CMS), false},
		{0, false},
	} {
		t.Run(tt.host.String(), func(t *testing.T) {
			if got := c.Matches(tt.host); got != tt.want {
				t.Errorf("Matches(%v) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
	if (Condition{}).Matches(NewRoleSet(AllRoles()...)) {
		t.Error("an empty condition matched")
	}
}
