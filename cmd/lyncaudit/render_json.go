package main

import (
	"encoding/json"
	"io"

	"github.com/lyncaudit/lyncaudit/analyzer"
)

// renderJSON writes the report model as indented JSON. The model's schema
// field says which version of the format it is (see the README).
func renderJSON(_ *env, w io.Writer, r *analyzer.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
