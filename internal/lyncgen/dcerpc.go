package lyncgen

import "encoding/binary"

// DCE/RPC connection-oriented PDU types (C706 §12.6.4.14).
const (
	rpcBind    = 11
	rpcBindAck = 12
)

// Interface and transfer syntax UUIDs, in the little-endian wire form of a
// little-endian data representation.
var (
	// ISystemActivator 000001a0-0000-0000-c000-000000000046, the DCOM
	// activation interface behind port 135.
	uuidISystemActivator = []byte{0xa0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}
	// NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2.
	uuidNDR = []byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}
	// NDR64 71710533-beba-4937-8319-b5dbef9ccc36 version 1.
	uuidNDR64 = []byte{0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49, 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36}
	// Bind time feature negotiation 6cb71c2c-9812-4540-0300-000000000000.
	uuidBindTimeFeatures = []byte{0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
)

// rpcHeader appends the 16-byte common header; the fragment length is
// filled in by rpcFinish.
func rpcHeader(ptype byte, callID uint32) []byte {
	b := []byte{5, 0, ptype, 0x03, 0x10, 0, 0, 0, 0, 0, 0, 0} // v5.0, first+last fragment, little-endian ASCII IEEE
	return binary.LittleEndian.AppendUint32(b, callID)
}

func rpcFinish(b []byte) []byte {
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

// syntaxID appends a presentation syntax: UUID and version.
func syntaxID(b, uuid []byte, major, minor uint16) []byte {
	b = append(b, uuid...)
	b = binary.LittleEndian.AppendUint16(b, major)
	return binary.LittleEndian.AppendUint16(b, minor)
}

// dcerpcBindActivator returns the bind Windows sends to port 135 before a
// DCOM activation: ISystemActivator with NDR, NDR64 and the bind time
// feature negotiation as its three presentation contexts.
func dcerpcBindActivator(callID uint32) []byte {
	b := rpcHeader(rpcBind, callID)
	b = binary.LittleEndian.AppendUint16(b, 5840) // max_xmit_frag
	b = binary.LittleEndian.AppendUint16(b, 5840) // max_recv_frag
	b = binary.LittleEndian.AppendUint32(b, 0)    // new association group
	b = append(b, 3, 0, 0, 0)
	for i, ts := range [][]byte{uuidNDR, uuidNDR64, uuidBindTimeFeatures} {
		b = binary.LittleEndian.AppendUint16(b, uint16(i))
		b = append(b, 1, 0)
		b = syntaxID(b, uuidISystemActivator, 0, 0)
		version := uint16(1)
		if i == 0 {
			version = 2
		}
		b = syntaxID(b, ts, version, 0)
	}
	return rpcFinish(b)
}

// dcerpcBindAck returns the server's answer: NDR accepted, NDR64 refused,
// and the bind time features it supports.
func dcerpcBindAck(callID, assocGroup uint32) []byte {
	b := rpcHeader(rpcBindAck, callID)
	b = binary.LittleEndian.AppendUint16(b, 5840)
	b = binary.LittleEndian.AppendUint16(b, 5840)
	b = binary.LittleEndian.AppendUint32(b, assocGroup)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, "135\x00"...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, 3, 0, 0, 0)
	b = append(b, 0, 0, 0, 0) // acceptance
	b = syntaxID(b, uuidNDR, 2, 0)
	b = append(b, 2, 0, 2, 0) // provider rejection: proposed transfer syntaxes not supported
	b = append(b, make([]byte, 20)...)
	b = append(b, 3, 0, 3, 0) // negotiate ack: security context multiplexing, keep connection on orphan
	b = append(b, make([]byte, 20)...)
	return rpcFinish(b)
}
