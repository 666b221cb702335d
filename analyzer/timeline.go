package analyzer

import (
	"slices"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/rules"
)

// maxBuckets is how many buckets an automatic timeline keeps at most: when
// the capture runs longer, the buckets double in length, so a timeline
// always fits a chart.
const maxBuckets = 240

// timeline counts packets and bytes per bucket of capture time, per
// protocol and per role of the flow's server. Buckets are aligned to
// multiples of their length since the Unix epoch, so that the timelines of
// several shards (or sensors) line up.
type timeline struct {
	dur   int64 // bucket length, nanoseconds
	fixed bool  // set by the user: never doubled
	first int64 // start of buckets[0]
	b     []tlBucket
	// The bucket the last packet fell in, so that the next one, almost
	// always in the same bucket, costs no division.
	curStart, curIdx int64
}

type tlBucket struct {
	protos     [decoders.NumProtocols]Count
	roles      []roleCount // few: a linear search beats a map
	unanswered uint64      // TCP flows begun here whose server never answered
	oneWay     uint64      // UDP flows begun here whose server never sent
}

type roleCount struct {
	roles rules.RoleSet // 0: the server is not in the inventory
	Count
}

func newTimeline(bucket time.Duration) *timeline {
	if bucket > 0 {
		return &timeline{dur: int64(bucket), fixed: true}
	}
	return &timeline{dur: int64(time.Second)}
}

// bucket returns the bucket capture time ts falls in, growing the
// timeline (and, when automatic, coarsening it) as needed.
func (t *timeline) bucket(ts int64) *tlBucket {
	if len(t.b) > 0 && ts >= t.curStart && ts-t.curStart < t.dur {
		return &t.b[t.curIdx]
	}
	start := ts - ts%t.dur
	if len(t.b) == 0 {
		t.first = start
	}
	for start < t.first {
		t.b = slices.Insert(t.b, 0, tlBucket{})
		t.first -= t.dur
		t.curIdx++
	}
	i := int((start - t.first) / t.dur)
	for i >= maxBuckets && !t.fixed {
		t.coarsen()
		start = ts - ts%t.dur
		i = int((start - t.first) / t.dur)
	}
	for len(t.b) <= i {
		t.b = append(t.b, tlBucket{})
	}
	t.curStart, t.curIdx = start, int64(i)
	return &t.b[i]
}

// coarsen doubles the bucket length, merging buckets in pairs.
func (t *timeline) coarsen() {
	dur := 2 * t.dur
	first := t.first - t.first%dur
	merged := make([]tlBucket, 0, len(t.b)/2+1)
	for i := range t.b {
		j := int((t.first + int64(i)*t.dur - first) / dur)
		for len(merged) <= j {
			merged = append(merged, tlBucket{})
		}
		merged[j].add(&t.b[i])
	}
	t.dur, t.first, t.b = dur, first, merged
	t.curStart, t.curIdx = -1, 0
}

func (b *tlBucket) add(o *tlBucket) {
	for p := range o.protos {
		b.protos[p].Packets += o.protos[p].Packets
		b.protos[p].Bytes += o.protos[p].Bytes
	}
	for _, rc := range o.roles {
		b.count(rc.roles, rc.Packets, rc.Bytes)
	}
	b.unanswered += o.unanswered
	b.oneWay += o.oneWay
}

func (b *tlBucket) count(r rules.RoleSet, packets, bytes uint64) {
	for i := range b.roles {
		if b.roles[i].roles == r {
			b.roles[i].Packets += packets
			b.roles[i].Bytes += bytes
			return
		}
	}
	b.roles = append(b.roles, roleCount{r, Count{packets, bytes}})
}

// packet counts one packet of flow f.
func (t *timeline) packet(f *Flow, ts int64, wire int) {
	b := t.bucket(ts)
	c := &b.protos[f.class.protocol()]
	c.Packets++
	c.Bytes += uint64(wire)
	b.count(serverRoles(f), 1, uint64(wire))
}

// flow counts every packet of f so far, in the bucket of its first packet.
func (t *timeline) flow(f *Flow) {
	b := t.bucket(f.first())
	p := f.dir[0].packets + f.dir[1].packets
	by := f.dir[0].bytes + f.dir[1].bytes
	c := &b.protos[f.class.protocol()]
	c.Packets += p
	c.Bytes += by
	b.count(serverRoles(f), p, by)
}

// serverRoles returns the inventory roles of f's server; none outside it.
func serverRoles(f *Flow) rules.RoleSet {
	if h := f.hosts[f.server]; h != nil {
		return h.Roles
	}
	return 0
}

// ended notes a flow that has ended: a TCP connection its server never
// answered (or only refused) counts in the bucket it was tried in, the
// mark of a firewall that drops or a service that is down, and so does a
// UDP flow its server never sent on (media a firewall lets through one
// way only).
func (t *timeline) ended(f *Flow) {
	switch {
	case f.Key.Transport == decoders.TCP && !f.answered():
		t.bucket(f.first()).unanswered++
	case f.Key.Transport == decoders.UDP && f.dir[f.server].packets == 0:
		t.bucket(f.first()).oneWay++
	}
}

// absorb adds another shard's timeline.
func (t *timeline) absorb(o *timeline) {
	for o.dur < t.dur {
		o.coarsen()
	}
	for t.dur < o.dur {
		t.coarsen()
	}
	for i := range o.b {
		t.bucket(o.first + int64(i)*o.dur).add(&o.b[i])
	}
}

// Count is packets and bytes.
type Count struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// Timeline is the capture cut into buckets of equal length.
type Timeline struct {
	Bucket        string   `json:"bucket"` // length, as a Go duration ("1m0s")
	BucketSeconds float64  `json:"bucket_seconds"`
	Buckets       []Bucket `json:"buckets"`
}

// Bucket is one stretch of capture time.
type Bucket struct {
	Start     time.Time        `json:"start"`
	Packets   uint64           `json:"packets"`
	Bytes     uint64           `json:"bytes"`
	Protocols map[string]Count `json:"protocols"` // by the flow's protocol
	Roles     map[string]Count `json:"roles"`     // by the roles of the flow's server, "+"-joined; "none" outside the inventory
	// Unanswered counts the TCP connections tried in this bucket that
	// their server never answered, or only refused (Zeek's S0 and REJ).
	Unanswered uint64 `json:"unanswered"`
	// OneWay counts the UDP flows begun in this bucket that their server
	// never sent on: media a firewall passes one way, or a capture point
	// that sees one direction only.
	OneWay   uint64 `json:"one_way"`
	Findings []int  `json:"findings"` // indexes into the report's findings that started in this bucket
}

// report renders the timeline, attaching each finding with a first-seen
// time to the bucket it started in.
func (t *timeline) report(findings []Finding) *Timeline {
	out := &Timeline{Bucket: time.Duration(t.dur).String(), BucketSeconds: float64(t.dur) / 1e9, Buckets: []Bucket{}}
	for i := range t.b {
		b := &t.b[i]
		rb := Bucket{Start: nanoTime(t.first + int64(i)*t.dur), Protocols: map[string]Count{}, Roles: map[string]Count{}, Findings: []int{}, Unanswered: b.unanswered, OneWay: b.oneWay}
		for p, c := range b.protos {
			if c.Packets > 0 {
				rb.Protocols[decoders.Protocol(p).String()] = c
				rb.Packets += c.Packets
				rb.Bytes += c.Bytes
			}
		}
		for _, rc := range b.roles {
			name := "none"
			if rc.roles != 0 {
				name = joinRoles(rc.roles)
			}
			rb.Roles[name] = rc.Count
		}
		out.Buckets = append(out.Buckets, rb)
	}
	for i, f := range findings {
		if f.FirstSeen.IsZero() || len(out.Buckets) == 0 {
			continue
		}
		j := int((f.FirstSeen.UnixNano() - t.first) / t.dur)
		if j >= 0 && j < len(out.Buckets) {
			out.Buckets[j].Findings = append(out.Buckets[j].Findings, i)
		}
	}
	return out
}

// joinRoles names a role set as the timeline's roles do: "frontend+mediation".
func joinRoles(r rules.RoleSet) string { return strings.Join(roleIDs(r), "+") }
