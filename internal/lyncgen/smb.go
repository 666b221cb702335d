package lyncgen

import "encoding/binary"

// smb2Header returns the 64-byte SMB2 header of a NEGOTIATE ([MS-SMB2]
// §2.2.1.2), response or not.
func smb2Header(response bool) []byte {
	b := []byte{0xfe, 'S', 'M', 'B', 64, 0, 0, 0, 0, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, 0) // NEGOTIATE
	b = binary.LittleEndian.AppendUint16(b, 1) // credits
	var flags uint32
	if response {
		flags = 1
	}
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = append(b, make([]byte, 4+8)...)                 // next command, message ID
	b = binary.LittleEndian.AppendUint32(b, 0x0000feff) // process ID
	return append(b, make([]byte, 4+8+16)...)           // tree ID, session ID, signature
}

// netbiosSession wraps an SMB message in the 4-byte direct TCP header.
func netbiosSession(msg []byte) []byte {
	b := []byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}
	return append(b, msg...)
}

// smb2NegotiateRequest offers SMB 2.0.2 to 3.0.2, as Windows 8.1 does.
func smb2NegotiateRequest(r *rng) []byte {
	b := smb2Header(false)
	b = binary.LittleEndian.AppendUint16(b, 36)
	b = binary.LittleEndian.AppendUint16(b, 4) // dialects
	b = binary.LittleEndian.AppendUint16(b, 1) // signing enabled
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0x7f) // capabilities
	b = append(b, r.bytes(16)...)                 // client GUID
	b = append(b, make([]byte, 8)...)             // client start time
	for _, d := range []uint16{0x0202, 0x0210, 0x0300, 0x0302} {
		b = binary.LittleEndian.AppendUint16(b, d)
	}
	return netbiosSession(b)
}

// smb2NegotiateResponse picks SMB 3.0.2 and sends no security blob.
func smb2NegotiateResponse(r *rng, now uint64) []byte {
	b := smb2Header(true)
	b = binary.LittleEndian.AppendUint16(b, 65)
	b = binary.LittleEndian.AppendUint16(b, 1) // signing enabled
	b = binary.LittleEndian.AppendUint16(b, 0x0302)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, r.bytes(16)...)                 // server GUID
	b = binary.LittleEndian.AppendUint32(b, 0x2f) // capabilities
	for range 3 {
		b = binary.LittleEndian.AppendUint32(b, 8<<20) // max transact, read, write
	}
	b = binary.LittleEndian.AppendUint64(b, now)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 0x80) // security buffer offset
	b = binary.LittleEndian.AppendUint16(b, 0)    // and length
	b = binary.LittleEndian.AppendUint32(b, 0)
	return netbiosSession(b)
}
