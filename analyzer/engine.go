package analyzer

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/analyzer/filter"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

const tcpTransport = decoders.TCP

// maxInspected caps the flows whose payload is inspected at once; each
// holds an inspection state until it is named or its budget is spent.
const maxInspected = 1 << 16

// Config holds the engine's options. NewConfig sets the defaults.
type Config struct {
	Catalog   *rules.Catalog
	Inventory *rules.Inventory // nil or empty: flows are summarised, not judged
	TCPIdle   time.Duration    // an open TCP flow idle this long ends
	UDPIdle   time.Duration    // a UDP flow idle this long ends
	Linger    time.Duration    // a closed TCP flow stays this long for stragglers
	MaxFlows  int              // cap on live flows; the longest idle is evicted beyond it
	KeepFlows bool             // keep a record of every flow for the report
	Filter    *filter.Filter   // when set, only packets it matches are analysed
	// OnAlert, when set, hears each new unexpected or mismatched finding
	// as soon as a flow shows it (see Alert).
	OnAlert func(Alert)
	// Since and Until, when not zero, keep only packets captured at or
	// after Since and before Until.
	Since, Until time.Time
	// Bucket is the timeline's bucket length; zero picks one that keeps
	// the timeline under 240 buckets.
	Bucket time.Duration
	// Workers is how many goroutines Read spreads flows over (default 1).
	// Results are the same whatever the number, but for the flow cap,
	// which each worker applies to its share.
	Workers int
}

// NewConfig returns the default configuration with the built-in catalog.
// The timeouts follow Zeek's defaults (5 min TCP inactivity, 1 min UDP).
func NewConfig() Config {
	return Config{
		Catalog:  rules.Builtin(),
		TCPIdle:  5 * time.Minute,
		UDPIdle:  time.Minute,
		Linger:   10 * time.Second,
		MaxFlows: 500_000,
	}
}

// Source is where packets come from: a capture file or a live interface.
type Source interface {
	// Next fills p with the next packet; io.EOF ends the source.
	Next(p *capture.Packet) error
	Name() string
	Format() string
	LinkTypes() []decoders.LinkType
}

// Engine folds packets into flows and flows into verdicts. It is not safe
// for concurrent use; with Config.Workers above one, Read spreads the
// flows over that many goroutines itself.
type Engine struct {
	cfg    Config
	fd     frameDecoder
	window window
	shards []*shard
	now    int64 // latest capture time seen
	totals Totals
	undec  [decoders.NumReasons]uint64
	first  int64
	caps   []CaptureInfo
	cur    *CaptureInfo
}

// window is a time window in Unix nanoseconds; a zero end is open.
type window struct{ since, until int64 }

// newWindow returns the window from since to until; zero times are open.
func newWindow(since, until time.Time) window {
	var w window
	if !since.IsZero() {
		w.since = since.UnixNano()
	}
	if !until.IsZero() {
		w.until = until.UnixNano()
	}
	return w
}

// holds reports whether capture time ts is inside the window.
func (w window) holds(ts int64) bool {
	return (w.since == 0 || ts >= w.since) && (w.until == 0 || ts < w.until)
}

// frameDecoder decodes captured frames as the analysis does, into one
// reused packet, giving later IP fragments their datagram's ports.
type frameDecoder struct {
	dec   *decoders.Decoder
	frags *fragments
	pkt   decoders.Packet
}

func newFrameDecoder() frameDecoder {
	return frameDecoder{dec: decoders.NewDecoder(), frags: newFragments(1 << 16)}
}

// decode returns the decoded packet, or nil and why it could not be.
func (d *frameDecoder) decode(cp *capture.Packet) (*decoders.Packet, decoders.Reason) {
	p := &d.pkt
	if r := d.dec.Decode(cp.LinkType, cp.Data, p); r != decoders.OK {
		return nil, r
	}
	if p.Fragment.IsFragment() && !d.frags.resolve(p, cp.Timestamp) {
		return nil, decoders.OrphanFragment
	}
	return p, decoders.OK
}

// NewEngine returns an engine ready for packets.
func NewEngine(cfg Config) *Engine {
	if cfg.Catalog == nil {
		cfg.Catalog = rules.Builtin()
	}
	if cfg.MaxFlows <= 0 {
		cfg.MaxFlows = NewConfig().MaxFlows
	}
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.OnAlert != nil {
		cfg.Workers = 1 // alerts come in capture order, from one goroutine
	}
	e := &Engine{cfg: cfg, fd: newFrameDecoder(), window: newWindow(cfg.Since, cfg.Until)}
	// Each shard gets its share of the flow cap, so the whole stays under it.
	for range cfg.Workers {
		e.shards = append(e.shards, newShard(&e.cfg, max(1, cfg.MaxFlows/cfg.Workers)))
	}
	return e
}

// Read feeds every packet of src to the engine. It returns nil at the end
// of the source, or the error that stopped reading early; packets read
// before the error have been analysed and the report records the error.
func (e *Engine) Read(src Source) error {
	e.caps = append(e.caps, CaptureInfo{Name: src.Name(), Format: src.Format()})
	e.cur = &e.caps[len(e.caps)-1]
	err := e.readAll(src)
	for _, lt := range src.LinkTypes() {
		e.cur.LinkTypes = appendUnique(e.cur.LinkTypes, linkTypeName(lt))
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	e.cur.Error = err.Error()
	return err
}

// AddSource registers a packet source, such as a live interface, for
// packets given to PacketFrom; it returns the source's index.
func (e *Engine) AddSource(name, format string, lts []decoders.LinkType) int {
	c := CaptureInfo{Name: name, Format: format}
	for _, lt := range lts {
		c.LinkTypes = appendUnique(c.LinkTypes, linkTypeName(lt))
	}
	e.caps = append(e.caps, c)
	return len(e.caps) - 1
}

// PacketFrom folds a packet of source i (from AddSource) into its flow.
func (e *Engine) PacketFrom(i int, cp *capture.Packet) {
	e.cur = &e.caps[i]
	e.Packet(cp)
}

// SetSourceStats records a live source's kernel counters in the report.
func (e *Engine) SetSourceStats(i int, received, dropped, filtered uint64) {
	c := &e.caps[i]
	c.KernelReceived, c.KernelDropped, c.Filtered = received, dropped, filtered
}

// Packet folds one captured packet into its flow.
func (e *Engine) Packet(cp *capture.Packet) {
	if p := e.decode(cp); p != nil {
		k, fwd := keyOf(p)
		e.shards[0].packet(k, fwd, p, cp.Timestamp, cp.WireLen)
	}
}

// decode counts a packet and decodes it, returning nil for one that is
// filtered out or cannot be decoded (counted by reason).
func (e *Engine) decode(cp *capture.Packet) *decoders.Packet {
	if !e.accept(cp) {
		return nil
	}
	return e.decodeAccepted(cp)
}

// accept counts a packet and reports whether the time window and the
// filter keep it.
func (e *Engine) accept(cp *capture.Packet) bool {
	e.countCapture(cp)
	if !e.window.holds(cp.Timestamp) {
		e.totals.OutsideWindow++
		return false
	}
	if e.cfg.Filter != nil && !e.cfg.Filter.Match(cp.LinkType, cp.Data) {
		e.totals.Filtered++
		return false
	}
	return true
}

// decodeAccepted decodes a packet accept kept, returning nil for one that
// cannot be decoded (counted by reason).
func (e *Engine) decodeAccepted(cp *capture.Packet) *decoders.Packet {
	p, r := e.fd.decode(cp)
	if r != decoders.OK {
		e.undec[r]++
		return nil
	}
	e.totals.Decoded++
	return p
}

func (e *Engine) countCapture(cp *capture.Packet) {
	ts := cp.Timestamp
	if e.cur == nil {
		e.caps = append(e.caps, CaptureInfo{Name: "packets", Format: "packets"})
		e.cur = &e.caps[0]
	}
	c := e.cur
	if c.Packets == 0 {
		c.first, c.last = ts, ts
	}
	c.first, c.last = min(c.first, ts), max(c.last, ts)
	c.Packets++
	c.Bytes += uint64(len(cp.Data))
	e.totals.Packets++
	e.totals.Bytes += uint64(cp.WireLen)
	e.now = max(e.now, ts)
	if e.totals.Packets == 1 || ts < e.first {
		e.first = ts
	}
}

// Report ends every live flow and returns the report. The engine must not
// be used afterwards.
func (e *Engine) Report() *Report {
	for _, s := range e.shards {
		s.finish(e.now)
	}
	agg, tl := e.shards[0].agg, e.shards[0].tl
	for _, s := range e.shards[1:] {
		agg.absorb(s.agg)
		tl.absorb(s.tl)
	}
	return e.build(agg, tl)
}

// build makes the report from agg and the engine's counters.
func (e *Engine) build(agg *aggregator, tl *timeline) *Report {
	t := e.totals
	t.MaxFlows = e.cfg.MaxFlows
	var skipped uint64
	undec := e.undec
	for _, s := range e.shards {
		t.Decoded += s.decoded
		for r, n := range s.undec {
			undec[r] += n
		}
		t.Flows += s.flows
		t.Evicted += s.table.evicted
		t.PeakFlows += s.table.peak
		skipped += s.insp.skipped
	}
	t.Undecodable = map[string]uint64{}
	for r, n := range undec {
		if n > 0 {
			t.Undecodable[decoders.Reason(r).String()] = n
		}
	}
	if e.cfg.Filter != nil {
		t.Filter = e.cfg.Filter.String()
	}
	if t.Packets > 0 {
		t.FirstSeen = time.Unix(0, e.first).UTC()
		t.LastSeen = time.Unix(0, e.now).UTC()
	}
	r := agg.report()
	r.Schema = Schema
	r.Captures = slices.Clone(e.caps)
	if r.Captures == nil {
		r.Captures = []CaptureInfo{}
	}
	for i := range r.Captures {
		if c := &r.Captures[i]; c.Packets > 0 {
			c.FirstSeen, c.LastSeen = nanoTime(c.first), nanoTime(c.last)
		}
	}
	r.Totals = t
	r.Totals.Verdicts = countVerdicts(r)
	r.Timeline = tl.report(r.Findings)
	if !e.cfg.Since.IsZero() || !e.cfg.Until.IsZero() {
		r.Window = &Window{Since: e.cfg.Since.UTC(), Until: e.cfg.Until.UTC()}
	}
	for _, c := range e.caps {
		if c.Error != "" {
			r.Warnings = append(r.Warnings, "analysis stopped early: "+c.Error)
		}
	}
	if skipped > 0 {
		r.Warnings = append(r.Warnings, strconv.FormatUint(skipped, 10)+" flows were not inspected: more than "+strconv.Itoa(maxInspected)+" flows were being inspected at once")
	}
	return r
}

func appendUnique(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

func linkTypeName(lt decoders.LinkType) string {
	switch lt {
	case 0:
		return "null"
	case 1:
		return "ethernet"
	case 12, 14, 101:
		return "raw"
	case 108:
		return "loop"
	case 113:
		return "linux-sll"
	case 228:
		return "ipv4"
	case 229:
		return "ipv6"
	case 276:
		return "linux-sll2"
	}
	return "linktype-" + strconv.Itoa(int(lt))
}
