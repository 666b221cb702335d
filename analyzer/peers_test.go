package analyzer

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// The peer-agreement test holds lyncaudit's payload classification against
// what other tools wrote for the same captures: ndpiReader's results,
// Zeek's logs, suricata-verify's checks and Arkime's sessions, kept beside
// each shared capture as <capture>.expected.<name>.

// peerClaim is one thing a peer's output says about a flow: it carries label.
type peerClaim struct {
	peer   string             // "ndpi", "zeek", "suricata" or "arkime"
	label  string             // as the peer wrote it: "STUN.Skype_TeamsCall", "ssl.log DTLSv10"
	key    string             // what labelRules are keyed by: lower case, nDPI's master protocol; "unknown" for no label
	tr     decoders.Transport // the flow's transport
	tuples []tuple            // the flow; several when the peer's text is ambiguous, none when count is set
	count  int                // with no tuples: how many flows of tr the claim covers
	where  string             // file:line of the statement
}

// labelRule maps a peer's label onto the protocols of ours that agree with
// it: the flow agrees when our payload confirmed one of them.
type labelRule struct {
	peer string
	key  string
	tr   decoders.Transport // 0: either
	ours []decoders.Protocol
}

// labelRules is the mapping. A key that has no rule is a protocol we do not
// name (NetBIOS, FTP_CONTROL, krb) or an application with no master protocol
// (nDPI's Skype_TeamsCall, Discord): not comparable, and counted as such.
var labelRules = []labelRule{
	// nDPI: the master protocol before the dot; the application after it
	// (TLS.Microsoft365, DNS.Teams, STUN.GoogleCall) is not ours to judge.
	{"ndpi", "tls", decoders.TCP, protos(decoders.TLS)},                   // TLS on any port (443, 4434, 7070)
	{"ndpi", "dtls", decoders.UDP, protos(decoders.DTLS)},                 // DTLS, WebRTC's included
	{"ndpi", "stun", 0, protos(decoders.STUN, decoders.MSTURN)},           // its STUN also takes MS-TURN (Teams relays on 3478)
	{"ndpi", "sip", 0, protos(decoders.SIP)},                              // SIP in clear text
	{"ndpi", "rtp", 0, protos(decoders.RTP)},                              // RTP and SRTP, over TCP with RFC 4571 framing too
	{"ndpi", "rtcp", 0, protos(decoders.RTCP)},                            // an RTCP-only flow
	{"ndpi", "http", decoders.TCP, protos(decoders.HTTP, decoders.HTTP2)}, // we split cleartext HTTP/2 off; a peer may not
	{"ndpi", "dce_rpc", decoders.TCP, protos(decoders.DCERPC)},            // nDPI spells DCE/RPC "DCE_RPC"
	{"ndpi", "mssql-tds", decoders.TCP, protos(decoders.TDS)},             // nDPI's name for TDS
	{"ndpi", "dhcp", decoders.UDP, protos(decoders.DHCP)},                 // DHCP/BOOTP
	{"ndpi", "dns", 0, protos(decoders.DNS)},                              // DNS
	{"ndpi", "llmnr", decoders.UDP, protos(decoders.DNS)},                 // nDPI names LLMNR apart; to us it is DNS on 5355
	{"ndpi", "mdns", decoders.UDP, protos(decoders.DNS)},                  // and mDNS, DNS on 5353

	// Zeek: conn.log service names, ssl.log sessions and printed events.
	{"zeek", "ssl", decoders.TCP, protos(decoders.TLS)},                   // the SSL analyzer's name for TLS
	{"zeek", "ssl", decoders.UDP, protos(decoders.DTLS)},                  // should an ssl service show on UDP, it is DTLS
	{"zeek", "dtls", decoders.UDP, protos(decoders.DTLS)},                 // the DTLS analyzer (ssl.log DTLSv10/v12)
	{"zeek", "sip", 0, protos(decoders.SIP)},                              // SIP analyzer
	{"zeek", "http", decoders.TCP, protos(decoders.HTTP, decoders.HTTP2)}, // HTTP analyzer; we split cleartext HTTP/2 off
	{"zeek", "dce_rpc", decoders.TCP, protos(decoders.DCERPC)},            // DCE_RPC analyzer
	{"zeek", "dhcp", decoders.UDP, protos(decoders.DHCP)},                 // DHCP analyzer
	{"zeek", "dns", 0, protos(decoders.DNS)},                              // DNS analyzer, on the mDNS and LLMNR ports too

	// suricata-verify: app-layer event types and flow counters.
	{"suricata", "sip", 0, protos(decoders.SIP)},                  // sip events, app_layer.flow.sip_tcp/_udp
	{"suricata", "tls", decoders.TCP, protos(decoders.TLS)},       // tls events
	{"suricata", "http", decoders.TCP, protos(decoders.HTTP)},     // http events: HTTP/1.x
	{"suricata", "http2", decoders.TCP, protos(decoders.HTTP2)},   // http2 events
	{"suricata", "dcerpc", decoders.TCP, protos(decoders.DCERPC)}, // dcerpc events, app_layer.flow.dcerpc_tcp
	{"suricata", "dhcp", decoders.UDP, protos(decoders.DHCP)},     // dhcp events
	{"suricata", "dns", 0, protos(decoders.DNS)},                  // dns events, app_layer.flow.dns_tcp/_udp

	// Arkime: the protocol array, less the transport.
	{"arkime", "stun", 0, protos(decoders.STUN, decoders.MSTURN)},           // MS-TURN keeps STUN's header
	{"arkime", "http", decoders.TCP, protos(decoders.HTTP, decoders.HTTP2)}, // we split cleartext HTTP/2 off
	{"arkime", "tls", decoders.TCP, protos(decoders.TLS)},                   // TLS
	{"arkime", "dtls", decoders.UDP, protos(decoders.DTLS)},                 // DTLS
	{"arkime", "sip", 0, protos(decoders.SIP)},                              // SIP
	{"arkime", "dns", 0, protos(decoders.DNS)},                              // DNS
	{"arkime", "dhcp", decoders.UDP, protos(decoders.DHCP)},                 // DHCP
}

// protos lists the protocols of a rule.
func protos(ps ...decoders.Protocol) []decoders.Protocol { return ps }

// ours returns the protocols of ours that agree with c, or false when c's
// label is not one we name.
func (c peerClaim) ours() ([]decoders.Protocol, bool) {
	for _, r := range labelRules {
		if r.peer == c.peer && r.key == c.key && (r.tr == 0 || r.tr == c.tr) {
			return r.ours, true
		}
	}
	return nil, false
}

// peerReaders reads each kind of expected output, by the name after
// ".expected.".
var peerReaders = map[string]func(name string, data []byte) ([]peerClaim, error){
	"out":          readNDPI,         // ndpiReader's result
	"conn.log":     readZeekConn,     // Zeek's connections with their services
	"ssl.log":      readZeekSSL,      // Zeek's TLS and DTLS sessions
	"analyzer.log": readZeekAnalyzer, // Zeek's analyzer failures
	"out.kerberos": readZeekEvents,   // a Zeek test script's printed DCE/RPC events
	"test.yaml":    readSuricata,     // suricata-verify's checks
	"test":         readArkime,       // Arkime's expected sessions
}

// peerIgnored lists expected outputs that hold nothing about a flow's
// protocol, and why.
var peerIgnored = map[string]string{
	"dhcp.log":   "the DHCP transactions of flows conn.log already names",
	"tunnel.log": "the GRE tunnel itself, not a TCP or UDP flow",
	"stdout":     "event values without connection ids; ssl.log has the same session",
}

// peerName gives the peer that wrote each kind of expected output.
var peerName = map[string]string{
	"out": "ndpi", "conn.log": "zeek", "ssl.log": "zeek", "analyzer.log": "zeek",
	"out.kerberos": "zeek", "dhcp.log": "zeek", "tunnel.log": "zeek", "stdout": "zeek",
	"test.yaml": "suricata", "test": "arkime",
}

// peerRow is one line of the agreement table.
type peerRow struct {
	file          string
	peers         string
	flows         int            // flows the peer labels with a protocol we name
	agreed        int            // of those, flows whose protocols we confirmed include it
	disagreed     int            // the others
	notComparable map[string]int // flows labelled only with protocols we do not name, by label
	unknown       int            // flows the peer saw but did not name
	unpinned      []string       // claims with no five-tuple that our flows could not settle
}

// readPeerClaims reads every expected output beside a capture.
func readPeerClaims(t *testing.T, capture string) (claims []peerClaim, peers []string) {
	t.Helper()
	expected, err := filepath.Glob(capture + ".expected.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range expected {
		kind := strings.TrimPrefix(name, capture+".expected.")
		if p := peerName[kind]; p != "" && !slices.Contains(peers, p) {
			peers = append(peers, p)
		}
		if peerIgnored[kind] != "" {
			continue
		}
		read := peerReaders[kind]
		if read == nil {
			t.Errorf("%s: no reader for .expected.%s outputs", name, kind)
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := read(filepath.ToSlash(name), data)
		if err != nil {
			t.Error(err)
			continue
		}
		claims = append(claims, cs...)
	}
	return claims, peers
}

// peerResult reads one expected output under the shared captures with
// read, or skips: the captures live beside the project, not in it.
func peerResult(t *testing.T, rel string, read func(name string, data []byte) ([]peerClaim, error)) []peerClaim {
	t.Helper()
	name := filepath.Join(sharedCaptures, rel)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Skipf("shared captures not found: %v", err)
	}
	claims, err := read(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return claims
}

// ourFlows indexes a report's flows by five-tuple.
type ourFlows struct {
	byTuple map[tuple][]FlowRecord
	byTr    map[decoders.Transport][]tuple
}

// indexFlows builds the index; a five-tuple reused after a close has
// several records.
func indexFlows(t *testing.T, flows []FlowRecord) ourFlows {
	t.Helper()
	idx := ourFlows{byTuple: map[tuple][]FlowRecord{}, byTr: map[decoders.Transport][]tuple{}}
	for _, f := range flows {
		tr, ok := decoders.ParseTransport(f.Transport)
		c, err1 := netip.ParseAddr(f.Client)
		s, err2 := netip.ParseAddr(f.Server)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("flow record %s %s:%d %s:%d does not parse", f.Transport, f.Client, f.ClientPort, f.Server, f.ServerPort)
		}
		ft := newTuple(tr, netip.AddrPortFrom(c, f.ClientPort), netip.AddrPortFrom(s, f.ServerPort))
		if len(idx.byTuple[ft]) == 0 {
			idx.byTr[tr] = append(idx.byTr[tr], ft)
		}
		idx.byTuple[ft] = append(idx.byTuple[ft], f)
	}
	return idx
}

// confirmed reports whether our payload inspection confirmed one of ps on
// the flow; a port guess does not count.
func (o ourFlows) confirmed(ft tuple, ps []decoders.Protocol) bool {
	for _, f := range o.byTuple[ft] {
		if f.Confidence != "dpi" {
			continue
		}
		for _, name := range f.Protocols {
			if p, ok := decoders.ParseProtocol(name); ok && slices.Contains(ps, p) {
				return true
			}
		}
	}
	return false
}

// label writes what we said about a flow: the confirmed protocols joined
// by "+", or the main protocol and its confidence when the payload
// confirmed none.
func (o ourFlows) label(ft tuple) string {
	recs := o.byTuple[ft]
	if len(recs) == 0 {
		return "(no flow)"
	}
	var confirmed []string
	for _, f := range recs {
		if f.Confidence != "dpi" {
			continue
		}
		for _, p := range f.Protocols {
			if !slices.Contains(confirmed, p) {
				confirmed = append(confirmed, p)
			}
		}
	}
	if len(confirmed) > 0 {
		return strings.Join(confirmed, "+")
	}
	return recs[0].Protocol + " (" + recs[0].Confidence + ")"
}

// pin settles where each claim is: the candidate tuple our flow table has
// (the first one if none), or, for a claim that names no flow, every flow
// of its transport when there are exactly as many as it covers.
func (o ourFlows) pin(c peerClaim) ([]tuple, bool) {
	if len(c.tuples) == 0 {
		if flows := o.byTr[c.tr]; len(flows) == c.count {
			return flows, true
		}
		return nil, false
	}
	for _, ft := range c.tuples {
		if len(o.byTuple[ft]) > 0 {
			return []tuple{ft}, true
		}
	}
	return c.tuples[:1], true
}

// compare holds one capture's claims against our flows.
func compare(t *testing.T, file string, claims []peerClaim, flows []FlowRecord) (peerRow, []disagreement) {
	t.Helper()
	o := indexFlows(t, flows)
	row := peerRow{file: file, notComparable: map[string]int{}}
	type flowClaims struct {
		ft     tuple
		claims []peerClaim
	}
	var order []*flowClaims
	byTuple := map[tuple]*flowClaims{}
	for _, c := range claims {
		fts, ok := o.pin(c)
		if !ok {
			row.unpinned = append(row.unpinned, fmt.Sprintf("%s: %s:%s on %d %s flows, we have %d", c.where, c.peer, c.label, c.count, c.tr, len(o.byTr[c.tr])))
			continue
		}
		for _, ft := range fts {
			fc := byTuple[ft]
			if fc == nil {
				fc = &flowClaims{ft: ft}
				byTuple[ft] = fc
				order = append(order, fc)
			}
			dup := slices.ContainsFunc(fc.claims, func(d peerClaim) bool { return d.peer == c.peer && d.key == c.key })
			if !dup {
				fc.claims = append(fc.claims, c)
			}
		}
	}
	var diffs []disagreement
	for _, fc := range order {
		comparable, other := 0, ""
		var failed []peerClaim
		for _, c := range fc.claims {
			ps, ok := c.ours()
			switch {
			case ok:
				comparable++
				if !o.confirmed(fc.ft, ps) {
					failed = append(failed, c)
				}
			case c.key != "unknown" && other == "":
				other = c.peer + ":" + c.label
			}
		}
		switch {
		case comparable == 0 && other != "":
			row.notComparable[other]++
		case comparable == 0:
			row.unknown++
		case len(failed) == 0:
			row.flows++
			row.agreed++
		default:
			row.flows++
			row.disagreed++
			for _, c := range failed {
				diffs = append(diffs, disagreement{file: file, flow: fc.ft, peer: c.peer + ":" + c.label, ours: o.label(fc.ft)})
			}
		}
	}
	return row, diffs
}

// maxFuzzSeed bounds a fuzz seed: the fuzzer mutates and minimizes small
// inputs far faster, and a few kilobytes hold every line shape.
const maxFuzzSeed = 4 << 10

// addFuzzSeeds adds each file matching pattern under the shared captures
// as a seed: from the first occurrence of from (the start of the part the
// reader cares about; "" for the whole file), cut at the last line end
// within maxFuzzSeed.
func addFuzzSeeds(f *testing.F, pattern, from string) {
	names, _ := filepath.Glob(filepath.Join(sharedCaptures, pattern))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		if i := strings.Index(string(data), from); i > 0 {
			data = data[i:]
		}
		if len(data) > maxFuzzSeed {
			data = data[:strings.LastIndexByte(string(data[:maxFuzzSeed]), '\n')+1]
		}
		f.Add(data)
	}
}

// minAgreement is the share of comparable flows that must agree.
const minAgreement = 0.95

// damagedCaptures are corrupted on purpose: their rows are shown and their
// disagreements must be listed, but they stay out of the agreement share,
// which measures classification of traffic as it is sent. A peer that
// names damaged messages by their first bytes or by port is not wrong, and
// neither is a signature that refuses them.
var damagedCaptures = map[string]string{
	"ndpi/fuzz-2006-06-26-2594.pcap": "randomly byte-fuzzed copy of a LAN and SIP trace",
}

// TestPeersAgree runs the engine over every shared capture that has a
// peer's expected output beside it, and holds each flow the peer names with
// a protocol we name against the protocols our payload signatures
// confirmed. At least minAgreement of those flows agree, and every
// disagreement is listed, with its reason, in disagreementsFile; a listed
// one that no longer occurs fails too, so the list stays honest. The table
// is logged (go test -run Peers -v).
func TestPeersAgree(t *testing.T) {
	files := sharedFiles(t)
	listed := readDisagreements(t)
	var rows []peerRow
	var all []disagreement
	for _, name := range files {
		claims, peers := readPeerClaims(t, name)
		if len(peers) == 0 {
			continue
		}
		rel, err := filepath.Rel(sharedCaptures, name)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		row, diffs := compare(t, rel, claims, analyzeFile(t, name).Flows)
		row.peers = strings.Join(peers, ",")
		rows = append(rows, row)
		all = append(all, diffs...)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].file < rows[j].file })
	sort.Slice(all, func(i, j int) bool { return all[i].key() < all[j].key() })
	for i := range all {
		if l, ok := listed[all[i].key()]; ok {
			all[i].reason = l.reason
		}
	}
	t.Log("\n" + agreementTable(rows, all))

	var flows, agreed int
	for _, r := range rows {
		if damagedCaptures[r.file] == "" {
			flows += r.flows
			agreed += r.agreed
		}
		for _, u := range r.unpinned {
			t.Logf("%s: cannot pin %s", r.file, u)
		}
	}
	if flows == 0 {
		t.Fatal("no flow a peer labels with a protocol we name")
	}
	if share := float64(agreed) / float64(flows); share < minAgreement {
		t.Errorf("%d of %d flows agree (%.1f%%), want at least %.0f%%", agreed, flows, 100*share, 100*minAgreement)
	}
	seen := map[string]bool{}
	for _, d := range all {
		seen[d.key()] = true
		if d.reason == "" {
			t.Errorf("disagreement not listed in %s; if expected, add:\n%s | <reason>", disagreementsFile, d.key())
		}
	}
	for key := range listed {
		if !seen[key] {
			t.Errorf("%s lists a disagreement that no longer occurs; remove:\n%s", disagreementsFile, listed[key])
		}
	}
}

// agreementTable writes the table, the labels counted as not comparable,
// and the disagreements, for people.
func agreementTable(rows []peerRow, diffs []disagreement) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(w, "file\t peer\t flows\t agreed\t disagreed\t not comparable\t peer unknown")
	var flows, agreed, disagreed, notComparable, unknown int
	var notes []string
	for _, r := range rows {
		nc := 0
		var labels []string
		for l, n := range r.notComparable {
			nc += n
			labels = append(labels, fmt.Sprintf("%s x%d", l, n))
		}
		sort.Strings(labels)
		if len(labels) > 0 {
			notes = append(notes, r.file+": "+strings.Join(labels, ", "))
		}
		file := r.file
		if why := damagedCaptures[r.file]; why != "" {
			file += " (damaged, not in total)"
			notes = append(notes, r.file+": not in total: "+why)
		} else {
			flows, agreed, disagreed, notComparable, unknown = flows+r.flows, agreed+r.agreed, disagreed+r.disagreed, notComparable+nc, unknown+r.unknown
		}
		fmt.Fprintf(w, "%s\t %s\t %d\t %d\t %d\t %d\t %d\n", file, r.peers, r.flows, r.agreed, r.disagreed, nc, r.unknown)
	}
	share := 0.0
	if flows > 0 {
		share = 100 * float64(agreed) / float64(flows)
	}
	fmt.Fprintf(w, "total\t \t %d\t %d (%.1f%%)\t %d\t %d\t %d\n", flows, agreed, share, disagreed, notComparable, unknown)
	w.Flush()
	b.WriteString("\nnotes (not comparable: the peer's label is not a protocol we name):\n")
	for _, n := range notes {
		b.WriteString("  " + n + "\n")
	}
	b.WriteString("\ndisagreements (file, five-tuple, peer label, ours: reason):\n")
	for _, d := range diffs {
		reason := d.reason
		if reason == "" {
			reason = "NOT LISTED"
		}
		fmt.Fprintf(&b, "  %s  %s  peer %s, ours %s: %s\n", d.file, d.flow, d.peer, d.ours, reason)
	}
	return b.String()
}
