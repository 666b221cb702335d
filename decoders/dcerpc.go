package decoders

import "encoding/binary"

// DCE/RPC connection-oriented PDU types ([C706] §12.6.4; auth3 from
// [MS-RPCE] §2.2.2.10, rts from [MS-RPCH] §2.2.3.6.1). Types 1 and 4 to 10
// belong to the connectionless protocol and never travel on TCP.
const (
	rpcRequest          = 0
	rpcResponse         = 2
	rpcFault            = 3
	rpcBind             = 11
	rpcBindAck          = 12
	rpcBindNak          = 13
	rpcAlterContext     = 14
	rpcAlterContextResp = 15
	rpcAuth3            = 16
	rpcShutdown         = 17
	rpcCoCancel         = 18
	rpcOrphaned         = 19
	rpcRTS              = 20
)

const (
	rpcHeaderLen  = 16   // the common header of every PDU ([C706] §12.6.1)
	rpcTrailerLen = 8    // sec_trailer before the auth value ([MS-RPCE] §2.2.2.11)
	rpcFirstFrag  = 0x01 // PFC_FIRST_FRAG
	rpcBudget     = 8    // payloads after which an unconfirmed flow is given up
)

// rpcMinLen is the smallest frag_length of each connection-oriented PDU
// type: the common header and the type's fixed fields. A bind or
// alter_context must also hold one presentation context with one transfer
// syntax (28 + 4 + 20 + 20). Zero marks the connectionless types.
var rpcMinLen = [...]uint8{
	rpcRequest:          24,
	rpcResponse:         24,
	rpcFault:            32,
	rpcBind:             72,
	rpcBindAck:          26,
	rpcBindNak:          18,
	rpcAlterContext:     72,
	rpcAlterContextResp: 26,
	rpcAuth3:            20,
	rpcShutdown:         16,
	rpcCoCancel:         16,
	rpcOrphaned:         16,
	rpcRTS:              20,
}

var rpcTypeNames = [...]string{
	rpcRequest:          "request",
	rpcResponse:         "response",
	rpcFault:            "fault",
	rpcBind:             "bind",
	rpcBindAck:          "bind_ack",
	rpcBindNak:          "bind_nak",
	rpcAlterContext:     "alter_context",
	rpcAlterContextResp: "alter_context_resp",
	rpcAuth3:            "auth3",
	rpcShutdown:         "shutdown",
	rpcCoCancel:         "co_cancel",
	rpcOrphaned:         "orphaned",
	rpcRTS:              "rts",
}

// rpcInterfaces names the RPC and DCOM interfaces a Windows server is
// usually asked for, by abstract syntax UUID. Lync Server uses DCOM on
// port 135 (ISystemActivator, IObjectExporter) for its management tools.
var rpcInterfaces = [...]struct{ uuid, name string }{
	{"000001a0-0000-0000-c000-000000000046", "isystemactivator"},
	{"99fcfec4-5260-101b-bbcb-00aa0021347a", "iobjectexporter"},
	{"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "iremoteactivation"},
	{"00000131-0000-0000-c000-000000000046", "iremunknown"},
	{"00000143-0000-0000-c000-000000000046", "iremunknown2"},
	{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper"},
	{"afa8bd80-7d8a-11c9-bef4-08002b102989", "mgmt"},
	{"12345678-1234-abcd-ef00-01234567cffb", "netlogon"},
	{"12345778-1234-abcd-ef00-0123456789ac", "samr"},
	{"12345778-1234-abcd-ef00-0123456789ab", "lsarpc"},
	{"3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup"},
	{"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi"},
	{"4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc"},
	{"6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc"},
	{"367abb81-9844-35f1-ad32-98f038001003", "svcctl"},
	{"338cd001-2244-31f1-aaaa-900038001003", "winreg"},
	{"86d35949-83c9-4044-b424-db363231fd0c", "itaskschedulerservice"},
	{"1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc"},
	{"82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog"},
	{"f6beaff7-1e19-4fbb-9f8f-b89e2018337c", "even6"},
	{"12345678-1234-abcd-ef00-0123456789ab", "spoolss"},
	{"76f03f96-cdfd-44fc-a22c-64950a001209", "iremotewinspool"},
	{"4fc742e0-4a10-11cf-8273-00aa004ae673", "netdfs"},
	{"c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc"},
	{"50abc2a4-574d-40b3-9d66-ee4fd5fba076", "dnsserver"},
	{"f309ad18-d86a-11d0-a075-00c04fb68820", "iwbemlevel1login"},
	{"9556dc99-828c-11cf-a37e-00aa003240c7", "iwbemservices"},
	{"91ae6020-9e3c-11cf-8d7c-00aa00c091be", "icertpassage"},
}

// dcerpcState follows a DCE/RPC association over its first PDUs: where
// the next header starts in each direction, the bind it saw and the
// security trailer it is waiting for.
type dcerpcState struct {
	walk   pduWalk
	tail   [2]uint16 // bytes of sec_trailer and auth value ending the PDU in flight, per Dir; 0: none awaited
	iface  [16]byte  // abstract syntax UUID of the bind's first presentation context, in text byte order
	callID uint32    // call_id of the first bind or alter_context
	seen   uint8     // payloads inspected
	pdus   uint8     // whole PDU headers checked
	first  uint8     // PTYPE of the first PDU
	auth   uint8     // auth_type of the first security trailer
	mech   uint8     // the SPNEGO token's first mechanism (spnegoMech)
	bits   uint8     // rpcSawBind, rpcBindToClient, rpcHasIface, rpcHasAuth
}

const (
	rpcSawBind      = 1 << iota // a bind or alter_context was seen
	rpcBindToClient             // …travelling ToClient
	rpcHasIface                 // iface holds the bind's interface
	rpcHasAuth                  // auth holds a trailer's auth_type
)

// dcerpcSig recognises connection-oriented DCE/RPC (MSRPC, DCOM) on TCP by
// walking PDU headers through the segments of both directions
// ([C706] §12.6; [MS-RPCE] §2.2.2). It confirms after two consistent PDUs:
// a bind answered by its bind_ack, or two requests and responses of a flow
// caught mid-stream. A PDU that runs past its segment is followed into the
// next one, so a bind that spans segments (Kerberos tickets) still yields
// its interface and auth_type. It decides within 8 payloads; the first
// payload must start with a PDU header. DCE/RPC inside SMB named pipes
// starts with a NetBIOS session header and is not claimed.
type dcerpcSig struct{}

var _ Signature = dcerpcSig{}

func (dcerpcSig) Protocol() Protocol       { return DCERPC }
func (dcerpcSig) Accepts(t Transport) bool { return t == TCP }

func (dcerpcSig) Inspect(s *State, dir Dir, payload []byte) Answer {
	st := &s.dcerpc
	if st.seen < 255 {
		st.seen++
	}
	off := 0
	if st.walk.rest[dir] > 0 {
		st.readTrailer(dir, payload)
		off = st.walk.resume(dir, len(payload))
	} else if st.walk.isLost(dir) {
		return st.undecided()
	}
	for off < len(payload) {
		b := payload[off:]
		if len(b) < rpcHeaderLen {
			// A header cut by the segment's end: plausible only after
			// a whole PDU, and the rest of this direction is unreadable.
			if st.pdus == 0 || !rpcHeaderPrefix(b) {
				return Violated
			}
			st.walk.lose(dir)
			break
		}
		h, ok := parseRPCHeader(b)
		if !ok || !st.pdu(dir, h, b) {
			return Violated
		}
		off = st.walk.next(dir, len(payload), off, h.fragLen)
	}
	if st.pdus >= 2 {
		st.record(&s.Detail)
		return Confirmed
	}
	return st.undecided()
}

// undecided gives up once the budget is spent.
func (st *dcerpcState) undecided() Answer {
	if st.seen >= rpcBudget {
		return Violated
	}
	return NeedMore
}

// pdu takes in one PDU whose header h is valid and whose bytes (as far as
// this segment holds them) are b, and reports whether it fits the flow.
func (st *dcerpcState) pdu(dir Dir, h rpcHeader, b []byte) bool {
	if st.pdus == 0 {
		st.first = h.ptype
	}
	if st.pdus < 255 {
		st.pdus++
	}
	if len(b) > h.fragLen {
		b = b[:h.fragLen]
	}
	switch h.ptype {
	case rpcBind, rpcAlterContext:
		if h.flags&rpcFirstFrag == 0 {
			return false
		}
		uuid, present, ok := rpcFirstContext(b, h.little)
		if !ok {
			return false
		}
		if present && st.bits&rpcHasIface == 0 {
			st.iface = uuid
			st.bits |= rpcHasIface
		}
		if st.bits&rpcSawBind == 0 {
			st.bits |= rpcSawBind
			if dir == ToClient {
				st.bits |= rpcBindToClient
			}
			st.callID = h.callID
		}
	case rpcBindAck, rpcBindNak, rpcAlterContextResp:
		// The answer to the bind seen carries its call_id.
		if st.bits&rpcSawBind != 0 && st.bindDir() != dir && h.callID != st.callID {
			return false
		}
	}
	if h.authLen > 0 && st.bits&rpcHasAuth == 0 {
		at := h.fragLen - h.authLen - rpcTrailerLen
		if at < len(b) {
			st.takeTrailer(b[at:])
		} else {
			st.tail[dir] = uint16(h.authLen + rpcTrailerLen)
		}
	}
	return true
}

func (st *dcerpcState) bindDir() Dir {
	if st.bits&rpcBindToClient != 0 {
		return ToClient
	}
	return ToServer
}

// readTrailer picks up a security trailer awaited in a segment that
// continues a PDU: it starts tail bytes before the PDU's end.
func (st *dcerpcState) readTrailer(dir Dir, payload []byte) {
	tail, rest := int(st.tail[dir]), int(st.walk.rest[dir])
	if tail == 0 || st.bits&rpcHasAuth != 0 {
		return
	}
	if at := rest - tail; at >= 0 && at < len(payload) {
		st.takeTrailer(payload[at:min(rest, len(payload))])
		st.tail[dir] = 0
	} else if at < 0 {
		st.tail[dir] = 0 // it began in a segment already gone
	}
}

// takeTrailer records the auth_type of the sec_trailer at the start of b,
// and the mechanism of a SPNEGO token that follows it.
func (st *dcerpcState) takeTrailer(b []byte) {
	if len(b) == 0 {
		return
	}
	st.auth = b[0]
	st.bits |= rpcHasAuth
	if st.auth == rpcAuthSPNEGO && len(b) > rpcTrailerLen {
		st.mech = spnegoMech(b[rpcTrailerLen:])
	}
}

// record writes what the association showed into d.
func (st *dcerpcState) record(d *Detail) {
	if int(st.first) < len(rpcTypeNames) {
		d.SetString("ptype", rpcTypeNames[st.first])
	}
	if st.bits&rpcHasIface != 0 {
		d.SetString("interface", rpcInterfaceName(&st.iface))
	}
	if st.bits&rpcHasAuth != 0 && st.auth != 0 {
		d.SetString("auth", rpcAuthName(st.auth))
		if st.mech != mechUnknown {
			d.SetString("mech", mechNames[st.mech])
		}
	}
}

// rpcHeader is what the signature reads from a PDU's common header.
type rpcHeader struct {
	ptype   uint8
	flags   uint8
	little  bool // data representation: little-endian integers
	fragLen int
	authLen int
	callID  uint32
}

// parseRPCHeader reads the common header at the start of b ([C706]
// §12.6.3.1) and reports whether it is one of a connection-oriented PDU
// whose lengths agree with its type.
func parseRPCHeader(b []byte) (h rpcHeader, ok bool) {
	if len(b) < rpcHeaderLen || !rpcHeaderPrefix(b) {
		return h, false
	}
	h.ptype, h.flags = b[2], b[3]
	h.little = b[4]&0x10 != 0
	var order binary.ByteOrder = binary.BigEndian
	if h.little {
		order = binary.LittleEndian
	}
	h.fragLen = int(order.Uint16(b[8:]))
	h.authLen = int(order.Uint16(b[10:]))
	h.callID = order.Uint32(b[12:])
	need := int(rpcMinLen[h.ptype])
	if h.authLen > 0 {
		need += rpcTrailerLen + h.authLen
	}
	return h, h.fragLen >= need
}

// rpcHeaderPrefix reports whether b, however short, starts like a
// connection-oriented PDU header: version 5.0 or 5.1, a connection-oriented
// PTYPE, and a data representation label whose integer and character
// nibbles, floating-point format and reserved bytes are valid (the checks
// of Wireshark's is_dcerpc, with the reserved bytes added).
func rpcHeaderPrefix(b []byte) bool {
	if len(b) == 0 || b[0] != 5 {
		return false
	}
	if len(b) > 1 && b[1] > 1 {
		return false
	}
	if len(b) > 2 && (int(b[2]) >= len(rpcMinLen) || rpcMinLen[b[2]] == 0) {
		return false
	}
	if len(b) > 4 && b[4]&0xee != 0 {
		return false
	}
	if len(b) > 5 && b[5] > 3 {
		return false
	}
	if len(b) > 7 && (b[6] != 0 || b[7] != 0) {
		return false
	}
	return true
}

// rpcFirstContext reads the first presentation context of a bind or
// alter_context PDU b (its first segment may hold only part of it): the
// abstract syntax UUID in text byte order and whether b holds it. ok is
// false when the context list is empty or has no transfer syntax.
func rpcFirstContext(b []byte, little bool) (uuid [16]byte, present, ok bool) {
	const nContexts, nTransfer, abstract = 24, 30, 32
	if len(b) > nContexts && b[nContexts] == 0 {
		return uuid, false, false
	}
	if len(b) > nTransfer && b[nTransfer] == 0 {
		return uuid, false, false
	}
	if len(b) < abstract+16 {
		return uuid, false, true
	}
	copy(uuid[:], b[abstract:abstract+16])
	if little {
		// The first three fields of a GUID follow the data representation.
		uuid[0], uuid[1], uuid[2], uuid[3] = uuid[3], uuid[2], uuid[1], uuid[0]
		uuid[4], uuid[5] = uuid[5], uuid[4]
		uuid[6], uuid[7] = uuid[7], uuid[6]
	}
	return uuid, true, true
}

// rpcInterfaceName returns the well-known name of the interface uuid, or
// the UUID as text.
func rpcInterfaceName(uuid *[16]byte) string {
	const digits = "0123456789abcdef"
	var text [36]byte
	j := 0
	for i, c := range uuid {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			text[j] = '-'
			j++
		}
		text[j], text[j+1] = digits[c>>4], digits[c&0x0f]
		j += 2
	}
	for _, known := range rpcInterfaces {
		if known.uuid == string(text[:]) {
			return known.name
		}
	}
	return string(text[:])
}

// Authentication services of the sec_trailer's auth_type ([MS-RPCE]
// §2.2.1.1.7).
const (
	rpcAuthSPNEGO = 9
)

// rpcAuthName names an auth_type.
func rpcAuthName(t uint8) string {
	switch t {
	case rpcAuthSPNEGO:
		return "spnego"
	case 10:
		return "ntlm"
	case 14:
		return "schannel"
	case 16:
		return "kerberos"
	case 68:
		return "netlogon"
	case 255:
		return "default"
	}
	return "auth-" + itoa(int(t))
}

// Security mechanisms a SPNEGO token proposes first.
const (
	mechUnknown uint8 = iota
	mechKerberos
	mechNTLM
	mechNegoEx
)

var mechNames = [...]string{mechUnknown: "unknown", mechKerberos: "kerberos", mechNTLM: "ntlm", mechNegoEx: "negoex"}

// Mechanism OIDs in DER, tag and length included: Kerberos 5
// (1.2.840.113554.1.2.2), Microsoft's Kerberos 5 (1.2.840.48018.1.2.2),
// NTLMSSP (1.3.6.1.4.1.311.2.2.10) and NegoEx (1.3.6.1.4.1.311.2.2.30).
var mechOIDs = [...]struct {
	oid  string
	mech uint8
}{
	{"\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02", mechKerberos},
	{"\x06\x09\x2a\x86\x48\x82\xf7\x12\x01\x02\x02", mechKerberos},
	{"\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a", mechNTLM},
	{"\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x1e", mechNegoEx},
}

// spnegoMech returns the first mechanism OID named near the start of a
// SPNEGO token ([RFC 4178] §4.2): the client's preferred mechanism in a
// NegTokenInit, the one chosen in a NegTokenResp.
func spnegoMech(tok []byte) uint8 {
	const window = 96 // the OIDs sit within the first few dozen bytes
	if len(tok) > window {
		tok = tok[:window]
	}
	for i := range tok {
		if tok[i] != 0x06 {
			continue
		}
		for _, m := range mechOIDs {
			if len(tok)-i >= len(m.oid) && string(tok[i:i+len(m.oid)]) == m.oid {
				return m.mech
			}
		}
	}
	return mechUnknown
}

// pduWalk follows length-framed PDUs (DCE/RPC fragments, TDS packets)
// through the TCP segments of each direction. Segments are not
// reassembled: the walk remembers how much of a PDU begun in an earlier
// segment is still to come, so that the next header is looked for where
// it starts.
type pduWalk struct {
	rest [2]uint16 // bytes of the PDU in flight still to come, per Dir
	lost uint8     // bit per Dir: a header was cut by a segment's end, boundaries unknown
}

// resume skips the part of an n-byte payload that ends the PDU in flight
// and returns the offset of the next header (n when none starts here).
func (w *pduWalk) resume(dir Dir, n int) int {
	r := int(w.rest[dir])
	if r >= n {
		w.rest[dir] = uint16(r - n)
		return n
	}
	w.rest[dir] = 0
	return r
}

// next returns the offset after a PDU of size bytes at off in an n-byte
// payload, remembering the part that runs past the payload's end.
func (w *pduWalk) next(dir Dir, n, off, size int) int {
	if end := off + size; end <= n {
		return end
	}
	w.rest[dir] = uint16(off + size - n)
	return n
}

func (w *pduWalk) lose(dir Dir)        { w.lost |= 1 << dir }
func (w *pduWalk) isLost(dir Dir) bool { return w.lost&(1<<dir) != 0 }
