package decoders

import (
	"encoding/binary"
	"testing"
	"unsafe"
)

var (
	// The generator's PRELOGIN from a Front End to the back end and the
	// server's answer (testdata/sample.pcapng, TCP 52564 → 1433; tshark:
	// "TDS7 pre-login message": Version 11.0.3000, Encryption off (0),
	// InstOpt RTC, ThreadID, MARS off; "Response": Version 11.0.5058,
	// Encryption off).
	tdsSamplePrelogin = unhex(`
		120100320000010000001a00060100200001020021000403002500040400290001ff0b000bb8000000525443000000120500`)
	tdsSamplePreloginResponse = unhex(`
		0401002b0000010000001a00060100200001020021000103002200000400220001ff0b0013c20000000000`)
	// [MS-TDS] §4.1 Pre-Login Request: version 9.0.0, encryption on,
	// an empty INSTOPT, a thread ID and MARS on.
	tdsSpecPrelogin = unhex(`
		1201002f00000100 00001a0006 0100200001 0200210001 0300220004 0400260001 ff
		090000000000 01 00 b80d0000 01`)
	// [MS-SSTDS] §4.1 Pre-Login Request: version 8.0.341, encryption off,
	// instance MSSQLServer, a thread ID.
	tdsSSTDSPrelogin = unhex(`
		1201003400000100 0000150006 01001b0001 02001c000c 0300280004 ff
		080001550000 00 4d5353514c53657276657200 80190000`)
	// [MC-SMP] §4.3 carries this SQL batch, "SET QUOTED_IDENTIFIER OFF" in
	// UTF-16 after the 22-byte ALL_HEADERS ([MS-TDS] §2.2.6.7).
	tdsBatchPacket = unhex(`
		0101005000000100 16000000 12000000 0200 0000000000000000 01000000
		5300450054002000510055004f005400450044005f004900440045004e0054004900460049004500520020004f0046004600`)
	// RDP's first payloads: TPKT (RFC 1006) around an X.224 Connection
	// Request and Confirm (testdata/sample.pcapng, TCP 57485 → 3389;
	// tshark: "Cookie: mstshash=administr, Negotiate Request", "Negotiate
	// Response"). As TDS they read RPC packets that do not end their
	// message, with a zero window.
	rdpConnectionRequest = unhex(`
		0300002f2ae00000000000436f6f6b69653a206d737473686173683d61646d696e697374720d0a010008000b000000`)
	rdpConnectionConfirm = unhex(`030000130ed00000123400021f080002000000`)
	// A tabular result holding a DONE token ([MS-TDS] §2.2.7.6): status
	// DONE_COUNT, row count 1.
	tdsDone = unhex(`0401001500330100 fd 1000 c100 0100000000000000`)
)

// tdsPacket returns one TDS packet of type typ and status status around
// body ([MS-TDS] §2.2.3.1).
func tdsPacket(typ, status byte, body []byte) []byte {
	b := []byte{typ, status}
	b = binary.BigEndian.AppendUint16(b, uint16(tdsHeaderLen+len(body)))
	b = append(b, 0, 0, 1, 0)
	return append(b, body...)
}

func TestTDS(t *testing.T) {
	tlsServerHello := patched(tlsClientHelloStart, 5, 2) // handshake type ServerHello
	bigResult := tdsPacket(tdsResult, 0, make([]byte, tdsMaxPacket-tdsHeaderLen))
	pad := make([]byte, 1000)
	withEncryption := func(v byte) []byte { return patched(tdsSamplePreloginResponse, 8+32, v) }
	runFlowCases(t, tdsSig{}, []flowCase{
		{name: "generator: prelogin and its response", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToServer, tdsSamplePrelogin, ConfirmedMore}, {ToClient, tdsSamplePreloginResponse, Confirmed}},
			detail: map[string]string{"type": "prelogin", "encryption": "off", "instance": "RTC", "version": "11.0.5058.0"}},
		{name: "MS-TDS example prelogin", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToServer, tdsSpecPrelogin, ConfirmedMore}},
			detail: map[string]string{"type": "prelogin", "encryption": "on"}},
		{name: "MS-SSTDS example prelogin", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToServer, tdsSSTDSPrelogin, ConfirmedMore}},
			detail: map[string]string{"type": "prelogin", "encryption": "off", "instance": "MSSQLServer"}},
		{name: "prelogin, then no response", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToServer, tdsSamplePrelogin, ConfirmedMore}, {ToServer, tdsBatchPacket, Confirmed}},
			detail: map[string]string{"type": "prelogin", "encryption": "off", "instance": "RTC"}},
		{name: "response alone", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToClient, tdsSamplePreloginResponse, Confirmed}},
			detail: map[string]string{"type": "tabular-result", "encryption": "off", "version": "11.0.5058.0"}},
		{name: "server requires encryption", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToClient, withEncryption(3), Confirmed}},
			detail: map[string]string{"type": "tabular-result", "encryption": "req", "version": "11.0.5058.0"}},
		{name: "server cannot encrypt", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToClient, withEncryption(2), Confirmed}},
			detail: map[string]string{"type": "tabular-result", "encryption": "not-sup", "version": "11.0.5058.0"}},
		{name: "client certificate asked for", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToClient, withEncryption(0x81), Confirmed}},
			detail: map[string]string{"type": "tabular-result", "encryption": "on+client-cert", "version": "11.0.5058.0"}},
		{name: "TLS handshake inside prelogin packets", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, tdsPacket(tdsPrelogin, 1, tlsClientHelloStart), NeedMore},
				{ToClient, tdsPacket(tdsPrelogin, 1, tlsServerHello), Confirmed}},
			detail: map[string]string{"type": "prelogin"}},
		{name: "mid-stream SQL batch and result", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToServer, tdsBatchPacket, NeedMore}, {ToClient, tdsDone, Confirmed}},
			detail: map[string]string{"type": "sql-batch"}},
		{name: "two packets in one segment", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToClient, cat(tdsPacket(tdsResult, 0, pad[:tdsMinPacket-tdsHeaderLen]), tdsDone), Confirmed}},
			detail: map[string]string{"type": "tabular-result"}},
		{name: "packet over two segments", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, tdsBatchPacket[:40], NeedMore}, {ToServer, tdsBatchPacket[40:], NeedMore},
				{ToClient, tdsDone, Confirmed}},
			detail: map[string]string{"type": "sql-batch"}},
		{name: "header cut by the segment's end", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, cat(tdsBatchPacket, tdsBatchPacket[:5]), NeedMore}, {ToServer, tdsBatchPacket[5:], NeedMore},
				{ToClient, tdsDone, Confirmed}},
			detail: map[string]string{"type": "sql-batch"}},
		{name: "attention", transport: TCP, client: 52564, server: 1433,
			steps:  []flowStep{{ToServer, cat(tdsBatchPacket, []byte{tdsAttention, 1, 0, 8, 0, 0, 1, 0}), Confirmed}},
			detail: map[string]string{"type": "sql-batch"}},
		{name: "budget: a packet that never ends", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToClient, bigResult[:1460], NeedMore}, {ToClient, pad, NeedMore}, {ToClient, pad, NeedMore},
				{ToClient, pad, NeedMore}, {ToClient, pad, NeedMore}, {ToClient, pad, Violated}}},
		{name: "pre-TDS7 login", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsBatchPacket, 0, 0x02), Violated}}},
		{name: "unused type 5", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsBatchPacket, 0, 0x05), Violated}}},
		{name: "undefined status bit", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsBatchPacket, 1, 0x21), Violated}}},
		{name: "window not zero", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsBatchPacket, 7, 1), Violated}}},
		{name: "length below the header", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsBatchPacket, 2, 0, 7), Violated}}},
		{name: "attention with data", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, []byte{tdsAttention, 1, 0, 9, 0, 0, 1, 0, 0}, Violated}}},
		{name: "prelogin without VERSION first", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsSamplePrelogin, 8, tdsOptMARS), Violated}}},
		{name: "prelogin option beyond the packet", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsSamplePrelogin, 8+1, 0, 0x40), Violated}}},
		{name: "prelogin option inside the table", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsSamplePrelogin, 8+1, 0, 0x02), Violated}}},
		{name: "prelogin VERSION of 5 bytes", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsSamplePrelogin, 8+3, 0, 5), Violated}}},
		{name: "prelogin without terminator", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, tdsPacket(tdsPrelogin, 1, unhex("0000050006"+"0b000bb80000")), Violated}}},
		{name: "prelogin with only the terminator", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, tdsPacket(tdsPrelogin, 1, []byte{tdsOptEnd}), Violated}}},
		{name: "packet longer than the largest packet size", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToClient, patched(bigResult[:1460], 2, 0x80, 0x00), Violated}}},
		{name: "short packet that does not end its message", transport: TCP, client: 52564, server: 1433,
			steps: []flowStep{{ToServer, patched(tdsBatchPacket, 1, 0), Violated}}},
		{name: "rdp: TPKT and X.224 connection request, confirm", transport: TCP, client: 57485, server: 3389,
			steps: []flowStep{{ToServer, rdpConnectionRequest, Violated}}},
		{name: "rdp: X.224 connection confirm", transport: TCP, client: 57485, server: 3389,
			steps: []flowStep{{ToClient, rdpConnectionConfirm, Violated}}},
		{name: "ms-turn framing around rtp", transport: TCP, client: 50000, server: 443,
			steps: []flowStep{{ToServer, cat([]byte{0x03, 0x00, 0x00, byte(len(rtpPayload))}, rtpPayload), Violated}}},
		{name: "net.tcp", transport: TCP, client: 57063, server: 5080, steps: []flowStep{{ToServer, nmfSamplePreamble, Violated}}},
		{name: "dcerpc", transport: TCP, client: 50555, server: 135, steps: []flowStep{{ToServer, rpcEPMBind, Violated}}},
		{name: "smb", transport: TCP, client: 50681, server: 445, steps: []flowStep{{ToServer, smbNegotiate, Violated}}},
		{name: "http", transport: TCP, client: 40000, server: 80, steps: []flowStep{{ToServer, httpGetTesting, Violated}}},
		{name: "sip", transport: TCP, client: 5060, server: 5060, steps: []flowStep{{ToServer, sipRegisterTCP, Violated}}},
		{name: "tls", transport: TCP, client: 40000, server: 1433, steps: []flowStep{{ToServer, tlsClientHelloStart, Violated}}},
	})
}

func TestTDSStateSize(t *testing.T) {
	if n := unsafe.Sizeof(tdsState{}); n > 12 {
		t.Errorf("tdsState is %d bytes, want at most 12", n)
	}
}

func TestTDSAllocs(t *testing.T) {
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset(TCP, 52564, 1433)
		tdsSig{}.Inspect(&s, ToServer, tdsBatchPacket) // NeedMore
		s.Reset(TCP, 50681, 445)
		tdsSig{}.Inspect(&s, ToServer, smbNegotiate) // Violated
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func FuzzTDS(f *testing.F) {
	for _, seed := range [][]byte{tdsSamplePrelogin, cat(tdsSamplePrelogin, tdsSamplePreloginResponse), tdsSpecPrelogin,
		tdsSSTDSPrelogin, cat(tdsBatchPacket, tdsDone), tdsPacket(tdsPrelogin, 1, tlsClientHelloStart), smbNegotiate} {
		f.Add(seed, uint16(len(seed)))
		f.Add(seed, uint16(17))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		checkAnswers(t, tdsSig{}, TCP, 49152, 1433, alternating(data, cut, 97))
	})
}

func BenchmarkTDS(b *testing.B) {
	b.Run("sql-batch-needmore", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 52564, 1433)
			tdsSig{}.Inspect(&s, ToServer, tdsBatchPacket)
		}
	})
	b.Run("smb-violated", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 50681, 445)
			tdsSig{}.Inspect(&s, ToServer, smbNegotiate)
		}
	})
	b.Run("prelogin-confirmed", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(TCP, 52564, 1433)
			tdsSig{}.Inspect(&s, ToServer, tdsSamplePrelogin)
			tdsSig{}.Inspect(&s, ToClient, tdsSamplePreloginResponse)
		}
	})
}
