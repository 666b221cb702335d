package lyncgen

import "encoding/binary"

// MS-TURN over TCP frame types ([MS-TURN] §2.1.4).
const (
	msturnControl = 0x02 // a TURN message
	msturnData    = 0x03 // end-to-end data (media)
)

// pseudoTLSClientHello returns the 50-byte "pseudo-TLS" ClientHello a
// client may send first on TCP 443 to the A/V Edge ([MS-TURN] §2.1.1):
// TLS 1.0, one suite (TLS_DH_anon_WITH_RC4_128_MD5), no extensions.
func pseudoTLSClientHello(r *rng) []byte {
	b := []byte{0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x01}
	b = append(b, r.bytes(32)...)
	return append(b, 0x00, 0x00, 0x02, 0x00, 0x18, 0x01, 0x00)
}

// pseudoTLSServerHello returns the 83-byte answer: ServerHello and
// ServerHelloDone in one record, no certificate.
func pseudoTLSServerHello(r *rng) []byte {
	b := []byte{0x16, 0x03, 0x01, 0x00, 0x4e, 0x02, 0x00, 0x00, 0x46, 0x03, 0x01}
	b = append(b, r.bytes(32)...)
	b = append(b, 0x20)
	b = append(b, r.bytes(32)...)
	return append(b, 0x00, 0x18, 0x00, 0x0e, 0x00, 0x00, 0x00)
}

// msturnFrame returns data behind the 4-byte MS-TURN TCP header.
func msturnFrame(typ byte, data []byte) []byte {
	b := []byte{typ, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}
