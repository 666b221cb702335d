package capture

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lyncaudit/lyncaudit/decoders"
)

// capturesDir holds real captures from other projects, beside the
// project's folder; it is not part of the project.
const capturesDir = "../../../shared/captures"

// realCaptures returns the paths of the captures in capturesDir, relative
// to it, or skips the test when the folder is absent.
func realCaptures(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(capturesDir); err != nil {
		t.Skipf("real captures not found at %s: %v", capturesDir, err)
	}
	var paths []string
	err := filepath.WalkDir(capturesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext == ".pcap" || ext == ".pcapng" {
			rel, err := filepath.Rel(capturesDir, path)
			paths = append(paths, filepath.ToSlash(rel))
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no captures in %s", capturesDir)
	}
	return paths
}

// manifestEntry is what MANIFEST.md says about one capture.
type manifestEntry struct {
	packets int
	format  string // "pcap" or "pcapng"
	links   []decoders.LinkType
}

// linkNumber finds the link type numbers in "EN10MB(1), RAW(12)".
var linkNumber = regexp.MustCompile(`\((\d+)\)`)

// readManifest parses the table of MANIFEST.md: the path, the format and
// link types ("pcapng little-endian (magic 0a0d0d0a); 2 IDBs: EN10MB(1),
// EN10MB(1)") and the packet count of each capture.
func readManifest(t *testing.T) map[string]manifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(capturesDir, "MANIFEST.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries := map[string]manifestEntry{}
	pathCol, formatCol, pktsCol := -1, -1, -1
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 3 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if i := slices.Index(cells, "pkts"); i >= 0 {
			pathCol, formatCol, pktsCol = slices.Index(cells, "path"), slices.Index(cells, "format / link type"), i
			continue
		}
		if pktsCol < 0 || len(cells) <= max(pathCol, formatCol, pktsCol) || !strings.HasPrefix(cells[pathCol], "`") {
			continue
		}
		n, err := strconv.Atoi(cells[pktsCol])
		if err != nil {
			t.Fatalf("MANIFEST.md:%d: pkts %q: %v", line, cells[pktsCol], err)
		}
		e := manifestEntry{packets: n, format: strings.Fields(cells[formatCol])[0]}
		_, links, _ := strings.Cut(cells[formatCol], ";")
		for _, m := range linkNumber.FindAllStringSubmatch(links, -1) {
			lt, _ := strconv.Atoi(m[1])
			e.links = append(e.links, decoders.LinkType(lt))
		}
		entries[strings.Trim(cells[pathCol], "`")] = e
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("MANIFEST.md has no table of captures")
	}
	return entries
}

// capinfosCounts returns the packet counts capinfos reports for paths, or
// nil when capinfos is not installed.
func capinfosCounts(t *testing.T, paths []string) map[string]int {
	t.Helper()
	if _, err := exec.LookPath("capinfos"); err != nil {
		t.Logf("capinfos not on PATH; counts are checked against MANIFEST.md only")
		return nil
	}
	cmd := exec.Command("capinfos", append([]string{"-M", "-c", "-T"}, paths...)...)
	cmd.Dir = capturesDir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("capinfos: %v", err)
	}
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
		name, count, ok := strings.Cut(line, "\t")
		n, err := strconv.Atoi(count)
		if !ok || err != nil {
			t.Fatalf("capinfos line %q", line)
		}
		counts[name] = n
	}
	return counts
}

// countPackets reads r to its end, checking what must hold of every
// packet, and returns how many there were.
func countPackets(t *testing.T, r *Reader) int {
	t.Helper()
	var p Packet
	n := 0
	for {
		err := r.Next(&p)
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("after %d packets: %v", n, err)
		}
		n++
		if p.Number != int64(n) || len(p.Data) > p.WireLen || !slices.Contains(r.LinkTypes(), p.LinkType) {
			t.Fatalf("packet %d: Number %d, %d of %d bytes, link type %d of %v", n, p.Number, len(p.Data), p.WireLen, p.LinkType, r.LinkTypes())
		}
	}
}

func TestRealCaptures(t *testing.T) {
	paths := realCaptures(t)
	manifest := readManifest(t)
	capinfos := capinfosCounts(t, paths)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			want, ok := manifest[path]
			if !ok {
				t.Fatalf("%s is not in MANIFEST.md", path)
			}
			if c, ok := capinfos[path]; capinfos != nil && (!ok || c != want.packets) {
				t.Fatalf("capinfos counts %d packets, MANIFEST.md %d", c, want.packets)
			}
			name := filepath.Join(capturesDir, path)
			r, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if n := countPackets(t, r); n != want.packets {
				t.Errorf("read %d packets, want %d", n, want.packets)
			}
			if r.Format() != want.format {
				t.Errorf("Format() = %q, want %q", r.Format(), want.format)
			}
			if lt := r.LinkTypes(); !reflect.DeepEqual(lt, want.links) {
				t.Errorf("LinkTypes() = %v, want %v", lt, want.links)
			}
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if r.Size() != fi.Size() || r.BytesRead() != fi.Size() {
				t.Errorf("Size() = %d, BytesRead() = %d at the end, want both %d", r.Size(), r.BytesRead(), fi.Size())
			}

			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			gz := gzipped(t, raw)
			zr, err := NewReader(bytes.NewReader(gz), path+".gz")
			if err != nil {
				t.Fatal(err)
			}
			if n := countPackets(t, zr); n != want.packets {
				t.Errorf("gzip: read %d packets, want %d", n, want.packets)
			}
			if zr.Format() != want.format+" (gzip)" || zr.BytesRead() != int64(len(gz)) {
				t.Errorf("gzip: Format() = %q, BytesRead() = %d, want %q and %d", zr.Format(), zr.BytesRead(), want.format+" (gzip)", len(gz))
			}
		})
	}
}

// TestRealCapturePackets checks a few packets against what tshark 4.0
// shows for them:
//
//	tshark -r FILE --disable-protocol ALL -T fields -e frame.number \
//	  -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.interface_id
//	tshark -r FILE --disable-protocol ALL -Y frame.number==N -x
func TestRealCapturePackets(t *testing.T) {
	realCaptures(t)
	tests := []struct {
		path   string
		number int64
		ts     int64
		wire   int
		caplen int
		link   decoders.LinkType
		iface  int
		head   string // the first 16 bytes
	}{
		// Big-endian pcap.
		{"ndpi/fuzz-2006-06-26-2594.pcap", 1, 1120469540_839312000, 92, 92, 1, 0, "ffffffffffff00e0ed016ebd08004500"},
		{"ndpi/fuzz-2006-06-26-2594.pcap", 691, 1120471107_427770000, 86, 86, 1, 0, "00305400345600e0ed016ebd08004500"},
		// Eleven interfaces; packet 3 is on interface 10, a BSD loopback.
		{"pcapplusplus/many_interfaces-1.pcapng", 1, 1439753725_701607000, 178, 178, 1, 0, "ffffffffffffa45e60f17d9308004500"},
		{"pcapplusplus/many_interfaces-1.pcapng", 3, 1439753725_701568000, 168, 168, 0, 10, "02000000450000a4c6ce00004011f147"},
		// Interface 0 counts nanoseconds, interface 1 microseconds.
		{"zeek/pcapng-multi-interface.pcapng", 2, 1767663089_514291940, 214, 214, 1, 0, "2eba22ed482d3276995262da08004500"},
		{"zeek/pcapng-multi-interface.pcapng", 3, 1767663437_111897000, 70, 70, 1, 1, "a89c6c86efb5a8a159bff21e08004500"},
		// Linux cooked capture v2.
		{"suricata-verify/decode-sll2-01/input.pcap", 1, 1736381483_613927000, 80, 80, 276, 0, "080000000000000200010406aa763071"},
		// The last packet of a file whose interfaces mix resolutions.
		{"ndpi/stun.pcap", 201, 1697468913_582927000, 186, 186, 1, 4, "7aafb7fb51c120b001e0866286dd6604"},
	}
	for _, tt := range tests {
		t.Run(tt.path+"#"+strconv.FormatInt(tt.number, 10), func(t *testing.T) {
			r, err := Open(filepath.Join(capturesDir, tt.path))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var p Packet
			for p.Number < tt.number {
				if err := r.Next(&p); err != nil {
					t.Fatalf("after packet %d: %v", p.Number, err)
				}
			}
			got := Packet{Timestamp: p.Timestamp, WireLen: p.WireLen, LinkType: p.LinkType, Interface: p.Interface, Number: p.Number}
			want := Packet{Timestamp: tt.ts, WireLen: tt.wire, LinkType: tt.link, Interface: tt.iface, Number: tt.number}
			if !reflect.DeepEqual(got, want) || len(p.Data) != tt.caplen {
				t.Errorf("got %+v with %d bytes\nwant %+v with %d bytes", got, len(p.Data), want, tt.caplen)
			}
			if head := hex.EncodeToString(p.Data[:16]); head != tt.head {
				t.Errorf("data starts %s, want %s", head, tt.head)
			}
		})
	}
}

// TestRealCapturesTshark holds every packet of every real capture against
// tshark's reading of it: timestamp, lengths and interface.
func TestRealCapturesTshark(t *testing.T) {
	paths := realCaptures(t)
	if testing.Short() {
		t.Skip("runs tshark once per capture; skipped in -short mode")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not on PATH")
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(capturesDir, path)
			out, err := exec.Command("tshark", "-r", name, "--disable-protocol", "ALL", "-T", "fields",
				"-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_id").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			r, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var p Packet
			for i, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
				if err := r.Next(&p); err != nil {
					t.Fatalf("tshark shows packet %d, Next: %v", i+1, err)
				}
				got := strings.Join([]string{epoch(p.Timestamp), strconv.Itoa(p.WireLen), strconv.Itoa(len(p.Data)), interfaceField(r, p)}, "\t")
				if got != line {
					t.Fatalf("packet %d:\n got %q\nwant %q (tshark)", i+1, got, line)
				}
			}
			if err := r.Next(&p); err != io.EOF {
				t.Errorf("after tshark's last packet: %v, want io.EOF", err)
			}
		})
	}
}

// epoch formats nanoseconds as tshark's frame.time_epoch does.
func epoch(ns int64) string {
	return strconv.FormatInt(ns/1e9, 10) + "." + strconv.FormatInt(1e9+ns%1e9, 10)[1:]
}

// interfaceField formats the interface as tshark's frame.interface_id
// does: empty for pcap files.
func interfaceField(r *Reader, p Packet) string {
	if !r.pcapng {
		return ""
	}
	return strconv.Itoa(p.Interface)
}
