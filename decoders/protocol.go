package decoders

import "strings"

// Transport is the IP protocol number of a flow's transport: TCP or UDP.
type Transport uint8

// The transports lyncaudit follows.
const (
	TCP Transport = 6
	UDP Transport = 17
)

// String returns "tcp" or "udp", as in inventories and reports.
func (t Transport) String() string {
	switch t {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return "ip-proto-" + itoa(int(t))
}

// ParseTransport returns the transport named s ("tcp" or "udp", any case).
func ParseTransport(s string) (Transport, bool) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCP, true
	case "udp":
		return UDP, true
	}
	return 0, false
}

// Protocol is what a flow's payload says it carries. The zero value is
// Unknown: a flow no signature has named (yet).
type Protocol uint8

// The protocols lyncaudit names. Their string forms are stable: they appear
// in JSON reports and in the catalog's expect lines.
const (
	Unknown      Protocol = iota
	TLS                   // TLS over TCP (SIP/TLS, HTTPS, PSOM, MTLS alike until told apart)
	DTLS                  // DTLS over UDP
	SIP                   // SIP in clear text, over UDP or TCP
	STUN                  // STUN/TURN (RFC 5389/8489, RFC 3489)
	MSTURN                // Microsoft's TURN dialect and its pseudo-TLS framing on TCP 443
	RTP                   // RTP or SRTP media
	RTCP                  // RTCP or SRTCP only
	HTTP                  // HTTP/1.x in clear text
	HTTP2                 // HTTP/2 with the cleartext preface
	DCERPC                // DCE/RPC connection-oriented (DCOM, RPC endpoint mapper)
	NetTCP                // .NET Message Framing (WCF net.tcp)
	SQLBrowser            // SQL Server Resolution Protocol (UDP 1434)
	TDS                   // SQL Server Tabular Data Stream
	DHCP                  // DHCP/BOOTP
	DNS                   // DNS over UDP or TCP
	NumProtocols          // how many protocols the vocabulary has
)

var protocolNames = [NumProtocols]string{
	Unknown:    "unknown",
	TLS:        "tls",
	DTLS:       "dtls",
	SIP:        "sip",
	STUN:       "stun",
	MSTURN:     "ms-turn",
	RTP:        "rtp",
	RTCP:       "rtcp",
	HTTP:       "http",
	HTTP2:      "http2",
	DCERPC:     "dcerpc",
	NetTCP:     "net.tcp",
	SQLBrowser: "sql-browser",
	TDS:        "tds",
	DHCP:       "dhcp",
	DNS:        "dns",
}

// String returns the protocol's stable name, such as "tls" or "ms-turn".
func (p Protocol) String() string {
	if p < NumProtocols {
		return protocolNames[p]
	}
	return "protocol-" + itoa(int(p))
}

// ParseProtocol returns the protocol whose name is s.
func ParseProtocol(s string) (Protocol, bool) {
	s = strings.ToLower(s)
	for p, name := range protocolNames {
		if name == s {
			return Protocol(p), true
		}
	}
	return Unknown, false
}

// Protocols returns every protocol in the vocabulary, Unknown first.
func Protocols() []Protocol {
	ps := make([]Protocol, NumProtocols)
	for i := range ps {
		ps[i] = Protocol(i)
	}
	return ps
}

// itoa avoids strconv for the rare out-of-range String cases.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
