package lyncgen

import "encoding/binary"

// TDS packet types ([MS-TDS] §2.2.3.1.1).
const (
	tdsPrelogin = 0x12
	tdsResponse = 0x04
)

// tdsPacket wraps a message body in one TDS packet (end of message).
func tdsPacket(typ byte, body []byte) []byte {
	b := []byte{typ, 0x01}
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(body)))
	b = append(b, 0, 0, 1, 0) // SPID, packet ID, window
	return append(b, body...)
}

// tdsPreloginBody lays out PRELOGIN options ([MS-TDS] §2.2.6.5): the
// option table with big-endian offsets and lengths, the terminator, then
// the option data.
func tdsPreloginBody(opts [][]byte) []byte {
	table := 5*len(opts) + 1
	var head, data []byte
	for i, o := range opts {
		head = append(head, byte(i))
		head = binary.BigEndian.AppendUint16(head, uint16(table+len(data)))
		head = binary.BigEndian.AppendUint16(head, uint16(len(o)))
		data = append(data, o...)
	}
	head = append(head, 0xff)
	return append(head, data...)
}

// tdsPreloginRequest returns a client PRELOGIN for instance (options
// VERSION, ENCRYPTION off, INSTOPT, THREADID, MARS off).
func tdsPreloginRequest(r *rng, instance string) []byte {
	return tdsPacket(tdsPrelogin, tdsPreloginBody([][]byte{
		{11, 0, 0x0b, 0xb8, 0, 0}, // client library 11.0.3000
		{0},
		append([]byte(instance), 0),
		binary.BigEndian.AppendUint32(nil, r.u32()%8192),
		{0},
	}))
}

// tdsPreloginResponse returns the server's PRELOGIN answer: SQL Server
// 2012 SP2 (11.0.5058), encryption of the login only.
func tdsPreloginResponse() []byte {
	return tdsPacket(tdsResponse, tdsPreloginBody([][]byte{
		{11, 0, 0x13, 0xc2, 0, 0},
		{0},
		{0},
		{},
		{0},
	}))
}
