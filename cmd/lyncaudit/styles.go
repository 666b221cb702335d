package main

import (
	"io"
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// styles holds every style of the terminal report, built once for one
// output. Without colour every style renders its text unchanged, so the
// same code writes the plain report.
type styles struct {
	r          *lipgloss.Renderer
	color      bool
	title      lipgloss.Style // the report's first line
	dim        lipgloss.Style // secondary facts: counts, inventory lines
	section    lipgloss.Style // a role group's heading
	host       lipgloss.Style // a host's address
	header     lipgloss.Style // table header cells
	cell       lipgloss.Style // ordinary table cells (tables add the padding)
	expected   lipgloss.Style // verdict: expected
	unexpected lipgloss.Style // verdict: unexpected
	mismatch   lipgloss.Style // verdict: mismatch
	missing    lipgloss.Style // verdict: missing
	warn       lipgloss.Style // warnings about the run itself
}

// newStyles builds the styles for w. Colour is used only when w is a
// terminal and NO_COLOR is unset (https://no-color.org).
func newStyles(e *env, w io.Writer) *styles {
	r := lipgloss.NewRenderer(w)
	color := e.isTerminal(w) && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb"
	if !color {
		r.SetColorProfile(termenv.Ascii)
	}
	base := r.NewStyle()
	s := &styles{
		r:          r,
		color:      color,
		title:      base.Bold(true),
		dim:        base.Foreground(lipgloss.AdaptiveColor{Light: "244", Dark: "245"}),
		section:    base.Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "25", Dark: "111"}),
		host:       base.Bold(true),
		header:     base.Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "240", Dark: "250"}),
		cell:       base,
		expected:   base.Foreground(lipgloss.AdaptiveColor{Light: "28", Dark: "114"}),
		unexpected: base.Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "160", Dark: "203"}),
		mismatch:   base.Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "130", Dark: "215"}),
		missing:    base.Foreground(lipgloss.AdaptiveColor{Light: "244", Dark: "245"}),
		warn:       base.Foreground(lipgloss.AdaptiveColor{Light: "130", Dark: "215"}),
	}
	return s
}

// verdict returns the style of a verdict's name.
func (s *styles) verdict(v string) lipgloss.Style {
	switch v {
	case "expected":
		return s.expected
	case "unexpected":
		return s.unexpected
	case "mismatch":
		return s.mismatch
	case "missing", "unanswered":
		return s.missing
	}
	return s.r.NewStyle()
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
