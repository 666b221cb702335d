package rules

import (
	"strings"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Observed is what payload inspection said about one flow, as far as
// verdicts care.
type Observed struct {
	Protocols  []decoders.Protocol // names the signatures confirmed, in order; none when no signature named the flow
	Payload    bool                // the flow carried payload, so that naming none is evidence
	ClientCert decoders.CertStatus // what the TLS handshake showed about a client certificate
	Peer       RoleSet             // roles of the connecting host; empty when it is not in the inventory
}

// PayloadVerdict judges a flow's payload against the catalog entries that
// allow its port.
type PayloadVerdict struct {
	OK       bool   // an entry accepts the payload
	Warning  bool   // the breach is a suspicion, not a fact (TLS 1.3 hides client certificates)
	Expected string // what the entries ask for, for people
	Reason   string // why the payload breaks them
}

// mediaProtocols are what a media port range may carry (RFC 7983's
// multiplexing of STUN, DTLS and RTP on one port, and MS-TURN).
var mediaProtocols = []decoders.Protocol{decoders.RTP, decoders.RTCP, decoders.STUN, decoders.MSTURN, decoders.DTLS}

// CheckPayload judges obs against entries, the entries that allow the
// port. Entries that say something about the payload (expect, media, mtls)
// outrank those that only name a transport: where the catalog lists the
// same port twice, as plain TCP and as TCP (MTLS) (the Mediation Server's
// 5070), the stricter row is the statement about the protocol.
func CheckPayload(entries []*Entry, obs Observed) PayloadVerdict {
	var strict []*Entry
	for _, e := range entries {
		if len(e.Expect) > 0 || e.Media || e.MTLS != MTLSNo {
			strict = append(strict, e)
		}
	}
	if len(strict) == 0 {
		return PayloadVerdict{OK: true}
	}
	var first PayloadVerdict
	warnOnly := true
	for i, e := range strict {
		v := checkEntry(e, obs)
		if v.OK {
			return v
		}
		if i == 0 {
			first = v
		}
		warnOnly = warnOnly && v.Warning
	}
	first.Warning = warnOnly
	return first
}

// checkEntry judges obs against one entry.
func checkEntry(e *Entry, obs Observed) PayloadVerdict {
	v := PayloadVerdict{Expected: expectation(e, obs.Peer)}
	allowed := e.Expect
	if e.Media {
		allowed = append(allowed[:len(allowed):len(allowed)], mediaProtocols...)
	}
	if len(allowed) > 0 {
		switch {
		case len(obs.Protocols) == 0 && !obs.Payload:
			v.OK = true // no payload, no evidence
			return v
		case len(obs.Protocols) == 0:
			v.Reason = "the payload matches no protocol lyncaudit knows"
			return v
		case !anyOf(obs.Protocols, allowed):
			v.Reason = "the payload is " + sequence(obs.Protocols)
			if has(obs.Protocols, decoders.SIP) || has(obs.Protocols, decoders.HTTP) {
				v.Reason += ", in clear text"
			}
			return v
		}
	}
	if e.MTLS.Required(obs.Peer) && (has(obs.Protocols, decoders.TLS) || has(obs.Protocols, decoders.DTLS)) {
		switch obs.ClientCert {
		case decoders.CertNotRequested:
			v.Reason = "the server asked for no client certificate"
			return v
		case decoders.CertEmpty:
			v.Reason = "the client sent no certificate"
			return v
		case decoders.CertHidden:
			v.Reason = "TLS 1.3 hides whether the client sent a certificate"
			v.Warning = true
			return v
		}
	}
	v.OK = true
	return v
}

// expectation says what an entry asks of the payload, for people.
func expectation(e *Entry, peer RoleSet) string {
	var parts []string
	if e.Media {
		parts = append(parts, "media ("+names(mediaProtocols)+")")
	} else if len(e.Expect) > 0 {
		parts = append(parts, names(e.Expect))
	}
	if e.MTLS.Required(peer) {
		parts = append(parts, "with a client certificate (mutual TLS)")
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " ")
}

func names(ps []decoders.Protocol) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	if len(ss) <= 1 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " or " + ss[len(ss)-1]
}

// sequence lists protocols a flow carried, in order: "stun, then rtp".
func sequence(ps []decoders.Protocol) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	return strings.Join(ss, ", then ")
}

func has(ps []decoders.Protocol, p decoders.Protocol) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func anyOf(ps, allowed []decoders.Protocol) bool {
	for _, p := range ps {
		if has(allowed, p) {
			return true
		}
	}
	return false
}
