package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

func TestVerdictNames(t *testing.T) {
	for i, name := range []string{"expected", "unexpected", "mismatch", "missing"} {
		v := Verdict(i + 1)
		if v.String() != name {
			t.Errorf("Verdict(%d) = %q, want %q", i+1, v, name)
		}
		if got, ok := ParseVerdict(strings.ToUpper(name)); !ok || got != v {
			t.Errorf("ParseVerdict(%q) = %v, %v", name, got, ok)
		}
	}
	if _, ok := ParseVerdict("allowed"); ok {
		t.Error(`ParseVerdict("allowed") succeeded`)
	}
	if got := Verdict(0).String(); got != "verdict-0" {
		t.Errorf("Verdict(0) = %q", got)
	}
}

func TestJudge(t *testing.T) {
	c := Builtin()
	for _, tt := range []struct {
		name  string
		roles RoleSet
		port  uint16
		t     decoders.Transport
		want  Verdict
		refs  []string
	}{
		{"frontend SIP/TLS", NewRoleSet(Frontend), 5061, decoders.TCP, Expected, []string{"server_ports#3"}},
		{"frontend 5061 over UDP", NewRoleSet(Frontend), 5061, decoders.UDP, Unexpected, nil},
		{"director 5061", NewRoleSet(Director), 5061, decoders.TCP, Expected, []string{"server_ports#45"}},
		{"frontend web 443", NewRoleSet(Frontend), 443, decoders.TCP, Expected, []string{"server_ports#12", "server_ports#19"}},
		{"stand-alone mediation 5070", NewRoleSet(Mediation), 5070, decoders.TCP, Expected, []string{"server_ports#46", "server_ports#49"}},
		{"collocated mediation 5070", NewRoleSet(Frontend, Mediation), 5070, decoders.TCP, Expected, []string{"server_ports#22"}},
		{"plain frontend 5070", NewRoleSet(Frontend), 5070, decoders.TCP, Unexpected, nil},
		{"outgoing port 5081 is not served", NewRoleSet(Frontend, Mediation), 5081, decoders.TCP, Unexpected, nil},
		{"cms 445", NewRoleSet(CMS, Frontend), 445, decoders.TCP, Expected, []string{"server_ports#37"}},
		{"frontend 445", NewRoleSet(Frontend), 445, decoders.TCP, Unexpected, nil},
		{"office web apps SQL browser", NewRoleSet(OfficeWebApps), 1434, decoders.UDP, Expected, []string{"server_ports#1", "server_ports#38"}},
		{"load balancer 5070 for a collocated pool", NewRoleSet(FrontendLB, MediationLB), 5070, decoders.TCP, Expected, []string{"hlb_only#15", "hlb_only#16"}},
		{"DNS load balancer 5061", NewRoleSet(FrontendLBDNS), 5061, decoders.TCP, Unexpected, nil},
		{"SMB on a client", NewRoleSet(Client), 445, decoders.TCP, Unexpected, nil},
		{"unknown host", 0, 5061, decoders.TCP, Unexpected, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, es := c.Judge(tt.roles, tt.port, tt.t)
			if v != tt.want || !slices.Equal(refs(es), tt.refs) {
				t.Errorf("Judge = %v %v, want %v %v", v, refs(es), tt.want, tt.refs)
			}
		})
	}
}

func BenchmarkJudge(b *testing.B) {
	c := Builtin()
	fe := NewRoleSet(Frontend, Mediation)
	b.ReportAllocs()
	for b.Loop() {
		c.Judge(fe, 5070, decoders.TCP)
	}
}
