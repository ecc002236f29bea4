package validate

import (
	"encoding/xml"
	"strings"
)

// scanNarrative checks a narrative written in the plain subset of XML that
// nearly every narrative uses: elements, attributes in double or single
// quotes without references, text with the five predefined entity
// references (in attributes too). It reports decided=false, and leaves the narrative to
// encoding/xml (parseNarrative), at the first thing outside that subset: a
// comment, CDATA, a declaration or processing instruction, a character
// reference, a prefixed name other than
// xml:lang and xml:space, a non-ASCII name, "]]>" or U+FFFE/U+FFFF. Inside
// the subset its verdicts are encoding/xml's (FuzzScanNarrative holds it to
// that) at a fraction of the cost: encoding/xml reads byte by byte through
// a bufio.Reader and costs about 10 ns a byte, most of a write's
// validation. The element and attribute rules are the same functions.
func scanNarrative(s string) (msg string, decided bool) {
	if strings.Contains(s, "]]>") || strings.Contains(s, "\uFFFE") || strings.Contains(s, "\uFFFF") {
		return "", false
	}
	var stack [32]string
	open := stack[:0]
	var attrs [8]xml.Attr
	content, done := false, false
	i, n := 0, len(s)
	for i < n {
		c := s[i]
		if c != '<' {
			// Text up to the next tag.
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = n - i
			}
			text := s[i : i+j]
			if !isBlank(text) {
				if len(open) == 0 {
					return "must be one XHTML <div> element and nothing around it", true
				}
				content = true
			}
			if strings.IndexByte(text, '&') >= 0 && !plainReferences(text) {
				return "", false
			}
			i += j
			continue
		}
		i++
		if i >= n {
			return "", false
		}
		switch s[i] {
		case '!', '?':
			return "", false
		case '/':
			i++
			name, k := scanName(s, i)
			if name == "" {
				return "", false
			}
			i = skipXMLSpace(s, k)
			if i >= n || s[i] != '>' {
				return "", false
			}
			i++
			if len(open) == 0 || open[len(open)-1] != name {
				return "not well-formed XHTML: the end tag </" + name + "> does not match its start tag", true
			}
			open = open[:len(open)-1]
			done = len(open) == 0
			continue
		}
		name, k := scanName(s, i)
		if name == "" || strings.IndexByte(name, ':') >= 0 {
			return "", false
		}
		i = k
		t := xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs[:0]}
		selfClosing := false
		for {
			j := skipXMLSpace(s, i)
			if j >= n {
				return "", false
			}
			if s[j] == '>' {
				i = j + 1
				break
			}
			if s[j] == '/' {
				if j+1 >= n || s[j+1] != '>' {
					return "", false
				}
				i, selfClosing = j+2, true
				break
			}
			if j == i {
				return "", false // attributes must be separated by white space
			}
			an, k := scanName(s, j)
			if an == "" {
				return "", false
			}
			var aname xml.Name
			switch {
			case an == "xml:lang" || an == "xml:space":
				aname = xml.Name{Space: "xml", Local: an[4:]}
			case strings.IndexByte(an, ':') >= 0:
				return "", false
			default:
				aname = xml.Name{Local: an}
			}
			k = skipXMLSpace(s, k)
			if k >= n || s[k] != '=' {
				return "", false
			}
			k = skipXMLSpace(s, k+1)
			if k >= n || (s[k] != '"' && s[k] != '\'') {
				return "", false
			}
			q := s[k]
			end := strings.IndexByte(s[k+1:], q)
			if end < 0 {
				return "", false
			}
			val := s[k+1 : k+1+end]
			if strings.IndexByte(val, '<') >= 0 {
				return "", false
			}
			if strings.IndexByte(val, '&') >= 0 {
				if !plainReferences(val) {
					return "", false
				}
				val = predefinedEntities.Replace(val)
			}
			if strings.IndexByte(val, '\r') >= 0 {
				// Line ends are read as encoding/xml reads them.
				val = strings.ReplaceAll(strings.ReplaceAll(val, "\r\n", "\n"), "\r", "\n")
			}
			t.Attr = append(t.Attr, xml.Attr{Name: aname, Value: val})
			i = k + 1 + end + 1
		}
		if done {
			return "must be one XHTML <div> element and nothing around it", true
		}
		if msg := checkNarrativeElement(t, len(open) == 0); msg != "" {
			return msg, true
		}
		if name == "img" {
			content = true
		}
		if selfClosing {
			done = len(open) == 0
			continue
		}
		open = append(open, name)
	}
	if len(open) > 0 {
		return "", false // let encoding/xml word the error
	}
	if !done {
		return "", false
	}
	if !content {
		return "txt-2: the narrative must have some non-whitespace content", true
	}
	return "", true
}

// scanName reads an ASCII XML name at s[i:]: a letter or '_' then letters,
// digits, '_', '-', '.' and ':'. It returns "" when there is none or the
// name goes on in characters outside ASCII.
func scanName(s string, i int) (string, int) {
	j := i
	for j < len(s) {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == ':':
		case j > i && ('0' <= c && c <= '9' || c == '-' || c == '.'):
		case c >= 0x80:
			return "", j
		default:
			return s[i:j], j
		}
		j++
	}
	return s[i:j], j
}

func skipXMLSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// predefinedEntities replaces XML's five predefined entity references.
var predefinedEntities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'")

// plainReferences reports whether every '&' in text starts one of the five
// predefined entity references.
func plainReferences(text string) bool {
	for {
		k := strings.IndexByte(text, '&')
		if k < 0 {
			return true
		}
		text = text[k+1:]
		ok := false
		for _, e := range [...]string{"amp;", "lt;", "gt;", "quot;", "apos;"} {
			if strings.HasPrefix(text, e) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
}
