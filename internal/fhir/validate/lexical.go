package validate

// Hand-written matchers for the lexical forms of the common primitives. Each
// accepts exactly what the specification's regex for the type accepts (the
// tests compare them), plus the rules the regex cannot say: non-blank strings
// and real calendar dates. "Space" below is the regex class \s: tab, line
// feed, form feed, carriage return and space.

func isSpace(b byte) bool {
	// One comparison for the usual byte, above the space.
	return b <= ' ' && (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f')
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// isBlank reports whether s is only ASCII whitespace.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
		default:
			return false
		}
	}
	return true
}

// isText is string and markdown: [ \r\n\t\S]+ (anything but a form feed), and
// not blank.
func isText(s string) bool {
	blank := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' {
			blank = false
			continue
		}
		switch c {
		case '\f':
			return false
		case ' ', '\t', '\n', '\r', '\v':
		default:
			blank = false
		}
	}
	return !blank
}

// isCode is [^\s]+(\s[^\s]+)*: no leading, trailing or doubled space.
func isCode(s string) bool {
	if s == "" || isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if isSpace(s[i]) && isSpace(s[i-1]) {
			return false
		}
	}
	return true
}

// isURI is uri, url and canonical: \S*.
func isURI(s string) bool {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			return false
		}
	}
	return true
}

// isID is [A-Za-z0-9\-\.]{1,64}.
func isID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isBase64 is (\s*([0-9a-zA-Z\+/=]){4}\s*)+: runs of base64 characters, each
// a multiple of four long, separated by space.
func isBase64(s string) bool {
	run, runs := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '+' || c == '/' || c == '=':
			run++
		case isSpace(c):
			if run%4 != 0 {
				return false
			}
			if run > 0 {
				runs++
			}
			run = 0
		default:
			return false
		}
	}
	if run%4 != 0 {
		return false
	}
	return runs > 0 || run > 0
}

// isDecimal is -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// isInteger is -?([0]|([1-9][0-9]*)).
func isInteger(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	return s == "0" || (s != "" && s[0] != '0' && isDigits(s))
}

// isXHTMLDiv checks the narrative's outer element: FHIR requires the xhtml
// of a Narrative to be one <div>. Whether the inside is well-formed, safe
// XHTML is a separate, costlier question.
func isXHTMLDiv(s string) bool {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	s = s[i:j]
	if len(s) < len("<div/>") || s[:4] != "<div" {
		return false
	}
	switch s[4] {
	case '>', '/', ' ', '\t', '\n', '\r':
	default:
		return false
	}
	return s[len(s)-6:] == "</div>" || s[len(s)-2:] == "/>"
}
