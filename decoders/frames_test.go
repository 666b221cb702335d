package decoders

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
)

// Real frames from the captures in ../../shared/captures, as hex, each with
// tshark's one-line summary (tshark -n -o ip.defragment:FALSE) above it.
// Frames longer than a few lines are cut, as a snap length would cut them;
// the comment says where.
var (
	// sipp/g711a.pcap frame 1, first 96 of 294 bytes:
	// 10.1.3.143 → 10.1.6.18 UDP 294 5000 → 2006 Len=252
	frameRTP = unhex(`
		00d0501001660004762220170800451001180000400040111c230a01038f0a01
		0612138807d6010452c28088e6fd000000f0dee0ee8fd5d5d5d5d5d5d5d5d5d5
		d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5`)

	// suricata-verify/sip-tcp-method/sip-tcp.pcap frame 4, first 96 of 466 bytes:
	// 127.0.0.1 → 127.0.0.1 TCP 466 58882 → 5060 [PSH, ACK] Seq=1 Ack=1 Win=65536 Len=400
	frameTCP = unhex(`
		0000000000000000000000000800450001c4cffb400040066b367f0000017f00
		0001e60213c4e311bac36950e97980180200ffb800000101080ade372151de37
		21515245474953544552207369703a3139322e3136382e34332e3130303b7472`)

	// arkime/twovlan.pcap frame 1, VLAN 201 then VLAN 200:
	// 10.0.0.1 → 10.0.0.2 TCP 82 54422 → 80 [SYN] Seq=0 Win=29200 Len=0 MSS=1460 SACK_PERM TSval=1057156611 TSecr=0 WS=128
	frameQinQ = unhex(`
		00090fdbf43e000c29c12d24810000c9810090c808004500003c13e440004006
		ef4c0a0000010a000002d4960050c127fde700000000a002721037ba00000204
		05b40402080a3f02ee030000000001030307`)

	// suricata-verify/decode-sll2-01/input.pcap frame 1, LINUX_SLL2:
	// 192.168.1.253 → 192.168.1.21 TCP 80 56478 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=3317596243 TSecr=0 WS=128
	frameSLL2 = unhex(`
		080000000000000200010406aa763071b0e700004500003c45a94000400670b0
		c0a801fdc0a80115dc9e00508b0b439300000000a002faf0d70c0000020405b4
		0402080ac5be80530000000001030307`)

	// pcapplusplus/many_interfaces-1.pcapng frame 3, NULL with AF_INET in
	// little-endian host order:
	// 192.168.1.139 → 255.255.255.255 DB-LSP-DISC/JSON 168 Dropbox LAN sync Discovery Protocol, JavaScript Object Notation
	frameNull = unhex(`
		02000000450000a4c6ce00004011f147c0a8018bffffffff445c445c0090ba03
		7b22686f73745f696e74223a20343039343531343438332c202276657273696f
		6e223a205b312c20385d2c2022646973706c61796e616d65223a2022222c2022
		706f7274223a2031373530302c20226e616d65737061636573223a205b323035
		32343235372c203633393533393037322c203633393533393333372c20363339
		3533393535355d7d`)

	// ndpi/stun.pcap frame 1, VLAN 1611:
	// 10.77.110.51 → 10.206.50.239 TCP 70 41588 → 42000 [SYN] Seq=0 Win=8192 Len=0 MSS=1360 WS=256 SACK_PERM
	frameVLAN = unhex(`
		0000000000000008000000238100064b0800456000343e5540007b060ad20a4d
		6e330ace32efa274a410cd4ea8ae0000000080022000dcb40000020405500103
		030801010402`)

	// ndpi/stun.pcap frame 25:
	// 3516:bf0b:fc53:75e7:70af:f67f:8e49:f603 → 2a38:e156:8167:a333:face:b00c:0:24d9 STUN 82 Binding Request
	frameIPv6 = unhex(`
		0000000000000004000eb3b386dd60000000001c113f3516bf0bfc5375e770af
		f67f8e49f6032a38e1568167a333faceb00c000024d9de300d96001c237f0001
		00002112a44242717143766336792f6b4965`)

	// zeek/erspan.pcap frame 97, in GRE (key 0, protocol 0x6558) from
	// 10.200.0.3 to 10.200.0.224:
	// 192.168.69.10 → 192.168.69.2 TCP 108 49162 → 80 [SYN] Seq=0 Win=8192 Len=0 MSS=1460 WS=4 SACK_PERM
	frameGRE = unhex(`
		000c2940d0ad00211c2e414608004500005ed81700003f2f8ce70ac800030ac8
		00e020006558000000000050568208d1005056822b5208004500003403d74000
		8006eb8fc0a8450ac0a84502c00a0050ebfcdc8d00000000800220000b840000
		020405b40103030201010402`)

	// zeek/erspan.pcap frame 9, in GRE (key 0x02000000):
	// fe80::34f7:703d:ac05:43d6 → ff02::1:2 DHCPv6 199 Solicit XID: 0x8e866d CID: 000100011d110a8c0050568208d1
	frameGREIPv6 = unhex(`
		000c2940d0ad00211c2e41460800450000b9d14b00003f2f93580ac800030ac8
		00e020006558020000003333000100020050568208d186dd6000000000671101
		fe8000000000000034f7703dac0543d6ff020000000000000000000000010002
		022202230067e662018e866d0008000202bc0001000e000100011d110a8c0050
		568208d10003000c0e0050560000000000000000002700110005544644535002
		7370056c6f63616c000010000e0000013700084d53465420352e300006000800
		18001700110027`)

	// zeek/erspan.pcap frame 153, first 128 of 1514 bytes: the first
	// fragment (ID 0xe119) of a GRE packet whose inner packet is 2960 bytes:
	// 192.168.69.2 → 192.168.69.10 TCP 1514 HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]
	frameGREFirstFragment = unhex(`
		000c2940d0ad00211c2e41460800450005dce11920003f2f5e670ac800030ac8
		00e02000655802000000005056822b520050568208d1080045000b902cd64000
		8006b734c0a84502c0a8450a0050c00a885776edebfce427501000fa0b640000
		485454502f312e3120323030204f4b0d0a43616368652d436f6e74726f6c3a20`)

	// zeek/erspan.pcap frame 154, first 64 of 1514 bytes:
	// 10.200.0.3 → 10.200.0.224 IPv4 1514 Fragmented IP protocol (proto=Generic Routing Encapsulation 47, off=1480, ID=e119)
	frameGRELaterFragment = unhex(`
		000c2940d0ad00211c2e41460800450005dce11920b93f2f5dae0ac800030ac8
		00e0ff075717d433fd0f9dd39c3c6ea675b16afd0e7f3abbcce45370f88f5d66`)

	// zeek/erspan.pcap frame 1, in GRE:
	// 192.168.69.10 → 192.168.69.2 ICMP 116 Echo (ping) request  id=0x0001, seq=779/2819, ttl=128
	frameGREICMP = unhex(`
		000c2940d0ad00211c2e4146080045000066d13b00003f2f93bb0ac800030ac8
		00e020006558000000000050568208d1005056822b5208004500003c03ad0000
		80012bb7c0a8450ac0a8450208004a500001030b6162636465666768696a6b6c
		6d6e6f7071727374757677616263646566676869`)

	// zeek/erspan.pcap frame 5, in GRE:
	// 00:50:56:82:2b:52 → 00:50:56:82:08:d1 ARP 102 Who has 192.168.69.2? Tell 192.168.69.10
	frameGREARP = unhex(`
		000c2940d0ad00211c2e4146080045000058d14500003f2f93bf0ac800030ac8
		00e020006558000000000050568208d1005056822b5208060001080006040001
		005056822b52c0a8450a0050568208d1c0a84502000000000000000000000000
		000000000000`)

	// heplify/rtp_rtcp_sip_ipv4_udp.pcap frame 23:
	// 00:b0:64:10:84:4f → 01:80:c2:00:00:00 STP 60 Conf. Root = 32768/0/00:b0:64:10:84:40  Cost = 0  Port = 0x800f
	frameSTP = unhex(`
		0180c200000000b06410844f00264242030000000000800000b0641084400000
		0000800000b064108440800f0000140002000f000000000000000000`)

	// ndpi/teams.pcap frame 1490, quoting the UDP datagram it answers:
	// 93.71.110.205 → 192.168.1.6 ICMP 70 Destination unreachable (Port unreachable)
	frameICMP = unhex(`
		283737006dc8101331f13976080045a00038d1f800003501256a5d476ecdc0a8
		01060303702b000000004500004a1d8000003211dd60c0a801065d476ecdc374
		3fcd00368959`)

	// ndpi/fuzz-2006-06-26-2594.pcap frame 138, a later fragment:
	// 192.168.1.2 → 192.168.1.1 IPv4 86 Fragmented IP protocol (proto=UDP 17, off=152, ID=6a22)
	frameLaterFragment = unhex(`
		30305400345600e0ed016ebd0800450000486a22001380114d2fc0a80102c0a8
		01010aac00350034cd405cd801000001000000000000045f736970045f756470
		037369700963796265726369747902646b0000210001`)

	// ndpi/fuzz-2006-06-26-2594.pcap frame 669, EtherType IPv4 on an IPv6
	// header:
	// 8011:4af7:c0a8:102:c0a8:101:b0b:35 → 34:4489:e530:100:1:: IPv6 86 IPv6 hop-by-hop options[Malformed Packet]
	frameWrongVersion = unhex(`
		00305c00344700e0ed016ebd0800600000486c5a000080114af7c0a80102c0a8
		01010b0b003500344489e53001000001000000000000045f736970045f756470
		037369700963796245776369747902646b0000218001`)
)

// unhex decodes a hex literal, ignoring white space.
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Builders for crafted frames. Each returns its header followed by the
// payload, with the length fields filled in; checksums are left zero, which
// Decode does not look at.

// cat concatenates byte slices into a new one.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// patched returns a copy of b with the bytes at off replaced by v.
func patched(b []byte, off int, v ...byte) []byte {
	c := bytes.Clone(b)
	copy(c[off:], v)
	return c
}

// be16 and be32 return big-endian encodings.
func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// eth returns an Ethernet header with EtherType t, then payload.
func eth(t uint16, payload ...[]byte) []byte {
	h := unhex("020000000001 020000000002")
	return cat(append(h, be16(t)...), cat(payload...))
}

// tag returns an 802.1Q-style tag with VLAN ID vid, followed by EtherType t.
func tag(vid, t uint16) []byte { return cat(be16(vid), be16(t)) }

// ipv4 returns an IPv4 header of protocol proto, fragment ID id and the
// flags/offset word fragWord, then payload.
func ipv4(proto byte, src, dst string, id, fragWord uint16, payload []byte) []byte {
	h := []byte{0x45, 0}
	h = append(h, be16(uint16(20+len(payload)))...)
	h = append(h, be16(id)...)
	h = append(h, be16(fragWord)...)
	h = append(h, 64, proto, 0, 0)
	h = append(h, netip.MustParseAddr(src).AsSlice()...)
	h = append(h, netip.MustParseAddr(dst).AsSlice()...)
	return cat(h, payload)
}

// ipv6 returns an IPv6 header whose next header is next, then payload.
func ipv6(next byte, src, dst string, payload []byte) []byte {
	h := []byte{0x60, 0, 0, 0}
	h = append(h, be16(uint16(len(payload)))...)
	h = append(h, next, 64)
	h = append(h, netip.MustParseAddr(src).AsSlice()...)
	h = append(h, netip.MustParseAddr(dst).AsSlice()...)
	return cat(h, payload)
}

// udp returns a UDP header and payload.
func udp(sport, dport uint16, payload []byte) []byte {
	return cat(be16(sport), be16(dport), be16(uint16(8+len(payload))), be16(0), payload)
}

// tcp returns a 20-byte TCP header and payload.
func tcp(sport, dport uint16, seq uint32, flags TCPFlags, payload []byte) []byte {
	h := cat(be16(sport), be16(dport), be32(seq), be32(0))
	h = append(h, 0x50, byte(flags), 0xff, 0xff, 0, 0, 0, 0)
	return cat(h, payload)
}

// rtpPayload is the start of an RTP packet (version 2, PCMA) with four
// bytes of audio.
var rtpPayload = unhex("8008 0001 00000000 12345678 d5d5d5d5")
