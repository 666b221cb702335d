// Package sensors makes, from one capture, the captures that several
// sensors of the same network would have written: each sees some of the
// packets, on its own clock. The tests of merging reports from several
// SPAN ports build their sensors with it.
package sensors

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/decoders"
)

// Sensor is one capture point.
type Sensor struct {
	Keep  func(p *decoders.Packet) bool // the packets it sees; frames that do not decode reach every sensor
	Shift time.Duration                 // how far its clock runs ahead
}

// Split reads r to its end and writes to out[i], as a pcap of nanosecond
// timestamps, the frames sensors[i] sees, byte for byte, with the link
// type of r's first interface.
func Split(r *capture.Reader, sensors []Sensor, out []io.Writer) error {
	if len(out) != len(sensors) {
		return fmt.Errorf("sensors: %d sensors, %d outputs", len(sensors), len(out))
	}
	lt := decoders.LinkType(1)
	if lts := r.LinkTypes(); len(lts) > 0 {
		lt = lts[0]
	}
	ws := make([]*pcapgo.Writer, len(out))
	for i, w := range out {
		ws[i] = pcapgo.NewWriterNanos(w)
		if err := ws[i].WriteFileHeader(262144, lt); err != nil {
			return err
		}
	}
	dec := decoders.NewDecoder()
	var p decoders.Packet
	var cp capture.Packet
	for {
		if err := r.Next(&cp); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		ok := dec.Decode(cp.LinkType, cp.Data, &p) == decoders.OK
		for i, s := range sensors {
			if ok && !s.Keep(&p) {
				continue
			}
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, cp.Timestamp).Add(s.Shift), CaptureLength: len(cp.Data), Length: cp.WireLen}
			if err := ws[i].WritePacket(ci, cp.Data); err != nil {
				return err
			}
		}
	}
}
