package analyzer

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// yamlCheck is one entry of a suricata-verify test's checks list, as flat
// dotted keys ("filter.count", "filter.match.event_type") with the line
// each value is on.
type yamlCheck map[string]yamlValue

// yamlValue is a scalar and the line it is on.
type yamlValue struct {
	text string
	line int
}

// readYAMLChecks reads the checks list of a suricata-verify test.yaml. It
// knows the block-style subset those files are written in (mappings by
// indentation, "- " list items, scalars, # comments) and nothing else.
func readYAMLChecks(name string, data []byte) ([]yamlCheck, error) {
	type level struct {
		indent int
		key    string
	}
	var stack []level
	var checks []yamlCheck
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		raw := sc.Text()
		content := strings.TrimLeft(raw, " ")
		if content == "" || content[0] == '#' {
			continue
		}
		if content[0] == '\t' {
			return nil, fmt.Errorf("%s:%d: tab in indentation", name, line)
		}
		indent := len(raw) - len(content)
		item := false
		if rest, ok := strings.CutPrefix(content, "- "); ok {
			item, content, indent = true, strings.TrimLeft(rest, " "), indent+2
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		inChecks := len(stack) > 0 && stack[0].key == "checks"
		if item && inChecks && len(stack) == 1 {
			checks = append(checks, yamlCheck{})
		}
		key, value, ok := strings.Cut(content, ":")
		if !ok || (value != "" && value[0] != ' ') {
			continue // a scalar list item ("- -k none")
		}
		if i := strings.Index(value, " #"); i >= 0 {
			value = value[:i]
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if value == "" {
			stack = append(stack, level{indent, key})
			continue
		}
		if !inChecks || len(checks) == 0 {
			continue
		}
		path := make([]string, 0, len(stack))
		for _, l := range stack[1:] {
			path = append(path, l.key)
		}
		checks[len(checks)-1][strings.Join(append(path, key), ".")] = yamlValue{strings.Trim(value, `"'`), line}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return checks, nil
}

// suricataEvents are the eve event types that are not an application
// protocol; every other event type is the name of the app-layer parser
// that logged it.
var suricataEvents = map[string]bool{
	"alert": true, "anomaly": true, "drop": true, "fileinfo": true, "flow": true,
	"frame": true, "netflow": true, "stats": true,
}

// readSuricata derives flow facts from a suricata-verify test.yaml. The
// file names no flows, so each fact is a count of flows of a transport:
//   - a filter on proto and an app-layer event_type with a positive count:
//     at least one flow of that transport carries the protocol
//     ("2 sip events over TCP");
//   - a stats check on app_layer.flow.<proto>_tcp or _udp: that many flows
//     of the transport carry it.
//
// Alerts and decoder counters say nothing about a flow's protocol.
func readSuricata(name string, data []byte) ([]peerClaim, error) {
	checks, err := readYAMLChecks(name, data)
	if err != nil {
		return nil, err
	}
	var claims []peerClaim
	for _, c := range checks {
		if ev, ok := c["filter.match.event_type"]; ok && ev.text != "" && !suricataEvents[ev.text] {
			n, _ := strconv.Atoi(c["filter.count"].text)
			tr, known := decoders.ParseTransport(c["filter.match.proto"].text)
			if n > 0 && known {
				claims = append(claims, peerClaim{peer: "suricata", label: ev.text, key: ev.text, tr: tr, count: 1,
					where: name + ":" + strconv.Itoa(ev.line)})
			}
		}
		for _, k := range sortedKeys(c) {
			proto, ok := strings.CutPrefix(k, "filter.match.stats.app_layer.flow.")
			if !ok {
				continue
			}
			i := strings.LastIndexByte(proto, '_')
			if i <= 0 {
				continue // a protocol Suricata parses on one transport only: the key does not say which
			}
			tr, known := decoders.ParseTransport(proto[i+1:])
			n, err := strconv.Atoi(c[k].text)
			if !known || err != nil || n <= 0 {
				continue
			}
			claims = append(claims, peerClaim{peer: "suricata", label: proto, key: proto[:i], tr: tr, count: n,
				where: name + ":" + strconv.Itoa(c[k].line)})
		}
	}
	return claims, nil
}

// sortedKeys returns a check's keys in order, so claims come out stable.
func sortedKeys(c yamlCheck) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestReadYAMLChecks(t *testing.T) {
	tests := []struct {
		name, in string
		want     []yamlCheck
	}{
		{
			name: "indented list",
			in: "requires:\n  min-version: 6\n\nargs:\n  - -k none\n\nchecks:\n" +
				"  - filter:\n      count: 2 # two\n      match:\n        proto: TCP\n        event_type: \"sip\"\n" +
				"  - filter:\n      count: 1\n",
			want: []yamlCheck{
				{"filter.count": {"2", 9}, "filter.match.proto": {"TCP", 11}, "filter.match.event_type": {"sip", 12}},
				{"filter.count": {"1", 14}},
			},
		},
		{
			name: "list at the margin",
			in:   "checks:\n\n- stats:\n    decoder.ipv4: 5\n    decoder.sll2: 5\n",
			want: []yamlCheck{{"stats.decoder.ipv4": {"5", 4}, "stats.decoder.sll2": {"5", 5}}},
		},
		{name: "no checks", in: "requires:\n  min-version: 8\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks, err := readYAMLChecks("t.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(checks) != fmt.Sprint(tt.want) {
				t.Errorf("got  %v\nwant %v", checks, tt.want)
			}
		})
	}
}

func TestReadSuricata(t *testing.T) {
	tests := []struct {
		test string
		want []string // "count transport key" of each claim
	}{
		{"sip-tcp-method/sip-tcp.pcap", []string{"1 tcp sip", "1 tcp sip"}},
		{"zerologon/input.pcap", nil},      // alerts only
		{"decode-sll2-01/input.pcap", nil}, // decoder counters only
	}
	for _, tt := range tests {
		t.Run(tt.test, func(t *testing.T) {
			var got []string
			for _, c := range peerResult(t, filepath.Join("suricata-verify", tt.test+".expected.test.yaml"), readSuricata) {
				got = append(got, fmt.Sprint(c.count, " ", c.tr, " ", c.key))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// FuzzSuricata checks that the test.yaml reader never panics and that its
// claims are counts of flows of a transport we follow.
func FuzzSuricata(f *testing.F) {
	addFuzzSeeds(f, "suricata-verify/*/*.expected.test.yaml", "")
	f.Fuzz(func(t *testing.T, data []byte) {
		claims, err := readSuricata("fuzz", data)
		if err != nil {
			return
		}
		for _, c := range claims {
			if c.tr != decoders.TCP && c.tr != decoders.UDP || c.key == "" || c.count <= 0 || len(c.tuples) != 0 {
				t.Fatalf("%s: bad claim %+v", c.where, c)
			}
		}
	})
}
