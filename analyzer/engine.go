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
// for concurrent use.
type Engine struct {
	cfg    Config
	dec    *decoders.Decoder
	pkt    decoders.Packet
	table  *flowTable
	frags  *fragments
	insp   *inspector
	agg    *aggregator
	now    int64 // latest capture time seen
	swept  int64 // capture time of the last expiry sweep
	totals Totals
	undec  [decoders.NumReasons]uint64
	first  int64
	caps   []CaptureInfo
	cur    *CaptureInfo

	alerted map[alertKey]struct{} // alerts already given
}

// NewEngine returns an engine ready for packets.
func NewEngine(cfg Config) *Engine {
	if cfg.Catalog == nil {
		cfg.Catalog = rules.Builtin()
	}
	if cfg.MaxFlows <= 0 {
		cfg.MaxFlows = NewConfig().MaxFlows
	}
	return &Engine{
		cfg:   cfg,
		dec:   decoders.NewDecoder(),
		table: newFlowTable(cfg.MaxFlows, int64(cfg.TCPIdle), int64(cfg.UDPIdle), int64(cfg.Linger)),
		frags: newFragments(1 << 16),
		insp:  newInspector(maxInspected),
		agg:   newAggregator(cfg.Catalog, cfg.Inventory, cfg.KeepFlows),
	}
}

// Read feeds every packet of src to the engine. It returns nil at the end
// of the source, or the error that stopped reading early; packets read
// before the error have been analysed and the report records the error.
func (e *Engine) Read(src Source) error {
	e.caps = append(e.caps, CaptureInfo{Name: src.Name(), Format: src.Format()})
	e.cur = &e.caps[len(e.caps)-1]
	var p capture.Packet
	var err error
	for {
		if err = src.Next(&p); err != nil {
			break
		}
		e.Packet(&p)
	}
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
	ts := cp.Timestamp
	e.countCapture(cp)
	if e.cfg.Filter != nil && !e.cfg.Filter.Match(cp.LinkType, cp.Data) {
		e.totals.Filtered++
		return
	}
	p := &e.pkt
	if r := e.dec.Decode(cp.LinkType, cp.Data, p); r != decoders.OK {
		e.undec[r]++
		return
	}
	if p.Fragment.IsFragment() && !e.frags.resolve(p, ts) {
		e.undec[decoders.OrphanFragment]++
		return
	}
	e.totals.Decoded++
	e.advance(ts)
	k, fwd := keyOf(p)
	f := e.table.flows[k]
	if f == nil {
		f = e.newFlow(k, fwd)
	}
	d := 0
	if !fwd {
		d = 1
	}
	f.dir[d].add(ts, cp.WireLen, p.PayloadLen)
	if p.Transport == decoders.TCP {
		e.tcpFlags(f, d, p.Flags)
	}
	if !f.class.done {
		e.insp.observe(f, d, p)
		if f.class.done {
			e.alert(f, false)
		}
	}
	e.table.listFor(f).touch(f)
}

func (e *Engine) countCapture(cp *capture.Packet) {
	ts := cp.Timestamp
	if e.cur == nil {
		e.caps = append(e.caps, CaptureInfo{Name: "packets", Format: "packets"})
		e.cur = &e.caps[0]
	}
	c := e.cur
	if c.Packets == 0 || ts < c.FirstSeen.UnixNano() {
		c.FirstSeen = time.Unix(0, ts).UTC()
	}
	if ts > c.LastSeen.UnixNano() || c.Packets == 0 {
		c.LastSeen = time.Unix(0, ts).UTC()
	}
	c.Packets++
	c.Bytes += uint64(len(cp.Data))
	e.totals.Packets++
	e.totals.Bytes += uint64(cp.WireLen)
	if e.totals.Packets == 1 || ts < e.first {
		e.first = ts
	}
}

// tcpFlags records what a TCP packet's flags say about the flow's state
// and, before a handshake was seen, about which side is the server.
func (e *Engine) tcpFlags(f *Flow, d int, fl decoders.TCPFlags) {
	if fl.Has(decoders.FlagRST) {
		f.rst = true
		f.rstFrom[d]++
	}
	if fl.Has(decoders.FlagFIN) {
		f.fin[d] = true
	}
	if fl.Has(decoders.FlagSYN) && f.serverBy > BySYN {
		if fl.Has(decoders.FlagACK) {
			if f.serverBy > BySYNACK {
				f.server, f.serverBy = int8(d), BySYNACK
			}
		} else {
			f.server, f.serverBy = int8(1-d), BySYN
		}
	}
}

// newFlow creates the flow for key k, whose first packet is p, making room
// in the table first.
func (e *Engine) newFlow(k FlowKey, fwd bool) *Flow {
	if e.table.len() >= e.table.max {
		if o := e.table.oldest(); o != nil {
			e.end(o, EndEvicted)
			e.table.evicted++
		}
	}
	f := e.table.alloc()
	f.Key = k
	if inv := e.cfg.Inventory; inv != nil {
		f.hosts[0] = inv.Lookup(k.A)
		f.hosts[1] = inv.Lookup(k.B)
	}
	e.agg.orient(f, fwd)
	e.table.insert(f)
	e.totals.Flows++
	return f
}

// advance moves capture time forward and ends the flows that went idle,
// checking at most once per second of capture time.
func (e *Engine) advance(ts int64) {
	if ts <= e.now {
		return
	}
	e.now = ts
	if ts-e.swept < 1e9 {
		return
	}
	e.swept = ts
	for f := e.table.expired(ts); f != nil; f = e.table.expired(ts) {
		e.end(f, e.endReason(f, EndIdle))
	}
}

// endReason prefers what the packets said (FIN, RST) over why the flow is
// being ended now.
func (e *Engine) endReason(f *Flow, why EndReason) EndReason {
	switch {
	case f.rst:
		return EndRST
	case f.fin[0] && f.fin[1]:
		return EndFIN
	}
	return why
}

// end judges a flow and frees it.
func (e *Engine) end(f *Flow, why EndReason) {
	f.end = why
	e.insp.finish(f)
	e.alert(f, true)
	e.agg.flow(f)
	e.table.release(f)
}

// Report ends every live flow and returns the report. The engine must not
// be used afterwards.
func (e *Engine) Report() *Report {
	for _, f := range e.table.flows {
		e.end(f, e.endReason(f, EndOpen))
	}
	return e.build(e.agg)
}

// build makes the report from agg and the engine's counters.
func (e *Engine) build(agg *aggregator) *Report {
	t := e.totals
	t.Evicted = e.table.evicted
	t.PeakFlows = e.table.peak
	t.MaxFlows = e.table.max
	t.Undecodable = map[string]uint64{}
	for r, n := range e.undec {
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
	r.Totals = t
	r.Totals.Verdicts = countVerdicts(r)
	for _, c := range e.caps {
		if c.Error != "" {
			r.Warnings = append(r.Warnings, "analysis stopped early: "+c.Error)
		}
	}
	if e.insp.skipped > 0 {
		r.Warnings = append(r.Warnings, strconv.FormatUint(e.insp.skipped, 10)+" flows were not inspected: more than "+strconv.Itoa(e.insp.max)+" flows were being inspected at once")
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
