package rules

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// wantError is an expected element of an ErrorList.
type wantError struct {
	line, col int
	sentinel  error
	msg       string // the whole message after "file:line:col: "
}

// checkErrors compares err, which must be an ErrorList, with want element by
// element: position, sentinel and message.
func checkErrors(t *testing.T, err error, file string, want []wantError) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T) is not an ErrorList", err, err)
	}
	if len(list) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(list), len(want), strings.Join(errorStrings(list), "\n"))
	}
	for i := 0; i < len(list) && i < len(want); i++ {
		got, w := list[i], want[i]
		if got.Pos != (Pos{File: file, Line: w.line, Column: w.col}) {
			t.Errorf("error %d at %v, want %s:%d:%d (%v)", i, got.Pos, file, w.line, w.col, got)
		}
		if !errors.Is(got, w.sentinel) || !errors.Is(err, w.sentinel) {
			t.Errorf("error %d %q does not wrap %q", i, got, w.sentinel)
		}
		if msg := got.Err.Error(); msg != w.msg {
			t.Errorf("error %d message\ngot:  %s\nwant: %s", i, msg, w.msg)
		}
	}
}

func errorStrings(l ErrorList) []string {
	var s []string
	for _, e := range l {
		s = append(s, e.Error())
	}
	return s
}

const minimalEntry = "[t 1]\nroles frontend\nport 5061\ntransport tcp\n"

func TestParseCatalogErrors(t *testing.T) {
	validRoles := "valid roles: " + roleList()
	for _, tt := range []struct {
		name string
		in   string
		want []wantError
	}{
		{"key before header", "# c\nport 5061\nroles x\n", []wantError{
			{2, 1, ErrSyntax, `syntax error: key "port" before the first entry header such as [server_ports 1]`}}},
		{"unknown key", minimalEntry + "  ports 5061\n", []wantError{
			{5, 3, ErrUnknownKey, `unknown key: "ports"; valid keys: source, roles, unless, service, port, published-port, from, transport, side, protocol, expect, mtls, media, about`}}},
		{"duplicate key", minimalEntry + "port 5062\n", []wantError{
			{5, 1, ErrDuplicate, "duplicate: key port given twice in t#1, first at line 3"}}},
		{"duplicate entry", minimalEntry + "\n" + minimalEntry, []wantError{
			{6, 1, ErrDuplicate, "duplicate: entry t#1 given twice, first at f:1:1"}}},
		{"header without row", "[t]\nport 1\n", []wantError{
			{1, 1, ErrSyntax, `syntax error: header "[t]"; want [table row]`}}},
		{"header without bracket", "[t 1\nport 1\n", []wantError{
			{1, 1, ErrSyntax, "syntax error: header without a closing ]; want [table row]"}}},
		{"text after header", "[t 1] x\n", []wantError{
			{1, 7, ErrSyntax, `syntax error: text after the header: "x"`}}},
		{"bad table name", "[1t 1]\n", []wantError{
			{1, 2, ErrSyntax, `syntax error: table name "1t"; use a letter followed by letters, digits, '_', '-' or '.'`}}},
		{"row zero", "[t 0]\n", []wantError{
			{1, 4, ErrBadValue, `bad value: row "0"; want a number from 1 to 999999`}}},
		{"row not a number", "[t +1]\n", []wantError{
			{1, 4, ErrBadValue, `bad value: row "+1"; want a number from 1 to 999999`}}},
		{"no port", "[t 1]\nroles frontend\ntransport tcp\n", []wantError{
			{1, 1, ErrMissingKey, "missing key: entry t#1 has no port (leave the value empty for an empty row)"}}},
		{"no roles nor transport", "[t 1]\nport 80\n", []wantError{
			{1, 1, ErrMissingKey, "missing key: entry t#1 has no roles"},
			{1, 1, ErrMissingKey, "missing key: entry t#1 has no transport"}}},
		{"port zero", "[t 1]\nroles client\ntransport tcp\nport 0\n", []wantError{
			{4, 6, ErrBadPort, `bad port: "0"; want a number from 1 to 65535`}}},
		{"port too large", "[t 1]\nroles client\ntransport tcp\nport 65536\n", []wantError{
			{4, 6, ErrBadPort, `bad port: "65536"; want a number from 1 to 65535`}}},
		{"range backwards", "[t 1]\nroles client\ntransport tcp\nport   100-99\n", []wantError{
			{4, 8, ErrBadPort, "bad port: range 100-99 runs backwards"}}},
		{"range end not a number", "[t 1]\nroles client\ntransport tcp\nport 100-x\n", []wantError{
			{4, 10, ErrBadPort, `bad port: "x"; want a number from 1 to 65535`}}},
		{"unknown role in a conjunction", "[t 1]\nport 1\ntransport tcp\nroles director frontend+medaition\n", []wantError{
			{4, 25, ErrUnknownRole, `unknown role: "medaition"; ` + validRoles}}},
		{"empty role next to plus", "[t 1]\nport 1\ntransport tcp\nroles frontend+\n", []wantError{
			{4, 16, ErrSyntax, "syntax error: empty role id next to +"}}},
		{"empty roles", "[t 1]\nport 1\ntransport tcp\nroles # none\n", []wantError{
			{4, 7, ErrBadValue, "bad value: roles needs at least one role id"}}},
		{"unknown unless role", minimalEntry + "unless fe\n", []wantError{
			{5, 8, ErrUnknownRole, `unknown role: "fe"; ` + validRoles}}},
		{"bad transport", "[t 1]\nroles client\nport 1\ntransport sctp\n", []wantError{
			{4, 11, ErrBadValue, `bad value: transport "sctp"; want tcp, udp or tcp+udp`}}},
		{"bad side", minimalEntry + "side serve\n", []wantError{
			{5, 6, ErrBadValue, `bad value: side "serve"; want listen or connect`}}},
		{"from on a listening entry", minimalEntry + "from 68\n", []wantError{
			{5, 1, ErrBadValue, "bad value: from is a local port for side connect, and t#1 listens"}}},
		{"bad expect", minimalEntry + "expect tls sip2 unknown\n", []wantError{
			{5, 12, ErrBadValue, `bad value: protocol "sip2"; valid protocols: ` + protocolList()},
			{5, 17, ErrBadValue, `bad value: protocol "unknown"; valid protocols: ` + protocolList()}}},
		{"protocol twice", minimalEntry + "expect tls TLS\n", []wantError{
			{5, 12, ErrDuplicate, "duplicate: protocol tls listed twice"}}},
		{"empty expect", minimalEntry + "expect\n", []wantError{
			{5, 7, ErrBadValue, "bad value: expect needs at least one protocol; leave the key out to allow any payload"}}},
		{"bad yes", minimalEntry + "mtls sure\n", []wantError{
			{5, 6, ErrBadValue, `bad value: mtls "sure"; want yes, no or servers`}}},
		{"unterminated quote", minimalEntry + "about \"abc\n", []wantError{
			{5, 7, ErrSyntax, "syntax error: quoted value without its closing quote or with a bad escape"}}},
		{"text after quote", minimalEntry + "about \"abc\" def\n", []wantError{
			{5, 13, ErrSyntax, `syntax error: text after the quoted value: "def"`}}},
		{"control character", minimalEntry + "about a\x01b\n", []wantError{
			{5, 7, ErrSyntax, "syntax error: control character in value"}}},
		{"quoted control character", minimalEntry + "about \"a\\nb\"\n", []wantError{
			{5, 7, ErrSyntax, "syntax error: control character in value"}}},
		{"not UTF-8", minimalEntry + "source caf\xe9\n", []wantError{
			{5, 8, ErrSyntax, "syntax error: value is not valid UTF-8"}}},
		{"line too long", minimalEntry + "about " + strings.Repeat("x", maxLineLen) + "\n", []wantError{
			{5, 1, ErrSyntax, "syntax error: line longer than 65536 bytes"}}},
		{"bad header skips its keys", "[t x]\nroles nobody\n" + minimalEntry, []wantError{
			{1, 4, ErrBadValue, `bad value: row "x"; want a number from 1 to 999999`}}},
		{"errors sorted by position", "[t 1]\nroles nobody\nport 1\nfrom 0\n\n[u 2]\nport 1\n", []wantError{
			{1, 1, ErrMissingKey, "missing key: entry t#1 has no transport"},
			{2, 7, ErrUnknownRole, `unknown role: "nobody"; ` + validRoles},
			{4, 1, ErrBadValue, "bad value: from is a local port for side connect, and t#1 listens"},
			{4, 6, ErrBadPort, `bad port: "0"; want a number from 1 to 65535`},
			{6, 1, ErrMissingKey, "missing key: entry u#2 has no roles"},
			{6, 1, ErrMissingKey, "missing key: entry u#2 has no transport"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCatalog(strings.NewReader(tt.in), "f")
			if c != nil || err == nil {
				t.Fatalf("ParseCatalog = %v, %v; want an error", c, err)
			}
			checkErrors(t, err, "f", tt.want)
		})
	}
}

func TestParseCatalogValues(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want Entry
	}{
		{
			name: "comments, case and indentation",
			in: "\ufeff# head\r\n[my.table-2 42]   # trailing\r\n  source   C# clients   # a comment\r\n\troles Client  FRONTEND+mediation\r\n" +
				"port 5000-5010\r\ntransport TCP+UDP\r\nside Connect\r\nfrom 68\r\nexpect RTP ms-turn\r\nmtls YES\r\nmedia no\r\nabout #\r\n",
			want: Entry{
				Table: "my.table-2", Row: 42, Pos: Pos{File: "f", Line: 2, Column: 1}, Source: "C# clients",
				Roles: Condition{Any: []RoleSet{NewRoleSet(Client), NewRoleSet(Frontend, Mediation)}},
				Low:   5000, High: 5010, From: 68, Transports: TCPAndUDP, Side: Connect,
				Expect: []decoders.Protocol{decoders.RTP, decoders.MSTURN}, MTLS: MTLSYes,
			},
		},
		{
			name: "quoted values",
			in:   "[t 1]\nroles client\nport 1\ntransport udp\nabout \"  a # b \\\"c\\\"  \" # comment\nprotocol \"\"\nservice \"caf\\u00e9\"\n",
			want: Entry{
				Table: "t", Row: 1, Pos: Pos{File: "f", Line: 1, Column: 1}, Roles: Condition{Any: []RoleSet{NewRoleSet(Client)}},
				Low: 1, High: 1, Transports: UDPOnly, Side: Listen, About: `  a # b "c"  `, Service: "café",
			},
		},
		{
			name: "empty row",
			in:   "[hlb_dns 6]\nport\nabout nothing here\n",
			want: Entry{Table: "hlb_dns", Row: 6, Pos: Pos{File: "f", Line: 1, Column: 1}, Side: Listen, About: "nothing here"},
		},
		{
			name: "unless",
			in:   "[t 1]\nroles mediation\nunless frontend  director\nport 5070\ntransport tcp\n",
			want: Entry{
				Table: "t", Row: 1, Pos: Pos{File: "f", Line: 1, Column: 1}, Low: 5070, High: 5070, Transports: TCPOnly, Side: Listen,
				Roles: Condition{Any: []RoleSet{NewRoleSet(Mediation)}, Unless: NewRoleSet(Frontend, Director)},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCatalog(strings.NewReader(tt.in), "f")
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Entries) != 1 {
				t.Fatalf("got %d entries, want 1", len(c.Entries))
			}
			if got := *c.Entries[0]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseCatalogEmptyInput(t *testing.T) {
	for _, in := range []string{"", "\n\n# only comments\n   \n"} {
		c, err := ParseCatalog(strings.NewReader(in), "f")
		if err != nil || len(c.Entries) != 0 {
			t.Errorf("ParseCatalog(%q) = %v, %v; want an empty catalog", in, c, err)
		}
	}
}

// FuzzParseCatalog checks that ParseCatalog never panics, that every error
// it reports has a position in the file, and that a catalog it accepts
// survives WriteTo and ParseCatalog unchanged.
func FuzzParseCatalog(f *testing.F) {
	// The built-in catalog one entry at a time: the fuzzer's minimizer is
	// quadratic in the input's length.
	for _, entry := range catalogEntries(builtinData) {
		f.Add(entry)
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "sfb.catalog")); err == nil {
		for _, entry := range catalogEntries(data) {
			f.Add(entry)
		}
	}
	f.Add([]byte(minimalEntry))
	f.Add([]byte("[t 1]\nroles client+ip-phone director\nunless cms\nport 67\nfrom 68\nside connect\ntransport udp\nabout \"#x\"\n"))
	f.Add([]byte("[hlb_dns 6]\nport\n[t 2]\nport 1-2\nroles frontend\ntransport tcp+udp\nexpect rtp dtls\nmedia yes\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalog(bytes.NewReader(data), "fuzz")
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
		back, text := roundTrip(t, c)
		if got, want := withoutPos(back.Entries), withoutPos(c.Entries); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip changed the entries\ngot:  %+v\nwant: %+v\nwritten:\n%s", got, want, text)
		}
		_, again := roundTrip(t, back)
		if !bytes.Equal(text, again) {
			t.Fatalf("WriteTo is not stable:\n%s\n----\n%s", text, again)
		}
	})
}

// catalogEntries cuts a catalog file into its entries, leaving out what
// comes before the first header.
func catalogEntries(data []byte) [][]byte {
	var entries [][]byte
	for {
		i := bytes.Index(data, []byte("\n["))
		if i < 0 {
			break
		}
		data = data[i+1:]
		end := len(data)
		if j := bytes.Index(data, []byte("\n[")); j >= 0 {
			end = j + 1
		}
		entries = append(entries, data[:end])
	}
	return entries
}

func BenchmarkParseBuiltinCatalog(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(builtinData)))
	for b.Loop() {
		if _, err := ParseCatalog(bytes.NewReader(builtinData), builtinName); err != nil {
			b.Fatal(err)
		}
	}
}
