package decoders

import (
	"bytes"
	"net/netip"
)

// BOOTP/DHCP layout (RFC 2131 §2, RFC 2132).
const (
	dhcpRequest     = 1 // op of a BOOTREQUEST
	dhcpReply       = 2 // op of a BOOTREPLY
	dhcpCookieAt    = 236
	dhcpOptionsAt   = 240
	dhcpMaxHops     = 16 // RFC 1542 §4.1.1: relays drop what has crossed more
	dhcpOptPad      = 0
	dhcpOptVendor   = 43  // vendor-specific information
	dhcpOptType     = 53  // DHCP message type
	dhcpOptClass    = 60  // vendor class identifier
	dhcpOptSIP      = 120 // SIP servers (RFC 3361)
	dhcpOptEnd      = 255
	dhcpMaxTypeCode = 18 // RFC 2132 and its successors assign message types 1 to 18
)

var dhcpCookie = []byte{0x63, 0x82, 0x53, 0x63}

// dhcpMaxPayloads bounds how long a named DHCP flow waits for the reply
// to its request (a client retransmits a few times).
const dhcpMaxPayloads = 4

// dhcpState follows a DHCP flow whose request is waiting for its reply.
type dhcpState struct {
	waiting  bool  // a request was seen; the reply's options are wanted
	payloads uint8 // payloads inspected, up to dhcpMaxPayloads
}

// dhcpSig recognises DHCP over UDP (RFC 2131): op 1 or 2, Ethernet
// addresses (htype 1, hlen 6), at most 16 relay hops, the magic cookie at
// offset 236, and options that walk cleanly to the end option within the
// datagram. The ports are not checked (a relay talks 67 to 67, PXE
// 4011): the cookie and the option walk are evidence enough.
//
// Plain BOOTP (RFC 951), without the cookie, is Violated: without it only
// four bytes of evidence remain, which binary traffic matches too often,
// and no Lync component uses BOOTP. Such a flow stays unnamed.
//
// Budget: DHCP decides on the first payload. When that is a request (op
// 1), it answers ConfirmedMore until a reply (op 2) comes back on the
// flow, as it does between relay and server and for INFORM, at most until
// dhcpMaxPayloads payloads: the reply holds the options worth knowing.
//
// Detail: "type" (option 53 of the first message: discover, offer,
// request, decline, ack, nak, release, inform…), "reply" (the type of the
// reply to it), "ciaddr", "yiaddr" and "giaddr" when not zero,
// "vendor-class" (option 60, e.g. "MS-UC-Client"), "vendor-info" (option
// 43: Lync's certificate provisioning URL when the sub-options are Lync
// Server's, else its size) and "sip-server" (option 120), the options
// Lync clients and phones use to find their Registrar.
type dhcpSig struct{}

func (dhcpSig) Protocol() Protocol       { return DHCP }
func (dhcpSig) Accepts(t Transport) bool { return t == UDP }

// Inspect implements Signature.
func (dhcpSig) Inspect(s *State, _ Dir, payload []byte) Answer {
	st := &s.dhcp
	if st.payloads < dhcpMaxPayloads {
		st.payloads++
	}
	m, ok := dhcpCheck(payload)
	if st.payloads == 1 {
		if !ok {
			return Violated
		}
		m.record(&s.Detail, payload, "type")
		if payload[0] == dhcpRequest {
			st.waiting = true
			return ConfirmedMore
		}
		return Confirmed
	}
	if !st.waiting {
		return Confirmed
	}
	if ok && payload[0] == dhcpReply {
		m.record(&s.Detail, payload, "reply")
		st.waiting = false
		return Confirmed
	}
	if st.payloads >= dhcpMaxPayloads {
		return Confirmed
	}
	return ConfirmedMore
}

// dhcpMsg locates the options of a DHCP message worth recording: the
// offset of each option's value (0 when absent) and the message type.
type dhcpMsg struct {
	typ                 byte
	vendor, class, sipS int
}

// dhcpCheck reports whether b is a DHCP message, and where its options are.
func dhcpCheck(b []byte) (m dhcpMsg, ok bool) {
	if len(b) <= dhcpOptionsAt || b[0] != dhcpRequest && b[0] != dhcpReply || b[1] != 1 || b[2] != 6 || b[3] > dhcpMaxHops ||
		!bytes.Equal(b[dhcpCookieAt:dhcpOptionsAt], dhcpCookie) {
		return m, false
	}
	for i := dhcpOptionsAt; i < len(b); {
		code := b[i]
		switch code {
		case dhcpOptPad:
			i++
			continue
		case dhcpOptEnd:
			return m, true
		}
		if i+1 >= len(b) || i+2+int(b[i+1]) > len(b) {
			return m, false
		}
		n := int(b[i+1])
		switch code {
		case dhcpOptType:
			if n != 1 || b[i+2] == 0 || b[i+2] > dhcpMaxTypeCode {
				return m, false
			}
			m.typ = b[i+2]
		case dhcpOptVendor:
			m.vendor = i + 1
		case dhcpOptClass:
			m.class = i + 1
		case dhcpOptSIP:
			m.sipS = i + 1
		}
		i += 2 + n
	}
	return m, false // no end option
}

// dhcpTypeNames names the message types (RFC 2132 §9.6, RFC 3203, RFC 4388,
// RFC 6926, RFC 7724, RFC 8156).
var dhcpTypeNames = [dhcpMaxTypeCode + 1]string{
	"", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform",
	"forcerenew", "leasequery", "leaseunassigned", "leaseunknown", "leaseactive",
	"bulkleasequery", "leasequerydone", "activeleasequery", "leasequerystatus", "tls",
}

// record adds the message's facts to d, its message type under typeKey;
// b is the message dhcpCheck accepted. Facts already known are kept.
func (m dhcpMsg) record(d *Detail, b []byte, typeKey string) {
	if m.typ != 0 {
		d.SetString(typeKey, dhcpTypeNames[m.typ])
	}
	for _, a := range [...]struct {
		key string
		at  int
	}{{"ciaddr", 12}, {"yiaddr", 16}, {"giaddr", 24}} {
		if addr := netip.AddrFrom4([4]byte(b[a.at : a.at+4])); !addr.IsUnspecified() && d.Get(a.key) == "" {
			d.SetString(a.key, addr.String())
		}
	}
	if m.class != 0 {
		setOnce(d, "vendor-class", dhcpValue(b, m.class))
	}
	if m.vendor != 0 && d.Get("vendor-info") == "" {
		v := dhcpValue(b, m.vendor)
		if url := lyncProvisioningURL(v); url != "" {
			d.SetString("vendor-info", url)
		} else {
			d.SetString("vendor-info", itoa(len(v))+" bytes")
		}
	}
	if m.sipS != 0 && d.Get("sip-server") == "" {
		if v := sipServers(dhcpValue(b, m.sipS)); v != "" {
			d.SetString("sip-server", v)
		}
	}
}

// dhcpValue returns the value of the option whose length byte is at i.
func dhcpValue(b []byte, i int) []byte { return b[i+1 : i+1+int(b[i])] }

// lyncProvisioningURL returns the certificate provisioning URL that Lync
// Server's DHCP settings put in option 43 for vendor class MS-UC-Client:
// sub-option 1 the UC identifier "MS-UC-Client", 2 the URL scheme, 3 the
// web server's FQDN, 4 its port, 5 the service path. It returns "" when v
// is not in that form.
func lyncProvisioningURL(v []byte) string {
	var sub [6][]byte
	for len(v) >= 2 {
		code, n := v[0], int(v[1])
		if len(v) < 2+n {
			return ""
		}
		if code < byte(len(sub)) {
			sub[code] = v[2 : 2+n]
		}
		v = v[2+n:]
	}
	if len(v) != 0 || string(sub[1]) != "MS-UC-Client" || len(sub[3]) == 0 {
		return ""
	}
	url := string(sub[2]) + "://" + string(sub[3])
	if len(sub[4]) > 0 {
		url += ":" + string(sub[4])
	}
	url += string(sub[5])
	return string(textCap([]byte(url)))
}

// sipServers renders option 120 (RFC 3361): after an encoding byte, domain
// names in DNS wire form (encoding 0) or IPv4 addresses (encoding 1),
// separated by commas.
func sipServers(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	var out []byte
	switch v[0] {
	case 0:
		for off := 1; off < len(v) && len(out) < textMaxValue; {
			end, st := dnsWalkName(v, off)
			if st != nameOK || end <= off {
				break
			}
			if len(out) > 0 {
				out = append(out, ',')
			}
			out = dnsAppendName(out, v, off)
			off = end
		}
	case 1:
		for off := 1; off+4 <= len(v); off += 4 {
			if len(out) > 0 {
				out = append(out, ',')
			}
			out = netip.AddrFrom4([4]byte(v[off : off+4])).AppendTo(out)
		}
	default:
		return "encoding " + itoa(int(v[0]))
	}
	return string(textCap(out))
}
