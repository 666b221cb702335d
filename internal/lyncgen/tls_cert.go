package lyncgen

import "time"

// DER (ITU-T X.690) tags used by the certificates.
const (
	derInteger     = 0x02
	derBitString   = 0x03
	derOctetString = 0x04
	derNull        = 0x05
	derOID         = 0x06
	derUTF8String  = 0x0c
	derIA5String   = 0x16
	derUTCTime     = 0x17
	derSequence    = 0x30
	derSet         = 0x31
	derBoolean     = 0x01
)

// Object identifiers, DER-encoded.
var (
	oidSHA256WithRSA   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}
	oidRSAEncryption   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}
	oidCommonName      = []byte{0x55, 0x04, 0x03}
	oidDomainComponent = []byte{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}
	oidKeyUsage        = []byte{0x55, 0x1d, 0x0f}
	oidExtKeyUsage     = []byte{0x55, 0x1d, 0x25}
	oidSubjectAltName  = []byte{0x55, 0x1d, 0x11}
	oidSubjectKeyID    = []byte{0x55, 0x1d, 0x0e}
	oidServerAuth      = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01}
	oidClientAuth      = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02}
)

// der returns a DER element of tag holding the concatenated content.
func der(tag byte, content ...[]byte) []byte {
	var n int
	for _, c := range content {
		n += len(c)
	}
	b := make([]byte, 0, n+6)
	b = append(b, tag)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	case n < 0x10000:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range content {
		b = append(b, c...)
	}
	return b
}

// derUint returns a DER INTEGER of the unsigned big-endian value v.
func derUint(v []byte) []byte {
	for len(v) > 1 && v[0] == 0 && v[1] < 0x80 {
		v = v[1:]
	}
	if v[0] >= 0x80 {
		return der(derInteger, []byte{0}, v)
	}
	return der(derInteger, v)
}

// caName is the issuer of every certificate: the enterprise CA of the
// contoso.local forest.
var caName = derName("contoso-DC01-CA", "contoso", "local")

// derName returns an X.501 Name: the domain components, then the common name.
func derName(cn string, dcs ...string) []byte {
	var rdns [][]byte
	for _, dc := range dcs {
		rdns = append(rdns, der(derSet, der(derSequence, der(derOID, oidDomainComponent), der(derIA5String, []byte(dc)))))
	}
	rdns = append(rdns, der(derSet, der(derSequence, der(derOID, oidCommonName), der(derUTF8String, []byte(cn)))))
	return der(derSequence, rdns...)
}

func derTime(t time.Time) []byte {
	return der(derUTCTime, []byte(t.UTC().Format("060102150405Z")))
}

// fakeCertificate returns an X.509 v3 certificate for subject and its
// DNS names, shaped like one an enterprise CA issues to a Lync server: a
// 2048-bit RSA key, SHA-256 with RSA, server and client authentication.
// The key and signature are random bytes of the right sizes; the
// structure parses, nothing verifies.
func fakeCertificate(r *rng, subject string, dnsNames ...string) []byte {
	serial := r.bytes(16)
	serial[0] &= 0x7f
	serial[0] |= 0x10
	modulus := r.bytes(256)
	modulus[0] |= 0x80
	modulus[255] |= 1
	rsaKey := der(derSequence, derUint(modulus), derUint([]byte{0x01, 0x00, 0x01}))
	spki := der(derSequence,
		der(derSequence, der(derOID, oidRSAEncryption), der(derNull)),
		der(derBitString, []byte{0}, rsaKey))
	notBefore := time.Date(2025, time.September, 15, 8, 0, 0, 0, time.UTC).Add(time.Duration(r.intn(86400)) * time.Second)
	validity := der(derSequence, derTime(notBefore), derTime(notBefore.AddDate(2, 0, 0)))

	var sans [][]byte
	for _, n := range dnsNames {
		sans = append(sans, der(0x82, []byte(n))) // [2] dNSName
	}
	exts := der(0xa3, der(derSequence,
		der(derSequence, der(derOID, oidKeyUsage), der(derBoolean, []byte{0xff}),
			der(derOctetString, der(derBitString, []byte{5, 0xa0}))), // digitalSignature, keyEncipherment
		der(derSequence, der(derOID, oidExtKeyUsage),
			der(derOctetString, der(derSequence, der(derOID, oidServerAuth), der(derOID, oidClientAuth)))),
		der(derSequence, der(derOID, oidSubjectAltName), der(derOctetString, der(derSequence, sans...))),
		der(derSequence, der(derOID, oidSubjectKeyID), der(derOctetString, der(derOctetString, r.bytes(20)))),
	))
	sigAlg := der(derSequence, der(derOID, oidSHA256WithRSA), der(derNull))
	tbs := der(derSequence,
		der(0xa0, der(derInteger, []byte{2})), // version 3
		der(derInteger, serial),
		sigAlg,
		caName,
		validity,
		derName(subject),
		spki,
		exts,
	)
	return der(derSequence, tbs, sigAlg, der(derBitString, []byte{0}, r.bytes(256)))
}
