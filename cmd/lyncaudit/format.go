package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// count formats n with thousands separators: 1234567 → "1,234,567".
func count(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// size formats a byte count in decimal units, as capinfos does.
func size(n uint64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// plural returns "1 flow" or "3 flows", "1 address" or "2 addresses".
func plural(n uint64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "s") {
		return count(n) + " " + word + "es"
	}
	return count(n) + " " + word + "s"
}

// span formats a capture's time span for people.
func span(first, last time.Time) string {
	if first.IsZero() {
		return "no packets"
	}
	layout := "2006-01-02 15:04:05"
	end := last.Format("15:04:05")
	if last.YearDay() != first.YearDay() || last.Year() != first.Year() {
		end = last.Format(layout)
	}
	return fmt.Sprintf("%s → %s UTC (%s)", first.Format(layout), end, last.Sub(first).Round(time.Millisecond))
}

// flowsText is a service's flow count, with the UDP flows its server
// never sent on: "9 (3 one-way)".
func flowsText(s analyzer.Service) string { return flowsOneWay(s.Flows, s.OneWay) }

// flowsOneWay is a flow count with those of them that went one way.
func flowsOneWay(flows, oneWay uint64) string {
	if oneWay == 0 {
		return count(flows)
	}
	return count(flows) + " (" + count(oneWay) + " one-way)"
}

// stamp formats a time for tables: RFC 3339 with milliseconds, UTC.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// windowText formats a --since/--until window; an open end is "…".
func windowText(w *analyzer.Window) string {
	ends := [2]string{"…", "…"}
	for i, t := range [2]time.Time{w.Since, w.Until} {
		if !t.IsZero() {
			ends[i] = t.UTC().Format("2006-01-02 15:04:05")
		}
	}
	return ends[0] + " → " + ends[1] + " UTC"
}
