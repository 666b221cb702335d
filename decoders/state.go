package decoders

// State is one flow's payload inspection: the flow facts signatures may
// read, each signature's own scratch space, and the Detail of the
// confirmed protocol. The analyzer holds one State per flow under
// inspection and reuses it for another flow once inspection ends, so
// each signature's part must stay small (a few dozen bytes).
type State struct {
	Transport  Transport
	ClientPort uint16
	ServerPort uint16
	Payloads   [2]uint16 // payloads inspected before this one, per Dir

	Detail Detail

	// Each signature's own state, touched by that signature only.
	tls    tlsState
	msturn msturnState
	sip    sipState
	http   httpState
	stun   stunState
	rtp    rtpState
	dcerpc dcerpcState
	nettcp nettcpState
	sqlb   sqlBrowserState
	tds    tdsState
	dhcp   dhcpState
	dns    dnsState
}

// Reset prepares s for a new flow. The Detail of the previous flow is
// dropped, not reused: the analyzer hands it to that flow's record.
func (s *State) Reset(t Transport, clientPort, serverPort uint16) {
	*s = State{Transport: t, ClientPort: clientPort, ServerPort: serverPort}
}
