//go:build !unix

package capture

import "os"

// mapFile does not map files on this system: they are read instead.
func mapFile(*os.File, int64) []byte { return nil }

func unmapFile([]byte) error { return nil }

func dropPages([]byte) {}
