package rules

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// catalogKey is a key of a catalog entry. The order is the order in which
// WriteTo writes them.
type catalogKey uint8

const (
	keySource catalogKey = iota
	keyRoles
	keyUnless
	keyService
	keyPort
	keyPublishedPort
	keyFrom
	keyTransport
	keySide
	keyProtocol
	keyExpect
	keyMTLS
	keyMedia
	keyAbout
	numKeys
)

var keyNames = [numKeys]string{
	keySource:        "source",
	keyRoles:         "roles",
	keyUnless:        "unless",
	keyService:       "service",
	keyPort:          "port",
	keyPublishedPort: "published-port",
	keyFrom:          "from",
	keyTransport:     "transport",
	keySide:          "side",
	keyProtocol:      "protocol",
	keyExpect:        "expect",
	keyMTLS:          "mtls",
	keyMedia:         "media",
	keyAbout:         "about",
}

func lookupKey(s string) (catalogKey, bool) {
	for k, name := range keyNames {
		if name == s {
			return catalogKey(k), true
		}
	}
	return 0, false
}

// maxRow bounds the row number of an entry header.
const maxRow = 999999

// ParseCatalog reads a catalog in the format of the embedded data file
// (documented at its top): entries that start with a "[table row]" header,
// followed by one "key value" line per field. file names r in the positions
// of entries and errors. On failure the error is an [ErrorList] holding
// every mistake found, sorted by position.
func ParseCatalog(r io.Reader, file string) (*Catalog, error) {
	p := &catalogParser{file: file, headers: map[string]Pos{}}
	readLines(r, file, &p.errs, p.line)
	p.endEntry()
	if len(p.errs) > 0 {
		p.errs.Sort()
		return nil, p.errs
	}
	return &Catalog{Entries: p.entries}, nil
}

// catalogParser holds the state of ParseCatalog between lines.
type catalogParser struct {
	file    string
	errs    ErrorList
	entries []*Entry
	headers map[string]Pos // entry reference → position of its header

	cur  *Entry       // entry being read; nil before the first header
	seen [numKeys]Pos // where each key of cur was given; Line 0 when not yet
	skip bool         // the header was bad: ignore lines up to the next one
}

func (p *catalogParser) errorf(line, col int, sentinel error, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.errs.Add(Pos{File: p.file, Line: line, Column: col}, fmt.Errorf("%w: %s", sentinel, msg))
}

func (p *catalogParser) line(s string, n int) {
	text, off := trimBlanks(s)
	if text == "" || text[0] == '#' {
		return
	}
	col := off + 1
	if text[0] == '[' {
		p.header(text, n, col)
		return
	}
	if p.skip {
		return
	}
	end := 0
	for end < len(text) && !isBlank(text[end]) {
		end++
	}
	name := text[:end]
	if p.cur == nil {
		p.errorf(n, col, ErrSyntax, "key %q before the first entry header such as [server_ports 1]", name)
		p.skip = true
		return
	}
	k, ok := lookupKey(name)
	if !ok {
		p.errorf(n, col, ErrUnknownKey, "%q; valid keys: %s", name, strings.Join(keyNames[:], ", "))
		return
	}
	if first := p.seen[k]; first.Line != 0 {
		p.errorf(n, col, ErrDuplicate, "key %s given twice in %s, first at line %d", name, p.cur.Ref(), first.Line)
		return
	}
	p.seen[k] = Pos{File: p.file, Line: n, Column: col}
	v, vcol, ok := p.value(text[end:], n, col+end)
	if ok {
		p.set(k, v, n, vcol)
	}
}

// header starts a new entry from a "[table row]" line that starts at col.
func (p *catalogParser) header(s string, n, col int) {
	p.endEntry()
	p.cur, p.seen, p.skip = nil, [numKeys]Pos{}, true
	end := strings.IndexByte(s, ']')
	if end < 0 {
		p.errorf(n, col, ErrSyntax, "header without a closing ]; want [table row]")
		return
	}
	if rest, roff := trimBlanks(s[end+1:]); rest != "" && rest[0] != '#' {
		p.errorf(n, col+end+1+roff, ErrSyntax, "text after the header: %q", rest)
		return
	}
	fs := splitFields(s[1:end], col+1)
	if len(fs) != 2 {
		p.errorf(n, col, ErrSyntax, "header %q; want [table row]", s[:end+1])
		return
	}
	table, rowText := fs[0], fs[1]
	if !validTableName(table.text) {
		p.errorf(n, table.col, ErrSyntax, "table name %q; use a letter followed by letters, digits, '_', '-' or '.'", table.text)
		return
	}
	row, ok := parseDecimal(rowText.text, maxRow)
	if !ok || row == 0 {
		p.errorf(n, rowText.col, ErrBadValue, "row %q; want a number from 1 to %d", rowText.text, maxRow)
		return
	}
	e := &Entry{Table: table.text, Row: row, Pos: Pos{File: p.file, Line: n, Column: col}}
	if first, dup := p.headers[e.Ref()]; dup {
		p.errorf(n, col, ErrDuplicate, "entry %s given twice, first at %s", e.Ref(), first)
		return
	}
	p.headers[e.Ref()] = e.Pos
	p.cur, p.skip = e, false
}

// endEntry checks the entry being read and adds it to the catalog.
func (p *catalogParser) endEntry() {
	e := p.cur
	if e == nil {
		return
	}
	p.cur = nil
	n, col := e.Pos.Line, e.Pos.Column
	switch {
	case p.seen[keyPort].Line == 0:
		p.errorf(n, col, ErrMissingKey, "entry %s has no port (leave the value empty for an empty row)", e.Ref())
	case e.Empty():
		// An empty row needs nothing else: it matches no traffic.
	default:
		if p.seen[keyRoles].Line == 0 {
			p.errorf(n, col, ErrMissingKey, "entry %s has no roles", e.Ref())
		}
		if p.seen[keyTransport].Line == 0 {
			p.errorf(n, col, ErrMissingKey, "entry %s has no transport", e.Ref())
		}
	}
	if e.Side == 0 {
		e.Side = Listen
	}
	if from := p.seen[keyFrom]; from.Line != 0 && e.Side != Connect {
		p.errorf(from.Line, from.Column, ErrBadValue, "from is a local port for side connect, and %s listens", e.Ref())
	}
	p.entries = append(p.entries, e)
}

// value returns the value in s, the text after a key starting at column col,
// and the column where the value starts. A value is the rest of the line up
// to a comment, or a double-quoted Go string.
func (p *catalogParser) value(s string, n, col int) (string, int, bool) {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	s, col = s[i:], col+i
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			p.errorf(n, col, ErrSyntax, "quoted value without its closing quote or with a bad escape")
			return "", col, false
		}
		if rest, roff := trimBlanks(s[len(q):]); rest != "" && rest[0] != '#' {
			p.errorf(n, col+len(q)+roff, ErrSyntax, "text after the quoted value: %q", rest)
			return "", col, false
		}
		s, _ = strconv.Unquote(q)
	} else {
		s, _ = trimBlanks(s[:commentStart(s)])
	}
	switch {
	case !utf8.ValidString(s):
		p.errorf(n, col, ErrSyntax, "value is not valid UTF-8")
		return "", col, false
	case hasControl(s):
		p.errorf(n, col, ErrSyntax, "control character in value")
		return "", col, false
	}
	return s, col, true
}

// commentStart returns where a comment starts in s (a "#" at the start or
// after a space or tab), or len(s).
func commentStart(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || isBlank(s[i-1])) {
			return i
		}
	}
	return len(s)
}

// set stores the value v of key k, found at column col, in the current entry.
func (p *catalogParser) set(k catalogKey, v string, n, col int) {
	e := p.cur
	switch k {
	case keySource:
		e.Source = v
	case keyRoles:
		e.Roles.Any = p.alternatives(v, n, col)
	case keyUnless:
		e.Roles.Unless = p.unless(v, n, col)
	case keyService:
		e.Service = v
	case keyPort:
		e.Low, e.High = p.portRange(v, n, col)
	case keyPublishedPort:
		e.PublishedPort = v
	case keyFrom:
		e.From = p.port(v, n, col)
	case keyTransport:
		t, ok := ParseTransports(v)
		if !ok {
			p.errorf(n, col, ErrBadValue, "transport %q; want tcp, udp or tcp+udp", v)
		}
		e.Transports = t
	case keySide:
		s, ok := ParseSide(v)
		if !ok {
			p.errorf(n, col, ErrBadValue, "side %q; want listen or connect", v)
		}
		e.Side = s
	case keyProtocol:
		e.Protocol = v
	case keyExpect:
		e.Expect = p.protocols(v, n, col)
	case keyMTLS:
		e.MTLS = p.mtls(v, n, col)
	case keyMedia:
		e.Media = p.yesNo(k, v, n, col)
	case keyAbout:
		e.About = v
	}
}

// alternatives parses the value of a roles key: role sets separated by
// blanks, each a role id or ids joined with "+".
func (p *catalogParser) alternatives(v string, n, col int) []RoleSet {
	fs := splitFields(v, col)
	if len(fs) == 0 {
		p.errorf(n, col, ErrBadValue, "roles needs at least one role id")
		return nil
	}
	alts := make([]RoleSet, 0, len(fs))
	for _, f := range fs {
		var need RoleSet
		c := f.col
		for part := range strings.SplitSeq(f.text, "+") {
			r, ok := p.role(part, n, c)
			need = need.With(r)
			if !ok {
				need = 0
				break
			}
			c += len(part) + 1
		}
		if need != 0 {
			alts = append(alts, need)
		}
	}
	return alts
}

// unless parses the value of an unless key: role ids separated by blanks.
func (p *catalogParser) unless(v string, n, col int) RoleSet {
	fs := splitFields(v, col)
	if len(fs) == 0 {
		p.errorf(n, col, ErrBadValue, "unless needs at least one role id")
	}
	var s RoleSet
	for _, f := range fs {
		r, _ := p.role(f.text, n, f.col)
		s = s.With(r)
	}
	return s
}

func (p *catalogParser) role(s string, n, col int) (Role, bool) {
	if s == "" {
		p.errorf(n, col, ErrSyntax, "empty role id next to +")
		return 0, false
	}
	r, ok := ParseRole(s)
	if !ok {
		p.errorf(n, col, ErrUnknownRole, "%q; valid roles: %s", s, roleList())
	}
	return r, ok
}

// portRange parses "5061", "49152-57500" or "" (an empty row).
func (p *catalogParser) portRange(v string, n, col int) (low, high uint16) {
	if v == "" {
		return 0, 0
	}
	lowText, highText, isRange := strings.Cut(v, "-")
	low = p.port(lowText, n, col)
	if !isRange {
		return low, low
	}
	high = p.port(highText, n, col+len(lowText)+1)
	if low != 0 && high != 0 && high < low {
		p.errorf(n, col, ErrBadPort, "range %s runs backwards", v)
		return 0, 0
	}
	if low == 0 || high == 0 {
		return 0, 0
	}
	return low, high
}

// port parses a port number from 1 to 65535; it returns 0 after an error.
func (p *catalogParser) port(v string, n, col int) uint16 {
	x, ok := parseDecimal(v, 65535)
	if !ok || x == 0 {
		p.errorf(n, col, ErrBadPort, "%q; want a number from 1 to 65535", v)
		return 0
	}
	return uint16(x)
}

// protocols parses the value of an expect key.
func (p *catalogParser) protocols(v string, n, col int) []decoders.Protocol {
	fs := splitFields(v, col)
	if len(fs) == 0 {
		p.errorf(n, col, ErrBadValue, "expect needs at least one protocol; leave the key out to allow any payload")
		return nil
	}
	ps := make([]decoders.Protocol, 0, len(fs))
	for _, f := range fs {
		pr, ok := decoders.ParseProtocol(f.text)
		switch {
		case !ok || pr == decoders.Unknown:
			p.errorf(n, f.col, ErrBadValue, "protocol %q; valid protocols: %s", f.text, protocolList())
		case containsProtocol(ps, pr):
			p.errorf(n, f.col, ErrDuplicate, "protocol %s listed twice", pr)
		default:
			ps = append(ps, pr)
		}
	}
	return ps
}

func containsProtocol(ps []decoders.Protocol, p decoders.Protocol) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// protocolList names the protocols an expect key may list.
func protocolList() string {
	var names []string
	for _, p := range decoders.Protocols() {
		if p != decoders.Unknown {
			names = append(names, p.String())
		}
	}
	return strings.Join(names, ", ")
}

func (p *catalogParser) yesNo(k catalogKey, v string, n, col int) bool {
	switch {
	case strings.EqualFold(v, "yes"):
		return true
	case strings.EqualFold(v, "no"):
		return false
	}
	p.errorf(n, col, ErrBadValue, "%s %q; want yes or no", keyNames[k], v)
	return false
}

// mtls parses the value of an mtls key: yes, no or servers.
func (p *catalogParser) mtls(v string, n, col int) MTLS {
	for m, name := range mtlsNames {
		if strings.EqualFold(v, name) {
			return MTLS(m)
		}
	}
	p.errorf(n, col, ErrBadValue, "mtls %q; want yes, no or servers", v)
	return MTLSNo
}

// parseDecimal parses s, made of ASCII digits only, as a number no larger
// than limit.
func parseDecimal(s string, limit int) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	x := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int(c-'0')
	}
	return x, x <= limit
}

// validTableName reports whether s is a letter followed by letters, digits,
// '_', '-' or '.'.
func validTableName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return s != ""
}
