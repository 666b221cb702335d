package analyzer

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// arkimeSessions is the part of an Arkime test's expected session JSON
// (tests/pcap/<name>.test) that says what a session carried.
type arkimeSessions struct {
	Sessions []struct {
		Body struct {
			IPProtocol  int            `json:"ipProtocol"`
			Protocol    []string       `json:"protocol"`
			Source      arkimeEndpoint `json:"source"`
			Destination arkimeEndpoint `json:"destination"`
		} `json:"body"`
	} `json:"sessions3"`
}

// arkimeEndpoint is one side of a session.
type arkimeEndpoint struct {
	IP   string `json:"ip"`
	Port uint16 `json:"port"`
}

// readArkime reads the sessions: each value of a TCP or UDP session's
// protocol array is a label, except the transport itself (and empty ones).
func readArkime(name string, data []byte) ([]peerClaim, error) {
	var s arkimeSessions
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var claims []peerClaim
	for i, sess := range s.Sessions {
		b := sess.Body
		tr := decoders.Transport(b.IPProtocol)
		if tr != decoders.TCP && tr != decoders.UDP {
			continue
		}
		src, err := netip.ParseAddr(b.Source.IP)
		if err != nil {
			return nil, fmt.Errorf("%s: session %d: source: %v", name, i+1, err)
		}
		dst, err := netip.ParseAddr(b.Destination.IP)
		if err != nil {
			return nil, fmt.Errorf("%s: session %d: destination: %v", name, i+1, err)
		}
		ft := newTuple(tr, netip.AddrPortFrom(src, b.Source.Port), netip.AddrPortFrom(dst, b.Destination.Port))
		where := fmt.Sprintf("%s: session %d", name, i+1)
		labelled := false
		for _, p := range b.Protocol {
			if p == "" || p == "tcp" || p == "udp" {
				continue
			}
			labelled = true
			claims = append(claims, peerClaim{peer: "arkime", label: p, key: strings.ToLower(p), tr: tr, tuples: []tuple{ft}, where: where})
		}
		if !labelled {
			claims = append(claims, peerClaim{peer: "arkime", label: strings.Join(b.Protocol, ","), key: "unknown", tr: tr, tuples: []tuple{ft}, where: where})
		}
	}
	return claims, nil
}

func TestReadArkime(t *testing.T) {
	tests := []struct {
		test string
		want []string // "tuple key" of each claim
	}{
		{"stun-ice-testcall.pcap", []string{
			"udp 74.125.141.127:19302 <-> 192.168.43.155:60020 stun",
			"udp 155.212.214.188:23131 <-> 192.168.43.155:59977 stun",
			"udp 155.212.214.188:23130 <-> 192.168.43.155:59977 stun",
			"udp 155.212.214.188:23131 <-> 192.168.43.155:60020 stun",
			"udp 155.212.214.188:23130 <-> 192.168.43.155:60020 stun",
		}},
		{"twovlan.pcap", []string{"tcp 10.0.0.1:54422 <-> 10.0.0.2:80 http"}},
	}
	for _, tt := range tests {
		t.Run(tt.test, func(t *testing.T) {
			var got []string
			for _, c := range peerResult(t, filepath.Join("arkime", tt.test+".expected.test"), readArkime) {
				got = append(got, c.tuples[0].String()+" "+c.key)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// FuzzArkime checks that the session reader never panics and that every
// claim names one flow we could follow.
func FuzzArkime(f *testing.F) {
	// The real sessions, re-encoded with only the fields the reader uses:
	// JSON cut short would not parse, and whole files minimize slowly.
	names, _ := filepath.Glob(filepath.Join(sharedCaptures, "arkime", "*.expected.test"))
	for _, name := range names {
		var s arkimeSessions
		if data, err := os.ReadFile(name); err == nil && json.Unmarshal(data, &s) == nil {
			if seed, err := json.Marshal(s); err == nil {
				f.Add(seed)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		claims, err := readArkime("fuzz", data)
		if err != nil {
			return
		}
		for _, c := range claims {
			if c.tr != decoders.TCP && c.tr != decoders.UDP || c.key == "" || len(c.tuples) != 1 {
				t.Fatalf("%s: bad claim %+v", c.where, c)
			}
		}
	})
}
