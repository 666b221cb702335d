package capture

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// maxCommentLen is the longest comment a pcapng option holds: its length
// field has 16 bits.
const maxCommentLen = 1<<16 - 1

// Writer writes packets to a pcapng stream, little-endian, with timestamps
// in nanoseconds, each packet keeping its own link type and carrying an
// optional comment (opt_comment) that Wireshark shows with the packet.
// Blocks are written by gopacket's pcapgo.NgWriter; Writer adds an
// interface for each link type as its first packet comes, and keeps every
// comment within what an option can hold.
//
// The snap length of each interface is 0 (not given): a packet's captured
// and original lengths still say whether it was cut short.
type Writer struct {
	ng       *pcapgo.NgWriter
	ifaces   map[decoders.LinkType]int // interface ID by link type
	comments [1]string                 // the one comment of the packet being written
}

// NewWriter writes to w the section header, with comment (none when
// empty), and a first interface, of link type lt: a file needs one even
// when it ends up holding no packet. Flush must be called once the
// packets are written.
func NewWriter(w io.Writer, lt decoders.LinkType, comment string) (*Writer, error) {
	info := pcapgo.NgSectionInfo{Application: "lyncaudit", Comment: fitComment(comment)}
	ng, err := pcapgo.NewNgWriterInterface(w, pcapgo.NgInterface{LinkType: lt}, pcapgo.NgWriterOptions{SectionInfo: info})
	if err != nil {
		return nil, fmt.Errorf("writing pcapng section header: %w", err)
	}
	return &Writer{ng: ng, ifaces: map[decoders.LinkType]int{lt: 0}}, nil
}

// WritePacket writes p, with comment (none when empty). A packet of a link
// type not seen before is preceded by an interface for it.
func (w *Writer) WritePacket(p *Packet, comment string) error {
	id, ok := w.ifaces[p.LinkType]
	if !ok {
		var err error
		if id, err = w.ng.AddInterface(pcapgo.NgInterface{LinkType: p.LinkType}); err != nil {
			return fmt.Errorf("writing pcapng interface for link type %d: %w", p.LinkType, err)
		}
		w.ifaces[p.LinkType] = id
	}
	ci := gopacket.CaptureInfo{
		Timestamp:      time.Unix(0, p.Timestamp),
		CaptureLength:  len(p.Data),
		Length:         max(p.WireLen, len(p.Data)),
		InterfaceIndex: id,
	}
	var opts pcapgo.NgPacketOptions
	if comment != "" {
		w.comments[0] = fitComment(comment)
		opts.Comments = w.comments[:]
	}
	if err := w.ng.WritePacketWithOptions(ci, p.Data, opts); err != nil {
		return fmt.Errorf("writing pcapng packet: %w", err)
	}
	return nil
}

// Flush writes out the blocks still buffered.
func (w *Writer) Flush() error { return w.ng.Flush() }

// fitComment makes s a comment an option can hold: valid UTF-8, as pcapng
// requires, and at most maxCommentLen bytes, cut at a character boundary
// (pcapgo would otherwise write a wrapped length and a corrupt block).
func fitComment(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxCommentLen {
		return s
	}
	cut := maxCommentLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
