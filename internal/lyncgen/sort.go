package lyncgen

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// sortDgrams puts datagrams in time order, keeping the order of equal times.
func sortDgrams(d []dgram) {
	slices.SortStableFunc(d, func(a, b dgram) int { return cmp.Compare(a.at, b.at) })
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

// expRand returns an exponentially distributed number of mean 1.
func expRand(r *rng) float64 {
	u := (float64(r.next()>>11) + 0.5) / (1 << 53)
	return -math.Log(u)
}
