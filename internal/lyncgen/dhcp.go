package lyncgen

import (
	"encoding/binary"
	"net/netip"
)

// DHCP message types (RFC 2132 §9.6) and the options the scenario uses.
const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpInform   = 8

	optSubnetMask   = 1
	optRouter       = 3
	optDNS          = 6
	optHostName     = 12
	optDomainName   = 15
	optVendorInfo   = 43
	optRequestedIP  = 50
	optLeaseTime    = 51
	optMessageType  = 53
	optServerID     = 54
	optParamRequest = 55
	optVendorClass  = 60
	optClientID     = 61
	optSIPServer    = 120
	optEnd          = 255
)

// dhcpMsg is a BOOTP/DHCP message (RFC 2131 §2).
type dhcpMsg struct {
	op                             byte // 1 request, 2 reply
	hops                           byte
	xid                            uint32
	secs                           uint16
	broadcast                      bool
	ciaddr, yiaddr, siaddr, giaddr netip.Addr
	chaddr                         mac
	options                        []byte // encoded options, without the end option
}

func addr4(a netip.Addr) []byte {
	if !a.IsValid() {
		return []byte{0, 0, 0, 0}
	}
	v := a.As4()
	return v[:]
}

// opt appends one option.
func (m *dhcpMsg) opt(code byte, value ...byte) {
	m.options = append(m.options, code, byte(len(value)))
	m.options = append(m.options, value...)
}

// bytes returns the message: the fixed BOOTP part, the magic cookie, the
// options and the end option, padded to the 300-byte BOOTP minimum.
func (m *dhcpMsg) bytes() []byte {
	b := []byte{m.op, 1, 6, m.hops}
	b = binary.BigEndian.AppendUint32(b, m.xid)
	b = binary.BigEndian.AppendUint16(b, m.secs)
	var flags uint16
	if m.broadcast {
		flags = 0x8000
	}
	b = binary.BigEndian.AppendUint16(b, flags)
	for _, a := range []netip.Addr{m.ciaddr, m.yiaddr, m.siaddr, m.giaddr} {
		b = append(b, addr4(a)...)
	}
	b = append(b, m.chaddr[:]...)
	b = append(b, make([]byte, 10+64+128)...) // chaddr padding, sname, file
	b = append(b, 0x63, 0x82, 0x53, 0x63)
	b = append(b, m.options...)
	b = append(b, optEnd)
	for len(b) < 300 {
		b = append(b, 0)
	}
	return b
}

// lyncVendorInfo returns option 43 as Lync Server's DHCP settings give it
// to clients and phones of vendor class MS-UC-Client: the UC identifier,
// URL scheme, web server FQDN and port, and certificate provisioning path.
func lyncVendorInfo(webFQDN string) []byte {
	var b []byte
	sub := func(code byte, v string) {
		b = append(b, code, byte(len(v)))
		b = append(b, v...)
	}
	sub(1, "MS-UC-Client")
	sub(2, "https")
	sub(3, webFQDN)
	sub(4, "443")
	sub(5, "/CertProv/CertProvisioningService.svc")
	return b
}

// sipServerOption returns option 120 (RFC 3361) naming one SIP server by
// domain name.
func sipServerOption(fqdn string) []byte {
	return append([]byte{0}, dnsName(fqdn)...)
}
