package analyzer

import (
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// Confidence says how a flow's protocol was decided, as nDPI does.
type Confidence uint8

// Confidences, weakest first.
const (
	ConfNone Confidence = iota // nothing to go on
	ConfPort                   // guessed from the server port
	ConfDPI                    // a payload signature confirmed it
)

var confNames = [...]string{ConfNone: "none", ConfPort: "port", ConfDPI: "dpi"}

// String returns "none", "port" or "dpi".
func (c Confidence) String() string {
	if int(c) < len(confNames) {
		return confNames[c]
	}
	return "unknown"
}

// Inspection budgets, in payloads of both directions. A flow is named
// within nameBudget payloads or called unknown; a named flow may be
// watched up to detailBudget payloads in all, for detail (a client
// certificate, RTP stream facts) or a change of protocol (STUN, then RTP).
const (
	nameBudget   = 10
	detailBudget = 32
	maxProtocols = 3  // protocol names a flow keeps, in order
	evidenceLen  = 16 // first payload bytes kept for flows nobody named
)

// classifier holds what payload inspection has learnt about one flow.
// What inspection needs while it runs lives in an inspection, held only
// until the flow is named or its budget is spent, so that the many flows
// past inspection carry little.
type classifier struct {
	in   *inspection
	done bool // inspection is over: later packets only count
	// undecided: inspection ended with the flow (or was never run, under
	// the cap) while some signature still wanted more payload, so naming
	// nothing says nothing about the payload: a window's edge or the
	// capture's end cut the flow short.
	undecided bool
	nprotos   uint8
	protos    [maxProtocols]decoders.Protocol // names confirmed, in order
	detail    *decoders.Detail                // what the payload showed, once inspection ended
}

// inspection is one flow's inspection in progress.
type inspection struct {
	st       decoders.State
	excluded uint32 // signatures that answered Violated
	named    int8   // signature that named the flow, or -1
	more     bool   // the naming signature wants more payload
	payloads uint16 // payloads inspected
	evLen    uint8
	evidence [evidenceLen]byte // first bytes of the first payload
	seqOK    [2]bool           // next[d] is known
	next     [2]uint32         // next expected TCP sequence number per direction
}

// mediaFamily is the set of protocols RFC 7983 multiplexes on one media
// 5-tuple: a flow named by one of them is watched for the others.
func mediaFamily(p decoders.Protocol) bool {
	switch p {
	case decoders.STUN, decoders.MSTURN, decoders.DTLS, decoders.RTP, decoders.RTCP:
		return true
	}
	return false
}

// protocol returns the flow's main protocol: the last one confirmed.
func (c *classifier) protocol() decoders.Protocol {
	if c.nprotos == 0 {
		return decoders.Unknown
	}
	return c.protos[c.nprotos-1]
}

// protocols returns every name confirmed, in order.
func (c *classifier) protocols() []decoders.Protocol { return c.protos[:c.nprotos] }

func (c *classifier) addProtocol(p decoders.Protocol) {
	for _, q := range c.protos[:c.nprotos] {
		if q == p {
			return
		}
	}
	if int(c.nprotos) < maxProtocols {
		c.protos[c.nprotos] = p
		c.nprotos++
	}
}

// inspector runs the signatures over flows' payloads. It pools the
// inspections and caps how many flows are inspected at once, so a flood
// of new flows cannot grow memory without bound.
type inspector struct {
	free     []*inspection
	live     int
	max      int
	skipped  uint64 // flows not inspected because the cap was reached
	hintBits [decoders.NumProtocols]int8
}

func newInspector(max int) *inspector {
	in := &inspector{max: max}
	for i := range in.hintBits {
		in.hintBits[i] = int8(decoders.SignatureFor(decoders.Protocol(i)))
	}
	return in
}

// start gets a flow ready for inspection; it reports false when the cap
// on inspected flows is reached.
func (in *inspector) start(f *Flow) bool {
	if in.live >= in.max {
		in.skipped++
		f.class.done, f.class.undecided = true, true
		return false
	}
	in.live++
	var x *inspection
	if n := len(in.free); n > 0 {
		x, in.free = in.free[n-1], in.free[:n-1]
		*x = inspection{}
	} else {
		x = new(inspection)
	}
	_, cp := f.Key.endpoint(1 - int(f.server))
	_, sp := f.Key.endpoint(int(f.server))
	x.st.Reset(f.Key.Transport, cp, sp)
	x.named = -1
	f.class.in = x
	return true
}

// finish ends a flow's inspection, keeping its detail (for a flow nobody
// named, its first bytes) and freeing the inspection.
func (in *inspector) finish(f *Flow) {
	c := &f.class
	c.done = true
	x := c.in
	if x == nil {
		return
	}
	c.undecided = c.nprotos == 0 && x.excluded != allExcluded && x.payloads < nameBudget
	switch d := &x.st.Detail; {
	case c.nprotos > 0 && (len(d.Attrs) > 0 || d.ClientCert != decoders.CertUnknown || d.Media != decoders.MediaUnknown):
		kept := *d
		c.detail = &kept
	case c.nprotos == 0 && x.evLen > 0:
		// Both forms: hex is exact, the quoted text is what a person reads
		// ("Microsoft Window…" from a shell on a media port).
		b := x.evidence[:x.evLen]
		q := strconv.QuoteToASCII(string(b))
		c.detail = &decoders.Detail{Attrs: []decoders.Attr{{Key: "first-bytes", Value: hex.EncodeToString(b)}, {Key: "first-text", Value: q[1 : len(q)-1]}}}
	}
	in.free = append(in.free, x)
	c.in = nil
	in.live--
}

// inOrder reports whether a TCP segment is the next one in its direction,
// dropping retransmissions; after a gap it resynchronises, since the
// signatures would rather see a later segment than none.
func (x *inspection) inOrder(d int, p *decoders.Packet) bool {
	if p.Transport != decoders.TCP {
		return true
	}
	seq, n := p.Seq, uint32(len(p.Payload))
	if p.Flags.Has(decoders.FlagSYN) {
		seq++
	}
	if x.seqOK[d] && int32(seq-x.next[d]) < 0 {
		return false // a retransmission (or an overlap we do not splice)
	}
	x.next[d], x.seqOK[d] = seq+n, true
	return true
}

// observe feeds one packet's payload to the flow's signatures.
func (in *inspector) observe(f *Flow, d int, p *decoders.Packet) {
	c := &f.class
	if c.done {
		return
	}
	if c.in == nil {
		if len(p.Payload) == 0 || !in.start(f) {
			// A SYN before any payload only sets where the stream starts;
			// the first payload's sequence number does as well.
			return
		}
	}
	x := c.in
	if len(p.Payload) == 0 {
		if p.Transport == decoders.TCP && p.Flags.Has(decoders.FlagSYN) {
			x.inOrder(d, p)
		}
		return
	}
	if !x.inOrder(d, p) {
		return
	}
	if x.payloads == 0 {
		x.evLen = uint8(copy(x.evidence[:], p.Payload))
	}
	dir := decoders.ToServer
	if d == int(f.server) {
		dir = decoders.ToClient
	}
	if x.named < 0 {
		in.name(f, dir, p.Payload)
	} else {
		in.follow(f, dir, p.Payload)
	}
	x.payloads++
	if c.done {
		return
	}
	x.st.Payloads[dir]++
	if x.payloads >= detailBudget || (x.named < 0 && (x.payloads >= nameBudget || x.excluded == allExcluded)) {
		in.finish(f)
	}
}

// name offers a payload to every signature still in the running, the
// one the server port suggests first, and stops at the first to confirm.
func (in *inspector) name(f *Flow, dir decoders.Dir, payload []byte) {
	c := &f.class
	x := c.in
	t := f.Key.Transport
	hint := int8(-1)
	if h := decoders.PortHint(t, x.st.ServerPort); h != decoders.Unknown {
		hint = in.hintBits[h]
	}
	try := func(i int) bool {
		if x.excluded&(1<<i) != 0 {
			return false
		}
		sig := decoders.SignatureAt(i)
		if !sig.Accepts(t) {
			x.excluded |= 1 << i
			return false
		}
		switch a := sig.Inspect(&x.st, dir, payload); {
		case a == decoders.Violated:
			x.excluded |= 1 << i
		case a.Named():
			x.named, x.more = int8(i), a == decoders.ConfirmedMore
			c.addProtocol(sig.Protocol())
			if !x.more && !mediaFamily(sig.Protocol()) {
				in.finish(f)
			}
			return true
		}
		return false
	}
	if hint >= 0 && try(int(hint)) {
		return
	}
	for i := range decoders.NumSignatures {
		if i != int(hint) && try(i) {
			return
		}
	}
}

// follow keeps feeding a named flow: the naming signature while it wants
// more detail, and, on a media flow, the other media signatures, so that
// STUN followed by RTP keeps both names.
func (in *inspector) follow(f *Flow, dir decoders.Dir, payload []byte) {
	c := &f.class
	x := c.in
	if x.more {
		if a := decoders.SignatureAt(int(x.named)).Inspect(&x.st, dir, payload); a != decoders.ConfirmedMore {
			x.more = false
		}
	}
	if !mediaFamily(c.protocol()) {
		if !x.more {
			in.finish(f)
		}
		return
	}
	for i := range decoders.NumSignatures {
		sig := decoders.SignatureAt(i)
		if i == int(x.named) || x.excluded&(1<<i) != 0 || !mediaFamily(sig.Protocol()) || !sig.Accepts(f.Key.Transport) {
			continue
		}
		switch a := sig.Inspect(&x.st, dir, payload); {
		case a == decoders.Violated:
			x.excluded |= 1 << i
		case a.Named():
			c.addProtocol(sig.Protocol())
			x.named, x.more = int8(i), a == decoders.ConfirmedMore
			return
		}
	}
}

// allExcluded is the exclusion mask once every signature said Violated.
const allExcluded = 1<<decoders.NumSignatures - 1

// guess names a flow's protocol from its server port when no signature
// did: a single protocol the catalog expects there, else the port hint.
func guess(entries []*rules.Entry, t decoders.Transport, port uint16) (decoders.Protocol, Confidence) {
	var p decoders.Protocol
	for _, e := range entries {
		if len(e.Expect) != 1 || (p != decoders.Unknown && p != e.Expect[0]) {
			p = decoders.Unknown
			break
		}
		p = e.Expect[0]
	}
	if p == decoders.Unknown {
		p = decoders.PortHint(t, port)
	}
	if p == decoders.Unknown {
		return p, ConfNone
	}
	return p, ConfPort
}

// protocolList names protocols, or returns nil for none.
func protocolList(ps []decoders.Protocol) []string {
	if len(ps) == 0 {
		return nil
	}
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	return ss
}

// detailMap returns a flow's detail for its record: the signature's facts,
// the client certificate and media kind, and for flows nobody named the
// first bytes of payload.
func detailMap(c *classifier) map[string]string {
	d := c.detail
	if d == nil {
		return nil
	}
	m := make(map[string]string, len(d.Attrs)+2)
	for _, a := range d.Attrs {
		m[a.Key] = a.Value
	}
	if d.ClientCert != decoders.CertUnknown {
		m["client-cert"] = d.ClientCert.String()
	}
	if d.Media != decoders.MediaUnknown {
		m["media"] = d.Media.String()
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// evidence summarises what a flow's payload showed, in one line: its
// detail, or the first bytes of a payload nobody named.
func evidence(c *classifier) string { return detailText(detailMap(c)) }

// detailText is a flow's detail as a finding's evidence shows it: its
// keys in order, each with its quoted value.
func detailText(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(d[k])
	}
	return strings.Join(parts, " ")
}
