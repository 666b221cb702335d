package lyncgen

import (
	"encoding/binary"
	"net/netip"
	"strings"
)

// DNS record types and class (RFC 1035 §3.2, RFC 2782).
const (
	dnsTypeA   = 1
	dnsTypeSRV = 33
	dnsClassIN = 1
)

// dnsName returns name in wire form: length-prefixed labels and a zero.
func dnsName(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// dnsQuery returns a recursive query for one name and type.
func dnsQuery(id uint16, name string, qtype uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	b = append(b, dnsName(name)...)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, dnsClassIN)
}

// dnsRR is an answer record whose owner is the question's name.
type dnsRR struct {
	typ   uint16
	ttl   uint32
	rdata []byte
}

// dnsResponse answers query with the records, in the answer section; the
// owner names point back to the question (compression pointer 0xc00c).
func dnsResponse(query []byte, answers ...dnsRR) []byte {
	b := append([]byte(nil), query...)
	b[2], b[3] = 0x85, 0x80 // QR, AA, RD, RA; no error
	binary.BigEndian.PutUint16(b[6:], uint16(len(answers)))
	for _, a := range answers {
		b = append(b, 0xc0, 0x0c)
		b = binary.BigEndian.AppendUint16(b, a.typ)
		b = binary.BigEndian.AppendUint16(b, dnsClassIN)
		b = binary.BigEndian.AppendUint32(b, a.ttl)
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.rdata)))
		b = append(b, a.rdata...)
	}
	return b
}

// dnsA returns an A record's data.
func dnsA(a netip.Addr) []byte {
	v := a.As4()
	return v[:]
}

// dnsSRV returns an SRV record's data (RFC 2782).
func dnsSRV(priority, weight, port uint16, target string) []byte {
	b := binary.BigEndian.AppendUint16(nil, priority)
	b = binary.BigEndian.AppendUint16(b, weight)
	b = binary.BigEndian.AppendUint16(b, port)
	return append(b, dnsName(target)...)
}
