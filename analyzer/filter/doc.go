// Package filter compiles tcpdump filter expressions to classic BPF,
// for the forms people type on a SPAN port:
//
//	host 10.1.2.3 and not port 443
//	src net 10.0.0.0/8 or 192.168 or net 172.16.0.0 mask 255.240.0.0
//	tcp portrange 5060-5061 or udp port 3478
//	vlan 100 and ip6 and dst host 2001:db8::1
//	ip proto 17 && !(port 53 || port 5353)
//
// The subset is host, net (address/length, address mask M, and the short
// forms net 10 and net 172.16), port, portrange, proto, the qualifiers
// src, dst, src or dst, src and dst, ip, ip6, tcp and udp, the primitives
// ip, ip6, tcp, udp and vlan [N], and, or, not (&&, ||, !) and
// parentheses, with IPv4 and IPv6 addresses. Anything else tcpdump
// accepts is refused with an *Error naming the column of the unsupported
// part: a filter is never quietly read another way. Names are not
// resolved (write addresses and numbers), and numbers are decimal.
//
// Why not libpcap: building programs here needs no cgo and no libpcap at
// run time, so lyncaudit stays one static binary; and the same program
// runs in the kernel, attached to an AF_PACKET socket with
// SO_ATTACH_FILTER, and in user space on saved captures through Match, so
// a live capture and the later analysis of its file keep the same
// packets.
//
// The programs follow libpcap 1.10's gencode.c, and the tests hold them
// against tcpdump's, link type by link type. Its rules stand, surprising
// ones included:
//
//   - "and" and "or" have equal precedence and group from the left:
//     "a or b and c" is "(a or b) and c".
//   - An address after "and" or "or" takes the qualifiers of the
//     primitive before it: "tcp port 80 or 443" is "tcp port 80 or tcp
//     port 443".
//   - host also matches the sender and target addresses of ARP and RARP;
//     ip host does not.
//   - port and portrange cover TCP, UDP and SCTP; over IPv4 only in
//     unfragmented packets and first fragments, over IPv6 only when the
//     transport header follows the fixed header.
//   - tcp, udp and proto look at the IPv6 next header, and at the one
//     after a Fragment header, but no further.
//   - vlan matches 802.1Q, 802.1ad and pre-standard QinQ (0x9100) tags
//     and moves the offsets of every primitive written after it by the
//     tag: "vlan 100 and host X" looks for X inside the tag, "not vlan and
//     udp" looks for UDP four bytes too far, and "vlan and vlan 20" matches
//     VLAN 20 inside another tag.
//
// A frame cut short by the snap length inside a field the expression
// reads is turned away where that field is read, as by libpcap's
// unoptimised program (tcpdump -O); tcpdump's optimiser may read fewer
// fields and keep such a frame. On every frame that holds the fields, the
// result is tcpdump's.
//
// BSD loopback (NULL) frames carry the address family in the byte order
// of the machine that captured them; libpcap reads it in the order of the
// file. A frame does not say which file it came from, so both orders are
// accepted. For IPv6 the families of the BSDs, FreeBSD and Darwin (24,
// 28, 30) count, as libpcap counts them in files.
package filter
