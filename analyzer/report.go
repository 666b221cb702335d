package analyzer

import (
	"strconv"
	"time"
)

// Schema names the version of the report model. It changes when a field
// changes meaning or goes away; new fields may appear without a change.
const Schema = "lyncaudit.report/1"

// Report is everything an analysis found: plain data, documented, with no
// rendering in it. Renderers turn it into text, JSON, CSV or Markdown.
type Report struct {
	Schema    string        `json:"schema"`
	Generator string        `json:"generator"`
	Captures  []CaptureInfo `json:"captures"`
	Totals    Totals        `json:"totals"`
	Inventory string        `json:"inventory,omitempty"` // file the inventory came from
	Catalogs  []string      `json:"catalogs"`            // catalog sources: "builtin" and any --catalog files
	Hosts     []HostReport  `json:"hosts"`
	Findings  []Finding     `json:"findings"`
	Unjudged  []Unjudged    `json:"unjudged"`         // services of servers that are not in the inventory
	Timeline  *Timeline     `json:"timeline"`         // packets, bytes and new findings per bucket of capture time
	Window    *Window       `json:"window,omitempty"` // the time window analysed, when one was set
	Flows     []FlowRecord  `json:"flows,omitempty"`  // only when asked for
	Warnings  []string      `json:"warnings,omitempty"`
}

// CaptureInfo describes one capture file that was read.
type CaptureInfo struct {
	Name      string    `json:"name"`
	Format    string    `json:"format"`
	LinkTypes []string  `json:"link_types"`
	Packets   uint64    `json:"packets"`
	Bytes     uint64    `json:"bytes"` // captured bytes of all frames
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	Error     string    `json:"error,omitempty"` // why reading stopped early (a truncated or damaged file)
	// Live captures only: the kernel's counters.
	KernelReceived uint64 `json:"kernel_received,omitempty"` // frames the socket's filter was offered
	KernelDropped  uint64 `json:"kernel_dropped,omitempty"`  // frames lost because the ring was full
	Filtered       uint64 `json:"filtered,omitempty"`        // frames the user-space filter dropped

	first, last int64 // capture times of the first and last packets, kept as numbers while reading
}

// Totals sums the whole run.
type Totals struct {
	Packets  uint64 `json:"packets"`
	Bytes    uint64 `json:"bytes"`              // wire length of all frames
	Filter   string `json:"filter,omitempty"`   // the capture filter applied, normalised
	Filtered uint64 `json:"filtered,omitempty"` // frames the filter dropped
	// OutsideWindow counts frames before --since or from --until on.
	OutsideWindow uint64            `json:"outside_window,omitempty"`
	Decoded       uint64            `json:"decoded"` // frames decoded to a TCP or UDP packet
	Undecodable   map[string]uint64 `json:"undecodable"`
	Flows         uint64            `json:"flows"`
	Evicted       uint64            `json:"evicted"`    // flows ended early because the flow table was full
	PeakFlows     int               `json:"peak_flows"` // most flows live at once (with several workers, the sum of each one's peak: an upper bound)
	MaxFlows      int               `json:"max_flows"`  // the flow table's cap
	FirstSeen     time.Time         `json:"first_seen,omitzero"`
	LastSeen      time.Time         `json:"last_seen,omitzero"`
	Verdicts      map[string]int    `json:"verdicts"` // services and missing entries by verdict
}

// HostReport is one inventory address: what it served, what it connected
// to that the catalog lists for it, and which of its catalog entries never
// showed up.
type HostReport struct {
	Address string   `json:"address"`
	Name    string   `json:"name,omitempty"`
	Roles   []string `json:"roles"`
	Line    string   `json:"inventory_line"` // file:line of the inventory line
	Seen    bool     `json:"seen"`           // the address appeared in the capture
	// Addresses counts the distinct addresses seen, for a range or CIDR
	// reported as one host (client subnets, large ranges).
	Addresses int        `json:"addresses,omitempty"`
	Services  []Service  `json:"services"` // ports it served, with verdicts
	Connects  []Service  `json:"connects"` // catalog "connect" entries it was seen using
	Attempts  []Service  `json:"attempts"` // TCP ports others tried and it never answered
	Missing   []EntryRef `json:"missing"`
}

// Service aggregates the flows of one host, port and transport. A
// service in a port range the catalog allows (media) covers the whole
// range: Port to PortEnd. Ports beyond the first 4096 of a host (a scan)
// are gathered in one service covering 0-65535.
type Service struct {
	Port       uint16     `json:"port"`
	PortEnd    uint16     `json:"port_end,omitempty"` // last port, for a range
	Transport  string     `json:"transport"`
	Protocols  []string   `json:"protocols"`  // what the flows carried, most flows first
	Confidence string     `json:"confidence"` // of the first protocol: "dpi", "port" or "none"
	Verdict    string     `json:"verdict"`
	Catalog    []EntryRef `json:"catalog"` // entries that allow it
	Flows      uint64     `json:"flows"`
	OneWay     uint64     `json:"one_way,omitempty"` // of Flows, UDP ones the server never sent on
	Packets    uint64     `json:"packets"`
	Bytes      uint64     `json:"bytes"`
	Peers      int        `json:"peers"` // distinct addresses on the other side
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
	Example    FlowRef    `json:"example"`
}

// EntryRef cites a catalog entry.
type EntryRef struct {
	Ref       string `json:"ref"` // "server_ports#3"
	Table     string `json:"table"`
	Row       int    `json:"row"`
	Service   string `json:"service,omitempty"`
	Port      string `json:"port"`
	Transport string `json:"transport"`
	Protocol  string `json:"protocol,omitempty"` // as published
	Side      string `json:"side"`
}

// Finding is a verdict worth a person's attention, aggregated per host,
// port, transport and protocol.
type Finding struct {
	Kind      string     `json:"kind"` // "unexpected", "mismatch" or "missing"
	Host      string     `json:"host"`
	Name      string     `json:"name,omitempty"`
	Roles     []string   `json:"roles"`
	Port      string     `json:"port"` // a number, or a range for missing range entries
	Transport string     `json:"transport"`
	Protocol  string     `json:"protocol,omitempty"`
	Expected  string     `json:"expected,omitempty"` // what the catalog asks for, for mismatches
	Warning   bool       `json:"warning,omitempty"`  // a suspicion rather than a fact: TLS 1.3 hides client certificates
	Flows     uint64     `json:"flows"`
	Packets   uint64     `json:"packets"`
	Bytes     uint64     `json:"bytes"`
	FirstSeen time.Time  `json:"first_seen,omitzero"`
	LastSeen  time.Time  `json:"last_seen,omitzero"`
	Catalog   []EntryRef `json:"catalog,omitempty"`
	Example   *FlowRef   `json:"example,omitempty"`
	Detail    string     `json:"detail,omitempty"`   // why it is a finding
	Evidence  string     `json:"evidence,omitempty"` // what the example flow's payload showed
}

// Unjudged aggregates flows whose server is not in the inventory.
type Unjudged struct {
	Server    string    `json:"server"`
	Port      uint16    `json:"port"`
	Transport string    `json:"transport"`
	Protocols []string  `json:"protocols"`
	Flows     uint64    `json:"flows"`
	Packets   uint64    `json:"packets"`
	Bytes     uint64    `json:"bytes"`
	Clients   int       `json:"clients"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// FlowRef names one flow as evidence.
type FlowRef struct {
	Client     string    `json:"client"`
	ClientPort uint16    `json:"client_port"`
	Server     string    `json:"server"`
	ServerPort uint16    `json:"server_port"`
	Transport  string    `json:"transport"`
	FirstSeen  time.Time `json:"first_seen"`
}

// FlowRecord is one flow, for --flows.
type FlowRecord struct {
	Client          string            `json:"client"`
	ClientPort      uint16            `json:"client_port"`
	Server          string            `json:"server"`
	ServerPort      uint16            `json:"server_port"`
	Transport       string            `json:"transport"`
	Protocol        string            `json:"protocol"`            // the main protocol: the last one confirmed, or the port's guess
	Protocols       []string          `json:"protocols,omitempty"` // every protocol the payload confirmed, in order (stun, rtp)
	Confidence      string            `json:"confidence"`
	Detail          map[string]string `json:"detail,omitempty"`   // what the payload showed: sni, version, client-cert, pt, first-bytes…
	Verdict         string            `json:"verdict"`            // "expected", "unexpected", "mismatch", or "unjudged"
	Expected        string            `json:"expected,omitempty"` // for mismatches: what the catalog asks for
	Reason          string            `json:"reason,omitempty"`   // for mismatches: why the payload breaks it
	Warning         bool              `json:"warning,omitempty"`  // the mismatch is a suspicion (TLS 1.3 hides client certificates)
	Catalog         []string          `json:"catalog,omitempty"`
	ServerBy        string            `json:"server_by"`            // how the server side was decided
	End             string            `json:"end"`                  // closed, reset, idle, evicted or open
	Unanswered      bool              `json:"unanswered,omitempty"` // TCP: the server sent nothing but resets; the port was tried, not served
	Packets         uint64            `json:"packets"`
	Bytes           uint64            `json:"bytes"`
	PacketsToServer uint64            `json:"packets_to_server"`
	PacketsToClient uint64            `json:"packets_to_client"`
	BytesToServer   uint64            `json:"bytes_to_server"`
	BytesToClient   uint64            `json:"bytes_to_client"`
	FirstSeen       time.Time         `json:"first_seen"`
	LastSeen        time.Time         `json:"last_seen"`
}

// PortText returns "5061" or, for a range, "49152-57500".
func (s Service) PortText() string {
	if s.PortEnd > s.Port {
		return strconv.Itoa(int(s.Port)) + "-" + strconv.Itoa(int(s.PortEnd))
	}
	return strconv.Itoa(int(s.Port))
}

// Window is the stretch of capture time analysed: packets before Since or
// from Until on are counted, not analysed. A zero end is open.
type Window struct {
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
}
