package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// result is what one run of the command printed and returned.
type result struct {
	status         int
	stdout, stderr string
}

// runCmd runs lyncaudit with args as a test would from a shell, with
// stdin and no terminal.
func runCmd(t testing.TB, stdin io.Reader, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	e := &env{stdin: stdin, stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return false }}
	st := run(e, args)
	return result{st, out.String(), errb.String()}
}

// writeFile writes data to a new file in a temporary directory.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pcapHeader is a little-endian microsecond pcap file header for link type lt.
func pcapHeader(lt uint32) []byte {
	return []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0,
		byte(lt), byte(lt >> 8), byte(lt >> 16), byte(lt >> 24)}
}

// udpPcap is a pcap holding one Ethernet/IPv4/UDP packet 10.0.0.9:50000 → 10.0.0.1:5060.
func udpPcap() []byte {
	frame := []byte{
		0, 1, 2, 3, 4, 6, 0, 1, 2, 3, 4, 5, 0x08, 0x00, // Ethernet
		0x45, 0, 0, 29, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 9, 10, 0, 0, 1, // IPv4, 29 bytes
		0xc3, 0x50, 0x13, 0xc4, 0, 9, 0, 0, 'x', // UDP 50000 → 5060, one byte
	}
	rec := []byte{0x10, 0x57, 0xa5, 0x69, 0, 0, 0, 0, byte(len(frame)), 0, 0, 0, byte(len(frame)), 0, 0, 0}
	return append(append(pcapHeader(1), rec...), frame...)
}

func TestBadInput(t *testing.T) {
	good := udpPcap()
	tests := []struct {
		name    string
		args    func(t *testing.T) []string
		wantErr string // a substring of the one-line error
	}{
		{"unknown flag", func(*testing.T) []string { return []string{"analyze", "--frobnicate", "x.pcap"} }, "unknown flag: --frobnicate"},
		{"unknown command", func(*testing.T) []string { return []string{"analyse"} }, `unknown command "analyse"`},
		{"no captures", func(*testing.T) []string { return []string{"analyze"} }, "no capture files given"},
		{"bad format", func(*testing.T) []string { return []string{"analyze", "-f", "xml", "x.pcap"} }, `unknown --format "xml"`},
		{"missing file", func(*testing.T) []string { return []string{"analyze", "/nonexistent/x.pcap"} }, "no such file or directory"},
		{"not a capture", func(t *testing.T) []string {
			return []string{"analyze", writeFile(t, "notes.txt", []byte("hello, this is text\n"))}
		}, "not a pcap or pcapng file"},
		{"empty file", func(t *testing.T) []string { return []string{"analyze", writeFile(t, "empty.pcap", nil)} }, "empty file"},
		{"truncated file", func(t *testing.T) []string {
			return []string{"analyze", writeFile(t, "cut.pcap", good[:len(good)-5])}
		}, "packet 1 at byte 24: truncated file"},
		{"unknown link type", func(t *testing.T) []string {
			return []string{"analyze", writeFile(t, "usb.pcap", append(pcapHeader(189), good[24:]...))}
		}, "link type 189"},
		{"bad inventory role", func(t *testing.T) []string {
			inv := writeFile(t, "pool.inventory", []byte("10.0.0.1 frontend\n10.0.0.2 frontdoor\n"))
			return []string{"analyze", "--inventory", inv, writeFile(t, "ok.pcap", good)}
		}, "pool.inventory:2:10: unknown role"},
		{"bad inventory address", func(t *testing.T) []string {
			inv := writeFile(t, "pool.inventory", []byte("10.0.0.300 frontend\n"))
			return []string{"analyze", "--inventory", inv, writeFile(t, "ok.pcap", good)}
		}, "pool.inventory:1:1:"},
		{"bad catalog line", func(t *testing.T) []string {
			cat := writeFile(t, "extra.catalog", []byte("[local 1]\nroles frontend\nport 99999\ntransport tcp\n"))
			return []string{"catalog", "--catalog", cat}
		}, "extra.catalog:3:"},
		{"bad role for catalog", func(*testing.T) []string { return []string{"catalog", "--role", "edge"} }, `unknown role "edge"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, nil, tt.args(t)...)
			if r.status != exitInput {
				t.Errorf("status %d, want %d; stderr %q", r.status, exitInput, r.stderr)
			}
			first, _, _ := strings.Cut(r.stderr, "\n")
			if !strings.Contains(first, tt.wantErr) {
				t.Errorf("first line of stderr %q, want it to contain %q", first, tt.wantErr)
			}
			if rest := strings.TrimPrefix(r.stderr, first+"\n"); rest != "" && !strings.HasPrefix(rest, "Run 'lyncaudit help") {
				t.Errorf("error is not one line: %q", r.stderr)
			}
		})
	}
}

func TestTruncatedCaptureIsStillReported(t *testing.T) {
	good := udpPcap()
	// Two packets, the second cut short: the first is analysed and the
	// report says why reading stopped.
	two := append(append([]byte{}, good...), good[24:len(good)-3]...)
	r := runCmd(t, nil, "analyze", "-f", "json", writeFile(t, "cut.pcap", two))
	if r.status != exitInput {
		t.Fatalf("status %d, want 2", r.status)
	}
	for _, want := range []string{`"packets": 1,`, `"error": "`, `packet 2 at byte 83: truncated file`, `"warnings": [`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestStandardInput(t *testing.T) {
	r := runCmd(t, bytes.NewReader(udpPcap()), "analyze", "-f", "csv", "--flows", "-")
	if r.status != exitOK {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	want := "10.0.0.9,50000,10.0.0.1,5060,udp,sip,port,unjudged"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("flow CSV lacks %q:\n%s", want, r.stdout)
	}
}

func TestHelp(t *testing.T) {
	r := runCmd(t, nil, "help", "analyze")
	if r.status != 0 || !strings.Contains(r.stdout, "usage: lyncaudit analyze") || !strings.Contains(r.stdout, "--fail-on") {
		t.Errorf("help analyze: status %d, stdout %q", r.status, r.stdout)
	}
	r = runCmd(t, nil, "analyze", "--help")
	if r.status != 0 || !strings.Contains(r.stdout, "--inventory") {
		t.Errorf("analyze --help: status %d, stdout %q", r.status, r.stdout)
	}
	if r := runCmd(t, nil); r.status != exitInput || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("no arguments: status %d, stderr %q", r.status, r.stderr)
	}
}

func TestAnalyzeFilter(t *testing.T) {
	capFile := writeFile(t, "one.pcap", udpPcap())
	for _, tt := range []struct {
		expr              string
		filtered, decoded string
	}{
		{"udp and dst port 5060", `"filtered"`, `"decoded": 1,`},
		{"tcp or host 10.9.9.9", `"filtered": 1,`, `"decoded": 0,`},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			r := runCmd(t, nil, "analyze", "-f", "json", "--filter", tt.expr, capFile)
			if r.status != exitOK {
				t.Fatalf("status %d: %s", r.status, r.stderr)
			}
			if tt.filtered == `"filtered"` {
				if strings.Contains(r.stdout, `"filtered"`) {
					t.Errorf("no packet was filtered, but the report says some were:\n%s", r.stdout)
				}
			} else if !strings.Contains(r.stdout, tt.filtered) {
				t.Errorf("report lacks %s:\n%s", tt.filtered, r.stdout)
			}
			if !strings.Contains(r.stdout, tt.decoded) {
				t.Errorf("report lacks %s:\n%s", tt.decoded, r.stdout)
			}
		})
	}
	r := runCmd(t, nil, "analyze", "--filter", "ether host 1:2:3:4:5:6", capFile)
	if r.status != exitInput || !strings.Contains(r.stderr, `unsupported "ether host" at column 1`) {
		t.Errorf("unsupported filter: status %d, stderr %q", r.status, r.stderr)
	}
}
