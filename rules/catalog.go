package rules

import (
	"bytes"
	_ "embed"
	"strconv"
	"strings"
	"sync"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Side says which end of a connection a catalog entry describes.
type Side uint8

// The sides of an entry.
const (
	Listen  Side = iota + 1 // the role serves the port
	Connect                 // the role connects to the port on a peer
)

// String returns "listen" or "connect".
func (s Side) String() string {
	switch s {
	case Listen:
		return "listen"
	case Connect:
		return "connect"
	}
	return "side-" + strconv.Itoa(int(s))
}

// ParseSide returns the side named s ("listen" or "connect", any case).
func ParseSide(s string) (Side, bool) {
	switch {
	case strings.EqualFold(s, "listen"):
		return Listen, true
	case strings.EqualFold(s, "connect"):
		return Connect, true
	}
	return 0, false
}

// Transports is the set of transports an entry's port is open on.
type Transports uint8

// The transport sets the catalog uses.
const (
	TCPOnly Transports = 1 << iota // tcp
	UDPOnly                        // udp

	TCPAndUDP = TCPOnly | UDPOnly // tcp+udp
)

// Has reports whether t includes the transport tr.
func (t Transports) Has(tr decoders.Transport) bool {
	switch tr {
	case decoders.TCP:
		return t&TCPOnly != 0
	case decoders.UDP:
		return t&UDPOnly != 0
	}
	return false
}

// String returns "tcp", "udp" or "tcp+udp"; the empty set gives "".
func (t Transports) String() string {
	switch t {
	case 0:
		return ""
	case TCPOnly:
		return "tcp"
	case UDPOnly:
		return "udp"
	case TCPAndUDP:
		return "tcp+udp"
	}
	return "transports-" + strconv.Itoa(int(t))
}

// ParseTransports returns the set named s: "tcp", "udp", "tcp+udp" or
// "udp+tcp", in any case.
func ParseTransports(s string) (Transports, bool) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCPOnly, true
	case "udp":
		return UDPOnly, true
	case "tcp+udp", "udp+tcp":
		return TCPAndUDP, true
	}
	return 0, false
}

// Condition says which hosts a catalog entry applies to: a host matches when
// it holds every role of at least one set in Any and no role of Unless.
type Condition struct {
	Any    []RoleSet // alternatives; each set's roles are all required
	Unless RoleSet   // roles that exclude a host
}

// Matches reports whether a host holding the roles host meets c.
func (c Condition) Matches(host RoleSet) bool {
	if host&c.Unless != 0 {
		return false
	}
	for _, need := range c.Any {
		if need != 0 && host.Contains(need) {
			return true
		}
	}
	return false
}

// String returns the condition as a catalog file writes it:
// "frontend+mediation director", followed by " unless frontend" when some
// roles exclude a host.
func (c Condition) String() string {
	s := c.alternatives()
	if c.Unless != 0 {
		s += " unless " + c.Unless.join(" ")
	}
	return s
}

// alternatives returns the value of the roles key.
func (c Condition) alternatives() string {
	parts := make([]string, len(c.Any))
	for i, need := range c.Any {
		parts[i] = need.join("+")
	}
	return strings.Join(parts, " ")
}

// MTLS says when an entry asks for mutual TLS: a client certificate.
type MTLS uint8

// When a client certificate is required.
const (
	MTLSNo             MTLS = iota // server-authenticated TLS is enough
	MTLSYes                        // always (server-to-server ports)
	MTLSBetweenServers             // only when the connecting host is a server (Front End 5061: servers use MTLS, clients TLS)
)

var mtlsNames = [...]string{MTLSNo: "no", MTLSYes: "yes", MTLSBetweenServers: "servers"}

// String returns "no", "yes" or "servers", as in the data file.
func (m MTLS) String() string {
	if int(m) < len(mtlsNames) {
		return mtlsNames[m]
	}
	return "mtls-" + strconv.Itoa(int(m))
}

// Required reports whether a host with the roles peer, connecting to the
// entry's port, must present a client certificate.
func (m MTLS) Required(peer RoleSet) bool {
	return m == MTLSYes || (m == MTLSBetweenServers && peer.IsServer())
}

// Entry is one row of the port catalog: who it is for, the port and
// transport, which side of the connection the role is on, and what the
// payload should be. Entries are shared between catalogs and must not be
// modified once parsed.
type Entry struct {
	Table         string     // server_ports, hlb_only, hlb_dns, client_ports, or a user's table name
	Row           int        // 1-based row in its source table
	Pos           Pos        // file and line of the entry's header
	Source        string     // role cell as published
	Roles         Condition  // hosts the entry applies to
	Service       string     // service name cell as published (server_ports only)
	Low, High     uint16     // port range; both 0 for an empty row
	PublishedPort string     // port cell as published, when it says more than the range ("67/68")
	From          uint16     // connect entries: local port the role sends from; 0 = any
	Transports    Transports // transports the port is open on
	Side          Side       // Listen or Connect
	Protocol      string     // protocol cell as published
	Expect        []decoders.Protocol
	MTLS          MTLS   // whether the catalog asks for mutual TLS
	Media         bool   // a media port range
	About         string // what the port is for, in a sentence
}

// Ref returns the entry's source reference, such as "server_ports#3".
func (e *Entry) Ref() string { return e.Table + "#" + strconv.Itoa(e.Row) }

// Empty reports whether the entry stands for a row with no port, which
// matches no traffic.
func (e *Entry) Empty() bool { return e.Low == 0 && e.High == 0 }

// PortText returns the port or range as written in a catalog file: "5061",
// "49152-57500", or "" for an empty row.
func (e *Entry) PortText() string {
	switch {
	case e.Empty():
		return ""
	case e.Low == e.High:
		return strconv.Itoa(int(e.Low))
	}
	return strconv.Itoa(int(e.Low)) + "-" + strconv.Itoa(int(e.High))
}

// Covers reports whether port on transport t falls in the entry's range.
func (e *Entry) Covers(port uint16, t decoders.Transport) bool {
	return !e.Empty() && e.Low <= port && port <= e.High && e.Transports.Has(t)
}

// Catalog is an ordered list of port catalog entries.
type Catalog struct {
	Entries []*Entry // file order
}

// builtinName names the embedded data file in positions.
const builtinName = "catalog.lync2013"

//go:embed catalog.lync2013
var builtinData []byte

var builtin = sync.OnceValue(func() *Catalog {
	c, err := ParseCatalog(bytes.NewReader(builtinData), builtinName)
	if err != nil {
		// The data file is part of the program; a test parses it.
		panic("rules: embedded catalog: " + err.Error())
	}
	return c
})

// Builtin returns the catalog embedded in the program: every row of the
// four tables of Lync Server 2013's port catalog for internal servers, load
// balancers and clients. It is parsed once and shared; do not modify it.
func Builtin() *Catalog { return builtin() }

// Merge returns a new catalog holding c's entries, where an entry of over
// with the same table and row replaces c's in place, followed by over's
// other entries in their order. Neither catalog is modified.
func (c *Catalog) Merge(over *Catalog) *Catalog {
	type key struct {
		table string
		row   int
	}
	out := &Catalog{Entries: make([]*Entry, len(c.Entries), len(c.Entries)+len(over.Entries))}
	copy(out.Entries, c.Entries)
	index := make(map[key]int, len(c.Entries))
	for i, e := range c.Entries {
		index[key{e.Table, e.Row}] = i
	}
	for _, e := range over.Entries {
		k := key{e.Table, e.Row}
		if i, ok := index[k]; ok {
			out.Entries[i] = e
			continue
		}
		index[k] = len(out.Entries)
		out.Entries = append(out.Entries, e)
	}
	return out
}

// ForRoles returns the non-empty entries, on either side, that apply to a
// host holding roles: what such a host may serve and connect to.
func (c *Catalog) ForRoles(roles RoleSet) []*Entry {
	var es []*Entry
	for _, e := range c.Entries {
		if !e.Empty() && e.Roles.Matches(roles) {
			es = append(es, e)
		}
	}
	return es
}

// Match appends to dst the entries that apply to a host holding roles, on
// the given side, whose range covers port on transport t, and returns the
// extended slice. It allocates nothing when dst has room for the matches.
// The From port of connect entries is not checked; callers compare it with
// the local port when they know it.
func (c *Catalog) Match(dst []*Entry, roles RoleSet, side Side, port uint16, t decoders.Transport) []*Entry {
	for _, e := range c.Entries {
		if e.Side == side && e.Covers(port, t) && e.Roles.Matches(roles) {
			dst = append(dst, e)
		}
	}
	return dst
}

// Lookup returns the entry of table with the given row, or nil.
func (c *Catalog) Lookup(table string, row int) *Entry {
	for _, e := range c.Entries {
		if e.Row == row && e.Table == table {
			return e
		}
	}
	return nil
}
