package analyzer

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// disagreementsFile lists every flow where a peer and lyncaudit name the
// payload differently, with the reason.
const disagreementsFile = "testdata/peers/disagreements.txt"

// tuple is a flow's unordered five-tuple: a sorts before b, so both
// directions of a flow give the same value.
type tuple struct {
	tr   decoders.Transport
	a, b netip.AddrPort
}

// newTuple orders the two endpoints of a flow.
func newTuple(tr decoders.Transport, x, y netip.AddrPort) tuple {
	x = netip.AddrPortFrom(x.Addr().Unmap(), x.Port())
	y = netip.AddrPortFrom(y.Addr().Unmap(), y.Port())
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return tuple{tr: tr, a: x, b: y}
}

// String writes the tuple as the disagreement list spells it:
// "udp 10.0.0.1:5060 <-> 10.0.0.2:5060", IPv6 addresses in brackets.
func (t tuple) String() string {
	return t.tr.String() + " " + t.a.String() + " <-> " + t.b.String()
}

// parseTuple reads what tuple.String writes.
func parseTuple(s string) (tuple, error) {
	f := strings.Fields(s)
	if len(f) != 4 || f[2] != "<->" {
		return tuple{}, fmt.Errorf("five-tuple %q: want \"tcp|udp addr:port <-> addr:port\"", s)
	}
	tr, ok := decoders.ParseTransport(f[0])
	if !ok {
		return tuple{}, fmt.Errorf("five-tuple %q: unknown transport %q", s, f[0])
	}
	a, err := netip.ParseAddrPort(f[1])
	if err != nil {
		return tuple{}, fmt.Errorf("five-tuple %q: %v", s, err)
	}
	b, err := netip.ParseAddrPort(f[3])
	if err != nil {
		return tuple{}, fmt.Errorf("five-tuple %q: %v", s, err)
	}
	return newTuple(tr, a, b), nil
}

// disagreement is one flow where a peer's label (mapped onto ours) is not
// among the protocols lyncaudit confirmed from the payload.
type disagreement struct {
	file   string // the capture, relative to the shared captures folder
	flow   tuple
	peer   string // the peer's label: "ndpi:DTLS", "zeek:ssl"
	ours   string // ours: confirmed protocols joined by "+", or "main (confidence)"
	reason string // why it is expected; "open: …" for a suspected bug of ours
}

// key identifies a disagreement without its reason: a listed line matches
// an observed one only when all four fields are the same.
func (d disagreement) key() string {
	return d.file + " | " + d.flow.String() + " | " + d.peer + " | " + d.ours
}

// String writes one line of the disagreement list.
func (d disagreement) String() string { return d.key() + " | " + d.reason }

// parseDisagreements reads the disagreement list: one line per flow,
// "file | five-tuple | peer label | our label | reason", with blank lines
// and lines starting with # ignored. Errors give the line number.
func parseDisagreements(name string, data []byte) ([]disagreement, error) {
	var list []disagreement
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		f := strings.Split(text, "|")
		if len(f) != 5 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 5 separated by |", name, line, len(f))
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
			if f[i] == "" {
				return nil, fmt.Errorf("%s:%d: field %d is empty", name, line, i+1)
			}
		}
		flow, err := parseTuple(f[1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		list = append(list, disagreement{file: f[0], flow: flow, peer: f[2], ours: f[3], reason: f[4]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return list, nil
}

// readDisagreements loads the disagreement list, keyed by disagreement.key.
func readDisagreements(t *testing.T) map[string]disagreement {
	t.Helper()
	data, err := os.ReadFile(disagreementsFile)
	if err != nil {
		t.Fatal(err)
	}
	list, err := parseDisagreements(disagreementsFile, data)
	if err != nil {
		t.Fatal(err)
	}
	byKey := make(map[string]disagreement, len(list))
	for _, d := range list {
		if _, dup := byKey[d.key()]; dup {
			t.Errorf("%s: %s is listed twice", disagreementsFile, d.key())
		}
		byKey[d.key()] = d
	}
	return byKey
}

func TestParseTuple(t *testing.T) {
	tests := []struct {
		name, in, want string
		bad            bool
	}{
		{name: "ordered", in: "udp 10.0.0.1:5060 <-> 10.0.0.2:5060", want: "udp 10.0.0.1:5060 <-> 10.0.0.2:5060"},
		{name: "reversed", in: "tcp 172.16.5.58:135 <-> 172.16.0.10:50555", want: "tcp 172.16.0.10:50555 <-> 172.16.5.58:135"},
		{name: "same address", in: "udp 10.0.0.1:6001 <-> 10.0.0.1:6000", want: "udp 10.0.0.1:6000 <-> 10.0.0.1:6001"},
		{name: "ipv6", in: "udp [2001:b07::1]:48094 <-> [2600:1900::19]:3478", want: "udp [2001:b07::1]:48094 <-> [2600:1900::19]:3478"},
		{name: "ipv4 before ipv6", in: "udp [::1]:1 <-> 10.0.0.1:2", want: "udp 10.0.0.1:2 <-> [::1]:1"},
		{name: "no arrow", in: "udp 10.0.0.1:1 -> 10.0.0.2:2", bad: true},
		{name: "sctp", in: "sctp 10.0.0.1:1 <-> 10.0.0.2:2", bad: true},
		{name: "no port", in: "udp 10.0.0.1 <-> 10.0.0.2:2", bad: true},
		{name: "empty", in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTuple(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseTuple(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("parseTuple(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDisagreements(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // disagreement.String of each line
		err      string
	}{
		{
			name: "comments and blank lines",
			in:   "# header\n\n ndpi/x.pcap | udp 10.0.0.2:1 <-> 10.0.0.1:2 | ndpi:DTLS | stun | open: why \n",
			want: []string{"ndpi/x.pcap | udp 10.0.0.1:2 <-> 10.0.0.2:1 | ndpi:DTLS | stun | open: why"},
		},
		{name: "four fields", in: "#\na | udp 10.0.0.1:1 <-> 10.0.0.2:2 | b | c\n", err: "list.txt:2: 4 fields, want 5 separated by |"},
		{name: "empty reason", in: "a | udp 10.0.0.1:1 <-> 10.0.0.2:2 | b | c | \n", err: "list.txt:1: field 5 is empty"},
		{name: "bad tuple", in: "a | udp 10.0.0.1:1 | b | c | d\n", err: `list.txt:1: five-tuple "udp 10.0.0.1:1": want "tcp|udp addr:port <-> addr:port"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := parseDisagreements("list.txt", []byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range list {
				got = append(got, d.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// FuzzDisagreements checks that the list reader never panics and that what
// it reads, written back, reads the same.
func FuzzDisagreements(f *testing.F) {
	if data, err := os.ReadFile(disagreementsFile); err == nil {
		f.Add(data[:min(len(data), 1<<10)])
		f.Add(data[len(data)-min(len(data), 1<<10):])
	}
	f.Add([]byte("ndpi/x.pcap | udp [::1]:1 <-> 10.0.0.1:2 | ndpi:SIP | unknown (none) | peer guessed by port\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := parseDisagreements("fuzz", data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		for _, d := range list {
			out.WriteString(d.String() + "\n")
		}
		again, err := parseDisagreements("again", out.Bytes())
		if err != nil {
			t.Fatalf("written list does not read back: %v\n%s", err, out.Bytes())
		}
		if len(again) != len(list) {
			t.Fatalf("%d lines read back as %d", len(list), len(again))
		}
		for i := range list {
			if again[i] != list[i] {
				t.Errorf("line %d: %q read back as %q", i+1, list[i], again[i])
			}
		}
	})
}
