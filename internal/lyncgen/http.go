package lyncgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User agents of the scenario's HTTP clients.
const (
	uaLyncWeb   = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.2; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; ms-office; MSOffice 15)"
	uaABS       = "Microsoft Office/15.0 (Windows NT 6.2; Microsoft Lync 15.0.4569; Pro)"
	uaPhone     = "Polycom CX600 Lync Phone Edition 4.0.7577.4512"
	uaBrowser   = "Mozilla/5.0 (Windows NT 6.3; WOW64; Trident/7.0; rv:11.0) like Gecko"
	serverIIS   = "Microsoft-IIS/8.5"
	serverAdmin = "Mediation-Diag/1.0"
)

// httpRequest returns an HTTP/1.1 request with a Host header first and a
// Content-Length when there is a body.
func httpRequest(method, target, host string, hdrs []header, body []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, target)
	for _, h := range hdrs {
		b.WriteString(h.name + ": " + h.value + "\r\n")
	}
	b.WriteString("Host: " + host + "\r\n")
	if len(body) > 0 || method == "POST" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n")
	return append([]byte(b.String()), body...)
}

// httpResponse returns an HTTP/1.1 response dated at and sized by its body.
func httpResponse(code int, reason string, at time.Time, hdrs []header, body []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, reason)
	for _, h := range hdrs {
		b.WriteString(h.name + ": " + h.value + "\r\n")
	}
	b.WriteString("Date: " + at.UTC().Format(time.RFC1123) + "\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	return append([]byte(b.String()), body...)
}
