package fhirjson

import (
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emedpractice/emp/internal/errs"
)

// maxDepth bounds how deeply objects and arrays may nest. A FHIR resource
// nests a few dozen levels at most; the bound keeps a hostile body from
// using the stack as a lever.
const maxDepth = 200

// Decode parses one JSON object. Anything else (an array, trailing data,
// malformed JSON) is an Invalid error whose message says where it broke.
//
// It is stricter than encoding/json where FHIR asks for it: a member name
// repeated in one object and invalid UTF-8 are refused rather than resolved
// silently (last one wins, U+FFFD), because either would store something
// other than what the client meant. Numbers stay as written (json.Number):
// FHIR decimal precision is significant.
//
// The parser is written out by hand because every write, every seeded
// resource and every JSON API body goes through it, and a reflection-based
// decoder into interface values spent most of its time on bookkeeping.
func Decode(body []byte) (Object, error) {
	// Strings and numbers without escapes are slices of one copy of the
	// body: one allocation instead of one per string.
	d := decoder{buf: body, src: string(body)}
	d.skipSpace()
	if d.pos == len(d.buf) {
		return nil, errs.E(errs.Invalid, "the body is empty")
	}
	if d.buf[d.pos] != '{' {
		if _, err := d.value(0); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Invalid, "the body must be a JSON object")
	}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.buf) {
		if _, err := d.value(0); err == nil {
			return nil, errs.E(errs.Invalid, "the body holds more than one JSON value")
		}
		return nil, d.fail("unexpected data after the JSON object")
	}
	return v.(Object), nil
}

type decoder struct {
	buf []byte
	src string // buf as a string
	pos int
}

func (d *decoder) fail(format string, args ...any) error {
	return errs.E(errs.Invalid, "malformed JSON at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) eof() error {
	return errs.E(errs.Invalid, "malformed JSON: unexpected end of input")
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value parses the value at the current position (after white space).
func (d *decoder) value(depth int) (any, error) {
	d.skipSpace()
	if d.pos >= len(d.buf) {
		return nil, d.eof()
	}
	switch c := d.buf[d.pos]; {
	case c == '{':
		if depth >= maxDepth {
			return nil, d.fail("nested more than %d levels deep", maxDepth)
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= maxDepth {
			return nil, d.fail("nested more than %d levels deep", maxDepth)
		}
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.fail("unexpected character %q", rune(c))
	}
}

func (d *decoder) literal(word string) error {
	end := d.pos + len(word)
	if end > len(d.buf) {
		if string(d.buf[d.pos:]) == word[:len(d.buf)-d.pos] {
			return d.eof()
		}
		return d.fail("invalid literal")
	}
	if string(d.buf[d.pos:end]) != word {
		return d.fail("invalid literal")
	}
	d.pos = end
	return nil
}

func (d *decoder) object(depth int) (Object, error) {
	d.pos++ // {
	obj := Object{}
	d.skipSpace()
	if d.pos < len(d.buf) && d.buf[d.pos] == '}' {
		d.pos++
		return obj, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return nil, d.eof()
		}
		if d.buf[d.pos] != '"' {
			return nil, d.fail("expected a member name in double quotes")
		}
		at := d.pos
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		if _, dup := obj[key]; dup {
			d.pos = at
			return nil, d.fail("member %q appears twice in one object", key)
		}
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return nil, d.eof()
		}
		if d.buf[d.pos] != ':' {
			return nil, d.fail("expected ':' after a member name")
		}
		d.pos++
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		obj[key] = v
		if done, err := d.next('}', "an object member"); done || err != nil {
			return obj, err
		}
	}
}

// next reads what follows a member or element: a comma (more to come) or
// the closing bracket (done).
func (d *decoder) next(closing byte, after string) (done bool, err error) {
	d.skipSpace()
	if d.pos >= len(d.buf) {
		return false, d.eof()
	}
	switch d.buf[d.pos] {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, d.fail("expected ',' or '%c' after %s", closing, after)
}

func (d *decoder) array(depth int) ([]any, error) {
	d.pos++ // [
	arr := []any{}
	d.skipSpace()
	if d.pos < len(d.buf) && d.buf[d.pos] == ']' {
		d.pos++
		return arr, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		if done, err := d.next(']', "an array element"); done || err != nil {
			return arr, err
		}
	}
}

// str parses a string. The common case, no escapes and valid UTF-8, is one
// scan and no allocation.
func (d *decoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	for i := start; i < len(d.buf); i++ {
		c := d.buf[i]
		switch {
		case c == '"':
			s := d.buf[start:i]
			if !utf8.Valid(s) {
				d.pos = start
				return "", d.fail("a string is not valid UTF-8")
			}
			d.pos = i + 1
			return d.src[start:i], nil
		case c == '\\':
			return d.escapedStr(start, i)
		case c < 0x20:
			d.pos = i
			return "", d.fail("control character in a string")
		}
	}
	d.pos = len(d.buf)
	return "", d.eof()
}

// escapedStr finishes a string that holds escapes; plain holds up to the
// first backslash at i.
func (d *decoder) escapedStr(start, i int) (string, error) {
	out := make([]byte, 0, i-start+16)
	out = append(out, d.buf[start:i]...)
	for i < len(d.buf) {
		c := d.buf[i]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				d.pos = start
				return "", d.fail("a string is not valid UTF-8")
			}
			d.pos = i + 1
			return string(out), nil
		case c < 0x20:
			d.pos = i
			return "", d.fail("control character in a string")
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(d.buf) {
			return "", d.eof()
		}
		switch e := d.buf[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
			i += 2
		case 'b':
			out, i = append(out, '\b'), i+2
		case 'f':
			out, i = append(out, '\f'), i+2
		case 'n':
			out, i = append(out, '\n'), i+2
		case 'r':
			out, i = append(out, '\r'), i+2
		case 't':
			out, i = append(out, '\t'), i+2
		case 'u':
			r, ok := d.hex4(i + 2)
			if !ok {
				d.pos = i
				return "", d.fail("invalid \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A high surrogate must be followed by an escaped low one.
				r2, ok := rune(0), false
				if i+1 < len(d.buf) && d.buf[i] == '\\' && d.buf[i+1] == 'u' {
					r2, ok = d.hex4(i + 2)
				}
				pair := utf16.DecodeRune(r, r2)
				if !ok || pair == utf8.RuneError {
					d.pos = i - 6
					return "", d.fail("unpaired UTF-16 surrogate in a \\u escape")
				}
				r, i = pair, i+6
			}
			out = utf8.AppendRune(out, r)
		default:
			d.pos = i
			return "", d.fail("invalid escape \\%c", e)
		}
	}
	d.pos = len(d.buf)
	return "", d.eof()
}

func (d *decoder) hex4(at int) (rune, bool) {
	if at+4 > len(d.buf) {
		return 0, false
	}
	var r rune
	for _, c := range d.buf[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number checks the JSON number grammar and keeps the text as written.
func (d *decoder) number() (json.Number, error) {
	start := d.pos
	i := d.pos
	// digits skips a run of digits; a run that is required and empty is a
	// malformed number.
	digits := func() bool {
		from := i
		for i < len(d.buf) && d.buf[i] >= '0' && d.buf[i] <= '9' {
			i++
		}
		return i > from
	}
	ok := true
	if d.buf[i] == '-' {
		i++
	}
	if i < len(d.buf) && d.buf[i] == '0' {
		i++
	} else {
		ok = digits()
	}
	if ok && i < len(d.buf) && d.buf[i] == '.' {
		i++
		ok = digits()
	}
	if ok && i < len(d.buf) && (d.buf[i] == 'e' || d.buf[i] == 'E') {
		i++
		if i < len(d.buf) && (d.buf[i] == '+' || d.buf[i] == '-') {
			i++
		}
		ok = digits()
	}
	d.pos = i
	switch {
	case ok:
		return json.Number(d.src[start:i]), nil
	case i >= len(d.buf):
		return "", d.eof()
	default:
		return "", d.fail("invalid number")
	}
}
