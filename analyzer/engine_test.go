package analyzer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/rules"
)

func TestServerSide(t *testing.T) {
	tests := []struct {
		name         string
		pkts         []pkt
		client       string
		server       string
		by           string
		end          string
		toSrv, toCli uint64
	}{
		{
			name: "handshake",
			pkts: []pkt{
				{src: "10.0.0.9:50000", dst: "10.0.0.1:5061", flags: "S"},
				{src: "10.0.0.1:5061", dst: "10.0.0.9:50000", flags: "SA"},
				{src: "10.0.0.9:50000", dst: "10.0.0.1:5061", flags: "A"},
			},
			client: "10.0.0.9:50000", server: "10.0.0.1:5061", by: "syn", end: "open", toSrv: 2, toCli: 1,
		},
		{
			// The server's port is the higher one: only the SYN tells.
			name: "syn to a high port",
			pkts: []pkt{
				{src: "10.0.0.1:443", dst: "10.0.0.9:50000", flags: "S"},
				{src: "10.0.0.9:50000", dst: "10.0.0.1:443", flags: "SA"},
			},
			client: "10.0.0.1:443", server: "10.0.0.9:50000", by: "syn", end: "open", toSrv: 1, toCli: 1,
		},
		{
			name: "syn-ack only",
			pkts: []pkt{
				{src: "10.0.0.9:50001", dst: "10.0.0.2:40000", flags: "SA"},
				{src: "10.0.0.2:40000", dst: "10.0.0.9:50001", flags: "A"},
			},
			client: "10.0.0.2:40000", server: "10.0.0.9:50001", by: "syn-ack", end: "open", toSrv: 1, toCli: 1,
		},
		{
			name: "mid-stream, well-known port",
			pkts: []pkt{
				{src: "10.0.0.1:80", dst: "10.0.0.9:1025", flags: "PA", payload: "HTTP/1.1 200 OK\r\n\r\n"},
			},
			client: "10.0.0.9:1025", server: "10.0.0.1:80", by: "port", end: "open", toSrv: 0, toCli: 1,
		},
		{
			name: "udp, lower port",
			pkts: []pkt{
				{src: "10.0.0.9:50002", dst: "10.0.0.1:3478", udp: true, payload: "x"},
				{src: "10.0.0.1:3478", dst: "10.0.0.9:50002", udp: true, payload: "y"},
			},
			client: "10.0.0.9:50002", server: "10.0.0.1:3478", by: "port", end: "open", toSrv: 1, toCli: 1,
		},
		{
			name: "udp, equal ports: first packet's destination",
			pkts: []pkt{
				{src: "10.0.0.9:5060", dst: "10.0.0.1:5060", udp: true, payload: "x"},
			},
			client: "10.0.0.9:5060", server: "10.0.0.1:5060", by: "port", end: "open", toSrv: 1,
		},
		{
			name: "fin both ways",
			pkts: []pkt{
				{src: "10.0.0.9:50003", dst: "10.0.0.1:444", flags: "S"},
				{src: "10.0.0.1:444", dst: "10.0.0.9:50003", flags: "SA"},
				{src: "10.0.0.9:50003", dst: "10.0.0.1:444", flags: "FA"},
				{src: "10.0.0.1:444", dst: "10.0.0.9:50003", flags: "FA"},
			},
			client: "10.0.0.9:50003", server: "10.0.0.1:444", by: "syn", end: "closed", toSrv: 2, toCli: 2,
		},
		{
			name: "refused",
			pkts: []pkt{
				{src: "10.0.0.9:50004", dst: "10.0.0.1:23", flags: "S"},
				{src: "10.0.0.1:23", dst: "10.0.0.9:50004", flags: "RA"},
			},
			client: "10.0.0.9:50004", server: "10.0.0.1:23", by: "syn", end: "reset", toSrv: 1, toCli: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, NewConfig(), tt.pkts...)
			if len(r.Flows) != 1 {
				t.Fatalf("got %d flows, want 1: %+v", len(r.Flows), r.Flows)
			}
			f := r.Flows[0]
			got := fmt.Sprintf("%s:%d → %s:%d by %s, %s, %d/%d", f.Client, f.ClientPort, f.Server, f.ServerPort, f.ServerBy, f.End, f.PacketsToServer, f.PacketsToClient)
			want := fmt.Sprintf("%s → %s by %s, %s, %d/%d", tt.client, tt.server, tt.by, tt.end, tt.toSrv, tt.toCli)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestIdleTimeoutSplitsFlows(t *testing.T) {
	cfg := NewConfig()
	cfg.UDPIdle = 30 * time.Second
	r := run(t, cfg,
		pkt{at: 0, src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: "q"},
		pkt{at: 10 * time.Second, src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: "q"},
		// 45 s idle: the flow has ended; the next packet starts another.
		pkt{at: 55 * time.Second, src: "10.0.0.9:50000", dst: "10.0.0.1:53", udp: true, payload: "q"},
		// A packet of another flow much later moves capture time on.
		pkt{at: 200 * time.Second, src: "10.0.0.8:50000", dst: "10.0.0.1:53", udp: true, payload: "q"},
	)
	var ends []string
	for _, f := range r.Flows {
		ends = append(ends, fmt.Sprintf("%s:%d %d %s", f.Client, f.ClientPort, f.Packets, f.End))
	}
	want := []string{"10.0.0.9:50000 2 idle", "10.0.0.9:50000 1 idle", "10.0.0.8:50000 1 open"}
	if fmt.Sprint(ends) != fmt.Sprint(want) {
		t.Errorf("flows %q, want %q", ends, want)
	}
	if r.Totals.Flows != 3 {
		t.Errorf("totals.flows = %d, want 3", r.Totals.Flows)
	}
}

func TestFlowCapEvicts(t *testing.T) {
	cfg := NewConfig()
	cfg.MaxFlows = 10
	var ps []pkt
	for i := range 100 {
		ps = append(ps, pkt{at: time.Duration(i) * time.Millisecond, src: fmt.Sprintf("10.0.1.%d:40000", i), dst: "10.0.0.1:5060", udp: true, payload: "x"})
	}
	r := run(t, cfg, ps...)
	if r.Totals.Evicted != 90 || r.Totals.Flows != 100 || r.Totals.PeakFlows != 10 || len(r.Flows) != 100 {
		t.Errorf("evicted %d, flows %d, peak %d, records %d; want 90, 100, 10, 100", r.Totals.Evicted, r.Totals.Flows, r.Totals.PeakFlows, len(r.Flows))
	}
	evicted := 0
	for _, f := range r.Flows {
		if f.End == "evicted" {
			evicted++
		}
	}
	if evicted != 90 {
		t.Errorf("%d flow records say evicted, want 90", evicted)
	}
}

func TestFragmentsJoinTheirFlow(t *testing.T) {
	r := run(t, NewConfig(),
		pkt{src: "10.0.0.9:5060", dst: "10.0.0.1:5060", udp: true, payload: "INVITE sip:a@b SIP/2.0\r\n", ipID: 7, moreFrag: true},
		pkt{src: "10.0.0.9:5060", dst: "10.0.0.1:5060", udp: true, payload: "rest of the datagram", ipID: 7, fragOff: 5},
		// A later fragment whose first fragment was never captured.
		pkt{src: "10.0.0.9:5060", dst: "10.0.0.1:5060", udp: true, payload: "orphan", ipID: 8, fragOff: 5},
	)
	if len(r.Flows) != 1 || r.Flows[0].Packets != 2 {
		t.Fatalf("flows %+v, want one flow of 2 packets", r.Flows)
	}
	if got := r.Totals.Undecodable["orphan-fragment"]; got != 1 {
		t.Errorf("orphan fragments = %d, want 1", got)
	}
	if r.Totals.Decoded != 2 || r.Totals.Packets != 3 {
		t.Errorf("decoded %d of %d packets, want 2 of 3", r.Totals.Decoded, r.Totals.Packets)
	}
}

func TestSteadyStatePacketDoesNotAllocate(t *testing.T) {
	e := NewEngine(NewConfig())
	p := frame(t, pkt{src: "10.0.0.9:50000", dst: "10.0.0.1:50020", udp: true, payload: "\x80\x72media"})
	e.Packet(&p)
	allocs := testing.AllocsPerRun(1000, func() {
		p.Timestamp += 20e6
		e.Packet(&p)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet of an existing flow, want 0", allocs)
	}
}

// TestCutShortFlowIsNoMismatch checks that a flow which ends while a
// signature still wants more payload (one SRTCP report, the rest of the
// call outside the capture or the window) is not called a mismatch, while
// a flow whose payload every signature refused still is.
func TestCutShortFlowIsNoMismatch(t *testing.T) {
	inv, err := rules.ParseInventory(strings.NewReader("10.10.1.11 frontend\n"), "test.inventory")
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewConfig()
	cfg.Inventory = inv
	// An SRTCP sender report: header in clear, then ciphertext, the E flag
	// and index 1, and a 10-byte tag.
	srtcp := "\x80\xc8\x00\x06\xb2\x21\x2c\x06" + strings.Repeat("\x5a", 20) + "\x80\x00\x00\x01" + strings.Repeat("\xa5", 10)
	shell := "Microsoft Windows [Version 6.3.9600]\r\n"
	r := run(t, cfg,
		pkt{at: 0, src: "10.20.0.27:50023", dst: "10.10.1.11:52837", udp: true, payload: srtcp},
		pkt{at: time.Second, src: "10.20.0.28:50024", dst: "10.10.1.11:52839", udp: true, payload: shell},
		pkt{at: 2 * time.Second, src: "10.20.0.28:50024", dst: "10.10.1.11:52839", udp: true, payload: shell},
	)
	verdicts := map[uint16]string{}
	for _, f := range r.Flows {
		verdicts[f.ServerPort] = f.Verdict
	}
	if verdicts[52837] == "mismatch" {
		t.Errorf("one SRTCP report cut short: verdict %q, want no mismatch", verdicts[52837])
	}
	if verdicts[52839] != "mismatch" {
		t.Errorf("a shell on a media port: verdict %q, want mismatch", verdicts[52839])
	}
}
