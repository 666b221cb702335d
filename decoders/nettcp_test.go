package decoders

import (
	"strings"
	"testing"
	"unsafe"
)

var (
	// The generator's net.tcp preamble to the Bandwidth Policy Service
	// (testdata/sample.pcapng, TCP 57063 → 5080, decoded with tshark -d
	// tcp.port==5080,mc-nmf: Version 1.0, Mode Duplex, Via
	// net.tcp://pool01.contoso.local:5080/LS/PDP/BandwidthPolicyService,
	// Known Encoding Binary with in-band dictionary (8), Upgrade Request
	// application/ssl-tls).
	nmfSamplePreamble = unhex(`
		000100010202416e65742e7463703a2f2f706f6f6c30312e636f6e746f736f2e6c6f63616c3a353038302f4c532f5044
		502f42616e647769647468506f6c69637953657276696365030809136170706c69636174696f6e2f73736c2d746c73`)
	// The server's answer in the same flow: Upgrade Response Record (10).
	nmfUpgradeResponseByte = []byte{nmfUpgradeResponse}
)

// nmfRecord returns a record of type typ carrying s, its size encoded as
// [MC-NMF] §2.2.2 says: 7 bits a byte, least significant first.
func nmfRecord(typ byte, s string) []byte {
	b := []byte{typ}
	for n := len(s); ; n >>= 7 {
		if n < 0x80 {
			b = append(b, byte(n))
			break
		}
		b = append(b, byte(n)|0x80)
	}
	return append(b, s...)
}

// nmfStart is the Version record (§2.2.3.1) and a Mode record (§2.2.3.2).
func nmfStart(mode byte) []byte { return []byte{0x00, 1, 0, 0x01, mode} }

func TestNetTCP(t *testing.T) {
	longVia := "net.tcp://" + strings.Repeat("a", 286) + "/svc" // 300 bytes: a two-byte size, and clipped
	ackThenTLS := []flowStep{{ToClient, []byte{nmfPreambleAck}, NeedMore}, {ToServer, tlsClientHelloStart, Violated}}
	runFlowCases(t, nettcpSig{}, []flowCase{
		{name: "generator: duplex, binary, upgrade to TLS", transport: TCP, client: 57063, server: 5080,
			steps: []flowStep{{ToServer, nmfSamplePreamble, Confirmed}},
			detail: map[string]string{"via": "net.tcp://pool01.contoso.local:5080/LS/PDP/BandwidthPolicyService",
				"mode": "duplex", "encoding": "binary-session", "upgrade": "ssl-tls"}},
		{name: "upgrade response seen first", transport: TCP, client: 57063, server: 5080,
			steps: []flowStep{{ToClient, nmfUpgradeResponseByte, NeedMore}, {ToServer, nmfSamplePreamble, Confirmed}},
			detail: map[string]string{"via": "net.tcp://pool01.contoso.local:5080/LS/PDP/BandwidthPolicyService",
				"mode": "duplex", "encoding": "binary-session", "upgrade": "ssl-tls"}},
		{name: "preamble from the side taken for the server", transport: TCP, client: 5080, server: 57063,
			steps: []flowStep{{ToClient, nmfSamplePreamble, Confirmed}},
			detail: map[string]string{"via": "net.tcp://pool01.contoso.local:5080/LS/PDP/BandwidthPolicyService",
				"mode": "duplex", "encoding": "binary-session", "upgrade": "ssl-tls"}},
		{name: "simplex, SOAP 1.2, preamble end", transport: TCP, client: 50000, server: 808,
			steps:  []flowStep{{ToServer, cat(nmfStart(3), nmfRecord(nmfVia, "net.tcp://fe01/svc"), []byte{nmfKnownEncoding, 3, nmfPreambleEnd}), Confirmed}},
			detail: map[string]string{"via": "net.tcp://fe01/svc", "mode": "simplex", "encoding": "soap12-utf8"}},
		{name: "extensible encoding and negotiate upgrade", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(4), nmfRecord(nmfVia, "net.pipe://x/y"),
				nmfRecord(nmfExtEncoding, "application/soap+msbin1"), nmfRecord(nmfUpgradeRequest, "application/negotiate")), Confirmed}},
			detail: map[string]string{"via": "net.pipe://x/y", "mode": "singleton-sized",
				"encoding": "application/soap+msbin1", "upgrade": "negotiate"}},
		{name: "two-byte record size", transport: TCP, client: 50000, server: 808,
			steps:  []flowStep{{ToServer, cat(nmfStart(2), nmfRecord(nmfVia, longVia), []byte{nmfKnownEncoding, 8, nmfPreambleEnd}), Confirmed}},
			detail: map[string]string{"via": longVia[:maxDetailValue], "mode": "duplex", "encoding": "binary-session"}},
		{name: "via cut by the segment's end", transport: TCP, client: 50000, server: 808,
			steps:  []flowStep{{ToServer, nmfSamplePreamble[:30], Confirmed}},
			detail: map[string]string{"via": "net.tcp://pool01.contos", "mode": "duplex"}},
		{name: "size in more bytes than needed", transport: TCP, client: 50000, server: 808,
			// 0x8c 0x00 is 12 spelt in two bytes: longer than needed, still valid.
			steps:  []flowStep{{ToServer, cat(nmfStart(1), []byte{nmfVia, 0x8c, 0x00}, []byte("net.tcp://h/")), Confirmed}},
			detail: map[string]string{"via": "net.tcp://h/", "mode": "singleton-unsized"}},
		{name: "preamble ack, then not a preamble", transport: TCP, client: 50000, server: 808, steps: ackThenTLS},
		{name: "two lone acks", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToClient, []byte{nmfPreambleAck}, NeedMore}, {ToClient, []byte{nmfPreambleAck}, Violated}}},
		{name: "version 2", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, patched(nmfSamplePreamble, 1, 2), Violated}}},
		{name: "minor version 1", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, patched(nmfSamplePreamble, 2, 1), Violated}}},
		{name: "mode 0", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, patched(nmfSamplePreamble, 4, 0), Violated}}},
		{name: "mode 5", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, patched(nmfSamplePreamble, 4, 5), Violated}}},
		{name: "via without a scheme", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(2), nmfRecord(nmfVia, "pool01:5080/x")), Violated}}},
		{name: "via with a space", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(2), nmfRecord(nmfVia, "net.tcp://a b/")), Violated}}},
		{name: "empty via", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(2), []byte{nmfVia, 0}, nmfRecord(nmfVia, "net.tcp://a/")), Violated}}},
		{name: "size of six bytes", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(2), []byte{nmfVia, 0x81, 0x80, 0x80, 0x80, 0x80, 0}, []byte("net.tcp://a/")), Violated}}},
		{name: "reserved known encoding 9", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(2), nmfRecord(nmfVia, "net.tcp://a/"), []byte{nmfKnownEncoding, 9}), Violated}}},
		{name: "sized envelope before the encoding", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(2), nmfRecord(nmfVia, "net.tcp://a/"), []byte{0x06, 1, 0}), Violated}}},
		{name: "upgrade before the encoding", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, cat(nmfStart(2), nmfRecord(nmfVia, "net.tcp://a/"), nmfRecord(nmfUpgradeRequest, "application/ssl-tls")), Violated}}},
		{name: "version and mode only", transport: TCP, client: 50000, server: 808,
			steps: []flowStep{{ToServer, nmfStart(2), Violated}}},
		{name: "one zero byte", transport: TCP, client: 50000, server: 808, steps: []flowStep{{ToServer, []byte{0}, Violated}}},
		{name: "dcerpc bind", transport: TCP, client: 50555, server: 135, steps: []flowStep{{ToServer, rpcEPMBind, Violated}}},
		{name: "smb", transport: TCP, client: 50681, server: 445, steps: []flowStep{{ToServer, smbNegotiate, Violated}}},
		{name: "http", transport: TCP, client: 40000, server: 80, steps: []flowStep{{ToServer, httpGetTesting, Violated}}},
		{name: "tls", transport: TCP, client: 40000, server: 5080, steps: []flowStep{{ToServer, tlsClientHelloStart, Violated}}},
	})
}

func TestNetTCPStateSize(t *testing.T) {
	if n := unsafe.Sizeof(nettcpState{}); n > 4 {
		t.Errorf("nettcpState is %d bytes, want at most 4", n)
	}
}

func TestNetTCPAllocs(t *testing.T) {
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset(TCP, 57063, 5080)
		nettcpSig{}.Inspect(&s, ToClient, nmfUpgradeResponseByte) // NeedMore
		nettcpSig{}.Inspect(&s, ToServer, tlsClientHelloStart)    // Violated
		s.Reset(TCP, 50681, 445)
		nettcpSig{}.Inspect(&s, ToServer, smbNegotiate) // Violated
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func FuzzNetTCP(f *testing.F) {
	for _, seed := range [][]byte{nmfSamplePreamble, cat(nmfUpgradeResponseByte, nmfSamplePreamble),
		cat(nmfStart(4), nmfRecord(nmfVia, "net.pipe://x/y"), nmfRecord(nmfExtEncoding, "application/soap+msbin1"), []byte{nmfPreambleEnd}),
		rpcEPMBind, tlsClientHelloStart} {
		f.Add(seed, uint16(1))
		f.Add(seed, uint16(len(seed)))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		checkAnswers(t, nettcpSig{}, TCP, 49152, 808, alternating(data, cut, 97))
	})
}

func BenchmarkNetTCP(b *testing.B) {
	b.Run("upgrade-response", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 57063, 5080)
			nettcpSig{}.Inspect(&s, ToClient, nmfUpgradeResponseByte)
		}
	})
	b.Run("tls-violated", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 57063, 5080)
			nettcpSig{}.Inspect(&s, ToServer, tlsClientHelloStart)
		}
	})
	b.Run("preamble-confirmed", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 57063, 5080)
			nettcpSig{}.Inspect(&s, ToServer, nmfSamplePreamble)
		}
	})
}
