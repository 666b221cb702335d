package analyzer

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// zeekRow is one line of a Zeek log, by column name, with its line number.
type zeekRow struct {
	line   int
	fields map[string]string
}

// readZeekLog reads a Zeek ASCII log: "#fields" names the tab-separated
// columns, other lines starting with # are metadata, and the rest are rows.
func readZeekLog(name string, data []byte) ([]zeekRow, error) {
	var cols []string
	var rows []zeekRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if rest, ok := strings.CutPrefix(text, "#fields\t"); ok {
			cols = strings.Split(rest, "\t")
			continue
		}
		if text == "" || text[0] == '#' {
			continue
		}
		if cols == nil {
			return nil, fmt.Errorf("%s:%d: row before the #fields line", name, line)
		}
		vals := strings.Split(text, "\t")
		if len(vals) != len(cols) {
			return nil, fmt.Errorf("%s:%d: %d columns, #fields names %d", name, line, len(vals), len(cols))
		}
		row := zeekRow{line: line, fields: make(map[string]string, len(cols))}
		for i, c := range cols {
			row.fields[c] = vals[i]
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return rows, nil
}

// zeekTuple reads a row's id.orig_h/p and id.resp_h/p.
func zeekTuple(r zeekRow, tr decoders.Transport) (tuple, error) {
	var eps [2]netip.AddrPort
	for i, side := range [2]string{"orig", "resp"} {
		a, err := netip.ParseAddr(r.fields["id."+side+"_h"])
		if err != nil {
			return tuple{}, err
		}
		p, err := strconv.ParseUint(r.fields["id."+side+"_p"], 10, 16)
		if err != nil {
			return tuple{}, fmt.Errorf("id.%s_p: %v", side, err)
		}
		eps[i] = netip.AddrPortFrom(a, uint16(p))
	}
	return newTuple(tr, eps[0], eps[1]), nil
}

// readZeekConn reads conn.log: each service of a TCP or UDP connection is
// a label, "-" (none) gives "unknown". Zeek writes the confirmed analyzers
// comma-separated; an entry that starts with "-" is one that confirmed and
// then failed, which is not a label.
func readZeekConn(name string, data []byte) ([]peerClaim, error) {
	rows, err := readZeekLog(name, data)
	if err != nil {
		return nil, err
	}
	var claims []peerClaim
	for _, r := range rows {
		tr, ok := decoders.ParseTransport(r.fields["proto"])
		if !ok {
			continue
		}
		ft, err := zeekTuple(r, tr)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, r.line, err)
		}
		where := name + ":" + strconv.Itoa(r.line)
		service := r.fields["service"]
		if service == "-" || service == "" {
			claims = append(claims, peerClaim{peer: "zeek", label: "-", key: "unknown", tr: tr, tuples: []tuple{ft}, where: where})
			continue
		}
		for _, s := range strings.Split(service, ",") {
			if s == "" || s[0] == '-' {
				continue
			}
			claims = append(claims, peerClaim{peer: "zeek", label: s, key: strings.ToLower(s), tr: tr, tuples: []tuple{ft}, where: where})
		}
	}
	return claims, nil
}

// readZeekSSL reads ssl.log, one row per TLS or DTLS session. The log has
// no transport column: a DTLS version ("DTLSv10", "DTLSv12") means UDP and
// the label dtls, anything else TCP and ssl.
func readZeekSSL(name string, data []byte) ([]peerClaim, error) {
	rows, err := readZeekLog(name, data)
	if err != nil {
		return nil, err
	}
	var claims []peerClaim
	for _, r := range rows {
		version := r.fields["version"]
		tr, key := decoders.TCP, "ssl"
		if strings.HasPrefix(version, "DTLS") {
			tr, key = decoders.UDP, "dtls"
		}
		ft, err := zeekTuple(r, tr)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, r.line, err)
		}
		claims = append(claims, peerClaim{peer: "zeek", label: "ssl.log " + version, key: key, tr: tr,
			tuples: []tuple{ft}, where: name + ":" + strconv.Itoa(r.line)})
	}
	return claims, nil
}

// readZeekAnalyzer reads analyzer.log, where Zeek lists the analyzers that
// failed on a connection. An empty one says no analyzer was thrown off
// (webrtc-stun: DTLS is not confused by the STUN datagrams before it). It
// has no labels to give; a log with rows is an error, so that a new one is
// looked at rather than skipped.
func readZeekAnalyzer(name string, data []byte) ([]peerClaim, error) {
	rows, err := readZeekLog(name, data)
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		return nil, fmt.Errorf("%s:%d: analyzer failures are not mapped onto flows", name, rows[0].line)
	}
	return nil, nil
}

// zeekEvents maps the events a Zeek test script prints ("name :: fields")
// onto the analyzer that raised them. Such output names no connection, so
// each is a claim about the capture's only flow of that transport.
var zeekEvents = []struct {
	prefix string
	key    string
	tr     decoders.Transport
}{
	{"dce_rpc_", "dce_rpc", decoders.TCP}, // Zeek's DCE_RPC analyzer runs over TCP (and SMB pipes)
}

// readZeekEvents reads a test script's printed events.
func readZeekEvents(name string, data []byte) ([]peerClaim, error) {
	var claims []peerClaim
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		event, _, ok := strings.Cut(sc.Text(), " :: ")
		if !ok {
			continue
		}
		for _, e := range zeekEvents {
			if strings.HasPrefix(event, e.prefix) && !seen[e.key] {
				seen[e.key] = true
				claims = append(claims, peerClaim{peer: "zeek", label: event, key: e.key, tr: e.tr, count: 1,
					where: name + ":" + strconv.Itoa(line)})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return claims, nil
}

func TestReadZeek(t *testing.T) {
	tests := []struct {
		file string
		read func(string, []byte) ([]peerClaim, error)
		want []string // "tuple key" of each claim, or "count transport key"
	}{
		{"pcapng-multi-interface.pcapng.expected.conn.log", readZeekConn, []string{
			"udp 1.1.1.1:53 <-> 172.17.0.2:36343 dns",
			"udp 1.1.1.1:53 <-> 10.0.0.4:56351 dns",
			"udp 1.1.1.1:53 <-> 10.0.0.4:56352 dns",
		}},
		{"dhcp/dhcp.pcap.expected.conn.log", readZeekConn, []string{
			"udp 0.0.0.0:68 <-> 255.255.255.255:67 dhcp",
			"udp 128.2.6.97:68 <-> 128.2.6.152:67 dhcp",
			"udp 128.2.6.152:67 <-> 128.2.6.189:68 dhcp",
			"udp 128.2.6.152:67 <-> 255.255.255.255:68 dhcp",
		}},
		{"tls/webrtc-stun.pcap.expected.ssl.log", readZeekSSL, []string{
			"udp 74.201.205.9:43044 <-> 192.168.6.82:51462 dtls",
		}},
		{"tls/webrtc-stun.pcap.expected.analyzer.log", readZeekAnalyzer, nil},
		{"dce-rpc/kerberos135_auth.pcapng.expected.out.kerberos", readZeekEvents, []string{"1 tcp dce_rpc"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var got []string
			for _, c := range peerResult(t, filepath.Join("zeek", tt.file), tt.read) {
				if c.peer != "zeek" || c.where == "" {
					t.Errorf("claim %+v", c)
				}
				if len(c.tuples) == 0 {
					got = append(got, fmt.Sprint(c.count, " ", c.tr, " ", c.key))
				}
				for _, ft := range c.tuples {
					got = append(got, ft.String()+" "+c.key)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestReadZeekLogErrors(t *testing.T) {
	tests := []struct{ name, in, err string }{
		{"row first", "1\t2\n", "x.log:1: row before the #fields line"},
		{"short row", "#fields\ta\tb\n#types\tx\ty\n1\n", "x.log:3: 1 columns, #fields names 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readZeekLog("x.log", []byte(tt.in))
			if err == nil || err.Error() != tt.err {
				t.Errorf("error %v, want %s", err, tt.err)
			}
		})
	}
}

// FuzzZeekLog checks that the Zeek readers never panic and that every
// claim they return is about a flow we could follow.
func FuzzZeekLog(f *testing.F) {
	addFuzzSeeds(f, "zeek/*.expected.*", "")
	addFuzzSeeds(f, "zeek/*/*.expected.*", "")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, read := range []func(string, []byte) ([]peerClaim, error){readZeekConn, readZeekSSL, readZeekAnalyzer, readZeekEvents} {
			claims, err := read("fuzz", data)
			if err != nil {
				continue
			}
			for _, c := range claims {
				if c.tr != decoders.TCP && c.tr != decoders.UDP || c.key == "" || (len(c.tuples) == 0) == (c.count == 0) {
					t.Fatalf("%s: bad claim %+v", c.where, c)
				}
			}
		}
	})
}
