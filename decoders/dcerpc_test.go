package decoders

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Real DCE/RPC payloads. Summaries are tshark's.
var (
	// zeek/dce-rpc/kerberos135_auth.pcapng frame 4: 64238 → 135 Len=1460
	// [TCP segment of a reassembled PDU]: the first 1460 bytes of a
	// 1972-byte bind with an SPNEGO (Kerberos) token.
	rpcKerberosBind1 = unhex(`
		05000b0310000000b407380708000000d016d016000000000200000000000100a001000000000000c000000000000046
		00000000045d888aeb1cc9119fe808002b1048600200000001000100a001000000000000c00000000000004600000000
		2c1cb76c1298404503000000000000000100000009020000000000006082073406062b0601050502a082072830820724
		a030302e06092a864882f71201020206092a864886f712010202060a2b06010401823702021e060a2b06010401823702
		020aa28206ee048206ea6e8206e6308206e2a003020105a10302010ea20703050020000000a3820500618204fc308204
		f8a003020105a10e1b0c5352542d41442e4c4f43414ca22f302da003020102a12630241b0552504353531b1b424c4143
		4b434c4f5645522d44432e5352542d41442e6c6f63616ca38204ae308204aaa003020112a103020103a282049c048204
		98feac3af6f3390c87da18346e4c37802ba6ea5ea7e129c036348fa8dc8a9febef46da750475c08f00bcd7270dd5b0fe
		bcb2cb5f76b5f770b81a122c2a4a3216a9fd4f05ee2118ccf09a19f97ac2994f23bd6367bbb1a16ca57d964a2c074733
		59de572898f54e7b61c335e5ccdc39d528c5db2e0e7d18782981a8d1dea1d74e134d78b1b85c37ae249319ccd103bbb5
		9d0970d718aa00115a27284e53ee6ad8f26ef2aad369e39f2d9d4b68e8c6050d85b780b8a609febc5f81ac5e51be5425
		71e8f9694d4b6b7963166e53130e8e4c4eadce1ab91bb16386ade3fbf3626ce40c441c62f9391c38f1fa710221d3478b
		35b4a5c88129f29c1b162abf7fdd36109ed0344ee578ce56ddda74e3d7667169d67c958580ebeee7066db36140dd1be3
		c010fb2bbc4242aea10cbba694acf8c243cccc622bdcc3f1bda3d1e8b1e287e777bc5cf4b2e149752e56afe8e1206236
		dd2d6fedfb48fe85f03ae3748125b21b5e4eca913c4c6ebc3449dbfab99adfe8df3ece590ac72cf8260deab304573c8a
		f82607c17b988830dedae7231923309db5efef9b8113189f44c8ef893ab13a67bc80ef86710c56d210febcb7af3bfbe6
		ec23bba7c6dd2f6c303726268ca6123735769670e95700122afbc5771174e415e7977893445a7ef5aa4f466d9c50a509
		1e50864bcb90f6879e3327b7ddbeed8b84d9dd87479d8f2ef6a24438bc50d21a17119e357c82e38dee90a09762b56845
		b2984dbdb5eff6fae6999173a293c8d4653d477eb7c3be75461ba43ba2fc0583c5f2638ee2bdd35795beb554733b34d2
		ca58aa12c247590fea46cf6a336f12c10457b516e9de19533e3aea6f8c7051eb708098a90d092b372aca861b1c1d66e2
		3d81d99ab6743def6de7a6cceaf5101312342478a964fe988c550fe0bd36982746e6c71c711b677ad2c1b4e6dc0eb6ea
		507abd569fa4905cb2e099d22680ebb247229474375eabdeac6a50380c6b90166ef4e7fd91643b0209e01a75c014ba5c
		9debf947415f673b5a9404a85838bffc728ae3ea97aea667d29ebfc9993e966e34f41c6d0e1351853cd58233bfefbefa
		1fb4206c2e11a8bc7f793c63c4f7cd9236a4d8a3e90902ae5aa15f4af17e1bd0458f21915fc17266da3547e4e3b6424e
		27ce719139edbd39484cdd54165602468d58c1f06aefcede85c3bdd5a690f662ff22e887e3d7375e783c36ad0c697efe
		c0bea2c6ba73955dbc86c7e70086e01cc320dd63eea9a9542cf949d2313b88c4f8e644687d33cd9398b9b6058a192e1e
		94252d525a42b6ab2f492bbdb42b95cfa4b4af18f2cfca747684ae20980bf5cbe29a0b8a8f1a261b09f51e52d124ef3d
		0fc937b462e4f49b4cb8427eec38857dd3ee51a32cbd1b061ece6aee34d3d28946207c8efe174d8cd89be064580947e0
		bf687202484f93ae0577a9bb0b0be7dcae615352926ab12efad72971533797fffa6ff74c2e704420f563bda6fdb1d809
		cc99f1540f94f93cc15ae3be17a3f14998170a3fb65d737518a027303603943dc44c87659f7e916566fe4689a26187d6
		adc24af52c649196d3ce3dd405cebeb93b82004d`)
	// Frame 5: Bind: call_id: 8, Fragment: Single, 2 context items:
	// ISystemActivator V0.0 (32bit NDR), ISystemActivator V0.0
	// (6cb71c2c-9812-4540-0300-000000000000): the bind's last 512 bytes.
	rpcKerberosBind2 = unhex(`
		69250166dc03519f4eaead255faa591ff72dcd363b18c1314d77d90e038c514163063666534c2064b6b10cc8becf514d
		7f274fd9e6a48201c7308201c3a003020112a28201ba048201b6809ddbb5b9b2cf520d1e83d6c6df5dc68dc5f36f7761
		b2378264c003ceb7fd61d45db41e44d79d8fade3dcb8c7634518e9a41ec20cc578274c15c828144f477e9c60a4946ab6
		f167c950eff0a6dbcee866981e86f4f5b8651a52caea23d78e35fa2d42fecf8dbcd482823f8d514e9b42e5486fdacb02
		2c4c2ab20fb4f943d8eeecf9c76c4ebb30bfcbe39aeffc1e083b3ecba4b6a893d9eb72c7843ceac49387f797028211fc
		5587af4f66197b0accbf13e2d336ab879b8a51dabf542a65aa5792897e9cdedbfc8bd393c2a1d6fb80e86881d433b2f7
		fcbae7a429723745778fef4df4c1e2dc3400f5944d18b9d763b78a57b693a7b8dbf0ea6e0a67f25129a58b1be8f5174a
		61b9ec15ee150029725ffb5065549c4718d198975291294fdb85bd534aee7dab86f1ff94706542f12834bce4b904b291
		e6a1a8bb80a0ea4942eabc17a50d42f58f7800f9ca2d9f42ed823fd3df6b6165a2340a585f01b12778b249d7f734611c
		1386be3d2679ce23af4e0973f2b21366e4fe76ddf62e6bed4bc1f27bd8a5717f3d90c9dcefce643ab7bdef591220aaab
		537c4f3c420805caee3280191845a0a301b9e4ec3d15392d1ce010ce7caee4e1`)
	// Frame 7: Bind_ack: call_id: 8, Fragment: Single, max_xmit: 5840
	// max_recv: 5840, 2 results: Acceptance, Negotiate ACK.
	rpcKerberosBindAck = unhex(`
		05000c03100000000501a90008000000d016d016c126000004003133350000000200000000000000045d888aeb1cc911
		9fe808002b104860020000000300030000000000000000000000000000000000000000000902000000000000a181a630
		81a3a0030a0101a10b06092a864882f712010202a2818e04818b6f8188308185a003020105a10302010fa2793077a003
		020112a270046ef21715a1ca03e1e3fb0972f0d62a74b49adfa54fbdc6e042d568d486cbd6e766c943fab61c2893c03a
		77fbfe927034a82de6b16d473130a1e1c0f15b8ad9c737aa99f7730ceff04a7aeb85a80261b9a883d4ae92a29deccfb2
		ad674b46f9d3df46f3dc6de748011dcf16ff44a418`)

	// suricata-verify/zerologon/input.pcap frame 4: 50555 → 135 Bind:
	// call_id: 1, Fragment: Single, 1 context items: EPMv4 V3.0 (32bit NDR).
	rpcEPMBind = unhex(`
		05000b03100000004800000001000000b810b8100000000001000000000001000883afe11f5dc91191a408002b14a0fa
		03000000045d888aeb1cc9119fe808002b10486002000000`)
	// Frame 5: 135 → 50555 Bind_ack: call_id: 1, Fragment: Single,
	// max_xmit: 4280 max_recv: 4280, 1 results: Acceptance.
	rpcEPMBindAck = unhex(`
		05000c03100000003c00000001000000b810b81057e0000004003133350000000100000000000000045d888aeb1cc911
		9fe808002b10486002000000`)
	// Frame 16: 50556 → 49668 Bind: call_id: 1, Fragment: Single, 1
	// context items: RPC_NETLOGON V1.0 (32bit NDR).
	rpcNetlogonBind = unhex(`
		05000b03100000004800000001000000b810b810000000000100000000000100785634123412cdabef0001234567cffb
		01000000045d888aeb1cc9119fe808002b10486002000000`)
	// Frame 17: 49668 → 50556 Bind_ack: call_id: 1, Fragment: Single,
	// max_xmit: 4280 max_recv: 4280, 1 results: Acceptance.
	rpcNetlogonBindAck = unhex(`
		05000c03100000003c00000001000000b810b8104fd5000006003439363638000100000000000000045d888aeb1cc911
		9fe808002b10486002000000`)
	// Frame 19: 50556 → 49668 NetrServerReqChallenge request, BAS-AD-01.
	rpcNetlogonRequest = unhex(`
		050000031000000068000000010000005000000000000400e85a00000c000000000000000c0000005c005c0042004100
		53002d00410044002d003000310000000a000000000000000a0000004200410053002d00410044002d00300031000000
		0000000000000000`)
	// Frame 20: 49668 → 50556 NetrServerReqChallenge response.
	rpcNetlogonResponse = unhex(`
		050002031000000024000000010000000c00000000000000ca22e888fbe131ec00000000`)
	// Frame 22: 50556 → 49668 NetrServerAuthenticate3 request.
	rpcNetlogonRequest2 = unhex(`
		050000031000000090000000020000007800000000001a00d2d900000c000000000000000c0000005c005c0042004100
		53002d00410044002d003000310000000b000000000000000b0000004200410053002d00410044002d00300031002400
		000006000a000000000000000a0000004200410053002d00410044002d003000310000000000000000000000ffff2f21`)
	// Frame 630: 50681 → 445 Negotiate Protocol Request: SMB1 behind a
	// NetBIOS session header, the start of DCE/RPC over SMB named pipes.
	smbNegotiate = unhex(`
		00000045ff534d4272000000001801c8000000000000000000000000ffff000000000000002200024e54204c4d20302e
		31320002534d4220322e3030320002534d4220322e3f3f3f00`)

	// The generator's bind to ISystemActivator with NDR, NDR64 and bind
	// time feature negotiation, and its bind_ack (testdata/sample.pcapng,
	// TCP 49326 → 135; tshark: Bind: call_id: 2, Fragment: Single, 3
	// context items: ISystemActivator V0.0 (32bit NDR), ISystemActivator
	// V0.0 (64bit NDR), ISystemActivator V0.0 (6cb71c2c-…); Bind_ack:
	// call_id: 2, … 3 results: Acceptance, Provider rejection, Negotiate ACK).
	rpcSampleBind = unhex(`
		05000b0310000000a000000002000000d016d016000000000300000000000100a001000000000000c000000000000046
		00000000045d888aeb1cc9119fe808002b1048600200000001000100a001000000000000c00000000000004600000000
		33057171babe37498319b5dbef9ccc360100000002000100a001000000000000c000000000000046000000002c1cb76c
		12984045030000000000000001000000`)
	rpcSampleBindAck = unhex(`
		05000c03100000006c00000002000000d016d016fbaf000004003133350000000300000000000000045d888aeb1cc911
		9fe808002b10486002000000020002000000000000000000000000000000000000000000030003000000000000000000
		000000000000000000000000`)
)

// Other protocols' first payloads, which no signature here may claim.
var (
	// suricata-verify/sip-tcp-method/sip-tcp.pcap frame 4: REGISTER
	// sip:192.168.43.100;transport=TCP SIP/2.0 (the first 64 bytes).
	sipRegisterTCP = []byte("REGISTER sip:192.168.43.100;transport=TCP SIP/2.0\r\nVia: SIP/2.0/T")
	// suricata-verify/decode-sll2-01/input.pcap frame 4: GET /testing HTTP/1.1.
	httpGetTesting = unhex(`
		474554202f74657374696e6720485454502f312e310d0a486f73743a203139322e3136382e312e32310d0a5573657
		22d4167656e743a206375726c2f382e352e300d0a4163636570743a202a2f2a0d0a0d0a`)
	// testdata/sample.pcapng, the TLS ClientHello that follows the net.tcp
	// upgrade to TCP 5080 (its first 48 bytes).
	tlsClientHelloStart = unhex(`
		160303009b01000097030369a644e6af1e26d2d820791d046bf8edc952e00377b30ec27ac9be957aba183f000030c028`)
	// arkime/stun-ice-testcall.pcap frame 1: Binding Request.
	stunBindingRequest = unhex(`000100002112a442534f70436969354a6663317a`)
	// zeek/pcapng-multi-interface.pcapng frame 1: Standard query 0x4fe8 A
	// www.apple.com OPT.
	dnsQueryApple = unhex(`
		4fe80120000100000000000103777777056170706c6503636f6d000001000100002904d000000000000c000a000853d4
		fe03d5bc8577`)
)

// rpcBigEndianBind returns a bind to the interface uuid (text form) with
// a big-endian data representation.
func rpcBigEndianBind(uuid string, callID uint32) []byte {
	b := []byte{5, 0, rpcBind, 3, 0, 0, 0, 0, 0, 0, 0, 0}
	b = binary.BigEndian.AppendUint32(b, callID)
	b = append(b, 0x10, 0xb8, 0x10, 0xb8, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0)
	b = append(b, unhex(strings.ReplaceAll(uuid, "-", ""))...)
	b = append(b, 0, 1, 0, 0)
	b = append(b, unhex("8a885d041ceb11c99fe808002b104860")...)
	b = append(b, 0, 0, 0, 2)
	binary.BigEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

// rpcLittleEndianBind returns a bind to the interface uuid (text form),
// as Windows lays it out.
func rpcLittleEndianBind(uuid string, callID uint32) []byte {
	g := unhex(strings.ReplaceAll(uuid, "-", ""))
	slices.Reverse(g[0:4])
	slices.Reverse(g[4:6])
	slices.Reverse(g[6:8])
	b := patched(rpcNetlogonBind, 32, g...)
	binary.LittleEndian.PutUint32(b[12:], callID)
	return b
}

func TestDCERPC(t *testing.T) {
	bindAckCallID2 := patched(rpcEPMBindAck, 12, 2)
	rpcShutdownPDU := unhex("05001103100000001000000001000000")
	huge := patched(rpcNetlogonRequest, 8, 0xff, 0xff)
	pad := make([]byte, 1000)
	runFlowCases(t, dcerpcSig{}, []flowCase{
		{name: "kerberos135: bind over two segments, bind_ack", transport: TCP, client: 64238, server: 135,
			steps:  []flowStep{{ToServer, rpcKerberosBind1, NeedMore}, {ToServer, rpcKerberosBind2, NeedMore}, {ToClient, rpcKerberosBindAck, Confirmed}},
			detail: map[string]string{"ptype": "bind", "interface": "isystemactivator", "auth": "spnego", "mech": "kerberos"}},
		{name: "zerologon: epmapper on 135", transport: TCP, client: 50555, server: 135,
			steps:  []flowStep{{ToServer, rpcEPMBind, NeedMore}, {ToClient, rpcEPMBindAck, Confirmed}},
			detail: map[string]string{"ptype": "bind", "interface": "epmapper"}},
		{name: "zerologon: netlogon on a dynamic port", transport: TCP, client: 50556, server: 49668,
			steps:  []flowStep{{ToServer, rpcNetlogonBind, NeedMore}, {ToClient, rpcNetlogonBindAck, Confirmed}},
			detail: map[string]string{"ptype": "bind", "interface": "netlogon"}},
		{name: "generator: ISystemActivator with three contexts", transport: TCP, client: 49326, server: 135,
			steps:  []flowStep{{ToServer, rpcSampleBind, NeedMore}, {ToClient, rpcSampleBindAck, Confirmed}},
			detail: map[string]string{"ptype": "bind", "interface": "isystemactivator"}},
		{name: "mid-stream request and response", transport: TCP, client: 50556, server: 49668,
			steps:  []flowStep{{ToServer, rpcNetlogonRequest, NeedMore}, {ToClient, rpcNetlogonResponse, Confirmed}},
			detail: map[string]string{"ptype": "request"}},
		{name: "mid-stream, sides swapped", transport: TCP, client: 49668, server: 50556,
			steps:  []flowStep{{ToServer, rpcNetlogonResponse, NeedMore}, {ToClient, rpcNetlogonRequest2, Confirmed}},
			detail: map[string]string{"ptype": "response"}},
		{name: "two PDUs in one segment", transport: TCP, client: 50556, server: 49668,
			steps:  []flowStep{{ToServer, cat(rpcNetlogonRequest, rpcNetlogonRequest2), Confirmed}},
			detail: map[string]string{"ptype": "request"}},
		{name: "header cut by the segment's end", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{
				{ToServer, cat(rpcNetlogonRequest, rpcNetlogonRequest2[:10]), NeedMore},
				{ToServer, rpcNetlogonRequest2[10:], NeedMore}, // unreadable: boundaries lost
				{ToClient, rpcNetlogonResponse, Confirmed}},
			detail: map[string]string{"ptype": "request"}},
		{name: "bind then a request in the next segment", transport: TCP, client: 50556, server: 49668,
			steps:  []flowStep{{ToServer, rpcNetlogonBind, NeedMore}, {ToServer, rpcNetlogonRequest, Confirmed}},
			detail: map[string]string{"ptype": "bind", "interface": "netlogon"}},
		{name: "big-endian data representation", transport: TCP, client: 1025, server: 135,
			steps: []flowStep{
				{ToServer, rpcBigEndianBind("12345778-1234-abcd-ef00-0123456789ac", 7), NeedMore},
				{ToServer, rpcBigEndianBind("e1af8308-5d1f-11c9-91a4-08002b14a0fa", 8), Confirmed}},
			detail: map[string]string{"ptype": "bind", "interface": "samr"}},
		{name: "unknown interface as text", transport: TCP, client: 1025, server: 135,
			steps: []flowStep{
				{ToServer, rpcLittleEndianBind("01234567-89ab-cdef-0011-223344556677", 3), NeedMore},
				{ToClient, patched(rpcNetlogonBindAck, 12, 3), Confirmed}},
			detail: map[string]string{"ptype": "bind", "interface": "01234567-89ab-cdef-0011-223344556677"}},
		{name: "shutdown is 16 bytes", transport: TCP, client: 50556, server: 49668,
			steps:  []flowStep{{ToClient, cat(rpcNetlogonResponse, rpcShutdownPDU), Confirmed}},
			detail: map[string]string{"ptype": "response"}},
		{name: "budget: a PDU that never ends", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, huge, NeedMore},
				{ToServer, pad, NeedMore}, {ToServer, pad, NeedMore}, {ToServer, pad, NeedMore},
				{ToServer, pad, NeedMore}, {ToServer, pad, NeedMore}, {ToServer, pad, NeedMore},
				{ToServer, pad, Violated}}},
		{name: "bind_ack with another call_id", transport: TCP, client: 50555, server: 135,
			steps: []flowStep{{ToServer, rpcEPMBind, NeedMore}, {ToClient, bindAckCallID2, Violated}}},
		{name: "bind without first fragment flag", transport: TCP, client: 50555, server: 135,
			steps: []flowStep{{ToServer, patched(rpcEPMBind, 3, 0x02), Violated}}},
		{name: "bind without presentation context", transport: TCP, client: 50555, server: 135,
			steps: []flowStep{{ToServer, patched(rpcEPMBind, 24, 0), Violated}}},
		{name: "connectionless PTYPE ping", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, patched(rpcNetlogonRequest, 2, 1), Violated}}},
		{name: "version 4", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, patched(rpcNetlogonRequest, 0, 4), Violated}}},
		{name: "minor version 2", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, patched(rpcNetlogonRequest, 1, 2), Violated}}},
		{name: "bad data representation", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, patched(rpcNetlogonRequest, 4, 0x12), Violated}}},
		{name: "frag_length below the request's fields", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, patched(rpcNetlogonRequest, 8, 20, 0), Violated}}},
		{name: "auth_length beyond frag_length", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, patched(rpcNetlogonRequest, 10, 0x60, 0), Violated}}},
		{name: "short first payload", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, rpcNetlogonRequest[:12], Violated}}},
		{name: "garbage after a whole PDU", transport: TCP, client: 50556, server: 49668,
			steps: []flowStep{{ToServer, cat(rpcNetlogonRequest, httpGetTesting), Violated}}},
		{name: "smb on 445 (NetBIOS session header)", transport: TCP, client: 50681, server: 445,
			steps: []flowStep{{ToServer, smbNegotiate, Violated}}},
		{name: "sip", transport: TCP, client: 5060, server: 5060, steps: []flowStep{{ToServer, sipRegisterTCP, Violated}}},
		{name: "http", transport: TCP, client: 40000, server: 80, steps: []flowStep{{ToServer, httpGetTesting, Violated}}},
		{name: "tls", transport: TCP, client: 40000, server: 5080, steps: []flowStep{{ToServer, tlsClientHelloStart, Violated}}},
	})
}

func TestDCERPCKnownInterfaces(t *testing.T) {
	for _, known := range rpcInterfaces {
		t.Run(known.name, func(t *testing.T) {
			var s State
			s.Reset(TCP, 1025, 135)
			for i, pdu := range [][]byte{rpcLittleEndianBind(known.uuid, 1), patched(rpcNetlogonBindAck, 12, 1)} {
				if got := (dcerpcSig{}).Inspect(&s, Dir(i), pdu); got.Named() != (i == 1) {
					t.Fatalf("payload %d: %v", i+1, got)
				}
			}
			if got := s.Detail.Get("interface"); got != known.name {
				t.Errorf("interface %q, want %q", got, known.name)
			}
		})
	}
}

// rpcNamesWiresharkLacks lists the interfaces Wireshark 4.0 has no name
// for, and the specification that gives their UUID.
var rpcNamesWiresharkLacks = map[string]string{
	"even6":            "[MS-EVEN6] §1.9",
	"iwbemlevel1login": "[MS-WMI] §1.9",
	"iwbemservices":    "[MS-WMI] §1.9",
	"icertpassage":     "[MS-ICPR] §3.2.4.1",
}

// TestDCERPCInterfacesTshark checks the interface table against
// Wireshark's: each UUID, laid out in a bind as Windows does, must come
// out of tshark as the same UUID, and tshark must know a name for it
// (but for rpcNamesWiresharkLacks).
func TestDCERPCInterfacesTshark(t *testing.T) {
	tshark := tsharkPath(t)
	path := filepath.Join(t.TempDir(), "binds.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, known := range rpcInterfaces {
		frame := eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", uint16(i), 0,
			tcp(uint16(40000+i), 135, 1, FlagACK|FlagPSH, rpcLittleEndianBind(known.uuid, 1))))
		ci := gopacket.CaptureInfo{CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rows := tsharkFields(t, tshark, path, nil, "dcerpc.cn_bind_to_uuid", "_ws.col.Info")
	if len(rows) != len(rpcInterfaces) {
		t.Fatalf("tshark printed %d lines for %d binds", len(rows), len(rpcInterfaces))
	}
	for i, known := range rpcInterfaces {
		row := rows[i+1]
		if row == nil {
			t.Fatalf("%s: tshark printed no line for frame %d", known.name, i+1)
		}
		uuid, info := row[0], row[1]
		if uuid != known.uuid {
			t.Errorf("%s: tshark reads UUID %q, want %q", known.name, uuid, known.uuid)
		}
		if _, lacks := rpcNamesWiresharkLacks[known.name]; strings.Contains(info, known.uuid) != lacks {
			t.Errorf("%s: tshark shows %q; want it to name the interface: %v", known.name, info, !lacks)
		}
	}
}

func TestDCERPCStateSize(t *testing.T) {
	if n := unsafe.Sizeof(dcerpcState{}); n > 48 {
		t.Errorf("dcerpcState is %d bytes, want at most 48", n)
	}
}

func TestDCERPCAllocs(t *testing.T) {
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset(TCP, 64238, 135)
		dcerpcSig{}.Inspect(&s, ToServer, rpcKerberosBind1) // NeedMore
		dcerpcSig{}.Inspect(&s, ToServer, rpcKerberosBind2) // NeedMore
		s.Reset(TCP, 50681, 445)
		dcerpcSig{}.Inspect(&s, ToServer, smbNegotiate) // Violated
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

// FuzzDCERPC feeds two payloads, split from the fuzzed input, to the
// signature in both directions.
func FuzzDCERPC(f *testing.F) {
	for _, seed := range [][]byte{rpcKerberosBind1, cat(rpcKerberosBind2, rpcKerberosBindAck), cat(rpcEPMBind, rpcEPMBindAck),
		cat(rpcNetlogonRequest, rpcNetlogonResponse), rpcSampleBind, smbNegotiate, rpcBigEndianBind("e1af8308-5d1f-11c9-91a4-08002b14a0fa", 1)} {
		f.Add(seed, uint16(len(seed)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		checkAnswers(t, dcerpcSig{}, TCP, 49152, 135, alternating(data, cut, 97))
	})
}

func BenchmarkDCERPC(b *testing.B) {
	b.Run("bind-spanning", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 64238, 135)
			dcerpcSig{}.Inspect(&s, ToServer, rpcKerberosBind1)
			dcerpcSig{}.Inspect(&s, ToServer, rpcKerberosBind2)
		}
	})
	b.Run("smb-violated", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 50681, 445)
			dcerpcSig{}.Inspect(&s, ToServer, smbNegotiate)
		}
	})
}
