package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// parseFile opens the file name and parses it with parse. Errors are
// input errors: they already say file and line.
func parseFile[T any](name string, parse func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(name)
	if err != nil {
		return zero, &inputError{err}
	}
	defer f.Close()
	v, err := parse(bufio.NewReader(f), name)
	if err != nil {
		return zero, &inputError{err}
	}
	return v, nil
}

// writeOutput runs write on standard output, or on the file name when one
// is given, and reports any write error.
func writeOutput(e *env, name string, write func(io.Writer) error) error {
	if name == "" || name == "-" {
		bw := bufio.NewWriter(e.stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	f, err := os.Create(name)
	if err != nil {
		return &inputError{err}
	}
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return f.Close()
}
