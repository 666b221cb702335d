//go:build !linux

package main

import "errors"

// dropPrivileges is only implemented on Linux, where live capture runs.
func dropPrivileges(string) error {
	return errors.New("--user is only supported on Linux")
}
