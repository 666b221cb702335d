package analyzer

import (
	"net/netip"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// Alert is a finding reported the moment a flow is first judged to be
// unexpected or mismatched, once per host, port, transport and protocol:
// the live command prints it, or writes it as a JSON line for a SIEM.
type Alert struct {
	Type       string    `json:"type"` // always "alert", to tell alerts from reports in one stream
	Time       time.Time `json:"time"` // capture time of the flow's first packet
	Kind       string    `json:"kind"` // "unexpected" or "mismatch"
	Host       string    `json:"host"`
	Name       string    `json:"name,omitempty"`
	Roles      []string  `json:"roles"`
	Port       uint16    `json:"port"`
	Transport  string    `json:"transport"`
	Protocol   string    `json:"protocol"`
	Expected   string    `json:"expected,omitempty"` // for mismatches: what the catalog asks for
	Reason     string    `json:"reason,omitempty"`
	Warning    bool      `json:"warning,omitempty"`
	Client     string    `json:"client"`
	ClientPort uint16    `json:"client_port"`
	Catalog    []string  `json:"catalog,omitempty"`
	Evidence   string    `json:"evidence,omitempty"`
}

// alertKey is what makes an alert new.
type alertKey struct {
	host  netip.Addr
	port  uint16
	t     decoders.Transport
	proto decoders.Protocol
	v     rules.Verdict
}

// alert judges f when its payload has been inspected and again when it
// ends, and reports it through Config.OnAlert the first time it is a new
// finding.
func (e *shard) alert(f *Flow, ending bool) {
	if e.cfg.OnAlert == nil || f.alerted {
		return
	}
	j := e.agg.judge(f)
	if j.v != rules.Unexpected && j.v != rules.Mismatch {
		f.alerted = ending
		return
	}
	f.alerted = true
	s, c := int(f.server), 1-int(f.server)
	srv, port := f.Key.endpoint(s)
	cli, cport := f.Key.endpoint(c)
	k := alertKey{srv, port, f.Key.Transport, j.proto, j.v}
	if _, seen := e.alerted[k]; seen {
		return
	}
	if e.alerted == nil {
		e.alerted = map[alertKey]struct{}{}
	}
	e.alerted[k] = struct{}{}
	line := f.hosts[s]
	a := Alert{
		Type: "alert", Time: nanoTime(f.first()), Kind: j.v.String(), Host: srv.String(), Name: line.Name,
		Roles: roleIDs(line.Roles), Port: port, Transport: f.Key.Transport.String(), Protocol: j.proto.String(),
		Client: cli.String(), ClientPort: cport, Evidence: evidence(&f.class),
	}
	if j.v == rules.Mismatch {
		a.Expected, a.Reason, a.Warning = j.payload.Expected, j.payload.Reason, j.payload.Warning
	}
	for _, en := range j.entries {
		a.Catalog = append(a.Catalog, en.Ref())
	}
	e.cfg.OnAlert(a)
}
