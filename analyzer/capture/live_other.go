//go:build !linux

package capture

import (
	"errors"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// LiveOptions configures a live capture. Live capture needs Linux.
type LiveOptions struct {
	RingMB      int
	Promiscuous bool
	Filter      FrameFilter
	PollTimeout time.Duration
}

// FrameFilter is a capture filter: Match is the exact test.
type FrameFilter interface {
	Match(lt decoders.LinkType, frame []byte) bool
}

// ErrTimeout is returned by Live.Next when no packet arrived in time.
var ErrTimeout = errors.New("no packet within the poll timeout")

// ErrPermission is wrapped when the process may not open a packet socket.
var ErrPermission = errors.New("capturing needs root or the CAP_NET_RAW capability")

// Live is a live capture; on this system it cannot be opened.
type Live struct{}

// LiveStats are the kernel's counters for a live capture.
type LiveStats struct{ Received, Dropped, Filtered uint64 }

// OpenLive fails: live capture uses Linux's AF_PACKET.
func OpenLive(iface string, o LiveOptions) (*Live, error) {
	return nil, errors.New("live capture needs Linux (AF_PACKET)")
}

// Next never returns a packet.
func (l *Live) Next(p *Packet) error { return ErrTimeout }

// Stats returns zero counters.
func (l *Live) Stats() (LiveStats, error) { return LiveStats{}, nil }

// Name returns "".
func (l *Live) Name() string { return "" }

// Format describes the source.
func (l *Live) Format() string { return "live" }

// LinkTypes returns none.
func (l *Live) LinkTypes() []decoders.LinkType { return nil }

// Close does nothing.
func (l *Live) Close() error { return nil }
