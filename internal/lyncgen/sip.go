package lyncgen

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The User-Agent and Server strings of the scenario's SIP endpoints.
const (
	uaLync      = "UCCAPI/15.0.4569.1503 OC/15.0.4569.1503 (Microsoft Lync)"
	uaServer    = "RTC/5.0"
	uaMediation = "RTCC/5.0.0.0 MediationServer"
	uaGateway   = "AudioCodes-Sip-Gateway-Mediant 1000/v.6.60A.227.005"
	uaUCMA      = "RTCC/5.0.0.0 ContosoPresenceMonitor/1.2"
)

// lyncMethods is the methods list Lync 2013 clients put in Contact.
const lyncMethods = `"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY"`

// header is one header line of a SIP or HTTP message.
type header struct{ name, value string }

// sipDialog builds the messages of one SIP dialog over one connection:
// it keeps the Call-ID, tags, CSeq and the Via branch of the request in
// progress so that responses match their requests.
type sipDialog struct {
	r         *rng
	transport string         // "TCP", "TLS" or "UDP", as in Via
	local     netip.AddrPort // the side sending requests
	from, to  string         // name-addr of the two parties
	fromTag   string
	toTag     string
	epid      string // Lync endpoint ID, "" for non-Lync user agents
	callID    string
	cseq      int
	agent     string // User-Agent of the requester
	server    string // Server header of the responder
	branch    string // Via branch of the last request
	method    string // method of the last request
	lastCSeq  int
	at        time.Time // Date of responses
}

func newSIPDialog(r *rng, transport string, local netip.AddrPort, from, to, agent, server string) *sipDialog {
	return &sipDialog{
		r: r, transport: transport, local: local, from: from, to: to,
		fromTag: r.hex(10), callID: r.hex(32), agent: agent, server: server,
	}
}

// sipMessage returns a message: the start line, the headers, a computed
// Content-Length and the body.
func sipMessage(start string, hdrs []header, contentType, body string) []byte {
	var b strings.Builder
	b.WriteString(start)
	b.WriteString("\r\n")
	for _, h := range hdrs {
		b.WriteString(h.name)
		b.WriteString(": ")
		b.WriteString(h.value)
		b.WriteString("\r\n")
	}
	if contentType != "" {
		b.WriteString("Content-Type: " + contentType + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.WriteString(body)
	return []byte(b.String())
}

func (d *sipDialog) via() string {
	return fmt.Sprintf("SIP/2.0/%s %s;branch=%s", d.transport, d.local, d.branch)
}

func (d *sipDialog) fromHeader() string {
	v := d.from + ";tag=" + d.fromTag
	if d.epid != "" {
		v += ";epid=" + d.epid
	}
	return v
}

func (d *sipDialog) toHeader() string {
	if d.toTag == "" {
		return d.to
	}
	return d.to + ";tag=" + d.toTag
}

// request returns a new request of the dialog (a new transaction, except
// for ACK, which reuses the INVITE's CSeq number).
func (d *sipDialog) request(method, uri, contentType, body string, extra ...header) []byte {
	if method == "ACK" {
		d.cseq = d.lastCSeq
	} else {
		d.cseq++
	}
	d.lastCSeq = d.cseq
	d.branch = "z9hG4bK" + d.r.hex(16)
	d.method = method
	hdrs := []header{
		{"Via", d.via()},
		{"Max-Forwards", "70"},
		{"From", d.fromHeader()},
		{"To", d.toHeader()},
		{"Call-ID", d.callID},
		{"CSeq", fmt.Sprintf("%d %s", d.cseq, method)},
	}
	if d.agent != "" {
		hdrs = append(hdrs, header{"User-Agent", d.agent})
	}
	hdrs = append(hdrs, extra...)
	return sipMessage(method+" "+uri+" SIP/2.0", hdrs, contentType, body)
}

// response answers the last request.
func (d *sipDialog) response(code int, reason, contentType, body string, extra ...header) []byte {
	if d.toTag == "" && code > 100 {
		d.toTag = d.r.hex(10)
	}
	via := d.via() + ";received=" + d.local.Addr().String()
	if d.epid != "" {
		// A Front End also notes the port and connection a Lync client's
		// request came on.
		via += fmt.Sprintf(";ms-received-port=%d;ms-received-cid=%s", d.local.Port(), strings.ToUpper(d.r.hex(4)))
	}
	hdrs := []header{
		{"Via", via},
		{"From", d.fromHeader()},
		{"To", d.toHeader()},
		{"Call-ID", d.callID},
		{"CSeq", fmt.Sprintf("%d %s", d.lastCSeq, d.method)},
	}
	if !d.at.IsZero() {
		hdrs = append(hdrs, header{"Date", d.at.UTC().Format(time.RFC1123)})
	}
	hdrs = append(hdrs, extra...)
	if d.server != "" {
		hdrs = append(hdrs, header{"Server", d.server})
	}
	return sipMessage(fmt.Sprintf("SIP/2.0 %d %s", code, reason), hdrs, contentType, body)
}

// reverse returns a dialog for requests the other side sends within the
// same dialog (NOTIFY and BENOTIFY from a server, BYE from the callee).
func (d *sipDialog) reverse(local netip.AddrPort, agent, server string) *sipDialog {
	return &sipDialog{
		r: d.r, transport: d.transport, local: local,
		from: d.to, to: d.from, fromTag: d.toTag, toTag: d.fromTag,
		callID: d.callID, cseq: d.r.between(1, 9), agent: agent, server: server, at: d.at,
	}
}

// lyncContact returns the Contact a Lync client registers.
func lyncContact(r *rng, local netip.AddrPort, transport string) string {
	return fmt.Sprintf(`<sip:%s;transport=%s;ms-opaque=%s>;methods=%s;proxy=replace;+sip.instance="<urn:uuid:%s>"`,
		local, strings.ToLower(transport), r.hex(10), lyncMethods, r.guid())
}

// lyncClientHeaders are the headers a Lync 2013 client adds to REGISTER.
func lyncClientHeaders(r *rng, local netip.AddrPort, transport string) []header {
	return []header{
		{"Contact", lyncContact(r, local, transport)},
		{"Supported", "gruu-10, adhoclist, msrtc-event-categories"},
		{"Supported", "ms-forking"},
		{"Supported", "ms-cluster-failover"},
		{"Supported", "ms-userservices-state-notification"},
		{"ms-keep-alive", "UAC;hop-hop=yes"},
		{"Event", "registration"},
	}
}

// registrarChallenge is the 401 a Front End answers an unauthenticated
// REGISTER with: the three authentication schemes Lync 2013 offers.
func registrarChallenge(fqdn string) []header {
	realm := `realm="SIP Communications Service"`
	return []header{
		{"WWW-Authenticate", fmt.Sprintf(`NTLM %s, targetname="%s", version=4`, realm, fqdn)},
		{"WWW-Authenticate", fmt.Sprintf(`Kerberos %s, targetname="sip/%s", version=4`, realm, fqdn)},
		{"WWW-Authenticate", fmt.Sprintf(`TLS-DSK %s, targetname="%s", version=4, sts-uri="https://pool01.contoso.local:443/CertProv/CertProvisioningService.svc"`, realm, fqdn)},
	}
}
