package lyncgen

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
)

// STUN (RFC 5389) message types and attributes.
const (
	stunMagicCookie     = 0x2112a442
	stunBindingRequest  = 0x0001
	stunBindingSuccess  = 0x0101
	stunMappedAddress   = 0x0001
	stunXORMapped       = 0x0020
	stunSoftware        = 0x8022
	stunFingerprint     = 0x8028
	stunFingerprintXOR  = 0x5354554e
	stunHeaderLen       = 20
	stunFingerprintSize = 8
)

// MS-TURN ([MS-TURN] §2.2) message types and attributes. Note Nonce and
// Realm, numbered the other way round from RFC 5389.
const (
	msturnAllocate        = 0x0003
	msturnAllocateSuccess = 0x0103
	msturnAllocateError   = 0x0113
	msturnAttrMapped      = 0x0001
	msturnAttrUsername    = 0x0006
	msturnAttrIntegrity   = 0x0008
	msturnAttrErrorCode   = 0x0009
	msturnAttrLifetime    = 0x000d
	msturnAttrMagicCookie = 0x000f
	msturnAttrNonce       = 0x0014
	msturnAttrRealm       = 0x0015
	msturnAttrMSVersion   = 0x8008
	msturnAttrXORMapped   = 0x8020
)

// msturnMagicCookie is the value of the MAGIC-COOKIE attribute, the first
// attribute of every MS-TURN message.
var msturnMagicCookie = []byte{0x72, 0xc6, 0x4b, 0xc6}

// stunAttr returns an RFC 5389 attribute, padded to four bytes.
func stunAttr(typ uint16, v []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// stunMessage returns an RFC 5389 message with the magic cookie, the
// 96-bit transaction ID and the attributes, ending with FINGERPRINT.
func stunMessage(typ uint16, txid []byte, attrs ...[]byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint32(b, stunMagicCookie)
	b = append(b, txid[:12]...)
	for _, a := range attrs {
		b = append(b, a...)
	}
	// The fingerprint covers the header with the length that includes it.
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)-stunHeaderLen+stunFingerprintSize))
	crc := crc32.ChecksumIEEE(b) ^ stunFingerprintXOR
	return append(b, stunAttr(stunFingerprint, binary.BigEndian.AppendUint32(nil, crc))...)
}

// stunXORAddress returns an XOR-MAPPED-ADDRESS value for IPv4.
func stunXORAddress(a netip.AddrPort) []byte {
	b := []byte{0, 1}
	b = binary.BigEndian.AppendUint16(b, a.Port()^uint16(stunMagicCookie>>16))
	return binary.BigEndian.AppendUint32(b, binary.BigEndian.Uint32(addr4(a.Addr()))^stunMagicCookie)
}

// stunAddress returns a MAPPED-ADDRESS value for IPv4.
func stunAddress(a netip.AddrPort) []byte {
	b := []byte{0, 1}
	b = binary.BigEndian.AppendUint16(b, a.Port())
	return append(b, addr4(a.Addr())...)
}

// msturnAttr returns an MS-TURN attribute. MS-TURN does not pad
// attributes; the scenario's values are all multiples of four bytes long,
// so the messages read the same either way.
func msturnAttr(typ uint16, v []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// msturnMessage returns an MS-TURN message: the draft-STUN header with a
// 128-bit transaction ID, the MAGIC-COOKIE attribute, then attrs.
func msturnMessage(typ uint16, txid []byte, attrs ...[]byte) []byte {
	body := msturnAttr(msturnAttrMagicCookie, msturnMagicCookie)
	for _, a := range attrs {
		body = append(body, a...)
	}
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	b = append(b, txid[:16]...)
	return append(b, body...)
}

// msturnAllocation returns the four messages of an MS-TURN allocation
// ([MS-TURN] §3.2): an Allocate, the 401 challenge with realm and nonce,
// the Allocate with username and message integrity, and the success with
// the relayed and the reflexive address.
func msturnAllocation(r *rng, relay, reflexive netip.AddrPort) [4][]byte {
	version := msturnAttr(msturnAttrMSVersion, []byte{0, 0, 0, 2})
	realm := msturnAttr(msturnAttrRealm, []byte("RTCMEDIARELAY-EDGE01"))
	nonce := msturnAttr(msturnAttrNonce, []byte(r.hex(32)))
	tx1, tx2 := r.bytes(16), r.bytes(16)
	return [4][]byte{
		msturnMessage(msturnAllocate, tx1, version),
		msturnMessage(msturnAllocateError, tx1,
			msturnAttr(msturnAttrErrorCode, append([]byte{0, 0, 4, 1}, "Unauthorized"...)),
			realm, nonce, version),
		msturnMessage(msturnAllocate, tx2, version,
			msturnAttr(msturnAttrUsername, r.bytes(52)), realm, nonce,
			msturnAttr(msturnAttrIntegrity, r.bytes(20))),
		msturnMessage(msturnAllocateSuccess, tx2,
			msturnAttr(msturnAttrMapped, stunAddress(relay)),
			msturnAttr(msturnAttrXORMapped, stunXORAddress(reflexive)),
			msturnAttr(msturnAttrLifetime, []byte{0, 0, 0x01, 0xe0}),
			version,
			msturnAttr(msturnAttrIntegrity, r.bytes(20))),
	}
}
