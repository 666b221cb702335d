package decoders

import (
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"
)

var (
	// The generator's CLNT_UCAST_INST for instance RTC and the back end's
	// SVR_RESP (testdata/sample.pcapng, UDP 52563 → 1434 and back; tshark
	// has no dissector for [MC-SQLR] and shows "UDP Len=5", "Len=119").
	sqlbRequestRTC  = unhex(`0452544300`)
	sqlbResponseRTC = unhex(`
		0574005365727665724e616d653b53514c30313b496e7374616e63654e616d653b5254433b4973436c75737465726564
		3b4e6f3b56657273696f6e3b31312e302e353035382e303b7463703b34393737393b6e703b5c5c53514c30315c706970
		655c4d5353514c245254435c73716c5c71756572793b3b`)
	// Persistent Chat's local RTCLOCAL instance asked for by a Front End
	// (UDP 50958 → 1434 and back).
	sqlbRequestRTCLocal  = unhex(`045254434c4f43414c00`)
	sqlbResponseRTCLocal = unhex(`
		0582005365727665724e616d653b504348415430313b496e7374616e63654e616d653b5254434c4f43414c3b4973436c
		757374657265643b4e6f3b56657273696f6e3b31312e302e353035382e303b7463703b35313334363b6e703b5c5c5043
		48415430315c706970655c4d5353514c245254434c4f43414c5c73716c5c71756572793b3b`)
	// A CLNT_UCAST_DAC for the default instance ([MC-SQLR] §2.2.4) and the
	// six-byte SVR_RESP (DAC) giving TCP port 1042 (§2.2.6; the spec does
	// not state the port's byte order: little-endian, as RESP_SIZE).
	sqlbDACQuery  = append([]byte{sqlbUcastDAC, 1}, "MSSQLSERVER\x00"...)
	sqlbDACAnswer = []byte{sqlbResp, 6, 0, 1, 0x12, 0x04}
)

// sqlbResponse returns an SVR_RESP carrying text ([MC-SQLR] §2.2.5).
func sqlbResponse(text string) []byte {
	b := []byte{sqlbResp}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(text)))
	return append(b, text...)
}

func TestSQLBrowser(t *testing.T) {
	two := sqlbResponse("ServerName;BE01;InstanceName;MSSQLSERVER;IsClustered;No;Version;10.50.1600.1;tcp;1433;;" +
		"ServerName;BE01;InstanceName;RTC;IsClustered;No;Version;11.0.5058.0;tcp;49779;;")
	rtc := map[string]string{"server": "SQL01", "instance": "RTC", "version": "11.0.5058.0", "tcp": "49779"}
	runFlowCases(t, sqlBrowserSig{}, []flowCase{
		{name: "generator: instance RTC on the back end", transport: UDP, client: 52563, server: 1434,
			steps:  []flowStep{{ToServer, sqlbRequestRTC, ConfirmedMore}, {ToClient, sqlbResponseRTC, Confirmed}},
			detail: rtc},
		{name: "generator: RTCLOCAL on Persistent Chat", transport: UDP, client: 50958, server: 1434,
			steps:  []flowStep{{ToServer, sqlbRequestRTCLocal, ConfirmedMore}, {ToClient, sqlbResponseRTCLocal, Confirmed}},
			detail: map[string]string{"server": "PCHAT01", "instance": "RTCLOCAL", "version": "11.0.5058.0", "tcp": "51346"}},
		{name: "response alone", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToClient, sqlbResponseRTC, Confirmed}}, detail: rtc},
		{name: "response from the side taken for the client", transport: UDP, client: 1434, server: 52563,
			steps: []flowStep{{ToServer, sqlbResponseRTC, Confirmed}}, detail: rtc},
		{name: "request off port 1434 with a name", transport: UDP, client: 52563, server: 50000,
			steps: []flowStep{{ToServer, sqlbRequestRTC, ConfirmedMore}}, detail: map[string]string{"instance": "RTC"}},
		{name: "request retried, then answered", transport: UDP, client: 52563, server: 1434,
			steps:  []flowStep{{ToServer, sqlbRequestRTC, ConfirmedMore}, {ToServer, sqlbRequestRTC, ConfirmedMore}, {ToClient, sqlbResponseRTC, Confirmed}},
			detail: rtc},
		{name: "request never answered", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, sqlbRequestRTC, ConfirmedMore}, {ToServer, sqlbRequestRTC, ConfirmedMore},
				{ToServer, sqlbRequestRTC, ConfirmedMore}, {ToServer, sqlbRequestRTC, Confirmed}},
			detail: map[string]string{"instance": "RTC"}},
		{name: "request, then something else", transport: UDP, client: 52563, server: 1434,
			steps:  []flowStep{{ToServer, sqlbRequestRTC, ConfirmedMore}, {ToClient, dnsQueryApple, Confirmed}},
			detail: map[string]string{"instance": "RTC"}},
		{name: "CLNT_UCAST_EX to 1434, two instances", transport: UDP, client: 52563, server: 1434,
			steps:  []flowStep{{ToServer, []byte{sqlbUcastEx}, ConfirmedMore}, {ToClient, two, Confirmed}},
			detail: map[string]string{"server": "BE01", "instance": "MSSQLSERVER", "version": "10.50.1600.1", "tcp": "1433"}},
		{name: "CLNT_BCAST_EX to 1434", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, []byte{sqlbBcastEx}, ConfirmedMore}}},
		{name: "CLNT_UCAST_EX to 1434, sides swapped", transport: UDP, client: 1434, server: 52563,
			steps: []flowStep{{ToClient, []byte{sqlbUcastEx}, ConfirmedMore}}},
		{name: "CLNT_UCAST_EX off port 1434", transport: UDP, client: 52563, server: 5000,
			steps: []flowStep{{ToServer, []byte{sqlbUcastEx}, Violated}}},
		{name: "CLNT_UCAST_EX from port 1434", transport: UDP, client: 1434, server: 5000,
			steps: []flowStep{{ToServer, []byte{sqlbUcastEx}, Violated}}},
		{name: "dedicated admin connection", transport: UDP, client: 52563, server: 1434,
			steps:  []flowStep{{ToServer, sqlbDACQuery, ConfirmedMore}, {ToClient, sqlbDACAnswer, Confirmed}},
			detail: map[string]string{"instance": "MSSQLSERVER", "dac": "1042"}},
		{name: "DAC answer alone, from 1434", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToClient, sqlbDACAnswer, Confirmed}}, detail: map[string]string{"dac": "1042"}},
		{name: "DAC answer alone, elsewhere", transport: UDP, client: 52563, server: 5000,
			steps: []flowStep{{ToClient, sqlbDACAnswer, Violated}}},
		{name: "DAC with protocol version 2", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, append([]byte{sqlbUcastDAC, 2}, "MSSQLSERVER\x00"...), Violated}}},
		{name: "name without its NUL", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, sqlbRequestRTC[:4], Violated}}},
		{name: "empty name", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, []byte{sqlbUcastIns, 0}, Violated}}},
		{name: "name of 33 bytes", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, append(append([]byte{sqlbUcastIns}, strings.Repeat("A", 33)...), 0), Violated}}},
		{name: "name of 32 bytes", transport: UDP, client: 52563, server: 1434,
			steps:  []flowStep{{ToServer, append(append([]byte{sqlbUcastIns}, strings.Repeat("A", 32)...), 0), ConfirmedMore}},
			detail: map[string]string{"instance": strings.Repeat("A", 32)}},
		{name: "name with a control byte", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, []byte{sqlbUcastIns, 'R', 0x01, 'C', 0}, Violated}}},
		{name: "bytes after the NUL", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToServer, cat(sqlbRequestRTC, []byte{0}), Violated}}},
		{name: "RESP_SIZE one short", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToClient, patched(sqlbResponseRTC, 1, 0x73), Violated}}},
		{name: "RESP_SIZE big-endian", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToClient, sqlbSwappedSize(), Violated}}},
		{name: "response not starting with ServerName", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToClient, sqlbResponse("InstanceName;RTC;ServerName;SQL01;IsClustered;No;Version;11.0;;"), Violated}}},
		{name: "response without its closing ;;", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToClient, sqlbResponse("ServerName;SQL01;InstanceName;RTC;IsClustered;No;Version;11.0;"), Violated}}},
		{name: "response with a bad version", transport: UDP, client: 52563, server: 1434,
			steps: []flowStep{{ToClient, sqlbResponse("ServerName;SQL01;InstanceName;RTC;IsClustered;No;Version;eleven;;"), Violated}}},
		{name: "response keys in another case", transport: UDP, client: 52563, server: 1434,
			steps:  []flowStep{{ToClient, sqlbResponse("SERVERNAME;SQL01;INSTANCENAME;RTC;ISCLUSTERED;NO;VERSION;11.0;;"), Confirmed}},
			detail: map[string]string{"server": "SQL01", "instance": "RTC", "version": "11.0"}},
		{name: "lone 0x05", transport: UDP, client: 52563, server: 1434, steps: []flowStep{{ToClient, []byte{sqlbResp}, Violated}}},
		{name: "dns", transport: UDP, client: 52563, server: 53, steps: []flowStep{{ToServer, dnsQueryApple, Violated}}},
		{name: "stun", transport: UDP, client: 52563, server: 3478, steps: []flowStep{{ToServer, stunBindingRequest, Violated}}},
		{name: "rtp", transport: UDP, client: 52563, server: 1434, steps: []flowStep{{ToServer, rtpPayload, Violated}}},
	})
}

func TestSQLBrowserStateSize(t *testing.T) {
	if n := unsafe.Sizeof(sqlBrowserState{}); n > 4 {
		t.Errorf("sqlBrowserState is %d bytes, want at most 4", n)
	}
}

func TestSQLBrowserAllocs(t *testing.T) {
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset(UDP, 52563, 1434)
		sqlBrowserSig{}.Inspect(&s, ToServer, []byte{sqlbUcastEx}) // ConfirmedMore, no detail
		s.Reset(UDP, 52563, 53)
		sqlBrowserSig{}.Inspect(&s, ToServer, dnsQueryApple) // Violated
		s.Reset(UDP, 52563, 1434)
		sqlBrowserSig{}.Inspect(&s, ToClient, sqlbSwappedSize()) // Violated
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

// sqlbSwappedSize returns the generator's response with its RESP_SIZE
// byte-swapped, which only the size check can tell apart.
var sqlbSwappedSize = func() func() []byte {
	b := append([]byte(nil), sqlbResponseRTC...)
	b[1], b[2] = b[2], b[1]
	return func() []byte { return b }
}()

func FuzzSQLBrowser(f *testing.F) {
	for _, seed := range [][]byte{sqlbRequestRTC, sqlbResponseRTC, cat(sqlbRequestRTCLocal, sqlbResponseRTCLocal),
		cat(sqlbDACQuery, sqlbDACAnswer), {sqlbUcastEx}, dnsQueryApple} {
		f.Add(seed, uint16(len(seed)))
		f.Add(seed, uint16(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		checkAnswers(t, sqlBrowserSig{}, UDP, 49152, sqlbPort, alternating(data, cut, 97))
	})
}

func BenchmarkSQLBrowser(b *testing.B) {
	b.Run("dns-violated", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(UDP, 52563, 53)
			sqlBrowserSig{}.Inspect(&s, ToServer, dnsQueryApple)
		}
	})
	b.Run("size-mismatch-violated", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		resp := sqlbSwappedSize()
		for b.Loop() {
			s.Reset(UDP, 52563, 1434)
			sqlBrowserSig{}.Inspect(&s, ToClient, resp)
		}
	})
	b.Run("response-confirmed", func(b *testing.B) {
		b.ReportAllocs()
		var s State
		for b.Loop() {
			s.Reset(UDP, 52563, 1434)
			sqlBrowserSig{}.Inspect(&s, ToClient, sqlbResponseRTC)
		}
	})
}
