package rules

import (
	"errors"
	"sort"
	"strconv"
)

// Sentinel errors wrapped by every [Error] the catalog and inventory parsers
// return, so that callers can test for a kind of mistake with [errors.Is].
// Their messages are written for the person who wrote the file.
var (
	ErrSyntax      = errors.New("syntax error")
	ErrUnknownRole = errors.New("unknown role")
	ErrBadAddress  = errors.New("bad address")
	ErrBadPort     = errors.New("bad port")
	ErrBadValue    = errors.New("bad value")
	ErrBadName     = errors.New("bad name")
	ErrUnknownKey  = errors.New("unknown key")
	ErrMissingKey  = errors.New("missing key")
	ErrNoRole      = errors.New("no role")
	ErrDuplicate   = errors.New("duplicate")
)

// Pos is a position in a text file. Line and Column count from 1; Column
// counts bytes, as go/token does. A zero Line means the position is the file
// as a whole.
type Pos struct {
	File   string
	Line   int // 1-based
	Column int // 1-based byte offset in the line
}

// String returns "file:line:col", leaving out the parts that are unknown.
func (p Pos) String() string {
	s := p.File
	if p.Line > 0 {
		if s != "" {
			s += ":"
		}
		s += strconv.Itoa(p.Line)
		if p.Column > 0 {
			s += ":" + strconv.Itoa(p.Column)
		}
	}
	if s == "" {
		s = "-"
	}
	return s
}

// before reports whether p sorts before q: by file, then line, then column.
func (p Pos) before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Column < q.Column
}

// Error is a mistake found at a position of a catalog or inventory file. Err
// wraps one of the package's sentinel errors.
type Error struct {
	Pos Pos
	Err error
}

// Error returns "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

// Unwrap returns the underlying error, so errors.Is finds the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is a list of [Error]s, sorted by position once a parser returns
// it. The parsers report every mistake they find, not only the first.
type ErrorList []*Error

// Add appends an error at pos.
func (l *ErrorList) Add(pos Pos, err error) { *l = append(*l, &Error{Pos: pos, Err: err}) }

// Sort orders the list by position, keeping the order of errors at the same
// position.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Pos.before(l[j].Pos) })
}

// Error returns the first error's message and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	case 2:
		return l[0].Error() + " (and 1 more error)"
	}
	return l[0].Error() + " (and " + strconv.Itoa(len(l)-1) + " more errors)"
}

// Unwrap returns the errors of the list, so that errors.Is and errors.As
// look at each of them.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
