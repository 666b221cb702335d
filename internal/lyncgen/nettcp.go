package lyncgen

// .NET Message Framing record types ([MC-NMF] §2.2).
const (
	nmfVersion         = 0x00
	nmfMode            = 0x01
	nmfVia             = 0x02
	nmfKnownEncoding   = 0x03
	nmfUpgradeRequest  = 0x09
	nmfUpgradeResponse = 0x0a
	nmfDuplex          = 0x02
	nmfBinaryDict      = 0x08 // binary encoding with an in-band dictionary
)

// nmfSize appends a record size: 7 bits per byte, least significant first.
func nmfSize(b []byte, n int) []byte {
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

func nmfString(b []byte, typ byte, s string) []byte {
	b = append(b, typ)
	b = nmfSize(b, len(s))
	return append(b, s...)
}

// netTCPPreamble returns what a WCF net.tcp client sends before TLS: the
// version and duplex mode records, the Via URI, the binary encoding and a
// request to upgrade the stream to TLS. The preamble end follows inside
// TLS, once the server has answered with netTCPUpgradeResponse.
func netTCPPreamble(via string) []byte {
	b := []byte{nmfVersion, 1, 0, nmfMode, nmfDuplex}
	b = nmfString(b, nmfVia, via)
	b = append(b, nmfKnownEncoding, nmfBinaryDict)
	return nmfString(b, nmfUpgradeRequest, "application/ssl-tls")
}

// netTCPUpgradeResponse is the server's one-byte answer to the upgrade.
var netTCPUpgradeResponse = []byte{nmfUpgradeResponse}
