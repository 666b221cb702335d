package rules

import (
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

func TestCheckPayload(t *testing.T) {
	c := Builtin()
	fe := NewRoleSet(Frontend)
	client := NewRoleSet(Client)
	entries := func(roles RoleSet, port uint16, tr decoders.Transport) []*Entry {
		_, es := c.Judge(roles, port, tr)
		if len(es) == 0 {
			t.Fatalf("no entry allows %d/%s for %s", port, tr, roles)
		}
		return es
	}
	p := func(ps ...decoders.Protocol) []decoders.Protocol { return ps }
	tests := []struct {
		name    string
		entries []*Entry
		obs     Observed
		want    PayloadVerdict
	}{
		{"tls on 5061 from a client", entries(fe, 5061, decoders.TCP),
			Observed{Protocols: p(decoders.TLS), Payload: true, ClientCert: decoders.CertNotRequested, Peer: client},
			PayloadVerdict{OK: true, Expected: "tls"}},
		{"clear sip on 5061", entries(fe, 5061, decoders.TCP),
			Observed{Protocols: p(decoders.SIP), Payload: true, Peer: client},
			PayloadVerdict{Expected: "tls", Reason: "the payload is sip, in clear text"}},
		{"mtls between servers on 5061", entries(fe, 5061, decoders.TCP),
			Observed{Protocols: p(decoders.TLS), Payload: true, ClientCert: decoders.CertSent, Peer: fe},
			PayloadVerdict{OK: true, Expected: "tls with a client certificate (mutual TLS)"}},
		{"no client certificate between servers on 5061", entries(fe, 5061, decoders.TCP),
			Observed{Protocols: p(decoders.TLS), Payload: true, ClientCert: decoders.CertNotRequested, Peer: fe},
			PayloadVerdict{Expected: "tls with a client certificate (mutual TLS)", Reason: "the server asked for no client certificate"}},
		{"tls 1.3 hides the certificate", entries(NewRoleSet(Mediation), 5070, decoders.TCP),
			Observed{Protocols: p(decoders.TLS), Payload: true, ClientCert: decoders.CertHidden, Peer: fe},
			PayloadVerdict{Warning: true, Expected: "tls with a client certificate (mutual TLS)", Reason: "TLS 1.3 hides whether the client sent a certificate"}},
		{"the stricter 5070 row wins over plain TCP", entries(NewRoleSet(Mediation), 5070, decoders.TCP),
			Observed{Protocols: p(decoders.TLS), Payload: true, ClientCert: decoders.CertEmpty, Peer: fe},
			PayloadVerdict{Expected: "tls with a client certificate (mutual TLS)", Reason: "the client sent no certificate"}},
		{"handshake not seen: no evidence", entries(NewRoleSet(Mediation), 5070, decoders.TCP),
			Observed{Protocols: p(decoders.TLS), Payload: true, ClientCert: decoders.CertUnknown, Peer: fe},
			PayloadVerdict{OK: true, Expected: "tls with a client certificate (mutual TLS)"}},
		{"stun then rtp in the audio range", entries(fe, 50000, decoders.UDP),
			Observed{Protocols: p(decoders.STUN, decoders.RTP), Payload: true},
			PayloadVerdict{OK: true, Expected: "media (rtp, rtcp, stun, ms-turn or dtls)"}},
		{"a shell in the media range", entries(fe, 50000, decoders.TCP),
			Observed{Payload: true},
			PayloadVerdict{Expected: "media (rtp, rtcp, stun, ms-turn or dtls)", Reason: "the payload matches no protocol lyncaudit knows"}},
		{"no payload is no evidence", entries(fe, 50000, decoders.TCP),
			Observed{},
			PayloadVerdict{OK: true, Expected: "media (rtp, rtcp, stun, ms-turn or dtls)"}},
		{"http where https is asked", entries(NewRoleSet(Director), 443, decoders.TCP),
			Observed{Protocols: p(decoders.HTTP), Payload: true},
			PayloadVerdict{Expected: "tls", Reason: "the payload is http, in clear text"}},
		{"rtp where http is asked", entries(fe, 80, decoders.TCP),
			Observed{Protocols: p(decoders.RTP), Payload: true},
			PayloadVerdict{Expected: "http", Reason: "the payload is rtp"}},
		{"plain tcp row takes anything", entries(fe, 5062, decoders.TCP),
			Observed{Protocols: p(decoders.SIP), Payload: true},
			PayloadVerdict{OK: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPayload(tt.entries, tt.obs); got != tt.want {
				t.Errorf("CheckPayload =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}
