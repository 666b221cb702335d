package analyzer

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/analyzer/filter"
	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// WriteEvidence re-reads the captures and writes to w, as pcapng, the
// packets of every flow whose verdict is unexpected or mismatch in r (r
// must have been built with KeepFlows), and of every unanswered connection
// behind a missing finding (the catalog service a firewall now drops), at
// most perFlow packets each (0: all), each with a comment naming its
// finding. It returns how many
// packets it wrote.
//
// The captures must be those r was built from, in the same order: the
// packets are found again by decoding each frame as the engine does and
// looking its five-tuple and time up among r's flow records, under the
// time window and filter r records. Each packet keeps its link type and
// bytes; the section header's comment says what the file holds. Memory
// grows with the flows behind findings, not with packets. A capture whose
// packet count differs from the one r gives for it is an error, and so
// is a read error the analysis did not meet; after an error, w holds part
// of a file.
func WriteEvidence(w io.Writer, r *Report, captures []string, perFlow int) (int, error) {
	if slices.Contains(captures, "-") {
		return 0, errors.New("evidence: standard input cannot be read a second time; save the capture to a file")
	}
	ev, err := newEvidence(r, perFlow)
	if err != nil {
		return 0, err
	}
	var out *capture.Writer
	for i, name := range captures {
		rd, err := capture.Open(name)
		if err != nil {
			return ev.written, fmt.Errorf("evidence: %w", err)
		}
		if out == nil {
			if out, err = capture.NewWriter(w, firstLinkType(rd), evidenceTitle(r, captures, perFlow)); err != nil {
				rd.Close()
				return 0, fmt.Errorf("evidence: %w", err)
			}
		}
		err = ev.read(rd, out, reportedCapture(r, i, name))
		rd.Close()
		if err != nil {
			return ev.written, err
		}
	}
	if out == nil {
		if out, err = capture.NewWriter(w, layers.LinkTypeEthernet, evidenceTitle(r, captures, perFlow)); err != nil {
			return 0, fmt.Errorf("evidence: %w", err)
		}
	}
	if err := out.Flush(); err != nil {
		return ev.written, fmt.Errorf("evidence: %w", err)
	}
	return ev.written, nil
}

// firstLinkType returns the link type of the capture's first interface,
// for the evidence file's first interface.
func firstLinkType(rd *capture.Reader) decoders.LinkType {
	if lts := rd.LinkTypes(); len(lts) > 0 {
		return lts[0]
	}
	return layers.LinkTypeEthernet
}

// reportedCapture returns what r says about capture i, when r read a
// capture of that name there, or nil.
func reportedCapture(r *Report, i int, name string) *CaptureInfo {
	if i < len(r.Captures) && r.Captures[i].Name == name {
		return &r.Captures[i]
	}
	return nil
}

// evidenceTitle is the comment of the evidence file's section header.
func evidenceTitle(r *Report, captures []string, perFlow int) string {
	var b strings.Builder
	b.WriteString("lyncaudit evidence: packets of the flows behind unexpected and mismatch findings, and of the unanswered connections behind missing ones")
	if perFlow > 0 {
		b.WriteString(", at most " + strconv.Itoa(perFlow) + " per flow")
	}
	b.WriteString(", each commented with its finding")
	if r.Inventory != "" {
		b.WriteString("; inventory " + r.Inventory)
	}
	if len(captures) > 0 {
		b.WriteString("; captures " + strings.Join(captures, ", "))
	}
	return b.String()
}

// evidenceFlow is a flow record whose five-tuple has a finding, as the
// second pass over the captures meets its packets.
type evidenceFlow struct {
	first, last int64  // capture times of its first and last packets, Unix nanoseconds
	packets     uint64 // packets the analysis counted in it
	seen        uint64 // packets met so far
	written     int    // packets written
	comment     string // the finding it supports; empty for a flow that is no finding
}

// evidenceScan finds the packets of finding flows in the captures again.
type evidenceScan struct {
	flows   map[FlowKey][]*evidenceFlow // by five-tuple, earliest first
	perFlow int
	window  window // the report's
	filter  *filter.Filter
	fd      frameDecoder
	written int
}

// isFinding reports whether a flow verdict makes a finding with packets.
func isFinding(verdict string) bool {
	return verdict == rules.Unexpected.String() || verdict == rules.Mismatch.String()
}

// newEvidence indexes r's flow records by five-tuple: those of finding
// flows, and the others sharing a five-tuple with one, so that a packet
// is given to the right one when a flow ended and came back.
func newEvidence(r *Report, perFlow int) (*evidenceScan, error) {
	ev := &evidenceScan{flows: map[FlowKey][]*evidenceFlow{}, perFlow: perFlow, fd: newFrameDecoder()}
	if r.Flows == nil && slices.ContainsFunc(r.Findings, func(f Finding) bool { return isFinding(f.Kind) }) {
		return nil, errors.New("evidence: the report holds no flow records; build it with KeepFlows")
	}
	if r.Window != nil {
		ev.window = newWindow(r.Window.Since, r.Window.Until)
	}
	if r.Totals.Filter != "" {
		f, err := filter.Compile(r.Totals.Filter)
		if err != nil {
			return nil, fmt.Errorf("evidence: the report's filter: %w", err)
		}
		ev.filter = f
	}
	keys := make([]FlowKey, len(r.Flows))
	found := map[FlowKey]bool{}
	fx := newFindingIndex(r.Findings)
	behind := make([]*Finding, len(r.Flows)) // the missing finding an unanswered connection supports
	for i := range r.Flows {
		rec := &r.Flows[i]
		k, err := recordKey(rec)
		if err != nil {
			return nil, fmt.Errorf("evidence: flow record %d: %w", i+1, err)
		}
		keys[i] = k
		if !isFinding(rec.Verdict) && refused(rec) {
			behind[i] = fx.find(rec)
		}
		if isFinding(rec.Verdict) || behind[i] != nil {
			found[k] = true
		}
	}
	for i := range r.Flows {
		if !found[keys[i]] {
			continue
		}
		rec := &r.Flows[i]
		f := &evidenceFlow{first: rec.FirstSeen.UnixNano(), last: rec.LastSeen.UnixNano(), packets: rec.Packets}
		switch {
		case isFinding(rec.Verdict):
			f.comment = evidenceComment(rec, fx.find(rec))
		case behind[i] != nil:
			f.comment = missingComment(rec, behind[i])
		}
		ev.flows[keys[i]] = append(ev.flows[keys[i]], f)
	}
	for _, fs := range ev.flows {
		slices.SortFunc(fs, func(x, y *evidenceFlow) int { return cmp.Compare(x.first, y.first) })
	}
	return ev, nil
}

// recordKey returns the canonical key of a flow record's five-tuple.
func recordKey(rec *FlowRecord) (FlowKey, error) {
	cli, err := netip.ParseAddr(rec.Client)
	if err != nil {
		return FlowKey{}, fmt.Errorf("client address: %w", err)
	}
	srv, err := netip.ParseAddr(rec.Server)
	if err != nil {
		return FlowKey{}, fmt.Errorf("server address: %w", err)
	}
	t, ok := decoders.ParseTransport(rec.Transport)
	if !ok {
		return FlowKey{}, fmt.Errorf("transport %q is neither tcp nor udp", rec.Transport)
	}
	k, _ := keyOfTuple(&decoders.Tuple{Src: cli.As16(), Dst: srv.As16(), SrcPort: rec.ClientPort, DstPort: rec.ServerPort,
		Transport: t, V6: cli.Is6()})
	return k, nil
}

// read writes the packets of rd that belong to finding flows to out. info
// is what the report says about the capture, or nil.
func (ev *evidenceScan) read(rd *capture.Reader, out *capture.Writer, info *CaptureInfo) error {
	if len(ev.flows) == 0 {
		return nil
	}
	var cp capture.Packet
	var n uint64
	for {
		err := rd.Next(&cp)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The analysis stopped at the same damage, and says so.
			if info != nil && info.Error != "" {
				break
			}
			return fmt.Errorf("evidence: %w", err)
		}
		n++
		if f := ev.match(&cp); f != nil {
			if err := out.WritePacket(&cp, f.comment); err != nil {
				return fmt.Errorf("evidence: %s: packet %d: %w", rd.Name(), cp.Number, err)
			}
			ev.written++
		}
	}
	if info != nil && n != info.Packets {
		return fmt.Errorf("evidence: %s has %d packets, but the report counted %d: it is not the capture the report was built from", rd.Name(), n, info.Packets)
	}
	return nil
}

// match returns the finding flow a captured packet is to be written for,
// or nil. It decodes the packet as the engine does, under the same time
// window, filter and fragment tracking, and allocates nothing.
func (ev *evidenceScan) match(cp *capture.Packet) *evidenceFlow {
	if !ev.window.holds(cp.Timestamp) || (ev.filter != nil && !ev.filter.Match(cp.LinkType, cp.Data)) {
		return nil
	}
	p, _ := ev.fd.decode(cp)
	if p == nil {
		return nil
	}
	k, _ := keyOf(p)
	f := ev.lookup(&k, cp.Timestamp)
	if f == nil {
		return nil
	}
	f.seen++
	if f.comment == "" || (ev.perFlow > 0 && f.written >= ev.perFlow) {
		return nil
	}
	f.written++
	return f
}

// lookup returns the flow of key k whose span holds ts. Where two spans
// hold it (a flow ended and the next began within the same tick of the
// clock), the earlier flow takes packets until it has as many as the
// analysis counted in it.
func (ev *evidenceScan) lookup(k *FlowKey, ts int64) *evidenceFlow {
	fs := ev.flows[*k]
	// The flows of one five-tuple follow each other, so that sorted by
	// first packet they are sorted by last packet too.
	i, _ := slices.BinarySearchFunc(fs, ts, func(f *evidenceFlow, ts int64) int { return cmp.Compare(f.last, ts) })
	var hit *evidenceFlow
	for _, f := range fs[i:] {
		if ts < f.first {
			break
		}
		if f.seen < f.packets {
			return f
		}
		if hit == nil {
			hit = f
		}
	}
	return hit
}

// evidenceComment is the comment of a finding flow's packets, for
// example "lyncaudit: unexpected 3389/tcp on 10.10.2.10 (director): the
// catalog lists no 3389/tcp for director". A mismatch gives what the
// catalog asks for and the flow's own reason; f, the finding, gives the
// roles and an unexpected flow's detail, when it was found.
func evidenceComment(rec *FlowRecord, f *Finding) string {
	var b strings.Builder
	b.WriteString("lyncaudit: " + rec.Verdict)
	if rec.Warning {
		b.WriteString(" (warning)")
	}
	b.WriteString(" " + strconv.Itoa(int(rec.ServerPort)) + "/" + rec.Transport + " on " + rec.Server)
	if f != nil && len(f.Roles) > 0 {
		b.WriteString(" (" + strings.Join(f.Roles, ",") + ")")
	}
	switch {
	case rec.Verdict == rules.Mismatch.String():
		b.WriteString(": the catalog asks for " + rec.Expected + "; " + rec.Reason)
	case f != nil && f.Detail != "":
		b.WriteString(": " + f.Detail)
	}
	return b.String()
}

// missingComment is the comment of the packets of a connection that
// went unanswered to a catalog service found missing, for example
// "lyncaudit: missing 8057/tcp on 10.10.1.11 (frontend,mediation): never
// seen serving 8057/tcp (Lync Server Web Conferencing service); 7
// connections to it went unanswered, this one among them".
func missingComment(rec *FlowRecord, f *Finding) string {
	s := "lyncaudit: missing " + strconv.Itoa(int(rec.ServerPort)) + "/" + rec.Transport + " on " + rec.Server
	if len(f.Roles) > 0 {
		s += " (" + strings.Join(f.Roles, ",") + ")"
	}
	return s + ": " + f.Detail + ", this one among them"
}

// findingIndex finds the finding a flow record counts towards.
type findingIndex struct {
	byHost map[string][]*Finding // findings of single addresses
	spans  []spanFinding         // findings of ranges and networks reported as one host
}

// spanFinding is a finding of a host that covers a span of addresses.
type spanFinding struct {
	first, last netip.Addr
	f           *Finding
}

func newFindingIndex(fs []Finding) *findingIndex {
	ix := &findingIndex{byHost: map[string][]*Finding{}}
	for i := range fs {
		f := &fs[i]
		if !isFinding(f.Kind) && !(f.Kind == rules.Missing.String() && f.Flows > 0) {
			continue
		}
		if first, last, ok := hostSpan(f.Host); ok && first != last {
			ix.spans = append(ix.spans, spanFinding{first, last, f})
		} else {
			ix.byHost[f.Host] = append(ix.byHost[f.Host], f)
		}
	}
	return ix
}

// find returns the finding rec counts towards, or nil: an unexpected or
// mismatch finding of its verdict, or the missing finding an unanswered
// connection credited. The same port can have two unexpected findings,
// one served and one only attempted: a flow the server never answered
// goes with the attempt.
func (ix *findingIndex) find(rec *FlowRecord) *Finding {
	var hits []*Finding
	for _, f := range ix.byHost[rec.Server] {
		if counts(f, rec) {
			hits = append(hits, f)
		}
	}
	if srv, err := netip.ParseAddr(rec.Server); err == nil {
		srv = srv.Unmap()
		for _, s := range ix.spans {
			if srv.Compare(s.first) >= 0 && srv.Compare(s.last) <= 0 && counts(s.f, rec) {
				hits = append(hits, s.f)
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	attempt := refused(rec)
	for _, f := range hits {
		if strings.HasSuffix(f.Detail, "never answered") == attempt {
			return f
		}
	}
	return hits[0]
}

// counts reports whether flow rec is of finding f's kind, service and
// protocol; the host is matched by the caller.
func counts(f *Finding, rec *FlowRecord) bool {
	if f.Kind == rules.Missing.String() {
		// The connections that credited a missing finding (see
		// triedInVain): unanswered, to a port of its listen entry.
		lo, hi, ok := portSpan(f.Port)
		return ok && rec.Verdict == rules.Expected.String() && refused(rec) &&
			slices.Contains(strings.Split(f.Transport, "+"), rec.Transport) && rec.ServerPort >= lo && rec.ServerPort <= hi
	}
	if f.Kind != rec.Verdict || f.Transport != rec.Transport {
		return false
	}
	if f.Kind == rules.Mismatch.String() && f.Protocol != rec.Protocol {
		return false
	}
	lo, hi, ok := portSpan(f.Port)
	return ok && rec.ServerPort >= lo && rec.ServerPort <= hi
}

// portSpan parses a finding's port: "5061" or "49152-57500".
func portSpan(s string) (lo, hi uint16, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	l, err := strconv.ParseUint(a, 10, 16)
	if err != nil {
		return 0, 0, false
	}
	if !isRange {
		return uint16(l), uint16(l), true
	}
	h, err := strconv.ParseUint(b, 10, 16)
	if err != nil {
		return 0, 0, false
	}
	return uint16(l), uint16(h), true
}

// hostSpan parses a finding's host, as the inventory wrote it: an
// address, a network (10.20.0.0/24) or a range (10.1.0.11-10.1.0.13).
// IPv4-mapped addresses come back as IPv4, as flows name them.
func hostSpan(s string) (first, last netip.Addr, ok bool) {
	if a, b, isRange := strings.Cut(s, "-"); isRange {
		x, errA := netip.ParseAddr(a)
		y, errB := netip.ParseAddr(b)
		return x.Unmap(), y.Unmap(), errA == nil && errB == nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Addr{}, netip.Addr{}, false
		}
		p = p.Masked()
		b := p.Addr().As16()
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		for i := bits; i < 128; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		return p.Addr().Unmap(), netip.AddrFrom16(b).Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	return a.Unmap(), a.Unmap(), err == nil
}
