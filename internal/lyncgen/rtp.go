package lyncgen

import (
	"encoding/binary"
	"time"
)

// RTCP packet types (RFC 3550 §12.1).
const (
	rtcpSR   = 200
	rtcpSDES = 202
	rtcpBYE  = 203
)

// srtpTagLen is the HMAC-SHA1-80 authentication tag of SRTP and SRTCP
// (AES_CM_128_HMAC_SHA1_80, what Lync negotiates).
const srtpTagLen = 10

// appendRTP writes an RTP fixed header (RFC 3550 §5.1), version 2, no
// padding, extension or CSRCs.
func appendRTP(b []byte, marker bool, pt uint8, seq uint16, ts, ssrc uint32) []byte {
	m := pt & 0x7f
	if marker {
		m |= 0x80
	}
	b = append(b, 0x80, m)
	b = binary.BigEndian.AppendUint16(b, seq)
	b = binary.BigEndian.AppendUint32(b, ts)
	return binary.BigEndian.AppendUint32(b, ssrc)
}

// ntpTime returns t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// appendRTCPSR writes a Sender Report with no report blocks.
func appendRTCPSR(b []byte, ssrc uint32, now time.Time, rtpTS, packets, octets uint32) []byte {
	b = append(b, 0x80, rtcpSR, 0, 6)
	b = binary.BigEndian.AppendUint32(b, ssrc)
	b = binary.BigEndian.AppendUint64(b, ntpTime(now))
	b = binary.BigEndian.AppendUint32(b, rtpTS)
	b = binary.BigEndian.AppendUint32(b, packets)
	return binary.BigEndian.AppendUint32(b, octets)
}

// appendRTCPSDES writes a source description with one CNAME item.
func appendRTCPSDES(b []byte, ssrc uint32, cname string) []byte {
	start := len(b)
	b = append(b, 0x81, rtcpSDES, 0, 0)
	b = binary.BigEndian.AppendUint32(b, ssrc)
	b = append(b, 1, byte(len(cname)))
	b = append(b, cname...)
	b = append(b, 0) // end of the item list
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16((len(b)-start)/4-1))
	return b
}

// appendRTCPBye writes a BYE for one source.
func appendRTCPBye(b []byte, ssrc uint32) []byte {
	b = append(b, 0x81, rtcpBYE, 0, 1)
	return binary.BigEndian.AppendUint32(b, ssrc)
}

// sealSRTCP turns the compound RTCP packet in b into SRTCP (RFC 3711
// §3.4): everything after the first header and sender SSRC is encrypted
// (random bytes here), then come the E flag with the SRTCP index and the
// authentication tag.
func sealSRTCP(r *rng, b []byte, index uint32) []byte {
	r.fill(b[8:])
	b = binary.BigEndian.AppendUint32(b, 0x80000000|index&0x7fffffff)
	return append(b, r.bytes(srtpTagLen)...)
}
