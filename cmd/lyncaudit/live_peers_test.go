//go:build linux

package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The peers of the end-to-end test: servers in one network namespace
// (the Front End 10.99.0.1), clients in the other (a Director 10.99.0.2).
const (
	peerServer = "10.99.0.1"
	peerClient = "10.99.0.2"
)

// runPeer runs the named peer ("servers" or "clients") and returns an exit
// status. Certificates come from the directory in LYNCAUDIT_TEST_CERTS.
func runPeer(role string) int {
	dir := os.Getenv("LYNCAUDIT_TEST_CERTS")
	var err error
	switch role {
	case "servers":
		err = runServers(dir)
	case "clients":
		err = runClients(dir)
	default:
		err = fmt.Errorf("unknown peer %q", role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer", role+":", err)
		return 1
	}
	return 0
}

// runServers listens on every port the clients use and serves until killed.
func runServers(dir string) error {
	ca, cert, err := loadCerts(dir, "server")
	if err != nil {
		return err
	}
	// SIP over TLS on 5061, requiring a client certificate (mutual TLS).
	tl, err := tls.Listen("tcp", peerServer+":5061", &tls.Config{
		Certificates: []tls.Certificate{cert}, ClientCAs: ca, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
	})
	if err != nil {
		return err
	}
	go serve(tl, func(c net.Conn) {
		r := bufio.NewReader(c)
		if line, err := r.ReadString('\n'); err == nil && strings.HasPrefix(line, "OPTIONS ") {
			io.WriteString(c, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
		}
	})
	// HTTP on 80 (allowed) and plain HTTP on 4443, where the catalog asks for HTTPS.
	for _, port := range []string{"80", "4443"} {
		l, err := net.Listen("tcp", peerServer+":"+port)
		if err != nil {
			return err
		}
		go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") }))
	}
	// A TCP service the catalog does not allow a Front End.
	l, err := net.Listen("tcp", peerServer+":2323")
	if err != nil {
		return err
	}
	go serve(l, func(c net.Conn) { io.WriteString(c, "login: ") })
	// SIP over UDP on 5060, answering OPTIONS.
	u, err := net.ListenPacket("udp", peerServer+":5060")
	if err != nil {
		return err
	}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := u.ReadFrom(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:n]), "OPTIONS ") {
				u.WriteTo([]byte(sipResponse(string(buf[:n]))), from)
			}
		}
	}()
	// An RTP sink in the audio media range.
	m, err := net.ListenPacket("udp", peerServer+":50000")
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, packetReader{m})
	fmt.Println("ready")
	select {}
}

type packetReader struct{ net.PacketConn }

func (p packetReader) Read(b []byte) (int, error) {
	n, _, err := p.ReadFrom(b)
	return n, err
}

func serve(l net.Listener, handle func(net.Conn)) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			handle(c)
		}()
	}
}

const sipOptions = "OPTIONS sip:fe.contoso.local SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP " + peerClient + ":5060;branch=z9hG4bK776asdhds\r\n" +
	"From: <sip:dir.contoso.local>;tag=1928301774\r\n" +
	"To: <sip:fe.contoso.local>\r\n" +
	"Call-ID: a84b4c76e66710@dir.contoso.local\r\n" +
	"CSeq: 63104 OPTIONS\r\n" +
	"Max-Forwards: 70\r\n" +
	"Content-Length: 0\r\n\r\n"

func sipResponse(req string) string {
	var b strings.Builder
	b.WriteString("SIP/2.0 200 OK\r\n")
	for _, line := range strings.Split(req, "\r\n")[1:] {
		for _, h := range []string{"Via:", "From:", "To:", "Call-ID:", "CSeq:"} {
			if strings.HasPrefix(line, h) {
				b.WriteString(line + "\r\n")
			}
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// runClients makes one of each flow the test expects, then exits.
func runClients(dir string) error {
	ca, cert, err := loadCerts(dir, "client")
	if err != nil {
		return err
	}
	c, err := tls.Dial("tcp", peerServer+":5061", &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: ca, ServerName: "fe.contoso.local",
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
	})
	if err != nil {
		return fmt.Errorf("mutual TLS to 5061: %w", err)
	}
	io.WriteString(c, strings.ReplaceAll(sipOptions, "UDP", "TLS"))
	bufio.NewReader(c).ReadString('\n')
	c.Close()
	for _, port := range []string{"80", "4443"} {
		resp, err := http.Get("http://" + peerServer + ":" + port + "/")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	t, err := net.Dial("tcp", peerServer+":2323")
	if err != nil {
		return err
	}
	bufio.NewReader(t).ReadString(' ')
	io.WriteString(t, "admin\r\n")
	t.Close()
	u, err := net.Dial("udp", peerServer+":5060")
	if err != nil {
		return err
	}
	u.Write([]byte(sipOptions))
	u.SetReadDeadline(time.Now().Add(2 * time.Second))
	u.Read(make([]byte, 2048))
	u.Close()
	return sendRTP(peerServer+":50000", 60)
}

// sendRTP sends n packets of a G.711 µ-law RTP stream, 20 ms apart.
func sendRTP(to string, n int) error {
	c, err := net.Dial("udp", to)
	if err != nil {
		return err
	}
	defer c.Close()
	pkt := make([]byte, 12+160)
	ssrc := uint32(0x5eed1234)
	for i := range n {
		pkt[0], pkt[1] = 0x80, 0 // version 2, PT 0 (PCMU)
		binary.BigEndian.PutUint16(pkt[2:], uint16(1000+i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(8000+160*i))
		binary.BigEndian.PutUint32(pkt[8:], ssrc)
		for j := 12; j < len(pkt); j++ {
			pkt[j] = byte(0xff - (i+j)%16)
		}
		if _, err := c.Write(pkt); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// writeCerts makes a CA and a server and client certificate it signed,
// as PEM files in dir.
func writeCerts(dir string) error {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "contoso test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, _ := x509.ParseCertificate(caDER)
	if err := writePEM(filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER); err != nil {
		return err
	}
	for i, who := range []string{"server", "client"} {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(2 + i)), Subject: pkix.Name{CommonName: who + ".contoso.local"},
			DNSNames: []string{"fe.contoso.local"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		if err := writePEM(filepath.Join(dir, who+".pem"), "CERTIFICATE", der); err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, who+".key"), "EC PRIVATE KEY", kb); err != nil {
			return err
		}
	}
	return nil
}

func writePEM(name, typ string, der []byte) error {
	return os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

func loadCerts(dir, who string) (*x509.CertPool, tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, who+".pem"), filepath.Join(dir, who+".key"))
	if err != nil {
		return nil, cert, err
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, cert, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return pool, cert, nil
}
