package analyzer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/analyzer/filter"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

// evidencePacket is one packet of an evidence file as read back: its
// capture fields from the project's reader, its comment from gopacket's.
type evidencePacket struct {
	capture.Packet
	comment string
}

// readEvidence reads an evidence file twice, with capture.Reader and with
// pcapgo.NgReader, and returns its packets, the section header's comment
// and the link types of its interfaces.
func readEvidence(t *testing.T, b []byte) (pkts []evidencePacket, section string, links []decoders.LinkType) {
	t.Helper()
	r, err := capture.NewReader(bytes.NewReader(b), "evidence.pcapng")
	if err != nil {
		t.Fatalf("evidence is no capture: %v", err)
	}
	for {
		var p capture.Packet
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading evidence: %v", err)
		}
		p.Data = bytes.Clone(p.Data)
		pkts = append(pkts, evidencePacket{Packet: p})
	}
	ng, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatalf("pcapgo cannot read the evidence: %v", err)
	}
	for i := range pkts {
		_, _, opts, err := ng.ReadPacketDataWithOptions()
		if err != nil {
			t.Fatalf("pcapgo, packet %d: %v", i+1, err)
		}
		if len(opts.Comments) != 1 {
			t.Fatalf("packet %d has comments %q, want one", i+1, opts.Comments)
		}
		pkts[i].comment = opts.Comments[0]
	}
	if _, _, err := ng.ReadPacketData(); !errors.Is(err, io.EOF) {
		t.Fatalf("pcapgo reads more packets than capture.Reader (%d): %v", len(pkts), err)
	}
	return pkts, ng.SectionInfo().Comment, r.LinkTypes()
}

// evidencePayloads writes the evidence of rep, analysed from the named
// capture, keeping perFlow packets of each flow, and returns its packets
// as read back with the payload each one decodes to.
func evidencePayloads(t *testing.T, rep *Report, name string, perFlow int) ([]evidencePacket, []string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteEvidence(&buf, rep, []string{name}, perFlow); err != nil {
		t.Fatal(err)
	}
	pkts, _, _ := readEvidence(t, buf.Bytes())
	dec := decoders.NewDecoder()
	payloads := make([]string, 0, len(pkts))
	for _, p := range pkts {
		var d decoders.Packet
		if r := dec.Decode(p.LinkType, p.Data, &d); r != decoders.OK {
			t.Fatalf("evidence packet does not decode: %v", r)
		}
		payloads = append(payloads, string(d.Payload))
	}
	return pkts, payloads
}

// analyzeFiles runs the engine with cfg, keeping flow records, over the
// named capture files, as the command does.
func analyzeFiles(t testing.TB, cfg Config, names ...string) *Report {
	t.Helper()
	cfg.KeepFlows = true
	e := NewEngine(cfg)
	for _, name := range names {
		r, err := capture.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		err = e.Read(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return e.Report()
}

// writeSample writes the generated sample capture into dir and returns its
// path, the inventory and the generator's truth.
func writeSample(t testing.TB, dir string) (string, *rules.Inventory, *lyncgen.Truth) {
	t.Helper()
	o := lyncgen.SampleOptions()
	name := filepath.Join(dir, "sample.pcapng")
	truth, err := lyncgen.GenerateFile(name, o)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := rules.ParseInventory(strings.NewReader(lyncgen.Inventory(o)), "sample.inventory")
	if err != nil {
		t.Fatal(err)
	}
	return name, inv, truth
}

// tupleKey is a flow's five-tuple, the same for both directions.
type tupleKey struct {
	a, b netip.AddrPort
	t    decoders.Transport
}

func (k tupleKey) String() string { return k.a.String() + " " + k.b.String() + " " + k.t.String() }

func canonTuple(x, y netip.AddrPort, t decoders.Transport) tupleKey {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return tupleKey{x, y, t}
}

// tupleOf decodes a packet of the evidence to its five-tuple, later
// fragments taking their ports from the first.
func tupleOf(t *testing.T, dec *decoders.Decoder, frags *fragments, p *capture.Packet) tupleKey {
	t.Helper()
	var d decoders.Packet
	if r := dec.Decode(p.LinkType, p.Data, &d); r != decoders.OK {
		t.Fatalf("evidence packet at %d does not decode: %v", p.Timestamp, r)
	}
	if d.Fragment.IsFragment() && !frags.resolve(&d, p.Timestamp) {
		t.Fatalf("evidence packet at %d is a fragment whose first fragment is not in the evidence", p.Timestamp)
	}
	return canonTuple(netip.AddrPortFrom(d.Src, d.SrcPort), netip.AddrPortFrom(d.Dst, d.DstPort), d.Transport)
}

// rawPackets reads a capture file whole: timestamp and bytes of each packet.
func rawPackets(t *testing.T, name string) map[string]int {
	t.Helper()
	r, err := capture.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := map[string]int{}
	for {
		var p capture.Packet
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		m[packetID(&p)]++
	}
}

func packetID(p *capture.Packet) string {
	return strconv.FormatInt(p.Timestamp, 10) + "/" + strconv.Itoa(p.WireLen) + "/" + string(p.Data)
}

// TestWriteEvidenceSample writes the evidence of the generated sample and
// holds it against the generator's truth: every packet written belongs to
// a flow the truth wants unexpected or mismatched, each such flow has all
// its packets there (or the first perFlow), the bytes are the capture's,
// and each comment names the flow's finding.
func TestWriteEvidenceSample(t *testing.T) {
	dir := t.TempDir()
	name, inv, truth := writeSample(t, dir)
	cfg := NewConfig()
	cfg.Inventory = inv
	rep := analyzeFiles(t, cfg, name)
	rep.Inventory = "sample.inventory" // as the command records it
	original := rawPackets(t, name)

	// The flows the truth wants as findings, by five-tuple: a tuple can
	// carry several flows one after the other.
	wants := map[tupleKey][]*lyncgen.FlowTruth{}
	findingFlows := 0
	for i := range truth.Flows {
		f := &truth.Flows[i]
		if f.Want == lyncgen.WantUnexpected || f.Want == lyncgen.WantMismatch {
			k := canonTuple(f.Client, f.Server, f.Transport)
			wants[k] = append(wants[k], f)
			findingFlows++
		}
	}
	if findingFlows < 10 {
		t.Fatalf("the sample has %d unexpected or mismatched flows; the test wants a good number", findingFlows)
	}
	// Comments of flows worth checking word for word: a plain unexpected
	// port, a mismatch, and a port that never answered.
	exact := map[string]string{
		"10.10.2.10:3389": "lyncaudit: unexpected 3389/tcp on 10.10.2.10 (director): the catalog lists no 3389/tcp for director",
		"10.10.1.11:5061": "lyncaudit: mismatch 5061/tcp on 10.10.1.11 (frontend,mediation): the catalog asks for tls; the payload is sip, in clear text",
		"10.10.5.10:80":   "lyncaudit: unexpected 80/tcp on 10.10.5.10 (office-web-apps): the catalog lists no 80/tcp for office-web-apps; attempted, never answered",
		"10.10.3.10:5060": "lyncaudit: unexpected 5060/udp on 10.10.3.10 (mediation): the catalog lists no 5060/udp for mediation",
	}

	for _, perFlow := range []int{0, 1, 2} {
		t.Run("perFlow="+strconv.Itoa(perFlow), func(t *testing.T) {
			var buf bytes.Buffer
			n, err := WriteEvidence(&buf, rep, []string{name}, perFlow)
			if err != nil {
				t.Fatal(err)
			}
			pkts, section, _ := readEvidence(t, buf.Bytes())
			if n != len(pkts) {
				t.Errorf("WriteEvidence says %d packets, the file holds %d", n, len(pkts))
			}
			if !strings.Contains(section, "; inventory sample.inventory") || !strings.Contains(section, "; captures "+name) {
				t.Errorf("section comment %q does not name the inventory and the capture", section)
			}
			dec, frags := decoders.NewDecoder(), newFragments(16)
			got := map[tupleKey]int{}
			for i := range pkts {
				p := &pkts[i]
				if original[packetID(&p.Packet)] == 0 {
					t.Errorf("evidence packet %d (at %d, %d bytes) is not in the capture", i+1, p.Timestamp, len(p.Data))
				}
				k := tupleOf(t, dec, frags, &p.Packet)
				flows := wants[k]
				if len(flows) == 0 {
					t.Errorf("evidence packet %d belongs to %v, which carries no finding", i+1, k)
					continue
				}
				got[k]++
				if !slices.ContainsFunc(flows, func(f *lyncgen.FlowTruth) bool { return strings.HasPrefix(p.comment, commentPrefix(f)) }) {
					t.Errorf("evidence packet %d of %v: comment %q, want it to start %q", i+1, k, p.comment, commentPrefix(flows[0]))
				}
				if c, ok := exact[flows[0].Server.String()]; ok && p.comment != c {
					t.Errorf("evidence packet %d: comment\n%q, want\n%q", i+1, p.comment, c)
				}
			}
			for k, flows := range wants {
				n, all := 0, 0
				for _, f := range flows {
					n += f.Packets
					if perFlow > 0 {
						n -= max(0, f.Packets-perFlow)
					}
					all += f.Packets
				}
				if got[k] != n {
					t.Errorf("%v (%s): %d packets in the evidence, want %d of its %d", k, flows[0].Want, got[k], n, all)
				}
			}
			tsharkComments(t, buf.Bytes(), pkts)
		})
	}

	t.Run("same evidence from two workers", func(t *testing.T) {
		cfg.Workers = 2
		rep2 := analyzeFiles(t, cfg, name)
		rep2.Inventory = rep.Inventory
		var one, two bytes.Buffer
		if _, err := WriteEvidence(&one, rep, []string{name}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := WriteEvidence(&two, rep2, []string{name}, 0); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one.Bytes(), two.Bytes()) {
			t.Error("the evidence of a report built on two workers differs from one built on one")
		}
	})
}

// commentPrefix is how the comment of a finding flow's packets starts.
func commentPrefix(f *lyncgen.FlowTruth) string {
	return fmt.Sprintf("lyncaudit: %s %d/%s on %s (", f.Want, f.Server.Port(), f.Transport, f.Server.Addr())
}

// tsharkComments wants tshark to read the evidence and show the same
// comment on each packet as pcapgo does.
func tsharkComments(t *testing.T, b []byte, pkts []evidencePacket) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Log("tshark not on PATH: comments not checked with it")
		return
	}
	file := filepath.Join(t.TempDir(), "evidence.pcapng")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tshark", "-r", file, "-T", "fields", "-e", "frame.comment", "-e", "frame.cap_len")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.Bytes())
	}
	var want []string
	for _, p := range pkts {
		want = append(want, p.comment+"\t"+strconv.Itoa(len(p.Data)))
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(want) == 0 {
		want = []string{""}
	}
	if !slices.Equal(got, want) {
		t.Errorf("tshark reads %d packets:\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

// writePcap writes synthetic packets to a pcap file in dir.
func writePcap(t *testing.T, dir, base string, ps ...pkt) string {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriterNanos(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		cp := frame(t, p)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, cp.Timestamp), CaptureLength: len(cp.Data), Length: cp.WireLen}
		if err := w.WritePacket(ci, cp.Data); err != nil {
			t.Fatal(err)
		}
	}
	name := filepath.Join(dir, base)
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestWriteEvidenceFlowsSharingATuple gives each packet to the flow whose
// span holds its time when one five-tuple made several flows: after an
// idle timeout, and after an eviction within the same tick of the clock.
func TestWriteEvidenceFlowsSharingATuple(t *testing.T) {
	inv, err := rules.ParseInventory(strings.NewReader("10.0.0.1 director\n"), "test.inventory")
	if err != nil {
		t.Fatal(err)
	}
	const tuple, other = "10.0.0.9:50000", "10.0.0.8:50000"
	q := func(at time.Duration, src, payload string) pkt {
		return pkt{at: at, src: src, dst: "10.0.0.1:53", udp: true, payload: payload}
	}
	tests := []struct {
		name     string
		maxFlows int
		pkts     []pkt
		records  int
		want     []string // payloads written with one packet per flow
	}{
		{
			name: "idle timeout",
			pkts: []pkt{
				q(0, tuple, "a1"), q(10*time.Second, tuple, "a2"),
				q(100*time.Second, tuple, "b1"), q(101*time.Second, tuple, "b2"),
			},
			records: 2,
			want:    []string{"a1", "b1"},
		},
		{
			name:     "evicted and back within the same tick",
			maxFlows: 1,
			pkts: []pkt{
				q(0, tuple, "a1"), q(time.Second, tuple, "a2"),
				q(time.Second, other, "c1"), // evicts a
				q(time.Second, tuple, "b1"), // evicts c, starts b
			},
			records: 3,
			want:    []string{"a1", "c1", "b1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := writePcap(t, t.TempDir(), "split.pcap", tt.pkts...)
			cfg := NewConfig()
			cfg.Inventory, cfg.UDPIdle = inv, 30*time.Second
			if tt.maxFlows > 0 {
				cfg.MaxFlows = tt.maxFlows
			}
			rep := analyzeFiles(t, cfg, name)
			if len(rep.Flows) != tt.records {
				t.Fatalf("%d flow records, want %d: %+v", len(rep.Flows), tt.records, rep.Flows)
			}
			pkts, got := evidencePayloads(t, rep, name, 1)
			for _, p := range pkts {
				if want := "lyncaudit: unexpected 53/udp on 10.0.0.1 (director): the catalog lists no 53/udp for director"; p.comment != want {
					t.Errorf("comment %q, want %q", p.comment, want)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWriteEvidenceAnsweredAndAttempted tells the two unexpected findings
// of one port apart: flows the server answered, and flows it never did.
func TestWriteEvidenceAnsweredAndAttempted(t *testing.T) {
	inv, err := rules.ParseInventory(strings.NewReader("10.0.0.1 director\n"), "test.inventory")
	if err != nil {
		t.Fatal(err)
	}
	name := writePcap(t, t.TempDir(), "rdp.pcap",
		pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:3389", flags: "S"},
		pkt{at: time.Millisecond, src: "10.0.0.1:3389", dst: "10.0.0.9:50000", flags: "SA"},
		pkt{at: time.Second, src: "10.0.0.9:50001", dst: "10.0.0.1:3389", flags: "S"},
		pkt{at: 2 * time.Second, src: "10.0.0.9:50001", dst: "10.0.0.1:3389", flags: "S"})
	cfg := NewConfig()
	cfg.Inventory = inv
	rep := analyzeFiles(t, cfg, name)
	var buf bytes.Buffer
	if _, err := WriteEvidence(&buf, rep, []string{name}, 0); err != nil {
		t.Fatal(err)
	}
	pkts, _, _ := readEvidence(t, buf.Bytes())
	const served = "lyncaudit: unexpected 3389/tcp on 10.0.0.1 (director): the catalog lists no 3389/tcp for director"
	want := []string{served, served, served + "; attempted, never answered", served + "; attempted, never answered"}
	var got []string
	for _, p := range pkts {
		got = append(got, p.comment)
	}
	if !slices.Equal(got, want) {
		t.Errorf("comments\n%q\nwant\n%q", got, want)
	}
}

// TestWriteEvidenceWindowAndFilter writes only the packets the analysis
// kept: those inside its time window and matching its filter.
func TestWriteEvidenceWindowAndFilter(t *testing.T) {
	inv, err := rules.ParseInventory(strings.NewReader("10.0.0.1 director\n"), "test.inventory")
	if err != nil {
		t.Fatal(err)
	}
	ask := func(at time.Duration, payload string) pkt {
		return pkt{at: at, src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: payload}
	}
	reply := func(at time.Duration, payload string) pkt {
		return pkt{at: at, src: "10.0.0.1:53", dst: "10.0.0.9:50000", udp: true, payload: payload}
	}
	pkts := []pkt{ask(0, "q1"), reply(time.Second, "r1"), ask(10*time.Second, "q2"), reply(11*time.Second, "r2"), ask(20*time.Second, "q3")}
	tests := []struct {
		name         string
		filter       string
		since, until time.Duration // after t0; 0: open
		want         []string
	}{
		{name: "everything", want: []string{"q1", "r1", "q2", "r2", "q3"}},
		{name: "one direction", filter: "src host 10.0.0.9", want: []string{"q1", "q2", "q3"}},
		{name: "window", since: 5 * time.Second, until: 20 * time.Second, want: []string{"q2", "r2"}},
		{name: "both", filter: "dst port 53", since: 5 * time.Second, want: []string{"q2", "q3"}},
	}
	name := writePcap(t, t.TempDir(), "window.pcap", pkts...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewConfig()
			cfg.Inventory = inv
			if tt.filter != "" {
				if cfg.Filter, err = filter.Compile(tt.filter); err != nil {
					t.Fatal(err)
				}
			}
			if tt.since != 0 {
				cfg.Since = t0.Add(tt.since)
			}
			if tt.until != 0 {
				cfg.Until = t0.Add(tt.until)
			}
			_, got := evidencePayloads(t, analyzeFiles(t, cfg, name), name, 0)
			if !slices.Equal(got, tt.want) {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWriteEvidenceOddInputs covers reports and captures that give no
// evidence, or that WriteEvidence must refuse.
func TestWriteEvidenceOddInputs(t *testing.T) {
	dir := t.TempDir()
	inv, err := rules.ParseInventory(strings.NewReader("10.0.0.1 director\n"), "test.inventory")
	if err != nil {
		t.Fatal(err)
	}
	expected := writePcap(t, dir, "expected.pcap", // 5061/tcp is the director's: no finding
		pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:5061", flags: "S"},
		pkt{at: time.Millisecond, src: "10.0.0.1:5061", dst: "10.0.0.9:50000", flags: "SA"})
	unexpected := writePcap(t, dir, "unexpected.pcap",
		pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: "q"})
	changed := writePcap(t, dir, "changed.pcap",
		pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: "q"})
	cfg := NewConfig()
	cfg.Inventory = inv
	noFinding := analyzeFiles(t, cfg, expected)
	finding := analyzeFiles(t, cfg, unexpected)
	beforeChange := analyzeFiles(t, cfg, changed)
	writePcap(t, dir, "changed.pcap",
		pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: "q"},
		pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: "r"})
	noRecords := *finding
	noRecords.Flows = nil

	tests := []struct {
		name     string
		report   *Report
		captures []string
		wantErr  string // empty: a valid evidence file with no packets
	}{
		{name: "empty report, no captures", report: &Report{}},
		{name: "no finding flows", report: noFinding, captures: []string{expected}},
		{name: "findings without flow records", report: &noRecords, captures: []string{unexpected}, wantErr: "build it with KeepFlows"},
		{name: "standard input", report: finding, captures: []string{"-"}, wantErr: "standard input cannot be read a second time"},
		{name: "capture gone", report: finding, captures: []string{filepath.Join(dir, "gone.pcap")}, wantErr: "gone.pcap"},
		{name: "capture changed since the analysis", report: beforeChange, captures: []string{changed}, wantErr: "not the capture the report was built from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := WriteEvidence(&buf, tt.report, tt.captures, 0)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || n != 0 {
				t.Fatalf("WriteEvidence = %d, %v; want 0, nil", n, err)
			}
			pkts, section, links := readEvidence(t, buf.Bytes())
			if len(pkts) != 0 || len(links) != 1 || !strings.HasPrefix(section, "lyncaudit evidence: ") {
				t.Errorf("%d packets, interfaces %v, section %q; want an empty file with one interface and a title", len(pkts), links, section)
			}
			tsharkComments(t, buf.Bytes(), nil)
		})
	}
}

// TestWriteEvidenceRealCapture judges every address of a real capture
// with Ethernet, BSD loopback and raw IP frames as a Director: a range
// host, so findings are matched by span, and evidence on two link types.
func TestWriteEvidenceRealCapture(t *testing.T) {
	sharedFiles(t) // skips without them
	name := filepath.Join(sharedCaptures, "pcapplusplus", "many_interfaces-1.pcapng")
	inv, err := rules.ParseInventory(strings.NewReader("0.0.0.0/0 director name=everything\n"), "all.inventory")
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewConfig()
	cfg.Inventory = inv
	rep := analyzeFiles(t, cfg, name)
	wantPackets := map[tupleKey]uint64{}
	wantComment := map[tupleKey]string{}
	for _, f := range rep.Flows {
		if !isFinding(f.Verdict) {
			continue
		}
		cli := netip.AddrPortFrom(netip.MustParseAddr(f.Client), f.ClientPort)
		srv := netip.AddrPortFrom(netip.MustParseAddr(f.Server), f.ServerPort)
		tr, _ := decoders.ParseTransport(f.Transport)
		k := canonTuple(cli, srv, tr)
		wantPackets[k] += f.Packets
		wantComment[k] = fmt.Sprintf("lyncaudit: unexpected %d/%s on %s (director): the catalog lists no %d/%s for director",
			f.ServerPort, f.Transport, f.Server, f.ServerPort, f.Transport)
	}
	var buf bytes.Buffer
	n, err := WriteEvidence(&buf, rep, []string{name}, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkts, _, links := readEvidence(t, buf.Bytes())
	dec, frags := decoders.NewDecoder(), newFragments(16)
	got := map[tupleKey]uint64{}
	var used []decoders.LinkType
	for i := range pkts {
		p := &pkts[i]
		k := tupleOf(t, dec, frags, &p.Packet)
		got[k]++
		if p.comment != wantComment[k] {
			t.Errorf("packet %d of %v: comment %q, want %q", i+1, k, p.comment, wantComment[k])
		}
		if !slices.Contains(used, p.LinkType) {
			used = append(used, p.LinkType)
		}
	}
	var total uint64
	for k, want := range wantPackets {
		total += want
		if got[k] != want {
			t.Errorf("%v: %d packets in the evidence, want %d", k, got[k], want)
		}
	}
	if uint64(n) != total || len(got) != len(wantPackets) {
		t.Errorf("wrote %d packets of %d flows, want %d of %d", n, len(got), total, len(wantPackets))
	}
	if len(used) < 2 || len(links) < len(used) {
		t.Errorf("evidence packets on link types %v, interfaces %v; want two link types, each declared", used, links)
	}
	tsharkComments(t, buf.Bytes(), pkts)
}

// sampleScan returns an evidence scan of the sample, perFlow 1, and two
// of its packets: one of a flow that is no finding, and one of a finding
// flow after its first.
func sampleScan(t testing.TB) (ev *evidenceScan, plain, finding capture.Packet) {
	t.Helper()
	name, inv, _ := writeSample(t, t.TempDir())
	cfg := NewConfig()
	cfg.Inventory = inv
	rep := analyzeFiles(t, cfg, name)
	ev, err := newEvidence(rep, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := capture.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dec := decoders.NewDecoder()
	var cp capture.Packet
	var d decoders.Packet
	for plain.Data == nil || finding.Data == nil {
		if err := r.Next(&cp); err != nil {
			t.Fatalf("the sample has no packet of both kinds: %v", err)
		}
		f := ev.match(&cp)
		if dec.Decode(cp.LinkType, cp.Data, &d) != decoders.OK || d.Fragment.IsFragment() {
			continue
		}
		k, _ := keyOf(&d)
		fs := ev.flows[k]
		switch {
		case len(fs) == 0 && plain.Data == nil:
			plain = cp
			plain.Data = bytes.Clone(cp.Data)
		case len(fs) > 0 && f == nil && fs[0].comment != "" && finding.Data == nil:
			finding = cp
			finding.Data = bytes.Clone(cp.Data)
		}
	}
	return ev, plain, finding
}

// TestEvidenceMatchDoesNotAllocate checks the path every packet of the
// second pass takes, whether or not its flow is a finding.
func TestEvidenceMatchDoesNotAllocate(t *testing.T) {
	ev, plain, finding := sampleScan(t)
	for _, tt := range []struct {
		name string
		p    *capture.Packet
	}{{"flow without finding", &plain}, {"finding flow past perFlow", &finding}} {
		t.Run(tt.name, func(t *testing.T) {
			if allocs := testing.AllocsPerRun(1000, func() {
				if ev.match(tt.p) != nil {
					t.Fatal("match wants the packet written")
				}
			}); allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
		})
	}
}

// BenchmarkEvidenceMatch measures one packet of the second pass.
func BenchmarkEvidenceMatch(b *testing.B) {
	ev, plain, _ := sampleScan(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(plain.Data)))
	for b.Loop() {
		ev.match(&plain)
	}
}

// BenchmarkWriteEvidence writes the sample's evidence, all packets of
// each finding flow, reporting the cost per packet of the capture.
func BenchmarkWriteEvidence(b *testing.B) {
	name, inv, _ := writeSample(b, b.TempDir())
	cfg := NewConfig()
	cfg.Inventory = inv
	rep := analyzeFiles(b, cfg, name)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WriteEvidence(io.Discard, rep, []string{name}, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*rep.Totals.Packets), "ns/packet")
}
