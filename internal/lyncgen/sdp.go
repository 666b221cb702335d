package lyncgen

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
)

// sdpG711 returns the SDP of a PSTN gateway or Mediation Server for plain
// RTP audio: G.711 µ-law and A-law, DTMF events and comfort noise, with
// RTCP on the next port.
func sdpG711(r *rng, user string, addr netip.Addr, port uint16) string {
	id := r.between(100000000, 999999999)
	lines := []string{
		"v=0",
		fmt.Sprintf("o=%s %d %d IN IP4 %s", user, id, id+1, addr),
		"s=Phone-Call",
		"c=IN IP4 " + addr.String(),
		"t=0 0",
		fmt.Sprintf("m=audio %d RTP/AVP 0 8 101 13", port),
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-15",
		"a=rtpmap:13 CN/8000",
		"a=ptime:20",
		fmt.Sprintf("a=rtcp:%d", port+1),
		"a=sendrecv",
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// sdpGatewayFull returns the large offer a gateway sends when it is set
// to offer every codec, SRTP keys and T.38 fax: over 1 KB of SDP.
func sdpGatewayFull(r *rng, addr netip.Addr, port uint16) string {
	key := func() string { return base64.StdEncoding.EncodeToString(r.bytes(30)) }
	id := r.between(100000000, 999999999)
	lines := []string{
		"v=0",
		fmt.Sprintf("o=AudiocodesGW %d %d IN IP4 %s", id, id-99, addr),
		"s=Phone-Call",
		"c=IN IP4 " + addr.String(),
		"t=0 0",
		fmt.Sprintf("m=audio %d RTP/SAVP 0 8 18 9 4 3 101 13", port),
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:18 G729/8000",
		"a=fmtp:18 annexb=no",
		"a=rtpmap:9 G722/8000",
		"a=rtpmap:4 G723/8000",
		"a=fmtp:4 annexa=no",
		"a=rtpmap:3 GSM/8000",
		"a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-15",
		"a=rtpmap:13 CN/8000",
		"a=ptime:20",
		"a=maxptime:40",
		"a=sendrecv",
		fmt.Sprintf("a=rtcp:%d", port+1),
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key() + "|2^31|1:1",
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + key() + "|2^31|1:1",
		"a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" + key() + "|2^31 UNENCRYPTED_SRTCP",
		fmt.Sprintf("m=image %d udptl t38", port+2),
		"a=T38FaxVersion:0",
		"a=T38MaxBitRate:14400",
		"a=T38FaxRateManagement:transferredTCF",
		"a=T38FaxMaxBuffer:1024",
		"a=T38FaxMaxDatagram:238",
		"a=T38FaxUdpEC:t38UDPRedundancy",
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}
