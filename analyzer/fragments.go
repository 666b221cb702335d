package analyzer

import (
	"net/netip"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// fragKey names one fragmented IP datagram.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    decoders.Transport
}

type fragEntry struct {
	src, dst uint16 // ports from the first fragment
	seen     int64  // capture time of the latest fragment
}

// fragments remembers the ports of datagrams whose first fragment has been
// seen, so that later fragments (which carry no transport header) count
// towards the right flow. Fragments are not reassembled: signatures only
// need the start of a datagram, which the first fragment holds.
type fragments struct {
	m      map[fragKey]fragEntry
	max    int
	expiry int64
}

const fragTimeout = 30e9 // RFC 791 suggests 15 s; Linux keeps 30 s

func newFragments(max int) *fragments {
	return &fragments{m: make(map[fragKey]fragEntry), max: max}
}

// resolve fills in p's ports when p is a fragment. It reports false for a
// later fragment whose first fragment was not seen.
func (fr *fragments) resolve(p *decoders.Packet, now int64) bool {
	k := fragKey{src: p.Src, dst: p.Dst, id: p.Fragment.ID, proto: p.Transport}
	if p.Fragment.First() {
		if p.Fragment.More {
			fr.sweep(now)
			if len(fr.m) < fr.max {
				fr.m[k] = fragEntry{src: p.SrcPort, dst: p.DstPort, seen: now}
			}
		}
		return true
	}
	e, ok := fr.m[k]
	if !ok {
		return false
	}
	p.SrcPort, p.DstPort = e.src, e.dst
	if p.Fragment.More {
		e.seen = now
		fr.m[k] = e
	} else {
		delete(fr.m, k)
	}
	return true
}

// sweep drops datagrams not completed within fragTimeout, at most once per
// second of capture time.
func (fr *fragments) sweep(now int64) {
	if now-fr.expiry < 1e9 {
		return
	}
	fr.expiry = now
	for k, e := range fr.m {
		if now-e.seen > fragTimeout {
			delete(fr.m, k)
		}
	}
}
