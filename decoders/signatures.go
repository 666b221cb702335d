package decoders

// signatures lists every payload signature once, in the order they are
// tried after the port guess: the most specific first, so that a weak
// signature (RTP, whose first byte many binary protocols share) only
// gets a flow the strong ones gave up on.
var signatures = [...]Signature{
	tlsSig{},
	msturnSig{},
	sipSig{},
	httpSig{},
	http2Sig{},
	dcerpcSig{},
	nettcpSig{},
	tdsSig{},
	stunSig{},
	dtlsSig{},
	dhcpSig{},
	dnsSig{},
	sqlBrowserSig{},
	rtpSig{},
	rtcpSig{},
}

// NumSignatures is how many signatures Signature(i) serves.
const NumSignatures = len(signatures)

// SignatureAt returns the i-th signature in trial order.
func SignatureAt(i int) Signature { return signatures[i] }

// portHints maps well-known server ports to the protocol usually found
// there. A hint only decides which signature is tried first; the payload
// must still confirm it.
var portHints = map[uint16]Protocol{
	53: DNS, 67: DHCP, 68: DHCP, 80: HTTP, 135: DCERPC, 443: TLS, 444: TLS,
	1433: TDS, 1434: SQLBrowser, 3478: STUN, 4443: TLS, 5060: SIP, 5061: TLS, 8057: TLS,
	8058: TLS, 8080: HTTP, 808: NetTCP, 5041: TLS, 5062: TLS, 5063: TLS, 5064: TLS, 5065: TLS,
	5067: TLS, 5068: SIP, 5070: TLS, 5071: TLS, 5072: TLS, 5073: TLS, 5075: TLS, 5076: TLS,
	5080: NetTCP, 5081: SIP, 5082: TLS, 5086: TLS, 5087: TLS, 8060: TLS, 8061: TLS, 8404: TLS,
	881: TLS, 448: NetTCP,
}

// PortHint returns the protocol a server port suggests, or Unknown.
func PortHint(t Transport, port uint16) Protocol {
	p := portHints[port]
	if t == UDP && (p == TLS || p == HTTP || p == DCERPC || p == TDS || p == NetTCP) {
		return Unknown
	}
	if t == TCP && (p == DHCP || p == SQLBrowser) {
		return Unknown
	}
	return p
}

// SignatureFor returns the index of the first signature naming p, or -1.
func SignatureFor(p Protocol) int {
	for i, s := range signatures {
		if s.Protocol() == p {
			return i
		}
	}
	return -1
}
