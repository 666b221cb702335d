package lyncgen

// rdpConnectionRequest returns the TPKT/X.224 Connection Request mstsc
// sends first ([MS-RDPBCGR] §2.2.1.1): a routing cookie and a negotiation
// request for TLS and CredSSP.
func rdpConnectionRequest(user string) []byte {
	cookie := "Cookie: mstshash=" + user + "\r\n"
	x224 := []byte{0, 0xe0, 0, 0, 0, 0, 0} // length placeholder, CR, dst-ref, src-ref, class 0
	x224 = append(x224, cookie...)
	x224 = append(x224, 0x01, 0x00, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00) // RDP_NEG_REQ: SSL | HYBRID | HYBRID_EX
	x224[0] = byte(len(x224) - 1)
	return tpkt(x224)
}

// rdpConnectionConfirm returns the server's Connection Confirm choosing
// CredSSP (TLS, then NLA).
func rdpConnectionConfirm() []byte {
	x224 := []byte{0, 0xd0, 0, 0, 0x12, 0x34, 0}
	x224 = append(x224, 0x02, 0x1f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00) // RDP_NEG_RSP: HYBRID
	x224[0] = byte(len(x224) - 1)
	return tpkt(x224)
}

// tpkt wraps data in a TPKT header (RFC 1006).
func tpkt(data []byte) []byte {
	n := len(data) + 4
	return append([]byte{3, 0, byte(n >> 8), byte(n)}, data...)
}
