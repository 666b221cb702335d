// Package lyncgen writes packet captures of a Lync Server 2013 pool with
// known expected, unexpected and mismatched traffic, and the ground truth
// of every flow, so that tests can hold lyncaudit's verdicts to it.
//
// The scenario is a Front End pool of three servers behind a load balancer
// VIP, with a Director, Mediation, Persistent Chat and Office Web Apps
// servers, client PCs and IP phones, and the PSTN gateway, A/V Edge, SQL
// back end, DNS and DHCP servers around them. Every payload is built byte
// by byte from the protocols' specifications (TLS 1.2 handshakes with
// X.509 certificates, SIP and SDP, RTP/RTCP/SRTP, STUN and MS-TURN, DHCP,
// DNS, HTTP, DCE/RPC, .NET Message Framing, SQL Browser, TDS, SMB2…), and
// every TCP flow is a consistent conversation: handshake, sequence and
// acknowledgement numbers, close.
//
// Generate writes packets in time order as it goes, from a heap of the
// flows open at that moment, so a capture of gigabytes costs the memory of
// its open flows. The same Options always give the same bytes:
//
//	truth, err := lyncgen.Generate(f, lyncgen.SampleOptions())
//	...
//	err = lyncgen.WriteTruth(os.Stdout, truth) // one JSON line per flow
//	inventory := lyncgen.Inventory(lyncgen.SampleOptions())
//
// With Options.Incident, a firewall change partway through blocks the
// conferencing ports between the clients and the Front End pool, and the
// truth says which flows it caught and when (see Incident).
//
// The generator never imports the analysis packages: it is the independent
// ground truth they are tested against.
package lyncgen
