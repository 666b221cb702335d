package lyncgen

import (
	"bufio"
	"encoding/json"
	"io"
	"net/netip"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Truth is what Generate wrote: every flow, in the order the scenario
// created them.
type Truth struct {
	Flows []FlowTruth
}

// The verdicts a FlowTruth can want for its server side.
const (
	WantExpected   = "expected"
	WantUnexpected = "unexpected"
	WantMismatch   = "mismatch"
	WantNone       = "" // the server is not in the inventory
)

// The ways a TCP flow ends in the capture (FlowTruth.Close).
const (
	CloseFIN     = "fin"      // both sides sent FIN
	CloseRST     = "rst"      // one side reset it
	CloseOpen    = "open"     // still open when the capture ends
	CloseSYNOnly = "syn-only" // the server never answered the SYNs
)

// FlowTruth is the ground truth of one flow: who opened it, what its payload
// really is, and the verdict a correct analyzer gives its server side.
type FlowTruth struct {
	Client    netip.AddrPort     // side that sent the first packet (the SYN on TCP)
	Server    netip.AddrPort     // side that received it
	Transport decoders.Transport // TCP or UDP
	Protocol  decoders.Protocol  // what the payload really is; Unknown for protocols outside the vocabulary (SMB, RDP, telnet, SNMP)
	Detail    string             // e.g. "mtls", "tls no client cert", "sip INVITE", "rtp pt=114"
	Want      string             // WantExpected, WantUnexpected, WantMismatch or WantNone
	Why       string             // the catalog row that allows it, or why it is a violation
	Packets   int                // frames written (each IP fragment counts)
	Bytes     int64              // wire bytes of those frames
	First     time.Time          // first frame (zero when none was written)
	Last      time.Time          // last frame
	VLAN      uint16             // 802.1Q VLAN ID, 0 when untagged
	Close     string             // TCP only: CloseFIN, CloseRST, CloseOpen or CloseSYNOnly
	MidStream bool               // TCP only: the handshake happened before the capture started
	Phase     string             // with an Incident: PhaseBefore or PhaseAfter, by the first frame; "" without
	Blocked   bool               // the Incident's change caught the flow: it was open at the change or began after it
	Cut       time.Time          // Blocked only: the change's time, or the first frame's for a flow begun after it
}

// Totals returns the frames and wire bytes of all flows.
func (t *Truth) Totals() (packets int, bytes int64) {
	for i := range t.Flows {
		packets += t.Flows[i].Packets
		bytes += t.Flows[i].Bytes
	}
	return packets, bytes
}

// truthLine is the JSON form of a FlowTruth: names rather than numbers for
// the transport and protocol.
type truthLine struct {
	Client    string    `json:"client"`
	Server    string    `json:"server"`
	Transport string    `json:"transport"`
	Protocol  string    `json:"protocol"`
	Detail    string    `json:"detail,omitempty"`
	Want      string    `json:"want"`
	Why       string    `json:"why"`
	Packets   int       `json:"packets"`
	Bytes     int64     `json:"bytes"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	VLAN      uint16    `json:"vlan,omitempty"`
	Close     string    `json:"close,omitempty"`
	MidStream bool      `json:"mid_stream,omitempty"`
	Phase     string    `json:"phase,omitempty"`
	Blocked   bool      `json:"blocked,omitempty"`
	Cut       time.Time `json:"cut,omitzero"`
}

// WriteTruth writes t as JSON lines, one flow per line, with the transport
// and protocol by name ("tcp", "tls") and an empty want for servers outside
// the inventory. With an incident, each line has its phase, and the
// blocked flows "blocked": true and the time they were cut.
func WriteTruth(w io.Writer, t *Truth) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range t.Flows {
		f := &t.Flows[i]
		line := truthLine{
			Client: f.Client.String(), Server: f.Server.String(),
			Transport: f.Transport.String(), Protocol: f.Protocol.String(),
			Detail: f.Detail, Want: f.Want, Why: f.Why,
			Packets: f.Packets, Bytes: f.Bytes, First: f.First, Last: f.Last,
			VLAN: f.VLAN, Close: f.Close, MidStream: f.MidStream,
			Phase: f.Phase, Blocked: f.Blocked, Cut: f.Cut,
		}
		if err := enc.Encode(&line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
