package filter

import "unicode/utf8"

// tokKind says what a token is. Words (keywords, numbers, addresses,
// names) are told apart by the parser, as tcpdump's scanner does by
// pattern.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // keyword, number, address or name
	tokLParen         // (
	tokRParen         // )
	tokBang           // !, the same as "not"
	tokAndAnd         // &&, the same as "and"
	tokOrOr           // ||, the same as "or"
	tokSlash          // / between an address and a mask length
	tokOther          // anything else: operators of tcpdump's arithmetic, stray bytes
)

// token is one lexeme and where it starts in the expression.
type token struct {
	kind tokKind
	text string
	pos  int // byte offset from 0
}

// isWordByte reports whether c can be part of a word. The set covers
// IPv4 and IPv6 addresses, port ranges (1000-2000), names with dashes and
// tcpdump's backslash-escaped keywords (\tcp), which are names.
func isWordByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '.', ':', '-', '_', '%', '\\':
		return true
	}
	return false
}

// lex splits an expression into tokens, ending with tokEOF at len(s).
func lex(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isWordByte(c):
			j := i + 1
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{tokWord, s[i:j], i})
			i = j
			continue
		}
		k, n := tokOther, 1
		if c >= utf8.RuneSelf {
			_, n = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case c == '(':
			k = tokLParen
		case c == ')':
			k = tokRParen
		case c == '/':
			k = tokSlash
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			k, n = tokAndAnd, 2
		case c == '|' && i+1 < len(s) && s[i+1] == '|':
			k, n = tokOrOr, 2
		case c == '!' && !(i+1 < len(s) && s[i+1] == '='):
			k = tokBang
		case c == '!' || c == '=' || c == '<' || c == '>':
			// Comparison operators of tcpdump's arithmetic; keep two-byte
			// ones whole so that the error quotes them whole.
			if i+1 < len(s) && s[i+1] == '=' {
				n = 2
			}
		}
		toks = append(toks, token{k, s[i : i+n], i})
		i += n
	}
	return append(toks, token{tokEOF, "", len(s)})
}
