//go:build linux

package main

import (
	"os"
	"testing"
)

// TestMain lets the end-to-end tests run this test binary as the
// lyncaudit command, or as one of the peers whose traffic it watches,
// inside network namespaces.
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("LYNCAUDIT_TEST_MAIN") == "1":
		e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal}
		os.Exit(run(e, os.Args[1:]))
	case os.Getenv("LYNCAUDIT_TEST_PEER") != "":
		os.Exit(runPeer(os.Getenv("LYNCAUDIT_TEST_PEER")))
	}
	os.Exit(m.Run())
}
