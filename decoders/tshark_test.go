package decoders

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tsharkPath returns the tshark to compare with, or skips t: under -short
// (tshark takes a while on every capture), and when tshark is not
// installed.
func tsharkPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs tshark: skipped with -short")
	}
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: skipping the comparison with Wireshark")
	}
	return path
}

// tsharkFields runs tshark on the capture at path, with the options opts
// before the field list (preferences such as "-o ip.defragment:FALSE"),
// and returns each frame's fields by frame number. Each field lists its
// occurrences comma-separated, outermost layer first.
func tsharkFields(t *testing.T, tshark, path string, opts []string, fields ...string) map[int][]string {
	t.Helper()
	args := append([]string{"-n", "-r", path}, opts...)
	args = append(args, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tshark, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.Bytes())
	}
	rows := map[int][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 1+len(fields) {
			t.Fatalf("tshark %s: output line %d: %d fields, want %d", path, line, len(cols), 1+len(fields))
		}
		n, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Fatalf("tshark %s: output line %d: frame number %q: %v", path, line, cols[0], err)
		}
		rows[n] = cols[1:]
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	return rows
}

// tsharkLayers is what tshark's frame.protocols says of one frame: its
// protocol layers, outermost first.
type tsharkLayers []string

var tsharkMemo memo[map[int]tsharkLayers]

// tsharkProtocols returns each frame's protocol layers by frame number,
// running tshark once per capture and test run: callers share the map and
// must not change it.
func tsharkProtocols(t *testing.T, tshark, path string) map[int]tsharkLayers {
	t.Helper()
	return tsharkMemo.get(path, func() map[int]tsharkLayers {
		layers := map[int]tsharkLayers{}
		for n, row := range tsharkFields(t, tshark, path, nil, "frame.protocols") {
			layers[n] = strings.Split(row[0], ":")
		}
		return layers
	})
}

// has reports whether any layer is one of names.
func (l tsharkLayers) has(names ...string) bool {
	return slices.ContainsFunc(l, func(layer string) bool { return slices.Contains(names, layer) })
}

// carries reports whether proto sits right on top of transport ("tcp",
// "udp") in some layer: DCE/RPC over TCP, not inside SMB.
func (l tsharkLayers) carries(transport, proto string) bool {
	for i := 1; i < len(l); i++ {
		if l[i-1] == transport && l[i] == proto {
			return true
		}
	}
	return false
}

// afterTransport returns the layer right after the innermost UDP or TCP
// header, or "" when there is none.
func (l tsharkLayers) afterTransport() string {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i] == "udp" || l[i] == "tcp" {
			if i+1 < len(l) {
				return l[i+1]
			}
			return ""
		}
	}
	return ""
}

func (l tsharkLayers) String() string { return strings.Join(l, ":") }
