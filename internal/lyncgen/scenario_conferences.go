package lyncgen

import (
	"time"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// Why lines of the conferencing flows.
const (
	whyFE8057 = "Table 1 row 7: Front End 8057 TCP (TLS), PSOM from clients"
	whyFE5062 = "Table 1 row 6: Front End 5062 TCP, IM Conferencing"
	whyFE5063 = "Table 1 row 9: Front End 5063 TCP, A/V Conferencing"
)

// The shortest and longest conference, and the gap between the starts of
// two.
const (
	minConference = 15 * time.Second
	maxConference = 45 * time.Second
	minConfGap    = 20 * time.Second
	maxConfGap    = 30 * time.Second
)

// conferencer starts a conference every 20 to 30 seconds over the
// capture's span, each with its own random stream, for an incident to
// have conferences on both sides of the change.
type conferencer struct {
	r  *rng
	at time.Duration
	i  int
}

func newConferencer(g *gen) *conferencer {
	c := &conferencer{r: newRNG(g.o.Seed, 5)}
	c.at = c.r.dur(2*time.Second, 12*time.Second)
	if c.at+minConference >= g.o.Duration {
		c.at = never
	}
	return c
}

func (c *conferencer) next() time.Duration { return c.at }

func (c *conferencer) step(g *gen) error {
	g.conference(newRNG(g.o.Seed, 2<<32+uint64(c.i)), c.at)
	c.i++
	c.at += c.r.dur(minConfGap, maxConfGap)
	if c.at+minConference >= g.o.Duration {
		c.at = never
	}
	return nil
}

// conference is a client joining a meeting on one of the Front Ends at
// t0 and leaving before the capture's span ends: the A/V Conferencing
// service's SIP dialog on 5063 and the conference audio it sets up, the
// IM Conferencing dialog on 5062, and the web conference's PSOM channel
// on 8057, all over TLS.
func (g *gen) conference(r *rng, t0 time.Duration) {
	n := g.net
	cl := n.clients[r.intn(len(n.clients))]
	fe := n.fe[r.intn(len(n.fe))]
	end := min(t0+r.dur(minConference, maxConference), g.o.Duration-time.Second)

	g.confSIP(r, cl, fe, 5063, t0, end, 0, expected(decoders.TLS, "tls (sip, a/v conferencing), no client certificate, sni "+poolFQDN, whyFE5063))
	audio := t0 + r.dur(400*time.Millisecond, time.Second)
	g.media(r, cl, cl.audio.take(), fe, fe.audio.take(),
		expected(decoders.RTP, "srtp pt=114 rtaudio, rtcp-mux (conference audio)", whyFEAudio),
		mediaSpec{codec: &codecRTAudio, srtp: true, vad: true, mux: true, start: audio, end: end})
	im := t0 + r.dur(50*time.Millisecond, 300*time.Millisecond)
	g.confSIP(r, cl, fe, 5062, im, end, r.between(2, 5), expected(decoders.TLS, "tls (sip, im conferencing), no client certificate, sni "+poolFQDN, whyFE5062))
	g.confPSOM(r, cl, fe, t0+r.dur(500*time.Millisecond, 2*time.Second), end)
}

// confSIP is a client's SIP dialog with a conferencing service of a Front
// End, inside TLS: INVITE, 200 OK and ACK, then messages (instant
// messages both ways, for IM conferencing), then BYE and 200 OK when the
// client leaves at end, and the close.
func (g *gen) confSIP(r *rng, cl, fe *host, port uint16, at, end time.Duration, messages int, v verdict) {
	c := &conv{}
	tlsSession{sni: poolFQDN, server: fakeCertificate(r, fe.fqdn(), poolFQDN, fe.fqdn())}.handshake(c, r)
	c.sealed(r, c2s, r.dur(time.Millisecond, 5*time.Millisecond), r.between(1400, 2600)) // INVITE with its SDP
	c.sealed(r, s2c, r.dur(20*time.Millisecond, 120*time.Millisecond), r.between(1200, 2400))
	c.sealed(r, c2s, r.dur(time.Millisecond, 10*time.Millisecond), r.between(350, 500)) // ACK
	for range messages {
		from := r.intn(2)
		c.sealed(r, from, r.dur(2*time.Second, 8*time.Second), r.between(500, 900))
		c.sealed(r, 1-from, r.dur(2*time.Millisecond, 15*time.Millisecond), r.between(300, 450))
	}
	leave := max(end-at-c.elapsed(), 100*time.Millisecond)
	c.sealed(r, c2s, leave, r.between(400, 600)) // BYE
	c.sealed(r, s2c, r.dur(2*time.Millisecond, 15*time.Millisecond), r.between(300, 450))
	c.end(CloseFIN, c2s, r.dur(100*time.Millisecond, 500*time.Millisecond))
	g.tcpWith(r, cl, fe, port, at, v, c)
}

// confPSOM is the web conference's data channel: PSOM inside TLS to
// 8057, the content's updates every few seconds until end.
func (g *gen) confPSOM(r *rng, cl, fe *host, at, end time.Duration) {
	c := &conv{}
	tlsSession{sni: poolFQDN, server: fakeCertificate(r, fe.fqdn(), poolFQDN, fe.fqdn())}.handshake(c, r)
	for {
		gap := r.dur(2*time.Second, 8*time.Second)
		if at+c.elapsed()+gap >= end {
			break
		}
		c.sealed(r, c2s, gap, r.between(100, 400))
		c.sealed(r, s2c, r.dur(2*time.Millisecond, 20*time.Millisecond), r.between(150, 900))
	}
	c.end(CloseFIN, c2s, max(end-at-c.elapsed(), 50*time.Millisecond))
	g.tcpWith(r, cl, fe, 8057, at, expected(decoders.TLS, "tls (psom, web conferencing), no client certificate, sni "+poolFQDN, whyFE8057), c)
}
