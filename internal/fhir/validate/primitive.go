package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/emedpractice/emp/internal/ctrlchar"
)

// Primitive values. FHIR JSON writes integer, decimal, positiveInt and
// unsignedInt as JSON numbers, boolean as a JSON boolean and every other
// primitive as a JSON string; each has a lexical form, given by the
// specification as a regex (patterns, generated).
//
// The regexes are compiled once, at start-up. The common primitives (string,
// code, uri, id, the dates, base64Binary, the numbers) are checked by
// hand-written matchers instead, which are many times faster than the regexp
// engine (BenchmarkMatcher); the tests hold every such matcher to its spec
// regex over a corpus of tricky and random inputs, so they cannot drift
// apart. oid and uuid, which are rare, use the regex.

// regexes are the compiled patterns, anchored, indexed by primitive typeID.
var regexes = compilePatterns()

func compilePatterns() [len(patterns)]*regexp.Regexp {
	var rs [len(patterns)]*regexp.Regexp
	for i, p := range patterns {
		if p != "" {
			rs[i] = regexp.MustCompile(`^(?:` + p + `)$`)
		}
	}
	return rs
}

// maxStringChars: strings SHALL NOT exceed 1 MB (1024*1024 characters); a
// string of fewer bytes cannot have more characters.
const maxStringChars = 1 << 20

// primitive checks one non-null value of a primitive type.
func (v *validator) primitive(id typeID, val any) {
	switch types[id].json {
	case jsonBoolean:
		if _, ok := val.(bool); !ok {
			v.fail("must be a JSON boolean (true or false)")
		}
	case jsonNumber:
		if msg := checkNumber(id, val); msg != "" {
			v.fail(msg)
		}
	default:
		s, ok := val.(string)
		if !ok {
			v.fail("must be a JSON string")
			return
		}
		if r, bad := ctrlchar.Find(s); bad {
			v.fail(ctrlchar.Describe(r)) // before the lexical check: its message would quote it
			return
		}
		if id == tXhtml && isXHTMLDiv(s) {
			if msg := checkNarrative(s); msg != "" {
				v.fail(msg)
				return
			}
		}
		if msg := checkString(id, s); msg != "" {
			v.fail(msg)
		}
	}
}

// checkString returns what is wrong with s as a value of a string-like
// primitive, or "".
func checkString(id typeID, s string) string {
	if s == "" {
		return "must not be empty"
	}
	if validString(id, s) {
		return ""
	}
	switch {
	case (id == tString || id == tMarkdown) && isBlank(s):
		return "must not be only whitespace"
	case id == tString && len(s) > maxStringChars && utf8.RuneCountInString(s) > maxStringChars:
		return "must not be longer than 1 MB"
	case id == tXhtml:
		return "must be an XHTML <div> element"
	}
	return fmt.Sprintf("not a valid %s: %s", types[id].name, quoted(s))
}

// validString reports whether s (not empty) is in the lexical space of the
// primitive, by the hand-written matcher where there is one.
func validString(id typeID, s string) bool {
	switch id {
	case tString:
		return isText(s) && (len(s) <= maxStringChars || utf8.RuneCountInString(s) <= maxStringChars)
	case tMarkdown:
		return isText(s)
	case tCode:
		return isCode(s)
	case tUri, tUrl, tCanonical:
		return isURI(s)
	case tId:
		return isID(s)
	case tDate:
		return isDate(s)
	case tDateTime:
		return isDateTime(s)
	case tInstant:
		return isInstant(s)
	case tTime:
		return isTime(s)
	case tBase64Binary:
		return isBase64(s)
	case tXhtml:
		return isXHTMLDiv(s)
	}
	if re := regexes[id]; re != nil {
		return re.MatchString(s)
	}
	return true
}

// checkNumber returns what is wrong with val as a value of a number
// primitive, or "".
func checkNumber(id typeID, val any) string {
	var s string
	switch n := val.(type) {
	case json.Number:
		s = string(n)
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "must be a finite number"
		}
		if id == tDecimal {
			return ""
		}
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return fmt.Sprintf("not a valid %s: %v", types[id].name, n)
		}
		s = strconv.FormatInt(int64(n), 10)
	case int:
		s = strconv.Itoa(n)
	case int64:
		s = strconv.FormatInt(n, 10)
	default:
		return "must be a JSON number"
	}
	if !validNumber(id, s) {
		return fmt.Sprintf("not a valid %s: %s", types[id].name, quoted(s))
	}
	if id != tDecimal {
		// integer, positiveInt and unsignedInt are 32-bit in R4.
		if _, err := strconv.ParseInt(s, 10, 32); err != nil {
			return fmt.Sprintf("out of range for %s: %s", types[id].name, s)
		}
	}
	return ""
}

// validNumber reports whether the text of a JSON number is in the lexical
// space of the number primitive.
func validNumber(id typeID, s string) bool {
	switch id {
	case tDecimal:
		return isDecimal(s)
	case tInteger:
		return isInteger(s)
	case tPositiveInt:
		return s != "" && s[0] != '0' && isDigits(s)
	case tUnsignedInt:
		return s == "0" || (s != "" && s[0] != '0' && isDigits(s))
	}
	return regexes[id] == nil || regexes[id].MatchString(s)
}

// quoted quotes a value for a message, shortened so that a megabyte of
// rubbish does not come back in the error.
func quoted(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
