// Package ctrlchar finds control characters in client input, so that every
// face refuses them the same way before anything is stored or queried.
//
// FHIR R4 says strings SHALL NOT contain characters below U+0020 other than
// tab, carriage return and line feed (datatypes, "string"). Beyond that rule
// this package also refuses DEL and the C1 controls (U+007F–U+009F): no
// clinical text holds them, and in a log, an audit row or a terminal they
// are escape sequences (U+009B is CSI) rather than text. NUL in particular
// is not storable in PostgreSQL text at all, so without this check it turns a
// client's mistake into a 500.
//
// The package sits on the lowest floor (it imports only errs) so the FHIR
// validator, the search parser and every face can share one definition.
package ctrlchar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/emedpractice/emp/internal/errs"
)

// Message is what a refusal says, after the field: the same words on every
// face, with the offending character appended.
const Message = "must not contain control characters (U+0000–U+001F other than tab, CR and LF, U+007F–U+009F)"

// Forbidden reports whether r is a control character that input must not
// hold: a C0 control other than tab, line feed and carriage return, DEL, or
// a C1 control.
func Forbidden(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n' && r != '\r'
	case r >= 0x7f && r <= 0x9f:
		return true
	}
	return false
}

// Find returns the first forbidden control character in s and whether
// there is one. Invalid UTF-8 is not its concern (the decoders refuse it).
func Find(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			if Forbidden(rune(c)) {
				return rune(c), true
			}
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			// U+0080–U+009F are encoded as C2 80 … C2 9F.
			r, _ := utf8.DecodeRuneInString(s[i:])
			return r, true
		}
	}
	return 0, false
}

// Describe is the message for a value holding r: Message and the character.
func Describe(r rune) string {
	return fmt.Sprintf("%s; found U+%04X", Message, r)
}

// String returns an Invalid error naming field when s holds a forbidden
// control character, or nil.
func String(field, s string) *errs.Error {
	if r, bad := Find(s); bad {
		return errs.Field(field, "%s", Describe(r))
	}
	return nil
}

// Values checks the names and values of query or form parameters. The
// error names the first offending parameter in sorted order, so the answer
// does not depend on map iteration; a parameter whose name itself is bad is
// named with the control character escaped.
func Values(v url.Values) *errs.Error {
	if len(v) == 0 {
		return nil
	}
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if r, bad := Find(name); bad {
			return errs.Field(Escape(name), "the parameter name %s", Describe(r))
		}
		for _, val := range v[name] {
			if e := String(name, val); e != nil {
				return e
			}
		}
	}
	return nil
}

// JSON checks every member name and string value of a JSON document; the
// error names the member holding the first bad string (for an array item,
// the array's member), members visited in sorted order. A body that is not
// JSON is left to the caller's decoder to refuse.
func JSON(body []byte) *errs.Error {
	if !bytes.Contains(body, []byte(`\u`)) && !bytes.ContainsAny(body, "\x7f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f") {
		// Raw C0 controls cannot appear in a JSON string (decoders
		// refuse them); escaped ones are spelled \uXXXX. Most bodies
		// have neither and cost one scan.
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	return walk("body", v)
}

func walk(member string, v any) *errs.Error {
	switch x := v.(type) {
	case string:
		return String(member, x)
	case []any:
		for _, item := range x {
			if e := walk(member, item); e != nil {
				return e
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if r, bad := Find(k); bad {
				return errs.Field(Escape(k), "the member name %s", Describe(r))
			}
			if e := walk(k, x[k]); e != nil {
				return e
			}
		}
	}
	return nil
}

// Escape writes a name for an error's field with its control characters
// escaped as Go does ("a\x00b"): the character itself must not travel back
// in the error either.
func Escape(name string) string {
	q := strconv.Quote(name)
	return q[1 : len(q)-1]
}
