package rules

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLineLen bounds one line of a catalog or inventory file.
const maxLineLen = 64 << 10

// readLines calls fn with each line of r and its 1-based number. Line
// endings (LF or CRLF) are removed, and so is a UTF-8 byte order mark at the
// start of the file, which Windows editors like to write. A read error or an
// over-long line is added to errs at the line where reading stopped.
func readLines(r io.Reader, file string, errs *ErrorList, fn func(line string, n int)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		fn(line, n)
	}
	if err := sc.Err(); err != nil {
		pos := Pos{File: file, Line: n + 1, Column: 1}
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("%w: line longer than %d bytes", ErrSyntax, maxLineLen)
		}
		errs.Add(pos, err)
	}
}

// field is a word of a line and the 1-based column it starts at.
type field struct {
	text string
	col  int
}

// splitFields splits s, which starts at column col, into words separated by
// spaces and tabs.
func splitFields(s string, col int) []field {
	var fs []field
	for i := 0; i < len(s); {
		if isBlank(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isBlank(s[j]) {
			j++
		}
		fs = append(fs, field{text: s[i:j], col: col + i})
		i = j
	}
	return fs
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// trimBlanks removes leading and trailing spaces and tabs and returns how
// many bytes were cut from the front.
func trimBlanks(s string) (string, int) {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	j := len(s)
	for j > i && isBlank(s[j-1]) {
		j--
	}
	return s[i:j], i
}

// hasControl reports whether s holds a control character other than tab.
func hasControl(s string) bool {
	for _, r := range s {
		if r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
			return true
		}
	}
	return false
}
