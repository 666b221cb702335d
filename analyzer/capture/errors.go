package capture

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The kinds of damage a capture file can have. Every error that Next,
// Open and NewReader return for a file's content is an *Error wrapping one
// of these, so callers can tell them apart with errors.Is.
var (
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	ErrEmpty      = errors.New("empty file")
	ErrTruncated  = errors.New("truncated file")
	ErrCorrupt    = errors.New("corrupt file")
)

// Error is a problem with a capture file's content, and where it is.
// Offsets count bytes from 0 in the capture as written, before gzip
// compression for a compressed file, and point at the start of the damaged
// record or block.
type Error struct {
	File   string // the name given to Open or NewReader
	Packet int64  // 1-based number of the packet being read, all before it good; 0 in the file header
	Offset int64  // byte offset of the damaged record or block
	Err    error  // one of the Err sentinels, wrapped with the details, or the read error
}

// Error returns one line: "FILE: packet N at byte OFFSET: message", or
// "FILE: byte OFFSET: message" for an error in the file header.
func (e *Error) Error() string {
	name := e.File
	if strings.ContainsAny(name, "\r\n") {
		name = strconv.Quote(name)
	}
	if e.Packet == 0 {
		return fmt.Sprintf("%s: byte %d: %v", name, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: packet %d at byte %d: %v", name, e.Packet, e.Offset, e.Err)
}

// Unwrap returns the wrapped error, so that errors.Is finds the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// fileKinds names the files people most often pass by mistake, by their
// first bytes, to make ErrNotCapture's message useful.
var fileKinds = []struct {
	magic string
	kind  string
}{
	{"%PDF", "PDF"},
	{"PK\x03\x04", "zip"},
	{"\x7fELF", "ELF executable"},
	{"MZ", "Windows executable"},
	{"BZh", "bzip2"},
	{"\xfd7zXZ", "xz"},
	{"\x28\xb5\x2f\xfd", "zstd"},
	{"snoop", "snoop capture"},
	{"\x89PNG", "PNG"},
	{"\xef\xbb\xbf", "text"},
}

// notCapture describes a file whose first bytes are no capture magic.
func notCapture(head []byte, gzipped bool) error {
	what := "starts with"
	if gzipped {
		what = "gzip content starts with"
	}
	kind := ""
	for _, k := range fileKinds {
		if bytes.HasPrefix(head, []byte(k.magic)) {
			kind = k.kind
			break
		}
	}
	if kind == "" && printable(head) {
		kind = "text"
	}
	if kind != "" {
		return fmt.Errorf("%w (%s % x: %s?)", ErrNotCapture, what, head, kind)
	}
	return fmt.Errorf("%w (%s % x)", ErrNotCapture, what, head)
}

// printable reports whether b is all printable ASCII or common whitespace.
func printable(b []byte) bool {
	for _, c := range b {
		if (c < ' ' || c > '~') && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return len(b) > 0
}
