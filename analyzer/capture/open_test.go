package capture

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// writeTemp writes data to a file in a fresh temporary folder.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpen(t *testing.T) {
	plain, want := twoSections()
	gz := gzipped(t, plain)
	tests := []struct {
		name   string
		file   string
		data   []byte
		format string
	}{
		{"pcapng", "a.pcapng", plain, "pcapng"},
		// gzip is told by the content, whatever the name says.
		{"gzip-named-pcap", "a.pcap", gz, "pcapng (gzip)"},
		{"plain-named-gz", "a.pcapng.gz", plain, "pcapng"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, tt.file, tt.data)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if r.Name() != path || r.Format() != tt.format || r.Size() != int64(len(tt.data)) {
				t.Errorf("Name() = %q, Format() = %q, Size() = %d; want %q, %q, %d", r.Name(), r.Format(), r.Size(), path, tt.format, len(tt.data))
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("packets differ:\n got %+v\nwant %+v", got, want)
			}
			if r.BytesRead() != int64(len(tt.data)) {
				t.Errorf("BytesRead() = %d at the end, want %d", r.BytesRead(), len(tt.data))
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestOpenFails(t *testing.T) {
	dir := t.TempDir()
	empty := writeTemp(t, "empty.pcap", nil)
	tests := []struct {
		name string
		path string
		kind error
		msg  string
	}{
		{"missing", filepath.Join(dir, "none.pcap"), fs.ErrNotExist, "open " + filepath.Join(dir, "none.pcap") + ": no such file or directory"},
		{"directory", dir, nil, "open " + dir + ": is a directory"},
		{"empty", empty, ErrEmpty, empty + ": byte 0: empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.path)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded")
			}
			if err.Error() != tt.msg || (tt.kind != nil && !errors.Is(err, tt.kind)) {
				t.Errorf("Open: %q, want %q wrapping %v", err, tt.msg, tt.kind)
			}
		})
	}
}

// TestOpenStdin reads "-" from a regular file and from a pipe.
func TestOpenStdin(t *testing.T) {
	data, want := twoSections()
	tests := []struct {
		name string
		open func(t *testing.T) *os.File
		size int64
	}{
		{"file", func(t *testing.T) *os.File {
			f, err := os.Open(writeTemp(t, "in.pcapng", data))
			if err != nil {
				t.Fatal(err)
			}
			return f
		}, int64(len(data))},
		{"pipe", func(t *testing.T) *os.File {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				pw.Write(data)
				pw.Close()
			}()
			return pr
		}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.open(t)
			defer f.Close()
			stdin := os.Stdin
			os.Stdin = f
			defer func() { os.Stdin = stdin }()

			r, err := Open("-")
			if err != nil {
				t.Fatal(err)
			}
			if r.Name() != "standard input" || r.Size() != tt.size {
				t.Errorf("Name() = %q, Size() = %d; want %q, %d", r.Name(), r.Size(), "standard input", tt.size)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("packets differ:\n got %+v\nwant %+v", got, want)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if _, err := f.Stat(); err != nil {
				t.Errorf("Close closed standard input: %v", err)
			}
		})
	}
}
