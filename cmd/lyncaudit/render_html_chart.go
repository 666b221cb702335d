package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// htmlChart is the timeline drawn as SVG: for packets and for bytes, one
// stacked area per protocol over the buckets, and a marker where each
// finding started. Coordinates are in the SVG's viewBox.
type htmlChart struct {
	W, H           float64
	X0, Y0, X1, Y1 float64 // the plot area: left, top, right, bottom
	PlotW, PlotH   float64

	// Where labels go: the y ticks' right edge, the x ticks' end and
	// labels' baseline, and the axis title's centre and baseline.
	YLabelX, TickEnd, XLabelY, AxisX, AxisY float64

	Label   string // what the chart shows, for screen readers
	Axis    string // the time axis' title
	Modes   []htmlChartMode
	XTicks  []htmlTick
	Hover   []htmlHover
	Markers []htmlMarker
	Legend  []htmlSeries
	Keys    []htmlMarkerKey // the marker shapes, for the legend

	// Strips are rows of bars under the chart: per bucket, the TCP
	// connections nobody answered and the UDP flows that went one way,
	// the traces of a firewall that drops.
	Strips []*htmlStrip
}

// htmlStrip is a row of bars on the chart's time axis.
type htmlStrip struct {
	H, Y0, Y1, PlotH float64 // the strip's height, its bars' top and base, and the space between
	Title            string  // shown above it
	Class            string  // its bars' class
	Label            string  // for screen readers
	Peak             string  // the tallest bar's value
	Bars             []htmlBar
}

// htmlBar is one bucket's bar of a strip.
type htmlBar struct {
	X, Y, W, H float64
	Title      string
}

// htmlMarkerKey explains one marker shape in the legend.
type htmlMarkerKey struct {
	Kind, Label, Shape string
}

// htmlChartMode is the chart of one measure: packets or bytes.
type htmlChartMode struct {
	ID, Label, Unit string
	Checked         bool // shown first
	Areas           []htmlArea
	YTicks          []htmlTick
}

// htmlArea is one protocol's band of the stack, as an SVG path.
type htmlArea struct{ Name, Color, D string }

// htmlTick is an axis tick at Pos (x or y) with its label.
type htmlTick struct {
	Pos   float64
	Label string
}

// htmlHover is an invisible column over one bucket whose title tells its
// counts.
type htmlHover struct {
	X, W  float64
	Title string
}

// htmlMarker marks where a finding started: a line over the plot and a
// symbol whose shape tells the finding's kind without colour.
type htmlMarker struct {
	X            float64
	Index        int // into the report's findings
	Kind, Anchor string
	Shape, Title string
}

// htmlSeries is one protocol in the legend.
type htmlSeries struct {
	Name, Color, Total string
}

// Chart geometry, in viewBox units.
const (
	chartW, chartH              = 1000.0, 330.0
	chartLeft, chartRight       = 72.0, 32.0
	chartTop, chartBottom       = 12.0, 46.0
	markerStep, markerStack     = 13.0, 4 // findings in one bucket stack their symbols, this many deep
	chartYTicks, chartMaxXTicks = 4, 9
)

// protocolColors gives each protocol a fixed colour, so that charts of
// different captures read alike; other names take fallbackColors in turn.
var protocolColors = map[string]string{
	"tls": "#4e79a7", "dtls": "#a0cbe8", "sip": "#f28e2b", "stun": "#59a14f", "ms-turn": "#8cd17d",
	"rtp": "#b07aa1", "rtcp": "#d4a6c8", "http": "#edc948", "http2": "#b6992d", "dcerpc": "#9c755f",
	"net.tcp": "#76b7b2", "sql-browser": "#ff9d9a", "tds": "#e15759", "dhcp": "#499894", "dns": "#86bcb6",
	"unknown": "#bab0ac",
}

var fallbackColors = []string{"#17becf", "#bcbd22", "#7f7f7f", "#8c564b", "#e377c2", "#1f77b4"}

func newHTMLChart(r *analyzer.Report) *htmlChart {
	tl := r.Timeline
	if tl == nil || len(tl.Buckets) == 0 {
		return nil
	}
	dur := time.Duration(tl.BucketSeconds * float64(time.Second))
	if dur <= 0 {
		dur = time.Second
	}
	bs := tl.Buckets
	start := bs[0].Start.UTC()
	end := bs[len(bs)-1].Start.UTC().Add(dur)
	c := &htmlChart{W: chartW, H: chartH, X0: chartLeft, Y0: chartTop, X1: chartW - chartRight, Y1: chartH - chartBottom}
	c.PlotW, c.PlotH = c.X1-c.X0, c.Y1-c.Y0
	c.YLabelX, c.TickEnd, c.XLabelY = c.X0-6, c.Y1+5, c.Y1+19
	c.AxisX, c.AxisY = (c.X0+c.X1)/2, c.H-6
	for _, k := range markerKeys {
		c.Keys = append(c.Keys, htmlMarkerKey{k, markerKinds[k].label, markerPath(markerKinds[k].symbol, 7, 7)})
	}
	bw := (c.X1 - c.X0) / float64(len(bs))
	x := func(i int) float64 { return c.X0 + float64(i)*bw }

	names, totals := chartProtocols(bs)
	colors := make([]string, len(names))
	for i, n := range names {
		colors[i] = protocolColor(n, i)
		c.Legend = append(c.Legend, htmlSeries{Name: escape(n), Color: colors[i],
			Total: fmt.Sprintf("%s, %s", plural(totals[n].Packets, "packet"), size(totals[n].Bytes))})
	}
	for _, m := range []struct {
		id, label string
		get       func(analyzer.Count) uint64
		format    func(uint64) string
	}{
		{"packets", "Packets", func(c analyzer.Count) uint64 { return c.Packets }, count},
		{"bytes", "Bytes", func(c analyzer.Count) uint64 { return c.Bytes }, size},
	} {
		mode := htmlChartMode{ID: m.id, Label: m.label, Unit: m.label + " per " + durationText(dur) + ", by protocol", Checked: m.id == "packets"}
		peak := uint64(0)
		for _, b := range bs {
			sum := uint64(0)
			for _, n := range names {
				sum += m.get(b.Protocols[n])
			}
			peak = max(peak, sum)
		}
		step, top := niceScale(float64(peak), chartYTicks)
		y := func(v float64) float64 { return c.Y1 - v/top*(c.Y1-c.Y0) }
		for v := 0.0; v <= top+step/2; v += step {
			mode.YTicks = append(mode.YTicks, htmlTick{y(v), m.format(uint64(v))})
		}
		base := make([]float64, len(bs))
		for k, n := range names {
			tops := make([]float64, len(bs))
			for i, b := range bs {
				tops[i] = base[i] + float64(m.get(b.Protocols[n]))
			}
			mode.Areas = append(mode.Areas, htmlArea{Name: escape(n), Color: colors[k], D: stepArea(x, func(v float64) float64 { return y(v) }, base, tops)})
			base = tops
		}
		c.Modes = append(c.Modes, mode)
	}
	c.XTicks = timeTicks(start, end, func(t time.Time) float64 {
		return c.X0 + float64(t.Sub(start))/float64(end.Sub(start))*(c.X1-c.X0)
	})
	c.Axis = "time (UTC), " + dateText(start, end) + ", buckets of " + durationText(dur)
	for i, b := range bs {
		c.Hover = append(c.Hover, htmlHover{X: x(i), W: bw, Title: bucketTitle(b, dur, names, len(b.Findings))})
		for k, fi := range b.Findings {
			if fi < 0 || fi >= len(r.Findings) {
				continue
			}
			c.Markers = append(c.Markers, newHTMLMarker(&r.Findings[fi], fi, x(i)+bw/2, c.Y0+7+float64(k%markerStack)*markerStep))
		}
	}
	for _, s := range []*htmlStrip{
		countStrip(bs, x, bw, dur, "unanswered", "TCP connections never answered or refused", "TCP connection", "never answered",
			func(b analyzer.Bucket) uint64 { return b.Unanswered }),
		countStrip(bs, x, bw, dur, "one-way", "UDP flows the server never sent on (one-way media)", "UDP flow", "one way",
			func(b analyzer.Bucket) uint64 { return b.OneWay }),
	} {
		if s != nil {
			c.Strips = append(c.Strips, s)
		}
	}
	c.Label = fmt.Sprintf("Packets and bytes per %s by protocol, %s, with %s marked where they started",
		durationText(dur), span(start, bs[len(bs)-1].Start.UTC().Add(dur)), plural(uint64(len(c.Markers)), "finding"))
	return c
}

// countStrip draws a per-bucket count (value) as bars of class scaled to
// the busiest bucket, titled title, each bar saying "3 <noun>s <how>";
// it returns nil when every bucket counts zero.
func countStrip(bs []analyzer.Bucket, x func(int) float64, bw float64, dur time.Duration, class, title, noun, how string, value func(analyzer.Bucket) uint64) *htmlStrip {
	var peak, total uint64
	for _, b := range bs {
		peak = max(peak, value(b))
		total += value(b)
	}
	if peak == 0 {
		return nil
	}
	st := &htmlStrip{H: 66, Y0: 20, Y1: 62, PlotH: 42, Title: title + ", per bucket", Class: class, Peak: count(peak)}
	st.Label = fmt.Sprintf("%s per %s: %s in all, at most %s in one", title, durationText(dur), count(total), count(peak))
	for i, b := range bs {
		v := value(b)
		if v == 0 {
			continue
		}
		h := float64(v) / float64(peak) * (st.Y1 - st.Y0)
		st.Bars = append(st.Bars, htmlBar{X: x(i), Y: st.Y1 - h, W: max(bw-1, 1), H: h,
			Title: fmt.Sprintf("%s UTC: %s %s", b.Start.UTC().Format("15:04:05"), plural(v, noun), how)})
	}
	return st
}

// chartProtocols returns the protocols of the timeline, most packets
// first, and their totals.
func chartProtocols(bs []analyzer.Bucket) ([]string, map[string]analyzer.Count) {
	totals := map[string]analyzer.Count{}
	for _, b := range bs {
		for n, c := range b.Protocols {
			t := totals[n]
			t.Packets += c.Packets
			t.Bytes += c.Bytes
			totals[n] = t
		}
	}
	names := make([]string, 0, len(totals))
	for n := range totals {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := totals[names[i]], totals[names[j]]
		if a.Packets != b.Packets {
			return a.Packets > b.Packets
		}
		return names[i] < names[j]
	})
	return names, totals
}

func protocolColor(name string, i int) string {
	if c, ok := protocolColors[name]; ok {
		return c
	}
	return fallbackColors[i%len(fallbackColors)]
}

// stepArea draws the band between base and tops, bucket i spanning x(i)
// to x(i+1), as one path of horizontal and vertical segments.
func stepArea(x func(int) float64, y func(float64) float64, base, tops []float64) string {
	n := len(tops)
	var b strings.Builder
	fmt.Fprintf(&b, "M%s %s", px(x(0)), px(y(tops[0])))
	for i := range n {
		if i > 0 {
			fmt.Fprintf(&b, "V%s", px(y(tops[i])))
		}
		fmt.Fprintf(&b, "H%s", px(x(i+1)))
	}
	fmt.Fprintf(&b, "V%s", px(y(base[n-1])))
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "H%s", px(x(i)))
		if i > 0 {
			fmt.Fprintf(&b, "V%s", px(y(base[i-1])))
		}
	}
	b.WriteString("Z")
	return b.String()
}

// niceScale returns a tick step of 1, 2 or 5 times a power of ten giving
// about ticks steps up to peak, and the axis top, a multiple of the step.
// Counts are whole, so the step is never below 1.
func niceScale(peak float64, ticks int) (step, top float64) {
	if peak <= 0 {
		return 1, 1
	}
	raw := peak / float64(ticks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if step < 1 {
		step = 1
	}
	return step, math.Ceil(peak/step) * step
}

// timeSteps are the spacings the time axis may use.
var timeSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	2 * 24 * time.Hour, 7 * 24 * time.Hour,
}

// timeTicks places at most chartMaxXTicks ticks at round UTC times
// between start and end.
func timeTicks(start, end time.Time, x func(time.Time) float64) []htmlTick {
	total := end.Sub(start)
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if total/s <= chartMaxXTicks {
			step = s
			break
		}
	}
	layout := "15:04:05"
	switch {
	case step >= 24*time.Hour:
		layout = "01-02"
	case total >= 24*time.Hour:
		layout = "01-02 15:04"
	case step >= time.Minute:
		layout = "15:04"
	}
	var ticks []htmlTick
	t := start.Truncate(step)
	if t.Before(start) {
		t = t.Add(step)
	}
	for ; !t.After(end); t = t.Add(step) {
		ticks = append(ticks, htmlTick{x(t), t.Format(layout)})
	}
	return ticks
}

// dateText names the capture's date, or its first and last dates.
func dateText(start, end time.Time) string {
	last := end.Add(-time.Nanosecond)
	if start.Format("2006-01-02") == last.Format("2006-01-02") {
		return start.Format("2006-01-02")
	}
	return start.Format("2006-01-02") + " → " + last.Format("2006-01-02")
}

// durationText formats a bucket length: "1s", "2m", "1h30m".
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// bucketTitle tells one bucket's counts, largest protocol first.
func bucketTitle(b analyzer.Bucket, dur time.Duration, names []string, findings int) string {
	start := b.Start.UTC()
	s := fmt.Sprintf("%s–%s UTC: %s, %s", start.Format("15:04:05"), start.Add(dur).Format("15:04:05"), plural(b.Packets, "packet"), size(b.Bytes))
	var parts []string
	for _, n := range names {
		if c, ok := b.Protocols[n]; ok && c.Packets > 0 {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", escape(n), count(c.Packets), size(c.Bytes)))
		}
	}
	if len(parts) > 0 {
		s += "\n" + strings.Join(parts, ", ")
	}
	if b.Unanswered > 0 {
		s += "\n" + plural(b.Unanswered, "TCP connection") + " never answered"
	}
	if findings > 0 {
		s += "\n" + plural(uint64(findings), "finding") + " started"
	}
	return s
}

// markerKinds gives each kind of finding marker its shape and label;
// markerKeys orders them for the legend.
var (
	markerKinds = map[string]struct{ symbol, label string }{
		"mismatch":   {"diamond", "mismatch started"},
		"unexpected": {"triangle", "unexpected service started"},
		"suspicion":  {"square", "suspicion started"},
	}
	markerKeys = []string{"mismatch", "unexpected", "suspicion"}
)

func newHTMLMarker(f *analyzer.Finding, i int, x, y float64) htmlMarker {
	kind := f.Kind
	if f.Warning {
		kind = "suspicion"
	}
	mk, ok := markerKinds[kind]
	if !ok {
		kind, mk = "other", struct{ symbol, label string }{"square", f.Kind}
	}
	title := fmt.Sprintf("%s: %s %s/%s", f.Kind, who(f.Host, f.Name), f.Port, f.Transport)
	if f.Protocol != "" {
		title += " (" + f.Protocol + ")"
	}
	title += "\n" + findingWhy(f) + "\nfirst seen " + stamp(f.FirstSeen)
	return htmlMarker{X: x, Index: i, Kind: kind, Anchor: findingAnchor(i), Shape: markerPath(mk.symbol, x, y), Title: escape(title)}
}

// markerPath draws a marker's symbol centred on x, y.
func markerPath(symbol string, x, y float64) string {
	const r = 5.5
	p := func(dx, dy float64) string { return px(x+dx) + " " + px(y+dy) }
	switch symbol {
	case "diamond":
		return "M" + p(0, -r) + "L" + p(r, 0) + "L" + p(0, r) + "L" + p(-r, 0) + "Z"
	case "triangle":
		return "M" + p(0, -r) + "L" + p(r, r*0.8) + "L" + p(-r, r*0.8) + "Z"
	}
	return "M" + p(-r*0.8, -r*0.8) + "H" + px(x+r*0.8) + "V" + px(y+r*0.8) + "H" + px(x-r*0.8) + "Z"
}
