package fhirpath

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The lexer turns an expression into tokens. FHIRPath has few token classes;
// keywords (and, div, is…) are identifiers the parser recognises by place, so
// that `div` can still name an element after a dot.

type tokClass uint8

const (
	tEOF tokClass = iota
	tIdent
	tDelimIdent // `name`
	tString
	tNumber
	tDateTime // @2015-02-04T14:34 or @T14:34; text without the @
	tConst    // %name or %`name`; text without the %
	tOp       // punctuation and operators
)

type token struct {
	class tokClass
	text  string
	pos   int
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		// Whitespace and comments.
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				i++
				continue
			}
			if strings.HasPrefix(src[i:], "//") {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
			if strings.HasPrefix(src[i:], "/*") {
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, fmt.Errorf("unterminated comment at %d", i)
				}
				i += end + 4
				continue
			}
			break
		}
		if i >= len(src) {
			toks = append(toks, token{class: tEOF, pos: i})
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{tIdent, src[start:i], start})
		case c == '`':
			s, n, err := quoted(src[i:], '`')
			if err != nil {
				return nil, err
			}
			i += n
			toks = append(toks, token{tDelimIdent, s, start})
		case c == '\'':
			s, n, err := quoted(src[i:], '\'')
			if err != nil {
				return nil, err
			}
			i += n
			toks = append(toks, token{tString, s, start})
		case c >= '0' && c <= '9':
			for i < len(src) && isDigit(src[i]) {
				i++
			}
			// A fraction only when a digit follows the dot: 1.convertsTo…
			if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
				i++
				for i < len(src) && isDigit(src[i]) {
					i++
				}
			}
			toks = append(toks, token{tNumber, src[start:i], start})
		case c == '@':
			i++
			for i < len(src) && (isDigit(src[i]) || strings.IndexByte("-:T+Z", src[i]) >= 0 ||
				(src[i] == '.' && i+1 < len(src) && isDigit(src[i+1]))) {
				i++
			}
			toks = append(toks, token{tDateTime, src[start+1 : i], start})
		case c == '%':
			i++
			if i < len(src) && src[i] == '`' {
				s, n, err := quoted(src[i:], '`')
				if err != nil {
					return nil, err
				}
				i += n
				toks = append(toks, token{tConst, s, start})
				break
			}
			if i < len(src) && src[i] == '\'' {
				s, n, err := quoted(src[i:], '\'')
				if err != nil {
					return nil, err
				}
				i += n
				toks = append(toks, token{tConst, s, start})
				break
			}
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			if i == start+1 {
				return nil, fmt.Errorf("empty constant name at %d", start)
			}
			toks = append(toks, token{tConst, src[start+1 : i], start})
		case c == '$':
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{tIdent, src[start:i], start})
		default:
			op := ""
			for _, o := range []string{"<=", ">=", "!=", "!~"} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if strings.IndexByte(".,()[]{}+-*/&|<>=~", c) < 0 {
					r, _ := utf8.DecodeRuneInString(src[i:])
					return nil, fmt.Errorf("unexpected %q at %d", r, i)
				}
				op = src[i : i+1]
			}
			i += len(op)
			toks = append(toks, token{tOp, op, start})
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }

// quoted reads a string or delimited identifier starting at s[0] (the
// quote) and returns its unescaped text and the bytes consumed.
func quoted(s string, q byte) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 >= len(s) {
				return "", 0, fmt.Errorf("bad unicode escape")
			}
			var r rune
			for _, h := range s[i+1 : i+5] {
				r <<= 4
				switch {
				case h >= '0' && h <= '9':
					r |= h - '0'
				case h >= 'a' && h <= 'f':
					r |= h - 'a' + 10
				case h >= 'A' && h <= 'F':
					r |= h - 'A' + 10
				default:
					return "", 0, fmt.Errorf("bad unicode escape")
				}
			}
			b.WriteRune(r)
			i += 4
		default: // \\ \' \" \` \/
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated %c", q)
}
