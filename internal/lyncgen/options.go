package lyncgen

import (
	"errors"
	"fmt"
	"time"
)

// Options says what capture Generate writes. The zero value of a field
// means its default; Generate is deterministic for given Options.
type Options struct {
	Seed        int64         // seed of every random choice
	Start       time.Time     // capture start; default DefaultStart
	Duration    time.Duration // span in which the scenario's flows and calls start; default 60 s, IncidentDuration with an Incident
	Clients     int           // client PCs (10.20.0.21 upward), 1 to MaxClients; default 8
	Calls       int           // audio/video calls started within Duration; default 4
	MinCall     time.Duration // shortest call; default 3 s
	MaxCall     time.Duration // longest call; default 30 s
	Format      string        // "pcapng" (default) or "pcap"
	Snaplen     int           // bytes kept of each frame; default 262144
	TargetBytes int64         // when > 0, keep starting calls at the same rate until about this many bytes are written
	Incident    *Incident     // a firewall change partway through, and conferences on both sides of it; nil for none
}

// DefaultStart is the capture start used when Options.Start is zero.
var DefaultStart = time.Date(2026, time.March, 2, 10, 40, 0, 0, time.UTC)

// MaxClients is the number of client addresses the scenario's client
// subnet holds.
const MaxClients = 200

// The capture formats Generate writes.
const (
	FormatPcapng = "pcapng"
	FormatPcap   = "pcap"
)

// ErrOptions is wrapped by every error about invalid Options.
var ErrOptions = errors.New("lyncgen: invalid options")

// SampleOptions returns the options of the small sample committed with the
// project (testdata/sample.pcapng): under 300 KB and 3000 packets.
func SampleOptions() Options {
	return Options{
		Seed:     20130901,
		Start:    DefaultStart,
		Duration: 60 * time.Second,
		Clients:  2,
		Calls:    2,
		MinCall:  3 * time.Second,
		MaxCall:  3 * time.Second,
		Format:   FormatPcapng,
		Snaplen:  262144,
	}
}

// IncidentOptions returns the options of "lyncgen --incident" with no
// other flag: ten minutes of a pool with eight clients, and the firewall
// change that blocks conferencing at five minutes.
func IncidentOptions() Options {
	return Options{
		Seed:     1,
		Start:    DefaultStart,
		Duration: IncidentDuration,
		Clients:  8,
		Calls:    4,
		MinCall:  3 * time.Second,
		MaxCall:  30 * time.Second,
		Format:   FormatPcapng,
		Snaplen:  262144,
		Incident: &Incident{},
	}
}

// withDefaults fills zero fields and checks the result.
func (o Options) withDefaults() (Options, error) {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	// Times are kept in whole microseconds, as a pcap file stores them.
	o.Start = o.Start.UTC().Truncate(time.Microsecond)
	if o.Duration == 0 {
		o.Duration = 60 * time.Second
		if o.Incident != nil {
			o.Duration = IncidentDuration
		}
	}
	if o.Clients == 0 {
		o.Clients = 8
	}
	if o.Calls == 0 {
		o.Calls = 4
	}
	if o.MinCall == 0 {
		o.MinCall = 3 * time.Second
	}
	if o.MaxCall == 0 {
		o.MaxCall = 30 * time.Second
	}
	if o.Format == "" {
		o.Format = FormatPcapng
	}
	if o.Snaplen == 0 {
		o.Snaplen = 262144
	}
	switch {
	case o.Duration < 10*time.Second || o.Duration > 24*time.Hour:
		return o, fmt.Errorf("%w: duration %v is outside 10s..24h", ErrOptions, o.Duration)
	case o.Clients < 2 || o.Clients > MaxClients:
		return o, fmt.Errorf("%w: clients %d is outside 2..%d", ErrOptions, o.Clients, MaxClients)
	case o.Calls < 0:
		return o, fmt.Errorf("%w: calls %d is negative", ErrOptions, o.Calls)
	case o.MinCall < time.Second || o.MaxCall < o.MinCall || o.MaxCall > time.Hour:
		return o, fmt.Errorf("%w: call length %v..%v is not within 1s..1h", ErrOptions, o.MinCall, o.MaxCall)
	case o.Format != FormatPcapng && o.Format != FormatPcap:
		return o, fmt.Errorf("%w: format %q is neither pcapng nor pcap", ErrOptions, o.Format)
	case o.Snaplen < 64 || o.Snaplen > 262144:
		return o, fmt.Errorf("%w: snaplen %d is outside 64..262144", ErrOptions, o.Snaplen)
	case o.TargetBytes < 0:
		return o, fmt.Errorf("%w: target size %d is negative", ErrOptions, o.TargetBytes)
	}
	if o.Incident != nil {
		inc, err := o.Incident.withDefaults(o.Duration)
		if err != nil {
			return o, err
		}
		o.Incident = inc
	}
	return o, nil
}
