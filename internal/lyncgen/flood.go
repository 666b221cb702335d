package lyncgen

import (
	"fmt"
	"io"
	"net/netip"
	"time"
)

// FloodServer is the address a flood's flows all go to: a Front End of
// the scenario's pool, so that each flow is judged.
var FloodServer = netip.MustParseAddr("10.10.1.11")

// GenerateFlood writes a capture of n concurrent UDP flows from
// 10.66.0.0/16 clients to FloodServer: every flow sends one datagram, and
// only when all n have started does each send a second, so that all n are
// live at once. It tests that the flow table's cap bounds memory and that
// evictions are counted. Deterministic for given n and o.
func GenerateFlood(w io.Writer, n int, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	if n < 1 || n > 16_000_000 {
		return fmt.Errorf("%w: flood of %d flows (want 1 to 16,000,000)", ErrOptions, n)
	}
	cw, err := newCaptureWriter(w, o.Format, o.Snaplen)
	if err != nil {
		return err
	}
	fr := newFramer()
	server := &host{addr: FloodServer, mac: mac{0x00, 0x15, 0x5d, 0x0a, 0x01, 0x0b}, ttl: 128}
	client := &host{mac: mac{0x00, 0x15, 0x5d, 0x42, 0, 1}, ttl: 128}
	payload := []byte("\x80\x00flood-probe-payload")
	ts := o.Start
	for range 2 {
		for i := range n {
			// 10.66.x.y, with 60,000 ports each: a million flows from 17
			// addresses, to ports of the Front End's media range.
			a := 2 + i/60000
			client.addr = netip.AddrFrom4([4]byte{10, 66, byte(a >> 8), byte(a)})
			p := &path{link: link{src: client.mac, dst: server.mac}, from: client, srcIP: client.addr, dstIP: server.addr,
				sport: uint16(1024 + i%60000), dport: uint16(49152 + i%8000)}
			if err := cw.write(ts, fr.udp(p, payload)); err != nil {
				return err
			}
			ts = ts.Add(time.Microsecond)
		}
	}
	return cw.flush()
}
