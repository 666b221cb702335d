package decoders

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// The shared captures sit beside the repository, two levels up from this
// package (one level in a checkout that holds them inside).
var capturesDirs = []string{"../../shared/captures", "../shared/captures"}

// findCaptures returns the folder of shared captures, if there is one.
func findCaptures() (string, bool) {
	for _, dir := range capturesDirs {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir, true
		}
	}
	return "", false
}

// capturesDir returns the folder of shared captures, or skips the test.
func capturesDir(tb testing.TB) string {
	tb.Helper()
	dir, ok := findCaptures()
	if !ok {
		tb.Skipf("shared captures not found in %v: skipping", capturesDirs)
	}
	return dir
}

// captureFiles returns the pcap and pcapng files under dir, sorted.
func captureFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !e.IsDir() && (ext == ".pcap" || ext == ".pcapng") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("listing captures: %v", err)
	}
	sort.Strings(files)
	return files
}

// samplePath is the committed sample capture, the one internal/lyncgen
// generates with its sample options.
const samplePath = "../testdata/sample.pcapng"

// eachCapture runs fn as a subtest of t on every shared capture, named for
// its path under the captures folder with forward slashes. It skips t when
// the captures are not there.
func eachCapture(t *testing.T, fn func(t *testing.T, name, path string)) {
	t.Helper()
	dir := capturesDir(t)
	for _, path := range captureFiles(t, dir) {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.ToSlash(rel)
		t.Run(name, func(t *testing.T) { fn(t, name, path) })
	}
}

// eachCaptureAndSample runs fn as eachCapture does, then on the committed
// sample as "sample.pcapng". Without the shared captures it runs on the
// sample alone.
func eachCaptureAndSample(t *testing.T, fn func(t *testing.T, name, path string)) {
	t.Helper()
	if _, ok := findCaptures(); ok {
		eachCapture(t, fn)
	} else {
		t.Logf("shared captures not found in %v: checking the sample only", capturesDirs)
	}
	t.Run("sample.pcapng", func(t *testing.T) { fn(t, "sample.pcapng", samplePath) })
}

// captureFrame is one frame of a capture file.
type captureFrame struct {
	number int // from 1, as tshark counts
	lt     LinkType
	data   []byte
}

// packetSource is what pcapgo's Reader and NgReader have in common.
type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// readCapture returns every frame of the pcap or pcapng file at path.
func readCapture(tb testing.TB, path string) []captureFrame {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return readFrames(tb, path, raw)
}

// readFrames returns every frame of the pcap or pcapng capture raw (name
// says which in errors), telling the two formats by their magic number.
func readFrames(tb testing.TB, name string, raw []byte) []captureFrame {
	tb.Helper()
	var src packetSource
	var linkType func(gopacket.CaptureInfo) LinkType
	if bytes.HasPrefix(raw, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		src = r
		linkType = func(ci gopacket.CaptureInfo) LinkType {
			intf, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			return intf.LinkType
		}
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(raw))
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		src = r
		linkType = func(gopacket.CaptureInfo) LinkType { return r.LinkType() }
	}
	var frames []captureFrame
	for n := 1; ; n++ {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			tb.Fatalf("%s: frame %d: %v", name, n, err)
		}
		frames = append(frames, captureFrame{number: n, lt: linkType(ci), data: data})
	}
}
