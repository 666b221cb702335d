package lyncgen

// Telnet commands and options (RFC 854, 857, 858, 1091, 1073, 1079, 1572).
const (
	tnIAC  = 255
	tnWILL = 251
	tnWONT = 252
	tnDO   = 253

	tnEcho     = 1
	tnSGA      = 3
	tnTermType = 24
	tnNAWS     = 31
	tnSpeed    = 32
	tnNewEnv   = 39
)

// telnetServerHello is what the Windows Telnet service sends first: its
// option negotiation.
func telnetServerHello() []byte {
	return []byte{tnIAC, tnDO, tnTermType, tnIAC, tnDO, tnSpeed, tnIAC, tnDO, tnNAWS, tnIAC, tnDO, tnNewEnv, tnIAC, tnWILL, tnEcho, tnIAC, tnWILL, tnSGA}
}

// telnetClientReply answers it: a terminal type and window size, no
// speed or environment.
func telnetClientReply() []byte {
	return []byte{tnIAC, tnWILL, tnTermType, tnIAC, tnWONT, tnSpeed, tnIAC, tnWILL, tnNAWS, tnIAC, tnWONT, tnNewEnv, tnIAC, tnDO, tnEcho, tnIAC, tnDO, tnSGA}
}

// telnetBanner is the login prompt of the Windows Telnet service.
var telnetBanner = []byte("Welcome to Microsoft Telnet Service \r\n\n\rlogin: ")
