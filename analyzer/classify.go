package analyzer

import (
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// Confidence says how a flow's protocol was decided, as nDPI does.
type Confidence uint8

// Confidences, weakest first.
const (
	ConfNone Confidence = iota // nothing to go on
	ConfPort                   // guessed from the server port
	ConfDPI                    // a payload signature confirmed it
)

var confNames = [...]string{ConfNone: "none", ConfPort: "port", ConfDPI: "dpi"}

// String returns "none", "port" or "dpi".
func (c Confidence) String() string {
	if int(c) < len(confNames) {
		return confNames[c]
	}
	return "unknown"
}

// classifier holds what payload inspection has learnt about one flow.
type classifier struct {
	proto decoders.Protocol
	conf  Confidence
}

// wellKnown maps server ports the catalog does not describe to the
// protocol usually found there, for flows no signature has named.
var wellKnown = map[uint16]decoders.Protocol{
	53: decoders.DNS, 67: decoders.DHCP, 68: decoders.DHCP, 80: decoders.HTTP,
	135: decoders.DCERPC, 443: decoders.TLS, 444: decoders.TLS, 1433: decoders.TDS,
	1434: decoders.SQLBrowser, 3478: decoders.STUN, 4443: decoders.TLS, 5060: decoders.SIP,
	5061: decoders.TLS, 8080: decoders.HTTP,
}

// guess names a flow's protocol from its server port when no signature
// did: a single protocol the catalog expects there, else the well-known
// port table.
func guess(entries []*rules.Entry, port uint16) (decoders.Protocol, Confidence) {
	var p decoders.Protocol
	for _, e := range entries {
		if len(e.Expect) != 1 || (p != decoders.Unknown && p != e.Expect[0]) {
			p = decoders.Unknown
			break
		}
		p = e.Expect[0]
	}
	if p == decoders.Unknown {
		p = wellKnown[port]
	}
	if p == decoders.Unknown {
		return p, ConfNone
	}
	return p, ConfPort
}
