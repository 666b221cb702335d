package filter

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/lyncaudit/lyncaudit/analyzer/capture"
	"github.com/lyncaudit/lyncaudit/decoders"
)

// capturesDir holds the shared real-world captures, relative to this
// package's directory.
const capturesDir = "../../../shared/captures"

// frame is one packet of a capture, copied out of the reader's buffer.
type frame struct {
	num  int64 // 1-based packet number in its file
	lt   decoders.LinkType
	ts   int64 // nanoseconds
	wire int
	data []byte
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// captureFiles returns the pcap and pcapng files under capturesDir, or
// skips the test when the folder is absent.
func captureFiles(t testing.TB) []string {
	t.Helper()
	if _, err := os.Stat(capturesDir); err != nil {
		t.Skipf("shared captures not found at %s: %v", capturesDir, err)
	}
	var files []string
	err := filepath.WalkDir(capturesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no captures in %s", capturesDir)
	}
	return files
}

// readFrames reads every packet of a capture file.
func readFrames(t testing.TB, path string) []frame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	frames, err := readAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// readAll reads every packet of a capture.
func readAll(src io.Reader) ([]frame, error) {
	r, err := capture.NewReader(src, "capture")
	if err != nil {
		return nil, err
	}
	var frames []frame
	var p capture.Packet
	for {
		err := r.Next(&p)
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return nil, err
		}
		frames = append(frames, frame{num: p.Number, lt: p.LinkType, ts: p.Timestamp, wire: p.WireLen, data: bytes.Clone(p.Data)})
	}
}

// writePcap writes frames as a microsecond pcap file of link type lt,
// in big-endian byte order if big is set.
func writePcap(t testing.TB, path string, lt decoders.LinkType, frames []frame, big bool) {
	t.Helper()
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	var b bytes.Buffer
	hdr := make([]byte, 24)
	order.PutUint32(hdr[0:], 0xa1b2c3d4)
	order.PutUint16(hdr[4:], 2)
	order.PutUint16(hdr[6:], 4)
	order.PutUint32(hdr[16:], 262144)
	order.PutUint32(hdr[20:], uint32(lt))
	b.Write(hdr)
	for _, f := range frames {
		rec := make([]byte, 16)
		order.PutUint32(rec[0:], uint32(f.ts/1e9))
		order.PutUint32(rec[4:], uint32(f.ts%1e9/1e3))
		order.PutUint32(rec[8:], uint32(len(f.data)))
		order.PutUint32(rec[12:], uint32(max(f.wire, len(f.data))))
		b.Write(rec)
		b.Write(f.data)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// libpcap runs the tcpdump on PATH to see what libpcap makes of an
// expression: its program for a link type, or the packets it keeps.
type libpcap struct {
	bin string
	dir string // header-only capture files, one per link type

	mu    sync.Mutex
	progs map[progKey]progResult
}

type progKey struct {
	expr string
	lt   decoders.LinkType
	big  bool
}

type progResult struct {
	prog []bpf.RawInstruction
	err  error
}

// newLibpcap returns a tcpdump runner for one test, or skips the test
// when tcpdump is not installed.
func newLibpcap(t testing.TB) *libpcap {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skipf("tcpdump is needed to compare with libpcap (apt-get install tcpdump): %v", err)
	}
	return &libpcap{bin: bin, dir: t.TempDir(), progs: map[progKey]progResult{}}
}

// refusal is tcpdump's message for an expression libpcap does not
// compile.
type refusal string

func (r refusal) Error() string { return string(r) }

// program returns the program libpcap compiles expr to for a capture
// file of link type lt (big-endian if big), as tcpdump -r FILE -dd prints
// it. An expression libpcap refuses gives a refusal; one that its
// optimizer proves rejects everything gives the program "ret #0". Other
// errors are failures of the test's own. It is safe to call from several
// goroutines once the header files exist (see headerFiles).
func (l *libpcap) program(expr string, lt decoders.LinkType, big bool) ([]bpf.RawInstruction, error) {
	key := progKey{expr, lt, big}
	l.mu.Lock()
	r, ok := l.progs[key]
	l.mu.Unlock()
	if ok {
		return r.prog, r.err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(l.bin, "-O", "-n", "-r", l.headerFile(lt, big), "-dd", "--", expr)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := tcpdumpError(stderr.String())
		switch {
		case strings.Contains(msg, "expression rejects all packets"):
			r.prog = []bpf.RawInstruction{{Op: opRetK}}
		case stderr.Len() == 0:
			r.err = fmt.Errorf("running tcpdump: %v", err)
		default:
			r.err = refusal(msg)
		}
	} else if r.prog, r.err = parseDD(stdout.String()); r.err != nil {
		r.err = fmt.Errorf("tcpdump -dd %q: %v", expr, r.err)
	}
	l.mu.Lock()
	l.progs[key] = r
	l.mu.Unlock()
	return r.prog, r.err
}

// headerFile names the header-only capture file of a link type.
func (l *libpcap) headerFile(lt decoders.LinkType, big bool) string {
	order := "le"
	if big {
		order = "be"
	}
	return filepath.Join(l.dir, fmt.Sprintf("lt%d-%s.pcap", lt, order))
}

// headerFiles writes the header-only capture files program reads.
func (l *libpcap) headerFiles(t testing.TB, lts ...decoders.LinkType) {
	t.Helper()
	for _, lt := range lts {
		for _, big := range []bool{false, true} {
			writePcap(t, l.headerFile(lt, big), lt, nil, big)
		}
	}
}

// tcpdumpError picks tcpdump's error line out of its standard error.
func tcpdumpError(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "tcpdump: ") {
			return strings.TrimPrefix(line, "tcpdump: ")
		}
	}
	return strings.TrimSpace(stderr)
}

// parseDD reads tcpdump -dd output: a count line, then one
// "{ code, jt, jf, k }," line per instruction.
func parseDD(out string) ([]bpf.RawInstruction, error) {
	var prog []bpf.RawInstruction
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "{") {
			continue
		}
		f := strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == '}' || r == ',' || r == ' ' })
		if len(f) != 4 {
			return nil, fmt.Errorf("bad line %q", line)
		}
		var v [4]uint64
		for i, s := range f {
			n, err := strconv.ParseUint(s, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("bad line %q: %v", line, err)
			}
			v[i] = n
		}
		prog = append(prog, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	if len(prog) == 0 {
		return nil, fmt.Errorf("no program in %q", out)
	}
	return prog, nil
}

// newVM builds an x/net/bpf VM for a raw program.
func newVM(t testing.TB, prog []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	insns, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatalf("program does not disassemble:\n%s", disasm(prog))
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("bpf.NewVM: %v\n%s", err, disasm(prog))
	}
	return vm
}

// disasm prints a program one instruction a line, for failure messages.
func disasm(prog []bpf.RawInstruction) string {
	var b strings.Builder
	for i, r := range prog {
		fmt.Fprintf(&b, "(%03d) %v\n", i, r.Disassemble())
	}
	return b.String()
}
