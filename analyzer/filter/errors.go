package filter

import (
	"errors"
	"fmt"
)

// The kinds of problem an expression can have. Every error Compile and
// Program return is an *Error wrapping one of them, so that callers can
// tell them apart with errors.Is.
var (
	ErrSyntax      = errors.New("syntax error")                 // not an expression tcpdump would parse
	ErrUnsupported = errors.New("unsupported")                  // tcpdump syntax outside the subset compiled here
	ErrInvalid     = errors.New("invalid value")                // an address, port, mask or number out of range
	ErrLinkType    = errors.New("link type cannot be filtered") // the expression means nothing on that link type
)

// supportedList ends every ErrUnsupported message, so that people see what
// they can write instead.
const supportedList = "supported: host, net, port, portrange, src, dst, tcp, udp, ip, ip6, proto, vlan, and, or, not, parentheses"

// Error is an expression that does not compile, and where. Column counts
// bytes of the expression from 1; an expression that ends too early has
// its error one past its last byte, and a link type Program does not
// support has none (0).
type Error struct {
	Column int   // where the offending text starts, counting bytes from 1
	Err    error // ErrSyntax, ErrUnsupported, ErrInvalid or ErrLinkType
	msg    string
}

// Error returns one line starting with "filter: " that names the offending
// text and its column.
func (e *Error) Error() string { return "filter: " + e.msg }

// Unwrap returns the sentinel, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// errorAt builds an *Error for the text starting at byte pos (from 0) of
// the expression: "what at column N" followed by detail, which carries its
// own separator (": why" or "; what instead").
func errorAt(pos int, kind error, what, detail string) *Error {
	return &Error{Column: pos + 1, Err: kind, msg: fmt.Sprintf("%s at column %d%s", what, pos+1, detail)}
}
