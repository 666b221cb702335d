package decoders

import "testing"

// DHCP payloads from the shared captures and the sample capture.
var (
	// zeek/dhcp/dhcp.pcap frame 1: 0.0.0.0 → 255.255.255.255 DHCP 307 DHCP
	// Discover - Transaction ID 0x7c0
	dhcpDiscover = unhex("01010600000007c0000000000000000000000000000000000000000090b11c99" +
		"4929000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"000000000000000000000000638253633501013204c0a8d3c20c0d6274657374" +
		"2e69732e636f6f6cff")
	// zeek/dhcp/dhcp.pcap frame 2: 128.2.6.152 → 128.2.6.97 DHCP 409 DHCP
	// Offer - Transaction ID 0x7c0
	dhcpOffer = unhex("02010600000007c0000000000000000080020661ac13e6070000000090b11c99" +
		"4929000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000006382536335010236048002069833040000038401" +
		"04ffffff0003048002060106088002010b8002010a0408800201148002011543" +
		"0d6e6574776f726b2d636f6e66671c04800206ff2a0c80020114800201158002" +
		"01162b0b3137322e31382e362e33373c07417275626141502c088002681d8002" +
		"681e2e01020f07636d752e656475ff")
	// zeek/dhcp/dhcp.pcap frame 9: 0.0.0.0 → 255.255.255.255 DHCP 313 DHCP
	// Inform - Transaction ID 0x7c4
	dhcpInform = unhex("01010600000007c4000000000000000000000000000000000000000090b11c99" +
		"4929000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"000000000000000000000000638253633501083304012ec3c03204800206bd0c" +
		"0d62746573742e69732e636f6f6cff")
	// ../testdata/sample.pcapng frame 24: 10.20.0.21 → 10.10.0.67 DHCP 342
	// DHCP Inform - Transaction ID 0xc186bbd
	dhcpLyncInform = unhex("010106000c186bbd000000000a140015000000000000000000000000d4bed914" +
		"0015000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"000000000000000000000000638253633501083d0701d4bed91400150c057063" +
		"3030313c0c4d532d55432d436c69656e743706010f03062b78ff000000000000" +
		"000000000000000000000000")
	// ../testdata/sample.pcapng frame 25: 10.10.0.67 → 10.20.0.21 DHCP 427
	// DHCP ACK - Transaction ID 0xc186bbd
	dhcpLyncAck = unhex("020106000c186bbd000000000a140015000000000000000000000000d4bed914" +
		"0015000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000006382536335010536040a0a00430104ffffff000f" +
		"0d636f6e746f736f2e6c6f63616c2b57010c4d532d55432d436c69656e740205" +
		"68747470730314706f6f6c30312e636f6e746f736f2e6c6f63616c0403343433" +
		"05252f4365727450726f762f4365727450726f766973696f6e696e6753657276" +
		"6963652e73766378170006706f6f6c303107636f6e746f736f056c6f63616c00" +
		"ff")
)

// dhcpFixedPart returns the fixed part of a BOOTREQUEST over Ethernet and
// the magic cookie, without options.
func dhcpFixedPart() []byte {
	b := make([]byte, dhcpOptionsAt)
	b[0], b[1], b[2] = dhcpRequest, 1, 6
	copy(b[dhcpCookieAt:], dhcpCookie)
	return b
}

// dhcpBOOTP returns the discover with its magic cookie wiped: plain BOOTP.
func dhcpBOOTP() []byte { return patched(dhcpDiscover, dhcpCookieAt, 0, 0, 0, 0) }

// dhcpCases are flows fed to the DHCP signature.
var dhcpCases = []flowCase{
	{
		name: "discover", transport: UDP, client: 68, server: 67,
		steps: []flowStep{{ToServer, dhcpDiscover, ConfirmedMore}},
		attrs: []Attr{{"type", "discover"}},
	},
	{
		name: "offer with vendor options", transport: UDP, client: 68, server: 67,
		steps: []flowStep{{ToClient, dhcpOffer, Confirmed}},
		attrs: []Attr{{"type", "offer"}, {"yiaddr", "128.2.6.97"}, {"vendor-class", "ArubaAP"}, {"vendor-info", "11 bytes"}},
	},
	{
		name: "lync client inform answered with the registrar", transport: UDP, client: 68, server: 67,
		steps: []flowStep{{ToServer, dhcpLyncInform, ConfirmedMore}, {ToClient, dhcpLyncAck, Confirmed}},
		attrs: []Attr{
			{"type", "inform"}, {"ciaddr", "10.20.0.21"}, {"vendor-class", "MS-UC-Client"}, {"reply", "ack"},
			{"vendor-info", "https://pool01.contoso.local:443/CertProv/CertProvisioningService.svc"},
			{"sip-server", "pool01.contoso.local"},
		},
	},
	{
		name: "request retransmitted without a reply", transport: UDP, client: 68, server: 67,
		steps: []flowStep{
			{ToServer, dhcpInform, ConfirmedMore}, {ToServer, dhcpInform, ConfirmedMore},
			{ToServer, dhcpInform, ConfirmedMore}, {ToServer, dhcpInform, Confirmed},
		},
		attrs: []Attr{{"type", "inform"}},
	},
	{
		name: "reply that is not dhcp", transport: UDP, client: 68, server: 67,
		steps: []flowStep{{ToServer, dhcpInform, ConfirmedMore}, {ToClient, dnsAppleResponse, ConfirmedMore}, {ToClient, dhcpLyncAck, Confirmed}},
		attrs: []Attr{{"type", "inform"}, {"reply", "ack"}, {"ciaddr", "10.20.0.21"}, {"vendor-info", "https://pool01.contoso.local:443/CertProv/CertProvisioningService.svc"}, {"sip-server", "pool01.contoso.local"}},
	},
	{
		name: "sip servers as addresses", transport: UDP, client: 68, server: 67,
		steps: []flowStep{{ToClient, dhcpWithOption(dhcpOffer, 120, 1, 10, 10, 1, 10, 10, 10, 1, 11), Confirmed}},
		attrs: []Attr{{"type", "offer"}, {"yiaddr", "128.2.6.97"}, {"vendor-class", "ArubaAP"}, {"vendor-info", "11 bytes"}, {"sip-server", "10.10.1.10,10.10.1.11"}},
	},

	// Not DHCP.
	{name: "bootp without the cookie", transport: UDP, client: 68, server: 67, steps: []flowStep{{ToServer, dhcpBOOTP(), Violated}}},
	{name: "options without an end", transport: UDP, client: 68, server: 67, steps: []flowStep{{ToServer, dhcpDiscover[:250], Violated}}},
	{name: "option past the end", transport: UDP, client: 68, server: 67, steps: []flowStep{{ToServer, patched(dhcpDiscover, 250, 0xff), Violated}}},
	{name: "message type 0", transport: UDP, client: 68, server: 67, steps: []flowStep{{ToServer, patched(dhcpDiscover, 242, 0), Violated}}},
	{name: "17 hops", transport: UDP, client: 67, server: 67, steps: []flowStep{{ToServer, patched(dhcpDiscover, 3, 17), Violated}}},
	{name: "token ring", transport: UDP, client: 68, server: 67, steps: []flowStep{{ToServer, patched(dhcpDiscover, 1, 6), Violated}}},
	{name: "op 3", transport: UDP, client: 68, server: 67, steps: []flowStep{{ToServer, patched(dhcpDiscover, 0, 3), Violated}}},
	{name: "cookie only", transport: UDP, client: 68, server: 67, steps: []flowStep{{ToServer, dhcpDiscover[:240], Violated}}},
	{name: "dns", transport: UDP, client: 50000, server: 53, steps: []flowStep{{ToServer, dnsAppleQuery, Violated}}},
}

// dhcpWithOption returns msg with one more option, value v, before its end.
func dhcpWithOption(msg []byte, code byte, v ...byte) []byte {
	end := dhcpOptionsAt
	for msg[end] != dhcpOptEnd {
		if msg[end] == dhcpOptPad {
			end++
			continue
		}
		end += 2 + int(msg[end+1])
	}
	b := append([]byte{}, msg[:end]...)
	b = append(b, code, byte(len(v)))
	b = append(b, v...)
	return append(b, msg[end:]...)
}

func TestDHCP(t *testing.T) { runFlowCases(t, dhcpSig{}, dhcpCases) }

// FuzzDHCP feeds arbitrary bytes to the DHCP signature as up to four
// payloads.
func FuzzDHCP(f *testing.F) {
	for _, seed := range [][]byte{dhcpDiscover, dhcpOffer, dhcpInform, dhcpLyncInform, dhcpLyncAck} {
		f.Add(seed, uint16(0), uint16(0), uint16(0), uint8(0b0010))
		f.Add(append(append([]byte{}, seed...), seed...), uint16(len(seed)), uint16(0), uint16(0), uint8(0b0010))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2, cut3 uint16, dirs uint8) {
		checkAnswers(t, dhcpSig{}, UDP, 50000, 67, cutInFour(data, [3]uint16{cut1, cut2, cut3}, dirs))
	})
}

// BenchmarkDHCP measures the DHCP signature on a payload it rejects (DNS)
// and on one it names.
func BenchmarkDHCP(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{{"dns", dnsAppleResponse}, {"bootp", dhcpBOOTP()}, {"offer", dhcpOffer}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var s State
			for b.Loop() {
				s.Reset(UDP, 68, 67)
				dhcpSig{}.Inspect(&s, ToServer, c.data)
			}
		})
	}
}
