package lyncgen

// SNMP (RFC 3416) in BER, built with the DER helper: both use definite
// lengths.
const (
	snmpGetRequest  = 0xa0
	snmpGetResponse = 0xa2
)

// oidSysDescr is 1.3.6.1.2.1.1.1.0.
var oidSysDescr = []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}

// snmpMessage returns an SNMPv2c message with one variable binding.
func snmpMessage(pdu byte, community string, requestID uint32, value []byte) []byte {
	id := []byte{byte(requestID >> 24 & 0x7f), byte(requestID >> 16), byte(requestID >> 8), byte(requestID)}
	return der(derSequence,
		der(derInteger, []byte{1}), // version 2c
		der(derOctetString, []byte(community)),
		der(pdu,
			derUint(id),
			der(derInteger, []byte{0}), // error status
			der(derInteger, []byte{0}), // error index
			der(derSequence, der(derSequence, der(derOID, oidSysDescr), value)),
		),
	)
}

// snmpGetSysDescr returns a get-request for sysDescr.0.
func snmpGetSysDescr(community string, requestID uint32) []byte {
	return snmpMessage(snmpGetRequest, community, requestID, der(derNull))
}

// snmpSysDescrResponse returns the answer naming the system.
func snmpSysDescrResponse(community string, requestID uint32, descr string) []byte {
	return snmpMessage(snmpGetResponse, community, requestID, der(derOctetString, []byte(descr)))
}
