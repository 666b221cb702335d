package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func mustParseInventory(t testing.TB, text string) *Inventory {
	t.Helper()
	inv, err := ParseInventory(strings.NewReader(text), "inv")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestParseInventory(t *testing.T) {
	in := "\ufeff# comment\r\n\r\n" +
		"10.1.0.11   cms      name=fe01 # the CMS\r\n" +
		"\t10.1.0.0/24 Client#frontend\n" +
		"10.1.0.11-10.1.0.13 name=fe frontend mediation\n" +
		"::ffff:10.9.0.0/120 ip-phone\n" +
		"::ffff:10.8.0.1 director\n" +
		"2001:db8::/64 client\n" +
		"2001:db8::5-2001:db8::9 frontend-lb-dns director-lb-dns\n"
	inv := mustParseInventory(t, in)
	want := []Host{
		{Spec: "10.1.0.11", First: addr("10.1.0.11"), Last: addr("10.1.0.11"), Name: "fe01",
			Roles: NewRoleSet(CMS, Frontend), Pos: Pos{File: "inv", Line: 3, Column: 1}},
		{Spec: "10.1.0.0/24", First: addr("10.1.0.0"), Last: addr("10.1.0.255"),
			Roles: NewRoleSet(Client), Pos: Pos{File: "inv", Line: 4, Column: 2}},
		{Spec: "10.1.0.11-10.1.0.13", First: addr("10.1.0.11"), Last: addr("10.1.0.13"), Name: "fe",
			Roles: NewRoleSet(Frontend, Mediation), Pos: Pos{File: "inv", Line: 5, Column: 1}},
		{Spec: "::ffff:10.9.0.0/120", First: addr("10.9.0.0"), Last: addr("10.9.0.255"),
			Roles: NewRoleSet(IPPhone), Pos: Pos{File: "inv", Line: 6, Column: 1}},
		{Spec: "::ffff:10.8.0.1", First: addr("10.8.0.1"), Last: addr("10.8.0.1"),
			Roles: NewRoleSet(Director), Pos: Pos{File: "inv", Line: 7, Column: 1}},
		{Spec: "2001:db8::/64", First: addr("2001:db8::"), Last: addr("2001:db8::ffff:ffff:ffff:ffff"),
			Roles: NewRoleSet(Client), Pos: Pos{File: "inv", Line: 8, Column: 1}},
		{Spec: "2001:db8::5-2001:db8::9", First: addr("2001:db8::5"), Last: addr("2001:db8::9"),
			Roles: NewRoleSet(FrontendLBDNS, DirectorLBDNS), Pos: Pos{File: "inv", Line: 9, Column: 1}},
	}
	if len(inv.Hosts) != len(want) {
		t.Fatalf("got %d hosts, want %d", len(inv.Hosts), len(want))
	}
	for i, h := range inv.Hosts {
		if !reflect.DeepEqual(*h, want[i]) {
			t.Errorf("host %d\ngot  %+v\nwant %+v", i, *h, want[i])
		}
	}
}

func TestParseInventoryErrors(t *testing.T) {
	validRoles := roleList()
	for _, tt := range []struct {
		name string
		in   string
		want []wantError
	}{
		{"unknown role", "10.0.0.1 frontend directr\n", []wantError{
			{1, 19, ErrUnknownRole, `unknown role: "directr"; valid roles: ` + validRoles}}},
		{"bad address", "  10.0.0.256 client\n", []wantError{
			{1, 3, ErrBadAddress, `bad address: "10.0.0.256" is not an IP address, CIDR prefix or range`}}},
		{"bad prefix length", "10.0.0.0/33 client\n", []wantError{
			{1, 1, ErrBadAddress, `bad address: "10.0.0.0/33" is not a CIDR prefix`}}},
		{"host bits set", "10.0.0.5/24 client\n", []wantError{
			{1, 1, ErrBadAddress, "bad address: 10.0.0.5/24 has host bits set; the prefix is 10.0.0.0/24"}}},
		{"reversed range", "10.0.0.9-10.0.0.1 client\n", []wantError{
			{1, 1, ErrBadAddress, "bad address: range 10.0.0.9-10.0.0.1 runs backwards"}}},
		{"mixed families", "10.0.0.1-2001:db8::1 client\n", []wantError{
			{1, 1, ErrBadAddress, "bad address: range 10.0.0.1-2001:db8::1 mixes IPv4 and IPv6"}}},
		{"bad range end", "10.0.0.1-10.0.0.x client\n", []wantError{
			{1, 10, ErrBadAddress, `bad address: "10.0.0.x" is not an IP address, CIDR prefix or range`}}},
		{"zone", "fe80::1%eth0 client\n", []wantError{
			{1, 1, ErrBadAddress, "bad address: fe80::1%eth0 has a zone; inventory addresses have none"}}},
		{"no role", "10.0.0.1 name=x\n", []wantError{
			{1, 1, ErrNoRole, "no role: 10.0.0.1 has no role; give one or more of: " + validRoles}}},
		{"only a comment after the address", "10.0.0.1 #frontend\n", []wantError{
			{1, 1, ErrNoRole, "no role: 10.0.0.1 has no role; give one or more of: " + validRoles}}},
		{"empty name", "10.0.0.1 client name=\n", []wantError{
			{1, 17, ErrBadName, "bad name: name= needs a label, such as name=fe01"}}},
		{"control character in name", "10.0.0.1 client name=a\x7fb\n", []wantError{
			{1, 17, ErrBadName, `bad name: name "a\x7fb" is not printable UTF-8 text`}}},
		{"name twice", "10.0.0.1 client name=a name=b\n", []wantError{
			{1, 24, ErrDuplicate, "duplicate: name given twice for 10.0.0.1"}}},
		{"unknown setting", "10.0.0.1 client label=x\n", []wantError{
			{1, 17, ErrSyntax, `syntax error: unknown setting "label=x"; the only setting is name=LABEL`}}},
		{"same address twice", "10.0.0.1 client\n\n10.0.0.1/32 frontend\n", []wantError{
			{3, 1, ErrDuplicate, "duplicate: 10.0.0.1/32 covers the same addresses as 10.0.0.1 at inv:1:1"}}},
		{"same range twice", "10.0.0.0/30 client\n10.0.0.0-10.0.0.3 frontend\n", []wantError{
			{2, 1, ErrDuplicate, "duplicate: 10.0.0.0-10.0.0.3 covers the same addresses as 10.0.0.0/30 at inv:1:1"}}},
		{"mapped address twice", "::ffff:10.0.0.1 client\n10.0.0.1 frontend\n", []wantError{
			{2, 1, ErrDuplicate, "duplicate: 10.0.0.1 covers the same addresses as ::ffff:10.0.0.1 at inv:1:1"}}},
		{"every bad line", "10.0.0.1 client\nx client\n10.0.0.2 nobody name=\n10.0.0.1 frontend\n", []wantError{
			{2, 1, ErrBadAddress, `bad address: "x" is not an IP address, CIDR prefix or range`},
			{3, 10, ErrUnknownRole, `unknown role: "nobody"; valid roles: ` + validRoles},
			{3, 17, ErrBadName, "bad name: name= needs a label, such as name=fe01"},
			{4, 1, ErrDuplicate, "duplicate: 10.0.0.1 covers the same addresses as 10.0.0.1 at inv:1:1"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := ParseInventory(strings.NewReader(tt.in), "inv")
			if inv != nil || err == nil {
				t.Fatalf("ParseInventory = %v, %v; want an error", inv, err)
			}
			checkErrors(t, err, "inv", tt.want)
		})
	}
}

func TestInventoryLookup(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "lab.inventory"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lab, err := ParseInventory(f, "lab.inventory")
	if err != nil {
		t.Fatal(err)
	}
	edges := mustParseInventory(t, "0.0.0.0/0 client\n255.255.255.0/24 frontend\n255.255.255.255 director\n"+
		"::/0 ip-phone\nffff::/16 mediation\n"+
		"10.0.0.0-10.0.0.20 frontend\n10.0.0.10-10.0.0.30 director\n")
	for _, tt := range []struct {
		name string
		inv  *Inventory
		addr netip.Addr
		want string // Spec of the line, "" for none
	}{
		{"single inside a range inside a prefix", lab, addr("10.1.0.11"), "10.1.0.11"},
		{"range inside a prefix", lab, addr("10.1.0.12"), "10.1.0.11-10.1.0.13"},
		{"range end", lab, addr("10.1.0.13"), "10.1.0.11-10.1.0.13"},
		{"single inside a prefix", lab, addr("10.1.0.10"), "10.1.0.10"},
		{"prefix around the others", lab, addr("10.1.0.14"), "10.1.0.0/24"},
		{"prefix start", lab, addr("10.1.0.0"), "10.1.0.0/24"},
		{"prefix end", lab, addr("10.1.0.255"), "10.1.0.0/24"},
		{"second /24 of a /23", lab, addr("10.1.3.77"), "10.1.2.0/23"},
		{"just outside", lab, addr("10.1.1.0"), ""},
		{"v4-mapped v6", lab, addr("::ffff:10.1.0.11"), "10.1.0.11"},
		{"v4-mapped v6 in a range", lab, addr("::ffff:10.1.4.9"), "10.1.4.0/24"},
		{"v6 prefix", lab, addr("2001:db8:10::1234"), "2001:db8:10::/64"},
		{"v6 single in the prefix", lab, addr("2001:db8:10::11"), "2001:db8:10::11"},
		{"v6 with a zone", lab, addr("2001:db8:10::11%eth0"), "2001:db8:10::11"},
		{"v6 outside", lab, addr("2001:db8:11::1"), ""},
		{"v4 is not v6", lab, addr("0.0.0.0"), ""},
		{"invalid address", lab, netip.Addr{}, ""},
		{"nil inventory", nil, addr("10.1.0.11"), ""},
		{"whole v4 space", edges, addr("1.2.3.4"), "0.0.0.0/0"},
		{"top v4 /24", edges, addr("255.255.255.254"), "255.255.255.0/24"},
		{"top v4 address", edges, addr("255.255.255.255"), "255.255.255.255"},
		{"whole v6 space", edges, addr("2001:db8::1"), "::/0"},
		{"top v6 address", edges, addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "ffff::/16"},
		{"lowest v6 address", edges, addr("::"), "::/0"},
		{"partial overlap, only the first", edges, addr("10.0.0.9"), "10.0.0.0-10.0.0.20"},
		{"partial overlap, equal sizes: earlier line", edges, addr("10.0.0.15"), "10.0.0.0-10.0.0.20"},
		{"partial overlap, only the second", edges, addr("10.0.0.21"), "10.0.0.10-10.0.0.30"},
		{"after the overlaps", edges, addr("10.0.0.31"), "0.0.0.0/0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if h := tt.inv.Lookup(tt.addr); h != nil {
				got = h.Spec
				if !h.Contains(tt.addr) {
					t.Errorf("Lookup(%v) = %s, which does not contain it", tt.addr, got)
				}
			}
			if got != tt.want {
				t.Errorf("Lookup(%v) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
	if h := lab.Lookup(addr("10.1.0.11")); h.Name != "fe01" || h.Roles != NewRoleSet(Frontend, CMS, Mediation) {
		t.Errorf("fe01: name %q roles %v", h.Name, h.Roles)
	}
}

// lookupLinear is the definition Lookup implements: the line covering a
// with the fewest addresses, the earliest among equals.
func lookupLinear(inv *Inventory, a netip.Addr) *Host {
	var best *Host
	var bestHi, bestLo uint64
	for _, h := range inv.Hosts {
		if !h.Contains(a) {
			continue
		}
		hi, lo := distance(h.First, h.Last)
		if best == nil || hi < bestHi || hi == bestHi && lo < bestLo {
			best, bestHi, bestLo = h, hi, lo
		}
	}
	return best
}

// TestInventoryLookupAgreesWithLinear builds random overlapping inventories
// over a small address block and compares Lookup with a linear scan for
// every address of the block.
func TestInventoryLookupAgreesWithLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var b strings.Builder
		seen := map[[2]int]bool{}
		for range 1 + rng.IntN(12) {
			lo := rng.IntN(64)
			hi := lo + rng.IntN(64-lo)
			if rng.IntN(3) == 0 {
				hi = lo
			}
			if seen[[2]int{lo, hi}] {
				continue
			}
			seen[[2]int{lo, hi}] = true
			if round%2 == 0 {
				fmt.Fprintf(&b, "10.0.0.%d-10.0.0.%d client\n", lo, hi)
			} else {
				fmt.Fprintf(&b, "2001:db8::%x-2001:db8::%x client\n", lo, hi)
			}
		}
		inv := mustParseInventory(t, b.String())
		for i := range 70 {
			a := addr(fmt.Sprintf("10.0.0.%d", i))
			if round%2 == 1 {
				a = addr(fmt.Sprintf("2001:db8::%x", i))
			}
			if got, want := inv.Lookup(a), lookupLinear(inv, a); got != want {
				t.Fatalf("round %d: Lookup(%v) = %v, want %v\n%s", round, a, got, want, b.String())
			}
		}
	}
}

func TestInventoryBuiltByHand(t *testing.T) {
	inv := &Inventory{Hosts: []*Host{
		{Spec: "a", First: addr("192.0.2.0"), Last: addr("192.0.2.255"), Roles: NewRoleSet(Client)},
		{Spec: "b", First: addr("192.0.2.7"), Last: addr("192.0.2.7"), Roles: NewRoleSet(Director)},
		{Spec: "backwards", First: addr("192.0.2.9"), Last: addr("192.0.2.8")},
		{Spec: "zero"},
	}}
	for a, want := range map[string]string{"192.0.2.7": "b", "192.0.2.8": "a", "192.0.3.0": ""} {
		got := ""
		if h := inv.Lookup(addr(a)); h != nil {
			got = h.Spec
		}
		if got != want {
			t.Errorf("Lookup(%s) = %q, want %q", a, got, want)
		}
	}
}

func TestHostSize(t *testing.T) {
	inv := mustParseInventory(t, "10.0.0.1 client\n10.0.0.0/24 client\n0.0.0.0/0 client\n"+
		"2001:db8::/65 client\n2001:db8::/64 client\n::/0 client\n2001:db8::1-2001:db8::3 client\n")
	want := []uint64{1, 256, 1 << 32, 1 << 63, math.MaxUint64, math.MaxUint64, 3}
	for i, h := range inv.Hosts {
		if got := h.Size(); got != want[i] {
			t.Errorf("%s: Size = %d, want %d", h.Spec, got, want[i])
		}
		if h.Single() != (want[i] == 1) {
			t.Errorf("%s: Single = %v", h.Spec, h.Single())
		}
	}
}

// benchInventory is a site with 200 servers, 50 ranges and 50 prefixes.
func benchInventory(tb testing.TB) *Inventory {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "10.1.%d.%d frontend name=s%d\n", i/100, 10+i%100, i)
	}
	for i := range 50 {
		fmt.Fprintf(&b, "10.1.%d.200-10.1.%d.220 frontend-lb\n", i, i)
		fmt.Fprintf(&b, "10.%d.0.0/16 client\n", 2+i)
	}
	fmt.Fprintf(&b, "10.0.0.0/8 client\n2001:db8::/48 client\n")
	return mustParseInventory(tb, b.String())
}

func TestInventoryLookupAllocatesNothing(t *testing.T) {
	inv := benchInventory(t)
	for _, a := range []string{"10.1.0.10", "10.1.7.210", "10.30.1.1", "::ffff:10.1.0.10", "2001:db8::1%eth0", "192.0.2.1"} {
		t.Run(a, func(t *testing.T) {
			x := addr(a)
			inv.Lookup(x) // build the index outside the measurement
			if n := testing.AllocsPerRun(200, func() { inv.Lookup(x) }); n != 0 {
				t.Errorf("Lookup(%s) allocates %v times", a, n)
			}
		})
	}
}

func BenchmarkInventoryLookup(b *testing.B) {
	inv := benchInventory(b)
	for _, bb := range []struct{ name, addr string }{
		{"single", "10.1.1.50"},
		{"range", "10.1.7.210"},
		{"prefix", "10.30.1.1"},
		{"mapped", "::ffff:10.1.0.10"},
		{"miss", "192.0.2.1"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			a := addr(bb.addr)
			inv.Lookup(a)
			b.ReportAllocs()
			for b.Loop() {
				inv.Lookup(a)
			}
		})
	}
}

// captureAddresses returns up to max distinct addresses named in the
// expected-output files that sit beside the real captures.
func captureAddresses(max int) []netip.Addr {
	dir := filepath.Join("..", "..", "shared", "captures")
	candidates := regexp.MustCompile(`[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}`)
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(d.Name(), ".expected.") || len(out) >= max {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, m := range candidates.FindAll(data, -1) {
			if a, err := netip.ParseAddr(string(m)); err == nil && !seen[a] && len(out) < max {
				seen[a] = true
				out = append(out, a)
			}
		}
		return nil
	})
	return out
}

// FuzzParseInventory checks that ParseInventory never panics, that its
// errors carry positions, and that Lookup of every line's first and last
// address finds a line at least as specific that contains it.
func FuzzParseInventory(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("testdata", "lab.inventory")); err == nil {
		f.Add(data)
	}
	f.Add([]byte("10.0.0.0-10.0.0.20 frontend\n10.0.0.10-10.0.0.30 director name=x\n0.0.0.0/0 client\n::/0 client\nffff::/16 cms\n"))
	f.Add([]byte("::ffff:10.9.0.0/120 ip-phone\n10.9.0.7 mediation # c\n2001:db8::5-2001:db8::9 client\n"))
	// Inventories of the hosts seen in the real captures' expected outputs.
	addrs := captureAddresses(48)
	if len(addrs) > 0 {
		var singles, ranges bytes.Buffer
		roles := AllRoles()
		for i, a := range addrs {
			fmt.Fprintf(&singles, "%s %s name=h%d\n", a, roles[i%len(roles)], i)
			if p, err := a.Prefix(a.BitLen() - 8); err == nil {
				fmt.Fprintf(&ranges, "%s client\n", p)
			}
		}
		slices.SortFunc(addrs, netip.Addr.Compare)
		for i := 0; i+1 < len(addrs); i += 2 {
			if addrs[i].BitLen() == addrs[i+1].BitLen() {
				fmt.Fprintf(&ranges, "%s-%s frontend\n", addrs[i], addrs[i+1])
			}
		}
		f.Add(singles.Bytes())
		f.Add(append(singles.Bytes(), ranges.Bytes()...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ParseInventory(bytes.NewReader(data), "fuzz")
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not a non-empty ErrorList", err)
			}
			for _, e := range list {
				if e.Pos.File != "fuzz" || e.Pos.Line < 1 || e.Pos.Column < 1 {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		for _, h := range inv.Hosts {
			if h.Roles.Empty() || h.Roles.Has(CMS) && !h.Roles.Has(Frontend) {
				t.Fatalf("%s: roles %v", h.Spec, h.Roles)
			}
			for _, a := range []netip.Addr{h.First, h.Last} {
				got := inv.Lookup(a)
				if got == nil || !got.Contains(a) || got.Size() > h.Size() {
					t.Fatalf("Lookup(%v) = %+v; %s (size %d) covers it", a, got, h.Spec, h.Size())
				}
				if want := lookupLinear(inv, a); got != want {
					t.Fatalf("Lookup(%v) = %s, want %s", a, got.Spec, want.Spec)
				}
			}
		}
	})
}
