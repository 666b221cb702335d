package main

import (
	"encoding/json"
	"io"
)

// renderJSON writes a versioned document (a report, a diff, inferred
// roles) as indented JSON; its schema field says which version of its
// format it is (see the README).
func renderJSON[T any](_ *env, w io.Writer, v T) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
