//go:build unix

package capture

import (
	"os"
	"syscall"
)

// mapFile maps a regular file into memory, read-only, so that packets are
// handed out straight from the page cache without being copied into a
// read buffer first. It returns nil when the file cannot be mapped (a file
// system that refuses; an empty file, which the reader reports), and the
// caller reads it instead. A file mapped must not shrink while it is read.
func mapFile(f *os.File, size int64) []byte {
	if size < 1 || size != int64(int(size)) {
		return nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	// The file is read once, front to back.
	syscall.Madvise(b, syscall.MADV_SEQUENTIAL)
	return b
}

func unmapFile(b []byte) error { return syscall.Munmap(b) }

// dropPages tells the kernel the process is done with b, a page-aligned
// part of a mapping already read: its pages leave the process's resident
// set (they stay in the page cache), so reading a large file does not
// look like using that much memory.
func dropPages(b []byte) { syscall.Madvise(b, syscall.MADV_DONTNEED) }
