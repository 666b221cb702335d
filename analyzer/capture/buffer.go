package capture

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// readBufSize is the read buffer's size for a stream of unknown length.
// One read call then brings in a few thousand packets, and the buffer is
// small next to the flow table.
const readBufSize = 1 << 20

// minBufSize is the smallest read buffer, for tiny files.
const minBufSize = 4 << 10

// maxEmptyReads is how many reads in a row may return nothing before the
// source is declared stuck, as bufio does.
const maxEmptyReads = 100

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bufSizeFor picks the read buffer's size: the file's size when it is
// known to be small, so that reading a small file does not cost a
// megabyte, and readBufSize otherwise.
func bufSizeFor(size int64) int {
	switch {
	case size < 0 || size >= readBufSize:
		return readBufSize
	case size < minBufSize:
		return minBufSize
	}
	return int(size)
}

// fill makes n unread bytes available at r.buf[r.start:]. When the source
// ends or fails first, it returns how many there are and the source's
// error (io.EOF at a clean end).
func (r *Reader) fill(n int) (int, error) {
	if r.end-r.start >= n {
		return n, nil
	}
	return r.refill(n)
}

// refill is fill's slow path: it moves the unread bytes to the front of
// the buffer when n of them would not fit where they are, grows the buffer
// only once it is full and still too small, and reads.
func (r *Reader) refill(n int) (int, error) {
	if r.mapped != nil {
		// The whole file is in buf already, and it is read-only.
		return r.end - r.start, r.srcErr
	}
	if r.start+n > len(r.buf) && r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	empty := 0
	for r.end-r.start < n {
		if r.srcErr != nil {
			return r.end - r.start, r.srcErr
		}
		if r.end == len(r.buf) {
			r.grow(n)
		}
		m, err := r.src.Read(r.buf[r.end:])
		r.end += m
		switch {
		case err != nil:
			r.srcErr = err
		case m > 0:
			empty = 0
		default:
			if empty++; empty >= maxEmptyReads {
				r.srcErr = io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// grow enlarges the full buffer towards n bytes. It at most doubles it, so
// that a file that claims a huge record but ends early costs memory in
// proportion to what it holds, not to what it claims.
func (r *Reader) grow(n int) {
	size := min(2*len(r.buf), n)
	buf := make([]byte, size)
	r.end = copy(buf, r.buf[r.start:r.end])
	r.start = 0
	r.buf = buf
}

// consume marks n buffered bytes as read.
func (r *Reader) consume(n int) {
	r.start += n
	r.pos += int64(n)
	if r.mapped != nil && r.start-r.dropped >= dropEvery {
		r.dropRead()
	}
}

// dropEvery is how much of a mapped file is read between two calls that
// let its pages go; dropKeep is how much before the read position stays
// mapped in, for the packet last handed out.
const (
	dropEvery = 32 << 20
	dropKeep  = 1 << 20
)

// dropRead lets go of the pages of a mapped file that have been read.
func (r *Reader) dropRead() {
	end := (r.start - dropKeep) &^ (pageSize - 1)
	if end > r.dropped {
		dropPages(r.mapped[r.dropped:end])
		r.dropped = end
	}
}

// pageSize aligns what dropRead lets go of: madvise works on whole pages.
var pageSize = os.Getpagesize()

// skip consumes n bytes without holding them all in the buffer, for large
// blocks that are not read. It returns how many it skipped, and the
// source's error when that is fewer than n.
func (r *Reader) skip(n int64) (int64, error) {
	var done int64
	for done < n {
		if r.start == r.end {
			if _, err := r.refill(1); err != nil {
				return done, err
			}
		}
		k := int(min(n-done, int64(r.end-r.start)))
		r.consume(k)
		done += int64(k)
	}
	return done, nil
}

// cut returns the error for a record of want bytes of which the source
// gave only have: ErrTruncated at the end of the file, or the read error.
func (r *Reader) cut(err error, what string, have, want int64) error {
	if err == io.EOF {
		return r.fail(ErrTruncated, "%s has %d of %d bytes", what, have, want)
	}
	return r.readError(err)
}

// readError wraps an error from the source. The gzip reader's errors are
// about the file's content, so they become ErrTruncated or ErrCorrupt;
// anything else is an I/O error and is passed on as it is.
func (r *Reader) readError(err error) error {
	if r.gz != nil {
		if gerr := r.gzipError(err); gerr != nil {
			return gerr
		}
	}
	return r.errorAt(err)
}

// gzipError returns the *Error for an error of the gzip reader that says
// the compressed stream is damaged, and nil for any other error.
func (r *Reader) gzipError(err error) error {
	var flateErr flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return r.fail(ErrTruncated, "gzip stream ends early")
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &flateErr):
		return r.errorAt(fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	return nil
}

// fail returns an *Error for the record being read, wrapping kind with a
// message.
func (r *Reader) fail(kind error, format string, args ...any) error {
	return r.errorAt(fmt.Errorf("%w: "+format, append([]any{kind}, args...)...))
}

// errorAt wraps err with the file name, the packet number and the offset
// of the record being read.
func (r *Reader) errorAt(err error) error {
	e := &Error{File: r.name, Offset: r.recPos, Err: err}
	if !r.inHeader {
		e.Packet = r.number + 1
	}
	return e
}
