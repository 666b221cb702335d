package lyncgen

import (
	"bufio"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// captureWriter writes frames as pcapng or pcap, cut to the snap length.
type captureWriter struct {
	bw    *bufio.Writer
	ng    *pcapgo.NgWriter
	pc    *pcapgo.Writer
	snap  int
	bytes int64 // file bytes of the packet records written so far
}

// newCaptureWriter writes the file header. The pcapng section names the
// application only: the writer's default also records the build's OS and
// CPU, which would make the bytes differ between machines.
func newCaptureWriter(w io.Writer, format string, snaplen int) (*captureWriter, error) {
	c := &captureWriter{bw: bufio.NewWriterSize(w, 1<<20), snap: snaplen}
	if format == FormatPcap {
		c.pc = pcapgo.NewWriter(c.bw)
		return c, c.pc.WriteFileHeader(uint32(snaplen), layers.LinkTypeEthernet)
	}
	intf := pcapgo.NgInterface{
		Name:        "span0",
		Description: "SPAN of the pool's server VLANs and the phone VLAN trunk",
		LinkType:    layers.LinkTypeEthernet,
		SnapLength:  uint32(snaplen),
	}
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "lyncgen"}}
	ng, err := pcapgo.NewNgWriterInterface(c.bw, intf, opts)
	if err != nil {
		return nil, err
	}
	c.ng = ng
	return c, nil
}

// write writes one frame seen at ts.
func (c *captureWriter) write(ts time.Time, frame []byte) error {
	data := frame
	if len(data) > c.snap {
		data = data[:c.snap]
	}
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(frame)}
	if c.ng != nil {
		// Enhanced packet block: 28 bytes of header, the data padded to
		// four bytes, the trailing length.
		c.bytes += int64(32 + (len(data)+3)&^3)
		return c.ng.WritePacket(ci, data)
	}
	c.bytes += int64(16 + len(data))
	return c.pc.WritePacket(ci, data)
}

// flush writes out what is buffered.
func (c *captureWriter) flush() error {
	if c.ng != nil {
		if err := c.ng.Flush(); err != nil {
			return err
		}
	}
	return c.bw.Flush()
}
