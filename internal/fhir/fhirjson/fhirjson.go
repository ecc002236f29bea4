// Package fhirjson reads and writes FHIR resources as JSON the way the server
// stores them. Decoding keeps decimals exact (json.Number) because FHIR
// decimal precision is significant; encoding puts resourceType, id and meta
// first so stored bytes read naturally, and is otherwise deterministic.
package fhirjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/emedpractice/emp/internal/errs"
)

// Object is a decoded JSON object: a FHIR resource or element.
type Object = map[string]any

// Decode parses one JSON object. Anything else (an array, trailing data,
// malformed JSON) is an Invalid error whose message says where it broke.
func Decode(body []byte) (Object, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errs.E(errs.Invalid, "the body holds more than one JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errs.E(errs.Invalid, "the body must be a JSON object")
	}
	return obj, nil
}

func syntaxError(body []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errs.E(errs.Invalid, "malformed JSON at byte %d: %s", se.Offset, se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return errs.E(errs.Invalid, "malformed JSON at byte %d", te.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if len(bytes.TrimSpace(body)) == 0 {
			return errs.E(errs.Invalid, "the body is empty")
		}
		return errs.E(errs.Invalid, "malformed JSON: unexpected end of input")
	}
	return errs.E(errs.Invalid, "malformed JSON")
}

// Encode writes a resource compactly with resourceType, id and meta first and
// the other members in sorted order, so equal resources give equal bytes.
func Encode(res Object) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(512)
	if err := encodeObject(&buf, res, true); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var leading = [...]string{"resourceType", "id", "meta"}

func encodeObject(buf *bytes.Buffer, obj Object, top bool) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if top && (k == "resourceType" || k == "id" || k == "meta") {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf.WriteByte('{')
	n := 0
	write := func(k string, v any) error {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		writeString(buf, k)
		buf.WriteByte(':')
		return encodeValue(buf, v)
	}
	if top {
		for _, k := range leading {
			if v, ok := obj[k]; ok {
				if err := write(k, v); err != nil {
					return err
				}
			}
		}
	}
	for _, k := range keys {
		if err := write(k, obj[k]); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func encodeValue(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case string:
		writeString(buf, x)
	case json.Number:
		buf.WriteString(string(x))
	case bool:
		if x {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case map[string]any:
		// Contained and nested resources keep resourceType first too.
		_, isResource := x["resourceType"]
		return encodeObject(buf, x, isResource)
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeValue(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("fhirjson: encode %T: %w", v, err)
		}
		buf.Write(b)
	}
	return nil
}

// writeString writes s as a JSON string. It escapes like encoding/json
// without HTML escaping: FHIR text routinely holds '<' and '&' and the bytes
// are served as JSON, never embedded in HTML.
func writeString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			buf.WriteString(`\u00`)
			buf.WriteByte(hex[c>>4])
			buf.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}
