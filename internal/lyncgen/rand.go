package lyncgen

import "time"

// rng is a small splitmix64 generator. The generator keeps its own rather
// than math/rand so that a seed gives the same bytes with every Go release:
// the committed sample is compared byte for byte with a fresh generation.
type rng struct{ s uint64 }

// newRNG returns a generator for one stream of a seed. Streams let every
// flow draw its own numbers, so adding a flow does not reshuffle the others.
func newRNG(seed int64, stream uint64) *rng {
	r := &rng{s: uint64(seed) ^ 0x6c796e6361756469}
	r.s += stream * 0x9e3779b97f4a7c15
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int {
	return int((r.next() >> 1) % uint64(n))
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// chance reports true with probability p.
func (r *rng) chance(p float64) bool {
	return float64(r.next()>>11)/(1<<53) < p
}

// dur returns a duration in [lo, hi], rounded to whole microseconds so that
// pcap (microsecond) and pcapng (nanosecond) files carry the same times.
func (r *rng) dur(lo, hi time.Duration) time.Duration {
	a, b := int(lo/time.Microsecond), int(hi/time.Microsecond)
	return time.Duration(r.between(a, b)) * time.Microsecond
}

// u16 and u32 return uniformly random values.
func (r *rng) u16() uint16 { return uint16(r.next() >> 48) }
func (r *rng) u32() uint32 { return uint32(r.next() >> 32) }

// fill writes random bytes into b.
func (r *rng) fill(b []byte) {
	for len(b) >= 8 {
		v := r.next()
		b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		b[4], b[5], b[6], b[7] = byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56)
		b = b[8:]
	}
	if len(b) > 0 {
		v := r.next()
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
	}
}

// bytes returns n fresh random bytes.
func (r *rng) bytes(n int) []byte {
	b := make([]byte, n)
	r.fill(b)
	return b
}

const hexDigits = "0123456789abcdef"

// hex returns n random lowercase hex digits.
func (r *rng) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[r.intn(16)]
	}
	return string(b)
}

// guid returns a random GUID in its textual form.
func (r *rng) guid() string {
	h := r.hex(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
