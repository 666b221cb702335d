package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
)

// timeArg is a --since or --until value: an RFC 3339 time, or a time of
// day ("10:40", "10:40:30") on the date of the capture's first packet, in
// the local time zone (TZ).
type timeArg struct {
	flag    string
	text    string
	abs     time.Time
	ofDay   time.Duration
	isOfDay bool
}

func parseTimeArg(flag, s string) (timeArg, error) {
	a := timeArg{flag: flag, text: s}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		a.abs = t
		return a, nil
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			a.ofDay = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
			a.isOfDay = true
			return a, nil
		}
	}
	return a, &usageError{fmt.Sprintf("--%s %q: want an RFC 3339 time (2026-03-02T10:40:00Z) or a time of day (10:40, 10:40:30)", flag, s)}
}

// resolve returns the instant a names, given the capture's first packet.
func (a timeArg) resolve(first time.Time) time.Time {
	if !a.isOfDay {
		return a.abs
	}
	d := first.In(time.Local)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.Local).Add(a.ofDay)
}

// firstPacketTime reads the first packet of a capture file for its time.
func firstPacketTime(name string) (time.Time, error) {
	if name == "-" {
		return time.Time{}, errors.New("a time of day needs the capture's date, which standard input cannot be read twice for: give an RFC 3339 time")
	}
	r, err := capture.Open(name)
	if err != nil {
		return time.Time{}, err
	}
	defer r.Close()
	var p capture.Packet
	if err := r.Next(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return time.Time{}, fmt.Errorf("%s has no packet to take the date of --since/--until from", name)
		}
		return time.Time{}, err
	}
	return time.Unix(0, p.Timestamp), nil
}
