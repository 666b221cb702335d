package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// timelineCols is the widest a text timeline draws: longer timelines merge
// neighbouring buckets into one column.
const timelineCols = 72

// timelineRows is how many protocols the text timeline draws besides the
// total, the busiest first.
const timelineRows = 5

// sparks are the eight heights of a column; a column with no packet is blank.
var sparks = []rune("▁▂▃▄▅▆▇█")

// writeTimeline draws the report's timeline as one sparkline of packets per
// row (all traffic, then the busiest protocols, each scaled to its own
// peak), and a row marking the columns in which findings started.
func writeTimeline(b *strings.Builder, st *styles, r *analyzer.Report) {
	tl := r.Timeline
	if tl == nil || len(tl.Buckets) == 0 {
		return
	}
	per := (len(tl.Buckets) + timelineCols - 1) / timelineCols
	cols := (len(tl.Buckets) + per - 1) / per
	colDur := time.Duration(float64(per) * tl.BucketSeconds * float64(time.Second))
	first := tl.Buckets[0].Start.UTC()
	end := first.Add(time.Duration(cols) * colDur)
	fmt.Fprintf(b, "\n%s %s\n", st.title.Render("Timeline:"), st.dim.Render(fmt.Sprintf("%s → %s UTC, a column is %s, packets scaled per row; %s marks new findings",
		first.Format("2006-01-02 15:04:05"), end.Format("15:04:05"), colDur, "▲")))

	rows := []string{"all"}
	rows = append(rows, busiestProtocols(tl, timelineRows)...)
	for _, name := range rows {
		vals := make([]uint64, cols)
		for i, bk := range tl.Buckets {
			if name == "all" {
				vals[i/per] += bk.Packets
			} else {
				vals[i/per] += bk.Protocols[name].Packets
			}
		}
		fmt.Fprintf(b, "  %-12s %s %s\n", escape(name), sparkline(vals), st.dim.Render("peak "+count(slices.Max(vals))))
	}
	unanswered, oneWay := make([]uint64, cols), make([]uint64, cols)
	for i, bk := range tl.Buckets {
		unanswered[i/per] += bk.Unanswered
		oneWay[i/per] += bk.OneWay
	}
	if peak := slices.Max(unanswered); peak > 0 {
		fmt.Fprintf(b, "  %-12s %s %s\n", "unanswered", st.warn.Render(sparkline(unanswered)), st.dim.Render("TCP connections never answered, peak "+count(peak)))
	}
	if peak := slices.Max(oneWay); peak > 0 {
		fmt.Fprintf(b, "  %-12s %s %s\n", "one-way", st.warn.Render(sparkline(oneWay)), st.dim.Render("UDP flows the server never sent on, peak "+count(peak)))
	}
	marks := make([]int, cols)
	var n int
	for i, bk := range tl.Buckets {
		marks[i/per] += len(bk.Findings)
		n += len(bk.Findings)
	}
	if n > 0 {
		line := make([]rune, cols)
		for i, m := range marks {
			line[i] = ' '
			if m > 0 {
				line[i] = '▲'
			}
		}
		fmt.Fprintf(b, "  %-12s %s %s\n", "findings", st.unexpected.Render(string(line)), st.dim.Render(plural(uint64(n), "finding")))
	}
}

// busiestProtocols returns up to n protocol names by packets over the timeline.
func busiestProtocols(tl *analyzer.Timeline, n int) []string {
	total := map[string]uint64{}
	for _, bk := range tl.Buckets {
		for p, c := range bk.Protocols {
			total[p] += c.Packets
		}
	}
	names := make([]string, 0, len(total))
	for p := range total {
		names = append(names, p)
	}
	slices.SortFunc(names, func(a, b string) int {
		if total[a] != total[b] {
			if total[a] > total[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return names[:min(n, len(names))]
}

// sparkline draws vals scaled to their largest; any non-zero value shows.
func sparkline(vals []uint64) string {
	peak := slices.Max(vals)
	var s strings.Builder
	for _, v := range vals {
		if v == 0 {
			s.WriteRune(' ')
			continue
		}
		s.WriteRune(sparks[(v*uint64(len(sparks)-1)+peak-1)/peak])
	}
	return s.String()
}
