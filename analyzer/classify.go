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
// Its State lives only while the flow is being inspected.
type classifier struct {
	st       *decoders.State
	excluded uint32 // signatures that answered Violated
	named    int8   // signature that named the flow, or -1 (set by start)
	more     bool   // the naming signature wants more payload
	done     bool   // inspection is over: later packets only count
	payloads uint16 // payloads inspected
	nprotos  uint8
	protos   [maxProtocols]decoders.Protocol // names confirmed, in order
	evLen    uint8
	evidence [evidenceLen]byte // first bytes of the first payload
	seqOK    [2]bool           // next[d] is known
	next     [2]uint32         // next expected TCP sequence number per direction
	detail   *decoders.Detail
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
// inspection states and caps how many flows are inspected at once, so a
// flood of new flows cannot grow memory without bound.
type inspector struct {
	free     []*decoders.State
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
		f.class.done = true
		return false
	}
	in.live++
	var st *decoders.State
	if n := len(in.free); n > 0 {
		st, in.free = in.free[n-1], in.free[:n-1]
	} else {
		st = new(decoders.State)
	}
	_, cp := f.Key.endpoint(1 - int(f.server))
	_, sp := f.Key.endpoint(int(f.server))
	st.Reset(f.Key.Transport, cp, sp)
	f.class.st = st
	f.class.named = -1
	return true
}

// finish ends a flow's inspection, keeping its detail and freeing its state.
func (in *inspector) finish(f *Flow) {
	c := &f.class
	c.done = true
	if c.st == nil {
		return
	}
	if c.nprotos > 0 && (len(c.st.Detail.Attrs) > 0 || c.st.Detail.ClientCert != decoders.CertUnknown || c.st.Detail.Media != decoders.MediaUnknown) {
		d := c.st.Detail
		c.detail = &d
	}
	in.free = append(in.free, c.st)
	c.st = nil
	in.live--
}

// inOrder reports whether a TCP segment is the next one in its direction,
// dropping retransmissions; after a gap it resynchronises, since the
// signatures would rather see a later segment than none.
func (c *classifier) inOrder(d int, p *decoders.Packet) bool {
	if p.Transport != decoders.TCP {
		return true
	}
	seq, n := p.Seq, uint32(len(p.Payload))
	if p.Flags.Has(decoders.FlagSYN) {
		seq++
	}
	if c.seqOK[d] && int32(seq-c.next[d]) < 0 {
		return false // a retransmission (or an overlap we do not splice)
	}
	c.next[d], c.seqOK[d] = seq+n, true
	return true
}

// observe feeds one packet's payload to the flow's signatures.
func (in *inspector) observe(f *Flow, d int, p *decoders.Packet) {
	c := &f.class
	if c.done {
		return
	}
	if p.Transport == decoders.TCP && p.Flags.Has(decoders.FlagSYN) && len(p.Payload) == 0 {
		c.inOrder(d, p)
		return
	}
	if len(p.Payload) == 0 || !c.inOrder(d, p) {
		return
	}
	if c.st == nil && !in.start(f) {
		return
	}
	if c.payloads == 0 {
		c.evLen = uint8(copy(c.evidence[:], p.Payload))
	}
	dir := decoders.ToServer
	if d == int(f.server) {
		dir = decoders.ToClient
	}
	if c.named < 0 {
		in.name(f, dir, p.Payload)
	} else {
		in.follow(f, dir, p.Payload)
	}
	c.payloads++
	if c.done {
		return
	}
	c.st.Payloads[dir]++
	if !c.done && (c.payloads >= detailBudget || (c.named < 0 && c.payloads >= nameBudget) || (c.named < 0 && c.excluded == allExcluded)) {
		in.finish(f)
	}
}

// name offers a payload to every signature still in the running, the
// one the server port suggests first, and stops at the first to confirm.
func (in *inspector) name(f *Flow, dir decoders.Dir, payload []byte) {
	c := &f.class
	t := f.Key.Transport
	hint := int8(-1)
	if h := decoders.PortHint(t, c.st.ServerPort); h != decoders.Unknown {
		hint = in.hintBits[h]
	}
	try := func(i int) bool {
		if c.excluded&(1<<i) != 0 {
			return false
		}
		sig := decoders.SignatureAt(i)
		if !sig.Accepts(t) {
			c.excluded |= 1 << i
			return false
		}
		switch a := sig.Inspect(c.st, dir, payload); {
		case a == decoders.Violated:
			c.excluded |= 1 << i
		case a.Named():
			c.named, c.more = int8(i), a == decoders.ConfirmedMore
			c.addProtocol(sig.Protocol())
			if !c.more && !mediaFamily(sig.Protocol()) {
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
	if c.more {
		if a := decoders.SignatureAt(int(c.named)).Inspect(c.st, dir, payload); a != decoders.ConfirmedMore {
			c.more = false
		}
	}
	if !mediaFamily(c.protocol()) {
		if !c.more {
			in.finish(f)
		}
		return
	}
	for i := range decoders.NumSignatures {
		sig := decoders.SignatureAt(i)
		if i == int(c.named) || c.excluded&(1<<i) != 0 || !mediaFamily(sig.Protocol()) || !sig.Accepts(f.Key.Transport) {
			continue
		}
		switch a := sig.Inspect(c.st, dir, payload); {
		case a == decoders.Violated:
			c.excluded |= 1 << i
		case a.Named():
			c.addProtocol(sig.Protocol())
			c.named, c.more = int8(i), a == decoders.ConfirmedMore
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
	m := map[string]string{}
	if d := c.detail; d != nil {
		for _, a := range d.Attrs {
			m[a.Key] = a.Value
		}
		if d.ClientCert != decoders.CertUnknown {
			m["client-cert"] = d.ClientCert.String()
		}
		if d.Media != decoders.MediaUnknown {
			m["media"] = d.Media.String()
		}
	}
	if c.nprotos == 0 && c.evLen > 0 {
		// Both forms: hex is exact, the quoted text is what a person reads
		// ("Microsoft Window…" from a shell on a media port).
		b := c.evidence[:c.evLen]
		m["first-bytes"] = hex.EncodeToString(b)
		q := strconv.QuoteToASCII(string(b))
		m["first-text"] = q[1 : len(q)-1]
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// evidence summarises what a flow's payload showed, in one line: its
// detail, or the first bytes of a payload nobody named.
func evidence(c *classifier) string {
	m := detailMap(c)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(m[k])
	}
	return strings.Join(parts, " ")
}
