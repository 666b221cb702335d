package analyzer

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
	"github.com/lyncaudit/lyncaudit/internal/lyncgen"
	"github.com/lyncaudit/lyncaudit/rules"
)

// put counts one packet of wire bytes at ts under protocol p.
func (t *timeline) put(ts int64, p decoders.Protocol, wire uint64) {
	b := t.bucket(ts)
	b.protos[p].Packets++
	b.protos[p].Bytes += wire
	b.count(0, 1, wire)
}

func (t *timeline) packets() (n uint64) {
	for i := range t.b {
		for _, c := range t.b[i].protos {
			n += c.Packets
		}
	}
	return n
}

func TestTimelineBuckets(t *testing.T) {
	sec := int64(time.Second)
	t.Run("aligned to the bucket length, growing both ways", func(t *testing.T) {
		tl := newTimeline(10 * time.Second)
		tl.put(1005*sec, decoders.SIP, 100)
		tl.put(1019*sec, decoders.SIP, 100)
		tl.put(995*sec, decoders.RTP, 50) // earlier than the first bucket
		tl.put(1040*sec, decoders.RTP, 50)
		if tl.first != 990*sec || len(tl.b) != 6 {
			t.Fatalf("first %d s, %d buckets; want 990 s, 6", tl.first/sec, len(tl.b))
		}
		want := []uint64{1, 1, 1, 0, 0, 1}
		for i, w := range want {
			var n uint64
			for _, c := range tl.b[i].protos {
				n += c.Packets
			}
			if n != w {
				t.Errorf("bucket %d: %d packets, want %d", i, n, w)
			}
		}
	})
	t.Run("automatic buckets double to stay under the cap", func(t *testing.T) {
		tl := newTimeline(0)
		for s := int64(0); s < 1000; s++ {
			tl.put((5000+s)*sec, decoders.RTP, 1)
		}
		if len(tl.b) > maxBuckets {
			t.Errorf("%d buckets, more than %d", len(tl.b), maxBuckets)
		}
		if tl.dur != 8*sec {
			t.Errorf("bucket %v, want 8s for 1000 s of capture", time.Duration(tl.dur))
		}
		if tl.first%tl.dur != 0 {
			t.Errorf("first bucket at %d is not aligned to %v", tl.first, time.Duration(tl.dur))
		}
		if n := tl.packets(); n != 1000 {
			t.Errorf("%d packets after coarsening, want 1000", n)
		}
	})
	t.Run("a fixed bucket is never coarsened", func(t *testing.T) {
		tl := newTimeline(time.Second)
		for s := int64(0); s < 2*maxBuckets; s++ {
			tl.put(s*sec, decoders.RTP, 1)
		}
		if tl.dur != sec || len(tl.b) != 2*maxBuckets {
			t.Errorf("bucket %v × %d, want 1s × %d", time.Duration(tl.dur), len(tl.b), 2*maxBuckets)
		}
	})
	t.Run("absorbing a coarser timeline coarsens to it", func(t *testing.T) {
		a, b := newTimeline(time.Second), newTimeline(4*time.Second)
		a.put(101*sec, decoders.SIP, 10)
		a.put(103*sec, decoders.SIP, 10)
		b.put(106*sec, decoders.SIP, 10)
		a.absorb(b)
		if a.dur != 4*sec {
			t.Fatalf("bucket %v, want 4s", time.Duration(a.dur))
		}
		got := []uint64{a.b[0].protos[decoders.SIP].Packets, a.b[1].protos[decoders.SIP].Packets}
		if a.first != 100*sec || got[0] != 2 || got[1] != 1 {
			t.Errorf("first %d s, SIP %v; want 100 s, [2 1]", a.first/sec, got)
		}
	})
}

// TestSampleTimeline checks the timeline against the flows of the same
// report: every packet of every flow is in exactly one bucket, under the
// roles of its server, and every finding with a time is marked in the
// bucket it started in.
func TestSampleTimeline(t *testing.T) {
	rep, truth := analyzeGenerated(t, lyncgen.SampleOptions())
	tl := rep.Timeline
	if tl == nil || len(tl.Buckets) == 0 {
		t.Fatal("the report has no timeline")
	}
	var packets, bytes uint64
	byRole := map[string]uint64{}
	for _, b := range tl.Buckets {
		var pp, pb uint64
		for _, c := range b.Protocols {
			pp += c.Packets
			pb += c.Bytes
		}
		if pp != b.Packets || pb != b.Bytes {
			t.Errorf("bucket %s: protocols add to %d packets %d bytes, the bucket says %d, %d", b.Start, pp, pb, b.Packets, b.Bytes)
		}
		var rp uint64
		for role, c := range b.Roles {
			rp += c.Packets
			byRole[role] += c.Packets
		}
		if rp != b.Packets {
			t.Errorf("bucket %s: roles add to %d packets, the bucket says %d", b.Start, rp, b.Packets)
		}
		packets += b.Packets
		bytes += b.Bytes
	}
	wantP, wantB := truth.Totals()
	if packets != uint64(wantP) || bytes != uint64(wantB) {
		t.Errorf("timeline holds %d packets %d bytes, the capture's flows %d, %d", packets, bytes, wantP, wantB)
	}

	inv, err := rules.ParseInventory(strings.NewReader(lyncgen.Inventory(lyncgen.SampleOptions())), "sample.inventory")
	if err != nil {
		t.Fatal(err)
	}
	wantRole := map[string]uint64{}
	for _, f := range rep.Flows {
		r := "none"
		if h := inv.Lookup(netip.MustParseAddr(f.Server)); h != nil {
			r = joinRoles(h.Roles)
		}
		wantRole[r] += f.Packets
	}
	for r, n := range wantRole {
		if byRole[r] != n {
			t.Errorf("role %s: %d packets in the timeline, its servers' flows have %d", r, byRole[r], n)
		}
	}

	dur := time.Duration(tl.BucketSeconds * 1e9)
	marked := map[int]bool{}
	for _, b := range tl.Buckets {
		for _, i := range b.Findings {
			f := rep.Findings[i]
			if f.FirstSeen.Before(b.Start) || !f.FirstSeen.Before(b.Start.Add(dur)) {
				t.Errorf("finding %d (%s %s/%s) started %s, marked in the bucket of %s", i, f.Kind, f.Port, f.Transport, f.FirstSeen, b.Start)
			}
			marked[i] = true
		}
	}
	for i, f := range rep.Findings {
		if !f.FirstSeen.IsZero() && !marked[i] {
			t.Errorf("finding %d (%s %s/%s, started %s) is in no bucket", i, f.Kind, f.Port, f.Transport, f.FirstSeen)
		}
	}
}

// TestWindow analyses the middle third of the sample: flows outside it are
// gone, the frames outside it are counted, and the timeline stays inside.
func TestWindow(t *testing.T) {
	o := lyncgen.SampleOptions()
	since, until := o.Start.Add(20*time.Second), o.Start.Add(40*time.Second)
	whole, truth := analyzeGenerated(t, o)
	cfg := NewConfig()
	cfg.Since, cfg.Until, cfg.Bucket = since, until, 5*time.Second
	rep, _ := analyzeGeneratedWith(t, o, cfg)

	if rep.Window == nil || !rep.Window.Since.Equal(since) || !rep.Window.Until.Equal(until) {
		t.Errorf("window %+v, want %s – %s", rep.Window, since, until)
	}
	var inside uint64
	for _, b := range rep.Timeline.Buckets {
		if b.Start.Before(since) || !b.Start.Before(until) {
			t.Errorf("bucket %s outside the window", b.Start)
		}
		inside += b.Packets
	}
	if len(rep.Timeline.Buckets) != 4 {
		t.Errorf("%d buckets of 5 s in a 20 s window, want 4", len(rep.Timeline.Buckets))
	}
	if got := inside + rep.Totals.OutsideWindow; got != whole.Totals.Packets-sumUndecodable(whole) {
		t.Errorf("%d packets inside + %d outside the window = %d, the whole capture decodes %d",
			inside, rep.Totals.OutsideWindow, got, whole.Totals.Packets-sumUndecodable(whole))
	}
	for _, f := range rep.Flows {
		if f.FirstSeen.Before(since) || !f.LastSeen.Before(until) {
			t.Errorf("flow %s:%d → %s:%d seen %s – %s, outside the window", f.Client, f.ClientPort, f.Server, f.ServerPort, f.FirstSeen, f.LastSeen)
		}
	}
	var crossing int
	for _, f := range truth.Flows {
		if f.Packets > 0 && f.Last.Before(since) {
			crossing++
		}
	}
	if crossing == 0 || len(rep.Flows) >= len(whole.Flows) {
		t.Errorf("the window kept %d of %d flows; %d end before it", len(rep.Flows), len(whole.Flows), crossing)
	}
}

func sumUndecodable(r *Report) (n uint64) {
	for _, c := range r.Totals.Undecodable {
		n += c
	}
	return n
}

// TestIncidentTimeline analyses ten minutes with a firewall change at five
// that blocks conferencing: every minute after it shows the refused
// connections, none before it does, and each minute counts exactly the
// connections the generator left unanswered in it.
func TestIncidentTimeline(t *testing.T) {
	o := lyncgen.IncidentOptions()
	cfg := NewConfig()
	cfg.Bucket = time.Minute
	rep, truth := analyzeGeneratedWith(t, o, cfg)
	change := o.Start.Add(o.Duration / 2)

	want := map[time.Time]uint64{}
	for _, f := range truth.Flows {
		if f.Close == lyncgen.CloseSYNOnly {
			want[f.First.Truncate(time.Minute)]++
		}
	}
	buckets := rep.Timeline.Buckets
	if len(buckets) != 10 {
		t.Fatalf("%d buckets of a minute over ten minutes", len(buckets))
	}
	for _, b := range buckets {
		if b.Unanswered != want[b.Start] {
			t.Errorf("%s: %d unanswered connections, the generator left %d", b.Start.Format("15:04"), b.Unanswered, want[b.Start])
		}
		blocked := 0
		for _, f := range truth.Flows {
			if f.Blocked && f.Close == lyncgen.CloseSYNOnly && f.First.Truncate(time.Minute).Equal(b.Start) {
				blocked++
			}
		}
		if after := !b.Start.Before(change); after != (blocked > 0) {
			t.Errorf("%s (change at %s): %d refused conferencing connections", b.Start.Format("15:04"), change.Format("15:04"), blocked)
		}
		// After the change the conference media the clients start goes
		// one way: each such flow, and no other, is counted.
		oneWay := uint64(0)
		for _, f := range truth.Flows {
			if f.Transport == decoders.UDP && f.Blocked && !f.First.Before(change) && f.First.Truncate(time.Minute).Equal(b.Start) {
				oneWay++
			}
		}
		if !b.Start.Before(change) && b.OneWay != oneWay {
			t.Errorf("%s: %d one-way UDP flows, the generator blocked %d", b.Start.Format("15:04"), b.OneWay, oneWay)
		}
	}
}
